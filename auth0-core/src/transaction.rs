//! The transaction: what a started login must remember until its callback.
//!
//! A transaction is keyed by its `state`, so logins started in several tabs complete
//! independently. It is sealed before it leaves the server, expires, and is consumed once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::secret::{CodeVerifier, Nonce, State};

/// A login waiting for its callback. Field names follow the Python SDK's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub(crate) state: State,
    pub(crate) code_verifier: CodeVerifier,
    pub(crate) nonce: Nonce,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) app_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) audience: Option<String>,
    pub(crate) redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organization: Option<String>,
    /// The issuer the login was started with (the Python SDK's `domain`).
    pub(crate) domain: String,
    pub(crate) created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_age: Option<u64>,
}

impl Transaction {
    /// The `state` this transaction answers to.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The `nonce` the ID token must carry.
    pub fn nonce(&self) -> &Nonce {
        &self.nonce
    }

    /// The store key of this transaction; see [`transaction_key`].
    pub fn key(&self) -> String {
        transaction_key(self.state.expose())
    }

    /// The app's state given when the login started.
    pub fn app_state(&self) -> Option<&Value> {
        self.app_state.as_ref()
    }

    /// When the login started (Unix seconds).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }

    /// Whether the transaction is older than `ttl_secs` at `now`.
    pub fn is_expired(&self, now: u64, ttl_secs: u64) -> bool {
        now.saturating_sub(self.created_at) > ttl_secs || self.created_at > now + ttl_secs
    }
}

/// The store key for a `state`: a short digest, so the state itself never becomes a cookie
/// name or a log field.
pub fn transaction_key(state: &str) -> String {
    let digest = Sha256::digest(state.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_stable_digests() {
        let key = transaction_key("some-state");
        assert_eq!(key.len(), 16);
        assert_eq!(key, transaction_key("some-state"));
        assert_ne!(key, transaction_key("some-statf"));
        assert!(!key.contains("some"));
    }

    #[test]
    fn expiry_counts_from_creation() {
        let tx = Transaction {
            state: State::new("s"),
            code_verifier: CodeVerifier::new("v"),
            nonce: Nonce::new("n"),
            app_state: None,
            audience: None,
            redirect_uri: "https://app.test/cb".into(),
            organization: None,
            domain: "https://t.test/".into(),
            created_at: 1_000,
            max_age: None,
        };
        assert!(!tx.is_expired(1_000 + 3_600, 3_600));
        assert!(tx.is_expired(1_000 + 3_601, 3_600));
        // A record from far in the future (a skewed or forged clock) is expired too.
        assert!(tx.is_expired(0, 100));
    }
}
