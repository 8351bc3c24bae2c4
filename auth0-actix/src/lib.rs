//! [actix-web](https://actix.rs) adapter for [`auth0_core`]: log users in with Auth0 or any
//! OpenID Provider from an actix-web app.
//!
//! The adapter only translates between actix-web and the core. It holds no OpenID Connect,
//! token, PKCE or state logic of its own:
//!
//! - [`Auth0Session`] is a middleware that gives every request a [`RequestStore`] (the core's
//!   [`StoreOptions`] built from the request's cookies) and appends every `Set-Cookie` header
//!   the SDK produced while handling the request to the response, so a session refreshed while
//!   it is read in an extractor reaches the browser.
//! - [`routes`] mounts the SDK's routes under `/auth` (or another mount point):
//!
//!   | route | answer |
//!   |---|---|
//!   | `GET login` | 302 to the provider; reads only `returnTo`, `organization`, `invitation` |
//!   | `GET callback` | 302 to the `returnTo` of the login; 400 JSON when the callback is refused |
//!   | `GET logout` | 302 to the provider's logout URL, which returns to `returnTo` |
//!   | `POST backchannel-logout` | 204; 400 JSON for an invalid `logout_token` |
//!   | `GET profile` | 200 JSON of the user's claims; 401 JSON when signed out |
//!   | `GET access-token` | 200 JSON with an access token; 401 JSON when signed out |
//!
//! - [`User`] is an extractor for the signed-in user. A signed-out browser navigation is
//!   redirected to login; any other signed-out request gets a 401 JSON body. `Option<User>`
//!   never fails.
//! - [`Auth0`], the handle the routes and extractors find in the app data, reads the session
//!   and gets access tokens from inside handlers.
//!
//! Errors become JSON bodies of the form `{"error": code, "error_description": message}` with
//! the status the core chooses ([`Error::status`]): a store that cannot be reached answers
//! 503, a provider that fails answers 502. A tampered or foreign cookie reads as signed out.
//!
//! The core's public items are re-exported, so most apps depend on this crate alone.
//!
//! # Example
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use auth0_actix::{Auth0, Auth0Session, Rejection, Settings, User};
//!
//! async fn home(user: Option<User>) -> HttpResponse {
//!     match user {
//!         Some(user) => HttpResponse::Ok().body(format!("hi {}", user.name().unwrap_or("you"))),
//!         None => HttpResponse::Ok().body("<a href=\"/auth/login\">log in</a>"),
//!     }
//! }
//!
//! async fn private(user: User) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("only for {}", user.sub().unwrap_or_default()))
//! }
//!
//! async fn api(auth: Auth0, req: actix_web::HttpRequest) -> Result<HttpResponse, Rejection> {
//!     let token = auth
//!         .access_token(&req, auth0_actix::AccessTokenRequest::new())
//!         .await?;
//!     Ok(HttpResponse::Ok().json(serde_json::json!({ "expires_at": token.expires_at })))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     // AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_SECRET, APP_BASE_URL.
//!     let settings = Settings::from_env().unwrap_or_else(|err| {
//!         eprintln!("{err}");
//!         std::process::exit(2);
//!     });
//!     let client = settings.build_client().await.map_err(std::io::Error::other)?;
//!     let auth = Auth0::new(client, &settings);
//!
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(Auth0Session::new())
//!             .configure(auth0_actix::routes(auth.clone()))
//!             .route("/", web::get().to(home))
//!             .route("/private", web::get().to(private))
//!             .route("/api", web::get().to(api))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```

mod convert;
mod handle;
mod rejection;
mod routes;
mod store;
mod user;

pub use auth0_core;
pub use auth0_core::web::{
    DEFAULT_MOUNT, EnvError, LoginQuery, SessionStoreKind, Settings, access_token_body, error_body,
    login_redirect, return_to_from_app_state, safe_return_to, wants_login_redirect,
};
pub use auth0_core::*;

pub use handle::Auth0;
pub use rejection::Rejection;
pub use routes::routes;
pub use store::{Auth0Session, Auth0SessionMiddleware, RequestStore, StoreGuard};
pub use user::User;
