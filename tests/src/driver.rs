//! A headless browser for the provider's login and logout pages, and helpers for its
//! registration and test endpoints.
//!
//! The provider's interactions need no HTML forms (see `tests/provider/README.md`): a login is
//! a chain of `303` redirects on the provider's origin that ends with a redirect to the RP.
//! [`Browser::authorize`] follows that chain by hand with a path-aware cookie jar and returns
//! the first URL that leaves the provider, without requesting it, so no RP has to listen.

use std::fmt;
use std::time::Duration;

use reqwest::{StatusCode, redirect};
use serde_json::Value;
use url::{Origin, Url};

use crate::provider::Provider;

/// Redirect hops followed before giving up; a first login takes five.
const MAX_HOPS: usize = 20;

/// Timeout of every request the driver makes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors of the driver and the helpers.
#[derive(Debug)]
#[non_exhaustive]
pub enum DriveError {
    /// A URL given to the driver, or a `Location` header, could not be parsed.
    BadUrl(String),
    /// The request failed at the HTTP level (connection refused, timeout, ...).
    Http(reqwest::Error),
    /// The provider answered a page where a redirect was expected, e.g. its HTML error page
    /// (HTTP 400) for an unknown client or a wrong `redirect_uri`.
    NoRedirect {
        /// URL that answered.
        url: Url,
        /// Its status.
        status: StatusCode,
        /// Its body.
        body: String,
    },
    /// The login ended in a `form_post` auto-submit form where a redirect was expected.
    UnexpectedForm(FormPost),
    /// More than 20 redirects without leaving the provider.
    TooManyRedirects {
        /// Last URL reached.
        last: Url,
    },
    /// A page that should hold a form (the logout confirmation) holds none.
    MissingForm {
        /// URL of the page.
        url: Url,
        /// Its body.
        body: String,
    },
    /// An endpoint answered with an unexpected status.
    Status {
        /// URL of the endpoint.
        url: Url,
        /// Its status.
        status: StatusCode,
        /// Its body.
        body: String,
    },
    /// A JSON reply lacked a member or was not JSON.
    BadJson(String),
}

impl fmt::Display for DriveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadUrl(detail) => write!(f, "bad url: {detail}"),
            Self::Http(err) => write!(f, "http request failed: {err}"),
            Self::NoRedirect { url, status, body } => {
                write!(
                    f,
                    "no redirect (HTTP {status}) from {url}: {}",
                    excerpt(body)
                )
            }
            Self::UnexpectedForm(form) => write!(f, "unexpected form posting to {}", form.action),
            Self::TooManyRedirects { last } => write!(f, "too many redirects, last at {last}"),
            Self::MissingForm { url, body } => {
                write!(f, "no form on the page at {url}: {}", excerpt(body))
            }
            Self::Status { url, status, body } => {
                write!(f, "unexpected HTTP {status} from {url}: {}", excerpt(body))
            }
            Self::BadJson(detail) => write!(f, "bad json reply: {detail}"),
        }
    }
}

impl std::error::Error for DriveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Http(err) => Some(err),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for DriveError {
    fn from(err: reqwest::Error) -> Self {
        Self::Http(err)
    }
}

/// An HTML form: where it posts and its fields, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPost {
    /// The form's `action`, resolved against the page URL.
    pub action: Url,
    /// `(name, value)` of each `<input>` with a name.
    pub fields: Vec<(String, String)>,
}

impl FormPost {
    /// Returns the value of the first field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Where a navigation on the provider ended.
#[derive(Debug, Clone)]
pub enum Landing {
    /// A redirect to another origin (the RP); the URL was not requested.
    Redirect(Url),
    /// A page on the provider holding a form that posts to another origin
    /// (`response_mode=form_post`).
    Form(FormPost),
    /// Any other page on the provider.
    Page {
        /// URL of the page.
        url: Url,
        /// Its status.
        status: StatusCode,
        /// Its body.
        body: String,
    },
}

/// A client created through dynamic registration.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    /// The `client_id` the provider issued.
    pub client_id: String,
    /// The `client_secret`, when the provider issued one.
    pub client_secret: Option<String>,
    /// The whole registration response.
    pub metadata: Value,
}

