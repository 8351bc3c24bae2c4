//! The warp adapter against the real test provider, through `warp::test`.

use std::collections::{BTreeMap, HashMap};

use auth0_e2e::{Browser, Provider, backchannel_logout, register_client, static_client_secret};
use auth0_warp::web::Settings;
use auth0_warp::{Auth, User};
use serde_json::{Value, json};
use warp::Filter;
use warp::http::{Response, StatusCode};
use warp::reply::Reply;

const APP_SECRET: &str = "an-application-secret-of-at-least-32-bytes";
const HTML: &str = "text/html,application/xhtml+xml";

/// The SDK mounted for the shared provider's static client `client_id`.
async fn auth_for(client_id: &str, client_secret: &str) -> Auth {
    let provider = Provider::shared().await;
    let settings = Settings::from_lookup(|name| match name {
        "AUTH0_DOMAIN" => Some(provider.issuer().to_owned()),
        "AUTH0_CLIENT_ID" => Some(client_id.to_owned()),
        "AUTH0_CLIENT_SECRET" => Some(client_secret.to_owned()),
        "AUTH0_SECRET" => Some(APP_SECRET.to_owned()),
        "APP_BASE_URL" => Some(provider.rp_base().to_owned()),
        _ => None,
    })
    .unwrap();
    Auth::from_settings(&settings).await.unwrap()
}

async fn auth() -> Auth {
    auth_for("rp-secret", &static_client_secret("rp-secret")).await
}

/// An app with the SDK's routes and three pages of its own.
fn app(auth: Auth) -> impl Filter<Extract = (impl Reply,), Error = warp::Rejection> + Clone {
    let private = warp::path!("private")
        .and(auth0_warp::user(auth.clone()))
        .map(|user: User| {
            let sub = user.sub().unwrap_or_default().to_owned();
            user.with_session_cookies(format!("private page of {sub}"))
        });
    let maybe = warp::path!("maybe")
        .and(auth0_warp::optional_user(auth.clone()))
        .map(|user: Option<User>| match user {
            Some(user) => user.with_session_cookies("signed in"),
            None => "signed out".into_response(),
        });
    private
        .or(maybe)
        .or(auth0_warp::routes(auth))
        .recover(auth0_warp::recover)
}

/// The cookies a browser keeps for the app.
#[derive(Debug, Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn absorb(&mut self, response: &Response<Vec<u8>>) {
        for (name, value, removed) in set_cookies(response) {
            if removed {
                self.0.remove(&name);
            } else {
                self.0.insert(name, value);
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("; ")
    }

    fn session_names(&self) -> Vec<&String> {
        self.0
            .keys()
            .filter(|name| name.starts_with("_a0_session"))
            .collect()
    }
}

/// Every `Set-Cookie` of a response as (name, value, whether it removes the cookie).
fn set_cookies(response: &Response<Vec<u8>>) -> Vec<(String, String, bool)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let removed = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            (name.trim().to_owned(), value.trim().to_owned(), removed)
        })
        .collect()
}

/// Whether the response stores a session (sets a non-empty `_a0_session*` cookie).
fn sets_a_session(response: &Response<Vec<u8>>) -> bool {
    set_cookies(response).iter().any(|(name, value, removed)| {
        name.starts_with("_a0_session") && !removed && !value.is_empty()
    })
}

fn location(response: &Response<Vec<u8>>) -> &str {
    response.headers()["location"].to_str().unwrap()
}

