//! The SDK routes, in-process, against the real test provider.

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use auth0_actix::{Auth0, Error, ServerClient, SessionData, SessionStore, StoreOptions};
use auth0_e2e::Provider;
use common::{BASE, Jar, get, json, location, login, service, set_cookies};
use url::Url;

#[actix_web::test]
async fn login_sends_only_return_to_organization_and_invitation() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;

    let uri = "/auth/login?returnTo=%2Fprivate&organization=org_123&invitation=inv_456\
               &prompt=none&scope=admin&login_hint=someone&redirect_uri=http%3A%2F%2Fevil.test%2F\
               &foo=bar";
    let response =
        test::call_service(&app, get(uri, &Jar::default(), "text/html").to_request()).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(
        set_cookies(&response)
            .iter()
            .any(|(_, _, removed)| !removed),
        "the transaction cookie is set"
    );

    let authorize = Url::parse(&location(&response)).unwrap();
    assert!(authorize.as_str().starts_with(provider.base_url()));
    let params: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    let value = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(value("organization"), Some("org_123"));
    assert_eq!(value("invitation"), Some("inv_456"));
    assert_eq!(
        value("redirect_uri"),
        Some(format!("{BASE}/auth/callback").as_str())
    );
    for absent in ["prompt", "login_hint", "foo", "returnTo"] {
        assert_eq!(value(absent), None, "{absent} must not reach the provider");
    }
    assert!(!value("scope").unwrap().contains("admin"));
}

#[actix_web::test]
async fn a_login_returns_to_its_page_and_serves_profile_and_token() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();

    let done = login(&app, &mut jar, "?returnTo=%2Fprivate%3Fx%3D1").await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(location(&done), "/private?x=1");
    assert!(
        jar.names()
            .iter()
            .any(|name| name.starts_with("_a0_session"))
    );

    let profile = test::call_service(&app, get("/auth/profile", &jar, "*/*").to_request()).await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert_eq!(profile.headers().get("cache-control").unwrap(), "no-store");
    let profile = json(profile).await;
    assert_eq!(profile["sub"], "user-123");
    assert_eq!(profile["name"], "Test User");

    let token = test::call_service(&app, get("/auth/access-token", &jar, "*/*").to_request()).await;
    assert_eq!(token.status(), StatusCode::OK);
    let token = json(token).await;
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(token["expires_at"].as_u64().is_some());
}

#[actix_web::test]
async fn an_outside_return_to_lands_on_the_home_page() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();

    let done = login(&app, &mut jar, "?returnTo=https%3A%2F%2Fevil.test%2Fsteal").await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(location(&done), "/");
}

#[actix_web::test]
async fn a_refused_callback_is_400_json_and_sets_no_session() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();

    let start = test::call_service(&app, get("/auth/login", &jar, "text/html").to_request()).await;
    jar.absorb(&start);
    let authorize = Url::parse(&location(&start)).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap();

    let mut callback = Url::parse(&format!("{BASE}/auth/callback")).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "the user said no")
        .append_pair("state", &state)
        .append_pair("iss", provider.issuer());
    let uri = format!("{}?{}", callback.path(), callback.query().unwrap());
    let response = test::call_service(&app, get(&uri, &jar, "text/html").to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_no_session_cookie(&response);
    let body = json(response).await;
    assert_eq!(body["error"], "access_denied");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("the user said no")
    );

    // The transaction is gone: the same callback again is a missing transaction.
    let replay = test::call_service(&app, get(&uri, &jar, "text/html").to_request()).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(replay).await["error"], "missing_transaction");

    for (uri, code) in [
        ("/auth/callback", "missing_required_argument"),
        (
            "/auth/callback?code=abc&state=unknown",
            "missing_transaction",
        ),
        (
            "/auth/callback?code=a&code=b&state=s&state=t",
            "invalid_callback",
        ),
    ] {
        let response = test::call_service(&app, get(uri, &jar, "text/html").to_request()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert_no_session_cookie(&response);
        assert_eq!(json(response).await["error"], code, "{uri}");
    }
}

