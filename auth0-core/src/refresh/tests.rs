use serde_json::{Value, json};

use super::*;
use crate::params::AuthorizationParams;
use crate::secret::{IdToken, RefreshToken};
use crate::session::SessionInternal;
use crate::test_support::{ISSUER, NOW, config, id_token_claims, keys, metadata, rng};

fn set(audience: &str, scope: Option<&str>, token: &str, expires_at: u64) -> TokenSet {
    TokenSet {
        audience: audience.into(),
        access_token: AccessToken::new(token),
        scope: scope.map(str::to_owned),
        expires_at,
    }
}

fn session(sets: Vec<TokenSet>, refresh: Option<&str>) -> SessionData {
    let mut user = id_token_claims("n");
    user.remove("nonce");
    SessionData {
        user: Some(user),
        id_token: Some(IdToken::new("old.id.token")),
        refresh_token: refresh.map(RefreshToken::new),
        token_sets: sets,
        domain: Some(ISSUER.into()),
        connection_token_sets: Vec::new(),
        internal: SessionInternal {
            sid: "sid-1".into(),
            created_at: NOW - 100,
            session_expiry: None,
            updated_at: Some(NOW - 100),
        },
    }
}

fn reply(body: Value) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .body(body.to_string().into_bytes())
        .unwrap()
}

#[test]
fn selects_the_smallest_fresh_superset_for_the_audience() {
    let s = session(
        vec![
            set("api", Some("read write admin"), "big", NOW + 3600),
            set("api", Some("read write"), "small", NOW + 3600),
            set("api", Some("read"), "stale", NOW + 30),
            set("other", Some("read"), "other", NOW + 3600),
            set("default", None, "default", NOW + 3600),
        ],
        Some("rt"),
    );
    let pick = |request: AccessTokenRequest| {
        request
            .select(&s, NOW, 60)
            .map(|t| t.access_token.expose().to_owned())
    };
    assert_eq!(
        pick(AccessTokenRequest::new().audience("api").scope("read")).as_deref(),
        Some("small")
    );
    assert_eq!(
        pick(
            AccessTokenRequest::new()
                .audience("api")
                .scope("write read")
        )
        .as_deref(),
        Some("small")
    );
    assert_eq!(
        pick(AccessTokenRequest::new().audience("api").scope("admin")).as_deref(),
        Some("big")
    );
    assert_eq!(
        pick(AccessTokenRequest::new().audience("api").scope("delete")),
        None
    );
    assert_eq!(pick(AccessTokenRequest::new().audience("nope")), None);
    assert_eq!(pick(AccessTokenRequest::new()).as_deref(), Some("default"));
    // Within the buffer of its expiry a token is not fresh.
    assert_eq!(
        AccessTokenRequest::new()
            .audience("other")
            .select(&s, NOW + 3541, 60),
        None
    );
}

#[test]
fn no_audience_means_the_configured_one() {
    let with_audience = AuthorizationParams::new()
        .redirect_uri("https://app.test/cb")
        .audience("urn:api");
    let configured = config()
        .authorization_params(with_audience)
        .build()
        .unwrap();
    let request = AccessTokenRequest::new().or_default_audience(&configured);
    assert_eq!(request.audience_key(), "urn:api");
    let explicit = AccessTokenRequest::new()
        .audience("urn:other")
        .or_default_audience(&configured);
    assert_eq!(explicit.audience_key(), "urn:other");
    let plain = AccessTokenRequest::new().or_default_audience(&config().build().unwrap());
    assert_eq!(plain.audience_key(), DEFAULT_AUDIENCE);
}

#[test]
fn no_refresh_token_means_no_request() {
    let config = config().build().unwrap();
    let s = session(vec![], None);
    let err = AccessTokenRequest::new()
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap_err();
    assert_eq!(err.code(), "missing_refresh_token");
}

