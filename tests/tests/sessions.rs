//! Sessions end to end: the signed-in user, access tokens and refresh, logout and back-channel
//! logout, with the cookie store and the Redis store, against the real provider and Redis.

use std::collections::HashMap;
use std::sync::Arc;

use auth0_core::client::{
    CookieSessionStore, RedisBackend, RedisConnection, RedisOptions, ServerSideSessionStore,
};
use auth0_core::{
    AccessTokenRequest, AuthorizationParams, ClientConfig, LogoutOptions, ServerClient,
    StartInteractiveLoginOptions,
};
use auth0_e2e::rp::{AppCookies, finish, start};
use auth0_e2e::{
    Browser, Provider, ProviderOptions, backchannel_logout, register_client, static_client_secret,
    token_request_count,
};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

const APP_SECRET: &str = "an-application-secret-of-at-least-32-bytes";
const REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// A provider whose access tokens live 30 s: inside the SDK's 60 s expiry buffer, so every
/// `get_access_token` must refresh.
async fn short_lived(rotate: bool) -> &'static Provider {
    static PLAIN: OnceCell<Provider> = OnceCell::const_new();
    static ROTATING: OnceCell<Provider> = OnceCell::const_new();
    let cell = if rotate { &ROTATING } else { &PLAIN };
    cell.get_or_init(|| {
        Provider::start(ProviderOptions {
            access_token_ttl_secs: 30,
            rotate_refresh_tokens: rotate,
            ..ProviderOptions::default()
        })
    })
    .await
}

enum Store {
    Cookie,
    Redis,
}

/// A unique Redis key prefix per test, so tests never see each other's keys.
fn prefix() -> String {
    format!("auth0-e2e:{}:", rand::random::<u64>())
}

async fn client_for(provider: &Provider, client_id: &str, store: Store) -> ServerClient {
    let config = ClientConfig::builder()
        .domain(provider.issuer())
        .client_id(client_id)
        .client_secret(static_client_secret(client_id))
        .secret(APP_SECRET)
        .authorization_params(AuthorizationParams::new().redirect_uri(provider.redirect_uri()))
        .build()
        .unwrap();
    build(config, store).await
}

async fn build(config: ClientConfig, store: Store) -> ServerClient {
    let builder = ServerClient::builder(config.clone());
    let builder = match store {
        Store::Cookie => builder.session_store(CookieSessionStore::new(&config)),
        Store::Redis => {
            let connection = RedisConnection::connect(REDIS_URL, &RedisOptions::default())
                .await
                .unwrap();
            let backend = RedisBackend::with_prefix(connection, prefix());
            builder.session_store(ServerSideSessionStore::new(&config, backend))
        }
    };
    builder.build().unwrap()
}

/// Logs in with `browser` and returns the app's cookies holding the session.
async fn sign_in(
    client: &ServerClient,
    browser: &Browser,
    options: StartInteractiveLoginOptions,
) -> AppCookies {
    let mut cookies = AppCookies::new();
    let url = start(client, &mut cookies, options).await.unwrap();
    let callback = browser.authorize(&url).await.unwrap();
    finish(client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    cookies
}

async fn user(
    client: &ServerClient,
    cookies: &mut AppCookies,
) -> Option<serde_json::Map<String, Value>> {
    let mut store = cookies.request();
    let user = client.get_user(&mut store).await.unwrap();
    cookies.absorb(&store);
    user
}

async fn access_token(
    client: &ServerClient,
    cookies: &mut AppCookies,
    request: AccessTokenRequest,
) -> auth0_core::Result<auth0_core::AccessTokenResult> {
    let mut store = cookies.request();
    let result = client.get_access_token(request, &mut store).await;
    cookies.absorb(&store);
    result
}

fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn get_user_carries_the_organization() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = Provider::shared().await;
        let client = client_for(provider, "rp-secret", store).await;
        let options = StartInteractiveLoginOptions::new().organization("org_abc123");
        let mut cookies = sign_in(&client, &Browser::new(), options).await;
        let user = user(&client, &mut cookies).await.expect("signed in");
        assert_eq!(user["sub"], "user-123");
        assert_eq!(user["org_id"], "org_abc123");

        let options = StartInteractiveLoginOptions::new().organization("Acme");
        let mut cookies = sign_in(&client, &Browser::new(), options).await;
        let user = self::user(&client, &mut cookies).await.expect("signed in");
        assert_eq!(user["org_name"], "acme");
    }
}

