//! Sans-IO OpenID Connect login for server-side web apps, with Auth0's extras.
//!
//! (Crate docs are completed once the modules land.)

pub mod error;
pub mod secret;

pub use error::{Error, Result, TokenValidationError};
