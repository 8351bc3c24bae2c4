//! One end-to-end suite for the example apps, run against each of them as a real process on
//! 127.0.0.1 and the test OpenID Provider.
//!
//! Every scenario is an async function taking the example's package name; [`suite!`] turns
//! each into a test per framework, so `cargo test -p auth0-e2e --test apps warp::` runs one
//! framework's share and a failure names the framework and the scenario.
//!
//! Each scenario starts its own app process on a fresh port and registers its own client
//! (redirect, logout and back-channel URIs on that port) with a provider shared by the whole
//! binary, so scenarios run in parallel without seeing each other's sessions or counters.
//! The app side is a reqwest client with a cookie jar and no automatic redirects; the provider
//! side is [`Browser`].

use std::sync::{Arc, OnceLock};

use auth0_e2e::apps::{AppProcess, AppStartError, example_binary, free_port};
use auth0_e2e::{
    Browser, Provider, ProviderOptions, RegisteredClient, backchannel_logout, register_client,
    token_request_count,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use url::Url;

/// Instantiates the listed scenarios as tests of the example app `$package`.
macro_rules! suite {
    ($package:literal: $($scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                super::$scenario($package).await;
            }
        )+
    };
}

/// Every scenario of the suite, for one example app.
macro_rules! every_scenario {
    ($package:literal) => {
        suite!($package:
            signed_out_visitors,
            login_forwards_only_its_own_query,
            login_shows_the_profile,
            return_to_is_honoured_and_off_site_refused,
            organization_login,
            provider_errors_and_unknown_states_are_refused,
            tampered_session_cookie_reads_as_signed_out,
            replayed_callback_is_refused_and_session_kept,
            logout_with_the_cookie_store,
            logout_with_the_redis_store,
            backchannel_logout_ends_the_session,
            garbage_backchannel_logout_is_refused,
            access_token_is_refreshed,
            par_login_from_the_environment,
            audience_and_scope_from_the_environment,
        );
    };
}

mod actix {
    every_scenario!("example-actix");
}

mod rocket {
    every_scenario!("example-rocket");
}

mod warp {
    every_scenario!("example-warp");
}

const APP_SECRET: &str = "an-application-secret-of-at-least-32-bytes";
const REDIS_URL: &str = "redis://127.0.0.1:6379/";
const USER: &str = "user-123";
const USER_NAME: &str = "Test User";
const DEFAULT_SCOPE: &str = "openid profile email offline_access";
/// What a browser sends when navigating to a page.
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const JSON: &str = "application/json";
/// The reply of the SDK's routes when nobody is signed in.
const NO_SESSION: (&str, &str) = ("missing_session", "no session");

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// The ready line comes first; signed-out visitors get the public page, a redirect to login
/// for protected pages in a browser, and 401 everywhere else.
async fn signed_out_visitors(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    assert_eq!(
        site.app.lines_before_ready(),
        &[] as &[String],
        "the ready line is the first line on stdout"
    );

    let home = site.get("/", HTML).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_content_type(&home, "text/html");

    let private = site.get("/private", HTML).await;
    assert_found(&private, "");
    assert_eq!(location(&private), "/auth/login?returnTo=%2Fprivate");
    let api = site.get("/private", JSON).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let post = site.http.post(site.url("/private")).header(ACCEPT, HTML);
    let post = post.send().await.unwrap();
    assert!(
        !post.status().is_redirection(),
        "only GET navigations are sent to login, POST got {}",
        post.status()
    );

    let data = site.get("/api/data", JSON).await;
    assert_error(data, StatusCode::UNAUTHORIZED, NO_SESSION).await;
    let profile = site.get("/auth/profile", JSON).await;
    assert_error(profile, StatusCode::UNAUTHORIZED, NO_SESSION).await;
    let token = site.get("/auth/access-token", JSON).await;
    assert_error(token, StatusCode::UNAUTHORIZED, NO_SESSION).await;
}

