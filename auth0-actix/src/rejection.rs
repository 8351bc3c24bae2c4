//! How the SDK's failures become actix-web responses.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue, LOCATION};
use actix_web::{HttpResponse, ResponseError};
use auth0_core::Error;
use auth0_core::web::error_body;

use crate::convert::to_actix_status;

/// Why an extractor or a handler of this crate did not produce its value; also a response.
///
/// Return it from handlers (`Result<HttpResponse, Rejection>`) and `?` the core's errors into
/// it: each becomes the JSON body `{"error": code, "error_description": message}` with the
/// status the core chooses ([`Error::status`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// A signed-out browser navigation: answered with a 302 to this login URL.
    LoginRequired {
        /// The login route, with the page to come back to as `returnTo`.
        location: String,
    },
    /// The SDK failed, or found no session ([`Error::MissingSession`], 401).
    Sdk(Error),
}

impl Rejection {
    /// The SDK error behind this rejection, if any.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Self::LoginRequired { .. } => None,
            Self::Sdk(err) => Some(err),
        }
    }

    /// The rejection of a request that reached the SDK without [`Auth0Session`] around it.
    ///
    /// [`Auth0Session`]: crate::Auth0Session
    pub(crate) fn missing_middleware() -> Self {
        Self::Sdk(Error::Configuration(
            "wrap the app with auth0_actix::Auth0Session to read sessions".into(),
        ))
    }

    /// The rejection of a request whose app has no [`Auth0`](crate::Auth0) in its data.
    pub(crate) fn missing_app_data() -> Self {
        Self::Sdk(Error::Configuration(
            "configure the app with auth0_actix::routes (or add an Auth0 as app data)".into(),
        ))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoginRequired { .. } => f.write_str("login required"),
            Self::Sdk(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error()
            .map(|err| err as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for Rejection {
    fn from(err: Error) -> Self {
        Self::Sdk(err)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired { .. } => StatusCode::FOUND,
            Self::Sdk(err) => to_actix_status(err.status()),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRequired { location } => redirect(location),
            Self::Sdk(err) => json_error(self.status_code(), err),
        }
    }
}

/// A 302 to `location`, never cached.
pub(crate) fn redirect(location: &str) -> HttpResponse {
    let mut response = HttpResponse::Found();
    response.insert_header((CACHE_CONTROL, no_store()));
    match HeaderValue::try_from(location) {
        Ok(value) => response.insert_header((LOCATION, value)).finish(),
        // URLs made by the core and by `url` are ASCII; anything else is a bug upstream.
        Err(_) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Error::Configuration("a redirect location is not a valid header value".into()),
        ),
    }
}

/// `status` with the JSON error body of `err`, never cached.
pub(crate) fn json_error(status: StatusCode, err: &Error) -> HttpResponse {
    tracing::trace!(
        code = err.code(),
        status = status.as_u16(),
        "answering an SDK error"
    );
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, no_store()))
        .json(error_body(err))
}

/// `Cache-Control: no-store`: nothing the SDK answers may be cached.
pub(crate) fn no_store() -> HeaderValue {
    HeaderValue::from_static("no-store")
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn sdk_errors_answer_their_status_and_json() {
        let rejection = Rejection::from(Error::Store("redis unreachable".into()));
        let response = rejection.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = to_bytes(response.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "store_error");
    }

    #[test]
    fn login_required_redirects() {
        let rejection = Rejection::LoginRequired {
            location: "/auth/login?returnTo=%2Fprivate".into(),
        };
        let response = rejection.error_response();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response.headers().get(LOCATION).unwrap(),
            "/auth/login?returnTo=%2Fprivate"
        );
        assert!(rejection.error().is_none());
    }
}
