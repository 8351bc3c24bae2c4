//! The adversarial ID token table: tokens signed locally, validated at a fixed time.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::*;
use crate::jose::testing::{EC_P256, ED25519, RSA_A, RSA_B, TestKey, compact, hs256, key_set};
use crate::jwks::KeyCache;

use TokenValidationError as E;

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://tenant.example/";
const CLIENT_ID: &str = "client-1";
const SECRET: &str = "the client secret, comfortably longer than 32 bytes";

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "auth0|user-1",
        "aud": CLIENT_ID,
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "nonce": "nonce-1",
        "auth_time": NOW - 100,
        "sid": "session-1",
        "org_id": "org_123",
        "org_name": "acme",
        "session_expiry": NOW + 86_400,
        "email": "user@example.com"
    })
}

fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

struct Case {
    nonce: Option<Nonce>,
    max_age: Option<u64>,
    allowed: Vec<Algorithm>,
    secret: Option<ClientSecret>,
}

impl Case {
    fn new() -> Self {
        Self {
            nonce: Some(Nonce::new("nonce-1")),
            max_age: None,
            allowed: vec![Algorithm::RS256],
            secret: Some(ClientSecret::new(SECRET)),
        }
    }

    fn allow(mut self, allowed: &[Algorithm]) -> Self {
        self.allowed = allowed.to_vec();
        self
    }

    fn validate(&self, token: &str, keys: &JwkSet) -> Result<IdTokenClaims, TokenValidationError> {
        let expected = IdTokenExpectations {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            nonce: self.nonce.as_ref(),
            max_age: self.max_age,
            leeway_secs: 60,
            now: NOW,
            allowed: &self.allowed,
            client_secret: self.secret.as_ref(),
        };
        validate_id_token(token, keys, &expected)
    }
}

fn all_keys() -> JwkSet {
    key_set(&[
        &RSA_A.public_jwk,
        &RSA_B.public_jwk,
        &EC_P256.public_jwk,
        &ED25519.public_jwk,
    ])
}

/// Validates `claims` signed by RSA key A with the default expectations.
fn check(claims: &Value) -> Result<IdTokenClaims, TokenValidationError> {
    Case::new().validate(&RSA_A.sign(claims), &all_keys())
}

#[test]
fn a_valid_rs256_token_is_accepted() {
    let claims = check(&claims()).unwrap();
    assert_eq!(claims.sub(), "auth0|user-1");
    assert_eq!(claims.sid(), Some("session-1"));
    assert_eq!(claims.org_id(), Some("org_123"));
    assert_eq!(claims.org_name(), Some("acme"));
    assert_eq!((claims.exp(), claims.iat()), (NOW + 3600, NOW - 10));
    assert_eq!(claims.auth_time(), Some(NOW - 100));
    assert_eq!(claims.session_expiry(), Some(NOW + 86_400));
    assert_eq!(claims.get_str("email"), Some("user@example.com"));
    assert_eq!(claims.get("email"), Some(&json!("user@example.com")));
    assert_eq!(claims.as_map().len(), 12);

    let printed = format!("{claims:?}");
    assert!(
        !printed.contains("nonce-1") && !printed.contains("user@example.com"),
        "{printed}"
    );
    assert_eq!(Value::Object(claims.into_map()), self::claims());
}

#[test]
fn a_bad_signature_is_refused() {
    let token = RSA_A.sign(&claims());
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut signature = signature.as_bytes().to_vec();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    let forged = format!("{input}.{}", String::from_utf8(signature).unwrap());
    assert_eq!(
        Case::new().validate(&forged, &all_keys()).unwrap_err(),
        E::InvalidSignature
    );

    // Key B's signature presented under key A's kid.
    let header = json!({ "alg": "RS256", "kid": "rsa-a" });
    let token = RSA_B.sign_with_header(&header, &claims());
    assert_eq!(
        Case::new().validate(&token, &all_keys()).unwrap_err(),
        E::InvalidSignature
    );
}

#[test]
fn alg_none_is_refused_even_when_listed_nowhere() {
    let token = compact(&json!({ "alg": "none" }), &claims(), |_| Vec::new());
    let case = Case::new().allow(&Algorithm::ALL);
    assert_eq!(
        case.validate(&token, &all_keys()).unwrap_err(),
        E::AlgorithmNotAllowed("none".into())
    );
}

