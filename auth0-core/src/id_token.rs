//! ID token validation (OpenID Connect Core 1.0 section 3.1.3.7) and the validated claims.
//!
//! Decisions where the spec leaves room, all on the strict side:
//! - `azp`: when present it must equal the client id; when `aud` holds several audiences it is
//!   required, and its absence is [`MissingClaim("azp")`](TokenValidationError::MissingClaim).
//! - `nonce`: when one is expected, an absent or non-string `nonce` is a
//!   [`NonceMismatch`](TokenValidationError::NonceMismatch), like a different one, so callers
//!   match a single variant for this replay defence. Without an expected nonce (a refreshed ID
//!   token, OIDC Core 12.2) the claim is not looked at.
//! - `exp`, `iat` and `sub` are required; `nbf` and `auth_time` are checked when present, and
//!   `auth_time` is required when a `max_age` was requested.

use std::fmt;

use serde_json::{Map, Value};
use tracing::debug;

use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::TokenValidationError;
use crate::jose::Algorithm;
use crate::jwks::JwkSet;
use crate::jwt::{self, VerificationKeys};
use crate::secret::{ClientSecret, Nonce};

/// What an ID token must satisfy; everything comes from the configuration and the transaction.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenExpectations<'a> {
    /// The issuer exactly as the discovery document spells it.
    pub issuer: &'a str,
    /// This client's id, which `aud` must contain.
    pub client_id: &'a str,
    /// The transaction's nonce; `None` skips the check (refreshed ID tokens carry none).
    pub nonce: Option<&'a Nonce>,
    /// The `max_age` sent with the authorization request, in seconds.
    pub max_age: Option<u64>,
    /// Tolerated clock difference with the provider, in seconds.
    pub leeway_secs: u64,
    /// The current time, in Unix seconds.
    pub now: u64,
    /// Accepted signing algorithms; `none` can never be among them.
    pub allowed: &'a [Algorithm],
    /// The client secret, needed to verify HS256 tokens.
    pub client_secret: Option<&'a ClientSecret>,
}

impl<'a> IdTokenExpectations<'a> {
    /// The expectations of this client for tokens from this provider: its issuer, client id,
    /// algorithms, leeway and (for HS256) client secret, with the transaction's `nonce` and
    /// `max_age` when there is one.
    pub fn for_client(
        config: &'a ClientConfig,
        metadata: &'a ProviderMetadata,
        nonce: Option<&'a Nonce>,
        max_age: Option<u64>,
        now: u64,
    ) -> Self {
        Self {
            issuer: &metadata.issuer,
            client_id: config.client_id(),
            nonce,
            max_age,
            leeway_secs: config.leeway().as_secs(),
            now,
            allowed: config.id_token_algs(),
            client_secret: config.client_auth().client_secret(),
        }
    }
}

/// Claims that bind an ID token to its request and say nothing about the user.
const TRANSIENT_CLAIMS: [&str; 3] = ["nonce", "at_hash", "c_hash"];

impl IdTokenClaims {
    /// The claims to keep as the session's user: all but the request-binding ones.
    pub fn into_user_claims(self) -> Map<String, Value> {
        let mut user = self.into_map();
        for claim in TRANSIENT_CLAIMS {
            user.remove(claim);
        }
        user
    }
}

/// Validates an ID token and returns its claims.
///
/// The signature is checked first (HS256 only with a client secret and when allowed), then
/// `iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `nbf`, `nonce` and `auth_time`, in the order of
/// OIDC Core 3.1.3.7. The first failed check is the error.
pub fn validate_id_token(
    token: &str,
    keys: &JwkSet,
    expected: &IdTokenExpectations<'_>,
) -> Result<IdTokenClaims, TokenValidationError> {
    let verification = VerificationKeys {
        keys,
        allowed: expected.allowed,
        client_secret: expected.client_secret,
    };
    let claims = jwt::verify_jwt(token, &verification)
        .and_then(refuse_logout_tokens)
        .and_then(|verified| check_claims(verified.into_claims(), expected))
        .inspect_err(|err| debug!(code = err.code(), "ID token refused"))?;
    Ok(claims)
}