/// `/auth/login` redirects to the provider with the SDK's parameters; of the query it reads
/// only `returnTo`, `organization` and `invitation`. The transaction cookie has the safe
/// attributes.
async fn login_forwards_only_its_own_query(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let login = site
        .get(
            "/auth/login?returnTo=%2F&prompt=none&scope=admin&client_id=evil&login_hint=deny\
             &redirect_uri=https%3A%2F%2Fevil.example%2F&invitation=inv_1",
            HTML,
        )
        .await;
    assert_found(&login, "");
    let cookies = set_cookies(login.headers());
    let authorize = Url::parse(&location(&login)).unwrap();
    assert_eq!(endpoint_of(&authorize), site.provider.url("/auth"));

    let query = query_map(&authorize);
    let keys: Vec<&str> = query.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(
        sorted(keys),
        [
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "invitation",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
        ]
    );
    assert_eq!(param(&authorize, "client_id"), site.client.client_id);
    assert_eq!(
        param(&authorize, "redirect_uri"),
        site.url("/auth/callback")
    );
    assert_eq!(param(&authorize, "response_type"), "code");
    assert_eq!(param(&authorize, "scope"), DEFAULT_SCOPE);
    assert_eq!(param(&authorize, "code_challenge_method"), "S256");
    assert_eq!(param(&authorize, "invitation"), "inv_1");
    assert!(param(&authorize, "code_challenge").len() >= 43);

    assert_eq!(cookies.len(), 1, "one transaction cookie: {cookies:?}");
    let (name, attributes) = &cookies[0];
    assert!(name.starts_with("_a0_tx."), "{name}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute)),
            "{attribute} in {attributes:?}"
        );
    }
    assert!(
        !attributes.iter().any(|a| a.eq_ignore_ascii_case("Secure")),
        "no Secure on http: {attributes:?}"
    );
}

/// A login ends on the home page, and the profile, the private page and the API work.
async fn login_shows_the_profile(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let callback = site.login("").await;
    assert_found(&callback, "");
    assert_eq!(location(&callback), "/");

    let cookies = set_cookies(callback.headers());
    let session: Vec<_> = cookies
        .iter()
        .filter(|(name, attributes)| is_session_cookie(name) && !is_removal(attributes))
        .collect();
    assert!(!session.is_empty(), "a session cookie is set: {cookies:?}");
    for (_, attributes) in &session {
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(
                attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute)),
                "{attribute} in {attributes:?}"
            );
        }
    }
    assert!(
        cookies
            .iter()
            .any(|(name, attributes)| name.starts_with("_a0_tx.") && is_removal(attributes)),
        "the used transaction cookie is expired: {cookies:?}"
    );

    let profile = site.profile().await;
    assert_eq!(profile["sub"], USER);
    assert_eq!(profile["name"], USER_NAME);
    assert_eq!(profile["email"], "user-123@example.test");
    assert_eq!(profile["aud"], site.client.client_id.as_str());
    assert_eq!(profile["iss"], site.provider.issuer());
    assert!(profile.get("nonce").is_none(), "{profile}");

    let private = site.get("/private", HTML).await;
    assert_eq!(private.status(), StatusCode::OK);
    assert_content_type(&private, "text/html");
    assert!(private.text().await.unwrap().contains(USER_NAME));

    let data = site.get("/api/data", JSON).await;
    assert_eq!(data.status(), StatusCode::OK);
    assert_content_type(&data, JSON);
    let data: Value = data.json().await.unwrap();
    assert!(data.is_object(), "{data}");
}

/// `returnTo` inside the app is where the callback lands; anything off-site lands on `/`.
async fn return_to_is_honoured_and_off_site_refused(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let cases = [
        ("returnTo=%2Fprivate", "/private"),
        ("returnTo=%2Fprivate%3Ftab%3D1", "/private?tab=1"),
        ("returnTo=https%3A%2F%2Fevil.example%2F", "/"),
        ("returnTo=%2F%2Fevil.example%2Fx", "/"),
        ("returnTo=%2F%5Cevil.example", "/"),
        ("returnTo=%2F..%2F%2Fevil.example%2Fx", "/"),
    ];
    for (query, expected) in cases {
        let callback = site.login(query).await;
        assert_found(&callback, query);
        assert_eq!(location(&callback), expected, "{query}");
    }

    let private = site.get("/private", HTML).await;
    assert_eq!(private.status(), StatusCode::OK);
    assert!(private.text().await.unwrap().contains(USER_NAME));
}

