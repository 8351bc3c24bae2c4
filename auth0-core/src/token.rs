//! The token endpoint: requests (RFC 6749 4.1.3, 6) and its reply (RFC 6749 5.1).

use rand::CryptoRng;
use serde::Deserialize;
use serde_json::Value;

use crate::client_auth::authenticated_post;
use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::{Error, Result};
use crate::oauth_http::read_json_reply;
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// An authenticated POST of `form` to the provider's token endpoint (code exchange or refresh).
pub(crate) fn token_request<R: CryptoRng + ?Sized>(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    form: &[(&str, &str)],
    now: u64,
    rng: &mut R,
) -> Result<http::Request<Vec<u8>>> {
    let endpoint = metadata.token_endpoint.as_str();
    authenticated_post(config, endpoint, &metadata.issuer, form, now, rng)
}

/// A successful token endpoint reply.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: AccessToken,
    /// The token type (`Bearer`).
    #[serde(default)]
    pub token_type: Option<String>,
    /// The ID token; required after an authorization code grant with `openid`.
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// A refresh token, when granted.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// Lifetime of the access token in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The access token's scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// Granted Rich Authorization Request details (RFC 9396 section 7).
    #[serde(default)]
    pub authorization_details: Option<Value>,
}

impl TokenResponse {
    /// Reads a token endpoint reply.
    pub fn from_response(response: &http::Response<Vec<u8>>) -> Result<Self> {
        let reply: Self = read_json_reply("token", response, &[200])?;
        if reply.access_token.expose().is_empty() {
            return Err(Error::invalid_response(
                "token",
                "the access_token is empty",
            ));
        }
        if let Some(kind) = &reply.token_type {
            if !kind.eq_ignore_ascii_case("bearer") && !kind.eq_ignore_ascii_case("dpop") {
                return Err(Error::invalid_response(
                    "token",
                    "the token_type is not Bearer",
                ));
            }
        }
        if reply
            .authorization_details
            .as_ref()
            .is_some_and(|d| !d.is_array())
        {
            return Err(Error::invalid_response(
                "token",
                "authorization_details is not an array",
            ));
        }
        Ok(reply)
    }

    /// When the access token expires; a reply without `expires_in` counts as one hour.
    pub fn expires_at(&self, now: u64) -> u64 {
        now.saturating_add(self.expires_in.unwrap_or(3600))
    }
}