#[test]
fn refresh_request_carries_audience_and_scope() {
    let config = config().build().unwrap();
    let s = session(vec![], Some("rt-1"));
    let waiting = AccessTokenRequest::new()
        .audience("https://api.test/")
        .scope("read:x")
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap();
    let request = waiting.request();
    let form: std::collections::HashMap<_, _> = url::form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "rt-1");
    assert_eq!(form["audience"], "https://api.test/");
    assert_eq!(form["scope"], "read:x");
    assert_eq!(request.uri(), "https://tenant.example.test/oauth/token");
}

#[test]
fn a_reply_without_id_token_keeps_user_and_id_token_and_saves_rotation() {
    let config = config().build().unwrap();
    let mut s = session(
        vec![set("default", Some("openid"), "old", NOW - 1)],
        Some("rt-1"),
    );
    let waiting = AccessTokenRequest::new()
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap();
    let received = waiting
        .receive(&reply(json!({"access_token": "new", "token_type": "Bearer", "expires_in": 600, "scope": "openid", "refresh_token": "rt-2"})))
        .unwrap();
    assert!(!received.has_id_token());
    let user_before = s.user.clone();
    let result = received
        .apply(&config, &metadata(), &keys().set, &mut s, NOW)
        .unwrap();
    assert_eq!(result.access_token.expose(), "new");
    assert_eq!(result.expires_at, NOW + 600);
    assert_eq!(
        s.token_sets.len(),
        1,
        "the set of the same audience and scope is replaced"
    );
    assert_eq!(s.token_sets[0].access_token.expose(), "new");
    assert_eq!(s.refresh_token.as_ref().unwrap().expose(), "rt-2");
    assert_eq!(s.user, user_before);
    assert_eq!(s.id_token.as_ref().unwrap().expose(), "old.id.token");
    assert_eq!(s.internal.updated_at, Some(NOW));
}

#[test]
fn a_new_audience_adds_a_set_and_a_new_id_token_replaces_the_user() {
    let config = config().build().unwrap();
    let mut s = session(vec![set("default", None, "old", NOW + 3600)], Some("rt-1"));
    let mut claims = id_token_claims("original-nonce");
    claims.insert("name".into(), json!("Renamed User"));
    let id_token = keys().sign(&claims);
    let waiting = AccessTokenRequest::new()
        .audience("https://api.test/")
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap();
    let received = waiting
        .receive(&reply(json!({"access_token": "api-token", "token_type": "Bearer", "expires_in": 60, "id_token": id_token})))
        .unwrap();
    let result = received
        .apply(&config, &metadata(), &keys().set, &mut s, NOW)
        .unwrap();
    assert_eq!(result.audience, "https://api.test/");
    assert_eq!(s.token_sets.len(), 2);
    assert_eq!(s.user.as_ref().unwrap()["name"], "Renamed User");
    assert!(!s.user.as_ref().unwrap().contains_key("nonce"));
    assert_eq!(
        s.refresh_token.as_ref().unwrap().expose(),
        "rt-1",
        "no rotation: the old one stays"
    );
}

#[test]
fn a_refreshed_id_token_for_another_user_is_refused() {
    let config = config().build().unwrap();
    let mut s = session(vec![], Some("rt-1"));
    let mut claims = id_token_claims("n");
    claims.insert("sub".into(), json!("someone-else"));
    let waiting = AccessTokenRequest::new()
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap();
    let received = waiting
        .receive(&reply(
            json!({"access_token": "a", "token_type": "Bearer", "id_token": keys().sign(&claims)}),
        ))
        .unwrap();
    let err = received
        .apply(&config, &metadata(), &keys().set, &mut s, NOW)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::IdTokenValidation(TokenValidationError::SubjectMismatch)
        ),
        "{err:?}"
    );
    assert!(s.token_sets.is_empty(), "nothing is applied");
}

#[test]
fn refresh_errors_keep_the_oauth_code() {
    let config = config().build().unwrap();
    let s = session(vec![], Some("rt-1"));
    let waiting = AccessTokenRequest::new()
        .refresh_request(&config, &metadata(), &s, NOW, &mut rng())
        .unwrap();
    let reply = http::Response::builder()
        .status(400)
        .body(
            br#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#.to_vec(),
        )
        .unwrap();
    assert_eq!(waiting.receive(&reply).unwrap_err().code(), "invalid_grant");
}
