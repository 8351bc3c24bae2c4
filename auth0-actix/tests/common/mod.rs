//! Helpers shared by the adapter's tests: an in-process app against the real test provider,
//! a cookie jar and a one-call login.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, LOCATION, SET_COOKIE};
use actix_web::{HttpResponse, test, web};
use auth0_actix::{Auth0, Auth0Session, Settings, User};
use auth0_e2e::{Browser, Provider, static_client_secret};

/// The app's base URL: the one the shared provider's static clients are registered with.
pub const BASE: &str = auth0_e2e::provider::DEFAULT_RP_BASE;

/// The static client of the shared provider used by these tests.
pub const CLIENT_ID: &str = "rp-secret";

/// Settings of an app at `base` using the provider's client `client_id`.
pub fn settings(provider: &Provider, base: &str, client_id: &str, secret: &str) -> Settings {
    let vars = [
        ("AUTH0_DOMAIN", provider.issuer().to_owned()),
        ("AUTH0_CLIENT_ID", client_id.to_owned()),
        ("AUTH0_CLIENT_SECRET", secret.to_owned()),
        (
            "AUTH0_SECRET",
            "an adapter test secret of 32+ bytes".to_owned(),
        ),
        ("APP_BASE_URL", base.to_owned()),
    ];
    Settings::from_lookup(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    })
    .expect("test settings are valid")
}

/// The SDK handle for the shared provider's static client.
pub async fn auth(provider: &Provider) -> Auth0 {
    let settings = settings(provider, BASE, CLIENT_ID, &static_client_secret(CLIENT_ID));
    let client = settings.build_client().await.expect("client");
    Auth0::new(client, &settings)
}

/// `/private` needs a user, `/maybe` takes one if there is one, `/own-cookie` sets a cookie of
/// its own next to whatever the SDK sets.
pub fn app_routes(config: &mut web::ServiceConfig) {
    config
        .route("/private", web::get().to(private))
        .route("/private", web::post().to(private))
        .route("/maybe", web::get().to(maybe))
        .route("/own-cookie", web::get().to(own_cookie));
}

async fn private(user: User) -> HttpResponse {
    HttpResponse::Ok().body(format!("private for {}", user.sub().unwrap_or_default()))
}

async fn maybe(user: Option<User>) -> HttpResponse {
    let who = user.as_ref().and_then(User::sub).unwrap_or("anonymous");
    HttpResponse::Ok().body(who.to_owned())
}

async fn own_cookie(user: Option<User>) -> HttpResponse {
    HttpResponse::Ok()
        .append_header((SET_COOKIE, "app_pref=dark; Path=/"))
        .body(if user.is_some() { "in" } else { "out" })
}

/// Starts the app in-process, wrapped in the middleware, with the SDK routes and the above.
pub async fn service(
    auth: Auth0,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        actix_web::App::new()
            .wrap(Auth0Session::new())
            .configure(auth0_actix::routes(auth))
            .configure(app_routes),
    )
    .await
}

/// The cookies a browser keeps for the app.
#[derive(Debug, Default, Clone)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    /// Applies a response's `Set-Cookie` headers as a browser would (`Max-Age=0` removes).
    pub fn absorb<B>(&mut self, response: &ServiceResponse<B>) {
        for (name, value, removed) in set_cookies(response) {
            if removed {
                self.cookies.remove(&name);
            } else {
                self.cookies.insert(name, value);
            }
        }
    }

    /// The `Cookie` header for a request, if the jar holds any.
    pub fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// The names held.
    pub fn names(&self) -> Vec<String> {
        self.cookies.keys().cloned().collect()
    }

    /// Replaces the value of `name`.
    pub fn set(&mut self, name: &str, value: String) {
        self.cookies.insert(name.to_owned(), value);
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }
}

/// Every `Set-Cookie` of a response as (name, value, whether it removes the cookie).
pub fn set_cookies<B>(response: &ServiceResponse<B>) -> Vec<(String, String, bool)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .map(|header| {
            let text = header.to_str().expect("ASCII Set-Cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("a cookie has a name");
            let removed = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            (name.trim().to_owned(), value.trim().to_owned(), removed)
        })
        .collect()
}

/// A GET of `uri` (path and query) carrying the jar's cookies and `accept`.
pub fn get(uri: &str, jar: &Jar, accept: &str) -> test::TestRequest {
    let mut request = test::TestRequest::get()
        .uri(uri)
        .insert_header(("accept", accept));
    if let Some(cookies) = jar.header() {
        request = request.insert_header((COOKIE, cookies));
    }
    request
}

/// The `Location` header of a response.
pub fn location<B>(response: &ServiceResponse<B>) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ASCII Location")
        .to_owned()
}

/// The JSON body of a response.
pub async fn json<B: MessageBody>(response: ServiceResponse<B>) -> serde_json::Value {
    let body = test::read_body(response).await;
    serde_json::from_slice(&body).expect("a JSON body")
}

/// Logs in through the app's routes and the provider; returns the callback's response.
pub async fn login<S, B>(app: &S, jar: &mut Jar, query: &str) -> ServiceResponse<B>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let start = test::call_service(
        app,
        get(&format!("/auth/login{query}"), jar, "text/html").to_request(),
    )
    .await;
    assert_eq!(start.status(), StatusCode::FOUND, "login redirects");
    jar.absorb(&start);

    let callback = Browser::new()
        .authorize(&location(&start))
        .await
        .expect("the provider redirects back");
    let path = match callback.query() {
        Some(query) => format!("{}?{query}", callback.path()),
        None => callback.path().to_owned(),
    };
    let done = test::call_service(app, get(&path, jar, "text/html").to_request()).await;
    jar.absorb(&done);
    done
}
