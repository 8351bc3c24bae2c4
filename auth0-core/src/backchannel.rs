//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): validating the logout token
//! the provider POSTs to the app.

use serde_json::Value;

use crate::error::TokenValidationError;
use crate::jose::Algorithm;
use crate::jwks::JwkSet;
use crate::jwt::{self, VerificationKeys};
use crate::secret::ClientSecret;

/// The `events` member a logout token must carry (section 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a logout token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct LogoutTokenExpectations<'a> {
    /// The issuer exactly as the discovery document spells it.
    pub issuer: &'a str,
    /// This client's id, which `aud` must contain.
    pub client_id: &'a str,
    /// Tolerated clock difference, in seconds.
    pub leeway_secs: u64,
    /// The current time, in Unix seconds.
    pub now: u64,
    /// How old `iat` may be, in seconds (logout tokens are meant to be used at once).
    pub max_age_secs: u64,
    /// Accepted signing algorithms.
    pub allowed: &'a [Algorithm],
    /// The client secret, for HS256.
    pub client_secret: Option<&'a ClientSecret>,
}

/// The claims of a valid logout token that say which sessions end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The provider session that ended, when given.
    pub sid: Option<String>,
    /// The user whose sessions ended, when given.
    pub sub: Option<String>,
    /// The token's unique id, to refuse replays.
    pub jti: String,
    /// When the token was issued.
    pub iat: u64,
}

/// Validates a logout token (section 2.6): signature, `iss`, `aud`, `iat`, the logout event,
/// `sid` or `sub`, no `nonce`, and a `jti` for replay detection (checked by the caller).
pub fn validate_logout_token(
    token: &str,
    keys: &JwkSet,
    expected: &LogoutTokenExpectations<'_>,
) -> Result<LogoutTokenClaims, TokenValidationError> {
    use TokenValidationError as E;

    let verification = VerificationKeys {
        keys,
        allowed: expected.allowed,
        client_secret: expected.client_secret,
    };
    let verified = jwt::verify_jwt(token, &verification)?;
    if let Some(typ) = verified.header().typ() {
        let typ = typ.to_ascii_lowercase();
        if typ != "logout+jwt" && typ != "application/logout+jwt" && typ != "jwt" {
            return Err(E::UnexpectedTokenType);
        }
    }
    let claims = verified.into_claims();

    jwt::check_issuer(&claims, expected.issuer)?;
    jwt::check_audience(&claims, expected.client_id)?;
    let iat = jwt::numeric_date(&claims, "iat")?.ok_or(E::MissingClaim("iat"))?;
    if iat > expected.now.saturating_add(expected.leeway_secs) {
        return Err(E::IssuedInFuture);
    }
    if expected.now
        > iat
            .saturating_add(expected.max_age_secs)
            .saturating_add(expected.leeway_secs)
    {
        return Err(E::Expired);
    }
    if jwt::numeric_date(&claims, "exp")?
        .is_some_and(|exp| expected.now >= exp.saturating_add(expected.leeway_secs))
    {
        return Err(E::Expired);
    }
    match claims
        .get("events")
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
    {
        Some(Value::Object(_)) => {}
        _ => {
            return Err(E::InvalidLogoutToken(
                "the back-channel logout event is missing",
            ));
        }
    }
    if claims.contains_key("nonce") {
        return Err(E::InvalidLogoutToken(
            "a logout token must not carry a nonce",
        ));
    }
    let text = |name: &'static str| -> Result<Option<String>, TokenValidationError> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::String(value)) if !value.is_empty() => Ok(Some(value.clone())),
            Some(_) => Err(E::MissingClaim(name)),
        }
    };
    let sid = text("sid")?;
    let sub = text("sub")?;
    if sid.is_none() && sub.is_none() {
        return Err(E::InvalidLogoutToken("neither sid nor sub is present"));
    }
    let jti = text("jti")?.ok_or(E::MissingClaim("jti"))?;
    Ok(LogoutTokenClaims {
        iss: expected.issuer.to_owned(),
        sid,
        sub,
        jti,
        iat,
    })
}

#[cfg(test)]
mod tests;
