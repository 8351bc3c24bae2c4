//! Client configuration, validated once when it is built.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::jose::{Algorithm, SigningKey};
use crate::params::AuthorizationParams;
use crate::secret::{ClientSecret, PrivateKeyPem, SealSecret};

/// The smallest accepted application secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// How the client authenticates at the token and PAR endpoints (RFC 6749 2.3, RFC 7523).
#[derive(Clone)]
pub enum ClientAuth {
    /// `client_secret_basic`: the secret in an HTTP Basic `Authorization` header.
    SecretBasic(ClientSecret),
    /// `client_secret_post`: the secret in the form body.
    SecretPost(ClientSecret),
    /// `private_key_jwt`: a signed assertion per request, with a fresh `jti`.
    PrivateKeyJwt(SigningKey),
}

impl ClientAuth {
    /// The client secret, when the client has one (it also verifies HS256 ID tokens).
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        match self {
            Self::SecretBasic(secret) | Self::SecretPost(secret) => Some(secret),
            Self::PrivateKeyJwt(_) => None,
        }
    }

    /// The method's registered name.
    pub fn method(&self) -> &'static str {
        match self {
            Self::SecretBasic(_) => "client_secret_basic",
            Self::SecretPost(_) => "client_secret_post",
            Self::PrivateKeyJwt(_) => "private_key_jwt",
        }
    }
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientAuth({})", self.method())
    }
}

/// A provider's issuer, parsed from a bare host or a full URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    url: Url,
    spelled: String,
}

impl Issuer {
    /// Parses `tenant.auth0.com` (meaning `https://tenant.auth0.com/`) or a full issuer URL.
    ///
    /// Plain `http://` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`,
    /// `localhost`): anywhere else it would let the network read every token.
    pub fn parse(domain: &str) -> Result<Self> {
        let domain = domain.trim();
        if domain.is_empty() {
            return Err(Error::configuration("domain is empty"));
        }
        let spelled = if domain.contains("://") {
            domain.to_owned()
        } else {
            format!("https://{}/", domain.trim_end_matches('/'))
        };
        let url = Url::parse(&spelled)
            .map_err(|_| Error::configuration("domain is not a host name or an issuer URL"))?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Error::configuration(
                "the issuer URL must not have a query or user info",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::configuration(
                    "plain http:// is only allowed for loopback issuers (127.0.0.1, ::1, localhost)",
                ));
            }
            _ => return Err(Error::configuration("the issuer URL must use https")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::configuration("the issuer URL has no host"));
        }
        Ok(Self { url, spelled })
    }

    /// The issuer exactly as configured (a bare host is spelled `https://host/`).
    pub fn as_str(&self) -> &str {
        &self.spelled
    }

    /// The issuer as a parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The issuer's origin, used to build Auth0's `/v2/logout` URL.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Everything the SDK needs to know about the app and its provider.
///
/// Built with [`ClientConfig::builder`]; every value is checked then, so a running client
/// never meets a configuration error it could have seen at start-up.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) issuer: Issuer,
    pub(crate) client_id: String,
    pub(crate) client_auth: ClientAuth,
    pub(crate) secret: SealSecret,
    pub(crate) authorization_params: AuthorizationParams,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) pushed_authorization_requests: bool,
    pub(crate) transaction_identifier: String,
    pub(crate) session_identifier: String,
    pub(crate) leeway: Duration,
    pub(crate) http_timeout: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) cache_capacity: usize,
    pub(crate) id_token_algs: Vec<Algorithm>,
    pub(crate) transaction_ttl: Duration,
    pub(crate) max_transactions: usize,
}

impl ClientConfig {
    /// Starts a configuration.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client authentication method.
    pub fn client_auth(&self) -> &ClientAuth {
        &self.client_auth
    }

    /// The application secret the sealing keys derive from.
    pub fn secret(&self) -> &SealSecret {
        &self.secret
    }

    /// The default authorization parameters.
    pub fn authorization_params(&self) -> &AuthorizationParams {
        &self.authorization_params
    }

    /// The name of transaction records (cookie prefix and sealing salt).
    pub fn transaction_identifier(&self) -> &str {
        &self.transaction_identifier
    }

    /// The name of session records (cookie name and sealing salt).
    pub fn session_identifier(&self) -> &str {
        &self.session_identifier
    }

