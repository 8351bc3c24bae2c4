//! [warp] filters for [`auth0_core`]: log users in to a warp app with Auth0 or any OpenID
//! Provider.
//!
//! This crate only translates. The login, the callback checks, tokens and sessions all live in
//! [`auth0_core`]; here warp requests become [`StoreOptions`] and SDK calls, and results become
//! warp replies carrying the SDK's `Set-Cookie` headers.
//!
//! What it gives you:
//!
//! - [`routes`]: `login`, `callback`, `logout`, `backchannel-logout`, `profile` and
//!   `access-token` under a mount point (default [`DEFAULT_MOUNT`], `/auth`).
//! - [`user`] and [`optional_user`]: filters that extract the signed-in [`User`]. A signed-out
//!   visitor makes [`user`] reject with [`SignedOut`], which [`recover`] turns into a redirect
//!   to login (browser navigation) or a 401 JSON reply (everything else).
//! - [`store_options`] and [`with_session_cookies`], to call any [`ServerClient`] method from
//!   your own handlers and hand its cookies to the browser.
//!
//! Every `Set-Cookie` header the SDK produces is appended to the reply, never inserted over
//! another one: a chunked session and the removal of a used login transaction travel
//! together. Reading a session may extend it (rolling sessions); those cookies ride on the
//! reply too when you finish it with [`User::with_session_cookies`] or
//! [`with_session_cookies`].
//!
//! The core's public items are re-exported, so `auth0_warp::ServerClient` and
//! `auth0_warp::web::Settings` name the same types as in `auth0_core`.
//!
//! # Example
//!
//! ```no_run
//! use auth0_warp::{Auth, Settings, User};
//! use warp::Filter;
//!
//! #[tokio::main]
//! async fn main() {
//!     // AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_SECRET, APP_BASE_URL
//!     let settings = Settings::from_env().unwrap_or_else(|err| {
//!         eprintln!("{err}");
//!         std::process::exit(2);
//!     });
//!     let auth = Auth::from_settings(&settings).await.expect("the session store is reachable");
//!
//!     let private = warp::path!("private")
//!         .and(warp::get())
//!         .and(auth0_warp::user(auth.clone()))
//!         .map(|user: User| {
//!             let greeting = format!("signed in as {}", user.sub().unwrap_or("?"));
//!             user.with_session_cookies(greeting)
//!         });
//!
//!     let app = private
//!         .or(auth0_warp::routes(auth))
//!         .recover(auth0_warp::recover);
//!     warp::serve(app).run(([127, 0, 0, 1], 3000)).await;
//! }
//! ```

mod routes;
mod user;

use std::sync::Arc;

use warp::Filter;
use warp::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use warp::http::{Response as HttpResponse, StatusCode};
use warp::reply::{Reply, Response};

#[doc(no_inline)]
pub use auth0_core::web::{DEFAULT_MOUNT, EnvError, SessionStoreKind, Settings};
#[doc(no_inline)]
pub use auth0_core::*;
pub use routes::routes;
#[doc(no_inline)]
pub use url::Url;
pub use user::{SessionError, SignedOut, User, optional_user, recover, user};

/// The SDK mounted in a warp app: the [`ServerClient`], the app's public base URL and where
/// the SDK's routes live.
///
/// Cheap to clone; clones share the client and its caches.
#[derive(Debug, Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: ServerClient,
    base_url: Url,
    mount: String,
}

