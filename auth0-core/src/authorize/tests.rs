use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::test_support::{NOW, config, metadata, render_request, render_url, rng};

fn start(config: &ClientConfig, options: StartInteractiveLoginOptions) -> Result<LoginStart> {
    start_login(config, &metadata(), options, NOW, &mut rng())
}

fn redirect(config: &ClientConfig, options: StartInteractiveLoginOptions) -> AuthorizeRedirect {
    match start(config, options).unwrap() {
        LoginStart::Redirect(redirect) => redirect,
        LoginStart::Push(_) => panic!("expected a plain redirect"),
    }
}

fn query(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[test]
fn default_authorize_url() {
    let config = config().build().unwrap();
    let redirect = redirect(&config, StartInteractiveLoginOptions::new());
    insta::assert_snapshot!(render_url(redirect.url()));

    let tx = redirect.transaction();
    let q = query(redirect.url());
    assert!(tx.state.matches(&q["state"]));
    assert!(tx.nonce.matches(&q["nonce"]));
    assert_eq!(
        q["code_challenge"],
        crate::pkce::s256_challenge(tx.code_verifier.expose())
    );
    assert_eq!(tx.created_at, NOW);
    assert_eq!(tx.domain, "https://tenant.example.test/");
    assert_eq!(tx.redirect_uri, "https://app.example.test/auth/callback");
}

#[test]
fn every_login_gets_fresh_state_nonce_and_verifier() {
    let config = config().build().unwrap();
    let mut rng = rng();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let start = start_login(&config, &metadata(), Default::default(), NOW, &mut rng).unwrap();
        let LoginStart::Redirect(redirect) = start else {
            panic!("expected a redirect")
        };
        let q = query(redirect.url());
        assert!(seen.insert(q["state"].clone()));
        assert!(seen.insert(q["nonce"].clone()));
        assert!(seen.insert(q["code_challenge"].clone()));
        assert!(q["state"].len() >= 43);
    }
}

#[test]
fn per_call_params_override_defaults_and_scopes_merge() {
    let config = config()
        .authorization_params(
            AuthorizationParams::new()
                .redirect_uri("https://app.example.test/auth/callback")
                .scope("openid profile")
                .audience("urn:default:api")
                .param("screen_hint", "login")
                .param("foo", "default"),
        )
        .build()
        .unwrap();
    let options = StartInteractiveLoginOptions::new().authorization_params(
        AuthorizationParams::new()
            .scope("email read:messages profile")
            .audience("urn:custom:api")
            .param("foo", "bar"),
    );
    let redirect = redirect(&config, options);
    let q = query(redirect.url());
    assert_eq!(q["scope"], "openid profile email read:messages");
    assert_eq!(q["audience"], "urn:custom:api");
    assert_eq!(q["foo"], "bar");
    assert_eq!(q["screen_hint"], "login");
    assert_eq!(
        redirect.transaction().audience.as_deref(),
        Some("urn:custom:api")
    );
}

#[test]
fn per_audience_scope_map() {
    let scopes = BTreeMap::from([
        ("urn:a".to_owned(), "read:a".to_owned()),
        ("urn:b".to_owned(), "read:b".to_owned()),
    ]);
    let config = config()
        .authorization_params(
            AuthorizationParams::new()
                .redirect_uri("https://app.test/cb")
                .scope(scopes),
        )
        .build()
        .unwrap();
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(AuthorizationParams::new().audience("urn:b"));
    assert_eq!(
        query(redirect(&config, options).url())["scope"],
        "openid read:b"
    );
}

#[test]
fn reserved_params_cannot_be_overridden_per_call() {
    let config = config().build().unwrap();
    for name in crate::params::RESERVED_PARAMS {
        let options = StartInteractiveLoginOptions::new()
            .authorization_params(AuthorizationParams::new().param(name, "attacker"));
        let err = start(&config, options).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{name}");
    }
}

#[test]
fn redirect_uri_falls_back_to_the_top_level_one_and_is_required() {
    let top_level = config()
        .authorization_params(AuthorizationParams::new())
        .redirect_uri("https://app.test/fallback")
        .build()
        .unwrap();
    let url = redirect(&top_level, Default::default()).into_parts().0;
    assert_eq!(query(&url)["redirect_uri"], "https://app.test/fallback");

    let none = config()
        .authorization_params(AuthorizationParams::new())
        .build()
        .unwrap();
    let err = start(&none, Default::default()).unwrap_err();
    assert_eq!(err.code(), "missing_required_argument");
    assert!(err.to_string().contains("redirect_uri"));
}

