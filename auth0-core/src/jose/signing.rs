//! The signer of `private_key_jwt` client assertions (RFC 7523 section 2.2).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{self, JwsSigner};
use serde_json::{Map, Value};

use super::Algorithm;
use crate::error::Error;
use crate::secret::PrivateKeyPem;

/// A private key that signs `private_key_jwt` client assertions (RFC 7523 section 2.2).
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    kid: Option<String>,
    signer: Box<dyn JwsSigner>,
}

impl SigningKey {
    /// Loads a PEM private key (PKCS#8, or PKCS#1 / SEC1) for RS256, PS256 or ES256.
    ///
    /// RSA keys must have 2048 bits or more; an ES256 key must be on P-256.
    pub fn from_pem(
        pem: &PrivateKeyPem,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Result<Self, Error> {
        let invalid = |_| Error::configuration(format!("the private key is not a valid {alg} key"));
        let pem = pem.expose().as_bytes();
        let signer: Box<dyn JwsSigner> = match alg {
            Algorithm::RS256 => Box::new(jws::RS256.signer_from_pem(pem).map_err(invalid)?),
            Algorithm::PS256 => Box::new(pss_signer(pem).map_err(invalid)?),
            Algorithm::ES256 => Box::new(jws::ES256.signer_from_pem(pem).map_err(invalid)?),
            _ => {
                return Err(Error::configuration(
                    "private_key_jwt supports RS256, PS256 and ES256 only",
                ));
            }
        };
        Ok(Self { alg, kid, signer })
    }

    /// The algorithm assertions are signed with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The `kid` put in the assertion header, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Signs `claims` as a compact JWS with header `{alg, typ: JWT, kid?}`.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, Error> {
        let mut header = Map::new();
        header.insert("alg".into(), self.alg.as_str().into());
        header.insert("typ".into(), "JWT".into());
        if let Some(kid) = &self.kid {
            header.insert("kid".into(), kid.as_str().into());
        }
        let encode = |map: &Map<String, Value>| {
            serde_json::to_vec(map)
                .map(|json| URL_SAFE_NO_PAD.encode(json))
                .map_err(|_| Error::configuration("the client assertion cannot be serialized"))
        };
        let mut token = encode(&header)?;
        token.push('.');
        token.push_str(&encode(claims)?);

        let signature = self
            .signer
            .sign(token.as_bytes())
            .map_err(|_| Error::configuration("signing the client assertion failed"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// A PS256 signer from an RSA-PSS key, or from a plain RSA key (PKCS#8 `rsaEncryption` or
/// PKCS#1), which is what most people have: josekit reads the latter only from raw PKCS#1.
pub(super) fn pss_signer(
    pem: &[u8],
) -> Result<jws::alg::rsassa_pss::RsassaPssJwsSigner, josekit::JoseError> {
    jws::PS256.signer_from_pem(pem).or_else(|_| {
        let rsa = jws::RS256.key_pair_from_pem(pem)?;
        jws::PS256.signer_from_der(rsa.to_raw_private_key())
    })
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
