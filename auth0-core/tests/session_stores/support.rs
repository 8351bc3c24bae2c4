//! Fixtures for the session store suite: sessions of chosen sizes, a browser cookie jar that
//! checks every `Set-Cookie` header, and one harness per store.

use std::collections::BTreeMap;
use std::sync::Arc;

use auth0_core::ClientConfig;
use auth0_core::client::{
    CookieSessionStore, MemoryBackend, MemoryLogoutRegistry, ServerSideSessionStore, SessionStore,
    StoreOptions,
};
use auth0_core::secret::{AccessToken, IdToken, RefreshToken};
use auth0_core::session::{SessionData, SessionInternal, SessionLifetime, TokenSet};
use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use serde_json::{Map, Value, json};

pub(crate) const NOW: u64 = 1_800_000_000;
pub(crate) const ISSUER: &str = "https://tenant.example.test/";
pub(crate) const OTHER_ISSUER: &str = "https://other.example.test/";
pub(crate) const SECRET: &str = "an-application-secret-of-at-least-32-bytes";
pub(crate) const OTHER_SECRET: &str = "another-application-secret-of-32-bytes-or-more";

pub(crate) fn config(secret: &str) -> ClientConfig {
    ClientConfig::builder()
        .domain("tenant.example.test")
        .client_id("client-1")
        .client_secret("client-1-secret-0123456789abcdef")
        .secret(secret)
        .redirect_uri("https://app.example.test/auth/callback")
        .build()
        .unwrap()
}

/// A session of `issuer` with this sid and sub, created at `created_at`, whose JSON is about
/// `size` bytes (15 user claims, tokens, then padding).
pub(crate) fn session(
    issuer: &str,
    sid: &str,
    sub: &str,
    created_at: u64,
    size: usize,
) -> SessionData {
    let mut user: Map<String, Value> = serde_json::from_value(json!({
        "sub": sub, "sid": sid, "name": "Jane Example", "given_name": "Jane",
        "family_name": "Example", "nickname": "jane", "email": "jane@example.test",
        "email_verified": true, "picture": "https://cdn.example.test/jane.png",
        "locale": "en", "updated_at": "2026-11-30T10:15:00.000Z", "zoneinfo": "Europe/Paris",
        "iss": issuer, "aud": "client-1", "org_id": "org_123",
    }))
    .unwrap();
    let mut session = SessionData {
        user: None,
        id_token: Some(IdToken::new("h.".to_owned() + &"i".repeat(400) + ".s")),
        refresh_token: Some(RefreshToken::new("r".repeat(40))),
        token_sets: vec![TokenSet {
            audience: "default".into(),
            access_token: AccessToken::new("a".repeat(300)),
            scope: Some("openid profile email offline_access".into()),
            expires_at: created_at + 86_400,
        }],
        domain: Some(issuer.to_owned()),
        connection_token_sets: Vec::new(),
        internal: SessionInternal {
            sid: sid.to_owned(),
            created_at,
            session_expiry: None,
            updated_at: None,
        },
    };
    session.user = Some(user.clone());
    let base = serde_json::to_vec(&session).unwrap().len();
    if size > base {
        user.insert(
            "padding".into(),
            Value::String("p".repeat(size - base - 14)),
        );
        session.user = Some(user);
    }
    session
}

/// One `Set-Cookie` header as a browser reads it.
#[derive(Debug, Clone)]
pub(crate) struct SetCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) max_age: Option<u64>,
    pub(crate) header: String,
}

/// A cookie jar that replays what a browser would send, checking each header as it goes.
#[derive(Debug, Default, Clone)]
pub(crate) struct Browser {
    pub(crate) jar: BTreeMap<String, String>,
}

impl Browser {
    /// The store options of a request from this browser.
    pub(crate) fn request(&self) -> StoreOptions {
        let mut headers = HeaderMap::new();
        if !self.jar.is_empty() {
            let pairs: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
            headers.insert(COOKIE, pairs.join("; ").parse().unwrap());
        }
        StoreOptions::from_request_headers(&headers)
    }

