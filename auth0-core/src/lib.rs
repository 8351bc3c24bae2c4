//! Sans-IO OpenID Connect login for server-side web apps, with Auth0's extras.
//!
//! The crate has two layers:
//!
//! - **State machines** that do no I/O and own no clock: they take the time and a random
//!   source as arguments, return the HTTP requests to send as `http::Request<Vec<u8>>` and
//!   take the replies as `http::Response<Vec<u8>>`. Any runtime can drive them.
//! - **[`ServerClient`]** (cargo feature `client`, on by default): an async driver that sends
//!   those requests with `reqwest`, caches discovery and keys, and keeps transactions in a
//!   [`TransactionStore`] (sealed cookies by default).
//!
//! # The login flow
//!
//! ```text
//!  browser            app (ServerClient)                    provider
//!     │  GET /login        │                                    │
//!     │───────────────────►│ start_login: PKCE, state, nonce    │
//!     │                    │ (PAR: POST /par ──────────────────►│)
//!     │  302 /authorize    │ transaction sealed in a cookie     │
//!     │◄───────────────────│                                    │
//!     │────────── user authenticates ──────────────────────────►│
//!     │  GET /callback?code&state&iss                           │
//!     │───────────────────►│ transaction taken (once)           │
//!     │                    │ iss checked (RFC 9207)             │
//!     │                    │ POST /token ──────────────────────►│
//!     │                    │ ID token validated (OIDC 3.1.3.7)  │
//!     │  session           │ organization checked               │
//!     │◄───────────────────│                                    │
//! ```
//!
//! # Security properties
//!
//! - PKCE S256 on every login, a fresh 256-bit `state` and `nonce`, transactions used once
//!   and expiring after an hour.
//! - ID tokens: signature with an allow-listed algorithm that fits the key (`none` never),
//!   `iss`, `aud`, `azp`, `exp`/`iat`/`nbf` with leeway, `nonce`, `sub`, `auth_time`.
//! - Plain `http://` issuers only on loopback. Secrets live in redacting newtypes
//!   ([`secret`]), compared in constant time, and never reach logs or error messages.
//! - Sealed records use JWE `dir` + `A256CBC-HS512` with per-record keys (HKDF), the same
//!   format as Auth0's Python SDK; anything tampered reads as absent.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> auth0_core::Result<()> {
//! use auth0_core::{
//!     AuthorizationParams, ClientConfig, ServerClient, StartInteractiveLoginOptions,
//!     StoreOptions,
//! };
//!
//! let config = ClientConfig::builder()
//!     .domain("tenant.auth0.com")
//!     .client_id("CLIENT_ID")
//!     .client_secret("CLIENT_SECRET")
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .authorization_params(
//!         AuthorizationParams::new().redirect_uri("http://localhost:3000/auth/callback"),
//!     )
//!     .build()?;
//! let client = ServerClient::new(config)?;
//!
//! // In the login route: redirect the browser to `url`, with the Set-Cookie headers.
//! let mut store = StoreOptions::new();
//! let url = client.start_interactive_login(StartInteractiveLoginOptions::new(), &mut store).await?;
//!
//! // In the callback route, with the request's cookies:
//! let mut store = StoreOptions::new();
//! let result = client
//!     .complete_interactive_login("http://localhost:3000/auth/callback?code=..&state=..", &mut store)
//!     .await?;
//! println!("signed in as {:?}", result.session.sub());
//! # Ok(()) }
//! ```

pub mod authorize;
pub mod backchannel;
pub mod cache;
pub mod callback;
#[cfg(feature = "client")]
pub mod client;
mod client_auth;
pub mod config;
pub mod discovery;
pub mod error;
pub mod id_token;
pub mod jose;
pub mod jwks;
pub mod jwt;
pub mod logout;
pub mod oauth_http;
pub mod params;
mod pkce;
pub mod refresh;
pub mod seal;
pub mod secret;
pub mod session;
#[cfg(test)]
mod test_support;
pub mod token;
pub mod transaction;
#[cfg(feature = "client")]
pub use client::web;

/// The README's code, compiled as a doctest so that it keeps working when pasted.
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use authorize::{
    AuthorizeRedirect, AwaitingPushResponse, LoginStart, StartInteractiveLoginOptions, start_login,
};
pub use callback::{
    AwaitingToken, CallbackParams, LoginResult, TokenReceived, begin_code_exchange,
};
#[cfg(feature = "client")]
pub use client::{
    CookieTransactionStore, MemoryTransactionStore, ServerClient, ServerClientBuilder, Session,
    SessionStore, StoreOptions, TransactionStore,
};
pub use config::{ClientAuth, ClientConfig, ClientConfigBuilder, Issuer};
pub use discovery::ProviderMetadata;
pub use error::{Error, Result, TokenValidationError};
pub use jose::Algorithm;
pub use logout::LogoutOptions;
pub use params::{AuthorizationParams, Scope};
pub use refresh::{AccessTokenRequest, AccessTokenResult};
pub use session::{SessionData, SessionLifetime, TokenSet};
pub use transaction::Transaction;
