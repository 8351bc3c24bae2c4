//! The adapter's routes, guards and catchers against the real test provider, through Rocket's
//! local client.

mod common;

use std::collections::BTreeMap;

use async_trait::async_trait;
use auth0_e2e::{Browser, Provider};
use auth0_rocket::{Error, ServerClient, SessionData, SessionStore, StoreOptions};
use common::{
    Jar, clears_session, local_client, local_client_for, location, login, path_and_query,
    sets_session, static_settings,
};
use rocket::http::{ContentType, Header};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::Value;
use url::Url;

async fn json(response: LocalResponse<'_>) -> Value {
    let content_type = response.content_type();
    assert_eq!(content_type, Some(ContentType::JSON), "a JSON reply");
    let body = response.into_string().await.expect("a body");
    serde_json::from_str(&body).expect("valid JSON")
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    Url::parse(url)
        .expect("an absolute URL")
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

fn html() -> Header<'static> {
    Header::new("Accept", "text/html,application/xhtml+xml")
}

#[tokio::test]
async fn login_redirect_keeps_only_the_three_query_keys() {
    let provider = Provider::shared().await;
    let client = local_client().await;
    let response = client
        .get(
            "/auth/login?returnTo=%2Fprivate&organization=org_abc&invitation=inv_1\
             &prompt=none&scope=admin&audience=https%3A%2F%2Fevil.test%2F&login_hint=x&state=mine",
        )
        .dispatch()
        .await;
    assert_eq!(response.status().code, 302);
    let set_cookies = Jar::default().absorb(&response);
    assert!(!set_cookies.is_empty(), "the transaction cookie is set");
    let authorize = location(&response);
    assert!(
        authorize.starts_with(provider.base_url()),
        "goes to the provider"
    );

    let query = query_of(&authorize);
    assert_eq!(query["organization"], "org_abc");
    assert_eq!(query["invitation"], "inv_1");
    assert_eq!(query["scope"], "openid profile email offline_access");
    assert_ne!(query["state"], "mine");
    for key in ["prompt", "audience", "login_hint", "returnTo"] {
        assert!(!query.contains_key(key), "{key} must not reach /authorize");
    }
}

#[tokio::test]
async fn callback_errors_answer_400_json_without_a_session() {
    let client = local_client().await;

    let response = client
        .get("/auth/callback?code=abc&state=unknown")
        .dispatch()
        .await;
    assert_eq!(response.status().code, 400);
    assert!(!sets_session(&Jar::default().absorb(&response)));
    assert_eq!(json(response).await["error"], "missing_transaction");

    let response = client.get("/auth/callback").dispatch().await;
    assert_eq!(response.status().code, 400);
    assert_eq!(json(response).await["error"], "missing_required_argument");

    let response = client
        .get("/auth/callback?state=a&state=b&code=c")
        .dispatch()
        .await;
    assert_eq!(response.status().code, 400);

    // The provider refuses the login: its error comes back as JSON, with no session.
    let mut jar = Jar::default();
    let response = client.get("/auth/login").dispatch().await;
    jar.absorb(&response);
    let denied = format!("{}&login_hint=deny", location(&response));
    let callback = Browser::new().authorize(&denied).await.unwrap();
    let response = client
        .get(path_and_query(&callback))
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 400);
    let set_cookies = jar.absorb(&response);
    assert!(!sets_session(&set_cookies), "{set_cookies:?}");
    assert_eq!(json(response).await["error"], "access_denied");
}

