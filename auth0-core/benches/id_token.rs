//! ID token validation against its floor: a realistic RS256 token (about 950 bytes, 15
//! claims) checked with a two-key set, beside one raw RSA-2048 PKCS#1 v1.5 SHA-256
//! verification of the same signing input. Validation should stay within 1.7x of the raw
//! verify: everything but the signature is parsing and comparisons.

use std::hint::black_box;

use auth0_core::id_token::{IdTokenExpectations, validate_id_token};
use auth0_core::jwks::parse_jwks;
use auth0_core::secret::Nonce;
use auth0_core::{Algorithm, TokenValidationError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use josekit::jwk::KeyPair;
use josekit::jws::{JwsSigner, JwsVerifier, RS256};
use serde_json::{Value, json};

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://tenant.example.test/";
const CLIENT_ID: &str = "Qk7TnX2wYb8cLp3Vz9Rf";
const NONCE: &str = "kD4vQJ0GxY3mXr9cTq2wZsBn";

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "auth0|64f1c2b9e8a7d6c5b4a3",
        "aud": CLIENT_ID,
        "exp": NOW + 36_000,
        "iat": NOW - 5,
        "nonce": NONCE,
        "auth_time": NOW - 20,
        "sid": "Xk2Lq9Rt7Vw3Yz5A",
        "org_id": "org_9Qw8Er7Ty6Ui",
        "name": "Jane Doe",
        "nickname": "jane",
        "email": "jane@example.test",
        "email_verified": true,
        "picture": "https://s.example.test/a/5c1a9e4b.png",
        "updated_at": "2023-11-14T22:13:15Z"
    })
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn benches(c: &mut Criterion) {
    let signing = RS256.generate_key_pair(2048).unwrap();
    let other = RS256.generate_key_pair(2048).unwrap();
    let jwk = |pair: &dyn KeyPair, kid: &str| {
        let mut jwk = pair.to_jwk_public_key();
        jwk.set_key_id(kid);
        jwk.set_key_use("sig");
        jwk
    };
    let (jwk_a, jwk_b) = (jwk(&signing, "key-2023-10"), jwk(&other, "key-2023-04"));
    let document = json!({ "keys": [jwk_b.as_ref(), jwk_a.as_ref()] });
    let reply = http::Response::builder()
        .status(200)
        .body(document.to_string().into_bytes());
    let keys = parse_jwks(reply.unwrap()).unwrap();

    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "key-2023-10" });
    let signing_input = format!("{}.{}", b64(header.to_string()), b64(claims().to_string()));
    let signer = RS256.signer_from_pem(signing.to_pem_private_key()).unwrap();
    let signature = signer.sign(signing_input.as_bytes()).unwrap();
    let token = format!("{signing_input}.{}", b64(&signature));
    assert!(
        (930..980).contains(&token.len()),
        "token of {} bytes",
        token.len()
    );

    let nonce = Nonce::new(NONCE);
    let expected = IdTokenExpectations {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        nonce: Some(&nonce),
        max_age: None,
        leeway_secs: 60,
        now: NOW,
        allowed: &[Algorithm::RS256],
        client_secret: None,
    };
    let validate = |token: &str| -> Result<usize, TokenValidationError> {
        validate_id_token(token, &keys, &expected).map(|claims| claims.as_map().len())
    };
    assert_eq!(validate(&token), Ok(15));

    let raw = RS256.verifier_from_jwk(&jwk_a).unwrap();
    raw.verify(signing_input.as_bytes(), &signature).unwrap();

    let mut group = c.benchmark_group("id_token");
    group.bench_function("validate_rs256_two_key_set", |b| {
        b.iter(|| validate(black_box(&token)))
    });
    group.bench_function("raw_rsa2048_pkcs1_sha256_verify", |b| {
        b.iter(|| raw.verify(black_box(signing_input.as_bytes()), black_box(&signature)))
    });
    group.finish();
}

criterion_group!(id_token, benches);
criterion_main!(id_token);