#[tokio::test]
async fn signed_out_and_tampered_cookies_read_as_no_session() {
    let provider = Provider::shared().await;
    let client = client_for(provider, "rp-secret", Store::Cookie).await;
    assert_eq!(user(&client, &mut AppCookies::new()).await, None);
    let err = access_token(&client, &mut AppCookies::new(), AccessTokenRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_session");

    let cookies = sign_in(&client, &Browser::new(), Default::default()).await;
    let mut store = cookies.request();
    let header = store.request_headers()[reqwest::header::COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let tampered = header.replacen("_a0_session_0=ey", "_a0_session_0=ex", 1);
    assert_ne!(tampered, header);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, tampered.parse().unwrap());
    store = auth0_core::StoreOptions::from_request_headers(&headers);
    assert_eq!(client.get_user(&mut store).await.unwrap(), None);
}

#[tokio::test]
async fn refresh_after_expiry_without_rotation() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = short_lived(false).await;
        let client = client_for(provider, "rp-secret", store).await;
        let mut cookies = sign_in(&client, &Browser::new(), Default::default()).await;
        let before = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();
        let refreshes = token_request_count(provider, "rp-secret", "refresh_token")
            .await
            .unwrap();

        let token = access_token(&client, &mut cookies, AccessTokenRequest::new())
            .await
            .unwrap();
        assert_ne!(token.access_token, before.token_sets[0].access_token);
        assert_eq!(
            token_request_count(provider, "rp-secret", "refresh_token")
                .await
                .unwrap(),
            refreshes + 1
        );

        let after = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.token_sets.len(), 1);
        assert_eq!(
            after.token_sets[0].access_token, token.access_token,
            "the new token is stored"
        );
        assert_eq!(
            after.refresh_token, before.refresh_token,
            "no rotation: the same refresh token"
        );
        // The provider sends a new ID token with the refresh: its claims replace the old
        // ones, for the same user.
        let (before_user, after_user) = (before.user.unwrap(), after.user.unwrap());
        assert_eq!(after_user["sub"], before_user["sub"]);
        assert_eq!(after_user["sid"], before_user["sid"]);
        assert_eq!(after_user["name"], "Test User");
    }
}

#[tokio::test]
async fn refresh_with_rotation_saves_the_new_refresh_token() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = short_lived(true).await;
        let client = client_for(provider, "rp-secret", store).await;
        let mut cookies = sign_in(&client, &Browser::new(), Default::default()).await;
        let first = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();

        access_token(&client, &mut cookies, AccessTokenRequest::new())
            .await
            .unwrap();
        let second = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();
        assert_ne!(second.refresh_token, first.refresh_token, "rotated");

        // The rotated token works: a further refresh succeeds (the old one would be refused).
        let token = access_token(&client, &mut cookies, AccessTokenRequest::new())
            .await
            .unwrap();
        let third = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();
        assert_ne!(third.refresh_token, second.refresh_token);
        assert_eq!(third.token_sets[0].access_token, token.access_token);
    }
}

