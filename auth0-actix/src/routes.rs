//! The SDK's routes: login, callback, logout, back-channel logout, profile, access token.

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use auth0_core::web::{LoginQuery, access_token_body, return_to_from_app_state, safe_return_to};
use auth0_core::{AccessTokenRequest, Error, LogoutOptions};

use crate::convert::to_actix_status;
use crate::handle::{Auth0, store_of};
use crate::rejection::{Rejection, json_error, no_store, redirect};
use crate::store::Auth0Session;

/// Mounts the SDK's routes under `auth`'s mount point (`/auth` by default) and puts `auth` in
/// the app data, for [`App::configure`](actix_web::App::configure).
///
/// | route | answer |
/// |---|---|
/// | `GET login` | 302 to the provider's authorization URL |
/// | `GET callback` | 302 back into the app, or 400 JSON when the callback is refused |
/// | `GET logout` | 302 to the provider's logout URL |
/// | `POST backchannel-logout` | 204, or 400 JSON for an invalid `logout_token` |
/// | `GET profile` | 200 JSON of the user's claims, or 401 JSON |
/// | `GET access-token` | 200 JSON `{access_token, expires_at, scope, audience}`, or 401 JSON |
///
/// The routes carry their own [`Auth0Session`]; wrap the whole app with one as well so that
/// [`User`](crate::User) and [`Auth0`] work in the app's own handlers.
///
/// ```no_run
/// # fn app(auth: auth0_actix::Auth0) {
/// let app = actix_web::App::new()
///     .wrap(auth0_actix::Auth0Session::new())
///     .configure(auth0_actix::routes(auth));
/// # }
/// ```
pub fn routes(auth: Auth0) -> impl FnOnce(&mut ServiceConfig) {
    move |config| {
        let scope = web::scope(auth.mount())
            .wrap(Auth0Session::new())
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::get().to(logout))
            .route("/backchannel-logout", web::post().to(backchannel_logout))
            .route("/profile", web::get().to(profile))
            .route("/access-token", web::get().to(access_token));
        config.app_data(auth).service(scope);
    }
}

/// `GET login`: starts a login and redirects to the provider.
async fn login(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    let options = LoginQuery::parse(Some(req.query_string())).into_options(auth.base_url());
    let store = store_of(&req)?;
    let url = auth
        .client()
        .start_interactive_login(options, &mut *store.lock().await)
        .await?;
    Ok(redirect(&url))
}

/// `GET callback`: completes the login and redirects to where it started.
async fn callback(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    let callback_url = format!("{}?{}", auth.callback_url(), req.query_string());
    let store = store_of(&req)?;
    let result = auth
        .client()
        .complete_interactive_login(&callback_url, &mut *store.lock().await)
        .await;
    match result {
        Ok(login) => {
            let target = return_to_from_app_state(auth.base_url(), login.app_state.as_ref());
            Ok(redirect(&target))
        }
        Err(err) => {
            tracing::debug!(code = err.code(), "refused a login callback");
            // Whatever the core's status, a refused callback is the request's fault unless
            // the provider or a store failed.
            let status = match to_actix_status(err.status()) {
                status if status.is_server_error() => status,
                _ => StatusCode::BAD_REQUEST,
            };
            Ok(json_error(status, &err))
        }
    }
}

/// `GET logout`: ends the session and redirects to the provider's logout.
async fn logout(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    let return_to = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "returnTo")
        .map(|(_, value)| value.into_owned());
    let base_url = auth.base_url();
    let path = safe_return_to(base_url, return_to.as_deref());
    let absolute = base_url.join(&path).unwrap_or_else(|_| base_url.clone());

    let store = store_of(&req)?;
    let options = LogoutOptions::new().return_to(absolute.as_str());
    let url = auth
        .client()
        .logout(options, &mut *store.lock().await)
        .await?;
    Ok(redirect(&url))
}

/// `POST backchannel-logout`: the provider ends sessions with a logout token.
async fn backchannel_logout(auth: Auth0, body: Bytes) -> Result<HttpResponse, Rejection> {
    let mut tokens = url::form_urlencoded::parse(&body)
        .filter(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned());
    let token = match (tokens.next(), tokens.next()) {
        (Some(token), None) if !token.is_empty() => token,
        (Some(_), Some(_)) => {
            return Err(Error::InvalidArgument {
                name: "logout_token",
                reason: "sent more than once".into(),
            }
            .into());
        }
        _ => return Err(Error::MissingRequiredArgument("logout_token").into()),
    };

    auth.client().handle_backchannel_logout(&token).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((CACHE_CONTROL, no_store()))
        .finish())
}

/// `GET profile`: the signed-in user's claims.
async fn profile(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    match auth.user(&req).await? {
        Some(user) => Ok(HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, no_store()))
            .json(user)),
        None => Err(Error::MissingSession.into()),
    }
}

/// `GET access-token`: an access token of the login's audience, refreshed when needed.
async fn access_token(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    let token = auth.access_token(&req, AccessTokenRequest::new()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, no_store()))
        .json(access_token_body(&token)))
}