#[test]
fn app_state_and_max_age_go_to_the_transaction() {
    let config = config().build().unwrap();
    let options = StartInteractiveLoginOptions::new()
        .app_state(json!({"returnTo": "http://localhost:3000/dashboard"}))
        .authorization_params(AuthorizationParams::new().max_age(300));
    let redirect = redirect(&config, options);
    assert_eq!(query(redirect.url())["max_age"], "300");
    let tx = redirect.transaction();
    assert_eq!(
        tx.app_state,
        Some(json!({"returnTo": "http://localhost:3000/dashboard"}))
    );
    assert_eq!(tx.max_age, Some(300));
}

#[test]
fn organization_per_call_wins_and_blank_is_refused() {
    let config = config().organization("org_dedicated").build().unwrap();
    let dedicated = redirect(&config, Default::default());
    assert_eq!(query(dedicated.url())["organization"], "org_dedicated");

    let options = StartInteractiveLoginOptions::new()
        .organization("Acme")
        .invitation("inv-1");
    let multi = redirect(&config, options);
    let q = query(multi.url());
    assert_eq!(q["organization"], "Acme");
    assert_eq!(q["invitation"], "inv-1");
    assert_eq!(multi.transaction().organization.as_deref(), Some("Acme"));

    let blank = StartInteractiveLoginOptions::new().organization("  ");
    assert_eq!(
        start(&config, blank).unwrap_err().code(),
        "invalid_argument"
    );
}

#[test]
fn authorization_details_are_sent_as_a_json_array_string() {
    let config = config().build().unwrap();
    let details =
        json!([{"type": "money_transfer", "instructedAmount": {"amount": 5, "currency": "EUR"}}]);
    let options = StartInteractiveLoginOptions::new().authorization_params(
        AuthorizationParams::new().param("authorization_details", details.to_string()),
    );
    let q = query(redirect(&config, options).url());
    let sent: serde_json::Value = serde_json::from_str(&q["authorization_details"]).unwrap();
    assert_eq!(sent, details);

    let bad = StartInteractiveLoginOptions::new().authorization_params(
        AuthorizationParams::new().authorization_details(json!({"type": "x"})),
    );
    assert_eq!(start(&config, bad).unwrap_err().code(), "invalid_argument");
}

#[test]
fn par_request_and_redirect() {
    let config = config().build().unwrap();
    let options = StartInteractiveLoginOptions::new()
        .pushed_authorization_requests(true)
        .authorization_params(AuthorizationParams::new().param("foo", "bar"));
    let LoginStart::Push(push) = start(&config, options).unwrap() else {
        panic!("expected a pushed request")
    };
    insta::assert_snapshot!(render_request(&push.request()));

    let reply = http::Response::builder()
        .status(201)
        .body(
            br#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc/+=","expires_in":60}"#
                .to_vec(),
        )
        .unwrap();
    let redirect = push.receive(&reply).unwrap();
    assert_eq!(
        redirect.url(),
        "https://tenant.example.test/authorize?client_id=client-1&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc%2F%2B%3D"
    );
}

#[test]
fn par_flag_per_call_overrides_the_client() {
    let config = config()
        .pushed_authorization_requests(true)
        .build()
        .unwrap();
    let off = StartInteractiveLoginOptions::new().pushed_authorization_requests(false);
    assert!(matches!(
        start(&config, off).unwrap(),
        LoginStart::Redirect(_)
    ));
    assert!(matches!(
        start(&config, Default::default()).unwrap(),
        LoginStart::Push(_)
    ));
}

#[test]
fn par_errors() {
    let config = config().build().unwrap();
    let on = || StartInteractiveLoginOptions::new().pushed_authorization_requests(true);
    let LoginStart::Push(push) = start(&config, on()).unwrap() else {
        panic!("expected push")
    };
    let reply = http::Response::builder()
        .status(400)
        .body(br#"{"error":"invalid_request","error_description":"bad"}"#.to_vec())
        .unwrap();
    assert_eq!(push.receive(&reply).unwrap_err().code(), "invalid_request");

    let mut without_par = metadata();
    without_par.pushed_authorization_request_endpoint = None;
    let err = start_login(&config, &without_par, on(), NOW, &mut rng()).unwrap_err();
    assert_eq!(err.code(), "configuration_error");
}
