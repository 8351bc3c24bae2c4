use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::testing::{EC_P256, ED25519, RSA_A, b64};
use super::*;
use crate::secret::PrivateKeyPem;

fn key(jwk: &Map<String, Value>) -> Result<VerifyingKey, Error> {
    VerifyingKey::from_jwk(jwk)
}

fn with(jwk: &Map<String, Value>, name: &str, value: Value) -> Map<String, Value> {
    let mut jwk = jwk.clone();
    jwk.insert(name.into(), value);
    jwk
}

fn reason(err: Error) -> String {
    match err {
        Error::InvalidResponse {
            endpoint: "jwks",
            reason,
        } => reason.into_owned(),
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn algorithm_names_round_trip() {
    for alg in Algorithm::ALL {
        assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
        assert_eq!(alg.to_string(), alg.as_str());
    }
    for name in [
        "none", "None", "rs256", "HS384", "HS512", "ES256K", "RSA-OAEP", "",
    ] {
        assert_eq!(
            name.parse::<Algorithm>(),
            Err(UnsupportedAlgorithm),
            "{name}"
        );
    }
}

#[test]
fn each_algorithm_names_its_key_kind() {
    assert_eq!(Algorithm::RS384.key_kind(), KeyKind::Rsa);
    assert_eq!(Algorithm::PS512.key_kind(), KeyKind::Rsa);
    assert_eq!(Algorithm::ES256.key_kind(), KeyKind::EcP256);
    assert_eq!(Algorithm::ES384.key_kind(), KeyKind::EcP384);
    assert_eq!(Algorithm::ES512.key_kind(), KeyKind::EcP521);
    assert_eq!(Algorithm::EdDSA.key_kind(), KeyKind::Ed25519);
    assert_eq!(Algorithm::HS256.key_kind(), KeyKind::Symmetric);
    assert_eq!(KeyKind::EcP521.kty(), "EC");
    assert_eq!(KeyKind::Ed25519.kty(), "OKP");
}

#[test]
fn an_rsa_key_verifies_the_rsa_families_only() {
    let rsa = key(&RSA_A.public_jwk).unwrap();
    assert_eq!(rsa.kid(), Some("rsa-a"));
    assert_eq!(
        (rsa.kind(), rsa.kty(), rsa.alg(), rsa.key_use()),
        (KeyKind::Rsa, "RSA", None, None)
    );
    for alg in Algorithm::ALL {
        let rsa_family = alg.key_kind() == KeyKind::Rsa;
        assert_eq!(rsa.fits(alg), rsa_family, "{alg}");
    }
    let refused = rsa.verify(Algorithm::ES256, b"input", &[0; 64]);
    assert_eq!(
        refused,
        Err(TokenValidationError::AlgorithmNotAllowed("ES256".into()))
    );
    let refused = rsa.verify(Algorithm::HS256, b"input", &[0; 32]);
    assert_eq!(
        refused,
        Err(TokenValidationError::AlgorithmNotAllowed("HS256".into()))
    );
}

#[test]
fn a_jwk_alg_restricts_the_key_to_that_algorithm() {
    let jwk = with(&RSA_A.public_jwk, "alg", json!("RS256"));
    let rsa = key(&jwk).unwrap();
    assert_eq!(rsa.alg(), Some(Algorithm::RS256));
    assert!(rsa.fits(Algorithm::RS256));
    assert!(!rsa.fits(Algorithm::PS256));
    assert!(!rsa.fits(Algorithm::RS512));
}

#[test]
fn ec_and_okp_keys_verify_their_curve_only() {
    let ec = key(&EC_P256.public_jwk).unwrap();
    assert_eq!(ec.kind(), KeyKind::EcP256);
    let fitting: Vec<_> = Algorithm::ALL
        .into_iter()
        .filter(|alg| ec.fits(*alg))
        .collect();
    assert_eq!(fitting, [Algorithm::ES256]);

    let ed = key(&ED25519.public_jwk).unwrap();
    assert_eq!(ed.kind(), KeyKind::Ed25519);
    let fitting: Vec<_> = Algorithm::ALL
        .into_iter()
        .filter(|alg| ed.fits(*alg))
        .collect();
    assert_eq!(fitting, [Algorithm::EdDSA]);
}

#[test]
fn keys_that_cannot_verify_signatures_are_refused() {
    let rsa = &RSA_A.public_jwk;
    let cases = [
        (
            with(rsa, "use", json!("enc")),
            "a key is not meant for signatures",
        ),
        (
            with(rsa, "key_ops", json!(["encrypt"])),
            "a key's key_ops exclude verify",
        ),
        (
            with(rsa, "alg", json!("RSA-OAEP")),
            "a key has an unsupported alg",
        ),
        (
            with(rsa, "alg", json!("ES256")),
            "a key's alg does not fit its type",
        ),
        (
            with(rsa, "alg", json!("HS256")),
            "a key's alg does not fit its type",
        ),
        (
            with(rsa, "kty", json!("oct")),
            "a key has an unsupported type",
        ),
        (
            with(rsa, "kty", json!("XYZ")),
            "a key has an unsupported type",
        ),
        (
            with(rsa, "n", json!("AQAB")),
            "a key's material is invalid or too weak",
        ),
        (
            with(rsa, "n", json!("not base64!")),
            "a key's material is invalid or too weak",
        ),
        (
            with(&EC_P256.public_jwk, "crv", json!("P-192")),
            "a key has an unsupported type",
        ),
        (
            with(&EC_P256.public_jwk, "crv", json!("secp256k1")),
            "a key has an unsupported type",
        ),
        (
            with(&ED25519.public_jwk, "crv", json!("X25519")),
            "a key has an unsupported type",
        ),
        (with(rsa, "kid", json!(7)), "a key is not a valid JWK"),
    ];
    for (jwk, expected) in cases {
        assert_eq!(reason(key(&jwk).unwrap_err()), expected, "{jwk:?}");
    }
    let secret = json!({ "kty": "oct", "k": b64([7u8; 32]) });
    let secret = secret.as_object().unwrap();
    assert_eq!(
        reason(key(secret).unwrap_err()),
        "a key has an unsupported type"
    );
}

#[test]
fn small_rsa_keys_are_refused() {
    let small = small_rsa_jwk();
    assert_eq!(
        reason(key(&small).unwrap_err()),
        "a key's material is invalid or too weak"
    );
}

/// A syntactically valid 1024-bit RSA public JWK (the modulus need not be a real product of
/// primes for the size check to refuse it).
fn small_rsa_jwk() -> Map<String, Value> {
    let mut modulus = vec![0xC5u8; 128];
    modulus[127] = 0x01;
    json!({ "kty": "RSA", "n": b64(&modulus), "e": "AQAB" })
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn verifying_key_debug_shows_no_key_material() {
    let printed = format!("{:?}", key(&RSA_A.public_jwk).unwrap());
    assert!(
        printed.starts_with("VerifyingKey { kid: Some(\"rsa-a\"), kind: Rsa"),
        "{printed}"
    );
    let modulus = RSA_A.public_jwk["n"].as_str().unwrap();
    assert!(!printed.contains(&modulus[..16]));
}

#[test]
fn hs256_uses_the_client_secret_and_compares_the_mac() {
    let secret = ClientSecret::new("a client secret of well over thirty-two bytes");
    let signer = jws::HS256
        .signer_from_bytes(secret.expose().as_bytes())
        .unwrap();
    let mac = signer.sign(b"header.payload").unwrap();
    assert_eq!(verify_hs256(&secret, b"header.payload", &mac), Ok(()));
    assert_eq!(
        verify_hs256(&secret, b"header.payloaD", &mac),
        Err(TokenValidationError::InvalidSignature)
    );
    assert_eq!(
        verify_hs256(&secret, b"header.payload", &mac[..31]),
        Err(TokenValidationError::InvalidSignature)
    );
    let short = ClientSecret::new("too short");
    assert_eq!(
        verify_hs256(&short, b"header.payload", &mac),
        Err(TokenValidationError::AlgorithmNotAllowed("HS256".into()))
    );
}

fn assertion_claims() -> Map<String, Value> {
    let claims = json!({ "iss": "client", "sub": "client", "aud": "https://op/", "jti": "j-1" });
    claims.as_object().unwrap().clone()
}

#[test]
fn signing_keys_produce_verifiable_assertions() {
    let rsa_pem = PrivateKeyPem::new(String::from_utf8(RSA_A.private_pem.clone()).unwrap());
    let ec_pem = PrivateKeyPem::new(String::from_utf8(EC_P256.private_pem.clone()).unwrap());
    let cases = [
        (Algorithm::RS256, &rsa_pem, &RSA_A.public_jwk),
        (Algorithm::PS256, &rsa_pem, &RSA_A.public_jwk),
        (Algorithm::ES256, &ec_pem, &EC_P256.public_jwk),
    ];
    for (alg, pem, public) in cases {
        let signing = SigningKey::from_pem(pem, alg, Some("assertion-key".into())).unwrap();
        assert_eq!((signing.alg(), signing.kid()), (alg, Some("assertion-key")));
        let token = signing.sign(&assertion_claims()).unwrap();

        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({ "alg": alg.as_str(), "typ": "JWT", "kid": "assertion-key" })
        );
        let claims: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims, assertion_claims());

        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let input = &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()];
        key(public).unwrap().verify(alg, input, &signature).unwrap();
    }
}

