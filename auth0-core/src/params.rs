//! Authorization request parameters: the defaults of the client and the overrides of a call.
//!
//! Parameters are typed where the SDK gives them meaning (`redirect_uri`, `scope`,
//! `audience`, `max_age`, `authorization_details`) and free-form otherwise, so any custom
//! key (`foo=bar`, `connection`, `screen_hint`, ...) reaches the provider unchanged.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};

/// The parameters the SDK itself controls; neither configuration nor a call may set them.
pub const RESERVED_PARAMS: [&str; 6] = [
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_type",
    "client_id",
];

/// The scope requested when none is configured.
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";

/// A requested scope: one value, or one value per API audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The same scope whatever the audience.
    Single(String),
    /// A scope per audience; the entry for the request's audience is used.
    PerAudience(BTreeMap<String, String>),
}

impl Scope {
    /// The scope string that applies to `audience`, if any.
    pub fn for_audience(&self, audience: Option<&str>) -> Option<&str> {
        match self {
            Self::Single(scope) => Some(scope),
            Self::PerAudience(map) => map.get(audience.unwrap_or_default()).map(String::as_str),
        }
    }
}

impl From<&str> for Scope {
    fn from(value: &str) -> Self {
        Self::Single(value.to_owned())
    }
}

impl From<String> for Scope {
    fn from(value: String) -> Self {
        Self::Single(value)
    }
}

impl From<BTreeMap<String, String>> for Scope {
    fn from(value: BTreeMap<String, String>) -> Self {
        Self::PerAudience(value)
    }
}

/// Parameters for the `/authorize` request (OIDC Core 3.1.2.1), built with chained setters.
///
/// ```
/// use auth0_core::AuthorizationParams;
///
/// let params = AuthorizationParams::new()
///     .redirect_uri("http://localhost:3000/auth/callback")
///     .scope("openid profile email")
///     .audience("urn:custom:api")
///     .param("foo", "bar");
/// assert_eq!(params.get("foo"), Some("bar"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorizationParams {
    pub(crate) redirect_uri: Option<String>,
    pub(crate) scope: Option<Scope>,
    pub(crate) audience: Option<String>,
    pub(crate) max_age: Option<u64>,
    pub(crate) authorization_details: Option<RawDetails>,
    pub(crate) extra: BTreeMap<String, String>,
}

/// `authorization_details` as given, checked when a login starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawDetails {
    Json(String),
    Value(Value),
}

impl AuthorizationParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the provider sends the browser back to.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The requested scope (merged with the configured one and always containing `openid`).
    pub fn scope(mut self, scope: impl Into<Scope>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API the access token is for (Auth0's `audience`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The maximum authentication age in seconds; `auth_time` is then checked at callback.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Rich Authorization Request details (RFC 9396): a JSON array of objects.
    pub fn authorization_details(mut self, details: Value) -> Self {
        self.authorization_details = Some(RawDetails::Value(details));
        self
    }

    /// Any parameter by name. Known names (`scope`, `audience`, `redirect_uri`, `max_age`,
    /// `authorization_details`) go to their typed field; reserved names are refused when the
    /// login starts.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        match name.as_str() {
            "redirect_uri" => self.redirect_uri = Some(value),
            "scope" => self.scope = Some(Scope::Single(value)),
            "audience" => self.audience = Some(value),
            "authorization_details" => self.authorization_details = Some(RawDetails::Json(value)),
            "max_age" => match value.parse() {
                Ok(seconds) => self.max_age = Some(seconds),
                Err(_) => {
                    self.extra.insert(name, value);
                }
            },
            _ => {
                self.extra.insert(name, value);
            }
        }
        self
    }

    /// The value of a free-form parameter, or of `redirect_uri` / `audience`.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "redirect_uri" => self.redirect_uri.as_deref(),
            "audience" => self.audience.as_deref(),
            _ => self.extra.get(name).map(String::as_str),
        }
    }

    /// Refuses reserved names and malformed values.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(name) = self
            .extra
            .keys()
            .find(|k| RESERVED_PARAMS.contains(&k.as_str()))
        {
            return Err(Error::invalid_argument(
                "authorization_params",
                format!("{name} is set by the SDK and cannot be overridden"),
            ));
        }
        if self.extra.contains_key("max_age") {
            return Err(Error::invalid_argument(
                "max_age",
                "must be a number of seconds",
            ));
        }
        if let Some(details) = &self.authorization_details {
            details.to_json_array()?;
        }
        Ok(())
    }
}

