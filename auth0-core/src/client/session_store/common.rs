//! Pieces every session store shares: cookie attributes, the rolling-expiry throttle, session
//! ids and the keyed digests that stand for sids and subs in stores and registries.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::client::StoreOptions;
use crate::config::ClientConfig;
use crate::secret::SealSecret;
use crate::session::{SessionData, SessionInternal, SessionLifetime};

/// The least time between two extensions of a rolling session, in seconds.
pub(crate) const MIN_ROLL_INTERVAL_SECS: u64 = 60;

/// The HKDF info naming the index-digest key, so it never equals a sealing key.
const INDEX_KEY_INFO: &[u8] = b"Auth0 Rust SDK session index";

/// Random bytes in a session id (256 bits, well above the 128 required).
const SESSION_ID_BYTES: usize = 32;

/// Whether the app is served over https, judged from its redirect URI (like the transaction
/// store), which decides the `Secure` attribute.
pub(crate) fn app_is_https(config: &ClientConfig) -> bool {
    config
        .authorization_params()
        .get("redirect_uri")
        .or(config.redirect_uri.as_deref())
        .is_some_and(|uri| uri.starts_with("https://"))
}

/// A session cookie with the attributes every store uses.
pub(crate) fn session_cookie(
    name: String,
    value: String,
    max_age_secs: u64,
    secure: bool,
) -> Cookie<'static> {
    let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
}

/// The length of the whole `Set-Cookie: ...` header line this cookie becomes.
pub(crate) fn set_cookie_len(cookie: &Cookie<'_>) -> usize {
    "Set-Cookie: ".len() + cookie.encoded().to_string().len()
}

/// Names of cookies this response already sets (for stale-chunk bookkeeping).
pub(crate) fn response_cookie_names(options: &StoreOptions) -> Vec<String> {
    options
        .response_headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| Cookie::parse_encoded(value.to_owned()).ok())
        .filter(|cookie| !cookie.value().is_empty())
        .map(|cookie| cookie.name().to_owned())
        .collect()
}

/// How stale a session's last extension may get before a read extends it again: one minute or
/// 1% of the inactivity window, whichever is longer, so busy apps do not rewrite per request.
pub(crate) fn roll_interval(lifetime: &SessionLifetime) -> u64 {
    MIN_ROLL_INTERVAL_SECS.max(lifetime.inactivity_secs / 100)
}

/// The deadline no activity can move: the absolute cap and the provider's `session_expiry`.
pub(crate) fn hard_deadline(lifetime: &SessionLifetime, internal: &SessionInternal) -> u64 {
    let absolute = internal.created_at.saturating_add(lifetime.absolute_secs);
    absolute.min(internal.session_expiry.unwrap_or(u64::MAX))
}

/// An opaque session id: 256 bits from the OS-seeded CSPRNG, base64url.
///
/// A bearer credential: `Debug` is redacted, and backends only ever see its SHA-256 digest
/// ([`storage_key`](Self::storage_key)), so a dump of the backend gives no usable id.
#[derive(Clone)]
pub(crate) struct SessionId(String);

impl SessionId {
    /// A fresh random id.
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; SESSION_ID_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts a cookie value only if it has the exact shape of an id we issue, so a planted
    /// short or odd value is never used as a key.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let expected = (SESSION_ID_BYTES * 8).div_ceil(6);
        let well_formed = value.len() == expected
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(value.to_owned()))
    }

    /// The raw value, for the cookie only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The key the backend stores the record under: base64url(SHA-256(id)).
    pub(crate) fn storage_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// Keyed digests of (issuer, sid) and (issuer, sub), the only form in which those identifiers
/// reach a backend or a logout registry: stable per secret, meaningless without it.
#[derive(Clone)]
pub(crate) struct IndexKeys {
    mac: Hmac<Sha256>,
}

impl IndexKeys {
    /// Derives the digest key from the application secret and the session identifier.
    pub(crate) fn derive(secret: &SealSecret, identifier: &str) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(identifier.as_bytes()), secret.expose().as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(INDEX_KEY_INFO, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Self { mac }
    }

    /// The digests a session is filed under: its sid and its sub, for its issuer.
    pub(crate) fn for_session(&self, session: &SessionData) -> Vec<String> {
        let Some(issuer) = session.domain.as_deref() else {
            return Vec::new();
        };
        self.for_logout(issuer, Some(&session.internal.sid), session.sub())
    }

    /// The digests a back-channel logout of `issuer` with this sid and/or sub matches.
    pub(crate) fn for_logout(
        &self,
        issuer: &str,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Vec<String> {
        [(b's', sid), (b'u', sub)]
            .into_iter()
            .filter_map(|(kind, value)| Some((kind, value.filter(|v| !v.is_empty())?)))
            .map(|(kind, value)| self.digest(issuer, kind, value))
            .collect()
    }

    fn digest(&self, issuer: &str, kind: u8, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(&(issuer.len() as u64).to_be_bytes());
        mac.update(issuer.as_bytes());
        mac.update(&[kind]);
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for IndexKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IndexKeys([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_well_formed_and_redacted() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert!(SessionId::parse(a.expose()).is_some());
        assert!(SessionId::parse("short").is_none());
        assert!(SessionId::parse(&format!("{}=", &a.expose()[1..])).is_none());
        assert_eq!(format!("{a:?}"), "SessionId([redacted])");
        assert_ne!(a.storage_key(), a.expose());
        assert_eq!(
            a.storage_key(),
            SessionId::parse(a.expose()).unwrap().storage_key()
        );
    }

    #[test]
    fn index_digests_separate_issuer_kind_and_secret() {
        let keys = IndexKeys::derive(&SealSecret::new("s".repeat(32)), "_a0_session");
        let other = IndexKeys::derive(&SealSecret::new("t".repeat(32)), "_a0_session");
        let sid = keys.for_logout("https://a/", Some("x"), None);
        let sub = keys.for_logout("https://a/", None, Some("x"));
        assert_eq!(sid.len(), 1);
        assert_ne!(sid, sub);
        assert_ne!(sid, keys.for_logout("https://b/", Some("x"), None));
        assert_ne!(sid, other.for_logout("https://a/", Some("x"), None));
        assert!(keys.for_logout("https://a/", Some(""), None).is_empty());
        assert!(!sid[0].contains('x'));
        assert_eq!(format!("{keys:?}"), "IndexKeys([redacted])");
    }

    #[test]
    fn roll_interval_is_a_minute_or_one_percent() {
        let short = SessionLifetime {
            inactivity_secs: 600,
            absolute_secs: 6000,
        };
        assert_eq!(roll_interval(&short), 60);
        assert_eq!(roll_interval(&SessionLifetime::default()), 864);
    }
}
