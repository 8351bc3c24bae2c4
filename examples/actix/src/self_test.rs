//! `--self-test`: the quick start, driven headlessly from login to logout.
//!
//! Starts the local provider and the app on a free port, then plays a browser: the app's
//! requests go through a cookie-keeping `reqwest` client, the provider's pages through
//! [`Browser`]. Prints the signed-in user's profile and exits 0, or says what failed.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::HttpServer;
use auth0_e2e::{Browser, DriveError};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::Value;

use crate::{app, base_url, bind, build, quick_start};

/// Timeout of each request to the app.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the self-test and reports its outcome.
pub(crate) async fn run() -> ExitCode {
    match self_test().await {
        Ok(()) => {
            println!("self-test passed");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("self-test failed: {reason}");
            ExitCode::FAILURE
        }
    }
}

async fn self_test() -> Result<(), String> {
    let listener: TcpListener = bind(0)?;
    let base = base_url(&listener)?;
    let provider = quick_start::start_provider(&base).await?;
    let settings =
        quick_start::settings(&provider, &base, false).map_err(|err| format!("settings: {err}"))?;
    let auth = build(&settings).await?;

    let server = HttpServer::new(move || app(auth.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(|err| format!("cannot serve: {err}"))?
        .run();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);
    println!(
        "self-test: app on {base}, provider on {}",
        provider.base_url()
    );

    let outcome = drive(&base).await;

    handle.stop(true).await;
    // The server's own result adds nothing once it has been asked to stop.
    let _ = running.await;
    provider.stop();
    outcome
}

/// Logs in, reads the profile, calls the API, logs out, and checks each answer.
async fn drive(base: &str) -> Result<(), String> {
    let app = Visitor::new(base)?;

    app.expect("/auth/profile", "*/*", StatusCode::UNAUTHORIZED)
        .await?;
    let to_login = app
        .expect("/private", "text/html", StatusCode::FOUND)
        .await?;
    if location(&to_login)? != "/auth/login?returnTo=%2Fprivate" {
        return Err("/private did not send a signed-out browser to /auth/login".to_owned());
    }

    // Login: the app sends the browser to the provider, which sends it back to the callback.
    let start = app
        .expect(
            "/auth/login?returnTo=%2Fprivate",
            "text/html",
            StatusCode::FOUND,
        )
        .await?;
    let callback = Browser::new()
        .authorize(&location(&start)?)
        .await
        .map_err(|err| {
            format!(
                "the provider did not send the browser back: {}",
                describe(&err)
            )
        })?;
    if !callback
        .as_str()
        .starts_with(&format!("{base}/auth/callback?"))
    {
        return Err("the provider sent the browser somewhere else than the callback".to_owned());
    }
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    let done = app.expect(&path, "text/html", StatusCode::FOUND).await?;
    if location(&done)? != "/private" {
        return Err("the callback did not return to /private".to_owned());
    }

    let private = app.expect("/private", "text/html", StatusCode::OK).await?;
    let private = text(private, "/private").await?;
    let profile = app.expect("/auth/profile", "*/*", StatusCode::OK).await?;
    let profile: Value = json(profile, "/auth/profile").await?;
    let name = profile["name"].as_str().unwrap_or_default();
    if name.is_empty() || !private.contains(name) {
        return Err("/private does not greet the signed-in user by name".to_owned());
    }
    let pretty = serde_json::to_string_pretty(&profile).unwrap_or_default();
    println!("signed in; /auth/profile:\n{pretty}");

    let data = app.expect("/api/data", "*/*", StatusCode::OK).await?;
    let data: Value = json(data, "/api/data").await?;
    if !data["token_expires_at"].is_u64() || data.get("access_token").is_some() {
        return Err("/api/data must tell when the token expires, without the token".to_owned());
    }

    // Logout: the app ends the session and sends the browser to the provider.
    let logout = app
        .expect("/auth/logout", "text/html", StatusCode::FOUND)
        .await?;
    if location(&logout)?.starts_with(base) {
        return Err("/auth/logout did not redirect to the provider".to_owned());
    }
    app.expect("/auth/profile", "*/*", StatusCode::UNAUTHORIZED)
        .await?;
    println!("logged out; /auth/profile answers 401");
    Ok(())
}

/// A visitor of the app: a cookie jar and no automatic redirects.
struct Visitor {
    http: reqwest::Client,
    base: String,
}

impl Visitor {
    fn new(base: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        Ok(Self {
            http,
            base: base.to_owned(),
        })
    }

    /// GETs `path_and_query` and checks the status. Messages name the path only: queries
    /// carry codes and states.
    async fn expect(
        &self,
        path_and_query: &str,
        accept: &str,
        status: StatusCode,
    ) -> Result<reqwest::Response, String> {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .header(ACCEPT, accept)
            .send()
            .await
            .map_err(|err| format!("GET {path} failed: {}", err.without_url()))?;
        if response.status() == status {
            return Ok(response);
        }
        let found = response.status();
        let body = response.text().await.unwrap_or_default();
        let excerpt: String = body.chars().take(300).collect();
        Err(format!(
            "GET {path} answered {found}, expected {status}: {excerpt}"
        ))
    }
}

fn location(response: &reqwest::Response) -> Result<String, String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{} answered a redirect without Location",
                response.url().path()
            )
        })
}

async fn text(response: reqwest::Response, path: &str) -> Result<String, String> {
    response
        .text()
        .await
        .map_err(|err| format!("reading {path}: {}", err.without_url()))
}

async fn json(response: reqwest::Response, path: &str) -> Result<Value, String> {
    let body = text(response, path).await?;
    serde_json::from_str(&body).map_err(|err| format!("{path} is not JSON: {err}"))
}

/// What went wrong at the provider, without URLs (they carry states and codes).
fn describe(err: &DriveError) -> String {
    match err {
        DriveError::Http(err) if err.is_timeout() => "a request timed out".to_owned(),
        DriveError::Http(err) if err.is_connect() => "it could not be reached".to_owned(),
        DriveError::Http(_) => "a request failed".to_owned(),
        DriveError::NoRedirect { status, .. } => format!("it answered a page (HTTP {status})"),
        DriveError::UnexpectedForm(_) => "it answered a form_post page".to_owned(),
        DriveError::TooManyRedirects { .. } => "too many redirects".to_owned(),
        DriveError::Status { status, .. } => format!("it answered HTTP {status}"),
        _ => "unexpected answer".to_owned(),
    }
}