#[test]
fn hs256_keyed_with_the_rsa_public_key_is_refused() {
    let rsa_jwk_bytes = serde_json::to_vec(&RSA_A.public_jwk).unwrap();
    let confusing_keys: [&[u8]; 3] = [&RSA_A.public_pem, &RSA_A.public_der, &rsa_jwk_bytes];
    for key in confusing_keys {
        for header in [
            json!({ "alg": "HS256", "kid": "rsa-a" }),
            json!({ "alg": "HS256" }),
        ] {
            let token = hs256(key, &header, &claims());
            let hs = E::AlgorithmNotAllowed("HS256".into());
            assert_eq!(Case::new().validate(&token, &all_keys()).unwrap_err(), hs);

            let mut no_secret = Case::new().allow(&[Algorithm::RS256, Algorithm::HS256]);
            no_secret.secret = None;
            assert_eq!(no_secret.validate(&token, &all_keys()).unwrap_err(), hs);

            let with_secret = Case::new().allow(&[Algorithm::RS256, Algorithm::HS256]);
            assert_eq!(
                with_secret.validate(&token, &all_keys()).unwrap_err(),
                E::InvalidSignature
            );
        }
    }
}

#[test]
fn algorithms_must_fit_the_named_key() {
    let case = Case::new().allow(&Algorithm::ALL);
    // An EC signature claiming an RSA key, and an RSA signature claiming an EC key.
    let token = EC_P256.sign_with_header(&json!({ "alg": "ES256", "kid": "rsa-a" }), &claims());
    assert_eq!(
        case.validate(&token, &all_keys()).unwrap_err(),
        E::AlgorithmNotAllowed("ES256".into())
    );
    let token = RSA_A.sign_with_header(&json!({ "alg": "RS256", "kid": "ec-a" }), &claims());
    assert_eq!(
        case.validate(&token, &all_keys()).unwrap_err(),
        E::AlgorithmNotAllowed("RS256".into())
    );
    let token = RSA_A.sign_with_header(&json!({ "alg": "RS256", "kid": "ed-a" }), &claims());
    assert_eq!(
        case.validate(&token, &all_keys()).unwrap_err(),
        E::AlgorithmNotAllowed("RS256".into())
    );
}

#[test]
fn issuer_audience_and_authorized_party_are_checked() {
    let cases = [
        (
            with(json!({ "iss": "https://evil.example/" })),
            E::IssuerMismatch,
        ),
        (
            with(json!({ "iss": "https://tenant.example" })),
            E::IssuerMismatch,
        ),
        (with(json!({ "iss": null })), E::MissingClaim("iss")),
        (with(json!({ "aud": "other-client" })), E::AudienceMismatch),
        (
            with(json!({ "aud": ["other-client", "api"] })),
            E::AudienceMismatch,
        ),
        (with(json!({ "aud": null })), E::MissingClaim("aud")),
        (with(json!({ "aud": 7 })), E::MissingClaim("aud")),
        (
            with(json!({ "aud": [CLIENT_ID, "api"] })),
            E::MissingClaim("azp"),
        ),
        (
            with(json!({ "aud": [CLIENT_ID, "api"], "azp": "api" })),
            E::AuthorizedPartyMismatch,
        ),
        (
            with(json!({ "azp": "other-client" })),
            E::AuthorizedPartyMismatch,
        ),
        (with(json!({ "azp": ["client-1"] })), E::MissingClaim("azp")),
    ];
    for (claims, expected) in cases {
        assert_eq!(check(&claims).unwrap_err(), expected, "{claims}");
    }
    assert!(
        check(&with(
            json!({ "aud": [CLIENT_ID, "api"], "azp": CLIENT_ID })
        ))
        .is_ok()
    );
    assert!(
        check(&with(json!({ "aud": [CLIENT_ID] }))).is_ok_and(|claims| claims.get("azp").is_none())
    );
    assert!(check(&with(json!({ "azp": CLIENT_ID }))).is_ok());
}

#[test]
fn required_claims_must_be_present() {
    let cases = [
        (with(json!({ "sub": null })), E::MissingClaim("sub")),
        (with(json!({ "sub": "" })), E::MissingClaim("sub")),
        (with(json!({ "sub": 42 })), E::MissingClaim("sub")),
        (with(json!({ "iat": null })), E::MissingClaim("iat")),
        (with(json!({ "iat": "yesterday" })), E::MissingClaim("iat")),
        (with(json!({ "exp": null })), E::MissingClaim("exp")),
        (with(json!({ "exp": -5 })), E::MissingClaim("exp")),
        (with(json!({ "nbf": "soon" })), E::MissingClaim("nbf")),
    ];
    for (claims, expected) in cases {
        assert_eq!(check(&claims).unwrap_err(), expected, "{claims}");
    }
}

