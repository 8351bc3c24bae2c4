use serde_json::{Value, json};

use super::*;
use crate::authorize::{LoginStart, StartInteractiveLoginOptions, start_login};
use crate::config::ClientConfig;
use crate::params::AuthorizationParams;
use crate::test_support::{
    ISSUER, NOW, config, id_token_claims, keys, metadata, render_request, rng,
};

/// Starts a login and returns its transaction.
fn transaction(config: &ClientConfig, options: StartInteractiveLoginOptions) -> Transaction {
    match start_login(config, &metadata(), options, NOW, &mut rng()).unwrap() {
        LoginStart::Redirect(redirect) => redirect.into_parts().1,
        LoginStart::Push(_) => panic!("expected a redirect"),
    }
}

fn callback_url(tx: &Transaction, extra: &str) -> String {
    let mut url = url::Url::parse("https://app.example.test/auth/callback").unwrap();
    url.query_pairs_mut()
        .append_pair("state", tx.state.expose())
        .append_pair("iss", ISSUER);
    format!("{url}{extra}")
}

fn token_reply(id_token: &str, extra: Value) -> http::Response<Vec<u8>> {
    let mut body = json!({
        "access_token": "at-1",
        "token_type": "Bearer",
        "expires_in": 86400,
        "scope": "openid profile",
        "refresh_token": "rt-1",
        "id_token": id_token,
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    http::Response::builder()
        .status(200)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap()
}

/// Runs a whole callback with a token reply whose ID token has `claims`.
fn complete(
    config: &ClientConfig,
    tx: Transaction,
    claims: serde_json::Map<String, Value>,
) -> Result<LoginResult> {
    let params = CallbackParams::parse(&callback_url(&tx, "&code=code-1"))?;
    let exchange = begin_code_exchange(config, &metadata(), params, tx, NOW, &mut rng())?;
    let received = exchange.receive(&token_reply(&keys().sign(&claims), json!({})))?;
    received.complete(config, &metadata(), &keys().set, NOW)
}

#[test]
fn parses_full_urls_paths_and_queries() {
    for input in [
        "https://app.test/cb?code=c&state=s&iss=x",
        "/cb?code=c&state=s",
        "?code=c&state=s",
        "code=c&state=s",
        "https://app.test/cb?code=c&state=s#state=ignored",
    ] {
        let params = CallbackParams::parse(input).unwrap();
        assert!(params.state().matches("s"), "{input}");
    }
}

#[test]
fn refuses_repeated_and_missing_pieces() {
    let cases = [
        (
            "https://app.test/cb?code=c&state=s&state=t",
            "invalid_callback",
        ),
        (
            "https://app.test/cb?code=c&code=d&state=s",
            "invalid_callback",
        ),
        (
            "https://app.test/cb?code=c&state=s&iss=a&iss=b",
            "invalid_callback",
        ),
        ("https://app.test/cb?code=c", "missing_required_argument"),
        (
            "https://app.test/cb?code=c&state=",
            "missing_required_argument",
        ),
        ("https://app.test/cb", "missing_required_argument"),
        (
            "https://app.test/cb#code=c&state=s",
            "missing_required_argument",
        ),
        ("https://app.test/cb?state=s", "invalid_callback"),
        ("https://app.test/cb?state=s&code=", "invalid_callback"),
    ];
    for (input, code) in cases {
        assert_eq!(
            CallbackParams::parse(input).unwrap_err().code(),
            code,
            "{input}"
        );
    }
    let huge = format!(
        "https://app.test/cb?state=s&code={}",
        "a".repeat(MAX_CALLBACK_LEN)
    );
    assert_eq!(
        CallbackParams::parse(&huge).unwrap_err().code(),
        "invalid_callback"
    );
}

#[test]
fn token_request_snapshot() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let params = CallbackParams::parse(&callback_url(&tx, "&code=code-1")).unwrap();
    let exchange = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap();
    insta::assert_snapshot!(render_request(&exchange.request()));
}

#[test]
fn client_secret_post_sends_the_secret_in_the_body() {
    let config = config().client_secret_post().build().unwrap();
    let tx = transaction(&config, Default::default());
    let params = CallbackParams::parse(&callback_url(&tx, "&code=code-1")).unwrap();
    let exchange = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap();
    let request = exchange.request();
    assert!(request.headers().get(http::header::AUTHORIZATION).is_none());
    let form: std::collections::HashMap<_, _> = url::form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    assert_eq!(form["client_id"], "client-1");
    assert_eq!(form["client_secret"], crate::test_support::CLIENT_SECRET);
}

#[test]
fn a_valid_callback_builds_the_session() {
    let config = config().build().unwrap();
    let options = StartInteractiveLoginOptions::new()
        .app_state(json!({"returnTo": "/dashboard"}))
        .authorization_params(AuthorizationParams::new().audience("urn:api"));
    let tx = transaction(&config, options);
    let claims = id_token_claims(tx.nonce.expose());
    let result = complete(&config, tx, claims).unwrap();

    assert_eq!(result.app_state, Some(json!({"returnTo": "/dashboard"})));
    let session = result.session;
    assert_eq!(session.sub(), Some("user-123"));
    let user = session.user.as_ref().unwrap();
    assert_eq!(user["name"], "Test User");
    assert!(!user.contains_key("nonce"), "the nonce is not a user claim");
    assert_eq!(session.internal.sid, "sid-1");
    assert_eq!(session.internal.created_at, NOW);
    assert_eq!(session.refresh_token.as_ref().unwrap().expose(), "rt-1");
    assert_eq!(session.token_sets.len(), 1);
    let set = &session.token_sets[0];
    assert_eq!(set.audience, "urn:api");
    assert_eq!(set.access_token.expose(), "at-1");
    assert_eq!(set.expires_at, NOW + 86400);
    assert_eq!(set.scope.as_deref(), Some("openid profile"));
    assert_eq!(session.domain.as_deref(), Some(ISSUER));
}

#[test]
fn oauth_error_callbacks_keep_the_code_and_description() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let url = callback_url(
        &tx,
        "&error=access_denied&error_description=User%20said%20no",
    );
    let params = CallbackParams::parse(&url).unwrap();
    let err = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "access_denied");
    assert!(matches!(err, Error::Api { ref description, .. } if description == "User said no"));
}