    /// The clock leeway for token time claims.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The timeout of each HTTP call to the provider.
    pub fn http_timeout(&self) -> Duration {
        self.http_timeout
    }

    /// How long discovery documents and key sets are cached.
    pub fn cache_ttl(&self) -> Duration {
        self.cache_ttl
    }

    /// How many issuers' discovery documents and key sets are cached.
    pub fn cache_capacity(&self) -> usize {
        self.cache_capacity
    }

    /// How long a started login may wait for its callback.
    pub fn transaction_ttl(&self) -> Duration {
        self.transaction_ttl
    }

    /// How many logins may be open at once per browser; the oldest is dropped first.
    pub fn max_transactions(&self) -> usize {
        self.max_transactions
    }

    /// The ID token algorithms accepted.
    pub fn id_token_algs(&self) -> &[Algorithm] {
        &self.id_token_algs
    }
}

/// Builds a [`ClientConfig`]; see [`ClientConfig::builder`].
#[derive(Debug, Default)]
pub struct ClientConfigBuilder {
    domain: Option<String>,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    secret_post: bool,
    private_key: Option<(PrivateKeyPem, Algorithm, Option<String>)>,
    secret: Option<SealSecret>,
    authorization_params: AuthorizationParams,
    redirect_uri: Option<String>,
    organization: Option<String>,
    par: bool,
    transaction_identifier: Option<String>,
    session_identifier: Option<String>,
    leeway: Option<Duration>,
    http_timeout: Option<Duration>,
    cache_ttl: Option<Duration>,
    cache_capacity: Option<usize>,
    id_token_algs: Option<Vec<Algorithm>>,
    transaction_ttl: Option<Duration>,
    max_transactions: Option<usize>,
}

impl ClientConfigBuilder {
    /// The provider: a bare host such as `tenant.auth0.com`, or a full issuer URL.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The OAuth client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The client secret, sent with HTTP Basic authentication unless
    /// [`client_secret_post`](Self::client_secret_post) is set.
    pub fn client_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Sends the client secret in the form body (`client_secret_post`).
    pub fn client_secret_post(mut self) -> Self {
        self.secret_post = true;
        self
    }

    /// Authenticates with `private_key_jwt` using a PEM private key (RS256, PS256 or ES256),
    /// with an optional `kid` for the assertion header.
    pub fn private_key_jwt(
        mut self,
        pem: impl Into<PrivateKeyPem>,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Self {
        self.private_key = Some((pem.into(), alg, kid));
        self
    }

    /// The application secret (32 bytes or more) from which sealing keys derive.
    pub fn secret(mut self, secret: impl Into<SealSecret>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Default parameters for every `/authorize` request.
    pub fn authorization_params(mut self, params: AuthorizationParams) -> Self {
        self.authorization_params = params;
        self
    }

    /// The redirect URI used when the authorization parameters carry none.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The organization every login is for (an `org_` id or a name).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Sends every login through Pushed Authorization Requests (RFC 9126).
    pub fn pushed_authorization_requests(mut self, enabled: bool) -> Self {
        self.par = enabled;
        self
    }

    /// The transaction record's name (default `_a0_tx`).
    pub fn transaction_identifier(mut self, name: impl Into<String>) -> Self {
        self.transaction_identifier = Some(name.into());
        self
    }

    /// The session record's name (default `_a0_session`).
    pub fn session_identifier(mut self, name: impl Into<String>) -> Self {
        self.session_identifier = Some(name.into());
        self
    }

    /// The clock leeway for `exp`, `iat`, `nbf` and `auth_time` (default 60 s, at most 5 min).
    pub fn clock_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// The timeout of each HTTP call to the provider (default 10 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = Some(timeout);
        self
    }

    /// How long discovery and key sets are cached (default 600 s).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// How many issuers are cached (default 100).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = Some(capacity);
        self
    }

    /// The accepted ID token algorithms (default RS256 only).
    pub fn id_token_signing_algs(mut self, algs: impl IntoIterator<Item = Algorithm>) -> Self {
        self.id_token_algs = Some(algs.into_iter().collect());
        self
    }

    /// How long a login may wait for its callback (default 1 hour).
    pub fn transaction_ttl(mut self, ttl: Duration) -> Self {
        self.transaction_ttl = Some(ttl);
        self
    }

