//! The quick start: the local test OpenID Provider and the settings that use it.

use std::panic::{self, AssertUnwindSafe};

use auth0_actix::{EnvError, Settings};
use auth0_e2e::provider::CLIENT_SECRET_BASIC;
use auth0_e2e::{Provider, ProviderOptions, static_client_secret};

/// The variables that name a real tenant; with none of them set, the quick start runs.
const TENANT_VARS: [&str; 3] = ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"];

/// The session key of the quick start, used unless `AUTH0_SECRET` is set. It is public:
/// never use it with a real tenant.
const DEMO_SECRET: &str = "quick-start-demo-secret-do-not-use-in-production";

/// Whether no tenant is configured in the environment.
pub(crate) fn wanted() -> bool {
    TENANT_VARS
        .iter()
        .all(|var| std::env::var(var).map_or(true, |value| value.trim().is_empty()))
}

/// Starts the local provider with its static clients registered for the app at `base`.
///
/// It needs Node.js; the first start runs `npm ci` in `tests/provider`. The provider stops
/// when the value is dropped or this process exits. A failure to start is one line saying
/// what to do, not a panic.
pub(crate) async fn start_provider(base: &str) -> Result<Provider, String> {
    let options = ProviderOptions {
        rp_base: base.to_owned(),
        ..ProviderOptions::default()
    };
    let started = actix_web::rt::task::spawn_blocking(move || {
        // The harness panics with a clear message; keep the message, drop the backtrace.
        let previous = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let started = panic::catch_unwind(AssertUnwindSafe(|| Provider::start_blocking(options)));
        panic::set_hook(previous);
        started
    })
    .await
    .map_err(|err| format!("cannot start the local test OpenID Provider: {err}"))?;
    started.map_err(|payload| {
        let reason = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("it failed to start");
        format!("cannot start the local test OpenID Provider: {reason}")
    })
}

/// Settings for the app at `base` with the provider's static client `rp-secret`.
///
/// With `from_env`, the optional settings (`AUTH0_SECRET`, `AUTH0_AUDIENCE`, `AUTH0_SCOPE`,
/// `AUTH0_SESSION_STORE`, ...) still come from the environment; without, nothing does.
pub(crate) fn settings(
    provider: &Provider,
    base: &str,
    from_env: bool,
) -> Result<Settings, EnvError> {
    let lookup = |name: &str| -> Option<String> {
        let env = || {
            if from_env {
                std::env::var(name).ok()
            } else {
                None
            }
        };
        match name {
            "AUTH0_DOMAIN" => Some(provider.issuer().to_owned()),
            "AUTH0_CLIENT_ID" => Some(CLIENT_SECRET_BASIC.to_owned()),
            "AUTH0_CLIENT_SECRET" => Some(static_client_secret(CLIENT_SECRET_BASIC)),
            "APP_BASE_URL" => Some(base.to_owned()),
            "AUTH0_SECRET" => env().or_else(|| Some(DEMO_SECRET.to_owned())),
            _ => env(),
        }
    };
    Settings::from_lookup(lookup)
}