impl Auth {
    /// Mounts `client` for an app served at `base_url`, with the routes under `/auth`.
    ///
    /// The client's `redirect_uri` should be `<base_url>/auth/callback`.
    pub fn new(client: ServerClient, base_url: Url) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                base_url,
                mount: DEFAULT_MOUNT.to_owned(),
            }),
        }
    }

    /// Builds the client that `settings` describe (see [`Settings::build_client`]) and mounts
    /// it at the settings' base URL and mount point.
    pub async fn from_settings(settings: &Settings) -> auth0_core::Result<Self> {
        let client = settings.build_client().await?;
        Ok(Self::new(client, settings.base_url.clone()).with_mount(&settings.mount))
    }

    /// Moves the SDK's routes under `mount` (such as `/account`); `/` or `""` is the root.
    ///
    /// The client's `redirect_uri` must then be `<base_url><mount>/callback`.
    pub fn with_mount(self, mount: &str) -> Self {
        let inner = Inner {
            client: self.inner.client.clone(),
            base_url: self.inner.base_url.clone(),
            mount: normalize_mount(mount),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The client that does the work.
    pub fn client(&self) -> &ServerClient {
        &self.inner.client
    }

    /// The app's public base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Where the SDK's routes are mounted: `/auth` by default, `""` for the root.
    pub fn mount(&self) -> &str {
        &self.inner.mount
    }

    /// The callback URL the provider redirects to: `<base_url><mount>/callback`.
    pub fn callback_url(&self) -> String {
        self.absolute(&format!("{}/callback", self.mount()))
    }

    /// `path` (absolute, starting with `/`) on the app's public origin and base path.
    fn absolute(&self, path: &str) -> String {
        let mut url = self.base_url().as_str().trim_end_matches('/').to_owned();
        url.push_str(path);
        url
    }
}

/// A filter that hands each request a clone of `auth`, for your own handlers.
pub fn with_auth(
    auth: Auth,
) -> impl Filter<Extract = (Auth,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || auth.clone())
}

/// A filter that extracts the request's [`StoreOptions`]: its cookies, for the SDK's stores to
/// read, and room for the `Set-Cookie` headers they write.
///
/// Finish the reply with [`with_session_cookies`] once the SDK calls are done.
pub fn store_options()
-> impl Filter<Extract = (StoreOptions,), Error = std::convert::Infallible> + Clone {
    warp::header::headers_cloned()
        .map(|headers: HeaderMap| StoreOptions::from_request_headers(&headers))
}

/// Turns `reply` into a response carrying every header the SDK's stores wrote into `store`
/// (its `Set-Cookie` headers), appended after the reply's own.
pub fn with_session_cookies(reply: impl Reply, mut store: StoreOptions) -> Response {
    let mut response = reply.into_response();
    append_headers(&mut response, store.take_response_headers());
    response
}

/// The response for an SDK error: its HTTP status ([`Error::status`]) and the JSON body of
/// [`web::error_body`] (`{"error": code, "error_description": message}`).
pub fn error_reply(err: &Error) -> Response {
    json_response(err.status(), &web::error_body(err))
}

/// Appends each of `headers` to the response, keeping repeated names (several `Set-Cookie`).
fn append_headers(response: &mut Response, headers: HeaderMap) {
    let target = response.headers_mut();
    let mut last = None;
    for (name, value) in headers {
        // The owned iterator names a header only at the first of its values.
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            target.append(name.clone(), value);
        }
    }
}

/// A JSON response with `status`.
fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = HttpResponse::new(body.to_string().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A `302 Found` to `location`; a location that cannot be a header value is a server error.
fn redirect(location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(value) => {
            let mut response = HttpResponse::new(Default::default());
            *response.status_mut() = StatusCode::FOUND;
            response.headers_mut().insert(LOCATION, value);
            response
        }
        Err(_) => error_reply(&Error::Configuration(
            "the redirect target is not a valid header value".into(),
        )),
    }
}

/// `/auth`, `auth/`, ` /auth ` all become `/auth`; `/` and `""` become `""`.
fn normalize_mount(mount: &str) -> String {
    let trimmed = mount.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_normalized() {
        assert_eq!(normalize_mount("/auth"), "/auth");
        assert_eq!(normalize_mount("auth/"), "/auth");
        assert_eq!(normalize_mount(" /a/b/ "), "/a/b");
        assert_eq!(normalize_mount("/"), "");
        assert_eq!(normalize_mount(""), "");
    }

    #[test]
    fn appended_headers_keep_every_value() {
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        headers.append("x-other", HeaderValue::from_static("x"));
        headers.append("set-cookie", HeaderValue::from_static("c=3"));
        let mut response = warp::reply::with_header("hi", "set-cookie", "z=0").into_response();
        append_headers(&mut response, headers);
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["z=0", "a=1", "b=2", "c=3"]);
        assert_eq!(response.headers()["x-other"], "x");
    }

    #[test]
    fn error_replies_are_json_with_the_error_status() {
        let response = error_reply(&Error::Store("down".into()));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }
}
