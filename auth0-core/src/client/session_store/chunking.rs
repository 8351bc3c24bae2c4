//! Splitting a sealed session over several cookies and putting it back together.
//!
//! The sealed value goes in cookies `_a0_session_0`, `_a0_session_1`, ... (the names Auth0's
//! Python SDK uses, so the two can share a domain and read each other's sessions), as few as
//! needed for every `Set-Cookie` header line, attributes included, to stay below
//! [`MAX_COOKIE_LEN`] bytes (RFC 6265 6.1). An unnumbered `_a0_session` is still read.
//! Cookies of ours that a write does not renew are expired, so no stale chunk outlives a
//! shrinking session or a move between the chunked and unchunked forms.

use cookie::Cookie;

use super::common::{response_cookie_names, session_cookie, set_cookie_len};
use crate::client::{MAX_COOKIE_LEN, StoreOptions};

/// The default bound on the number of chunks, about 40 KB of cookies. Many servers refuse
/// request headers above 8-16 KB, so sessions should stay far below it.
pub const DEFAULT_MAX_CHUNKS: usize = 10;

/// The session cookies found in a request.
#[derive(Debug, Default)]
pub(crate) struct FoundCookies {
    /// The names of every cookie of ours the browser sent, to clear them when needed.
    pub(crate) names: Vec<String>,
    /// The reassembled sealed value; `None` when absent or when the chunks do not line up.
    pub(crate) sealed: Option<String>,
}

/// How a session is laid out over cookies: the names, the attributes and the chunk bound.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    base: String,
    /// Whether cookies carry the `Secure` attribute.
    pub(crate) secure: bool,
    max_chunks: usize,
}

/// The session does not fit in the allowed number of cookies.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooLarge;

impl Layout {
    pub(crate) fn new(base: &str, secure: bool, max_chunks: usize) -> Self {
        Self {
            base: base.to_owned(),
            secure,
            max_chunks: max_chunks.max(1),
        }
    }

    pub(crate) fn max_chunks(&self) -> usize {
        self.max_chunks
    }

    pub(crate) fn set_max_chunks(&mut self, max_chunks: usize) {
        self.max_chunks = max_chunks.max(1);
    }

    /// Reads the session's cookies from the request: the unchunked cookie when present,
    /// otherwise chunks `0..n` in order. A gap, a duplicate index or too many chunks makes the
    /// value unreadable (`sealed: None`) rather than an error.
    pub(crate) fn read(&self, options: &StoreOptions) -> FoundCookies {
        let mut found = FoundCookies::default();
        let mut whole = None;
        let mut chunks: Vec<(usize, String)> = Vec::new();
        let mut too_many = false;
        for (name, value) in options.request_cookies() {
            let Some(index) = self.classify(&name) else {
                continue;
            };
            if index.is_some_and(|i| i >= self.max_chunks) {
                too_many = true; // Unreadable, and left alone (see `classify_bounded`).
                continue;
            }
            if found.names.contains(&name) {
                continue; // A duplicate (another path); browsers send the most specific first.
            }
            found.names.push(name);
            match index {
                None => whole = Some(value),
                Some(index) => chunks.push((index, value)),
            }
        }
        if whole.is_some() {
            found.sealed = whole;
            return found;
        }
        chunks.sort_by_key(|(index, _)| *index);
        let in_order = chunks.iter().enumerate().all(|(i, (index, _))| i == *index);
        if !chunks.is_empty() && in_order && !too_many {
            found.sealed = Some(chunks.into_iter().map(|(_, value)| value).collect());
        }
        found
    }