/// A cookie-keeping HTTP client that follows the provider's redirects by hand.
///
/// One `Browser` is one user agent: keep it after a login to log in again with SSO or to log
/// out. Create it inside the test's runtime and use it there.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// Creates a browser with an empty cookie jar, no automatic redirects, no proxy and a 10 s
    /// timeout per request.
    pub fn new() -> Self {
        Self {
            http: http_client(true),
        }
    }

    /// Returns the underlying client, to send requests that share this browser's cookies.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Follows an authorization request to the redirect that leaves the provider and returns
    /// that URL (the RP callback, carrying `code` or `error`, `state` and `iss`).
    pub async fn authorize(&self, url: &str) -> Result<Url, DriveError> {
        match self.navigate(url).await? {
            Landing::Redirect(callback) => Ok(callback),
            Landing::Form(form) => Err(DriveError::UnexpectedForm(form)),
            Landing::Page { url, status, body } => {
                Err(DriveError::NoRedirect { url, status, body })
            }
        }
    }

    /// Like [`Browser::authorize`] for `response_mode=form_post`: returns the auto-submit form
    /// the provider renders instead of requesting its action.
    pub async fn authorize_form_post(&self, url: &str) -> Result<FormPost, DriveError> {
        match self.navigate(url).await? {
            Landing::Form(form) => Ok(form),
            Landing::Redirect(callback) => Err(DriveError::NoRedirect {
                url: callback,
                status: StatusCode::SEE_OTHER,
                body: "expected a form_post page, got a redirect".to_owned(),
            }),
            Landing::Page { url, status, body } => {
                Err(DriveError::NoRedirect { url, status, body })
            }
        }
    }

    /// Requests `url` with GET and follows redirects while they stay on its origin.
    pub async fn navigate(&self, url: &str) -> Result<Landing, DriveError> {
        let start = parse_url(url)?;
        let origin = start.origin();
        self.follow(origin, start).await
    }

    /// Performs RP-initiated logout with this browser's session.
    ///
    /// `end_session_url` is the provider's `end_session_endpoint` with its query
    /// (`id_token_hint`, `post_logout_redirect_uri`, `state`, ...), as an SDK's logout returns
    /// it. The provider's confirmation form is submitted with `logout=yes`; the provider sends
    /// the back-channel logout requests before it answers. Returns the URL the browser ends on:
    /// `post_logout_redirect_uri?state=...` (not requested), or the provider's own sign-out
    /// page when there was no redirect URI.
    pub async fn logout(&self, end_session_url: &str) -> Result<Url, DriveError> {
        let origin = parse_url(end_session_url)?.origin();
        let (page_url, body) = match self.navigate(end_session_url).await? {
            Landing::Redirect(url) => return Ok(url),
            Landing::Form(form) => return Err(DriveError::UnexpectedForm(form)),
            Landing::Page { url, status, body } if status.is_success() => (url, body),
            Landing::Page { url, status, body } => {
                return Err(DriveError::NoRedirect { url, status, body });
            }
        };

        let Some(mut form) = parse_form(&page_url, &body) else {
            return Err(DriveError::MissingForm {
                url: page_url,
                body,
            });
        };
        if form.field("logout").is_none() {
            form.fields.push(("logout".to_owned(), "yes".to_owned()));
        }

        let response = self
            .http
            .post(form.action.clone())
            .form(&form.fields)
            .send()
            .await?;
        match self.landing_of(&origin, form.action, response).await? {
            Step::Leave(landing) => match landing {
                Landing::Redirect(url) | Landing::Page { url, .. } => Ok(url),
                Landing::Form(form) => Err(DriveError::UnexpectedForm(form)),
            },
            Step::Next(next) => match self.follow(origin, next).await? {
                Landing::Redirect(url) | Landing::Page { url, .. } => Ok(url),
                Landing::Form(form) => Err(DriveError::UnexpectedForm(form)),
            },
        }
    }

    async fn follow(&self, origin: Origin, start: Url) -> Result<Landing, DriveError> {
        let mut current = start;
        for _ in 0..MAX_HOPS {
            let response = self.http.get(current.clone()).send().await?;
            match self.landing_of(&origin, current, response).await? {
                Step::Leave(landing) => return Ok(landing),
                Step::Next(next) => current = next,
            }
        }
        Err(DriveError::TooManyRedirects { last: current })
    }

    /// Classifies one response: a redirect to follow, or where the navigation ends.
    async fn landing_of(
        &self,
        origin: &Origin,
        url: Url,
        response: reqwest::Response,
    ) -> Result<Step, DriveError> {
        let status = response.status();
        if status.is_redirection() {
            if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
                let location = location
                    .to_str()
                    .map_err(|_| DriveError::BadUrl("non-ASCII Location header".to_owned()))?;
                let next = url
                    .join(location)
                    .map_err(|err| DriveError::BadUrl(format!("Location {location:?}: {err}")))?;
                return Ok(if &next.origin() == origin {
                    Step::Next(next)
                } else {
                    Step::Leave(Landing::Redirect(next))
                });
            }
        }

        let body = response.text().await?;
        if let Some(form) = parse_form(&url, &body) {
            if &form.action.origin() != origin {
                return Ok(Step::Leave(Landing::Form(form)));
            }
        }
        Ok(Step::Leave(Landing::Page { url, status, body }))
    }
}