#[tokio::test]
async fn login_profile_access_token_and_logout() {
    let provider = Provider::shared().await;
    let client = local_client().await;
    let (mut jar, back_to) = login(&client, "/auth/login?returnTo=%2Fprivate%3Fx%3D1").await;
    assert_eq!(back_to, "/private?x=1");

    let response = client.get("/private").header(jar.header()).dispatch().await;
    assert_eq!(response.status().code, 200);
    assert_eq!(
        response.into_string().await.unwrap(),
        "private for user-123"
    );

    let response = client
        .get("/auth/profile")
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 200);
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("no-store")
    );
    let profile = json(response).await;
    assert_eq!(profile["sub"], "user-123");
    assert_eq!(profile["name"], "Test User");

    let response = client
        .get("/auth/access-token")
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 200);
    let token = json(response).await;
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(token["expires_at"].as_u64().is_some());

    let response = client
        .get("/auth/logout?returnTo=%2Fpublic")
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 302);
    let set_cookies = jar.absorb(&response);
    assert!(clears_session(&set_cookies), "{set_cookies:?}");
    let logout_url = location(&response);
    assert!(logout_url.starts_with(provider.base_url()));
    let query = query_of(&logout_url);
    assert_eq!(
        query["post_logout_redirect_uri"],
        format!("{}/public", provider.rp_base())
    );
    assert!(query.contains_key("id_token_hint"));

    let response = client
        .get("/auth/profile")
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 401);
}

#[tokio::test]
async fn logout_refuses_foreign_return_urls() {
    let provider = Provider::shared().await;
    let client = local_client().await;
    for candidate in [
        "https%3A%2F%2Fevil.test%2F",
        "%2F%2Fevil.test%2F",
        "%5C%5Cevil.test",
    ] {
        let response = client
            .get(format!("/auth/logout?returnTo={candidate}"))
            .dispatch()
            .await;
        assert_eq!(response.status().code, 302);
        let query = query_of(&location(&response));
        assert_eq!(
            query["post_logout_redirect_uri"],
            format!("{}/", provider.rp_base()),
            "{candidate}"
        );
    }
}

#[tokio::test]
async fn protected_routes_redirect_browsers_and_answer_401_otherwise() {
    let client = local_client().await;

    let response = client
        .get("/private?x=1&y=2")
        .header(html())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 302);
    assert_eq!(
        location(&response),
        "/auth/login?returnTo=%2Fprivate%3Fx%3D1%26y%3D2"
    );

    let response = client
        .get("/private")
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(response.status().code, 401);
    assert_eq!(json(response).await["error"], "missing_session");

    let response = client.post("/private").header(html()).dispatch().await;
    assert_eq!(response.status().code, 401);

    for path in ["/auth/profile", "/auth/access-token"] {
        let response = client.get(path).header(html()).dispatch().await;
        assert_eq!(response.status().code, 401, "{path}");
        assert_eq!(json(response).await["error"], "missing_session");
    }

    for path in ["/public", "/maybe"] {
        let response = client.get(path).dispatch().await;
        assert_eq!(response.status().code, 200);
        assert_eq!(response.into_string().await.unwrap(), "signed out");
    }
}

#[tokio::test]
async fn tampered_cookies_read_as_signed_out_and_are_cleared() {
    let client = local_client().await;
    let (mut jar, _) = login(&client, "/auth/login").await;
    let sealed = jar
        .get("_a0_session_0")
        .expect("one session cookie")
        .to_owned();
    let mut tampered: Vec<char> = sealed.chars().collect();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == 'A' { 'B' } else { 'A' };
    jar.set("_a0_session_0", &tampered.into_iter().collect::<String>());

    let response = client
        .get("/auth/profile")
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 401);
    assert!(clears_session(&Jar::default().absorb(&response)));

    // The clearing header also reaches a catcher's response.
    let response = client
        .get("/private")
        .header(html())
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 302);
    assert!(clears_session(&Jar::default().absorb(&response)));

    let response = client.get("/public").header(jar.header()).dispatch().await;
    assert_eq!(response.status().code, 200);
    assert_eq!(response.into_string().await.unwrap(), "signed out");
}

