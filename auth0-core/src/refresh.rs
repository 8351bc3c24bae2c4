//! Access tokens for the app: picking a stored token set, and refreshing (RFC 6749 section 6)
//! when none is fresh enough.
//!
//! ```text
//! AccessTokenRequest::select(session) ─┬─► Fresh(token set)        (no network)
//!                                      └─► refresh_request(...) ──► AwaitingRefresh
//!                                              send request(), then apply(reply) ──► updated session
//! ```

use std::collections::BTreeSet;

use rand::CryptoRng;

use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::{Error, Result, TokenValidationError};
use crate::id_token::{IdTokenExpectations, validate_id_token};
use crate::jwks::JwkSet;
use crate::secret::AccessToken;
use crate::session::{DEFAULT_AUDIENCE, SessionData, TokenSet};
use crate::token::{TokenResponse, token_request};

/// A token that expires within this many seconds is refreshed first (default 60).
pub const DEFAULT_EXPIRY_BUFFER_SECS: u64 = 60;

/// What access token the app needs: the seed's `get_access_token` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessTokenRequest {
    audience: Option<String>,
    scope: Option<String>,
}

/// An access token handed to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenResult {
    /// The access token.
    pub access_token: AccessToken,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
    /// Its scope, when known.
    pub scope: Option<String>,
    /// Its audience ([`DEFAULT_AUDIENCE`] when none was requested).
    pub audience: String,
}

impl AccessTokenRequest {
    /// The token of the login's audience and scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token for this API audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// A token carrying at least these scopes (space-separated).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// This request with the client's configured audience when it names none: the login's
    /// token is stored under that audience, so that is what "no audience" means.
    pub fn or_default_audience(mut self, config: &ClientConfig) -> Self {
        if self.audience.is_none() {
            self.audience = config.authorization_params().audience.clone();
        }
        self
    }

    /// The audience name token sets are stored under.
    pub fn audience_key(&self) -> &str {
        self.audience.as_deref().unwrap_or(DEFAULT_AUDIENCE)
    }

    /// The stored token set to use: of this audience, holding every requested scope, valid
    /// for at least `buffer_secs`, and of those the one with the fewest scopes.
    pub fn select<'s>(
        &self,
        session: &'s SessionData,
        now: u64,
        buffer_secs: u64,
    ) -> Option<&'s TokenSet> {
        let wanted = scope_set(self.scope.as_deref());
        session
            .token_sets
            .iter()
            .filter(|set| set.audience == self.audience_key())
            .filter(|set| set.expires_at > now.saturating_add(buffer_secs))
            .filter(|set| wanted.is_subset(&scope_set(set.scope.as_deref())))
            .min_by_key(|set| scope_set(set.scope.as_deref()).len())
    }

    /// The refresh token request for this session, or `missing_refresh_token` when the
    /// session has none (no request is built, nothing is sent).
    pub fn refresh_request<R: CryptoRng + ?Sized>(
        &self,
        config: &ClientConfig,
        metadata: &ProviderMetadata,
        session: &SessionData,
        now: u64,
        rng: &mut R,
    ) -> Result<AwaitingRefresh> {
        let refresh_token = session
            .refresh_token
            .as_ref()
            .ok_or(Error::MissingRefreshToken)?;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        if let Some(audience) = &self.audience {
            form.push(("audience", audience));
        }
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let request = token_request(config, metadata, &form, now, rng)?;
        Ok(AwaitingRefresh {
            request,
            wanted: self.clone(),
        })
    }
}

/// A refresh waiting for the token endpoint's reply.
#[derive(Debug)]
pub struct AwaitingRefresh {
    request: http::Request<Vec<u8>>,
    wanted: AccessTokenRequest,
}

impl AwaitingRefresh {
    /// The authenticated POST to the token endpoint.
    pub fn request(&self) -> http::Request<Vec<u8>> {
        self.request.clone()
    }

    /// Reads the reply. Apply it to the session with [`RefreshReceived::apply`].
    pub fn receive(self, response: &http::Response<Vec<u8>>) -> Result<RefreshReceived> {
        let tokens = TokenResponse::from_response(response)?;
        Ok(RefreshReceived {
            tokens,
            wanted: self.wanted,
        })
    }
}

/// A successful refresh reply, not yet applied to a session.
#[derive(Debug, Clone)]
pub struct RefreshReceived {
    tokens: TokenResponse,
    wanted: AccessTokenRequest,
}

impl RefreshReceived {
    /// Whether the reply carries a new ID token, which must then be validated with keys.
    pub fn has_id_token(&self) -> bool {
        self.tokens.id_token.is_some()
    }

    /// Applies the reply to `session`: the token set for the requested audience and scope is
    /// replaced, a rotated refresh token is kept, and a new ID token (validated here, without
    /// a nonce, and required to name the same `sub`: OIDC Core 12.2) replaces the old one
    /// and its user claims. A reply without an ID token leaves the user and ID token as they
    /// were.
    pub fn apply(
        &self,
        config: &ClientConfig,
        metadata: &ProviderMetadata,
        keys: &JwkSet,
        session: &mut SessionData,
        now: u64,
    ) -> Result<AccessTokenResult> {
        let tokens = &self.tokens;
        if let Some(id_token) = &tokens.id_token {
            let expectations = IdTokenExpectations::for_client(config, metadata, None, None, now);
            let claims = validate_id_token(id_token.expose(), keys, &expectations)
                .map_err(Error::IdTokenValidation)?;
            if session.sub().is_some_and(|sub| sub != claims.sub()) {
                return Err(Error::IdTokenValidation(
                    TokenValidationError::SubjectMismatch,
                ));
            }
            session.user = Some(claims.into_user_claims());
            session.id_token = Some(id_token.clone());
        }
        if let Some(rotated) = &tokens.refresh_token {
            session.refresh_token = Some(rotated.clone());
        }

        let audience = self.wanted.audience_key().to_owned();
        let scope = tokens.scope.clone().or_else(|| self.wanted.scope.clone());
        let set = TokenSet {
            audience: audience.clone(),
            access_token: tokens.access_token.clone(),
            scope: scope.clone(),
            expires_at: tokens.expires_at(now),
        };
        let same_slot = |existing: &TokenSet| {
            existing.audience == set.audience
                && scope_set(existing.scope.as_deref()) == scope_set(set.scope.as_deref())
        };
        match session
            .token_sets
            .iter_mut()
            .find(|existing| same_slot(existing))
        {
            Some(existing) => *existing = set.clone(),
            None => session.token_sets.push(set.clone()),
        }
        session.internal.updated_at = Some(now);
        Ok(AccessTokenResult {
            access_token: set.access_token,
            expires_at: set.expires_at,
            scope,
            audience,
        })
    }

    /// Whether `err` asks for a key set refetch before giving up.
    pub fn needs_key_refetch(err: &Error) -> bool {
        matches!(
            err,
            Error::IdTokenValidation(TokenValidationError::UnknownKey)
        )
    }
}

impl From<&TokenSet> for AccessTokenResult {
    fn from(set: &TokenSet) -> Self {
        Self {
            access_token: set.access_token.clone(),
            expires_at: set.expires_at,
            scope: set.scope.clone(),
            audience: set.audience.clone(),
        }
    }
}

fn scope_set(scope: Option<&str>) -> BTreeSet<&str> {
    scope.unwrap_or_default().split_whitespace().collect()
}

#[cfg(test)]
mod tests;
