//! The session record stored after a login. Field names are the Python SDK's (its
//! `StateData`), so sealed sessions move between the two SDKs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::{AccessToken, IdToken, RefreshToken};

/// The audience name of token sets requested without an audience.
pub const DEFAULT_AUDIENCE: &str = "default";

/// A signed-in user's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    /// The user's claims from the ID token.
    #[serde(default)]
    pub user: Option<Map<String, Value>>,
    /// The last ID token.
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// The refresh token, when the provider issued one.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// One access token per audience and scope.
    #[serde(default)]
    pub token_sets: Vec<TokenSet>,
    /// The issuer the session belongs to.
    #[serde(default)]
    pub domain: Option<String>,
    /// Token sets for upstream connections (the Python SDK's Token Vault records), kept
    /// as they are so that a session passed between the SDKs loses nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connection_token_sets: Vec<Value>,
    /// Bookkeeping the app does not see through `get_session`.
    pub internal: SessionInternal,
}

/// An access token with what it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The API audience, or [`DEFAULT_AUDIENCE`].
    pub audience: String,
    /// The access token.
    pub access_token: AccessToken,
    /// The granted scope, when the provider said.
    #[serde(default)]
    pub scope: Option<String>,
    /// When the access token expires (Unix seconds).
    pub expires_at: u64,
}

/// Session bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInternal {
    /// The provider's session id (`sid` of the ID token), for back-channel logout.
    #[serde(default)]
    pub sid: String,
    /// When the session was created (Unix seconds).
    pub created_at: u64,
    /// The upstream ceiling from the `session_expiry` claim (Unix seconds). Sealed as
    /// `session_expires_at`, the Python SDK's name, so both SDKs enforce each other's ceiling.
    #[serde(
        rename = "session_expires_at",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_expiry: Option<u64>,
    /// When the session was last written or extended (Unix seconds), for rolling expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<u64>,
}

/// How long sessions live: a rolling inactivity limit and an absolute cap, both further capped
/// by the provider's `session_expiry` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// Seconds of inactivity after which a session ends (default one day).
    pub inactivity_secs: u64,
    /// Seconds after login after which a session ends, however active (default three days).
    pub absolute_secs: u64,
}

impl Default for SessionLifetime {
    fn default() -> Self {
        Self {
            inactivity_secs: 24 * 3600,
            absolute_secs: 3 * 24 * 3600,
        }
    }
}

impl SessionLifetime {
    /// When the session ends if it is not used again after `last_active`.
    pub fn expires_at(&self, internal: &SessionInternal, last_active: u64) -> u64 {
        let rolling = last_active.saturating_add(self.inactivity_secs);
        let absolute = internal.created_at.saturating_add(self.absolute_secs);
        let ceiling = internal.session_expiry.unwrap_or(u64::MAX);
        rolling.min(absolute).min(ceiling)
    }

    /// Whether the session has ended at `now`.
    pub fn is_expired(&self, internal: &SessionInternal, now: u64) -> bool {
        let last_active = internal.updated_at.unwrap_or(internal.created_at);
        now >= self.expires_at(internal, last_active)
    }
}

impl SessionData {
    /// The user's `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.user.as_ref()?.get("sub")?.as_str()
    }

    /// The token set for `audience`, if any.
    pub fn token_set(&self, audience: &str) -> Option<&TokenSet> {
        self.token_sets.iter().find(|set| set.audience == audience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(created_at: u64, updated_at: Option<u64>, ceiling: Option<u64>) -> SessionInternal {
        SessionInternal {
            sid: String::new(),
            created_at,
            session_expiry: ceiling,
            updated_at,
        }
    }

    #[test]
    fn rolling_absolute_and_upstream_limits() {
        let lifetime = SessionLifetime {
            inactivity_secs: 100,
            absolute_secs: 1_000,
        };
        let fresh = internal(0, Some(0), None);
        assert!(!lifetime.is_expired(&fresh, 99));
        assert!(lifetime.is_expired(&fresh, 100));
        // Activity extends it, but never past the absolute cap.
        let active = internal(0, Some(950), None);
        assert!(!lifetime.is_expired(&active, 999));
        assert!(lifetime.is_expired(&active, 1_000));
        assert_eq!(lifetime.expires_at(&active, 950), 1_000);
        // The provider's session_expiry caps both.
        let capped = internal(0, Some(0), Some(50));
        assert!(lifetime.is_expired(&capped, 50));
        assert!(!lifetime.is_expired(&capped, 49));
        // Without updated_at, creation counts as the last activity.
        assert!(lifetime.is_expired(&internal(0, None, None), 100));
    }

    #[test]
    fn unknown_connection_token_sets_are_kept() {
        let json = serde_json::json!({
            "user": {"sub": "u"},
            "token_sets": [],
            "connection_token_sets": [{"connection": "google-oauth2", "access_token": "x"}],
            "internal": {"sid": "s", "created_at": 1}
        });
        let session: SessionData = serde_json::from_value(json.clone()).unwrap();
        let again = serde_json::to_value(&session).unwrap();
        assert_eq!(
            again["connection_token_sets"],
            json["connection_token_sets"]
        );
    }

    #[test]
    fn defaults_are_one_and_three_days() {
        let lifetime = SessionLifetime::default();
        assert_eq!(lifetime.inactivity_secs, 86_400);
        assert_eq!(lifetime.absolute_secs, 259_200);
    }
}
