//! JOSE building blocks: the signing algorithms we accept (RFC 7518 section 3), verification
//! keys built from JWKs (RFC 7517), HS256 with the client secret, and the signer of
//! `private_key_jwt` client assertions (RFC 7523).
//!
//! Key-type confusion is ruled out by construction: every [`Algorithm`] names the one
//! [`KeyKind`] it needs, a [`VerifyingKey`] only holds verifiers for algorithms of its own kind
//! (and of its JWK `alg`, when it has one), and HS256 is only ever checked with the client
//! secret, never with a key from a key set.

use std::fmt;
use std::str::FromStr;

use josekit::jwk::Jwk;
use josekit::jws::{self, JwsSigner, JwsVerifier};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::error::{Error, TokenValidationError};
use crate::secret::ClientSecret;

/// A JWS signing algorithm this SDK can verify (RFC 7518 section 3.1, RFC 8037 for EdDSA).
///
/// `none` and every other registered name do not parse, so they can never be allowed.
#[allow(
    clippy::upper_case_acronyms,
    reason = "the names of the JWA registry, as on the wire"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, the OIDC default.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// Ed25519 signatures (RFC 8037).
    EdDSA,
    /// HMAC with SHA-256, keyed with the client secret (OIDC Core 10.1).
    HS256,
}

/// The kind of key an [`Algorithm`] needs; a key verifies only algorithms of its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// An RSA public key (`kty: RSA`) of 2048 bits or more.
    Rsa,
    /// An EC public key on P-256 (`kty: EC`, `crv: P-256`).
    EcP256,
    /// An EC public key on P-384.
    EcP384,
    /// An EC public key on P-521.
    EcP521,
    /// An Ed25519 public key (`kty: OKP`, `crv: Ed25519`).
    Ed25519,
    /// A shared secret: only ever the client secret, never a key from a key set.
    Symmetric,
}

/// The error of parsing an algorithm name that is unsupported or forbidden (such as `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported signing algorithm")]
pub struct UnsupportedAlgorithm;

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 11] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
        Self::HS256,
    ];

    /// The registered name, as in a JWS `alg` header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
            Self::HS256 => "HS256",
        }
    }

    /// The kind of key that verifies this algorithm.
    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::RS256 | Self::RS384 | Self::RS512 => KeyKind::Rsa,
            Self::PS256 | Self::PS384 | Self::PS512 => KeyKind::Rsa,
            Self::ES256 => KeyKind::EcP256,
            Self::ES384 => KeyKind::EcP384,
            Self::ES512 => KeyKind::EcP521,
            Self::EdDSA => KeyKind::Ed25519,
            Self::HS256 => KeyKind::Symmetric,
        }
    }

    fn verifier(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
        Ok(match self {
            Self::RS256 => Box::new(jws::RS256.verifier_from_jwk(jwk)?),
            Self::RS384 => Box::new(jws::RS384.verifier_from_jwk(jwk)?),
            Self::RS512 => Box::new(jws::RS512.verifier_from_jwk(jwk)?),
            Self::PS256 => Box::new(jws::PS256.verifier_from_jwk(jwk)?),
            Self::PS384 => Box::new(jws::PS384.verifier_from_jwk(jwk)?),
            Self::PS512 => Box::new(jws::PS512.verifier_from_jwk(jwk)?),
            Self::ES256 => Box::new(jws::ES256.verifier_from_jwk(jwk)?),
            Self::ES384 => Box::new(jws::ES384.verifier_from_jwk(jwk)?),
            Self::ES512 => Box::new(jws::ES512.verifier_from_jwk(jwk)?),
            Self::EdDSA => Box::new(jws::EdDSA.verifier_from_jwk(jwk)?),
            Self::HS256 => Box::new(jws::HS256.verifier_from_jwk(jwk)?),
        })
    }
}

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    /// Parses a registered name, case-sensitively as RFC 7515 section 4.1.1 requires.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or(UnsupportedAlgorithm)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl KeyKind {
    /// The JWK `kty` of this kind of key (RFC 7518 section 6.1, RFC 8037 section 2).
    pub fn kty(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::EcP256 | Self::EcP384 | Self::EcP521 => "EC",
            Self::Ed25519 => "OKP",
            Self::Symmetric => "oct",
        }
    }

    /// Reads the kind from a JWK's `kty` and `crv`; `None` for kinds we never verify with.
    fn of_jwk(jwk: &Jwk) -> Option<Self> {
        match (jwk.key_type(), jwk.curve()) {
            ("RSA", _) => Some(Self::Rsa),
            ("EC", Some("P-256")) => Some(Self::EcP256),
            ("EC", Some("P-384")) => Some(Self::EcP384),
            ("EC", Some("P-521")) => Some(Self::EcP521),
            ("OKP", Some("Ed25519")) => Some(Self::Ed25519),
            _ => None,
        }
    }
}

