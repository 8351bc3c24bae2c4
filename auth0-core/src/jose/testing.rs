//! Locally generated keys and a token builder for the tests of the token modules.
//!
//! Keys are generated once per test binary: RSA generation is slow enough to matter.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::{self, KeyPair};
use josekit::jws::{self, JwsSigner};
use serde_json::{Map, Value, json};

use crate::jwks::JwkSet;

/// A private key that signs test tokens, with its public halves.
pub(crate) struct TestKey {
    pub(crate) kid: &'static str,
    pub(crate) signer: Box<dyn JwsSigner>,
    /// The public JWK with `kid` and without `alg`.
    pub(crate) public_jwk: Map<String, Value>,
    pub(crate) private_pem: Vec<u8>,
    pub(crate) public_pem: Vec<u8>,
    pub(crate) public_der: Vec<u8>,
}

impl TestKey {
    fn new(kid: &'static str, pair: &dyn KeyPair, signer: Box<dyn JwsSigner>) -> Self {
        let mut public_jwk: Map<String, Value> = pair.to_jwk_public_key().as_ref().clone();
        public_jwk.remove("alg");
        public_jwk.insert("kid".into(), kid.into());
        Self {
            kid,
            signer,
            public_jwk,
            private_pem: pair.to_pem_private_key(),
            public_pem: pair.to_pem_public_key(),
            public_der: pair.to_der_public_key(),
        }
    }

    fn rsa(kid: &'static str) -> Self {
        let pair = jws::RS256.generate_key_pair(2048).unwrap();
        let signer = jws::RS256
            .signer_from_pem(pair.to_pem_private_key())
            .unwrap();
        Self::new(kid, &pair, Box::new(signer))
    }

    /// The same RSA key signing with PS256 instead of RS256.
    pub(crate) fn pss_signer(&self) -> Box<dyn JwsSigner> {
        Box::new(super::signing::pss_signer(&self.private_pem).unwrap())
    }

    /// Signs `claims` with header `{alg, typ: JWT, kid}`.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let alg = self.signer.algorithm().name();
        let header = json!({ "alg": alg, "typ": "JWT", "kid": self.kid });
        compact(&header, claims, |input| self.signer.sign(input).unwrap())
    }

    /// Signs `claims` with the given header.
    pub(crate) fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        compact(header, claims, |input| self.signer.sign(input).unwrap())
    }
}

/// An RSA key, kid `rsa-a`.
pub(crate) static RSA_A: LazyLock<TestKey> = LazyLock::new(|| TestKey::rsa("rsa-a"));
/// Another RSA key, kid `rsa-b`.
pub(crate) static RSA_B: LazyLock<TestKey> = LazyLock::new(|| TestKey::rsa("rsa-b"));
/// An EC P-256 key, kid `ec-a`.
pub(crate) static EC_P256: LazyLock<TestKey> = LazyLock::new(|| {
    let pair = jws::ES256.generate_key_pair().unwrap();
    let signer = jws::ES256
        .signer_from_pem(pair.to_pem_private_key())
        .unwrap();
    TestKey::new("ec-a", &pair, Box::new(signer))
});
/// An Ed25519 key, kid `ed-a`.
pub(crate) static ED25519: LazyLock<TestKey> = LazyLock::new(|| {
    let pair = jws::EdDSA.generate_key_pair(jwk::Ed25519).unwrap();
    let signer = jws::EdDSA
        .signer_from_pem(pair.to_pem_private_key())
        .unwrap();
    TestKey::new("ed-a", &pair, Box::new(signer))
});

/// Base64url without padding.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds a compact JWS from a header, claims and a signing function.
pub(crate) fn compact(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// Signs with HMAC-SHA256 keyed by arbitrary bytes.
pub(crate) fn hs256(key: &[u8], header: &Value, claims: &Value) -> String {
    let signer = jws::HS256.signer_from_bytes(key).unwrap();
    compact(header, claims, |input| signer.sign(input).unwrap())
}

/// A key set holding these public JWKs.
pub(crate) fn key_set(jwks: &[&Map<String, Value>]) -> JwkSet {
    let document = json!({ "keys": jwks });
    JwkSet::from_json(document.to_string().as_bytes()).unwrap()
}
