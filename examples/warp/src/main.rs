//! A warp app that logs users in with `auth0-warp`.
//!
//! Configuration comes from the environment (`AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`,
//! `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET`, `APP_BASE_URL`, optional `AUTH0_*` and `PORT`).
//! With no `AUTH0_*` variable at all it starts the repository's test OpenID Provider on
//! 127.0.0.1 and logs in against it, so `cargo run -p example-warp` works on a fresh clone
//! (Node.js 20+ needed).
//!
//! Pages: `/` (public), `/private` (signed in only), `/api/data` (JSON about the access token,
//! never the token itself), `/health` (plain text `ok`, no SDK call), and the SDK's routes
//! under `/auth`.

use std::process::exit;

use auth0_e2e::{Provider, ProviderOptions, static_client_secret};
use auth0_warp::web::Settings;
use auth0_warp::{AccessTokenRequest, Auth, StoreOptions, User};
use rand::RngCore;
use serde_json::json;
use tokio::net::TcpListener;
use warp::Filter;
use warp::reply::{Reply, Response};

/// The port used when `PORT` is not set.
const DEFAULT_PORT: u16 = 3000;

/// The test provider's static client the quick start logs in with.
const LOCAL_CLIENT_ID: &str = "rp-secret";

#[tokio::main]
async fn main() {
    init_logging();
    let port = port_from_env().unwrap_or_else(|line| fail(&line, 2));
    let local = !std::env::vars_os().any(|(name, _)| name.to_string_lossy().starts_with("AUTH0_"));
    // Without a local provider, bad settings stop us before we take the port.
    let settings = if local {
        None
    } else {
        Some(Settings::from_env().unwrap_or_else(|err| fail(&err.to_string(), 2)))
    };

    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|err| {
            fail(
                &format!("PORT: cannot listen on 127.0.0.1:{port}: {err}"),
                1,
            )
        });
    let port = listener
        .local_addr()
        .unwrap_or_else(|err| fail(&format!("cannot read the bound address: {err}"), 1))
        .port();

    // The local provider, if any, lives as long as the app; it stops with this process.
    let (settings, _provider) = match settings {
        Some(settings) => (settings, None),
        None => {
            let (settings, provider) = local_settings(port).await;
            eprintln!(
                "no AUTH0_* variables: using the local test provider at {}",
                provider.issuer()
            );
            (settings, Some(provider))
        }
    };

    let auth = Auth::from_settings(&settings)
        .await
        .unwrap_or_else(|err| fail(&format!("cannot start the SDK: {err}"), 1));
    let app = app(auth);

    println!("listening on http://127.0.0.1:{port}");
    warp::serve(app).incoming(listener).run().await;
}

/// The whole app: its pages, the SDK's routes and the SDK's rejection handler. Other
/// rejections (unknown path, wrong method) get warp's default replies.
fn app(auth: Auth) -> impl Filter<Extract = (impl Reply,), Error = warp::Rejection> + Clone {
    let home = warp::path::end()
        .and(warp::get())
        .and(auth0_warp::optional_user(auth.clone()))
        .map(home);
    let private = warp::path!("private")
        .and(warp::get())
        .and(auth0_warp::user(auth.clone()))
        .map(private);
    let data = warp::path!("api" / "data")
        .and(warp::get())
        .and(auth0_warp::with_auth(auth.clone()))
        .and(auth0_warp::store_options())
        .then(data);
    let health = warp::path!("health").and(warp::get()).map(health);

    home.or(private)
        .or(data)
        .or(health)
        .or(auth0_warp::routes(auth))
        .recover(auth0_warp::recover)
}

/// `GET /`: a login link, or the user's name and a logout link.
fn home(user: Option<User>) -> Response {
    match user {
        Some(user) => {
            let body = format!(
                "<h1>Hello, {}</h1>\n<p><a href=\"/private\">Private page</a> · \
                 <a href=\"/api/data\">API data</a> · <a href=\"/auth/logout\">Log out</a></p>",
                escape(display_name(&user)),
            );
            user.with_session_cookies(page("Home", &body))
        }
        None => page(
            "Home",
            "<h1>Welcome</h1>\n<p><a href=\"/auth/login\">Log in</a></p>",
        )
        .into_response(),
    }
}

/// `GET /private`: only for signed-in users.
fn private(user: User) -> Response {
    let body = format!(
        "<h1>Private page</h1>\n<p>Signed in as {}.</p>\n<p><a href=\"/\">Home</a> · \
         <a href=\"/auth/logout\">Log out</a></p>",
        escape(display_name(&user)),
    );
    user.with_session_cookies(page("Private", &body))
}

/// `GET /api/data`: what the app knows about its access token, never the token itself.
async fn data(auth: Auth, mut store: StoreOptions) -> Response {
    let result = auth
        .client()
        .get_access_token(AccessTokenRequest::new(), &mut store)
        .await;
    let reply = match result {
        Ok(token) => warp::reply::json(&json!({
            "token_expires_at": token.expires_at,
            "audience": token.audience,
            "scope": token.scope,
        }))
        .into_response(),
        Err(err) => auth0_warp::error_reply(&err),
    };
    auth0_warp::with_session_cookies(reply, store)
}

/// `GET /health`: plain text `ok`; it never calls the SDK (the load benchmark's floor).
fn health() -> &'static str {
    "ok"
}

/// Settings for the local test provider, started with redirects back to this app.
async fn local_settings(port: u16) -> (Settings, Provider) {
    let base_url = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(ProviderOptions {
        rp_base: base_url.clone(),
        ..ProviderOptions::default()
    })
    .await;

    // A fresh sealing secret per run: sessions end when the app stops, as the provider does.
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();

    let issuer = provider.issuer().to_owned();
    let settings = Settings::from_lookup(|name| match name {
        "AUTH0_DOMAIN" => Some(issuer.clone()),
        "AUTH0_CLIENT_ID" => Some(LOCAL_CLIENT_ID.to_owned()),
        "AUTH0_CLIENT_SECRET" => Some(static_client_secret(LOCAL_CLIENT_ID)),
        "AUTH0_SECRET" => Some(secret.clone()),
        "APP_BASE_URL" => Some(base_url.clone()),
        _ => None,
    })
    .unwrap_or_else(|err| fail(&format!("the local test provider's settings: {err}"), 1));
    (settings, provider)
}

/// `PORT` from the environment (default 3000; 0 picks a free port).
fn port_from_env() -> Result<u16, String> {
    match std::env::var("PORT") {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_PORT),
        Ok(value) if value.trim().is_empty() => Ok(DEFAULT_PORT),
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| "PORT: must be a port number from 0 to 65535".to_owned()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err("PORT: must be a port number from 0 to 65535".to_owned())
        }
    }
}

/// Prints one line to stderr and exits with `code`.
fn fail(line: &str, code: i32) -> ! {
    eprintln!("{line}");
    exit(code)
}

fn display_name(user: &User) -> &str {
    user.name()
        .or_else(|| user.email())
        .or_else(|| user.sub())
        .unwrap_or("you")
}

fn page(title: &str, body: &str) -> warp::reply::Html<String> {
    warp::reply::html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body>\n{body}\n</body></html>\n"
    ))
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b a=\"1\">Tom & 'Jerry'</b>"),
            "&lt;b a=&quot;1&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
