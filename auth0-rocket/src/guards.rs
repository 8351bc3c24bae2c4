//! Request guards: the SDK for this request, and the signed-in user.

use std::ops::DerefMut;

use auth0_core::{
    AccessTokenRequest, AccessTokenResult, Error, Result, ServerClient, Session, StoreOptions,
};
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::request_state::{RequestState, Shared};

/// The SDK for this request: the client, and the request's cookies to read the session from
/// (any `Set-Cookie` the core adds reaches the response through [`Auth0Fairing`]).
///
/// Fails with 500 when [`Auth0Fairing`] is not attached.
///
/// ```no_run
/// use auth0_rocket::{AccessTokenRequest, Auth0, ErrorResponse};
/// use rocket::get;
/// use rocket::serde::json::{Json, Value, json};
///
/// #[get("/api/orders")]
/// async fn orders(auth: Auth0<'_>) -> Result<Json<Value>, ErrorResponse> {
///     let token = auth.access_token(AccessTokenRequest::new()).await?;
///     // Call the API with `token.access_token.expose()`, never log it.
///     Ok(Json(json!({ "expires_at": token.expires_at })))
/// }
/// ```
///
/// [`Auth0Fairing`]: crate::Auth0Fairing
#[derive(Debug, Clone, Copy)]
pub struct Auth0<'r> {
    shared: &'r Shared,
    state: &'r RequestState,
}

impl<'r> Auth0<'r> {
    /// The client the fairing was given.
    pub fn client(&self) -> &'r ServerClient {
        &self.shared.client
    }

    /// The app's public base URL.
    pub fn base_url(&self) -> &'r Url {
        &self.shared.base_url
    }

    /// Where the SDK's routes are mounted (`/auth` by default).
    pub fn mount(&self) -> &'r str {
        &self.shared.mount
    }

    /// This request's store options, locked, for calls into the [`ServerClient`] that this
    /// guard has no shortcut for. Release it before calling another method of this guard.
    pub async fn store(&self) -> impl DerefMut<Target = StoreOptions> + Send + 'r {
        self.state.store().await
    }

    /// The signed-in user, or `None`; the session is read at most once per request.
    pub async fn user(&self) -> Result<Option<User>> {
        self.state.user(self.client()).await
    }

    /// The signed-in session (without the SDK's bookkeeping), or `None`.
    pub async fn session(&self) -> Result<Option<Session>> {
        let mut store = self.state.store().await;
        self.client().get_session(&mut store).await
    }

    /// An access token for the signed-in user, refreshed when needed; see
    /// [`ServerClient::get_access_token`]. Signed out: [`Error::MissingSession`] (401).
    pub async fn access_token(&self, request: AccessTokenRequest) -> Result<AccessTokenResult> {
        let mut store = self.state.store().await;
        self.client().get_access_token(request, &mut store).await
    }

    /// This request's user, recording a store failure for the 503 catcher.
    async fn user_outcome(&self) -> Outcome<Option<User>, (Status, Error), Status> {
        match self.user().await {
            Ok(user) => Outcome::Success(user),
            Err(err) => {
                tracing::debug!(code = err.code(), "could not read the session");
                let status = crate::convert::rocket_status(err.status());
                self.state.record_failure(err.clone());
                Outcome::Error((status, err))
            }
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Auth0<'r> {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Some(shared) = Shared::of(request) else {
            tracing::error!("auth0-rocket guards need the Auth0Fairing attached");
            return Outcome::Error((
                Status::InternalServerError,
                Error::Configuration("the Auth0Fairing is not attached".into()),
            ));
        };
        Outcome::Success(Self {
            shared,
            state: RequestState::of(request),
        })
    }
}

/// The signed-in user's claims, as a request guard.
///
/// Signed out (no session, an expired or tampered cookie): the request is forwarded with
/// 401, which the SDK's catcher turns into a login redirect for browsers and a JSON 401 for
/// everything else. Session store down: 503. `Option<User>` never fails (a store failure
/// reads as `None`); [`MaybeUser`] keeps the 503.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct User {
    claims: Map<String, Value>,
}

impl User {
    /// The user made of these claims.
    pub fn from_claims(claims: Map<String, Value>) -> Self {
        Self { claims }
    }

    /// Every claim of the user (from the ID token).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The claims, taken out.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// One claim, when present.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The subject identifier (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.string_claim("sub")
    }

    /// The display name (`name`).
    pub fn name(&self) -> Option<&str> {
        self.string_claim("name")
    }

    /// The email address (`email`).
    pub fn email(&self) -> Option<&str> {
        self.string_claim("email")
    }

    fn string_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let auth = match Auth0::from_request(request).await {
            Outcome::Success(auth) => auth,
            Outcome::Error(failure) => return Outcome::Error(failure),
            Outcome::Forward(status) => return Outcome::Forward(status),
        };
        match auth.user_outcome().await {
            Outcome::Success(Some(user)) => Outcome::Success(user),
            Outcome::Success(None) => Outcome::Forward(Status::Unauthorized),
            Outcome::Error(failure) => Outcome::Error(failure),
            Outcome::Forward(status) => Outcome::Forward(status),
        }
    }
}

/// The signed-in user or `None`, as a request guard that fails with 503 (JSON) when the
/// session store cannot be reached, where `Option<User>` would read as signed out.
#[derive(Debug, Clone, PartialEq)]
pub struct MaybeUser(pub Option<User>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeUser {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let auth = match Auth0::from_request(request).await {
            Outcome::Success(auth) => auth,
            Outcome::Error(failure) => return Outcome::Error(failure),
            Outcome::Forward(status) => return Outcome::Forward(status),
        };
        auth.user_outcome().await.map(Self)
    }
}
