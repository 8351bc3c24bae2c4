//! What every web framework adapter needs and none should write itself: settings from the
//! environment, the routes' request and response shapes, `returnTo` checking, and when to
//! redirect a signed-out visitor to login rather than answer 401.
//!
//! Adapters stay thin: they translate their framework's request into these calls and the
//! results back into their framework's response.

mod env;
mod routes;

pub use env::{EnvError, SessionStoreKind, Settings};
pub use routes::{
    LoginQuery, MAX_RETURN_TO_LEN, access_token_body, error_body, login_redirect,
    return_to_from_app_state, safe_return_to, wants_login_redirect,
};

/// The default mount point of the SDK's routes.
pub const DEFAULT_MOUNT: &str = "/auth";
