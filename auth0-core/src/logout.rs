//! Logout: the URL that ends the provider's session too (OIDC RP-Initiated Logout 1.0, or
//! Auth0's `/v2/logout` when the provider has no `end_session_endpoint`).

use url::Url;

use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::{Error, Result};
use crate::secret::IdToken;

/// Options of a logout, the seed's `LogoutOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutOptions {
    return_to: Option<String>,
}

impl LogoutOptions {
    /// No options: the provider shows its own signed-out page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the provider sends the browser afterwards (must be registered there).
    pub fn return_to(mut self, url: impl Into<String>) -> Self {
        self.return_to = Some(url.into());
        self
    }
}

/// The logout URL for a session whose last ID token is `id_token`.
///
/// With an `end_session_endpoint`: `id_token_hint`, `client_id` and
/// `post_logout_redirect_uri`; otherwise Auth0's `/v2/logout?client_id=..&returnTo=..`. Each
/// value is form-encoded exactly once.
pub fn logout_url(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    id_token: Option<&IdToken>,
    options: &LogoutOptions,
) -> Result<String> {
    if let Some(return_to) = &options.return_to {
        Url::parse(return_to)
            .map_err(|_| Error::invalid_argument("return_to", "is not an absolute URL"))?;
    }
    let mut url = match &metadata.end_session_endpoint {
        Some(endpoint) => {
            let mut url = endpoint.clone();
            {
                let mut query = url.query_pairs_mut();
                if let Some(hint) = id_token {
                    query.append_pair("id_token_hint", hint.expose());
                }
                query.append_pair("client_id", config.client_id());
                if let Some(return_to) = &options.return_to {
                    query.append_pair("post_logout_redirect_uri", return_to);
                }
            }
            url
        }
        None => {
            let base = format!("{}/v2/logout", config.issuer().origin());
            let mut url = Url::parse(&base)
                .map_err(|_| Error::configuration("the issuer cannot form a logout URL"))?;
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("client_id", config.client_id());
                if let Some(return_to) = &options.return_to {
                    query.append_pair("returnTo", return_to);
                }
            }
            url
        }
    };
    if url.query() == Some("") {
        url.set_query(None);
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{config, metadata};

    #[test]
    fn oidc_end_session_url() {
        let config = config().build().unwrap();
        let options = LogoutOptions::new().return_to("https://app.example.test/?a=1&b=2");
        let url = logout_url(&config, &metadata(), Some(&IdToken::new("h.p.s")), &options).unwrap();
        assert_eq!(
            url,
            "https://tenant.example.test/oidc/logout?id_token_hint=h.p.s&client_id=client-1\
             &post_logout_redirect_uri=https%3A%2F%2Fapp.example.test%2F%3Fa%3D1%26b%3D2"
        );
    }

    #[test]
    fn auth0_v2_logout_without_end_session_endpoint() {
        let config = config().build().unwrap();
        let mut metadata = metadata();
        metadata.end_session_endpoint = None;
        let options = LogoutOptions::new().return_to("https://app.example.test/");
        let url = logout_url(&config, &metadata, None, &options).unwrap();
        assert_eq!(
            url,
            "https://tenant.example.test/v2/logout?client_id=client-1&returnTo=https%3A%2F%2Fapp.example.test%2F"
        );
        let bare = logout_url(&config, &metadata, None, &LogoutOptions::new()).unwrap();
        assert_eq!(
            bare,
            "https://tenant.example.test/v2/logout?client_id=client-1"
        );
    }

    #[test]
    fn return_to_must_be_absolute() {
        let config = config().build().unwrap();
        let err = logout_url(
            &config,
            &metadata(),
            None,
            &LogoutOptions::new().return_to("/x"),
        );
        assert_eq!(err.unwrap_err().code(), "invalid_argument");
    }
}