#[tokio::test]
async fn several_set_cookie_headers_survive() {
    let client = local_client().await;

    // The callback clears the transaction cookie and sets the session: two headers.
    let mut jar = Jar::default();
    let response = client.get("/auth/login").dispatch().await;
    jar.absorb(&response);
    let callback = Browser::new()
        .authorize(&location(&response))
        .await
        .unwrap();
    let response = client
        .get(path_and_query(&callback))
        .header(jar.header())
        .dispatch()
        .await;
    let set_cookies = jar.absorb(&response);
    assert!(set_cookies.len() >= 2, "{}", set_cookies.len());
    assert!(sets_session(&set_cookies));

    // A guard clearing two unreadable chunks, and the app's own cookie, all arrive.
    let response = client
        .get("/app-cookie")
        .header(Header::new(
            "Cookie",
            "_a0_session_0=garbage; _a0_session_1=more-garbage",
        ))
        .dispatch()
        .await;
    assert_eq!(response.status().code, 200);
    let set_cookies = Jar::default().absorb(&response);
    let names: Vec<&str> = set_cookies
        .iter()
        .filter_map(|header| header.split('=').next())
        .collect();
    assert!(names.contains(&"theme"), "{names:?}");
    assert!(names.contains(&"_a0_session_0"), "{names:?}");
    assert!(names.contains(&"_a0_session_1"), "{names:?}");
}

#[tokio::test]
async fn backchannel_logout_rejects_bad_requests_with_400_json() {
    let client = local_client().await;

    let response = client
        .post("/auth/backchannel-logout")
        .header(ContentType::Form)
        .body("logout_token=not.a.token")
        .dispatch()
        .await;
    assert_eq!(response.status().code, 400);
    assert_eq!(
        json(response).await["error"],
        "logout_token_validation_error"
    );

    let response = client
        .post("/auth/backchannel-logout")
        .header(ContentType::Form)
        .body("other=1")
        .dispatch()
        .await;
    assert_eq!(response.status().code, 400);
    assert_eq!(json(response).await["error"], "missing_required_argument");
}

/// A session store whose backend is down.
#[derive(Debug)]
struct DownStore;

#[async_trait]
impl SessionStore for DownStore {
    async fn get(&self, _: &mut StoreOptions, _: u64) -> auth0_rocket::Result<Option<SessionData>> {
        Err(Error::Store("the backend is unreachable".into()))
    }

    async fn set(
        &self,
        _: &SessionData,
        _: bool,
        _: &mut StoreOptions,
        _: u64,
    ) -> auth0_rocket::Result<()> {
        Err(Error::Store("the backend is unreachable".into()))
    }

    async fn delete(&self, _: &mut StoreOptions) -> auth0_rocket::Result<()> {
        Err(Error::Store("the backend is unreachable".into()))
    }

    async fn delete_by_logout(
        &self,
        _: &str,
        _: Option<&str>,
        _: Option<&str>,
        _: u64,
    ) -> auth0_rocket::Result<u64> {
        Err(Error::Store("the backend is unreachable".into()))
    }
}

async fn client_with_a_down_store() -> Client {
    let settings = static_settings().await;
    let client = ServerClient::builder(settings.config.clone())
        .session_store(DownStore)
        .build()
        .unwrap();
    local_client_for(client, &settings).await
}

#[tokio::test]
async fn store_failures_answer_503_json() {
    let client = client_with_a_down_store().await;
    let cookie = Header::new("Cookie", "_a0_session=anything");

    for path in ["/private", "/maybe", "/auth/profile", "/auth/access-token"] {
        let response = client
            .get(path)
            .header(html())
            .header(cookie.clone())
            .dispatch()
            .await;
        assert_eq!(response.status().code, 503, "{path}");
        assert_eq!(json(response).await["error"], "store_error", "{path}");
    }

    // Rocket's `Option<T>` reads any guard failure as `None`.
    let response = client.get("/public").header(cookie).dispatch().await;
    assert_eq!(response.status().code, 200);
}