/// `/auth/login?organization=org_...` logs in to that organization.
async fn organization_login(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let authorize = site.start_login("organization=org_abc123").await;
    assert_eq!(param(&authorize, "organization"), "org_abc123");
    let callback = site.finish_login(&authorize).await;
    assert_found(&callback, "");

    let profile = site.profile().await;
    assert_eq!(profile["sub"], USER);
    assert_eq!(profile["org_id"], "org_abc123");
}

/// A callback carrying the provider's `access_denied` is a 400 with that code and sets no
/// session; its transaction is used up; an unknown state or none at all is a 400 too.
async fn provider_errors_and_unknown_states_are_refused(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let authorize = site.start_login("").await;
    let state = param(&authorize, "state");

    let mut denied = Url::parse(&site.url("/auth/callback")).unwrap();
    denied
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "End-User denied the request")
        .append_pair("state", &state)
        .append_pair("iss", site.provider.issuer());
    let reply = site.http.get(denied.clone()).send().await.unwrap();
    assert_no_session_set(reply.headers());
    let expected = (
        "access_denied",
        "the provider returned access_denied: End-User denied the request",
    );
    assert_error(reply, StatusCode::BAD_REQUEST, expected).await;
    assert_signed_out(&site).await;

    let replayed = site.http.get(denied).send().await.unwrap();
    assert_no_session_set(replayed.headers());
    let missing = (
        "missing_transaction",
        "no login transaction matches this callback",
    );
    assert_error(replayed, StatusCode::BAD_REQUEST, missing).await;

    let mut unknown = Url::parse(&site.url("/auth/callback")).unwrap();
    unknown
        .query_pairs_mut()
        .append_pair("code", "a-code-nobody-issued")
        .append_pair("state", "a-state-that-matches-nothing")
        .append_pair("iss", site.provider.issuer());
    let reply = site.http.get(unknown).send().await.unwrap();
    assert_no_session_set(reply.headers());
    assert_error(reply, StatusCode::BAD_REQUEST, missing).await;

    let reply = site.get("/auth/callback", HTML).await;
    assert_no_session_set(reply.headers());
    let no_state = (
        "missing_required_argument",
        "missing required argument: state",
    );
    assert_error(reply, StatusCode::BAD_REQUEST, no_state).await;
    assert_signed_out(&site).await;
}