#[actix_web::test]
async fn logout_clears_the_session_and_redirects_to_the_provider() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();
    login(&app, &mut jar, "").await;

    let uri = "/auth/logout?returnTo=https%3A%2F%2Fevil.test%2F";
    let response = test::call_service(&app, get(uri, &jar, "text/html").to_request()).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    jar.absorb(&response);
    let target = Url::parse(&location(&response)).unwrap();
    assert!(target.as_str().starts_with(provider.base_url()));
    let post_logout = target
        .query_pairs()
        .find(|(name, _)| name == "post_logout_redirect_uri")
        .map(|(_, value)| value.into_owned());
    assert_eq!(post_logout.as_deref(), Some(format!("{BASE}/").as_str()));

    let profile = test::call_service(&app, get("/auth/profile", &jar, "*/*").to_request()).await;
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(profile).await["error"], "missing_session");
}

#[actix_web::test]
async fn signed_out_profile_and_token_are_401_json() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    for uri in ["/auth/profile", "/auth/access-token"] {
        let response =
            test::call_service(&app, get(uri, &Jar::default(), "text/html").to_request()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(json(response).await["error"], "missing_session", "{uri}");
    }
}

#[actix_web::test]
async fn backchannel_logout_refuses_bad_tokens_with_400_json() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    for (body, code) in [
        ("", "missing_required_argument"),
        ("logout_token=", "missing_required_argument"),
        ("logout_token=a&logout_token=b", "invalid_argument"),
        ("logout_token=not.a.jwt", "logout_token_validation_error"),
    ] {
        let request = test::TestRequest::post()
            .uri("/auth/backchannel-logout")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json(response).await["error"], code, "{body}");
    }
}

/// A session store whose backend is down.
#[derive(Debug)]
struct DownStore;

#[async_trait::async_trait]
impl SessionStore for DownStore {
    async fn get(&self, _: &mut StoreOptions, _: u64) -> auth0_actix::Result<Option<SessionData>> {
        Err(Error::Store("backend unreachable".into()))
    }

    async fn set(
        &self,
        _: &SessionData,
        _: bool,
        _: &mut StoreOptions,
        _: u64,
    ) -> auth0_actix::Result<()> {
        Err(Error::Store("backend unreachable".into()))
    }

    async fn delete(&self, _: &mut StoreOptions) -> auth0_actix::Result<()> {
        Err(Error::Store("backend unreachable".into()))
    }

    async fn delete_by_logout(
        &self,
        _: &str,
        _: Option<&str>,
        _: Option<&str>,
        _: u64,
    ) -> auth0_actix::Result<u64> {
        Err(Error::Store("backend unreachable".into()))
    }
}

#[actix_web::test]
async fn a_store_that_is_down_answers_503_json() {
    let provider = Provider::shared().await;
    let settings = common::settings(
        provider,
        BASE,
        common::CLIENT_ID,
        &auth0_e2e::static_client_secret(common::CLIENT_ID),
    );
    let client = ServerClient::builder(settings.config.clone())
        .session_store(DownStore)
        .build()
        .unwrap();
    let app = service(Auth0::new(client, &settings)).await;

    for (uri, accept) in [
        ("/auth/profile", "*/*"),
        ("/auth/access-token", "*/*"),
        ("/private", "text/html"),
        ("/private", "application/json"),
    ] {
        let response =
            test::call_service(&app, get(uri, &Jar::default(), accept).to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri} {accept}"
        );
        assert_eq!(json(response).await["error"], "store_error", "{uri}");
    }

    // `Option<User>` never fails.
    let response = test::call_service(
        &app,
        get("/maybe", &Jar::default(), "text/html").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

fn assert_no_session_cookie<B>(response: &actix_web::dev::ServiceResponse<B>) {
    for (name, _, removed) in set_cookies(response) {
        assert!(
            !name.starts_with("_a0_session") || removed,
            "a refused callback set the session cookie {name}"
        );
    }
}
