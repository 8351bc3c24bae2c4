//! The relying party's side of a test: the app's cookies and a one-call login.

use std::collections::BTreeMap;

use auth0_core::{LoginResult, ServerClient, StartInteractiveLoginOptions, StoreOptions};
use reqwest::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};

use crate::driver::Browser;

/// The cookies a browser keeps for the app, fed from the SDK's `Set-Cookie` headers.
#[derive(Debug, Default, Clone)]
pub struct AppCookies {
    cookies: BTreeMap<String, String>,
}

impl AppCookies {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Store options for a request that carries this jar's cookies.
    pub fn request(&self) -> StoreOptions {
        let mut headers = HeaderMap::new();
        if !self.cookies.is_empty() {
            let line: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let value = HeaderValue::from_str(&line.join("; ")).expect("cookie values are ASCII");
            headers.insert(COOKIE, value);
        }
        StoreOptions::from_request_headers(&headers)
    }

    /// Applies the response's `Set-Cookie` headers, as a browser would.
    pub fn absorb(&mut self, options: &StoreOptions) {
        for value in options.response_headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("Set-Cookie is ASCII");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("a cookie has a name");
            let expired = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    /// Sets a cookie as if the browser had it already (an attacker planting one, say).
    pub fn set(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The value of cookie `name`, if held.
    pub fn get(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    /// The names of the cookies held.
    pub fn names(&self) -> Vec<String> {
        self.cookies.keys().cloned().collect()
    }

    /// The number of cookies held.
    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    /// Whether the jar is empty.
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }
}

/// Starts a login with `client`, keeping the transaction cookie in `cookies`.
pub async fn start(
    client: &ServerClient,
    cookies: &mut AppCookies,
    options: StartInteractiveLoginOptions,
) -> auth0_core::Result<String> {
    let mut store = cookies.request();
    let url = client.start_interactive_login(options, &mut store).await?;
    cookies.absorb(&store);
    Ok(url)
}

/// Completes a login from its callback URL with the jar's cookies.
pub async fn finish(
    client: &ServerClient,
    cookies: &mut AppCookies,
    callback: &str,
) -> auth0_core::Result<LoginResult> {
    let mut store = cookies.request();
    let result = client
        .complete_interactive_login(callback, &mut store)
        .await;
    cookies.absorb(&store);
    result
}

/// A whole login: start, the browser at the provider, and the callback.
pub async fn login(
    client: &ServerClient,
    browser: &Browser,
    options: StartInteractiveLoginOptions,
) -> auth0_core::Result<LoginResult> {
    let mut cookies = AppCookies::new();
    let url = start(client, &mut cookies, options).await?;
    let callback = browser
        .authorize(&url)
        .await
        .expect("the provider redirects back");
    finish(client, &mut cookies, callback.as_str()).await
}
