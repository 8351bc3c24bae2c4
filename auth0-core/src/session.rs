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
    /// The upstream ceiling from the `session_expiry` claim (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expiry: Option<u64>,
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