/// One step of a navigation.
enum Step {
    Next(Url),
    Leave(Landing),
}

/// Registers a client through the provider's open dynamic registration (`POST /reg`).
///
/// `metadata` is the client metadata JSON (RFC 7591), e.g.
/// `{"redirect_uris": ["http://127.0.0.1:4000/callback"], "backchannel_logout_uri": ...}`.
/// Unless it says otherwise the client uses `client_secret_basic`, RS256 ID tokens and the
/// `authorization_code` and `refresh_token` grants. Add
/// `"authorization_details_types": ["money_transfer"]` for RAR.
pub async fn register_client(
    provider: &Provider,
    metadata: &Value,
) -> Result<RegisteredClient, DriveError> {
    let url = parse_url(&provider.url("/reg"))?;
    let response = http_client(false)
        .post(url.clone())
        .json(metadata)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    if status != StatusCode::CREATED {
        return Err(DriveError::Status { url, status, body });
    }

    let metadata: Value =
        serde_json::from_str(&body).map_err(|err| DriveError::BadJson(err.to_string()))?;
    let client_id = metadata["client_id"]
        .as_str()
        .ok_or_else(|| DriveError::BadJson("registration reply without client_id".to_owned()))?
        .to_owned();
    let client_secret = metadata["client_secret"].as_str().map(str::to_owned);
    Ok(RegisteredClient {
        client_id,
        client_secret,
        metadata,
    })
}

/// Makes the provider send a back-channel logout token for `sub` (and `sid`) to the client's
/// registered `backchannel_logout_uri`, through its test-only endpoint.
///
/// Returns once the RP answered; an RP that does not answer 200 or 204 gives
/// [`DriveError::Status`] with status 502 and the reason in the body.
pub async fn backchannel_logout(
    provider: &Provider,
    client_id: &str,
    sub: &str,
    sid: Option<&str>,
) -> Result<(), DriveError> {
    let url = parse_url(&provider.url("/__test/backchannel-logout"))?;
    let mut form = vec![("client_id", client_id), ("sub", sub)];
    if let Some(sid) = sid {
        form.push(("sid", sid));
    }

    let response = http_client(false)
        .post(url.clone())
        .form(&form)
        .send()
        .await?;
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(DriveError::Status { url, status, body })
}

/// Builds the driver's HTTP client. A fresh one per helper call: a client's pooled connections
/// belong to the runtime that opened them, and every `#[tokio::test]` has its own runtime.
fn http_client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .no_proxy()
        .build()
        .expect("cannot build the driver's HTTP client")
}

fn parse_url(url: &str) -> Result<Url, DriveError> {
    Url::parse(url).map_err(|err| DriveError::BadUrl(format!("{url:?}: {err}")))
}

fn excerpt(body: &str) -> &str {
    let end = body
        .char_indices()
        .nth(300)
        .map_or(body.len(), |(index, _)| index);
    &body[..end]
}

/// Extracts the first `<form>` of a page: its action (resolved against `page`) and the named
/// `<input>` fields before `</form>`. Enough for the provider's own pages, not general HTML.
fn parse_form(page: &Url, html: &str) -> Option<FormPost> {
    let start = find_tag(html, 0, "form")?;
    let (attributes, after_tag) = tag_attributes(html, start)?;
    let action = match attribute(&attributes, "action") {
        Some(action) => page.join(&action).ok()?,
        None => page.clone(),
    };

    let end = html[after_tag..]
        .find("</form")
        .map_or(html.len(), |offset| after_tag + offset);
    let mut fields = Vec::new();
    let mut cursor = after_tag;
    while let Some(input) = find_tag(&html[..end], cursor, "input") {
        let (attributes, next) = tag_attributes(html, input)?;
        if let Some(name) = attribute(&attributes, "name") {
            fields.push((name, attribute(&attributes, "value").unwrap_or_default()));
        }
        cursor = next;
    }
    Some(FormPost { action, fields })
}

