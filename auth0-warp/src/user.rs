//! The signed-in user as a warp filter, and the replies for visitors who are not signed in.

use std::fmt;

use auth0_core::web::{login_redirect, wants_login_redirect};
use auth0_core::{Error, StoreOptions};
use serde_json::{Map, Value};
use warp::Filter;
use warp::filters::path::FullPath;
use warp::http::Method;
use warp::http::header::HeaderMap;
use warp::reject::{Reject, Rejection};
use warp::reply::{Reply, Response};

use crate::routes::raw_query;
use crate::{
    Auth, append_headers, error_reply, redirect, store_options, with_auth, with_session_cookies,
};

/// The signed-in user of a request: the claims of their session, and the request's
/// [`StoreOptions`] after reading it.
///
/// Reading a session may extend it (rolling sessions), which writes `Set-Cookie` headers into
/// those store options; finish the handler's reply with
/// [`with_session_cookies`](Self::with_session_cookies) so they reach the browser.
#[derive(Clone)]
pub struct User {
    claims: Map<String, Value>,
    store: StoreOptions,
}

impl User {
    /// Every claim of the user, as the provider sent them in the ID token.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The claim `name`, if present.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The `sub` claim: the provider's identifier of the user.
    pub fn sub(&self) -> Option<&str> {
        self.str_claim("sub")
    }

    /// The `name` claim, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.str_claim("name")
    }

    /// The `email` claim, if it is a string.
    pub fn email(&self) -> Option<&str> {
        self.str_claim("email")
    }

    /// The request's store options, to make further SDK calls (such as
    /// [`get_access_token`](auth0_core::ServerClient::get_access_token)) in the same request;
    /// their cookies then leave with [`with_session_cookies`](Self::with_session_cookies).
    pub fn store_options(&mut self) -> &mut StoreOptions {
        &mut self.store
    }

    /// Turns `reply` into a response carrying the `Set-Cookie` headers of this request's
    /// session reads (and of any SDK call made through [`store_options`](Self::store_options)).
    pub fn with_session_cookies(self, reply: impl Reply) -> Response {
        with_session_cookies(reply, self.store)
    }

    /// The claims and the store options, separated.
    pub fn into_parts(self) -> (Map<String, Value>, StoreOptions) {
        (self.claims, self.store)
    }

    fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Claims are personal data and the store options hold cookies: show only the subject.
        f.debug_struct("User")
            .field("sub", &self.sub())
            .finish_non_exhaustive()
    }
}

/// The rejection of [`user`] when nobody is signed in (also for a missing, expired, tampered
/// or foreign session cookie).
///
/// [`recover`] answers it with a `302` to the login route for a browser navigating with
/// `GET` and asking for HTML, and with `401` and a JSON body otherwise.
pub struct SignedOut {
    login: Option<String>,
    cookies: HeaderMap,
}

impl SignedOut {
    /// Where a browser is sent to log in (the login route, returning to the page asked
    /// for), or `None` when the request gets a 401 instead.
    pub fn login_url(&self) -> Option<&str> {
        self.login.as_deref()
    }

    /// The reply [`recover`] gives: a redirect to login or a 401 JSON body, with the
    /// `Set-Cookie` headers that clear an unusable session cookie.
    pub fn response(&self) -> Response {
        let mut response = match &self.login {
            Some(login) => redirect(login),
            None => error_reply(&Error::MissingSession),
        };
        append_headers(&mut response, self.cookies.clone());
        response
    }
}

impl fmt::Debug for SignedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedOut")
            .field("login", &self.login)
            .field("set_cookies", &self.cookies.len())
            .finish()
    }
}

impl Reject for SignedOut {}

/// The rejection of [`user`] and [`optional_user`] when the session could not be read, such
/// as a session store that cannot be reached (`store_error`, answered with 503).
pub struct SessionError {
    error: Error,
    cookies: HeaderMap,
}

impl SessionError {
    /// The SDK error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The reply [`recover`] gives: the error's status with its JSON body.
    pub fn response(&self) -> Response {
        let mut response = error_reply(&self.error);
        append_headers(&mut response, self.cookies.clone());
        response
    }
}

impl fmt::Debug for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Reject for SessionError {}