/// A logout token is signed by the same keys: never take one for an ID token (Back-Channel
/// Logout 1.0 section 2.4 gives it `typ: logout+jwt` for this reason).
fn refuse_logout_tokens(
    verified: jwt::VerifiedJwt,
) -> Result<jwt::VerifiedJwt, TokenValidationError> {
    let is_logout = verified.header().typ().is_some_and(|typ| {
        let typ = typ.to_ascii_lowercase();
        typ == "logout+jwt" || typ == "application/logout+jwt"
    });
    if is_logout || verified.claims().contains_key("events") {
        return Err(TokenValidationError::UnexpectedTokenType);
    }
    Ok(verified)
}

fn check_claims(
    claims: Map<String, Value>,
    expected: &IdTokenExpectations<'_>,
) -> Result<IdTokenClaims, TokenValidationError> {
    use TokenValidationError as E;

    jwt::check_issuer(&claims, expected.issuer)?;
    if jwt::required_str(&claims, "sub")?.is_empty() {
        return Err(E::MissingClaim("sub"));
    }

    let audiences = jwt::check_audience(&claims, expected.client_id)?;
    match claims.get("azp") {
        None if audiences > 1 => return Err(E::MissingClaim("azp")),
        None => {}
        Some(Value::String(azp)) if azp == expected.client_id => {}
        Some(Value::String(_)) => return Err(E::AuthorizedPartyMismatch),
        Some(_) => return Err(E::MissingClaim("azp")),
    }

    let now = expected.now;
    let leeway = expected.leeway_secs;
    let exp = jwt::numeric_date(&claims, "exp")?.ok_or(E::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(E::Expired);
    }
    let iat = jwt::numeric_date(&claims, "iat")?.ok_or(E::MissingClaim("iat"))?;
    if iat > now.saturating_add(leeway) {
        return Err(E::IssuedInFuture);
    }
    if jwt::numeric_date(&claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(E::NotYetValid);
    }

    if let Some(nonce) = expected.nonce {
        match claims.get("nonce") {
            Some(Value::String(value)) if nonce.matches(value) => {}
            _ => return Err(E::NonceMismatch),
        }
    }

    let auth_time = jwt::numeric_date(&claims, "auth_time")?;
    if let Some(max_age) = expected.max_age {
        let auth_time = auth_time.ok_or(E::MissingClaim("auth_time"))?;
        if now > auth_time.saturating_add(max_age).saturating_add(leeway) {
            return Err(E::AuthTimeTooOld);
        }
    }

    Ok(IdTokenClaims {
        claims,
        exp,
        iat,
        auth_time,
    })
}

/// The claims of a validated ID token.
///
/// `sub`, `exp` and `iat` are guaranteed present; the whole map is kept for the session's
/// `user` record. `Debug` prints claim names only.
#[derive(Clone, PartialEq)]
pub struct IdTokenClaims {
    claims: Map<String, Value>,
    exp: u64,
    iat: u64,
    auth_time: Option<u64>,
}

impl IdTokenClaims {
    /// The subject: the user's id at the provider.
    pub fn sub(&self) -> &str {
        self.get_str("sub").unwrap_or_default()
    }

    /// The provider's session id, used to match back-channel logout tokens.
    pub fn sid(&self) -> Option<&str> {
        self.get_str("sid")
    }

    /// Auth0's organization id (`org_...`), present when the login was for an organization.
    pub fn org_id(&self) -> Option<&str> {
        self.get_str("org_id")
    }

    /// Auth0's organization name, present when the login used one by name.
    pub fn org_name(&self) -> Option<&str> {
        self.get_str("org_name")
    }

    /// When the token expires, in Unix seconds.
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// When the token was issued, in Unix seconds.
    pub fn iat(&self) -> u64 {
        self.iat
    }

    /// When the user last authenticated, in Unix seconds.
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }

    /// Auth0's `session_expiry`: an upstream ceiling on the session's life, in Unix seconds.
    pub fn session_expiry(&self) -> Option<u64> {
        jwt::numeric_date(&self.claims, "session_expiry")
            .ok()
            .flatten()
    }

    /// Any claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// A claim by name, when it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes all claims out, for the session's `user` record.
    pub fn into_map(self) -> Map<String, Value> {
        self.claims
    }
}

impl fmt::Debug for IdTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenClaims")
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