/// A provider's public key from its JWK Set, ready to verify signatures.
///
/// The openssl key objects are built once, when the key set is parsed, for every algorithm the
/// key may verify: checking a token then costs one signature verification and nothing more.
pub struct VerifyingKey {
    kid: Option<String>,
    kind: KeyKind,
    alg: Option<Algorithm>,
    key_use: Option<String>,
    verifiers: Vec<(Algorithm, Box<dyn JwsVerifier>)>,
}

impl VerifyingKey {
    /// Builds a key from one JWK (RFC 7517 section 4), refusing any key that is not a public
    /// signature key of a supported kind.
    ///
    /// Refused: `use` other than `sig`, `key_ops` without `verify`, an `alg` we do not support
    /// or that does not fit the key type, symmetric (`oct`) keys, unknown `kty` or `crv`, RSA
    /// keys under 2048 bits, and broken key material. The error says which, never the key.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, Error> {
        let unusable = |reason: &'static str| Error::invalid_response("jwks", reason);
        let jwk = Jwk::from_map(jwk.clone()).map_err(|_| unusable("a key is not a valid JWK"))?;

        if jwk.key_use().is_some_and(|key_use| key_use != "sig") {
            return Err(unusable("a key is not meant for signatures"));
        }
        if !jwk.is_for_key_operation("verify") {
            return Err(unusable("a key's key_ops exclude verify"));
        }
        let kind =
            KeyKind::of_jwk(&jwk).ok_or_else(|| unusable("a key has an unsupported type"))?;
        let alg = match jwk.algorithm() {
            None => None,
            Some(name) => match name.parse::<Algorithm>() {
                Ok(alg) if alg.key_kind() == kind => Some(alg),
                Ok(_) => return Err(unusable("a key's alg does not fit its type")),
                Err(UnsupportedAlgorithm) => return Err(unusable("a key has an unsupported alg")),
            },
        };

        let mut verifiers = Vec::new();
        for candidate in Algorithm::ALL {
            if candidate.key_kind() == kind && alg.is_none_or(|alg| alg == candidate) {
                let verifier = candidate
                    .verifier(&jwk)
                    .map_err(|_| unusable("a key's material is invalid or too weak"))?;
                verifiers.push((candidate, verifier));
            }
        }

        Ok(Self {
            kid: jwk.key_id().map(str::to_owned),
            kind,
            alg,
            key_use: jwk.key_use().map(str::to_owned),
            verifiers,
        })
    }

    /// The key id (`kid`) tokens name this key by, if the provider gave one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The kind of key, which decides the algorithms it can verify.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWK `kty`.
    pub fn kty(&self) -> &'static str {
        self.kind.kty()
    }

    /// The JWK `alg`: when present, the only algorithm this key verifies (RFC 7517 4.4).
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The JWK `use`, which is `sig` when present.
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// Whether this key may verify a token signed with `alg`.
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.verifiers
            .iter()
            .any(|(candidate, _)| *candidate == alg)
    }

    /// Checks `signature` over `message` (the JWS signing input) with `alg`.
    ///
    /// An `alg` that does not fit this key is refused before any cryptography runs.
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), TokenValidationError> {
        let Some((_, verifier)) = self
            .verifiers
            .iter()
            .find(|(candidate, _)| *candidate == alg)
        else {
            return Err(TokenValidationError::AlgorithmNotAllowed(
                alg.as_str().to_owned(),
            ));
        };
        verifier
            .verify(message, signature)
            .map_err(|_| TokenValidationError::InvalidSignature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Checks an HS256 signature keyed with the client secret's UTF-8 bytes (OIDC Core 10.1).
///
/// The MAC is recomputed and compared in constant time. A secret shorter than the 32 bytes
/// RFC 7518 section 3.2 demands cannot key HS256, so the algorithm is refused.
pub(crate) fn verify_hs256(
    secret: &ClientSecret,
    message: &[u8],
    signature: &[u8],
) -> Result<(), TokenValidationError> {
    let not_allowed = || TokenValidationError::AlgorithmNotAllowed(Algorithm::HS256.to_string());
    let signer = jws::HS256
        .signer_from_bytes(secret.expose().as_bytes())
        .map_err(|_| not_allowed())?;
    let expected = signer
        .sign(message)
        .map_err(|_| TokenValidationError::InvalidSignature)?;
    if bool::from(expected.ct_eq(signature)) {
        Ok(())
    } else {
        Err(TokenValidationError::InvalidSignature)
    }
}

mod signing;

pub use signing::SigningKey;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