#[test]
fn the_iss_parameter_must_match_when_supported() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let mut url = url::Url::parse("https://app.example.test/cb").unwrap();
    url.query_pairs_mut()
        .append_pair("state", tx.state.expose())
        .append_pair("code", "c")
        .append_pair("iss", "https://evil.example.test/");
    let params = CallbackParams::parse(url.as_str()).unwrap();
    let err = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");

    // The provider advertises `iss`, so a callback without it is refused too.
    let tx = transaction(&config, Default::default());
    let url = format!(
        "https://app.example.test/cb?state={}&code=c",
        tx.state.expose()
    );
    let params = CallbackParams::parse(&url).unwrap();
    let err = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");
}

#[test]
fn wrong_or_expired_transactions_are_missing() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let params = CallbackParams::parse("https://app.test/cb?state=other&code=c").unwrap();
    let err = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "missing_transaction");

    let tx = transaction(&config, Default::default());
    let params = CallbackParams::parse(&callback_url(&tx, "&code=c")).unwrap();
    let later = NOW + 3601;
    let err = begin_code_exchange(&config, &metadata(), params, tx, later, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "missing_transaction");
}

#[test]
fn the_nonce_must_be_the_transactions() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let err = complete(&config, tx, id_token_claims("another-nonce")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::IdTokenValidation(TokenValidationError::NonceMismatch)
        ),
        "{err:?}"
    );
}