/// A session cookie that was altered, cut or made up reads as signed out: 401 from the API
/// routes, a redirect to login for the private page, never a server error.
async fn tampered_session_cookie_reads_as_signed_out(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    site.login("").await;
    let session = site.session_cookies();
    assert!(!session.is_empty(), "signed in: {:?}", site.cookie_header());

    type Tamper = fn(&str) -> String;
    let tamperings: [(&str, Tamper); 4] = [
        ("one character changed", flip_middle),
        ("cut in half", |value| value[..value.len() / 2].to_owned()),
        ("not a sealed value", |_| "garbage".to_owned()),
        ("an unsigned JWT", |_| unsigned_jwt(&json!({"sub": USER}))),
    ];
    for (what, tamper) in tamperings {
        let header: Vec<String> = session
            .iter()
            .map(|(name, value)| format!("{name}={}", tamper(value)))
            .collect();
        let header = header.join("; ");
        let get = |path: &'static str, accept: &'static str| {
            let request = site.raw.get(site.url(path)).header(ACCEPT, accept);
            request.header(COOKIE, header.as_str()).send()
        };

        let profile = get("/auth/profile", JSON).await.unwrap();
        assert_eq!(profile.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_error(profile, StatusCode::UNAUTHORIZED, NO_SESSION).await;
        let token = get("/auth/access-token", JSON).await.unwrap();
        assert_eq!(token.status(), StatusCode::UNAUTHORIZED, "{what}");
        let data = get("/api/data", JSON).await.unwrap();
        assert_eq!(data.status(), StatusCode::UNAUTHORIZED, "{what}");
        let private = get("/private", HTML).await.unwrap();
        assert_found(&private, what);
        assert_eq!(
            location(&private),
            "/auth/login?returnTo=%2Fprivate",
            "{what}"
        );
        let home = get("/", HTML).await.unwrap();
        assert_eq!(home.status(), StatusCode::OK, "{what}");
    }

    assert_eq!(
        site.profile().await["sub"],
        USER,
        "the real cookie still works"
    );
}

/// Replaying a callback is a 400 `missing_transaction`, and the session of the first one
/// stays.
async fn replayed_callback_is_refused_and_session_kept(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    let authorize = site.start_login("").await;
    let callback = site.browser.authorize(authorize.as_str()).await.unwrap();
    let first = site.http.get(callback.clone()).send().await.unwrap();
    assert_found(&first, "");

    let replayed = site.http.get(callback).send().await.unwrap();
    assert_no_session_set(replayed.headers());
    let missing = (
        "missing_transaction",
        "no login transaction matches this callback",
    );
    assert_error(replayed, StatusCode::BAD_REQUEST, missing).await;

    assert_eq!(site.profile().await["sub"], USER);
}

async fn logout_with_the_cookie_store(package: &'static str) {
    login_profile_logout(package, Store::Cookie).await;
}

async fn logout_with_the_redis_store(package: &'static str) {
    login_profile_logout(package, Store::Redis).await;
}

/// Login, profile and logout with a session store: the logout redirects to the provider's
/// `end_session_endpoint` with `id_token_hint`, `client_id` and `post_logout_redirect_uri`,
/// and the session is gone.
async fn login_profile_logout(package: &'static str, store: Store) {
    let setup = Setup {
        store,
        ..Setup::default()
    };
    let site = Site::launch(package, setup).await;
    site.login("").await;
    assert_eq!(site.profile().await["name"], USER_NAME);

    let session = site.session_cookies();
    match store {
        Store::Cookie => {
            assert!(!session.is_empty());
            for (name, value) in &session {
                assert!(name.starts_with("_a0_session"), "{name}");
                assert!(value.len() > 200, "a sealed session: {name}={value}");
            }
            let sealed: String = session.iter().map(|(_, value)| value.as_str()).collect();
            assert_eq!(sealed.split('.').count(), 5, "a JWE compact value");
        }
        Store::Redis => {
            assert_eq!(session.len(), 1, "one id cookie: {session:?}");
            let (name, id) = &session[0];
            assert_eq!(name, "_a0_session");
            assert!(id.len() >= 22 && id.len() < 200, "an opaque id: {id}");
            assert!(!id.contains('.'), "not a sealed session: {id}");
        }
    }
    let old_cookie = site.cookie_header();

    let logout = site.get("/auth/logout", HTML).await;
    assert_found(&logout, "");
    let end_session = Url::parse(&location(&logout)).unwrap();
    assert_eq!(endpoint_of(&end_session), site.provider.url("/session/end"));
    let keys: Vec<String> = query_map(&end_session)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["id_token_hint", "client_id", "post_logout_redirect_uri"]
    );
    assert_eq!(param(&end_session, "client_id"), site.client.client_id);
    assert_eq!(
        param(&end_session, "post_logout_redirect_uri"),
        site.url("/")
    );
    let hint = jwt_payload(&param(&end_session, "id_token_hint"));
    assert_eq!(hint["sub"], USER);
    assert_eq!(hint["aud"], site.client.client_id.as_str());
    assert_eq!(hint["iss"], site.provider.issuer());

    assert_signed_out(&site).await;
    if let Store::Redis = store {
        let replay = site
            .raw
            .get(site.url("/auth/profile"))
            .header(COOKIE, old_cookie);
        let replay = replay.send().await.unwrap();
        assert_eq!(
            replay.status(),
            StatusCode::UNAUTHORIZED,
            "the server-side session is deleted"
        );
    }

    let cases = [
        ("/auth/logout?returnTo=%2Fprivate", site.url("/private")),
        (
            "/auth/logout?returnTo=https%3A%2F%2Fevil.example%2F",
            site.url("/"),
        ),
        // Regression: dot segments resolved to a `//host` path, an open redirect.
        (
            "/auth/logout?returnTo=%2F..%2F..%2F%2Fevil.example%2Fphish",
            site.url("/"),
        ),
        (
            "/auth/logout?returnTo=%2F.%2F%2Fevil.example",
            site.url("/"),
        ),
    ];
    for (path, expected) in cases {
        let logout = site.get(path, HTML).await;
        assert_found(&logout, path);
        let end_session = Url::parse(&location(&logout)).unwrap();
        assert_eq!(endpoint_of(&end_session), site.provider.url("/session/end"));
        assert_eq!(
            param(&end_session, "post_logout_redirect_uri"),
            expected,
            "{path}"
        );
        assert!(
            !query_map(&end_session)
                .iter()
                .any(|(key, _)| key == "id_token_hint"),
            "no hint without a session: {end_session}"
        );
    }
}

