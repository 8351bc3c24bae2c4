//! Request and response shapes shared by the adapters' routes.

use http::{HeaderMap, Method};
use serde_json::{Value, json};
use url::Url;

use crate::authorize::StartInteractiveLoginOptions;
use crate::error::Error;
use crate::refresh::AccessTokenResult;

/// The query of `GET <mount>/login`: only these keys reach the provider; anything else in the
/// query is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginQuery {
    /// Where to go after login (checked with [`safe_return_to`]).
    pub return_to: Option<String>,
    /// The organization to log in to.
    pub organization: Option<String>,
    /// An organization invitation.
    pub invitation: Option<String>,
}

impl LoginQuery {
    /// Reads `returnTo`, `organization` and `invitation` from a raw query string.
    pub fn parse(query: Option<&str>) -> Self {
        let mut found = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match name.as_ref() {
                "returnTo" => &mut found.return_to,
                "organization" => &mut found.organization,
                "invitation" => &mut found.invitation,
                _ => continue,
            };
            if slot.is_none() && !value.trim().is_empty() {
                *slot = Some(value.into_owned());
            }
        }
        found
    }

    /// The login options: the checked return path travels as `app_state.returnTo`.
    pub fn into_options(self, base_url: &Url) -> StartInteractiveLoginOptions {
        let return_to = safe_return_to(base_url, self.return_to.as_deref());
        let mut options =
            StartInteractiveLoginOptions::new().app_state(json!({ "returnTo": return_to }));
        if let Some(organization) = self.organization {
            options = options.organization(organization);
        }
        if let Some(invitation) = self.invitation {
            options = options.invitation(invitation);
        }
        options
    }
}

/// The longest `returnTo` kept; longer ones fall back to the home path rather than making
/// the login transaction too large for its cookie.
pub const MAX_RETURN_TO_LEN: usize = 2048;

/// `candidate` as a path with its query when it points into the app (resolved against
/// `base_url`: same scheme, host and port, under the base path), otherwise `/`-ish: the base
/// path. Keeps open redirects out.
pub fn safe_return_to(base_url: &Url, candidate: Option<&str>) -> String {
    let home = base_url.path().to_owned();
    let Some(candidate) = candidate.map(str::trim).filter(|c| !c.is_empty()) else {
        return home;
    };
    if candidate.len() > MAX_RETURN_TO_LEN {
        return home;
    }
    // Backslashes and control characters are read as slashes or dropped by some browsers.
    if candidate.contains('\\') || candidate.chars().any(char::is_control) {
        return home;
    }
    let Ok(resolved) = base_url.join(candidate) else {
        return home;
    };
    if resolved.origin() != base_url.origin() || !resolved.path().starts_with(base_url.path()) {
        return home;
    }
    // A path that starts with `//` (`/..//evil.example` resolves to one) would be read as
    // another host by whoever uses it as a relative URL.
    if resolved.path().starts_with("//") {
        return home;
    }
    match resolved.query() {
        Some(query) => format!("{}?{query}", resolved.path()),
        None => resolved.path().to_owned(),
    }
}

/// The return path kept in a login's `app_state`, checked again on the way out.
pub fn return_to_from_app_state(base_url: &Url, app_state: Option<&Value>) -> String {
    let candidate = app_state
        .and_then(|state| state.get("returnTo"))
        .and_then(Value::as_str);
    safe_return_to(base_url, candidate)
}

/// The JSON body of a failed SDK route: `{"error": code, "error_description": message}`.
pub fn error_body(err: &Error) -> Value {
    json!({ "error": err.code(), "error_description": err.to_string() })
}

/// The JSON body of `GET <mount>/access-token`.
pub fn access_token_body(token: &AccessTokenResult) -> Value {
    json!({
        "access_token": token.access_token.expose(),
        "expires_at": token.expires_at,
        "scope": token.scope,
        "audience": token.audience,
    })
}

/// Whether a signed-out request should be redirected to login (a browser navigating with
/// GET and asking for HTML) rather than answered with 401 (APIs, fetches, forms).
pub fn wants_login_redirect(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("text/html"))
}

/// The login URL that returns to `path_and_query` afterwards.
pub fn login_redirect(mount: &str, path_and_query: &str) -> String {
    let mut target = format!("{}/login", mount.trim_end_matches('/'));
    let encoded: String = url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
    target.push_str("?returnTo=");
    target.push_str(&encoded);
    target
}

#[cfg(test)]
mod tests;
