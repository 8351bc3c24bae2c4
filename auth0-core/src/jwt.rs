//! Verification of compact JWS tokens (RFC 7515 section 7.1, RFC 7519 section 7.2), shared by
//! ID tokens and back-channel logout tokens, plus the claim checks both need.
//!
//! The order is fixed and cheap checks come first: size, shape, base64, header, algorithm
//! allow-list, key choice, signature, and only then the claims JSON. Untrusted claims are never
//! parsed before their signature has been verified.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de::IgnoredAny};
use serde_json::{Map, Value};
use tracing::trace;

use crate::error::TokenValidationError;
use crate::jose::{self, Algorithm};
use crate::jwks::JwkSet;
use crate::secret::ClientSecret;

/// The largest token accepted, in bytes; longer input is refused as malformed before any
/// decoding, so hostile input cannot make the SDK allocate or hash much.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// How to verify a token's signature.
#[derive(Debug, Clone, Copy)]
pub struct VerificationKeys<'a> {
    /// The provider's key set, for every asymmetric algorithm.
    pub keys: &'a JwkSet,
    /// The algorithms the caller accepts; anything else (and `none`, always) is refused.
    pub allowed: &'a [Algorithm],
    /// The client secret, the only key HS256 is ever verified with (OIDC Core 10.1).
    pub client_secret: Option<&'a ClientSecret>,
}

/// The JOSE header members a caller may need after verification (RFC 7515 section 4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
}

impl JwsHeader {
    /// The algorithm the token was signed with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id that picked the verifying key, if the token named one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The media type of the token (`JWT`, `logout+jwt`, ...), for explicit typing checks.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }
}

/// A token whose signature verified: its header and its claims, not yet checked.
#[derive(Clone)]
pub struct VerifiedJwt {
    header: JwsHeader,
    claims: Map<String, Value>,
}

impl VerifiedJwt {
    /// The token's header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The token's claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes the claims out.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }
}

impl fmt::Debug for VerifiedJwt {
    /// Prints the claim names only: claim values may hold a nonce or personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedJwt")
            .field("header", &self.header)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Verifies a compact JWS and returns its header and claims.
///
/// Refuses, with the matching [`TokenValidationError`]: input over [`MAX_TOKEN_LEN`], anything
/// but three base64url parts with a JSON header and a JSON object payload, a `crit` header (we
/// implement no extension, RFC 7515 section 4.1.11), `alg: none` or any algorithm not in
/// `keys.allowed`, a key that cannot be chosen or does not fit the algorithm, and a bad
/// signature. Objects with a repeated member name are malformed, so that no two parsers can
/// read different claims from one token.
pub fn verify_jwt(
    token: &str,
    keys: &VerificationKeys<'_>,
) -> Result<VerifiedJwt, TokenValidationError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenValidationError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenValidationError::Malformed);
    };
    let header_json = decode(header_b64)?;
    let payload_json = decode(payload_b64)?;
    let signature = decode(signature_b64)?;

    let header: RawHeader =
        serde_json::from_slice(&header_json).map_err(|_| TokenValidationError::Malformed)?;
    let alg = header
        .alg
        .parse::<Algorithm>()
        .map_err(|_| not_allowed_name(&header.alg))?;
    if header.crit.is_some() {
        return Err(TokenValidationError::Malformed);
    }
    if !keys.allowed.contains(&alg) {
        return Err(TokenValidationError::AlgorithmNotAllowed(alg.to_string()));
    }

    let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    if alg == Algorithm::HS256 {
        let Some(secret) = keys.client_secret else {
            return Err(TokenValidationError::AlgorithmNotAllowed(alg.to_string()));
        };
        jose::verify_hs256(secret, signing_input, &signature)?;
    } else {
        let key = keys.keys.select(header.kid.as_deref(), alg)?;
        key.verify(alg, signing_input, &signature)?;
    }
    trace!(%alg, "token signature verified");

    let claims = serde_json::from_slice::<UniqueKeys>(&payload_json)
        .map_err(|_| TokenValidationError::Malformed)?
        .0;
    Ok(VerifiedJwt {
        header: JwsHeader {
            alg,
            kid: header.kid,
            typ: header.typ,
        },
        claims,
    })
}

/// Reads a required string claim.
pub(crate) fn required_str<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, TokenValidationError> {
    match claims.get(name) {
        Some(Value::String(value)) => Ok(value),
        _ => Err(TokenValidationError::MissingClaim(name)),
    }
}

/// Reads an optional NumericDate claim (RFC 7519 section 2): whole or fractional seconds,
/// rounded down; a present claim of another type or a negative value is invalid.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<u64>, TokenValidationError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(TokenValidationError::MissingClaim(name));
    };
    if let Some(seconds) = number.as_u64() {
        return Ok(Some(seconds));
    }
    match number.as_f64() {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked"
        )]
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 && seconds < u64::MAX as f64 => {
            Ok(Some(seconds.floor() as u64))
        }
        _ => Err(TokenValidationError::MissingClaim(name)),
    }
}

/// Checks `iss` against the provider's issuer, exactly (OIDC Core 3.1.3.7 step 2).
pub(crate) fn check_issuer(
    claims: &Map<String, Value>,
    issuer: &str,
) -> Result<(), TokenValidationError> {
    if required_str(claims, "iss")? == issuer {
        Ok(())
    } else {
        Err(TokenValidationError::IssuerMismatch)
    }
}

/// Checks that `aud` (a string or an array of strings) contains the client id, returning how
/// many audiences the token has (OIDC Core 3.1.3.7 step 3).
pub(crate) fn check_audience(
    claims: &Map<String, Value>,
    client_id: &str,
) -> Result<usize, TokenValidationError> {
    match claims.get("aud") {
        Some(Value::String(aud)) if aud == client_id => Ok(1),
        Some(Value::String(_)) => Err(TokenValidationError::AudienceMismatch),
        Some(Value::Array(auds)) => {
            let mut found = false;
            for aud in auds {
                match aud {
                    Value::String(aud) => found |= aud == client_id,
                    _ => return Err(TokenValidationError::MissingClaim("aud")),
                }
            }
            if found {
                Ok(auds.len())
            } else {
                Err(TokenValidationError::AudienceMismatch)
            }
        }
        _ => Err(TokenValidationError::MissingClaim("aud")),
    }
}

/// Decodes one part of a compact JWS: base64url without padding, canonical trailing bits.
fn decode(part: &str) -> Result<Vec<u8>, TokenValidationError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenValidationError::Malformed)
}

/// The error for an `alg` we do not know, naming it only if it is short and plain, so that
/// hostile header content cannot reach logs through the error message.
fn not_allowed_name(name: &str) -> TokenValidationError {
    let plain = name.len() <= 16
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+'));
    TokenValidationError::AlgorithmNotAllowed(if plain { name } else { "unsupported" }.to_owned())
}

/// The header members we read; serde refuses a repeated member or a wrongly typed one.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A JSON object read strictly: a member name that appears twice is an error.
struct UniqueKeys(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Map<String, Value>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = Map::new();
                while let Some((name, value)) = access.next_entry::<String, Value>()? {
                    if map.insert(name, value).is_some() {
                        return Err(de::Error::custom("repeated member name"));
                    }
                }
                Ok(map)
            }
        }

        deserializer.deserialize_map(ObjectVisitor).map(Self)
    }
}

#[cfg(test)]
mod tests;
