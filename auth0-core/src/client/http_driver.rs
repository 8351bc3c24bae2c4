//! Sends the core's `http::Request`s with reqwest and reads replies into `http::Response`s.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::oauth_http::MAX_REPLY_LEN;

/// A reqwest client used for every call to the provider.
///
/// The default client is built on first use, not at start-up: building it loads the system's
/// CA certificates (tens of milliseconds), which would otherwise delay an app's first answer.
#[derive(Debug, Clone)]
pub(super) struct HttpDriver {
    client: Arc<OnceLock<reqwest::Client>>,
    timeout: Duration,
}

impl HttpDriver {
    pub(super) fn new(client: reqwest::Client) -> Self {
        Self {
            client: Arc::new(OnceLock::from(client)),
            timeout: Duration::ZERO,
        }
    }

    /// A client that never follows redirects (a token endpoint that redirects is broken or
    /// hostile) and gives up after `timeout`; built when first needed.
    pub(super) fn with_timeout(timeout: Duration) -> Self {
        Self {
            client: Arc::new(OnceLock::new()),
            timeout,
        }
    }

    fn client(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("auth0-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| Error::configuration("the HTTP client could not be built"))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Sends a request and reads at most [`MAX_REPLY_LEN`] bytes of the reply.
    pub(super) async fn send(
        &self,
        endpoint: &'static str,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>> {
        let request = reqwest::Request::try_from(request)
            .map_err(|_| Error::configuration("a request to the provider could not be built"))?;
        tracing::trace!(endpoint, "calling the provider");
        let mut response = self
            .client()?
            .execute(request)
            .await
            .map_err(|err| transport(endpoint, &err))?;

        let mut builder = http::Response::builder().status(response.status());
        if let Some(headers) = builder.headers_mut() {
            headers.extend(
                response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_REPLY_LEN as u64)
        {
            return Err(Error::invalid_response(endpoint, "the reply is too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| transport(endpoint, &err))?
        {
            if body.len() + chunk.len() > MAX_REPLY_LEN {
                return Err(Error::invalid_response(endpoint, "the reply is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::trace!(
            endpoint,
            status = response.status().as_u16(),
            "provider replied"
        );
        builder
            .body(body)
            .map_err(|_| Error::invalid_response(endpoint, "unreadable reply"))
    }
}

/// A transport failure, described without its URL (which may carry a query).
fn transport(endpoint: &'static str, err: &reqwest::Error) -> Error {
    let reason = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the reply was cut off"
    } else {
        "the request failed"
    };
    tracing::warn!(endpoint, reason, "provider call failed");
    Error::Transport {
        endpoint,
        reason: reason.to_owned(),
    }
}
