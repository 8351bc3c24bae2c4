//! An actix-web app that logs users in with Auth0 (or any OpenID Provider) through
//! `auth0-actix`.
//!
//! - `cargo run -p example-actix` with no tenant configured (no `AUTH0_DOMAIN`,
//!   `AUTH0_CLIENT_ID` or `AUTH0_CLIENT_SECRET`) starts the local test OpenID Provider and
//!   serves the app against it: the quick start.
//! - With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET` and
//!   `APP_BASE_URL` set, it talks to that tenant instead.
//! - `cargo run -p example-actix -- --self-test` logs in and out headlessly against the local
//!   provider and exits 0 when everything worked.
//!
//! It listens on `127.0.0.1:$PORT` (default 3000) and prints `listening on <url>` once ready.

mod pages;
mod quick_start;
mod self_test;

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::{App, HttpServer};
use auth0_actix::{Auth0, Auth0Session, Settings};
use auth0_e2e::Provider;

/// The port served when `PORT` is not set.
const DEFAULT_PORT: u16 = 3000;

/// Exit status of a missing or invalid setting.
const EXIT_CONFIG: u8 = 2;

#[actix_web::main]
async fn main() -> ExitCode {
    init_logging();
    let mut self_test = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--self-test" => self_test = true,
            "-h" | "--help" => {
                println!("usage: example-actix [--self-test]");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("unknown argument {arg:?}; usage: example-actix [--self-test]");
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    }
    if self_test {
        return self_test::run().await;
    }
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Why the app could not start or stopped with an error.
#[derive(Debug)]
enum Failure {
    /// A missing or invalid setting (exit 2).
    Config(String),
    /// Anything else (exit 1).
    Runtime(String),
}

impl Failure {
    fn report(self) -> ExitCode {
        match self {
            Self::Config(line) => {
                eprintln!("{line}");
                ExitCode::from(EXIT_CONFIG)
            }
            Self::Runtime(line) => {
                eprintln!("{line}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Serves the app until it is stopped (Ctrl-C), on the tenant of the environment or, with
/// none configured, on a local test provider.
async fn serve() -> Result<(), Failure> {
    let port = port_from_env()?;
    let quick_start = quick_start::wanted();
    // A real tenant's settings are checked before anything else happens.
    let tenant = if quick_start {
        None
    } else {
        Some(Settings::from_env().map_err(|err| Failure::Config(err.to_string()))?)
    };
    let listener = bind(port).map_err(Failure::Runtime)?;
    let base = base_url(&listener).map_err(Failure::Runtime)?;

    let (settings, provider) = match tenant {
        Some(settings) => (settings, None),
        None => {
            eprintln!(
                "quick start: no Auth0 tenant configured (AUTH0_DOMAIN, AUTH0_CLIENT_ID, \
                 AUTH0_CLIENT_SECRET), so a local test OpenID Provider serves the logins"
            );
            let provider = quick_start::start_provider(&base)
                .await
                .map_err(Failure::Runtime)?;
            let settings = quick_start::settings(&provider, &base, true)
                .map_err(|err| Failure::Config(err.to_string()))?;
            (settings, Some(provider))
        }
    };

    let auth = build(&settings).await.map_err(Failure::Runtime)?;
    let server = HttpServer::new(move || app(auth.clone()))
        .listen(listener)
        .map_err(|err| Failure::Runtime(format!("cannot serve: {err}")))?
        .run();

    println!("listening on {base}");
    if let Some(provider) = &provider {
        println!(
            "open {base}/ (test users log in at once; the provider is at {})",
            provider.base_url()
        );
    }
    // Nothing useful can be done when stdout is gone; the server runs on regardless.
    let _ = std::io::stdout().flush();

    let served = server.await;
    stop(provider);
    served.map_err(|err| Failure::Runtime(format!("the server failed: {err}")))
}

/// The app: the SDK's routes under `/auth` and the example's pages, in the session middleware.
fn app(
    auth: Auth0,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(Auth0Session::new())
        .configure(auth0_actix::routes(auth))
        .configure(pages::configure)
}

/// The SDK handle for `settings`: fails when the session store cannot be reached.
async fn build(settings: &Settings) -> Result<Auth0, String> {
    let client = settings
        .build_client()
        .await
        .map_err(|err| format!("cannot start the SDK: {err}"))?;
    Ok(Auth0::new(client, settings))
}

/// `PORT`, or 3000 when unset; 0 picks a free port.
fn port_from_env() -> Result<u16, Failure> {
    match std::env::var("PORT") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_PORT),
        Ok(value) if value.trim().is_empty() => Ok(DEFAULT_PORT),
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| Failure::Config("PORT: must be a port number (0 to 65535)".to_owned())),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::Config(
            "PORT: must be a port number (0 to 65535)".to_owned(),
        )),
    }
}

/// A listener on the loopback interface only.
fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port))
        .map_err(|err| format!("cannot listen on 127.0.0.1:{port}: {err}"))
}

/// `http://127.0.0.1:<the port actually bound>`.
fn base_url(listener: &TcpListener) -> Result<String, String> {
    let port = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound port: {err}"))?
        .port();
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Stops the local provider, if one was started, and waits for it to exit.
fn stop(provider: Option<Provider>) {
    if let Some(provider) = provider {
        provider.stop();
    }
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