#[test]
fn times_are_checked_with_the_leeway() {
    let cases = [
        (json!({ "exp": NOW - 61 }), Err(E::Expired)),
        (json!({ "exp": NOW - 60 }), Err(E::Expired)),
        (json!({ "exp": NOW - 59 }), Ok(())),
        (json!({ "exp": NOW - 30, "iat": NOW - 4000 }), Ok(())),
        (json!({ "iat": NOW + 61 }), Err(E::IssuedInFuture)),
        (json!({ "iat": NOW + 60 }), Ok(())),
        (json!({ "iat": NOW + 30 }), Ok(())),
        (json!({ "nbf": NOW + 61 }), Err(E::NotYetValid)),
        (json!({ "nbf": NOW + 60 }), Ok(())),
        (json!({ "nbf": NOW - 10 }), Ok(())),
        (
            json!({ "exp": (NOW + 10) as f64 + 0.5, "iat": (NOW - 1) as f64 + 0.25 }),
            Ok(()),
        ),
        (json!({ "exp": u64::MAX, "iat": 0 }), Ok(())),
    ];
    for (changes, expected) in cases {
        assert_eq!(
            check(&with(changes.clone())).map(|_| ()),
            expected,
            "{changes}"
        );
    }
}

#[test]
fn the_nonce_must_match_when_expected() {
    let cases = [
        with(json!({ "nonce": "nonce-2" })),
        with(json!({ "nonce": "nonce-" })),
        with(json!({ "nonce": "nonce-1 " })),
        with(json!({ "nonce": null })),
        with(json!({ "nonce": ["nonce-1"] })),
    ];
    for claims in cases {
        assert_eq!(check(&claims).unwrap_err(), E::NonceMismatch, "{claims}");
    }

    // A refreshed ID token: no nonce expected, none looked at.
    let mut refreshed = Case::new();
    refreshed.nonce = None;
    for claims in [
        with(json!({ "nonce": null })),
        with(json!({ "nonce": "anything" })),
    ] {
        assert!(
            refreshed
                .validate(&RSA_A.sign(&claims), &all_keys())
                .is_ok()
        );
    }
}

#[test]
fn auth_time_is_required_and_checked_with_max_age() {
    let mut case = Case::new();
    case.max_age = Some(300);
    let validate = |claims: Value| case.validate(&RSA_A.sign(&claims), &all_keys()).map(|_| ());
    assert_eq!(validate(with(json!({ "auth_time": NOW - 100 }))), Ok(()));
    assert_eq!(validate(with(json!({ "auth_time": NOW - 360 }))), Ok(()));
    assert_eq!(
        validate(with(json!({ "auth_time": NOW - 361 }))),
        Err(E::AuthTimeTooOld)
    );
    assert_eq!(
        validate(with(json!({ "auth_time": null }))),
        Err(E::MissingClaim("auth_time"))
    );
    assert_eq!(
        validate(with(json!({ "auth_time": "x" }))),
        Err(E::MissingClaim("auth_time"))
    );
    // Without max_age an absent auth_time is fine.
    assert!(check(&with(json!({ "auth_time": null }))).is_ok());
}

#[test]
fn an_unknown_kid_is_found_after_a_key_rotation() {
    let old_set = key_set(&[&RSA_A.public_jwk]);
    let token = RSA_B.sign(&claims());
    assert_eq!(
        Case::new().validate(&token, &old_set).unwrap_err(),
        E::UnknownKey
    );

    let mut cache = KeyCache::new(10, 600, 60);
    cache.insert(ISSUER, old_set, NOW - 120);
    let cached = cache.get(ISSUER, NOW).unwrap().clone();
    assert_eq!(
        Case::new().validate(&token, &cached).unwrap_err(),
        E::UnknownKey
    );
    assert!(cache.may_refetch(ISSUER, NOW));
    cache.insert(
        ISSUER,
        key_set(&[&RSA_A.public_jwk, &RSA_B.public_jwk]),
        NOW,
    );
    let rotated = cache.get(ISSUER, NOW).unwrap();
    assert_eq!(
        Case::new().validate(&token, rotated).unwrap().sub(),
        "auth0|user-1"
    );

    // A token naming a key that never existed gets no second refetch.
    let stranger = RSA_A.sign_with_header(&json!({ "alg": "RS256", "kid": "nope" }), &claims());
    assert_eq!(
        Case::new().validate(&stranger, rotated).unwrap_err(),
        E::UnknownKey
    );
    assert!(!cache.may_refetch(ISSUER, NOW + 1));
}

