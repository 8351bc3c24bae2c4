//! Logins through the app: `GET /auth/login`, the provider (headless, through
//! [`Browser`]), `GET /auth/callback` with the transaction cookie.
//!
//! The browser at the provider is shared by every login, so after the first one the provider
//! has a session and a grant and each login is the SSO path: one redirect there and back, no
//! interaction. The app side keeps no cookie jar: each login starts with no app cookies and
//! hands back the session cookies the callback set.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth0_e2e::Browser;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

/// A login run stops after this many failures.
const MAX_FAILURES: usize = 20;

/// What a batch of logins did.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Logins that ended with session cookies.
    pub(crate) succeeded: usize,
    /// Logins that failed.
    pub(crate) failed: usize,
    /// Wall time of the batch.
    pub(crate) elapsed: Duration,
    /// The first failure, if any.
    pub(crate) first_error: Option<String>,
}

/// An HTTP client for the app: no cookie jar, no redirects, no proxy.
pub(crate) fn app_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a plain reqwest client builds")
}

/// One login on the app at `base` (`http://127.0.0.1:<port>`); returns the `Cookie` header
/// value that carries the new session.
pub(crate) async fn login(
    http: &reqwest::Client,
    browser: &Browser,
    base: &str,
) -> Result<String, String> {
    let start = http
        .get(format!("{base}/auth/login"))
        .send()
        .await
        .map_err(|err| format!("GET /auth/login: {err}"))?;
    if !start.status().is_redirection() {
        return Err(format!("GET /auth/login answered {}", start.status()));
    }
    let authorize = header(start.headers(), LOCATION.as_str())?;
    let transaction = cookie_header(start.headers());

    let callback = browser
        .authorize(&authorize)
        .await
        .map_err(|err| format!("at the provider: {err}"))?;
    if !callback
        .as_str()
        .starts_with(&format!("{base}/auth/callback"))
    {
        return Err(format!("the provider sent the browser to {callback}"));
    }

    let done = http
        .get(callback)
        .header(COOKIE, transaction)
        .send()
        .await
        .map_err(|err| format!("GET /auth/callback: {err}"))?;
    let status = done.status();
    let session = cookie_header(done.headers());
    if !status.is_redirection() || session.is_empty() {
        let body = done.text().await.unwrap_or_default();
        return Err(format!("GET /auth/callback answered {status}: {body}"));
    }
    Ok(session)
}

/// Runs `count` logins with `workers` concurrent tasks, giving up after `time_limit` or
/// [`MAX_FAILURES`] failures.
pub(crate) async fn batch(
    http: &reqwest::Client,
    browser: &Browser,
    base: &str,
    count: usize,
    workers: usize,
    time_limit: Duration,
) -> Batch {
    let issued = Arc::new(AtomicUsize::new(0));
    let succeeded = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();

    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let (http, browser, base) = (http.clone(), browser.clone(), base.to_owned());
        let (issued, succeeded, failed) = (issued.clone(), succeeded.clone(), failed.clone());
        let first_error = first_error.clone();
        tasks.push(tokio::spawn(async move {
            while issued.fetch_add(1, Ordering::Relaxed) < count
                && started.elapsed() < time_limit
                && failed.load(Ordering::Relaxed) < MAX_FAILURES
            {
                match login(&http, &browser, &base).await {
                    Ok(_) => {
                        succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
                        slot.get_or_insert(err);
                    }
                }
            }
        }));
    }
    for task in tasks {
        // A panicking worker only loses its own logins, which the counts show.
        let _ = task.await;
    }
    let first_error = first_error.lock().unwrap_or_else(|p| p.into_inner()).take();
    Batch {
        succeeded: succeeded.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        first_error,
    }
}

/// The value of header `name`, as text.
fn header(headers: &HeaderMap, name: &str) -> Result<String, String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} header"))
}

/// The `Cookie` header a browser would send back after these `Set-Cookie` headers (cookies
/// being deleted, `Max-Age=0`, left out).
fn cookie_header(headers: &HeaderMap) -> String {
    let mut pairs = Vec::new();
    for value in headers.get_all(SET_COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
        let deleted = attributes
            .split(';')
            .any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
        if !deleted {
            pairs.push(pair.trim().to_owned());
        }
    }
    pairs.join("; ")
}
