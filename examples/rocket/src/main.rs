//! A Rocket app that logs users in with `auth0-rocket`.
//!
//! Configured from the environment (`AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
//! `AUTH0_SECRET`, `APP_BASE_URL`, optional ones as `Settings::from_env` lists, and `PORT`,
//! default 3000). With no `AUTH0_*` variable at all it starts the repository's local test
//! OpenID Provider (Node.js) and logs in against it, so `cargo run -p example-rocket` works
//! on a fresh clone. It listens on 127.0.0.1 only and prints
//! `listening on http://127.0.0.1:PORT` once it accepts requests.

mod pages;

use std::process::exit;

use auth0_e2e::{Provider, ProviderOptions, static_client_secret};
use auth0_rocket::web::Settings;
use auth0_rocket::{Auth0Fairing, EnvError};
use rand::distr::{Alphanumeric, SampleString};
use rocket::config::LogLevel;
use rocket::fairing::AdHoc;

/// The port when `PORT` is not set.
const DEFAULT_PORT: u16 = 3000;

/// The local provider's static client the quick start logs in with.
const LOCAL_CLIENT_ID: &str = "rp-secret";

#[rocket::main]
async fn main() {
    init_logging();
    let port = match port_from_env() {
        Ok(port) => port,
        Err(err) => fail(2, &err),
    };

    // The provider, when started here, lives as long as the app and stops with it.
    let (settings, _provider, port) = if any_auth0_variable() {
        match Settings::from_env() {
            Ok(settings) => (settings, None, port),
            Err(err) => fail(2, &err),
        }
    } else {
        let (settings, provider, port) = local_provider_settings(port).await;
        (settings, Some(provider), port)
    };

    let client = match settings.build_client().await {
        Ok(client) => client,
        Err(err) => fail(1, &format!("cannot set up the Auth0 client: {err}")),
    };

    // Rocket's own log is off: its lines carry request URIs with their query strings (the
    // callback's holds the authorization code), and it writes to stdout, where this app
    // prints only its ready line. Launch failures are reported below.
    let figment = rocket::Config::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("log_level", LogLevel::Off))
        .merge(("cli_colors", false));
    let launched = rocket::custom(figment)
        .attach(Auth0Fairing::from_settings(client, &settings))
        .attach(AdHoc::on_liftoff("announce", |rocket| {
            Box::pin(async move {
                println!("listening on http://127.0.0.1:{}", rocket.config().port);
            })
        }))
        .mount("/", pages::routes())
        .launch()
        .await;
    if let Err(err) = launched {
        fail(1, &format!("the server stopped: {err}"));
    }
}

/// `PORT`, or the default.
fn port_from_env() -> Result<u16, EnvError> {
    match std::env::var("PORT") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_PORT),
        Ok(value) if !value.trim().is_empty() => value.trim().parse().map_err(|_| EnvError {
            var: "PORT",
            reason: "must be a port number from 0 to 65535".into(),
        }),
        _ => Err(EnvError {
            var: "PORT",
            reason: "must be a port number from 0 to 65535".into(),
        }),
    }
}

/// Whether any `AUTH0_*` variable is set: then the environment configures everything.
fn any_auth0_variable() -> bool {
    std::env::vars_os().any(|(name, _)| name.to_string_lossy().starts_with("AUTH0_"))
}

/// Starts the local test provider for an app on `port` and returns settings that use it.
///
/// The provider registers the app's redirect URIs when it starts, so the app's port must be
/// known first: `PORT=0` picks a free one here.
async fn local_provider_settings(port: u16) -> (Settings, Provider, u16) {
    let port = if port == 0 { free_port() } else { port };
    let base_url = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(ProviderOptions {
        rp_base: base_url.clone(),
        ..ProviderOptions::default()
    })
    .await;
    eprintln!(
        "no AUTH0_* variables set: logging in with the local test provider at {}",
        provider.issuer()
    );

    let issuer = provider.issuer().to_owned();
    let client_secret = static_client_secret(LOCAL_CLIENT_ID);
    let session_secret = Alphanumeric.sample_string(&mut rand::rng(), 48);
    let settings = Settings::from_lookup(|name| match name {
        "AUTH0_DOMAIN" => Some(issuer.clone()),
        "AUTH0_CLIENT_ID" => Some(LOCAL_CLIENT_ID.to_owned()),
        "AUTH0_CLIENT_SECRET" => Some(client_secret.clone()),
        "AUTH0_SECRET" => Some(session_secret.clone()),
        "APP_BASE_URL" => Some(base_url.clone()),
        _ => None,
    });
    match settings {
        Ok(settings) => (settings, provider, port),
        Err(err) => fail(1, &err),
    }
}

/// A port on 127.0.0.1 that is free right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|err| fail(1, &format!("cannot find a free port: {err}")))
}

/// Prints one line to stderr and exits.
fn fail(code: i32, message: &dyn std::fmt::Display) -> ! {
    eprintln!("{message}");
    exit(code)
}

/// Logs to stderr (stdout carries only the ready line), at `warn` unless `RUST_LOG` says
/// otherwise: `RUST_LOG=auth0_core=debug` shows why a callback was refused. The SDK never logs
/// tokens, codes, cookies or secrets.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