#[test]
fn a_token_without_kid_needs_exactly_one_fitting_key() {
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let token = RSA_A.sign_with_header(&header, &claims());
    let one_rsa = key_set(&[&RSA_A.public_jwk, &EC_P256.public_jwk]);
    assert!(Case::new().validate(&token, &one_rsa).is_ok());
    let mut no_kid = RSA_A.public_jwk.clone();
    no_kid.remove("kid");
    assert!(Case::new().validate(&token, &key_set(&[&no_kid])).is_ok());

    let two_rsa = key_set(&[&RSA_A.public_jwk, &RSA_B.public_jwk]);
    assert_eq!(
        Case::new().validate(&token, &two_rsa).unwrap_err(),
        E::AmbiguousKey
    );
    let only_ec = key_set(&[&EC_P256.public_jwk]);
    assert_eq!(
        Case::new().validate(&token, &only_ec).unwrap_err(),
        E::UnknownKey
    );
}

fn sign_as(key: &TestKey, alg: Algorithm) -> String {
    let header = json!({ "alg": alg.as_str(), "kid": key.kid });
    match alg {
        Algorithm::PS256 => {
            let signer = key.pss_signer();
            compact(&header, &claims(), |input| signer.sign(input).unwrap())
        }
        Algorithm::HS256 => hs256(SECRET.as_bytes(), &header, &claims()),
        _ => key.sign_with_header(&header, &claims()),
    }
}

#[test]
fn other_algorithms_pass_only_when_allowed() {
    let cases = [
        (&*EC_P256, Algorithm::ES256),
        (&*RSA_A, Algorithm::PS256),
        (&*ED25519, Algorithm::EdDSA),
        (&*RSA_A, Algorithm::HS256),
    ];
    for (key, alg) in cases {
        let token = sign_as(key, alg);
        let allowed = Case::new().allow(&[Algorithm::RS256, alg]);
        assert_eq!(
            allowed.validate(&token, &all_keys()).unwrap().sub(),
            "auth0|user-1",
            "{alg}"
        );
        let refused = Case::new().validate(&token, &all_keys()).unwrap_err();
        assert_eq!(
            refused,
            E::AlgorithmNotAllowed(alg.as_str().into()),
            "{alg}"
        );
    }
    // HS256 with a different client secret.
    let mut other_secret = Case::new().allow(&[Algorithm::HS256]);
    other_secret.secret = Some(ClientSecret::new(
        "another secret that is also long enough!!",
    ));
    let token = sign_as(&RSA_A, Algorithm::HS256);
    assert_eq!(
        other_secret.validate(&token, &all_keys()).unwrap_err(),
        E::InvalidSignature
    );
}

#[test]
fn oversized_tokens_are_refused() {
    let token = RSA_A.sign(&with(json!({ "padding": "p".repeat(20_000) })));
    assert_eq!(
        Case::new().validate(&token, &all_keys()).unwrap_err(),
        E::Malformed
    );
}

#[test]
fn garbage_is_malformed_and_never_panics() {
    let cases = [
        "",
        "garbage",
        "a.b",
        "a.b.c",
        "....",
        "eyJ.eyJ.",
        "%%%.%%%.%%%",
        "e30.e30",
    ];
    for token in cases {
        assert_eq!(
            Case::new().validate(token, &all_keys()).unwrap_err(),
            E::Malformed,
            "{token}"
        );
    }

    let valid = RSA_A.sign(&claims());
    let mut rng = StdRng::seed_from_u64(7);
    let alphabet = b"ABCxyz019-_.=+/ \x00";
    for _ in 0..2_000 {
        let mut bytes = valid.clone().into_bytes();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes[at] = alphabet[rng.random_range(0..alphabet.len())],
                1 => bytes.truncate(at),
                _ => bytes.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
            }
        }
        let mutated = String::from_utf8(bytes).unwrap();
        if mutated != valid {
            assert!(
                Case::new().validate(&mutated, &all_keys()).is_err(),
                "{mutated}"
            );
        }
    }
}

#[test]
fn a_logout_token_is_never_an_id_token() {
    let header = json!({"alg": "RS256", "kid": RSA_A.kid, "typ": "logout+jwt"});
    let token = RSA_A.sign_with_header(&header, &claims());
    assert_eq!(
        Case::new().validate(&token, &all_keys()).unwrap_err(),
        E::UnexpectedTokenType
    );

    let events =
        with(json!({"events": {"http://schemas.openid.net/event/backchannel-logout": {}}}));
    assert_eq!(check(&events).unwrap_err(), E::UnexpectedTokenType);
}
