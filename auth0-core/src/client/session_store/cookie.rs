//! The stateless store: the sealed session lives in the browser's cookies.

use std::sync::Arc;

use async_trait::async_trait;

use super::chunking::{DEFAULT_MAX_CHUNKS, Layout, TooLarge};
use super::common::{IndexKeys, app_is_https, roll_interval};
use super::{LogoutRegistry, MemoryLogoutRegistry, SessionStore};
use crate::client::StoreOptions;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::seal::SealKey;
use crate::session::{SessionData, SessionLifetime};

/// Sessions sealed in the browser's cookies: nothing to run on the server.
///
/// The session is sealed with the key for the config's session identifier (`_a0_session` by
/// default, the Python SDK's format) and cut into cookies of under 4096 bytes each
/// (`_a0_session_0`, `_a0_session_1`, ... as needed), all `HttpOnly`,
/// `SameSite=Lax`, `Path=/`, `Secure` for https apps, with `Max-Age` set to the session's end.
///
/// Because nothing is kept on the server, back-channel logout works through a
/// [`LogoutRegistry`]: a cookie whose sid or sub was logged out at or after its creation reads
/// as no session. The default registry is in this process's memory; apps running several
/// instances should share one (`RedisLogoutRegistry`, which costs one `MGET` per read).
#[derive(Debug, Clone)]
pub struct CookieSessionStore {
    key: SealKey,
    index: IndexKeys,
    layout: Layout,
    lifetime: SessionLifetime,
    registry: Arc<dyn LogoutRegistry>,
}

impl CookieSessionStore {
    /// A store for this configuration: the default lifetime, an in-memory logout registry,
    /// and `Secure` cookies when the app's redirect URI is https.
    pub fn new(config: &ClientConfig) -> Self {
        let identifier = config.session_identifier();
        Self {
            key: SealKey::derive(config.secret(), identifier),
            index: IndexKeys::derive(config.secret(), identifier),
            layout: Layout::new(identifier, app_is_https(config), DEFAULT_MAX_CHUNKS),
            lifetime: SessionLifetime::default(),
            registry: Arc::new(MemoryLogoutRegistry::default()),
        }
    }

    /// Forces the `Secure` attribute on or off (for example behind a TLS-terminating proxy
    /// whose app sees plain http URLs).
    pub fn secure(mut self, secure: bool) -> Self {
        self.layout.secure = secure;
        self
    }

    /// Sets how long sessions live.
    pub fn lifetime(mut self, lifetime: SessionLifetime) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Records back-channel logouts in this registry (shared between app instances).
    pub fn logout_registry(mut self, registry: impl LogoutRegistry + 'static) -> Self {
        self.registry = Arc::new(registry);
        self
    }

    /// Allows at most this many cookies per session (default 10); a larger session is
    /// refused by [`set`](SessionStore::set) with [`Error::InvalidArgument`].
    pub fn max_chunks(mut self, max_chunks: usize) -> Self {
        self.layout.set_max_chunks(max_chunks);
        self
    }

    /// Seals the session and writes its cookies, expiring any stale ones.
    fn write(&self, session: &SessionData, options: &mut StoreOptions, now: u64) -> Result<()> {
        let last_active = session.internal.updated_at.unwrap_or(now);
        let expires_at = self.lifetime.expires_at(&session.internal, last_active);
        let sealed = self.key.seal(session, &mut rand::rng())?;
        let cookies = self
            .layout
            .split(&sealed, expires_at.saturating_sub(now))
            .map_err(|TooLarge| {
                Error::invalid_argument(
                    "session",
                    format!(
                        "the session is too large for {} cookies",
                        self.layout.max_chunks()
                    ),
                )
            })?;
        self.layout.write(options, &cookies);
        Ok(())
    }

    /// Whether a back-channel logout recorded at or after the session's creation covers it.
    async fn logged_out(&self, session: &SessionData, now: u64) -> Result<bool> {
        let keys = self.index.for_session(session);
        if keys.is_empty() {
            return Ok(false);
        }
        let at = self.registry.logged_out_at(&keys, now).await?;
        Ok(at.is_some_and(|at| at >= session.internal.created_at))
    }
}

#[async_trait]
impl SessionStore for CookieSessionStore {
    // TODO(verified-session cache): every read unseals (~10 µs); a bounded cache keyed by the
    // exact sealed value, with the lifetime and logout checks kept on a hit, would skip that.
    async fn get(&self, options: &mut StoreOptions, now: u64) -> Result<Option<SessionData>> {
        let found = self.layout.read(options);
        if found.names.is_empty() {
            return Ok(None);
        }
        let Some(mut session) = found
            .sealed
            .and_then(|sealed| self.key.unseal::<SessionData>(&sealed))
        else {
            tracing::debug!("clearing unreadable session cookies");
            self.layout.clear(options);
            return Ok(None);
        };
        if self.lifetime.is_expired(&session.internal, now) {
            tracing::debug!("clearing an expired session");
            self.layout.clear(options);
            return Ok(None);
        }
        if self.logged_out(&session, now).await? {
            tracing::debug!("clearing a session ended by back-channel logout");
            self.layout.clear(options);
            return Ok(None);
        }

        let internal = &session.internal;
        let last_active = internal.updated_at.unwrap_or(internal.created_at);
        if now >= last_active.saturating_add(roll_interval(&self.lifetime)) {
            let previous = session.internal.updated_at.replace(now);
            if let Err(err) = self.write(&session, options, now) {
                // The session stays valid until its current expiry; extend it next time.
                tracing::debug!(code = err.code(), "could not extend a rolling session");
                session.internal.updated_at = previous;
            }
        }
        Ok(Some(session))
    }

