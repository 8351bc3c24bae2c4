//! Sealing: authenticated encryption of records that leave the server (cookies, store values).
//!
//! The format is the Python SDK's, so records move between the two in both directions: a JWE
//! in compact form (RFC 7516) with `alg: dir` and `enc: A256CBC-HS512`, whose 64-byte key is
//! HKDF-SHA256 of the application secret, salted with the record's identifier (for example
//! `_a0_tx` or `_a0_session`) and with the info string `Auth0 Generated Encryption`. Each
//! identifier gets its own key, so a transaction can never be replayed as a session.

use std::fmt;

use hkdf::Hkdf;
use josekit::jwe::{self, Dir, JweHeader};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::secret::SealSecret;

const ENCRYPTION_INFO: &[u8] = b"Auth0 Generated Encryption";
const CONTENT_ENCRYPTION: &str = "A256CBC-HS512";

/// The largest sealed value we try to open. Bigger input is refused before any parsing.
pub const MAX_SEALED_LEN: usize = 64 * 1024;

/// A key for sealing and unsealing one kind of record, derived once and reused.
#[derive(Clone)]
pub struct SealKey {
    key: [u8; 64],
}

impl SealKey {
    /// Derives the key for records named `identifier` from the application secret.
    pub fn derive(secret: &SealSecret, identifier: &str) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(identifier.as_bytes()), secret.expose().as_bytes());
        let mut key = [0u8; 64];
        hkdf.expand(ENCRYPTION_INFO, &mut key)
            .expect("64 bytes is a valid HKDF-SHA256 output length");
        Self { key }
    }

    /// Seals a record as a compact JWE.
    pub fn seal<T: Serialize + ?Sized>(&self, record: &T) -> Result<String> {
        let payload = serde_json::to_vec(record)
            .map_err(|_| Error::configuration("a record could not be serialized"))?;
        self.seal_bytes(&payload)
    }

    /// Seals raw JSON bytes as a compact JWE.
    pub fn seal_bytes(&self, payload: &[u8]) -> Result<String> {
        let mut header = JweHeader::new();
        header.set_content_encryption(CONTENT_ENCRYPTION);
        let encrypter = Dir
            .encrypter_from_bytes(self.key)
            .map_err(|_| Error::configuration("the sealing key was refused"))?;
        jwe::serialize_compact(payload, &header, &encrypter)
            .map_err(|_| Error::configuration("sealing failed"))
    }

    /// Opens a sealed record.
    ///
    /// Anything that is not a record sealed with this key (tampered, truncated, sealed with
    /// another secret or identifier, oversized, not JSON of the right shape) yields `None`:
    /// callers treat it as "no record", never as an error to show.
    pub fn unseal<T: DeserializeOwned>(&self, sealed: &str) -> Option<T> {
        let payload = self.unseal_bytes(sealed)?;
        match serde_json::from_slice(&payload) {
            Ok(record) => Some(record),
            Err(_) => {
                tracing::debug!("a sealed record decrypted but did not have the expected shape");
                None
            }
        }
    }

    /// Opens a sealed value to its raw plaintext bytes.
    pub fn unseal_bytes(&self, sealed: &str) -> Option<Vec<u8>> {
        if sealed.len() > MAX_SEALED_LEN || sealed.bytes().filter(|b| *b == b'.').count() != 4 {
            tracing::debug!("refused a sealed value that is not a compact JWE");
            return None;
        }
        let decrypter = Dir.decrypter_from_bytes(self.key).ok()?;
        match jwe::deserialize_compact(sealed, &decrypter) {
            Ok((payload, header))
                if header.content_encryption() == Some(CONTENT_ENCRYPTION)
                    && header.compression().is_none() =>
            {
                Some(payload)
            }
            Ok(_) => {
                tracing::debug!("refused a sealed value with unexpected JWE parameters");
                None
            }
            Err(_) => {
                tracing::debug!("a sealed value failed to decrypt");
                None
            }
        }
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn key(identifier: &str) -> SealKey {
        SealKey::derive(
            &SealSecret::new("a-very-long-application-secret-of-32+-bytes"),
            identifier,
        )
    }

    #[test]
    fn round_trips_a_record() {
        let record = json!({"user": {"sub": "user-123"}, "internal": {"created_at": 1}});
        let sealed = key("_a0_session").seal(&record).unwrap();
        assert_eq!(sealed.split('.').count(), 5);
        assert_eq!(
            sealed.split('.').nth(1),
            Some(""),
            "dir carries no encrypted key"
        );
        let opened: Value = key("_a0_session").unseal(&sealed).unwrap();
        assert_eq!(opened, record);
    }

    #[test]
    fn header_is_dir_with_a256cbc_hs512() {
        let sealed = key("_a0_tx").seal(&json!({})).unwrap();
        let header = sealed.split('.').next().unwrap();
        let header =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
                .unwrap();
        let header: Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["alg"], "dir");
        assert_eq!(header["enc"], "A256CBC-HS512");
    }

    #[test]
    fn another_identifier_or_secret_cannot_open_it() {
        let sealed = key("_a0_tx").seal(&json!({"a": 1})).unwrap();
        assert!(key("_a0_session").unseal::<Value>(&sealed).is_none());
        let other = SealKey::derive(
            &SealSecret::new("another-secret-another-secret-000"),
            "_a0_tx",
        );
        assert!(other.unseal::<Value>(&sealed).is_none());
    }

    #[test]
    fn tampered_truncated_and_garbage_values_open_to_none() {
        let sealed = key("_a0_tx").seal(&json!({"a": 1})).unwrap();
        let mut tampered = sealed.clone().into_bytes();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for bad in [
            tampered.as_str(),
            &sealed[..sealed.len() - 3],
            "",
            "....",
            "a.b.c.d.e",
            "not a jwe at all",
            &"x.".repeat(40_000),
        ] {
            assert!(
                key("_a0_tx").unseal::<Value>(bad).is_none(),
                "{bad:.40} opened"
            );
        }
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", key("_a0_tx")), "SealKey([redacted])");
    }
}
