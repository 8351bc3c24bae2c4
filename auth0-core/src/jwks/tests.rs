use http::StatusCode;
use serde_json::json;

use super::*;
use crate::jose::testing::{EC_P256, ED25519, RSA_A, RSA_B, key_set};

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(body.into())
        .unwrap()
}

fn invalid_reason(err: Error) -> String {
    match err {
        Error::InvalidResponse {
            endpoint: "jwks",
            reason,
        } => reason.into_owned(),
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn the_request_is_a_json_get_of_the_jwks_uri() {
    let uri = Url::parse("https://tenant.example/.well-known/jwks.json").unwrap();
    let request = jwks_request(&uri).unwrap();
    assert_eq!(request.method(), Method::GET);
    assert_eq!(
        request.uri(),
        "https://tenant.example/.well-known/jwks.json"
    );
    assert_eq!(request.headers()[header::ACCEPT], "application/json");
    assert!(request.body().is_empty());
}

#[test]
fn unusable_keys_are_skipped_and_the_rest_kept() {
    let document = json!({ "keys": [
        { "kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB" },
        { "kty": "oct", "kid": "secret", "k": "c2VjcmV0" },
        { "kty": "XYZ", "kid": "future" },
        "not an object",
        RSA_A.public_jwk,
        EC_P256.public_jwk,
    ]});
    let set = parse_jwks(reply(200, document.to_string())).unwrap();
    let kids: Vec<_> = set.keys().iter().map(VerifyingKey::kid).collect();
    assert_eq!(kids, [Some("rsa-a"), Some("ec-a")]);
    assert_eq!(set.len(), 2);
    assert!(!set.is_empty());
}

#[test]
fn a_set_without_usable_keys_is_invalid() {
    let cases = [
        (
            json!({ "keys": [] }).to_string(),
            "the key set has no usable signature key",
        ),
        (
            json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] }).to_string(),
            "the key set has no usable signature key",
        ),
        (
            json!({ "keys": {} }).to_string(),
            "the key set has no keys array",
        ),
        (json!({}).to_string(), "the key set has no keys array"),
        ("[]".to_owned(), "the key set is not a JSON object"),
        ("<html>".to_owned(), "the key set is not a JSON object"),
    ];
    for (body, expected) in cases {
        assert_eq!(
            invalid_reason(parse_jwks(reply(200, body)).unwrap_err()),
            expected
        );
    }
}

#[test]
fn statuses_map_to_errors() {
    let err = parse_jwks(reply(503, "down")).unwrap_err();
    assert!(matches!(
        err,
        Error::ProviderUnavailable {
            endpoint: "jwks",
            status: 503
        }
    ));
    assert!(err.is_retryable());
    let err = parse_jwks(reply(404, "{}")).unwrap_err();
    assert_eq!(invalid_reason(err), "unexpected HTTP status 404");
    let body = json!({ "keys": [RSA_A.public_jwk] }).to_string();
    assert!(parse_jwks(reply(StatusCode::CREATED.as_u16(), body)).is_err());
}

#[test]
fn keys_are_chosen_by_kid() {
    let set = key_set(&[&RSA_A.public_jwk, &RSA_B.public_jwk, &EC_P256.public_jwk]);
    let kid = |alg| set.select(Some("rsa-b"), alg).map(VerifyingKey::kid);
    assert_eq!(kid(Algorithm::RS256), Ok(Some("rsa-b")));
    assert_eq!(kid(Algorithm::PS384), Ok(Some("rsa-b")));
    assert_eq!(
        kid(Algorithm::ES256),
        Err(TokenValidationError::AlgorithmNotAllowed("ES256".into()))
    );
    assert_eq!(
        set.select(Some("ec-a"), Algorithm::RS256)
            .map(VerifyingKey::kid),
        Err(TokenValidationError::AlgorithmNotAllowed("RS256".into()))
    );
    assert_eq!(
        set.select(Some("rotated"), Algorithm::RS256)
            .map(VerifyingKey::kid),
        Err(TokenValidationError::UnknownKey)
    );
}

#[test]
fn without_kid_exactly_one_key_must_fit() {
    let set = key_set(&[&RSA_A.public_jwk, &EC_P256.public_jwk, &ED25519.public_jwk]);
    assert_eq!(
        set.select(None, Algorithm::RS256).unwrap().kid(),
        Some("rsa-a")
    );
    assert_eq!(
        set.select(None, Algorithm::ES256).unwrap().kid(),
        Some("ec-a")
    );
    assert_eq!(
        set.select(None, Algorithm::EdDSA).unwrap().kid(),
        Some("ed-a")
    );
    assert_eq!(
        set.select(None, Algorithm::ES384).unwrap_err(),
        TokenValidationError::UnknownKey
    );

    let two_rsa = key_set(&[&RSA_A.public_jwk, &RSA_B.public_jwk]);
    assert_eq!(
        two_rsa.select(None, Algorithm::RS256).unwrap_err(),
        TokenValidationError::AmbiguousKey
    );
}

#[test]
fn the_key_cache_limits_refetches_per_issuer() {
    let mut cache = KeyCache::new(10, 600, DEFAULT_REFETCH_INTERVAL_SECS);
    assert!(cache.get("https://a/", 1_000).is_none());

    cache.insert("https://a/", key_set(&[&RSA_A.public_jwk]), 1_000);
    assert_eq!(cache.get("https://a/", 1_000).unwrap().len(), 1);
    assert_eq!(cache.fetched_at("https://a/", 1_010), Some(1_000));
    // A set fetched moments ago is not refetched for an unknown kid.
    assert!(!cache.may_refetch("https://a/", 1_030));
    // Other issuers have their own budget.
    assert!(cache.may_refetch("https://b/", 1_030));
    assert!(!cache.may_refetch("https://b/", 1_031));

    assert!(cache.may_refetch("https://a/", 1_060));
    assert!(!cache.may_refetch("https://a/", 1_119));
    cache.insert(
        "https://a/",
        key_set(&[&RSA_A.public_jwk, &RSA_B.public_jwk]),
        1_061,
    );
    assert_eq!(cache.get("https://a/", 1_100).unwrap().len(), 2);
    assert!(cache.may_refetch("https://a/", 1_121));

    assert!(
        cache.get("https://a/", 1_661).is_none(),
        "sets expire after the ttl"
    );
}