#[test]
fn organization_ids_must_match_exactly() {
    let config = config().organization("org_abc").build().unwrap();
    let with_org = |org_id: Option<&str>| {
        let tx = transaction(&config, Default::default());
        let mut claims = id_token_claims(tx.nonce.expose());
        if let Some(org_id) = org_id {
            claims.insert("org_id".into(), json!(org_id));
        }
        complete(&config, tx, claims)
    };
    assert!(with_org(Some("org_abc")).is_ok());
    for bad in [Some("org_ABC"), Some("org_other"), None] {
        let err = with_org(bad).unwrap_err();
        assert_eq!(err.code(), "organization_token_validation_error", "{bad:?}");
    }
}

#[test]
fn organization_names_match_after_nfc_and_lowercase() {
    let config = config().build().unwrap();
    let with_name = |requested: &str, claim: Option<&str>| {
        let tx = transaction(
            &config,
            StartInteractiveLoginOptions::new().organization(requested),
        );
        let mut claims = id_token_claims(tx.nonce.expose());
        if let Some(claim) = claim {
            claims.insert("org_name".into(), json!(claim));
        }
        complete(&config, tx, claims)
    };
    assert!(with_name("Acme", Some("acme")).is_ok());
    // "é" precomposed in the claim, decomposed in the request.
    assert!(with_name("Cafe\u{301}", Some("caf\u{e9}")).is_ok());
    assert_eq!(
        with_name("Acme", Some("acme-corp")).unwrap_err().code(),
        "organization_token_validation_error"
    );
    assert_eq!(
        with_name("Acme", None).unwrap_err().code(),
        "organization_token_validation_error"
    );
    // A name is never compared with org_id.
    let tx = transaction(
        &config,
        StartInteractiveLoginOptions::new().organization("acme"),
    );
    let mut claims = id_token_claims(tx.nonce.expose());
    claims.insert("org_id".into(), json!("acme"));
    assert_eq!(
        complete(&config, tx, claims).unwrap_err().code(),
        "organization_token_validation_error"
    );
}

#[test]
fn token_replies_without_id_token_or_with_errors() {
    let config = config().build().unwrap();
    let begin = || {
        let tx = transaction(&config, Default::default());
        let params = CallbackParams::parse(&callback_url(&tx, "&code=c")).unwrap();
        begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap()
    };
    let no_id_token = http::Response::builder()
        .status(200)
        .body(br#"{"access_token":"a","token_type":"Bearer"}"#.to_vec())
        .unwrap();
    assert_eq!(
        begin().receive(&no_id_token).unwrap_err().code(),
        "invalid_response"
    );

    let grant_error = http::Response::builder()
        .status(400)
        .body(
            br#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#.to_vec(),
        )
        .unwrap();
    assert_eq!(
        begin().receive(&grant_error).unwrap_err().code(),
        "invalid_grant"
    );

    let html = http::Response::builder()
        .status(503)
        .body(b"<html>".to_vec())
        .unwrap();
    assert_eq!(
        begin().receive(&html).unwrap_err().code(),
        "provider_unavailable"
    );
}

#[test]
fn authorization_details_come_back_with_the_result() {
    let config = config().build().unwrap();
    let tx = transaction(&config, Default::default());
    let claims = id_token_claims(tx.nonce.expose());
    let params = CallbackParams::parse(&callback_url(&tx, "&code=c")).unwrap();
    let exchange = begin_code_exchange(&config, &metadata(), params, tx, NOW, &mut rng()).unwrap();
    let details =
        json!([{"type": "money_transfer", "instructedAmount": {"amount": 5, "currency": "EUR"}}]);
    let reply = token_reply(
        &keys().sign(&claims),
        json!({"authorization_details": details}),
    );
    let result = exchange
        .receive(&reply)
        .unwrap()
        .complete(&config, &metadata(), &keys().set, NOW);
    assert_eq!(result.unwrap().authorization_details, Some(details));
}
