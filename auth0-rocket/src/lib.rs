//! Log users in to a [Rocket](https://rocket.rs) app with Auth0 or any OpenID Provider.
//!
//! This crate only translates between Rocket and [`auth0_core`]: every OpenID Connect step
//! (PKCE, `state`, `nonce`, ID token checks, sealing, refresh) happens in the core. It gives
//! you:
//!
//! - [`Auth0Fairing`]: attach it once. It mounts the SDK's routes, registers catchers for 401
//!   and 503, and carries the session cookies of each request to its response, so a session
//!   that is extended (rolled) or cleared while a guard reads it reaches the browser.
//! - The routes, under `/auth` by default ([`DEFAULT_MOUNT`](web::DEFAULT_MOUNT)):
//!
//!   | route | what it does |
//!   |---|---|
//!   | `GET /auth/login?returnTo=&organization=&invitation=` | redirects to the provider |
//!   | `GET /auth/callback` | completes the login, then redirects to `returnTo` |
//!   | `GET /auth/logout?returnTo=` | ends the session, then redirects to the provider's logout |
//!   | `POST /auth/backchannel-logout` | OIDC Back-Channel Logout (form field `logout_token`) |
//!   | `GET /auth/profile` | the user's claims as JSON (401 when signed out) |
//!   | `GET /auth/access-token` | an access token as JSON (401 when signed out) |
//!
//! - Request guards: [`User`] (the signed-in user; signed-out requests are forwarded with
//!   401), `Option<User>`, [`MaybeUser`] (like `Option<User>` but answers 503 when the session
//!   store is down), and [`Auth0`] (the client and this request's cookies, for access tokens).
//! - The 401 catcher redirects a browser navigating with GET to the login route, coming back to
//!   the page afterwards; other requests get `401` with a JSON body. Failures answer JSON
//!   `{"error": code, "error_description": message}` with the status the core names.
//!
//! Session cookies are written as raw `Set-Cookie` headers sealed by the core; Rocket's
//! private cookie jar is not used. A tampered or foreign cookie reads as signed out.
//!
//! # Example
//!
//! ```no_run
//! use auth0_rocket::web::Settings;
//! use auth0_rocket::{Auth0Fairing, MaybeUser, User};
//! use rocket::{get, routes};
//!
//! #[get("/")]
//! fn home(user: MaybeUser) -> String {
//!     match user.0 {
//!         Some(user) => format!("signed in as {}", user.name().unwrap_or("you")),
//!         None => "signed out: visit /auth/login".to_owned(),
//!     }
//! }
//!
//! #[get("/private")]
//! fn private(user: User) -> String {
//!     format!("hello {}", user.name().unwrap_or("you"))
//! }
//!
//! #[rocket::main]
//! async fn main() {
//!     // AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_SECRET, APP_BASE_URL.
//!     let settings = Settings::from_env().unwrap_or_else(|err| panic!("{err}"));
//!     let client = settings.build_client().await.expect("the session store is reachable");
//!     let launched = rocket::build()
//!         .attach(Auth0Fairing::from_settings(client, &settings))
//!         .mount("/", routes![home, private])
//!         .launch()
//!         .await;
//!     if let Err(err) = launched {
//!         eprintln!("the server stopped: {err}");
//!     }
//! }
//! ```

mod catchers;
mod convert;
mod fairing;
mod guards;
mod request_state;
mod response;
mod routes;

pub use auth0_core::web::{EnvError, Settings};
pub use auth0_core::*;

pub use catchers::catchers;
pub use fairing::Auth0Fairing;
pub use guards::{Auth0, MaybeUser, User};
pub use response::ErrorResponse;
/// The URL type of [`Auth0Fairing::new`]'s base URL and of [`Settings::base_url`].
pub use url::Url;