    /// Applies a response's `Set-Cookie` headers, asserting each whole header line (with
    /// `Set-Cookie: `) is under 4096 bytes and carries the expected attributes.
    pub(crate) fn apply(&mut self, options: &StoreOptions) -> Vec<SetCookie> {
        let mut applied = Vec::new();
        for value in options.response_headers().get_all(SET_COOKIE) {
            let header = value.to_str().unwrap().to_owned();
            assert!(
                "Set-Cookie: ".len() + header.len() < 4096,
                "{} bytes",
                header.len()
            );
            for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
                assert!(header.contains(attribute), "missing {attribute}");
            }
            let (pair, attributes) = header.split_once(';').unwrap_or((&header, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let max_age = attributes
                .split(';')
                .find_map(|a| a.trim().strip_prefix("Max-Age="))
                .map(|age| age.parse().unwrap());
            if value.is_empty() || max_age == Some(0) {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
            applied.push(SetCookie {
                name: name.to_owned(),
                value: value.to_owned(),
                max_age,
                header: header.clone(),
            });
        }
        applied
    }
}

type Make = Box<dyn Fn(&str, SessionLifetime) -> Box<dyn SessionStore> + Send + Sync>;

/// Builds stores of one kind that share their backend or registry.
pub(crate) struct Harness {
    make: Make,
    /// Whether sessions live on the server (ids rotate, deletes reach old cookies).
    pub(crate) stateful: bool,
    _cleanup: Option<Box<dyn Send>>,
}

impl Harness {
    /// The name of the first (or only) session cookie: the id cookie of a server-side store,
    /// or the first chunk of a cookie store.
    pub(crate) fn first_cookie(&self) -> &'static str {
        if self.stateful {
            "_a0_session"
        } else {
            "_a0_session_0"
        }
    }

    pub(crate) fn store(&self) -> Box<dyn SessionStore> {
        self.store_with(SECRET, SessionLifetime::default())
    }

    pub(crate) fn store_with(
        &self,
        secret: &str,
        lifetime: SessionLifetime,
    ) -> Box<dyn SessionStore> {
        (self.make)(secret, lifetime)
    }
}

pub(crate) async fn cookie_memory() -> Harness {
    let registry = MemoryLogoutRegistry::default();
    cookie_harness(
        Arc::new(move |store| store.logout_registry(registry.clone())),
        None,
    )
}

pub(crate) async fn server_memory() -> Harness {
    let backend = MemoryBackend::default();
    Harness {
        make: Box::new(move |secret, lifetime| {
            let store = ServerSideSessionStore::new(&config(secret), backend.clone());
            Box::new(store.lifetime(lifetime))
        }),
        stateful: true,
        _cleanup: None,
    }
}

type WithRegistry = Arc<dyn Fn(CookieSessionStore) -> CookieSessionStore + Send + Sync>;

fn cookie_harness(with_registry: WithRegistry, cleanup: Option<Box<dyn Send>>) -> Harness {
    Harness {
        make: Box::new(move |secret, lifetime| {
            let store = CookieSessionStore::new(&config(secret)).lifetime(lifetime);
            Box::new(with_registry(store))
        }),
        stateful: false,
        _cleanup: cleanup,
    }
}

#[cfg(feature = "redis")]
pub(crate) use redis_support::*;

#[cfg(feature = "redis")]
mod redis_support {
    use auth0_core::client::{
        RedisBackend, RedisConnection, RedisLogoutRegistry, RedisOptions, ServerSideSessionStore,
    };
    use rand::RngCore;

    use super::*;

    pub(crate) const REDIS_URL: &str = "redis://127.0.0.1:6379";

    /// Deletes every key under its prefix when dropped, even after a failed assertion.
    pub(crate) struct RedisKeys {
        pub(crate) prefix: String,
    }

    impl RedisKeys {
        pub(crate) fn unique() -> Self {
            let suffix = rand::rng().next_u64();
            Self {
                prefix: format!("a0test:{}:{suffix:016x}:", std::process::id()),
            }
        }

        /// Every key under the prefix, in Redis now.
        pub(crate) fn keys(&self) -> Vec<String> {
            let client = redis::Client::open(REDIS_URL).unwrap();
            let mut conn = client.get_connection().unwrap();
            redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut conn)
                .unwrap()
        }
    }

    impl Drop for RedisKeys {
        fn drop(&mut self) {
            let Ok(client) = redis::Client::open(REDIS_URL) else {
                return;
            };
            let Ok(mut conn) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut conn)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        }
    }

    pub(crate) async fn connection() -> RedisConnection {
        RedisConnection::connect(REDIS_URL, &RedisOptions::default())
            .await
            .expect("Redis runs at 127.0.0.1:6379 (see .ci/run)")
    }

    pub(crate) async fn cookie_redis() -> Harness {
        let keys = RedisKeys::unique();
        let registry = RedisLogoutRegistry::with_prefix(connection().await, &keys.prefix);
        let with =
            Arc::new(move |store: CookieSessionStore| store.logout_registry(registry.clone()));
        cookie_harness(with, Some(Box::new(keys)))
    }

    pub(crate) async fn server_redis() -> Harness {
        let keys = RedisKeys::unique();
        let backend = RedisBackend::with_prefix(connection().await, &keys.prefix);
        Harness {
            make: Box::new(move |secret, lifetime| {
                let store = ServerSideSessionStore::new(&config(secret), backend.clone());
                Box::new(store.lifetime(lifetime))
            }),
            stateful: true,
            _cleanup: Some(Box::new(keys)),
        }
    }
}