#[test]
fn an_assertion_without_kid_has_no_kid_header() {
    let pem = PrivateKeyPem::new(String::from_utf8(EC_P256.private_pem.clone()).unwrap());
    let token = SigningKey::from_pem(&pem, Algorithm::ES256, None)
        .unwrap()
        .sign(&assertion_claims())
        .unwrap();
    let header = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&header).unwrap(),
        json!({"alg": "ES256", "typ": "JWT"})
    );
}

#[test]
fn signing_keys_refuse_wrong_algorithms_and_keys() {
    let rsa_pem = PrivateKeyPem::new(String::from_utf8(RSA_A.private_pem.clone()).unwrap());
    let ec_pem = PrivateKeyPem::new(String::from_utf8(EC_P256.private_pem.clone()).unwrap());
    let config_error = |result: Result<SigningKey, Error>| {
        assert_eq!(result.unwrap_err().code(), "configuration_error");
    };
    config_error(SigningKey::from_pem(&rsa_pem, Algorithm::HS256, None));
    config_error(SigningKey::from_pem(&rsa_pem, Algorithm::RS512, None));
    config_error(SigningKey::from_pem(&rsa_pem, Algorithm::ES256, None));
    config_error(SigningKey::from_pem(&ec_pem, Algorithm::RS256, None));
    config_error(SigningKey::from_pem(
        &PrivateKeyPem::new("not a key"),
        Algorithm::RS256,
        None,
    ));
}

#[test]
fn signing_key_debug_shows_no_key_material() {
    let pem = PrivateKeyPem::new(String::from_utf8(RSA_A.private_pem.clone()).unwrap());
    let signing = SigningKey::from_pem(&pem, Algorithm::RS256, Some("k1".into())).unwrap();
    assert_eq!(
        format!("{signing:?}"),
        "SigningKey { alg: RS256, kid: Some(\"k1\"), .. }"
    );
    let err = SigningKey::from_pem(&pem, Algorithm::ES256, None).unwrap_err();
    assert!(!err.to_string().contains("PRIVATE KEY"));
}