#[tokio::test]
async fn concurrent_calls_make_one_refresh() {
    let provider = short_lived(false).await;
    let registered = register_client(
        provider,
        &json!({
            "redirect_uris": [provider.redirect_uri()],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
    )
    .await
    .unwrap();
    let config = ClientConfig::builder()
        .domain(provider.issuer())
        .client_id(&registered.client_id)
        .client_secret(registered.client_secret.clone().unwrap())
        .secret(APP_SECRET)
        .authorization_params(AuthorizationParams::new().redirect_uri(provider.redirect_uri()))
        .build()
        .unwrap();
    let client = build(config, Store::Redis).await;
    let cookies = sign_in(&client, &Browser::new(), Default::default()).await;

    let (mut a, mut b) = (cookies.clone(), cookies.clone());
    let (first, second) = tokio::join!(
        access_token(&client, &mut a, AccessTokenRequest::new()),
        access_token(&client, &mut b, AccessTokenRequest::new())
    );
    assert_eq!(first.unwrap().access_token, second.unwrap().access_token);
    let count = token_request_count(provider, &registered.client_id, "refresh_token")
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn an_audience_specific_token() {
    const API: &str = "https://api.example.test/orders";
    let provider = short_lived(false).await;
    let client = client_for(provider, "rp-secret", Store::Redis).await;
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(AuthorizationParams::new().audience(API));
    let mut cookies = sign_in(&client, &Browser::new(), options).await;
    let session = client
        .get_session(&mut cookies.request())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.token_sets[0].audience, API);

    // The stored token is within the expiry buffer: the SDK refreshes it for that audience.
    let before = token_request_count(provider, "rp-secret", "refresh_token")
        .await
        .unwrap();
    let token = access_token(
        &client,
        &mut cookies,
        AccessTokenRequest::new().audience(API),
    )
    .await
    .unwrap();
    assert_eq!(
        token_request_count(provider, "rp-secret", "refresh_token")
            .await
            .unwrap(),
        before + 1
    );
    assert_eq!(token.audience, API);
    assert_eq!(jwt_claims(token.access_token.expose())["aud"], API);
    assert_ne!(token.access_token, session.token_sets[0].access_token);

    let after = client
        .get_session(&mut cookies.request())
        .await
        .unwrap()
        .unwrap();
    let stored: Vec<_> = after
        .token_sets
        .iter()
        .filter(|set| set.audience == API)
        .collect();
    assert_eq!(
        stored.len(),
        1,
        "the token of that audience is replaced, not duplicated"
    );
    assert_eq!(stored[0].access_token, token.access_token);
}

#[tokio::test]
async fn no_refresh_token_fails_without_a_request() {
    let provider = short_lived(false).await;
    let config = ClientConfig::builder()
        .domain(provider.issuer())
        .client_id("rp-post")
        .client_secret(static_client_secret("rp-post"))
        .client_secret_post()
        .secret(APP_SECRET)
        .authorization_params(
            AuthorizationParams::new()
                .redirect_uri(provider.redirect_uri())
                .scope("openid profile"),
        )
        .build()
        .unwrap();
    let client = build(config, Store::Cookie).await;
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(AuthorizationParams::new().scope("openid profile"));
    let mut cookies = sign_in(&client, &Browser::new(), options).await;
    let session = client
        .get_session(&mut cookies.request())
        .await
        .unwrap()
        .unwrap();
    assert!(
        session.refresh_token.is_none(),
        "scope without offline_access"
    );
    let before = token_request_count(provider, "rp-post", "refresh_token")
        .await
        .unwrap();
    let err = access_token(&client, &mut cookies, AccessTokenRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_refresh_token");
    assert_eq!(
        token_request_count(provider, "rp-post", "refresh_token")
            .await
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn logout_ends_the_session_here_and_at_the_provider() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = Provider::shared().await;
        let client = client_for(provider, "rp-secret", store).await;
        let browser = Browser::new();
        let mut cookies = sign_in(&client, &browser, Default::default()).await;
        let return_to = format!("{}/", provider.rp_base());

        let mut store = cookies.request();
        let url = client
            .logout(LogoutOptions::new().return_to(&return_to), &mut store)
            .await
            .unwrap();
        cookies.absorb(&store);
        let url = url::Url::parse(&url).unwrap();
        assert_eq!(
            url.as_str().split('?').next().unwrap(),
            provider.url("/session/end")
        );
        let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "rp-secret");
        assert_eq!(q["post_logout_redirect_uri"], return_to);
        assert!(q["id_token_hint"].starts_with("ey"));
        assert_eq!(user(&client, &mut cookies).await, None, "signed out here");

        let landed = browser.logout(url.as_str()).await.unwrap();
        assert_eq!(landed.as_str().split('?').next().unwrap(), return_to);
        // Signed out at the provider too: a new login needs the interaction again, which the
        // headless driver completes; the session there is a new one.
    }
}

/// Serves `POST /backchannel-logout` with the SDK on `listener`, as an app would.
fn serve_backchannel(client: ServerClient, listener: tokio::net::TcpListener) {
    use warp::Filter;
    let client = Arc::new(client);
    let route = warp::post()
        .and(warp::path("backchannel-logout"))
        .and(warp::body::form::<HashMap<String, String>>())
        .then(move |form: HashMap<String, String>| {
            let client = client.clone();
            async move {
                let token = form.get("logout_token").cloned().unwrap_or_default();
                match client.handle_backchannel_logout(&token).await {
                    Ok(_) => warp::http::StatusCode::NO_CONTENT,
                    Err(_) => warp::http::StatusCode::BAD_REQUEST,
                }
            }
        });
    tokio::spawn(warp::serve(route).incoming(listener).run());
}

#[tokio::test]
async fn back_channel_logout_ends_matching_sessions() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = Provider::shared().await;
        // The provider must know the app's address at registration: bind first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let registered = register_client(
            provider,
            &json!({
                "redirect_uris": [provider.redirect_uri()],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "backchannel_logout_uri": format!("http://127.0.0.1:{port}/backchannel-logout"),
                "backchannel_logout_session_required": true,
            }),
        )
        .await
        .unwrap();
        let config = ClientConfig::builder()
            .domain(provider.issuer())
            .client_id(&registered.client_id)
            .client_secret(registered.client_secret.clone().unwrap())
            .secret(APP_SECRET)
            .authorization_params(AuthorizationParams::new().redirect_uri(provider.redirect_uri()))
            .build()
            .unwrap();
        let client = build(config, store).await;
        serve_backchannel(client.clone(), listener);

        let mut alice = sign_in(&client, &Browser::new(), login_as("alice")).await;
        let mut bob = sign_in(&client, &Browser::new(), login_as("bob")).await;
        let session = client
            .get_session(&mut alice.request())
            .await
            .unwrap()
            .unwrap();
        let sid = session.user.as_ref().unwrap()["sid"]
            .as_str()
            .unwrap()
            .to_owned();

        backchannel_logout(provider, &registered.client_id, "alice", Some(&sid))
            .await
            .unwrap();
        assert_eq!(
            user(&client, &mut alice).await,
            None,
            "alice's session ended"
        );
        assert!(user(&client, &mut bob).await.is_some(), "bob's did not");
    }
}