impl RawDetails {
    /// The details as a JSON array, or `invalid_argument` for anything else.
    pub(crate) fn to_json_array(&self) -> Result<Value> {
        let value = match self {
            Self::Value(value) => value.clone(),
            Self::Json(text) => serde_json::from_str(text).map_err(|_| {
                Error::invalid_argument("authorization_details", "is not valid JSON")
            })?,
        };
        if !value.is_array() {
            return Err(Error::invalid_argument(
                "authorization_details",
                "must be a JSON array",
            ));
        }
        Ok(value)
    }
}

/// Merges scope strings: `defaults` then `requested`, de-duplicated in order, `openid` first
/// when neither has it.
pub fn merge_scopes(defaults: Option<&str>, requested: Option<&str>) -> String {
    let mut merged: Vec<&str> = Vec::new();
    let words = defaults
        .into_iter()
        .chain(requested)
        .flat_map(str::split_whitespace);
    for word in words {
        if !merged.contains(&word) {
            merged.push(word);
        }
    }
    if !merged.contains(&"openid") {
        merged.insert(0, "openid");
    }
    merged.join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scopes_merge_in_order_without_duplicates_and_with_openid() {
        assert_eq!(merge_scopes(None, None), "openid");
        assert_eq!(
            merge_scopes(Some("profile email"), None),
            "openid profile email"
        );
        assert_eq!(
            merge_scopes(Some("openid profile"), Some("email profile  read:x")),
            "openid profile email read:x"
        );
        assert_eq!(merge_scopes(Some("a"), Some("openid b")), "a openid b");
    }

    #[test]
    fn per_audience_scope_picks_the_audience_entry() {
        let scope = Scope::PerAudience(BTreeMap::from([
            ("api-1".to_owned(), "read:1".to_owned()),
            (String::new(), "profile".to_owned()),
        ]));
        assert_eq!(scope.for_audience(Some("api-1")), Some("read:1"));
        assert_eq!(scope.for_audience(Some("api-2")), None);
        assert_eq!(scope.for_audience(None), Some("profile"));
    }

    #[test]
    fn reserved_params_are_refused() {
        for name in RESERVED_PARAMS {
            let err = AuthorizationParams::new()
                .param(name, "x")
                .check()
                .unwrap_err();
            assert_eq!(err.code(), "invalid_argument", "{name}");
        }
        assert!(
            AuthorizationParams::new()
                .param("foo", "bar")
                .check()
                .is_ok()
        );
    }

    #[test]
    fn known_names_go_to_typed_fields() {
        let params = AuthorizationParams::new()
            .param("scope", "openid email")
            .param("audience", "api")
            .param("max_age", "30");
        assert_eq!(params.scope, Some(Scope::Single("openid email".into())));
        assert_eq!(params.audience.as_deref(), Some("api"));
        assert_eq!(params.max_age, Some(30));
        let bad = AuthorizationParams::new().param("max_age", "soon");
        assert_eq!(bad.check().unwrap_err().code(), "invalid_argument");
    }

    #[test]
    fn authorization_details_must_be_an_array() {
        let ok = AuthorizationParams::new().param("authorization_details", r#"[{"type":"t"}]"#);
        assert!(ok.check().is_ok());
        let ok = AuthorizationParams::new().authorization_details(json!([{"type": "t"}]));
        assert!(ok.check().is_ok());
        for bad in [r#"{"type":"t"}"#, "not json", "\"[]\"", "42"] {
            let params = AuthorizationParams::new().param("authorization_details", bad);
            assert_eq!(
                params.check().unwrap_err().code(),
                "invalid_argument",
                "{bad}"
            );
        }
        let params = AuthorizationParams::new().authorization_details(json!({"type": "t"}));
        assert_eq!(params.check().unwrap_err().code(), "invalid_argument");
    }
}