/// The provider's back-channel logout for the session's `sid` signs the browser out.
async fn backchannel_logout_ends_the_session(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    site.login("").await;
    let profile = site.profile().await;
    let sid = profile["sid"].as_str().expect("the ID token has a sid");
    assert!(!sid.is_empty());

    backchannel_logout(site.provider, &site.client.client_id, USER, Some(sid))
        .await
        .expect("the app accepts the logout token");

    assert_signed_out(&site).await;
    let private = site.get("/private", HTML).await;
    assert_found(&private, "");
    assert_eq!(location(&private), "/auth/login?returnTo=%2Fprivate");
}

/// Back-channel requests without a valid logout token are refused with 400 JSON.
async fn garbage_backchannel_logout_is_refused(package: &'static str) {
    let site = Site::launch(package, Setup::default()).await;
    site.login("").await;
    let url = site.url("/auth/backchannel-logout");
    let malformed = (
        "logout_token_validation_error",
        "logout token validation failed: the token is malformed",
    );
    let unsigned = (
        "logout_token_validation_error",
        "logout token validation failed: the signing algorithm none is not allowed",
    );
    let missing = (
        "missing_required_argument",
        "missing required argument: logout_token",
    );
    let token = unsigned_jwt(&json!({
        "iss": site.provider.issuer(),
        "aud": site.client.client_id,
        "sub": USER,
        "iat": 1_700_000_000,
        "jti": "a-jti",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }));
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form<'_>, (&str, &str)); 3] = [
        (&[("logout_token", "garbage")], malformed),
        (&[("logout_token", &token)], unsigned),
        (&[("something_else", "x")], missing),
    ];
    for (form, expected) in cases {
        let reply = site.raw.post(&url).form(form).send().await.unwrap();
        assert_error(reply, StatusCode::BAD_REQUEST, expected).await;
    }

    assert_eq!(site.profile().await["sub"], USER, "still signed in");
}

/// With access tokens that live 30 s (inside the SDK's 60 s buffer) and rotated refresh
/// tokens, every read of `/auth/access-token` refreshes, and the provider saw the refreshes.
async fn access_token_is_refreshed(package: &'static str) {
    let setup = Setup {
        provider: Op::ShortLivedTokens,
        ..Setup::default()
    };
    let site = Site::launch(package, setup).await;
    site.login("").await;
    let count = || token_request_count(site.provider, &site.client.client_id, "refresh_token");
    assert_eq!(count().await.unwrap(), 0);

    let first = site.access_token().await;
    let second = site.access_token().await;
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(count().await.unwrap(), 2, "one refresh per read");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for token in [&first, &second] {
        let keys: Vec<&str> = token
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            sorted(keys),
            ["access_token", "audience", "expires_at", "scope"]
        );
        assert_eq!(token["audience"], "default");
        assert_eq!(token["scope"], DEFAULT_SCOPE);
        let expires_at = token["expires_at"].as_u64().unwrap();
        assert!(
            (now + 20..=now + 40).contains(&expires_at),
            "{expires_at} vs {now}"
        );
    }
}

/// `AUTH0_PAR=true`: the browser goes to the provider with only `client_id` and a
/// `request_uri` from a pushed request, and the login completes.
async fn par_login_from_the_environment(package: &'static str) {
    let setup = Setup {
        env: vec![("AUTH0_PAR", "true".to_owned())],
        ..Setup::default()
    };
    let site = Site::launch(package, setup).await;
    let authorize = site.start_login("returnTo=%2Fprivate").await;
    assert_eq!(endpoint_of(&authorize), site.provider.url("/auth"));
    let keys: Vec<String> = query_map(&authorize).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["client_id", "request_uri"]);
    assert_eq!(param(&authorize, "client_id"), site.client.client_id);
    assert!(param(&authorize, "request_uri").starts_with("urn:ietf:params:oauth:request_uri:"));

    let callback = site.finish_login(&authorize).await;
    assert_found(&callback, "");
    assert_eq!(location(&callback), "/private");
    assert_eq!(site.profile().await["sub"], USER);
}