    /// Cuts a sealed value into cookies that each fit in a `Set-Cookie` header.
    pub(crate) fn split(
        &self,
        sealed: &str,
        max_age_secs: u64,
    ) -> Result<Vec<Cookie<'static>>, TooLarge> {
        let mut cookies = Vec::new();
        let mut rest = sealed;
        while !rest.is_empty() {
            if cookies.len() == self.max_chunks {
                return Err(TooLarge);
            }
            let name = format!("{}_{}", self.base, cookies.len());
            let empty = self.cookie(name.clone(), String::new(), max_age_secs);
            let budget = (MAX_COOKIE_LEN - 1).saturating_sub(set_cookie_len(&empty));
            let mut cut = budget.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut -= 1; // Sealed values are ASCII; this only guards the slice.
            }
            if cut == 0 {
                return Err(TooLarge);
            }
            let (head, tail) = rest.split_at(cut);
            let cookie = self.cookie(name, head.to_owned(), max_age_secs);
            if set_cookie_len(&cookie) >= MAX_COOKIE_LEN {
                return Err(TooLarge); // Percent-encoding grew the value past the budget.
            }
            cookies.push(cookie);
            rest = tail;
        }
        Ok(cookies)
    }

    /// Adds the new cookies to the response and expires every other cookie of ours that the
    /// browser sent or this response already set.
    pub(crate) fn write(&self, options: &mut StoreOptions, cookies: &[Cookie<'static>]) {
        let written: Vec<&str> = cookies.iter().map(|cookie| cookie.name()).collect();
        let stale: Vec<String> = self
            .known_names(options)
            .into_iter()
            .filter(|name| !written.contains(&name.as_str()))
            .collect();
        for cookie in cookies {
            options.add_set_cookie(cookie);
        }
        for name in stale {
            options.add_set_cookie(&self.removal(name));
        }
    }

    /// Expires every cookie of ours the browser sent or this response set, and the base name.
    pub(crate) fn clear(&self, options: &mut StoreOptions) {
        let mut names = self.known_names(options);
        if !names.contains(&self.base) {
            names.insert(0, self.base.clone());
        }
        for name in names {
            options.add_set_cookie(&self.removal(name));
        }
    }

    /// `None` for the unchunked name, `Some(i)` for chunk `i`, nothing for other cookies.
    fn classify(&self, name: &str) -> Option<Option<usize>> {
        let rest = name.strip_prefix(self.base.as_str())?;
        if rest.is_empty() {
            return Some(None);
        }
        let digits = rest.strip_prefix('_')?;
        let canonical = !digits.is_empty()
            && digits.len() <= 4
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        canonical.then(|| digits.parse().ok()).flatten().map(Some)
    }

    /// Like [`Self::classify`], but chunks past the bound are not ours to clear: a request
    /// carrying thousands of them must not get thousands of `Set-Cookie` headers back.
    fn classify_bounded(&self, name: &str) -> Option<Option<usize>> {
        self.classify(name)
            .filter(|index| index.is_none_or(|i| i < self.max_chunks))
    }

    fn known_names(&self, options: &StoreOptions) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let sent = options.request_cookies().map(|(name, _)| name);
        for name in sent.chain(response_cookie_names(options)) {
            if self.classify_bounded(&name).is_some() && !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    fn cookie(&self, name: String, value: String, max_age_secs: u64) -> Cookie<'static> {
        session_cookie(name, value, max_age_secs, self.secure)
    }

    fn removal(&self, name: String) -> Cookie<'static> {
        self.cookie(name, String::new(), 0)
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use http::header::{COOKIE, SET_COOKIE};

    use super::*;

    fn request(cookies: &str) -> StoreOptions {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, cookies.parse().unwrap());
        StoreOptions::from_request_headers(&headers)
    }

    fn set_cookies(options: &StoreOptions) -> Vec<String> {
        let headers = options.response_headers().get_all(SET_COOKIE);
        headers
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn small_values_use_one_cookie_and_large_ones_fit_every_header() {
        let layout = Layout::new("_a0_session", true, 10);
        let one = layout.split(&"a".repeat(3000), 86_400).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name(), "_a0_session_0");

        let many = layout.split(&"b".repeat(20_000), 86_400).unwrap();
        assert_eq!(many.len(), 5);
        for (i, cookie) in many.iter().enumerate() {
            assert_eq!(cookie.name(), format!("_a0_session_{i}"));
            assert!(set_cookie_len(cookie) < MAX_COOKIE_LEN);
        }
        // The budget is used: all but the last chunk are within a few bytes of the limit.
        assert!(set_cookie_len(&many[0]) >= MAX_COOKIE_LEN - 2);
        assert_eq!(layout.split(&"c".repeat(41_000), 1), Err(TooLarge));
    }

    #[test]
    fn reads_whole_or_ordered_chunks_only() {
        let layout = Layout::new("_a0_session", false, 3);
        let found = layout.read(&request("_a0_session_1=b; x=1; _a0_session_0=a"));
        assert_eq!(found.sealed.as_deref(), Some("ab"));
        assert_eq!(found.names.len(), 2);

        let whole = layout.read(&request("_a0_session=w; _a0_session_0=a"));
        assert_eq!(whole.sealed.as_deref(), Some("w"));

        for garbage in [
            "_a0_session_1=b",
            "_a0_session_0=a; _a0_session_2=c",
            "_a0_session_0=a; _a0_session_1=b; _a0_session_2=c; _a0_session_3=d",
            "_a0_session_00=a",
        ] {
            let found = layout.read(&request(garbage));
            assert_eq!(found.sealed, None, "{garbage}");
        }
        assert!(
            layout
                .read(&request("_a0_sessionx=1; _a0_session_x=2"))
                .names
                .is_empty()
        );
    }

    #[test]
    fn chunks_past_the_bound_are_neither_read_nor_cleared() {
        let layout = Layout::new("_a0_session", false, 3);
        let many: Vec<String> = (0..2000).map(|i| format!("_a0_session_{i}=x")).collect();
        let mut options = request(&many.join("; "));
        let found = layout.read(&options);
        assert_eq!(found.names.len(), 3);
        layout.clear(&mut options);
        assert_eq!(
            set_cookies(&options).len(),
            4,
            "the three chunks and the unnumbered name"
        );
    }

    #[test]
    fn writes_expire_stale_chunks() {
        let layout = Layout::new("_a0_session", false, 10);
        // A legacy unnumbered cookie and two chunks; the session shrinks to one chunk.
        let mut options = request("_a0_session=w; _a0_session_0=a; _a0_session_1=b; other=1");
        let cookies = layout.split("small", 60).unwrap();
        layout.write(&mut options, &cookies);
        let headers = set_cookies(&options);
        assert_eq!(headers.len(), 3, "{headers:?}");
        assert!(headers[0].starts_with("_a0_session_0=small;"));
        assert!(headers[1].starts_with("_a0_session=;") && headers[1].contains("Max-Age=0"));
        assert!(headers[2].starts_with("_a0_session_1=;") && headers[2].contains("Max-Age=0"));

        // A second write in the same response also expires what the first one set.
        let mut options = request("other=1");
        let big = layout.split(&"z".repeat(5000), 60).unwrap();
        assert_eq!(big.len(), 2);
        layout.write(&mut options, &big);
        let cookies = layout.split("small", 60).unwrap();
        layout.write(&mut options, &cookies);
        let last: Vec<String> = set_cookies(&options).into_iter().skip(2).collect();
        assert!(last.iter().any(|h| h.starts_with("_a0_session_0=small;")));
        assert!(
            last.iter()
                .any(|h| h.starts_with("_a0_session_1=;") && h.contains("Max-Age=0"))
        );
    }

    #[test]
    fn clear_always_expires_the_base_name() {
        let layout = Layout::new("_a0_session", true, 10);
        let mut options = StoreOptions::new();
        layout.clear(&mut options);
        let headers = set_cookies(&options);
        assert_eq!(headers.len(), 1);
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=0"] {
            assert!(headers[0].contains(attribute), "{}", headers[0]);
        }
    }
}