    /// How many logins may be open at once per browser (default 5).
    pub fn max_transactions(mut self, count: usize) -> Self {
        self.max_transactions = Some(count);
        self
    }

    /// Checks every value and builds the configuration.
    pub fn build(self) -> Result<ClientConfig> {
        let issuer = Issuer::parse(self.domain.as_deref().unwrap_or_default())?;
        let client_id = non_blank(self.client_id, "client_id is required")?;

        let client_auth = match (self.client_secret, self.private_key) {
            (Some(_), Some(_)) => {
                return Err(Error::configuration(
                    "give either client_secret or private_key_jwt, not both",
                ));
            }
            (Some(secret), None) if secret.expose().is_empty() => {
                return Err(Error::configuration("client_secret is empty"));
            }
            (Some(secret), None) if self.secret_post => ClientAuth::SecretPost(secret),
            (Some(secret), None) => ClientAuth::SecretBasic(secret),
            (None, Some((pem, alg, kid))) => {
                ClientAuth::PrivateKeyJwt(SigningKey::from_pem(&pem, alg, kid)?)
            }
            (None, None) => {
                return Err(Error::configuration(
                    "client authentication is required: client_secret or private_key_jwt",
                ));
            }
        };

        let secret = self
            .secret
            .ok_or_else(|| Error::configuration("secret is required"))?;
        if secret.expose().len() < MIN_SECRET_LEN {
            return Err(Error::configuration("secret must be at least 32 bytes"));
        }

        self.authorization_params.check().map_err(|err| match err {
            Error::InvalidArgument { reason, .. } => Error::Configuration(reason),
            other => other,
        })?;
        for uri in [&self.redirect_uri, &self.authorization_params.redirect_uri]
            .into_iter()
            .flatten()
        {
            Url::parse(uri)
                .map_err(|_| Error::configuration("redirect_uri is not an absolute URL"))?;
        }
        if self
            .organization
            .as_deref()
            .is_some_and(|org| org.trim().is_empty())
        {
            return Err(Error::configuration("organization is blank"));
        }

        let id_token_algs = self.id_token_algs.unwrap_or_else(|| vec![Algorithm::RS256]);
        if id_token_algs.is_empty() {
            return Err(Error::configuration(
                "at least one ID token algorithm must be allowed",
            ));
        }
        if id_token_algs.contains(&Algorithm::HS256) && client_auth.client_secret().is_none() {
            return Err(Error::configuration("HS256 ID tokens need a client_secret"));
        }

        let leeway = self.leeway.unwrap_or(Duration::from_secs(60));
        if leeway > Duration::from_secs(300) {
            return Err(Error::configuration(
                "clock leeway above 5 minutes is refused",
            ));
        }

        let transaction_identifier = identifier(self.transaction_identifier, "_a0_tx")?;
        let session_identifier = identifier(self.session_identifier, "_a0_session")?;
        if transaction_identifier == session_identifier {
            return Err(Error::configuration(
                "the transaction and session identifiers must differ",
            ));
        }

        Ok(ClientConfig {
            issuer,
            client_id,
            client_auth,
            secret,
            authorization_params: self.authorization_params,
            redirect_uri: self.redirect_uri,
            organization: self.organization,
            pushed_authorization_requests: self.par,
            transaction_identifier,
            session_identifier,
            leeway,
            http_timeout: self.http_timeout.unwrap_or(Duration::from_secs(10)),
            cache_ttl: self.cache_ttl.unwrap_or(Duration::from_secs(600)),
            cache_capacity: self.cache_capacity.unwrap_or(100).max(1),
            id_token_algs,
            transaction_ttl: self.transaction_ttl.unwrap_or(Duration::from_secs(3600)),
            max_transactions: self.max_transactions.unwrap_or(5).max(1),
        })
    }
}

fn non_blank(value: Option<String>, message: &'static str) -> Result<String> {
    match value {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(Error::configuration(message)),
    }
}

/// A record identifier becomes a cookie name: keep it to cookie-safe characters.
fn identifier(value: Option<String>, default: &str) -> Result<String> {
    let value = value.unwrap_or_else(|| default.to_owned());
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if valid {
        Ok(value)
    } else {
        Err(Error::configuration(
            "record identifiers must be 1-64 of [A-Za-z0-9_.-]",
        ))
    }
}

#[cfg(test)]
mod tests;