/// `AUTH0_AUDIENCE` and `AUTH0_SCOPE` reach the provider, and `/auth/access-token` answers the
/// login's token: for that API, with the API scope the provider granted.
async fn audience_and_scope_from_the_environment(package: &'static str) {
    let audience = "https://api.example.test/";
    let setup = Setup {
        env: vec![
            ("AUTH0_AUDIENCE", audience.to_owned()),
            ("AUTH0_SCOPE", format!("{DEFAULT_SCOPE} read:messages")),
        ],
        ..Setup::default()
    };
    let site = Site::launch(package, setup).await;
    let authorize = site.start_login("").await;
    assert_eq!(param(&authorize, "audience"), audience);
    assert_eq!(
        param(&authorize, "scope"),
        format!("{DEFAULT_SCOPE} read:messages")
    );
    let callback = site.finish_login(&authorize).await;
    assert_found(&callback, "");

    let count = || token_request_count(site.provider, &site.client.client_id, "refresh_token");
    let token = site.access_token().await;
    assert_eq!(token["audience"], audience, "{token}");
    assert_eq!(token["scope"], "read:messages", "{token}");
    let claims = jwt_payload(token["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["sub"], USER);
    assert_eq!(
        count().await.unwrap(),
        0,
        "the login's token is still fresh"
    );
}

// ---------------------------------------------------------------------------------------------
// The harness: an app process, its client at the provider, and a browser for each side
// ---------------------------------------------------------------------------------------------

/// Which provider a scenario uses; both are shared by the whole test binary.
#[derive(Debug, Clone, Copy, Default)]
enum Op {
    /// Default options.
    #[default]
    Default,
    /// Access tokens living 30 s, inside the SDK's 60 s expiry buffer, and refresh tokens
    /// rotated on every use. Rotation matters: the SDK shares a finished refresh's outcome
    /// for 30 s with callers holding the same refresh token, so without it a second read
    /// within 30 s returns the first refresh's token.
    ShortLivedTokens,
}

/// `AUTH0_SESSION_STORE`.
#[derive(Debug, Clone, Copy, Default)]
enum Store {
    #[default]
    Cookie,
    Redis,
}

/// How a scenario's app is configured beyond the required variables.
#[derive(Debug, Default)]
struct Setup {
    provider: Op,
    store: Store,
    env: Vec<(&'static str, String)>,
}

/// One scenario's world: the app process, its registered client and the two browsers.
struct Site {
    app: AppProcess,
    provider: &'static Provider,
    client: RegisteredClient,
    jar: Arc<Jar>,
    /// The browser at the app: a cookie jar, no automatic redirects.
    http: reqwest::Client,
    /// A client without cookies, for requests with a hand-made `Cookie` header.
    raw: reqwest::Client,
    /// The browser at the provider.
    browser: Browser,
}

impl Site {
    /// Builds the example (once), registers a client for a free port and starts the app on
    /// it. A start failure (the port taken in between, say) is retried twice on a new port.
    async fn launch(package: &'static str, setup: Setup) -> Self {
        let binary = tokio::task::spawn_blocking(move || example_binary(package))
            .await
            .unwrap()
            .unwrap_or_else(|err| panic!("{err}"));
        let provider = provider(setup.provider).await;

        let mut failure: Option<AppStartError> = None;
        for _ in 0..3 {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let client = register(provider, &base).await;
            let env = environment(provider, &client, &base, &setup);
            let binary = binary.clone();
            let started =
                tokio::task::spawn_blocking(move || AppProcess::start(&binary, port, &env))
                    .await
                    .unwrap();
            match started {
                Ok(app) => return Self::new(app, provider, client),
                Err(err) => failure = Some(err),
            }
        }
        panic!(
            "{package} did not start: {}",
            failure.expect("three attempts")
        );
    }

    fn new(app: AppProcess, provider: &'static Provider, client: RegisteredClient) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            app,
            provider,
            client,
            jar,
            http,
            raw,
            browser: Browser::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// `GET path` with the jar and an `Accept` header.
    async fn get(&self, path: &str, accept: &str) -> Response {
        let request = self.http.get(self.url(path)).header(ACCEPT, accept);
        request
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {path}: {err}; app stderr: {}", self.app.stderr()))
    }

    /// `GET /auth/login?<query>`: asserts the redirect and returns the provider URL.
    async fn start_login(&self, query: &str) -> Url {
        let path = if query.is_empty() {
            "/auth/login".to_owned()
        } else {
            format!("/auth/login?{query}")
        };
        let login = self.get(&path, HTML).await;
        assert_found(&login, &path);
        Url::parse(&location(&login)).unwrap()
    }

    /// Drives the provider from `authorize` and requests the callback on the app.
    async fn finish_login(&self, authorize: &Url) -> Response {
        let callback = self
            .browser
            .authorize(authorize.as_str())
            .await
            .unwrap_or_else(|err| panic!("the provider redirects back: {err}"));
        assert_eq!(endpoint_of(&callback), self.url("/auth/callback"));
        self.http.get(callback).send().await.unwrap()
    }

    /// A whole login; returns the callback's reply (asserted to be a redirect).
    async fn login(&self, query: &str) -> Response {
        let authorize = self.start_login(query).await;
        let callback = self.finish_login(&authorize).await;
        assert_found(&callback, &format!("the callback of login?{query}"));
        callback
    }

    /// `GET /auth/profile`, asserted to be 200 JSON.
    async fn profile(&self) -> Value {
        let reply = self.get("/auth/profile", JSON).await;
        assert_eq!(reply.status(), StatusCode::OK, "signed in");
        assert_content_type(&reply, JSON);
        reply.json().await.unwrap()
    }

    /// `GET /auth/access-token`, asserted to be 200 JSON.
    async fn access_token(&self) -> Value {
        let reply = self.get("/auth/access-token", JSON).await;
        let status = reply.status();
        if status != StatusCode::OK {
            panic!(
                "GET /auth/access-token: {status} {}",
                reply.text().await.unwrap()
            );
        }
        assert_content_type(&reply, JSON);
        reply.json().await.unwrap()
    }

    /// The `Cookie` header the jar sends to the app.
    fn cookie_header(&self) -> String {
        let base = Url::parse(self.app.base_url()).unwrap();
        self.jar
            .cookies(&base)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The session cookies in the jar, `(name, value)`, ordered by name.
    fn session_cookies(&self) -> Vec<(String, String)> {
        let header = self.cookie_header();
        let mut found: Vec<(String, String)> = header
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .filter(|(name, _)| is_session_cookie(name))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        found.sort();
        found
    }
}

/// The shared provider of `op`, started on first use.
async fn provider(op: Op) -> &'static Provider {
    static SHORT_LIVED: OnceLock<Provider> = OnceLock::new();
    match op {
        Op::Default => Provider::shared().await,
        Op::ShortLivedTokens => tokio::task::spawn_blocking(|| {
            SHORT_LIVED.get_or_init(|| {
                Provider::start_blocking(ProviderOptions {
                    access_token_ttl_secs: 30,
                    rotate_refresh_tokens: true,
                    ..ProviderOptions::default()
                })
            })
        })
        .await
        .unwrap(),
    }
}

/// Registers a confidential client for an app at `base`, with its callback, logout and
/// back-channel logout URIs (`sid` required, so ID tokens carry one).
async fn register(provider: &Provider, base: &str) -> RegisteredClient {
    let metadata = json!({
        "redirect_uris": [format!("{base}/auth/callback")],
        "post_logout_redirect_uris": [format!("{base}/"), format!("{base}/private")],
        "backchannel_logout_uri": format!("{base}/auth/backchannel-logout"),
        "backchannel_logout_session_required": true,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    register_client(provider, &metadata)
        .await
        .unwrap_or_else(|err| panic!("cannot register a client: {err}"))
}

/// The app's environment for `setup`.
fn environment(
    provider: &Provider,
    client: &RegisteredClient,
    base: &str,
    setup: &Setup,
) -> Vec<(String, String)> {
    let secret = client
        .client_secret
        .clone()
        .expect("a confidential client has a secret");
    let mut env = vec![
        ("AUTH0_DOMAIN", provider.issuer().to_owned()),
        ("AUTH0_CLIENT_ID", client.client_id.clone()),
        ("AUTH0_CLIENT_SECRET", secret),
        ("AUTH0_SECRET", APP_SECRET.to_owned()),
        ("APP_BASE_URL", base.to_owned()),
    ];
    match setup.store {
        Store::Cookie => env.push(("AUTH0_SESSION_STORE", "cookie".to_owned())),
        Store::Redis => {
            env.push(("AUTH0_SESSION_STORE", "redis".to_owned()));
            env.push(("REDIS_URL", REDIS_URL.to_owned()));
        }
    }
    env.extend(setup.env.iter().cloned());
    env.into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Assertions and small helpers
// ---------------------------------------------------------------------------------------------

/// Asserts an SDK error reply: `status` and exactly `{"error", "error_description"}`.
async fn assert_error(reply: Response, status: StatusCode, (code, description): (&str, &str)) {
    let url = reply.url().clone();
    assert_eq!(reply.status(), status, "{url}");
    assert_content_type(&reply, JSON);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": code, "error_description": description}),
        "{url}"
    );
}

/// Asserts that the app reads the jar's cookies as signed out.
async fn assert_signed_out(site: &Site) {
    let profile = site.get("/auth/profile", JSON).await;
    assert_error(profile, StatusCode::UNAUTHORIZED, NO_SESSION).await;
}

/// Asserts that a reply sets no session cookie (expiring one is fine).
fn assert_no_session_set(headers: &HeaderMap) {
    for (name, attributes) in set_cookies(headers) {
        assert!(
            !is_session_cookie(&name) || is_removal(&attributes),
            "a session cookie was set: {name} {attributes:?}"
        );
    }
}

fn assert_content_type(reply: &Response, expected: &str) {
    let value = reply
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        value.starts_with(expected),
        "content-type {value:?} of {}, expected {expected}",
        reply.url()
    );
}

/// Asserts a `302 Found` reply, the status every redirect of the contract has.
fn assert_found(reply: &Response, context: &str) {
    assert_eq!(
        reply.status(),
        StatusCode::FOUND,
        "{context} (GET {}, Location {:?})",
        reply.url(),
        reply.headers().get(LOCATION)
    );
}

fn location(reply: &Response) -> String {
    reply
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| {
            panic!(
                "no Location in the {} reply of {}",
                reply.status(),
                reply.url()
            )
        })
        .to_str()
        .unwrap()
        .to_owned()
}

/// The `Set-Cookie` headers of a reply as `(name, attributes)`.
fn set_cookies(headers: &HeaderMap) -> Vec<(String, Vec<String>)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let pair = parts.next().unwrap_or_default();
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            (name.to_owned(), parts.map(str::to_owned).collect())
        })
        .collect()
}

fn is_session_cookie(name: &str) -> bool {
    name == "_a0_session" || name.starts_with("_a0_session_")
}

fn is_removal(attributes: &[String]) -> bool {
    attributes.iter().any(|attribute| {
        attribute.eq_ignore_ascii_case("Max-Age=0")
            || attribute
                .to_ascii_lowercase()
                .starts_with("expires=thu, 01 jan 1970")
    })
}

/// `scheme://host:port/path` of a URL, without query.
fn endpoint_of(url: &Url) -> String {
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    endpoint.set_fragment(None);
    endpoint.to_string()
}

fn query_map(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The only value of query parameter `name`.
fn param(url: &Url, name: &str) -> String {
    let values: Vec<String> = url
        .query_pairs()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect();
    assert_eq!(values.len(), 1, "one {name} in {url}");
    values.into_iter().next().unwrap()
}

fn sorted(mut items: Vec<&str>) -> Vec<&str> {
    items.sort_unstable();
    items
}

fn jwt_payload(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A JWT with `alg: none` and no signature.
fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// `value` with its middle character replaced by another URL-safe one.
fn flip_middle(value: &str) -> String {
    let middle = value.len() / 2;
    let mut bytes = value.as_bytes().to_vec();
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("cookie values are ASCII")
}
