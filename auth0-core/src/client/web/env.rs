//! Settings from the environment, the way twelve-factor apps configure the SDK.

use std::fmt;

use url::Url;

use super::DEFAULT_MOUNT;
use crate::client::{CookieSessionStore, CookieTransactionStore, ServerClient};
#[cfg(feature = "redis")]
use crate::client::{RedisBackend, RedisConnection, RedisOptions, ServerSideSessionStore};
use crate::config::ClientConfig;
use crate::jose::Algorithm;
use crate::params::AuthorizationParams;

/// Which session store the settings ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStoreKind {
    /// Sealed sessions in cookies (`AUTH0_SESSION_STORE=cookie`, the default).
    Cookie,
    /// Sessions in Redis at this URL (`AUTH0_SESSION_STORE=redis` with `REDIS_URL`).
    Redis(String),
}

/// A missing or invalid setting: names the variable, never echoes a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.reason)
    }
}

impl std::error::Error for EnvError {}

/// Everything an app needs to mount the SDK.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The client configuration.
    pub config: ClientConfig,
    /// The app's public base URL (`APP_BASE_URL`).
    pub base_url: Url,
    /// Where the SDK's routes are mounted (default `/auth`).
    pub mount: String,
    /// The session store to use.
    pub session_store: SessionStoreKind,
}

impl Settings {
    /// Reads the settings from the process environment.
    ///
    /// Required: `AUTH0_DOMAIN` (a bare host or an issuer URL; plain `http://` only on
    /// loopback), `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET` (32+ bytes),
    /// `APP_BASE_URL`. Optional: `AUTH0_AUDIENCE`, `AUTH0_SCOPE`, `AUTH0_ORGANIZATION`,
    /// `AUTH0_PAR` (`true`/`false`), `AUTH0_ID_TOKEN_SIGNING_ALG` (e.g. `RS256`),
    /// `AUTH0_SESSION_STORE` (`cookie` or `redis`, with `REDIS_URL`).
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (for tests and custom sources).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, EnvError> {
        let get = |var: &'static str| {
            lookup(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |var: &'static str| {
            get(var).ok_or_else(|| EnvError {
                var,
                reason: "is required but not set".into(),
            })
        };

        let domain = required("AUTH0_DOMAIN")?;
        crate::config::Issuer::parse(&domain).map_err(|err| EnvError {
            var: "AUTH0_DOMAIN",
            reason: err.to_string(),
        })?;
        let client_id = required("AUTH0_CLIENT_ID")?;
        let client_secret = required("AUTH0_CLIENT_SECRET")?;
        let secret = required("AUTH0_SECRET")?;
        if secret.len() < crate::config::MIN_SECRET_LEN {
            return Err(EnvError {
                var: "AUTH0_SECRET",
                reason: "must be at least 32 bytes".into(),
            });
        }
        let base_url = required("APP_BASE_URL")?;
        let base_url = parse_base_url(&base_url).map_err(|reason| EnvError {
            var: "APP_BASE_URL",
            reason: reason.into(),
        })?;
        let mount = DEFAULT_MOUNT.to_owned();

        let redirect_uri = base_url
            .join(&format!("{}/callback", mount.trim_start_matches('/')))
            .map_err(|_| EnvError {
                var: "APP_BASE_URL",
                reason: "cannot form the callback URL".into(),
            })?;
        let mut params = AuthorizationParams::new().redirect_uri(redirect_uri.as_str());
        if let Some(audience) = get("AUTH0_AUDIENCE") {
            params = params.audience(audience);
        }
        if let Some(scope) = get("AUTH0_SCOPE") {
            params = params.scope(scope);
        }

        let mut builder = ClientConfig::builder()
            .domain(domain)
            .client_id(client_id)
            .client_secret(client_secret)
            .secret(secret)
            .authorization_params(params);
        if let Some(organization) = get("AUTH0_ORGANIZATION") {
            builder = builder.organization(organization);
        }
        if let Some(par) = get("AUTH0_PAR") {
            let enabled = parse_bool(&par).ok_or_else(|| EnvError {
                var: "AUTH0_PAR",
                reason: "must be true or false".into(),
            })?;
            builder = builder.pushed_authorization_requests(enabled);
        }
        if let Some(alg) = get("AUTH0_ID_TOKEN_SIGNING_ALG") {
            let alg: Algorithm = alg.parse().map_err(|_| EnvError {
                var: "AUTH0_ID_TOKEN_SIGNING_ALG",
                reason: "is not a supported algorithm (RS256, PS256, ES256, EdDSA, HS256, ...)"
                    .into(),
            })?;
            builder = builder.id_token_signing_algs([alg]);
        }
        let config = builder.build().map_err(|err| EnvError {
            var: "AUTH0 settings",
            reason: err.to_string(),
        })?;

        let session_store = match get("AUTH0_SESSION_STORE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("cookie") => SessionStoreKind::Cookie,
            Some("redis") => SessionStoreKind::Redis(required("REDIS_URL")?),
            Some(_) => {
                return Err(EnvError {
                    var: "AUTH0_SESSION_STORE",
                    reason: "must be cookie or redis".into(),
                });
            }
        };
        Ok(Self {
            config,
            base_url,
            mount,
            session_store,
        })
    }

