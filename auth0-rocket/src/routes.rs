//! The SDK's routes, mounted by the fairing under its mount point.

use auth0_core::web::{LoginQuery, access_token_body, return_to_from_app_state, safe_return_to};
use auth0_core::{AccessTokenRequest, Error, LogoutOptions};
use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::http::uri::Origin;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::{Route, get, post, routes};
use serde_json::Value;

use crate::guards::Auth0;
use crate::response::{ErrorResponse, Found, NoStoreJson, NoStoreStatus};

/// The largest back-channel logout body read; logout tokens are a few kilobytes.
const BACKCHANNEL_BODY_LIMIT_KIB: u64 = 64;

/// The form field carrying the logout token (OIDC Back-Channel Logout 1.0, section 2.5).
const LOGOUT_TOKEN_FIELD: &str = "logout_token";

/// Every SDK route, relative to the mount point.
pub(crate) fn all() -> Vec<Route> {
    routes![
        login,
        callback,
        logout,
        backchannel_logout,
        profile,
        access_token
    ]
}

type RouteResult<T> = Result<T, ErrorResponse>;

/// Starts a login: only `returnTo`, `organization` and `invitation` are read from the query.
#[get("/login")]
async fn login(auth: Auth0<'_>, query: RawQuery<'_>) -> RouteResult<Found> {
    let options = LoginQuery::parse(query.0).into_options(auth.base_url());
    let mut store = auth.store().await;
    let url = auth
        .client()
        .start_interactive_login(options, &mut store)
        .await?;
    Ok(Found(url))
}

/// Completes a login from the full callback URL, then returns to the path saved at login.
#[get("/callback")]
async fn callback(auth: Auth0<'_>, uri: &Origin<'_>) -> RouteResult<Found> {
    let base = auth.base_url().as_str().trim_end_matches('/');
    let callback_url = format!("{base}{uri}");
    let mut store = auth.store().await;
    let result = auth
        .client()
        .complete_interactive_login(&callback_url, &mut store)
        .await?;
    let target = return_to_from_app_state(auth.base_url(), result.app_state.as_ref());
    Ok(Found(target))
}

/// Ends the session and sends the browser to the provider's logout, which comes back to
/// `returnTo` (a path of this app) or the app's home.
#[get("/logout")]
async fn logout(auth: Auth0<'_>, query: RawQuery<'_>) -> RouteResult<Found> {
    let base_url = auth.base_url();
    let path = safe_return_to(base_url, LoginQuery::parse(query.0).return_to.as_deref());
    let return_to = base_url.join(&path).unwrap_or_else(|_| base_url.clone());
    let options = LogoutOptions::new().return_to(return_to.as_str());
    let mut store = auth.store().await;
    let url = auth.client().logout(options, &mut store).await?;
    Ok(Found(url))
}

/// Receives a back-channel logout: 204 when the logout token is valid, 400 otherwise.
#[post("/backchannel-logout", data = "<body>")]
async fn backchannel_logout(auth: Auth0<'_>, body: Data<'_>) -> RouteResult<NoStoreStatus> {
    let body = body
        .open(BACKCHANNEL_BODY_LIMIT_KIB.kibibytes())
        .into_string()
        .await
        .map_err(|_| Error::MissingRequiredArgument(LOGOUT_TOKEN_FIELD))?;
    if !body.is_complete() {
        return Err(Error::InvalidArgument {
            name: LOGOUT_TOKEN_FIELD,
            reason: "the request body is too large".into(),
        }
        .into());
    }
    let token = single_form_field(&body, LOGOUT_TOKEN_FIELD)?;
    auth.client().handle_backchannel_logout(&token).await?;
    Ok(NoStoreStatus(Status::NoContent))
}

/// The signed-in user's claims.
#[get("/profile")]
async fn profile(auth: Auth0<'_>) -> RouteResult<NoStoreJson> {
    let user = auth.user().await?.ok_or(Error::MissingSession)?;
    Ok(NoStoreJson(Value::Object(user.into_claims())))
}

/// An access token for the login's audience, refreshed when needed.
#[get("/access-token")]
async fn access_token(auth: Auth0<'_>) -> RouteResult<NoStoreJson> {
    let token = auth.access_token(AccessTokenRequest::new()).await?;
    Ok(NoStoreJson(access_token_body(&token)))
}

/// The value of a form field that must appear exactly once.
fn single_form_field(body: &str, name: &'static str) -> Result<String, Error> {
    let mut values = url::form_urlencoded::parse(body.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned());
    let value = values.next().filter(|value| !value.is_empty());
    match (value, values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(Error::MissingRequiredArgument(name)),
        (Some(_), Some(_)) => Err(Error::InvalidArgument {
            name,
            reason: "is repeated".into(),
        }),
    }
}

/// The request's raw query string, undecoded.
#[derive(Debug)]
struct RawQuery<'r>(Option<&'r str>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RawQuery<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(Self(request.uri().query().map(|query| query.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_single_form_field() {
        assert_eq!(
            single_form_field("logout_token=a.b%2Bc&x=1", "logout_token").unwrap(),
            "a.b+c"
        );
        assert_eq!(
            single_form_field("x=1", "logout_token").unwrap_err().code(),
            "missing_required_argument"
        );
        assert_eq!(
            single_form_field("logout_token=", "logout_token")
                .unwrap_err()
                .code(),
            "missing_required_argument"
        );
        assert_eq!(
            single_form_field("logout_token=a&logout_token=b", "logout_token")
                .unwrap_err()
                .code(),
            "invalid_argument"
        );
    }
}
