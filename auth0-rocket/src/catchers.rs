//! Catchers for what the guards leave unanswered: signed out (401) and store down (503).

use auth0_core::Error;
use auth0_core::web::{DEFAULT_MOUNT, error_body, login_redirect, wants_login_redirect};
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::status::Custom;
use rocket::response::{self, Responder};
use rocket::{Catcher, catch, catchers as rocket_catchers};
use serde_json::json;

use crate::convert::{http_headers, http_method};
use crate::request_state::{RequestState, Shared};
use crate::response::{ErrorResponse, Found, NoStoreJson};

/// The SDK's catchers: 401 (a login redirect for browsers navigating with GET, JSON
/// otherwise) and 503 (JSON naming the store failure).
///
/// [`Auth0Fairing`](crate::Auth0Fairing) registers them at `/` unless told
/// [`without_catchers`](crate::Auth0Fairing::without_catchers); register them yourself
/// under another base with `rocket.register("/app", auth0_rocket::catchers())`.
pub fn catchers() -> Vec<Catcher> {
    rocket_catchers![unauthorized, unavailable]
}

/// Signed out: a browser goes to login and comes back here; anything else gets JSON.
#[catch(401)]
fn unauthorized(request: &Request<'_>) -> Unauthorized {
    let method = http_method(request.method());
    if !wants_login_redirect(&method, &http_headers(request.headers())) {
        return Unauthorized::Json(ErrorResponse(Error::MissingSession));
    }
    let mount = Shared::of(request).map_or(DEFAULT_MOUNT, |shared| shared.mount.as_str());
    Unauthorized::Login(Found(login_redirect(mount, &request.uri().to_string())))
}

/// The session store could not be reached (or another 503, with a generic body).
#[catch(503)]
fn unavailable(request: &Request<'_>) -> Custom<NoStoreJson> {
    let body = match RequestState::of(request).take_failure() {
        Some(err) => error_body(&err),
        None => json!({
            "error": "service_unavailable",
            "error_description": "the service is unavailable",
        }),
    };
    Custom(Status::ServiceUnavailable, NoStoreJson(body))
}

/// What the 401 catcher answers.
#[derive(Debug)]
enum Unauthorized {
    Login(Found),
    Json(ErrorResponse),
}

impl<'r> Responder<'r, 'static> for Unauthorized {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Self::Login(redirect) => redirect.respond_to(request),
            Self::Json(err) => err.respond_to(request),
        }
    }
}
