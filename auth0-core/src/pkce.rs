//! Fresh random values for a login: PKCE (RFC 7636), `state` and `nonce`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::CryptoRng;
use sha2::{Digest, Sha256};

use crate::secret::CodeVerifier;

/// 32 random bytes (256 bits) from a CSPRNG, base64url without padding: 43 characters.
pub(crate) fn random_token<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE pair with the S256 method (RFC 7636 section 4.2); `plain` is never used.
#[derive(Debug)]
pub(crate) struct Pkce {
    pub(crate) verifier: CodeVerifier,
    pub(crate) challenge: String,
}

impl Pkce {
    /// A fresh verifier of 43 characters and its S256 challenge.
    pub(crate) fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let verifier = random_token(rng);
        let challenge = s256_challenge(&verifier);
        Self {
            verifier: CodeVerifier::new(verifier),
            challenge,
        }
    }
}

/// `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_url_safe_chars_and_differ() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = Pkce::generate(&mut rng);
        let b = Pkce::generate(&mut rng);
        assert_eq!(a.verifier.expose().len(), 43);
        assert!(
            a.verifier
                .expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, s256_challenge(a.verifier.expose()));
    }
}
