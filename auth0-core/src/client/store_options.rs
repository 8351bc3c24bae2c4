//! What stores read from the request and write to the response.

use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};

/// The HTTP exchange a store works in: the request's headers to read cookies from, and the
/// `Set-Cookie` headers to add to the response. The seed's `store_options`.
///
/// Adapters fill it from their framework's request and copy
/// [`response_headers`](Self::response_headers) onto their response.
#[derive(Default, Clone)]
pub struct StoreOptions {
    request: HeaderMap,
    response: HeaderMap,
}

/// Prints header names and counts only: cookie values carry sealed sessions and session ids.
impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("request_cookie_headers", &self.request.len())
            .field(
                "response_headers",
                &self.response.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl StoreOptions {
    /// No request (a background job, a test): stores that need cookies find none.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the `Cookie` headers of a request.
    pub fn from_request_headers(headers: &HeaderMap) -> Self {
        let mut request = HeaderMap::new();
        for value in headers.get_all(COOKIE) {
            let mut value = value.clone();
            value.set_sensitive(true);
            request.append(COOKIE, value);
        }
        Self {
            request,
            response: HeaderMap::new(),
        }
    }

    /// The request's headers as the stores see them.
    pub fn request_headers(&self) -> &HeaderMap {
        &self.request
    }

    /// The headers to add to the response (`Set-Cookie`, possibly several).
    pub fn response_headers(&self) -> &HeaderMap {
        &self.response
    }

    /// Takes the response headers out, leaving none.
    pub fn take_response_headers(&mut self) -> HeaderMap {
        std::mem::take(&mut self.response)
    }

    /// The value of the request cookie `name`, if sent.
    pub fn request_cookie(&self, name: &str) -> Option<String> {
        self.request_cookies()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every request cookie as (name, value), in the order sent.
    pub fn request_cookies(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.request
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            // Not percent-decoded: every value the SDK writes is base64url and dots, and
            // decoding kilobytes of session cookie on every request is measurable.
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .map(|c| (c.name().to_owned(), c.value().to_owned()))
    }

    /// Adds a `Set-Cookie` header to the response.
    pub(crate) fn add_set_cookie(&mut self, cookie: &cookie::Cookie<'_>) {
        if let Ok(mut value) = http::HeaderValue::try_from(cookie.encoded().to_string()) {
            value.set_sensitive(true);
            self.response.append(SET_COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_from_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; b=2".parse().unwrap());
        headers.append(COOKIE, "c=3".parse().unwrap());
        headers.append("x-other", "ignored".parse().unwrap());
        let options = StoreOptions::from_request_headers(&headers);
        assert_eq!(options.request_cookie("b").as_deref(), Some("2"));
        assert_eq!(options.request_cookie("c").as_deref(), Some("3"));
        assert_eq!(options.request_cookie("d"), None);
        assert_eq!(options.request_headers().len(), 2);
    }

    #[test]
    fn debug_shows_no_cookie_values() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "_a0_session=secret-session-id".parse().unwrap());
        let mut options = StoreOptions::from_request_headers(&headers);
        options.add_set_cookie(&cookie::Cookie::new("_a0_session", "another-secret"));
        let printed = format!("{options:?}");
        assert!(!printed.contains("secret-session-id") && !printed.contains("another-secret"));
        assert!(printed.contains("set-cookie"), "{printed}");
    }

    #[test]
    fn garbage_cookie_headers_are_skipped() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            http::HeaderValue::from_bytes(b"\xff\xfe=1").unwrap(),
        );
        headers.append(COOKIE, ";;;=;a".parse().unwrap());
        let options = StoreOptions::from_request_headers(&headers);
        assert_eq!(options.request_cookies().count(), 0);
    }
}
