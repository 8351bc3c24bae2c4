use serde_json::json;

use super::*;
use crate::jose::testing::{RSA_A, RSA_B, key_set};

use TokenValidationError as E;

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://tenant.example.test/";

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "client-1",
        "iat": NOW - 5,
        "exp": NOW + 115,
        "jti": "jti-1",
        "sid": "sid-1",
        "sub": "user-123",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
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

fn validate(token: &str) -> Result<LogoutTokenClaims, TokenValidationError> {
    let keys = key_set(&[&RSA_A.public_jwk]);
    let expected = LogoutTokenExpectations {
        issuer: ISSUER,
        client_id: "client-1",
        leeway_secs: 60,
        now: NOW,
        max_age_secs: 120,
        allowed: &[Algorithm::RS256],
        client_secret: None,
    };
    validate_logout_token(token, &keys, &expected)
}

fn logout_jwt(claims: &Value) -> String {
    RSA_A.sign_with_header(
        &json!({"alg": "RS256", "kid": RSA_A.kid, "typ": "logout+jwt"}),
        claims,
    )
}

#[test]
fn a_valid_logout_token() {
    let claims = validate(&logout_jwt(&claims())).unwrap();
    assert_eq!(claims.sid.as_deref(), Some("sid-1"));
    assert_eq!(claims.sub.as_deref(), Some("user-123"));
    assert_eq!(claims.jti, "jti-1");
    assert_eq!(claims.iss, ISSUER);
    // sid alone and sub alone are enough.
    assert!(validate(&logout_jwt(&with(json!({"sub": null})))).is_ok());
    assert!(validate(&logout_jwt(&with(json!({"sid": null})))).is_ok());
}

#[test]
fn every_required_check() {
    let cases = [
        (
            with(json!({"iss": "https://evil.test/"})),
            E::IssuerMismatch,
        ),
        (with(json!({"aud": "other"})), E::AudienceMismatch),
        (with(json!({"iat": null})), E::MissingClaim("iat")),
        (with(json!({"iat": NOW + 600})), E::IssuedInFuture),
        (with(json!({"iat": NOW - 3600, "exp": null})), E::Expired),
        (with(json!({"exp": NOW - 120})), E::Expired),
        (
            with(json!({"events": null})),
            E::InvalidLogoutToken("the back-channel logout event is missing"),
        ),
        (
            with(json!({"events": {"other": {}}})),
            E::InvalidLogoutToken("the back-channel logout event is missing"),
        ),
        (
            with(json!({"events": {BACKCHANNEL_LOGOUT_EVENT: "x"}})),
            E::InvalidLogoutToken("the back-channel logout event is missing"),
        ),
        (
            with(json!({"nonce": "n"})),
            E::InvalidLogoutToken("a logout token must not carry a nonce"),
        ),
        (
            with(json!({"sid": null, "sub": null})),
            E::InvalidLogoutToken("neither sid nor sub is present"),
        ),
        (with(json!({"jti": null})), E::MissingClaim("jti")),
    ];
    for (claims, expected) in cases {
        assert_eq!(
            validate(&logout_jwt(&claims)).unwrap_err(),
            expected,
            "{claims}"
        );
    }
}

#[test]
fn signature_and_type_are_checked() {
    let other_key = RSA_B.sign(&claims());
    assert_eq!(validate(&other_key).unwrap_err(), E::UnknownKey);
    let mut tampered = logout_jwt(&claims());
    tampered.insert(tampered.len() - 4, 'A');
    assert!(validate(&tampered).is_err());
    let id_token_typ = RSA_A.sign_with_header(
        &json!({"alg": "RS256", "kid": RSA_A.kid, "typ": "at+jwt"}),
        &claims(),
    );
    assert_eq!(validate(&id_token_typ).unwrap_err(), E::UnexpectedTokenType);
    assert_eq!(validate("garbage").unwrap_err(), E::Malformed);
}
