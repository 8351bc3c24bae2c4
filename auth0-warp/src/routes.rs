//! The SDK's routes, mounted under [`Auth::mount`].

use auth0_core::web::{LoginQuery, access_token_body, return_to_from_app_state, safe_return_to};
use auth0_core::{AccessTokenRequest, Error, LogoutOptions, StoreOptions};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::http::header::{CACHE_CONTROL, HeaderValue};
use warp::reply::Response;

use crate::{
    Auth, error_reply, json_response, redirect, store_options, with_auth, with_session_cookies,
};

/// The largest back-channel logout request body read, in bytes; logout tokens are far smaller.
const MAX_LOGOUT_BODY: u64 = 64 * 1024;

/// The SDK's routes under `auth`'s mount point (`/auth` by default):
///
/// - `GET login`: starts a login and answers `302` to the provider. Only `returnTo`,
///   `organization` and `invitation` are read from the query.
/// - `GET callback`: completes the login and answers `302` to the login's `returnTo`; a bad,
///   refused or replayed callback gets the SDK error as JSON (`400`) and no session.
/// - `GET logout`: ends the session and answers `302` to the provider's logout, which comes
///   back to `returnTo` when it points into the app (otherwise to the app's base URL).
/// - `POST backchannel-logout`: takes the form field `logout_token`; `204`, or `400` JSON
///   when the token is missing or invalid.
/// - `GET profile`: `200` with the user's claims as JSON, `401` JSON when signed out.
/// - `GET access-token`: `200` with [`access_token_body`], `401` JSON when signed out.
///
/// Errors are JSON bodies from [`error_reply`], with the status the SDK gives them. Every
/// reply carries the `Set-Cookie` headers the SDK wrote.
pub fn routes(auth: Auth) -> BoxedFilter<(Response,)> {
    let login = at(&auth, "login")
        .and(warp::get())
        .and(raw_query())
        .and(store_options())
        .then(login);
    let callback = at(&auth, "callback")
        .and(warp::get())
        .and(raw_query())
        .and(store_options())
        .then(callback);
    let logout = at(&auth, "logout")
        .and(warp::get())
        .and(raw_query())
        .and(store_options())
        .then(logout);
    let backchannel = at(&auth, "backchannel-logout")
        .and(warp::post())
        .and(warp::body::content_length_limit(MAX_LOGOUT_BODY))
        .and(warp::body::bytes())
        .then(backchannel_logout);
    let profile = at(&auth, "profile")
        .and(warp::get())
        .and(store_options())
        .then(profile);
    let access_token = at(&auth, "access-token")
        .and(warp::get())
        .and(store_options())
        .then(access_token);

    login
        .or(callback)
        .unify()
        .or(logout)
        .unify()
        .or(backchannel)
        .unify()
        .or(profile)
        .unify()
        .or(access_token)
        .unify()
        .boxed()
}

/// Matches exactly `<mount>/<leaf>` and hands the handler the [`Auth`].
fn at(auth: &Auth, leaf: &'static str) -> BoxedFilter<(Auth,)> {
    let mut prefix = warp::any().boxed();
    for segment in auth.mount().split('/').filter(|s| !s.is_empty()) {
        prefix = prefix.and(warp::path(segment.to_owned())).boxed();
    }
    prefix
        .and(warp::path(leaf))
        .and(warp::path::end())
        .and(with_auth(auth.clone()))
        .boxed()
}

/// The raw query string, `None` when the URL has none.
pub(crate) fn raw_query() -> BoxedFilter<(Option<String>,)> {
    warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
        .boxed()
}

async fn login(auth: Auth, query: Option<String>, mut store: StoreOptions) -> Response {
    let options = LoginQuery::parse(query.as_deref()).into_options(auth.base_url());
    let reply = match auth
        .client()
        .start_interactive_login(options, &mut store)
        .await
    {
        Ok(url) => redirect(&url),
        Err(err) => error_reply(&err),
    };
    with_session_cookies(reply, store)
}

async fn callback(auth: Auth, query: Option<String>, mut store: StoreOptions) -> Response {
    let mut url = auth.callback_url();
    if let Some(query) = &query {
        url.push('?');
        url.push_str(query);
    }
    let reply = match auth
        .client()
        .complete_interactive_login(&url, &mut store)
        .await
    {
        Ok(result) => redirect(&return_to_from_app_state(
            auth.base_url(),
            result.app_state.as_ref(),
        )),
        Err(err) => error_reply(&err),
    };
    // On failure this only expires the consumed transaction's cookie; no session was stored.
    with_session_cookies(reply, store)
}

async fn logout(auth: Auth, query: Option<String>, mut store: StoreOptions) -> Response {
    // The login query's parser reads `returnTo` with the same rules (first non-blank value).
    let candidate = LoginQuery::parse(query.as_deref()).return_to;
    let path = safe_return_to(auth.base_url(), candidate.as_deref());
    let return_to = auth
        .base_url()
        .join(&path)
        .unwrap_or_else(|_| auth.base_url().clone());
    let options = LogoutOptions::new().return_to(return_to.as_str());
    let reply = match auth.client().logout(options, &mut store).await {
        Ok(url) => redirect(&url),
        Err(err) => error_reply(&err),
    };
    with_session_cookies(reply, store)
}

async fn backchannel_logout(auth: Auth, body: impl AsRef<[u8]>) -> Response {
    let mut tokens = url::form_urlencoded::parse(body.as_ref())
        .filter(|(name, _)| name == "logout_token")
        .map(|(_, value)| value);
    let reply = match (tokens.next(), tokens.next()) {
        (Some(token), None) if !token.is_empty() => {
            match auth.client().handle_backchannel_logout(&token).await {
                Ok(_) => {
                    let mut response = Response::default();
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    response
                }
                Err(err) => error_reply(&err),
            }
        }
        (None, _) => error_reply(&Error::MissingRequiredArgument("logout_token")),
        _ => error_reply(&Error::InvalidArgument {
            name: "logout_token",
            reason: "must be sent exactly once and not be empty".into(),
        }),
    };
    no_store(reply)
}

async fn profile(auth: Auth, mut store: StoreOptions) -> Response {
    let reply = match auth.client().get_user(&mut store).await {
        Ok(Some(user)) => json_response(StatusCode::OK, &serde_json::Value::Object(user)),
        Ok(None) => error_reply(&Error::MissingSession),
        Err(err) => error_reply(&err),
    };
    with_session_cookies(no_store(reply), store)
}

async fn access_token(auth: Auth, mut store: StoreOptions) -> Response {
    let result = auth
        .client()
        .get_access_token(AccessTokenRequest::new(), &mut store)
        .await;
    let reply = match result {
        Ok(token) => json_response(StatusCode::OK, &access_token_body(&token)),
        Err(err) => error_reply(&err),
    };
    with_session_cookies(no_store(reply), store)
}

/// Marks a reply that carries user data or tokens as not to be cached.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