/// A filter that extracts the signed-in [`User`], or rejects with [`SignedOut`] (nobody
/// signed in) or [`SessionError`] (the session store failed).
///
/// Put it after the path and method filters of the routes it protects, and add
/// [`recover`] to the app (`.recover(auth0_warp::recover)`) to answer the rejections.
pub fn user(auth: Auth) -> impl Filter<Extract = (User,), Error = Rejection> + Clone {
    with_auth(auth)
        .and(warp::method())
        .and(warp::path::full())
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and_then(
            |auth: Auth, method: Method, path: FullPath, query: Option<String>, headers| {
                read_user(auth, method, path, query, headers)
            },
        )
}

/// A filter that extracts the signed-in [`User`], or `None` when nobody is signed in. A
/// failing session store still rejects, with [`SessionError`].
///
/// When the visitor's session cookie is unusable, the `Set-Cookie` headers that would clear it
/// are dropped here (the next read drops it again); [`user`] passes them on.
pub fn optional_user(
    auth: Auth,
) -> impl Filter<Extract = (Option<User>,), Error = Rejection> + Clone {
    with_auth(auth).and(store_options()).and_then(
        |auth: Auth, mut store: StoreOptions| async move {
            match auth.client().get_user(&mut store).await {
                Ok(claims) => Ok(claims.map(|claims| User { claims, store })),
                Err(error) => Err(session_error(error, store)),
            }
        },
    )
}

/// Answers the rejections of [`user`] and [`optional_user`] ([`SignedOut`] and
/// [`SessionError`]) and passes every other rejection on, for warp or the next `recover`.
pub async fn recover(rejection: Rejection) -> Result<Response, Rejection> {
    if let Some(signed_out) = rejection.find::<SignedOut>() {
        return Ok(signed_out.response());
    }
    if let Some(failed) = rejection.find::<SessionError>() {
        return Ok(failed.response());
    }
    Err(rejection)
}

async fn read_user(
    auth: Auth,
    method: Method,
    path: FullPath,
    query: Option<String>,
    headers: HeaderMap,
) -> Result<User, Rejection> {
    let mut store = StoreOptions::from_request_headers(&headers);
    let claims = match auth.client().get_user(&mut store).await {
        Ok(Some(claims)) => claims,
        Ok(None) => {
            let login = wants_login_redirect(&method, &headers).then(|| {
                let mut target = path.as_str().to_owned();
                if let Some(query) = query {
                    target.push('?');
                    target.push_str(&query);
                }
                login_redirect(auth.mount(), &target)
            });
            let cookies = store.take_response_headers();
            return Err(warp::reject::custom(SignedOut { login, cookies }));
        }
        Err(error) => return Err(session_error(error, store)),
    };
    Ok(User { claims, store })
}

fn session_error(error: Error, mut store: StoreOptions) -> Rejection {
    let cookies = store.take_response_headers();
    warp::reject::custom(SessionError { error, cookies })
}

#[cfg(test)]
mod tests {
    use warp::http::StatusCode;

    use super::*;

    #[test]
    fn debug_output_hides_claims_and_cookies() {
        let mut claims = Map::new();
        claims.insert("sub".into(), "user-1".into());
        claims.insert("email".into(), "someone@example.test".into());
        let mut headers = HeaderMap::new();
        headers.insert("cookie", "_a0_session=sealed-value".parse().unwrap());
        let user = User {
            claims,
            store: StoreOptions::from_request_headers(&headers),
        };
        let shown = format!("{user:?}");
        assert!(shown.contains("user-1"));
        assert!(!shown.contains("someone@"));
        assert!(!shown.contains("sealed-value"));

        let mut cookies = HeaderMap::new();
        cookies.insert("set-cookie", "_a0_session=; Max-Age=0".parse().unwrap());
        let signed_out = SignedOut {
            login: None,
            cookies,
        };
        assert!(!format!("{signed_out:?}").contains("_a0_session"));
    }

    #[test]
    fn signed_out_answers_redirect_or_401_with_its_cookies() {
        let mut cookies = HeaderMap::new();
        cookies.append("set-cookie", "a=; Max-Age=0".parse().unwrap());
        cookies.append("set-cookie", "b=; Max-Age=0".parse().unwrap());
        let browser = SignedOut {
            login: Some("/auth/login?returnTo=%2Fprivate".into()),
            cookies: cookies.clone(),
        };
        let response = browser.response();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response.headers()["location"],
            "/auth/login?returnTo=%2Fprivate"
        );
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);

        let api = SignedOut {
            login: None,
            cookies,
        };
        let response = api.response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
    }
}
