//! Shared pieces of the adapter's tests: an app with a few guarded routes, a client of the
//! test provider, and a cookie jar fed from raw `Set-Cookie` headers.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different subset.

use std::collections::BTreeMap;

use auth0_e2e::{Browser, Provider, static_client_secret};
use auth0_rocket::web::Settings;
use auth0_rocket::{Auth0Fairing, MaybeUser, ServerClient, User};
use rocket::config::LogLevel;
use rocket::http::{CookieJar, Header};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{Build, Rocket, get, post, routes};
use url::Url;

/// The provider's static client the tests log in with.
pub const CLIENT_ID: &str = "rp-secret";

/// Settings for an app at `base_url` logging in with `client_id` at the shared provider.
pub fn settings(provider: &Provider, base_url: &str, client_id: &str, secret: &str) -> Settings {
    let issuer = provider.issuer().to_owned();
    Settings::from_lookup(|name| {
        let value = match name {
            "AUTH0_DOMAIN" => issuer.clone(),
            "AUTH0_CLIENT_ID" => client_id.to_owned(),
            "AUTH0_CLIENT_SECRET" => secret.to_owned(),
            "AUTH0_SECRET" => "an application secret of at least 32 bytes".to_owned(),
            "APP_BASE_URL" => base_url.to_owned(),
            _ => return None,
        };
        Some(value)
    })
    .expect("valid test settings")
}

/// Settings for the static client at the shared provider's default RP base URL.
pub async fn static_settings() -> Settings {
    let provider = Provider::shared().await;
    settings(
        provider,
        provider.rp_base(),
        CLIENT_ID,
        &static_client_secret(CLIENT_ID),
    )
}

/// A quiet Rocket with the SDK and the test routes.
pub fn app(client: ServerClient, settings: &Settings) -> Rocket<Build> {
    let figment = rocket::Config::figment()
        .merge(("log_level", LogLevel::Off))
        .merge(("address", "127.0.0.1"));
    rocket::custom(figment)
        .attach(Auth0Fairing::from_settings(client, settings))
        .mount(
            "/",
            routes![private, private_post, public, maybe, with_app_cookie],
        )
}

/// A local client of the app for the static client's settings.
pub async fn local_client() -> Client {
    let settings = static_settings().await;
    let client = settings.build_client().await.expect("a client");
    local_client_for(client, &settings).await
}

/// A local client of the app with this SDK client.
pub async fn local_client_for(client: ServerClient, settings: &Settings) -> Client {
    Client::untracked(app(client, settings))
        .await
        .expect("the app ignites")
}

#[get("/private")]
fn private(user: User) -> String {
    format!("private for {}", user.sub().unwrap_or_default())
}

#[post("/private")]
fn private_post(user: User) -> String {
    format!("posted by {}", user.sub().unwrap_or_default())
}

#[get("/public")]
fn public(user: Option<User>) -> String {
    match user {
        Some(user) => format!("signed in as {}", user.sub().unwrap_or_default()),
        None => "signed out".to_owned(),
    }
}

#[get("/maybe")]
fn maybe(user: MaybeUser) -> String {
    match user.0 {
        Some(user) => format!("signed in as {}", user.sub().unwrap_or_default()),
        None => "signed out".to_owned(),
    }
}

/// Sets a cookie of the app's own through Rocket's jar, next to the SDK's.
#[get("/app-cookie")]
fn with_app_cookie(user: Option<User>, jar: &CookieJar<'_>) -> &'static str {
    jar.add(("theme", "dark"));
    if user.is_some() { "in" } else { "out" }
}

/// The cookies a browser keeps for the app, fed from raw `Set-Cookie` headers.
#[derive(Debug, Default, Clone)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    /// Applies a response's `Set-Cookie` headers; returns them, raw.
    pub fn absorb(&mut self, response: &LocalResponse<'_>) -> Vec<String> {
        let headers: Vec<String> = response
            .headers()
            .get("Set-Cookie")
            .map(str::to_owned)
            .collect();
        for header in &headers {
            let (pair, attributes) = header.split_once(';').unwrap_or((header, ""));
            let (name, value) = pair.split_once('=').expect("a cookie has a name");
            let removed = attributes
                .split(';')
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
            if removed {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        headers
    }

    /// The `Cookie` request header for these cookies.
    pub fn header(&self) -> Header<'static> {
        let line: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        Header::new("Cookie", line.join("; "))
    }

    /// The value of a cookie.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Sets a cookie as if the browser held it.
    pub fn set(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The names of the cookies held.
    pub fn names(&self) -> Vec<&str> {
        self.cookies.keys().map(String::as_str).collect()
    }
}

/// The `Location` header of a response.
pub fn location(response: &LocalResponse<'_>) -> String {
    response
        .headers()
        .get_one("Location")
        .expect("a Location header")
        .to_owned()
}

/// Whether these `Set-Cookie` headers set (not clear) the session cookie.
pub fn sets_session(set_cookies: &[String]) -> bool {
    set_cookies.iter().any(|header| {
        header.starts_with("_a0_session") && !header.to_ascii_lowercase().contains("max-age=0")
    })
}

/// Whether these `Set-Cookie` headers clear the session cookie.
pub fn clears_session(set_cookies: &[String]) -> bool {
    set_cookies.iter().any(|header| {
        header.starts_with("_a0_session") && header.to_ascii_lowercase().contains("max-age=0")
    })
}

/// Logs in through the app's routes and the provider; returns the jar holding the session
/// and where the callback redirected to.
pub async fn login(client: &Client, login_path: &str) -> (Jar, String) {
    let mut jar = Jar::default();
    let response = client.get(login_path.to_owned()).dispatch().await;
    assert_eq!(response.status().code, 302, "login redirects");
    jar.absorb(&response);
    let authorize = location(&response);

    let callback = Browser::new()
        .authorize(&authorize)
        .await
        .expect("the provider redirects back");
    let response = client
        .get(path_and_query(&callback))
        .header(jar.header())
        .dispatch()
        .await;
    assert_eq!(response.status().code, 302, "the callback redirects");
    let set_cookies = jar.absorb(&response);
    assert!(sets_session(&set_cookies), "the callback sets the session");
    (jar, location(&response))
}

/// The path and query of a URL.
pub fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}
