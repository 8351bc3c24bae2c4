use serde_json::json;

use super::*;
use crate::jose::testing::{RSA_A, b64, compact, key_set};

use TokenValidationError as E;

fn verify(token: &str) -> Result<VerifiedJwt, TokenValidationError> {
    let keys = key_set(&[&RSA_A.public_jwk]);
    verify_jwt(
        token,
        &VerificationKeys {
            keys: &keys,
            allowed: &[Algorithm::RS256],
            client_secret: None,
        },
    )
}

fn rs256_header() -> Value {
    json!({ "alg": "RS256", "kid": "rsa-a" })
}

fn claims() -> Value {
    json!({ "sub": "user-1", "nonce": "n-secret-value" })
}

/// Signs raw header and payload bytes, so that malformed JSON gets a valid signature.
fn sign_raw(header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = RSA_A.signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

#[test]
fn a_valid_token_yields_its_header_and_claims() {
    let token = RSA_A.sign_with_header(
        &json!({ "alg": "RS256", "kid": "rsa-a", "typ": "JWT" }),
        &claims(),
    );
    let verified = verify(&token).unwrap();
    assert_eq!(verified.header().alg(), Algorithm::RS256);
    assert_eq!(verified.header().kid(), Some("rsa-a"));
    assert_eq!(verified.header().typ(), Some("JWT"));
    assert_eq!(verified.claims()["sub"], "user-1");
    let printed = format!("{verified:?}");
    assert!(!printed.contains("n-secret-value"), "{printed}");
    assert!(printed.contains("\"nonce\""), "{printed}");
    assert_eq!(Value::Object(verified.into_claims()), claims());
}

#[test]
fn oversized_tokens_are_refused_before_parsing() {
    let padding = "x".repeat(MAX_TOKEN_LEN);
    let token =
        RSA_A.sign_with_header(&rs256_header(), &json!({ "sub": "user-1", "pad": padding }));
    assert!(token.len() > MAX_TOKEN_LEN);
    assert_eq!(verify(&token).unwrap_err(), E::Malformed);
    assert_eq!(
        verify(&"a".repeat(MAX_TOKEN_LEN + 1)).unwrap_err(),
        E::Malformed
    );
}

#[test]
fn structural_garbage_is_malformed() {
    let good = RSA_A.sign_with_header(&rs256_header(), &claims());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let cases = [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "not a token".into(),
        format!("{header}.{payload}"),
        format!("{header}.{payload}.{signature}.extra"),
        format!("{header}.{payload}.{signature}.a.b"),
        format!("{header}=.{payload}.{signature}"),
        format!("{header}.{payload}.{signature}="),
        format!("{header}.{payload}!.{signature}"),
        format!("{header}.{payload}.{signature}+/"),
        format!("{header}.{payload} .{signature}"),
        format!("é{header}.{payload}.{signature}"),
        format!("{header}.{payload}.{}B", &signature[..signature.len() - 1]),
        format!("{}.{payload}.{signature}", b64("not json")),
        format!("{}.{payload}.{signature}", b64("[]")),
        format!("{}.{payload}.{signature}", b64(r#"{"kid":"rsa-a"}"#)),
        format!("{}.{payload}.{signature}", b64(r#"{"alg":256}"#)),
        format!(
            "{}.{payload}.{signature}",
            b64(r#"{"alg":"RS256","kid":7}"#)
        ),
        "\u{0}.\u{0}.\u{0}".into(),
    ];
    for token in cases {
        assert_eq!(verify(&token).unwrap_err(), E::Malformed, "{token:?}");
    }
}

#[test]
fn claims_must_be_one_json_object_without_repeated_members() {
    let cases = [
        "not json",
        "[1, 2]",
        "\"sub\"",
        "null",
        r#"{"sub":"user-1","sub":"admin"}"#,
        r#"{"sub":"user-1"} trailing"#,
    ];
    for payload in cases {
        let token = sign_raw(r#"{"alg":"RS256","kid":"rsa-a"}"#, payload);
        assert_eq!(verify(&token).unwrap_err(), E::Malformed, "{payload}");
    }
    let token = sign_raw(
        r#"{"alg":"RS256","kid":"rsa-a","alg":"RS256"}"#,
        r#"{"sub":"u"}"#,
    );
    assert_eq!(
        verify(&token).unwrap_err(),
        E::Malformed,
        "repeated header member"
    );
}

#[test]
fn none_and_unknown_algorithms_are_refused() {
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(claims().to_string())
    );
    assert_eq!(
        verify(&none).unwrap_err(),
        E::AlgorithmNotAllowed("none".into())
    );
    let none_sig = compact(&json!({ "alg": "none" }), &claims(), |_| b"sig".to_vec());
    assert_eq!(
        verify(&none_sig).unwrap_err(),
        E::AlgorithmNotAllowed("none".into())
    );

    let cases = [
        ("None", "None"),
        ("HS512", "HS512"),
        ("RS1", "RS1"),
        ("a much longer hostile algorithm name", "unsupported"),
        ("RS256\n", "unsupported"),
    ];
    for (alg, reported) in cases {
        let token = compact(&json!({ "alg": alg, "kid": "rsa-a" }), &claims(), |_| {
            vec![1; 256]
        });
        assert_eq!(
            verify(&token).unwrap_err(),
            E::AlgorithmNotAllowed(reported.into()),
            "{alg}"
        );
    }
}

#[test]
fn algorithms_off_the_allow_list_are_refused() {
    let token = RSA_A.sign_with_header(&json!({ "alg": "PS256", "kid": "rsa-a" }), &claims());
    assert_eq!(
        verify(&token).unwrap_err(),
        E::AlgorithmNotAllowed("PS256".into())
    );
    let keys = key_set(&[&RSA_A.public_jwk]);
    let nothing = VerificationKeys {
        keys: &keys,
        allowed: &[],
        client_secret: None,
    };
    let token = RSA_A.sign_with_header(&rs256_header(), &claims());
    assert_eq!(
        verify_jwt(&token, &nothing).unwrap_err(),
        E::AlgorithmNotAllowed("RS256".into())
    );
}

#[test]
fn critical_extensions_are_refused() {
    let header = json!({ "alg": "RS256", "kid": "rsa-a", "crit": ["b64"], "b64": false });
    let token = RSA_A.sign_with_header(&header, &claims());
    assert_eq!(verify(&token).unwrap_err(), E::Malformed);
}

#[test]
fn hs256_without_a_client_secret_is_refused() {
    let keys = key_set(&[&RSA_A.public_jwk]);
    let keys = VerificationKeys {
        keys: &keys,
        allowed: &[Algorithm::HS256],
        client_secret: None,
    };
    let token = compact(&json!({ "alg": "HS256" }), &claims(), |_| vec![0; 32]);
    assert_eq!(
        verify_jwt(&token, &keys).unwrap_err(),
        E::AlgorithmNotAllowed("HS256".into())
    );
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let token = RSA_A.sign_with_header(&rs256_header(), &claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(json!({ "sub": "admin" }).to_string()),
        parts[2]
    );
    assert_eq!(verify(&forged).unwrap_err(), E::InvalidSignature);
    let empty_signature = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(verify(&empty_signature).unwrap_err(), E::InvalidSignature);
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn numeric_dates_accept_whole_and_fractional_seconds() {
    let claims = object(json!({
        "whole": 1_700_000_000u64, "fraction": 1_700_000_000.75, "negative": -1,
        "text": "1700000000", "huge": 1e300, "null": null
    }));
    assert_eq!(numeric_date(&claims, "whole"), Ok(Some(1_700_000_000)));
    assert_eq!(numeric_date(&claims, "fraction"), Ok(Some(1_700_000_000)));
    assert_eq!(numeric_date(&claims, "absent"), Ok(None));
    for name in ["negative", "text", "huge", "null"] {
        assert!(numeric_date(&claims, name).is_err(), "{name}");
    }
}

#[test]
fn audience_may_be_a_string_or_an_array() {
    assert_eq!(
        check_audience(&object(json!({ "aud": "client" })), "client"),
        Ok(1)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": ["api", "client"] })), "client"),
        Ok(2)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": ["client"] })), "client"),
        Ok(1)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": "other" })), "client"),
        Err(E::AudienceMismatch)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": [] })), "client"),
        Err(E::AudienceMismatch)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": ["clientx"] })), "client"),
        Err(E::AudienceMismatch)
    );
    assert_eq!(
        check_audience(&object(json!({ "aud": ["client", 1] })), "client"),
        Err(E::MissingClaim("aud"))
    );
    assert_eq!(
        check_audience(&object(json!({})), "client"),
        Err(E::MissingClaim("aud"))
    );
    assert_eq!(
        check_issuer(&object(json!({ "iss": 1 })), "https://op/"),
        Err(E::MissingClaim("iss"))
    );
}

#[test]
fn signatures_of_any_length_fail_cleanly_for_every_algorithm() {
    use crate::jose::testing::{EC_P256, ED25519, RSA_B};

    let keys = key_set(&[
        &RSA_A.public_jwk,
        &RSA_B.public_jwk,
        &EC_P256.public_jwk,
        &ED25519.public_jwk,
    ]);
    let secret = ClientSecret::new("a client secret that is longer than thirty-two bytes");
    let keys = VerificationKeys {
        keys: &keys,
        allowed: &Algorithm::ALL,
        client_secret: Some(&secret),
    };
    let kids = [
        ("RS256", "rsa-a"),
        ("PS512", "rsa-b"),
        ("ES256", "ec-a"),
        ("EdDSA", "ed-a"),
        ("HS256", "x"),
    ];
    for (alg, kid) in kids {
        for signature in [
            vec![],
            vec![0],
            vec![0; 32],
            vec![0; 64],
            vec![0xff; 64],
            vec![0; 256],
            vec![1; 600],
        ] {
            let token = compact(&json!({ "alg": alg, "kid": kid }), &claims(), |_| {
                signature.clone()
            });
            assert_eq!(
                verify_jwt(&token, &keys).unwrap_err(),
                E::InvalidSignature,
                "{alg} {}",
                signature.len()
            );
        }
    }
}