    /// The redirect URI the settings register (`<APP_BASE_URL>/auth/callback`).
    pub fn callback_url(&self) -> String {
        join(&self.base_url, &format!("{}/callback", self.mount))
    }

    /// Whether cookies must be `Secure` (the app is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Builds the client these settings describe: cookie transactions, and sessions in
    /// sealed cookies or in Redis. Fails with a store error when Redis cannot be reached.
    pub async fn build_client(&self) -> crate::Result<ServerClient> {
        let secure = self.secure_cookies();
        let transactions = CookieTransactionStore::new(&self.config).secure(secure);
        let builder = ServerClient::builder(self.config.clone()).transaction_store(transactions);
        let builder = match &self.session_store {
            SessionStoreKind::Cookie => {
                builder.session_store(CookieSessionStore::new(&self.config).secure(secure))
            }
            #[cfg(feature = "redis")]
            SessionStoreKind::Redis(url) => {
                let connection = RedisConnection::connect(url, &RedisOptions::default()).await?;
                let store =
                    ServerSideSessionStore::new(&self.config, RedisBackend::new(connection));
                builder.session_store(store.secure(secure))
            }
            #[cfg(not(feature = "redis"))]
            SessionStoreKind::Redis(_) => {
                return Err(crate::Error::configuration(
                    "AUTH0_SESSION_STORE=redis needs the `redis` feature of auth0-core",
                ));
            }
        };
        builder.build()
    }
}

/// `base` joined with an absolute app path.
fn join(base: &Url, path: &str) -> String {
    let mut joined = base.as_str().trim_end_matches('/').to_owned();
    joined.push_str(path);
    joined
}

fn parse_base_url(value: &str) -> Result<Url, &'static str> {
    let mut url =
        Url::parse(value).map_err(|_| "must be an absolute URL such as http://localhost:3000")?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("must be an http:// or https:// URL");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment");
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<Settings, EnvError> {
        let mut vars: HashMap<String, String> = [
            ("AUTH0_DOMAIN", "tenant.auth0.com"),
            ("AUTH0_CLIENT_ID", "client-1"),
            ("AUTH0_CLIENT_SECRET", "client-secret"),
            ("AUTH0_SECRET", "0123456789abcdef0123456789abcdef"),
            ("APP_BASE_URL", "http://localhost:3000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            vars.insert(k.to_string(), v.to_string());
        }
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn minimal_settings() {
        let settings = env(&[]).unwrap();
        assert_eq!(
            settings.config.issuer().as_str(),
            "https://tenant.auth0.com/"
        );
        assert_eq!(
            settings.callback_url(),
            "http://localhost:3000/auth/callback"
        );
        assert_eq!(
            settings.config.authorization_params().get("redirect_uri"),
            Some("http://localhost:3000/auth/callback")
        );
        assert_eq!(settings.session_store, SessionStoreKind::Cookie);
        assert!(!settings.secure_cookies());
    }

    #[test]
    fn each_missing_or_bad_value_names_its_variable() {
        let cases: [(&[(&str, &str)], &str); 9] = [
            (&[("AUTH0_DOMAIN", "")], "AUTH0_DOMAIN"),
            (
                &[("AUTH0_DOMAIN", "http://tenant.auth0.com")],
                "AUTH0_DOMAIN",
            ),
            (&[("AUTH0_CLIENT_ID", " ")], "AUTH0_CLIENT_ID"),
            (&[("AUTH0_SECRET", "short")], "AUTH0_SECRET"),
            (&[("APP_BASE_URL", "localhost:3000")], "APP_BASE_URL"),
            (&[("AUTH0_PAR", "maybe")], "AUTH0_PAR"),
            (
                &[("AUTH0_ID_TOKEN_SIGNING_ALG", "none")],
                "AUTH0_ID_TOKEN_SIGNING_ALG",
            ),
            (&[("AUTH0_SESSION_STORE", "files")], "AUTH0_SESSION_STORE"),
            (&[("AUTH0_SESSION_STORE", "redis")], "REDIS_URL"),
        ];
        for (pairs, var) in cases {
            let err = env(pairs).unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}: {err}");
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn secrets_never_appear_in_errors() {
        let err = env(&[("AUTH0_SECRET", "tooshort-secret")]).unwrap_err();
        assert!(!err.to_string().contains("tooshort-secret"));
    }

    #[test]
    fn optional_values() {
        let settings = env(&[
            ("AUTH0_DOMAIN", "http://127.0.0.1:4400/"),
            ("APP_BASE_URL", "https://app.example.test/base"),
            ("AUTH0_AUDIENCE", "https://api.example.test/"),
            ("AUTH0_ORGANIZATION", "org_1"),
            ("AUTH0_PAR", "true"),
            ("AUTH0_ID_TOKEN_SIGNING_ALG", "ES256"),
            ("AUTH0_SESSION_STORE", "redis"),
            ("REDIS_URL", "redis://127.0.0.1:6379/"),
        ])
        .unwrap();
        assert_eq!(settings.config.issuer().as_str(), "http://127.0.0.1:4400/");
        assert_eq!(
            settings.callback_url(),
            "https://app.example.test/base/auth/callback"
        );
        assert_eq!(settings.config.id_token_algs(), [Algorithm::ES256]);
        assert_eq!(
            settings.session_store,
            SessionStoreKind::Redis("redis://127.0.0.1:6379/".into())
        );
        assert!(settings.secure_cookies());
    }
}