fn json_body(response: &Response<Vec<u8>>) -> Value {
    assert_eq!(response.headers()["content-type"], "application/json");
    serde_json::from_slice(response.body()).unwrap()
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn get(
    app: &(impl Filter<Extract = (impl Reply,), Error = warp::Rejection> + Clone + 'static),
    path: &str,
    jar: &Jar,
    accept: &str,
) -> Response<Vec<u8>> {
    warp::test::request()
        .method("GET")
        .path(path)
        .header("cookie", jar.header())
        .header("accept", accept)
        .reply(app)
        .await
        .map(|body| body.to_vec())
}

/// Logs in through the routes; returns the jar and the callback response.
async fn log_in(
    app: &(impl Filter<Extract = (impl Reply,), Error = warp::Rejection> + Clone + 'static),
    login_path: &str,
) -> (Jar, Response<Vec<u8>>) {
    let mut jar = Jar::default();
    let login = get(app, login_path, &jar, HTML).await;
    assert_eq!(login.status(), StatusCode::FOUND);
    jar.absorb(&login);
    let callback = Browser::new().authorize(location(&login)).await.unwrap();
    let path = format!("{}?{}", callback.path(), callback.query().unwrap());
    let response = get(app, &path, &jar, HTML).await;
    jar.absorb(&response);
    (jar, response)
}

#[tokio::test]
async fn login_redirect_keeps_only_the_three_query_keys() {
    let provider = Provider::shared().await;
    let app = app(auth().await);
    let response = get(
        &app,
        concat!(
            "/auth/login?returnTo=%2Fprivate&organization=org_1&invitation=inv_1",
            "&scope=admin&prompt=none&redirect_uri=https%3A%2F%2Fevil.example%2F",
        ),
        &Jar::default(),
        HTML,
    )
    .await;

    assert_eq!(response.status(), StatusCode::FOUND);
    let url = location(&response);
    assert!(url.starts_with(&provider.url("/")), "{url}");
    let params = query(url);
    assert_eq!(params["organization"], "org_1");
    assert_eq!(params["invitation"], "inv_1");
    assert_eq!(params["redirect_uri"], provider.redirect_uri());
    assert!(!params.contains_key("prompt"));
    assert!(!params.contains_key("returnTo"));
    assert!(!params["scope"].split(' ').any(|scope| scope == "admin"));
    let cookies = set_cookies(&response);
    assert!(
        cookies
            .iter()
            .any(|(name, _, _)| name.starts_with("_a0_tx"))
    );
}

#[tokio::test]
async fn a_whole_login_and_logout_through_the_routes() {
    let provider = Provider::shared().await;
    let app = app(auth().await);
    let (mut jar, callback) = log_in(&app, "/auth/login?returnTo=%2Fprivate%3Ftab%3D2").await;

    assert_eq!(callback.status(), StatusCode::FOUND);
    assert_eq!(location(&callback), "/private?tab=2");
    // The session cookie(s) and the removal of the used transaction cookie, all kept.
    let cookies = set_cookies(&callback);
    assert!(cookies.len() >= 2, "{} Set-Cookie headers", cookies.len());
    assert!(
        cookies
            .iter()
            .any(|(name, _, removed)| name.starts_with("_a0_tx") && *removed)
    );
    assert!(sets_a_session(&callback));
    assert!(!jar.session_names().is_empty());

    let profile = get(&app, "/auth/profile", &jar, "application/json").await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert_eq!(json_body(&profile)["sub"], "user-123");

    let token = get(&app, "/auth/access-token", &jar, "application/json").await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(token.headers()["cache-control"], "no-store");
    let token = json_body(&token);
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(token["expires_at"].as_u64().is_some());

    let private = get(&app, "/private", &jar, HTML).await;
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(private.body(), b"private page of user-123");
    let maybe = get(&app, "/maybe", &jar, HTML).await;
    assert_eq!(maybe.body(), b"signed in");

    let logout = get(&app, "/auth/logout?returnTo=%2Fbye", &jar, HTML).await;
    assert_eq!(logout.status(), StatusCode::FOUND);
    assert!(location(&logout).starts_with(&provider.url("/")));
    let params = query(location(&logout));
    assert_eq!(
        params["post_logout_redirect_uri"],
        format!("{}/bye", provider.rp_base())
    );
    jar.absorb(&logout);
    assert!(
        jar.session_names().is_empty(),
        "logout removes the session cookies"
    );
    let profile = get(&app, "/auth/profile", &jar, "application/json").await;
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_return_to_outside_the_app_goes_home() {
    let provider = Provider::shared().await;
    let app = app(auth().await);
    let logout = get(
        &app,
        "/auth/logout?returnTo=https%3A%2F%2Fevil.example%2F",
        &Jar::default(),
        HTML,
    )
    .await;
    assert_eq!(logout.status(), StatusCode::FOUND);
    let params = query(location(&logout));
    assert_eq!(
        params["post_logout_redirect_uri"],
        format!("{}/", provider.rp_base())
    );
}

#[tokio::test]
async fn callback_errors_are_400_json_without_a_session() {
    let app = app(auth().await);
    let jar = Jar::default();

    for (path, code) in [
        ("/auth/callback", "missing_required_argument"),
        ("/auth/callback?code=abc", "missing_required_argument"),
        (
            "/auth/callback?state=unknown&code=abc",
            "missing_transaction",
        ),
        (
            "/auth/callback?state=a&state=b&code=abc",
            "invalid_callback",
        ),
        (
            "/auth/callback?state=%ff%fe&code=%00",
            "missing_transaction",
        ),
    ] {
        let response = get(&app, path, &jar, HTML).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(json_body(&response)["error"], code, "{path}");
        assert!(!sets_a_session(&response), "{path}");
    }

    // The provider refuses the login: its error comes back as JSON, once.
    let mut jar = Jar::default();
    let login = get(&app, "/auth/login", &jar, HTML).await;
    jar.absorb(&login);
    let denied = format!("{}&login_hint=deny", location(&login));
    let callback = Browser::new().authorize(&denied).await.unwrap();
    let path = format!("{}?{}", callback.path(), callback.query().unwrap());
    let response = get(&app, &path, &jar, HTML).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(&response)["error"], "access_denied");
    assert!(!sets_a_session(&response));
    jar.absorb(&response);
    assert!(
        jar.0.keys().all(|name| !name.starts_with("_a0_tx")),
        "transaction consumed"
    );
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let app = app(auth().await);
    let mut jar = Jar::default();
    let login = get(&app, "/auth/login", &jar, HTML).await;
    jar.absorb(&login);
    let tx_jar = Jar(jar.0.clone());
    let callback = Browser::new().authorize(location(&login)).await.unwrap();
    let path = format!("{}?{}", callback.path(), callback.query().unwrap());

    let first = get(&app, &path, &jar, HTML).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    // Replayed with the transaction cookie as it was before the first use.
    let again = get(&app, &path, &tx_jar, HTML).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(&again)["error"], "missing_transaction");
    assert!(!sets_a_session(&again));
}

#[tokio::test]
async fn protected_routes_redirect_browsers_and_answer_401_otherwise() {
    let app = app(auth().await);
    let jar = Jar::default();

    let browser = get(&app, "/private?x=1&y=%2F", &jar, HTML).await;
    assert_eq!(browser.status(), StatusCode::FOUND);
    assert_eq!(
        location(&browser),
        "/auth/login?returnTo=%2Fprivate%3Fx%3D1%26y%3D%252F"
    );

    let api = get(&app, "/private", &jar, "application/json").await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_body(&api)["error"], "missing_session");

    let form = warp::test::request()
        .method("POST")
        .path("/private")
        .header("accept", HTML)
        .reply(&app)
        .await
        .map(|body| body.to_vec());
    assert_eq!(form.status(), StatusCode::UNAUTHORIZED);

    let maybe = get(&app, "/maybe", &jar, HTML).await;
    assert_eq!(maybe.status(), StatusCode::OK);
    assert_eq!(maybe.body(), b"signed out");

    for path in ["/auth/profile", "/auth/access-token"] {
        let response = get(&app, path, &jar, HTML).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(json_body(&response)["error"], "missing_session", "{path}");
    }
}

#[tokio::test]
async fn tampered_cookies_read_as_signed_out() {
    let app = app(auth().await);
    let (jar, _) = log_in(&app, "/auth/login").await;

    let mut tampered = Jar(jar.0.clone());
    for name in jar.session_names() {
        let value = tampered.0.get_mut(name).unwrap();
        let flipped = if value.ends_with('A') { 'B' } else { 'A' };
        value.pop();
        value.push(flipped);
    }
    let mut foreign = Jar::default();
    foreign
        .0
        .insert("_a0_session".into(), "not-a-sealed-value".into());

    for jar in [&tampered, &foreign] {
        let profile = get(&app, "/auth/profile", jar, "application/json").await;
        assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
        let private = get(&app, "/private", jar, HTML).await;
        assert_eq!(private.status(), StatusCode::FOUND);
        assert!(location(&private).starts_with("/auth/login?returnTo="));
        // The unusable cookie is cleared on the way out.
        assert!(
            set_cookies(&private)
                .iter()
                .any(|(name, _, removed)| name.starts_with("_a0_session") && *removed)
        );
        let token = get(&app, "/auth/access-token", jar, "application/json").await;
        assert_eq!(token.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn several_set_cookie_headers_survive_a_signed_out_reply() {
    let app = app(auth().await);
    let mut jar = Jar::default();
    jar.0.insert("_a0_session_0".into(), "junk".into());
    jar.0.insert("_a0_session_1".into(), "more-junk".into());

    let response = get(&app, "/private", &jar, "application/json").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let mut removed: Vec<String> = set_cookies(&response)
        .into_iter()
        .filter(|(_, _, removed)| *removed)
        .map(|(name, _, _)| name)
        .collect();
    removed.sort();
    assert_eq!(removed, ["_a0_session", "_a0_session_0", "_a0_session_1"]);
}

#[tokio::test]
async fn backchannel_logout_refuses_bad_requests_with_400_json() {
    let app = app(auth().await);
    for body in [
        "logout_token=not-a-jwt",
        "logout_token=",
        "other=1",
        "logout_token=a&logout_token=b",
        "%%%",
    ] {
        let response = warp::test::request()
            .method("POST")
            .path("/auth/backchannel-logout")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .reply(&app)
            .await
            .map(|body| body.to_vec());
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert!(json_body(&response)["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn backchannel_logout_ends_the_session() {
    let provider = Provider::shared().await;
    // The provider must know where the app listens when the client is registered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let registered = register_client(
        provider,
        &json!({
            "redirect_uris": [provider.redirect_uri()],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "backchannel_logout_uri": format!("http://127.0.0.1:{port}/auth/backchannel-logout"),
            "backchannel_logout_session_required": true,
        }),
    )
    .await
    .unwrap();
    let secret = registered.client_secret.clone().unwrap();
    let auth = auth_for(&registered.client_id, &secret).await;
    tokio::spawn(
        warp::serve(auth0_warp::routes(auth.clone()))
            .incoming(listener)
            .run(),
    );

    let app = app(auth);
    let (jar, _) = log_in(&app, "/auth/login").await;
    let profile = get(&app, "/auth/profile", &jar, "application/json").await;
    let claims = json_body(&profile);
    let sid = claims["sid"].as_str().unwrap();

    backchannel_logout(provider, &registered.client_id, "user-123", Some(sid))
        .await
        .unwrap();
    let profile = get(&app, "/auth/profile", &jar, "application/json").await;
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
}

/// A session store whose backend is down, as Redis can be.
#[derive(Debug)]
struct DownStore;

#[async_trait::async_trait]
impl auth0_warp::SessionStore for DownStore {
    async fn get(
        &self,
        _: &mut auth0_warp::StoreOptions,
        _: u64,
    ) -> auth0_warp::Result<Option<auth0_warp::SessionData>> {
        Err(auth0_warp::Error::Store("connection refused".into()))
    }

    async fn set(
        &self,
        _: &auth0_warp::SessionData,
        _: bool,
        _: &mut auth0_warp::StoreOptions,
        _: u64,
    ) -> auth0_warp::Result<()> {
        Err(auth0_warp::Error::Store("connection refused".into()))
    }

    async fn delete(&self, _: &mut auth0_warp::StoreOptions) -> auth0_warp::Result<()> {
        Err(auth0_warp::Error::Store("connection refused".into()))
    }

    async fn delete_by_logout(
        &self,
        _: &str,
        _: Option<&str>,
        _: Option<&str>,
        _: u64,
    ) -> auth0_warp::Result<u64> {
        Err(auth0_warp::Error::Store("connection refused".into()))
    }
}

#[tokio::test]
async fn a_failing_session_store_answers_503_json() {
    // Reading a session never contacts the provider, so none is needed here.
    let config = auth0_warp::ClientConfig::builder()
        .domain("http://127.0.0.1:9/")
        .client_id("client")
        .client_secret("client-secret")
        .secret(APP_SECRET)
        .authorization_params(
            auth0_warp::AuthorizationParams::new()
                .redirect_uri("http://127.0.0.1:3000/auth/callback"),
        )
        .build()
        .unwrap();
    let client = auth0_warp::ServerClient::builder(config)
        .session_store(DownStore)
        .build()
        .unwrap();
    let app = app(Auth::new(
        client,
        url::Url::parse("http://127.0.0.1:3000/").unwrap(),
    ));
    let mut jar = Jar::default();
    jar.0.insert("_a0_session".into(), "some-session-id".into());

    for path in ["/private", "/maybe", "/auth/profile", "/auth/access-token"] {
        for accept in [HTML, "application/json"] {
            let response = get(&app, path, &jar, accept).await;
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(json_body(&response)["error"], "store_error", "{path}");
        }
    }
}