fn login_as(sub: &str) -> StartInteractiveLoginOptions {
    StartInteractiveLoginOptions::new()
        .authorization_params(AuthorizationParams::new().param("login_hint", sub))
}

#[tokio::test]
async fn a_second_user_on_the_same_browser_gets_none_of_the_first_users_tokens() {
    for store in [Store::Cookie, Store::Redis] {
        let provider = Provider::shared().await;
        let client = client_for(provider, "rp-secret", store).await;
        let mut cookies = sign_in(&client, &Browser::new(), login_as("alice")).await;
        let alice = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();

        // Bob logs in with the same app cookies (another provider session).
        let url = start(&client, &mut cookies, login_as("bob")).await.unwrap();
        let callback = Browser::new().authorize(&url).await.unwrap();
        finish(&client, &mut cookies, callback.as_str())
            .await
            .unwrap();
        let bob = client
            .get_session(&mut cookies.request())
            .await
            .unwrap()
            .unwrap();

        assert_eq!(bob.user.as_ref().unwrap()["sub"], "bob");
        assert_eq!(bob.token_sets.len(), 1);
        assert_ne!(
            bob.token_sets[0].access_token,
            alice.token_sets[0].access_token
        );
        assert_ne!(bob.refresh_token, alice.refresh_token);
        assert_ne!(bob.id_token, alice.id_token);
    }
}

#[tokio::test]
async fn the_session_id_is_rotated_at_login() {
    let provider = Provider::shared().await;
    let client = client_for(provider, "rp-secret", Store::Redis).await;
    // An attacker plants a session id before the victim logs in.
    let mut cookies = AppCookies::new();
    cookies.set("_a0_session", "planted-session-id-aaaaaaaaaaaaaaaaaaaa");
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    let callback = Browser::new().authorize(&url).await.unwrap();
    finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    let first_id = cookies.get("_a0_session").unwrap();
    assert_ne!(first_id, "planted-session-id-aaaaaaaaaaaaaaaaaaaa");
    assert!(user(&client, &mut cookies).await.is_some());

    // A second login in the same browser gets yet another id; the old one is gone.
    let old = cookies.clone();
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    let callback = Browser::new().authorize(&url).await.unwrap();
    finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    assert_ne!(cookies.get("_a0_session").unwrap(), first_id);
    assert_eq!(
        user(&client, &mut old.clone()).await,
        None,
        "the old id no longer works"
    );
    assert!(user(&client, &mut cookies).await.is_some());
}
