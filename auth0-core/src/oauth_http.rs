//! Building the form POSTs the core sends and reading the provider's JSON replies.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{Method, Request, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// The largest reply body the core reads; bigger replies are refused.
pub const MAX_REPLY_LEN: usize = 1024 * 1024;

/// A `application/x-www-form-urlencoded` POST request, without client authentication yet.
pub(crate) fn form_post(url: &str, form: &[(&str, &str)]) -> Result<Request<Vec<u8>>> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body(body.into_bytes())
        .map_err(|_| Error::configuration("an endpoint URL is not a valid request URI"))
}

/// Reads an OAuth JSON reply (RFC 6749 5.1 and 5.2).
///
/// Success statuses parse into `T`; an error object becomes [`Error::Api`] with its code; a
/// 5xx without one becomes [`Error::ProviderUnavailable`]; anything else is
/// [`Error::InvalidResponse`]. The reply's content never reaches an error message, except
/// the provider's own `error` and `error_description`.
pub(crate) fn read_json_reply<T: DeserializeOwned>(
    endpoint: &'static str,
    response: &Response<Vec<u8>>,
    success: &[u16],
) -> Result<T> {
    let status = response.status().as_u16();
    let body = response.body();
    if body.len() > MAX_REPLY_LEN {
        return Err(Error::invalid_response(endpoint, "the reply is too large"));
    }
    if success.contains(&status) {
        return serde_json::from_slice(body).map_err(|_| {
            tracing::warn!(
                endpoint,
                status,
                "the provider sent a reply that is not the expected JSON"
            );
            Error::invalid_response(endpoint, "the reply is not the expected JSON")
        });
    }
    if let Some(err) = oauth_error(body) {
        tracing::debug!(endpoint, status, code = %err.code(), "the provider returned an OAuth error");
        return Err(err);
    }
    tracing::warn!(
        endpoint,
        status,
        "the provider failed without an OAuth error"
    );
    if status >= 500 {
        Err(Error::ProviderUnavailable { endpoint, status })
    } else {
        Err(Error::invalid_response(
            endpoint,
            format!("unexpected HTTP status {status}"),
        ))
    }
}

/// An OAuth error object, if the body is one.
fn oauth_error(body: &[u8]) -> Option<Error> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let code = value.get("error")?.as_str()?;
    if code.is_empty() || code.len() > 128 || !code.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let description = value
        .get("error_description")
        .and_then(Value::as_str)
        .map(|text| text.chars().take(512).collect())
        .unwrap_or_default();
    Some(Error::Api {
        code: code.to_owned(),
        description,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply(status: u16, body: &str) -> Response<Vec<u8>> {
        Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn oauth_errors_keep_their_code_and_description() {
        let err = read_json_reply::<Value>(
            "token",
            &reply(
                400,
                r#"{"error":"invalid_grant","error_description":"code expired"}"#,
            ),
            &[200],
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_grant");
        assert_eq!(
            err.to_string(),
            "the provider returned invalid_grant: code expired"
        );
    }

    #[test]
    fn non_json_and_5xx_replies_get_their_own_codes() {
        let err =
            read_json_reply::<Value>("token", &reply(502, "<html>bad gateway</html>"), &[200]);
        assert_eq!(err.unwrap_err().code(), "provider_unavailable");
        let err = read_json_reply::<Value>("token", &reply(404, "nope"), &[200]).unwrap_err();
        assert_eq!(err.code(), "invalid_response");
        assert!(!err.to_string().contains("nope"));
        let err = read_json_reply::<Value>("token", &reply(200, "not json"), &[200]).unwrap_err();
        assert_eq!(err.code(), "invalid_response");
    }

    #[test]
    fn success_parses() {
        let value: Value = read_json_reply("par", &reply(201, r#"{"a":1}"#), &[200, 201]).unwrap();
        assert_eq!(value, json!({"a": 1}));
    }

    #[test]
    fn form_posts_are_url_encoded() {
        let request = form_post("https://t.test/token", &[("a", "b c"), ("d", "&=")]).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.body(), b"a=b+c&d=%26%3D");
        assert_eq!(
            request.headers()[CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
    }
}