/// Byte offset of the next `<name` tag (case-insensitive) at or after `from`.
fn find_tag(html: &str, from: usize, name: &str) -> Option<usize> {
    let lower = html.get(from..)?.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut offset = 0;
    while let Some(found) = lower[offset..].find(&needle) {
        let at = offset + found;
        let next = lower.as_bytes().get(at + needle.len()).copied();
        if next.is_none_or(|byte| byte.is_ascii_whitespace() || byte == b'>' || byte == b'/') {
            return Some(from + at);
        }
        offset = at + needle.len();
    }
    None
}

/// Parses the attributes of the tag starting at `start`; returns them (names lower-cased,
/// values entity-decoded) and the offset just past the tag.
fn tag_attributes(html: &str, start: usize) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = html.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
        i += 1;
    }

    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((attributes, i + 1));
        }

        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();

        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            match bytes.get(i)? {
                quote @ (b'"' | b'\'') => {
                    let close = html[i + 1..].find(*quote as char)? + i + 1;
                    value = decode_entities(&html[i + 1..close]);
                    i = close + 1;
                }
                _ => {
                    let value_start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = decode_entities(&html[value_start..i]);
                }
            }
        }
        attributes.push((name, value));
    }
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// Decodes the character references the provider emits (`&amp;` and friends, numeric ones).
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let character = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            character.map(|character| (character, semi + 1))
        });
        match decoded {
            Some((character, length)) => {
                out.push(character);
                rest = &rest[length..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Returns the parameters of the authorization request the provider received with `state`,
/// exactly as sent (the `/auth` query or the PAR body), or `None` if it saw none.
pub async fn received_authorization_params(
    provider: &Provider,
    state: &str,
) -> Result<Option<Value>, DriveError> {
    let mut url = parse_url(&provider.url("/__test/authorization-params"))?;
    url.query_pairs_mut().append_pair("state", state);
    let response = http_client(false).get(url.clone()).send().await?;
    let status = response.status();
    let body = response.text().await?;
    match status {
        StatusCode::OK => serde_json::from_str(&body)
            .map(Some)
            .map_err(|err| DriveError::BadJson(err.to_string())),
        StatusCode::NOT_FOUND => Ok(None),
        _ => Err(DriveError::Status { url, status, body }),
    }
}

/// Returns how many token endpoint calls `client_id` made with `grant_type` so far.
pub async fn token_request_count(
    provider: &Provider,
    client_id: &str,
    grant_type: &str,
) -> Result<u64, DriveError> {
    let mut url = parse_url(&provider.url("/__test/token-requests"))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("grant_type", grant_type);
    let response = http_client(false).get(url.clone()).send().await?;
    let status = response.status();
    let body = response.text().await?;
    if status != StatusCode::OK {
        return Err(DriveError::Status { url, status, body });
    }
    let value: Value =
        serde_json::from_str(&body).map_err(|err| DriveError::BadJson(err.to_string()))?;
    value["count"]
        .as_u64()
        .ok_or_else(|| DriveError::BadJson("no count in the reply".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://127.0.0.1:4400/session/end?x=1").unwrap()
    }

    #[test]
    fn parses_the_logout_form() {
        let html = r#"<body><form id="op.logoutForm" method="post"
            action="http://127.0.0.1:4400/session/end/confirm"><input type="hidden" name="xsrf"
            value="abc123"/></form><button name="logout" value="yes">x</button></body>"#;
        let form = parse_form(&page(), html).unwrap();
        assert_eq!(
            form.action.as_str(),
            "http://127.0.0.1:4400/session/end/confirm"
        );
        assert_eq!(form.fields, vec![("xsrf".to_owned(), "abc123".to_owned())]);
    }

    #[test]
    fn parses_a_form_post_response_with_entities_and_relative_action() {
        let html = "<FORM method=post action='/cb?a=1&amp;b=2'>\n<input type=\"hidden\" \
                    name=\"state\" value=\"a&quot;b&#39;c&#x26;\"/>\n<input name=code value=xyz>\
                    </form><input name=\"outside\" value=\"no\"/>";
        let form = parse_form(&page(), html).unwrap();
        assert_eq!(form.action.as_str(), "http://127.0.0.1:4400/cb?a=1&b=2");
        assert_eq!(form.field("state"), Some("a\"b'c&"));
        assert_eq!(form.field("code"), Some("xyz"));
        assert_eq!(form.field("outside"), None);
    }

    #[test]
    fn finds_no_form_where_there_is_none() {
        assert_eq!(
            parse_form(&page(), "<formula>no</formula><p>plain page</p>"),
            None
        );
    }

    #[test]
    fn leaves_unknown_entities_alone() {
        assert_eq!(
            decode_entities("a &bogus; b & c &#65;"),
            "a &bogus; b & c A"
        );
    }
}
