//! The signed-in user as an extractor.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth0_core::Error;
use auth0_core::web::{login_redirect, wants_login_redirect};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::convert::{to_core_headers, to_core_method};
use crate::handle::Auth0;
use crate::rejection::Rejection;

/// The signed-in user: the claims of the session.
///
/// As an extractor it requires a session. When there is none, a browser navigating to the
/// page (a `GET` asking for HTML) is redirected to the login route, which brings it back to
/// this page afterwards; any other request gets `401` with a JSON body. Take `Option<User>`
/// for pages that also serve signed-out visitors: it never fails.
///
/// ```no_run
/// use actix_web::HttpResponse;
/// use auth0_actix::User;
///
/// async fn private(user: User) -> HttpResponse {
///     HttpResponse::Ok().json(serde_json::json!({ "sub": user.sub(), "email": user.email() }))
/// }
/// ```
///
/// It needs [`Auth0Session`](crate::Auth0Session) around the app and an [`Auth0`] in the app
/// data (see [`routes`](crate::routes())); without them it answers 500.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct User {
    claims: Map<String, Value>,
}

impl User {
    /// A user with these claims.
    pub fn from_claims(claims: Map<String, Value>) -> Self {
        Self { claims }
    }

    /// The subject identifier (`sub`): the stable id of the user at the provider.
    pub fn sub(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// The user's full name (`name`), when the provider sent one.
    pub fn name(&self) -> Option<&str> {
        self.claims.get("name").and_then(Value::as_str)
    }

    /// The user's email address (`email`), when the provider sent one.
    pub fn email(&self) -> Option<&str> {
        self.claims.get("email").and_then(Value::as_str)
    }

    /// Every claim of the session.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The claims, owned.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }
}

impl Deref for User {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.claims
    }
}

impl FromRequest for User {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = Auth0::of(&req)?;
            match auth.user(&req).await? {
                Some(user) => Ok(user),
                None => Err(signed_out(&auth, &req)),
            }
        })
    }
}

/// A redirect to login for browser navigations, `missing_session` for everything else.
fn signed_out(auth: &Auth0, req: &HttpRequest) -> Rejection {
    let browser = to_core_method(req.method())
        .is_some_and(|method| wants_login_redirect(&method, &to_core_headers(req.headers())));
    if !browser {
        return Rejection::Sdk(Error::MissingSession);
    }
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path(), |pq| pq.as_str());
    Rejection::LoginRequired {
        location: login_redirect(auth.mount(), path_and_query),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn exposes_the_claims() {
        let Value::Object(claims) = json!({"sub": "user-1", "name": "Ada", "admin": true}) else {
            unreachable!()
        };
        let user = User::from_claims(claims);
        assert_eq!(user.sub(), Some("user-1"));
        assert_eq!(user.name(), Some("Ada"));
        assert_eq!(user.email(), None);
        assert_eq!(user.get("admin"), Some(&json!(true)));
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({"sub": "user-1", "name": "Ada", "admin": true})
        );
    }
}
