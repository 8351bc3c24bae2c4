use josekit::jwe::{self, Dir, JweHeader};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::*;

const SECRET: &str = "a-very-long-application-secret-of-32+-bytes";

fn key(identifier: &str) -> SealKey {
    SealKey::derive(&SealSecret::new(SECRET), identifier)
}

fn raw_key(identifier: &str) -> [u8; 64] {
    let hkdf = Hkdf::<Sha256>::new(Some(identifier.as_bytes()), SECRET.as_bytes());
    let mut key = [0u8; 64];
    hkdf.expand(ENCRYPTION_INFO, &mut key).unwrap();
    key
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(9)
}

#[test]
fn header_constant_is_dir_a256cbc_hs512() {
    let bytes = URL_SAFE_NO_PAD.decode(HEADER_B64).unwrap();
    assert_eq!(bytes, br#"{"alg":"dir","enc":"A256CBC-HS512"}"#);
}

#[test]
fn round_trips_a_record() {
    let record = json!({"user": {"sub": "user-123"}, "internal": {"created_at": 1}});
    let sealed = key("_a0_session").seal(&record, &mut rng()).unwrap();
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
fn josekit_opens_what_we_seal() {
    let record = json!({"a": "b".repeat(300)});
    let sealed = key("_a0_tx").seal(&record, &mut rng()).unwrap();
    let decrypter = Dir.decrypter_from_bytes(raw_key("_a0_tx")).unwrap();
    let (payload, header) = jwe::deserialize_compact(&sealed, &decrypter).unwrap();
    assert_eq!(header.content_encryption(), Some("A256CBC-HS512"));
    assert_eq!(serde_json::from_slice::<Value>(&payload).unwrap(), record);
}

#[test]
fn we_open_what_josekit_seals() {
    for size in [0, 1, 15, 16, 17, 2700] {
        let record = json!({"pad": "x".repeat(size)});
        let mut header = JweHeader::new();
        header.set_content_encryption("A256CBC-HS512");
        let encrypter = Dir.encrypter_from_bytes(raw_key("_a0_session")).unwrap();
        let payload = serde_json::to_vec(&record).unwrap();
        let sealed = jwe::serialize_compact(&payload, &header, &encrypter).unwrap();
        let opened: Value = key("_a0_session").unseal(&sealed).unwrap();
        assert_eq!(opened, record, "size {size}");
    }
}

#[test]
fn the_iv_is_fresh_for_every_seal() {
    let mut rng = rng();
    let a = key("_a0_tx").seal(&json!(1), &mut rng).unwrap();
    let b = key("_a0_tx").seal(&json!(1), &mut rng).unwrap();
    assert_ne!(a.split('.').nth(2), b.split('.').nth(2));
    assert_ne!(a, b);
}

#[test]
fn another_identifier_or_secret_cannot_open_it() {
    let sealed = key("_a0_tx").seal(&json!({"a": 1}), &mut rng()).unwrap();
    assert!(key("_a0_session").unseal::<Value>(&sealed).is_none());
    let other = SealKey::derive(
        &SealSecret::new("another-secret-another-secret-000"),
        "_a0_tx",
    );
    assert!(other.unseal::<Value>(&sealed).is_none());
}

#[test]
fn every_tampered_byte_is_refused() {
    let sealed = key("_a0_tx").seal(&json!({"a": 1}), &mut rng()).unwrap();
    let bytes = sealed.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'.' {
            continue;
        }
        let mut tampered = bytes.to_vec();
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(
            key("_a0_tx").unseal::<Value>(&tampered).is_none(),
            "byte {i} changed"
        );
    }
}

#[test]
fn a_swapped_header_is_refused_even_if_well_formed() {
    // A header naming another encryption, with a tag computed over it by the key holder,
    // is still refused: only dir + A256CBC-HS512 is accepted.
    let k = key("_a0_tx");
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"dir","enc":"A128CBC-HS256"}"#);
    let iv = [7u8; IV_LEN];
    let ciphertext = k.aes(Mode::Encrypt, &iv, b"{}").unwrap();
    let tag = k.tag(header.as_bytes(), &iv, &ciphertext);
    let forged = format!(
        "{header}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&ciphertext),
        URL_SAFE_NO_PAD.encode(&tag[..TAG_LEN])
    );
    assert!(k.unseal::<Value>(&forged).is_none());
}

#[test]
fn truncated_and_garbage_values_open_to_none() {
    let sealed = key("_a0_tx").seal(&json!({"a": 1}), &mut rng()).unwrap();
    let huge = "x.".repeat(40_000);
    for bad in [
        &sealed[..sealed.len() - 3],
        &sealed[..sealed.len() / 2],
        "",
        "....",
        "a.b.c.d.e",
        "a.b.c.d.e.f",
        "not a jwe at all",
        "é.é.é.é.é",
        huge.as_str(),
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
