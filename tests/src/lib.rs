//! End-to-end test harness: a real OpenID Provider on loopback and a headless browser for it.
//!
//! The provider is `oidc-provider` (Node.js) configured to behave like Auth0 where the SDK
//! cares; its script, knobs and clients are described in `tests/provider/README.md`. It needs
//! `node` on the `PATH` and `npm ci` run once in `tests/provider`.
//!
//! ```no_run
//! use auth0_e2e::{Browser, Provider};
//!
//! # async fn example() {
//! let provider = Provider::shared().await;
//! let browser = Browser::new();
//! let authorize_url = format!("{}/auth?client_id=rp-secret&...", provider.base_url());
//! let callback = browser.authorize(&authorize_url).await.unwrap();
//! // `callback` is the RP callback URL with `code`, `state` and `iss`.
//! # }
//! ```
//!
//! Every network request goes to `127.0.0.1`.

pub mod apps;
pub mod driver;
pub mod provider;
pub mod rp;

pub use driver::{
    Browser, DriveError, FormPost, Landing, RegisteredClient, backchannel_logout,
    received_authorization_params, register_client, token_request_count,
};
pub use provider::{OfflineAccess, Provider, ProviderOptions, static_client_secret};