    async fn set(
        &self,
        session: &SessionData,
        _login: bool,
        options: &mut StoreOptions,
        now: u64,
    ) -> Result<()> {
        let mut session = session.clone();
        session.internal.updated_at = Some(now);
        if self.lifetime.is_expired(&session.internal, now) {
            tracing::debug!("refusing to store an expired session: clearing it instead");
            self.layout.clear(options);
            return Ok(());
        }
        self.write(&session, options, now)
    }

    async fn delete(&self, options: &mut StoreOptions) -> Result<()> {
        self.layout.clear(options);
        Ok(())
    }

    async fn delete_by_logout(
        &self,
        issuer: &str,
        sid: Option<&str>,
        sub: Option<&str>,
        now: u64,
    ) -> Result<u64> {
        let keys = self.index.for_logout(issuer, sid, sub);
        if !keys.is_empty() {
            let ttl = self.lifetime.absolute_secs;
            self.registry.record(&keys, now, ttl).await?;
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use http::header::{COOKIE, SET_COOKIE};
    use serde_json::json;

    use super::*;
    use crate::session::SessionInternal;
    use crate::test_support::{ISSUER, NOW};

    fn config() -> ClientConfig {
        crate::test_support::config().build().unwrap()
    }

    fn session(created_at: u64, domain: Option<&str>) -> SessionData {
        SessionData {
            user: Some(json!({"sub": "user-1"}).as_object().unwrap().clone()),
            id_token: None,
            refresh_token: None,
            token_sets: Vec::new(),
            domain: domain.map(str::to_owned),
            connection_token_sets: Vec::new(),
            internal: SessionInternal {
                sid: "sid-1".into(),
                created_at,
                session_expiry: None,
                updated_at: None,
            },
        }
    }

    /// The request a browser sends after receiving `response`.
    fn replay(response: &StoreOptions) -> StoreOptions {
        let pairs: Vec<String> = response
            .response_headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .filter(|pair| !pair.ends_with('='))
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, pairs.join("; ").parse().unwrap());
        StoreOptions::from_request_headers(&headers)
    }

    async fn stored(store: &CookieSessionStore, session: &SessionData, at: u64) -> StoreOptions {
        let mut options = StoreOptions::new();
        store.set(session, true, &mut options, at).await.unwrap();
        replay(&options)
    }

    #[tokio::test]
    async fn a_logout_in_the_same_second_as_the_login_ends_it() {
        let store = CookieSessionStore::new(&config());
        let mut request = stored(&store, &session(NOW, Some(ISSUER)), NOW).await;
        store
            .delete_by_logout(ISSUER, None, Some("user-1"), NOW)
            .await
            .unwrap();
        assert!(store.get(&mut request, NOW).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sessions_without_an_issuer_are_not_matched_by_logouts() {
        let store = CookieSessionStore::new(&config());
        let mut request = stored(&store, &session(NOW, None), NOW).await;
        store
            .delete_by_logout(ISSUER, Some("sid-1"), None, NOW + 1)
            .await
            .unwrap();
        assert!(store.get(&mut request, NOW + 2).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn plain_http_apps_get_cookies_without_secure() {
        let store = CookieSessionStore::new(&config()).secure(false);
        let mut options = StoreOptions::new();
        store
            .set(&session(NOW, Some(ISSUER)), true, &mut options, NOW)
            .await
            .unwrap();
        let header = options
            .response_headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(!header.contains("Secure") && header.contains("HttpOnly"));
    }

    #[tokio::test]
    async fn a_rolling_extension_that_no_longer_fits_keeps_the_session() {
        let one_cookie = CookieSessionStore::new(&config()).max_chunks(1);
        let mut big = session(NOW, Some(ISSUER));
        // Sized so the session fits one cookie, but not with `updated_at` grown by a digit.
        let mut fits = None;
        for len in (2_000..3_200).rev() {
            big.user
                .as_mut()
                .unwrap()
                .insert("pad".into(), json!("p".repeat(len)));
            let mut options = StoreOptions::new();
            if one_cookie
                .set(&big, true, &mut options, 999_999_999)
                .await
                .is_ok()
            {
                fits = Some(replay(&options));
                break;
            }
        }
        let mut request = fits.unwrap();
        let read = one_cookie.get(&mut request, 1_000_000_070).await.unwrap();
        assert_eq!(read.unwrap().internal.updated_at, Some(999_999_999));
        assert!(
            request.response_headers().is_empty(),
            "the extension did not fit"
        );
    }

    #[test]
    fn debug_prints_no_key() {
        let printed = format!("{:?}", CookieSessionStore::new(&config()));
        assert!(printed.contains("[redacted]"));
        assert!(!printed.contains("an-application-secret"));
    }
}
