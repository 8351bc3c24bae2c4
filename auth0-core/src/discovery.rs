//! The provider's metadata (OpenID Connect Discovery 1.0, section 4): the request that fetches
//! it and the checks its reply must pass.

use http::{Request, Response};
use serde::Deserialize;
use url::Url;

use crate::config::is_loopback;
use crate::error::Error;
use crate::jwks::{check_status, get_json};

/// The discovery document's path under the issuer (Discovery 1.0 section 4).
pub const WELL_KNOWN_PATH: &str = "/.well-known/openid-configuration";

/// What the SDK uses of a provider's discovery document.
///
/// Every endpoint is an absolute `https` URL (plain `http` only on a loopback host) without a
/// fragment. Members the SDK does not use are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer exactly as the provider spells it; ID tokens' `iss` must equal it.
    pub issuer: String,
    /// Where the browser is sent to log in (OIDC Core 3.1.2).
    pub authorization_endpoint: Url,
    /// Where codes and refresh tokens are exchanged (OIDC Core 3.1.3).
    pub token_endpoint: Url,
    /// The provider's signing keys (RFC 7517).
    pub jwks_uri: Url,
    /// The RFC 9126 pushed authorization request endpoint, if the provider offers PAR.
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// Whether the provider accepts only pushed authorization requests (RFC 9126 section 5).
    pub require_pushed_authorization_requests: bool,
    /// The RP-Initiated Logout 1.0 endpoint, if any; Auth0's `/v2/logout` is used otherwise.
    pub end_session_endpoint: Option<Url>,
    /// The UserInfo endpoint (OIDC Core 5.3), if any.
    pub userinfo_endpoint: Option<Url>,
    /// The token revocation endpoint (RFC 7009), if any.
    pub revocation_endpoint: Option<Url>,
    /// Whether callbacks carry `iss`, which must then be checked (RFC 9207 section 3).
    pub authorization_response_iss_parameter_supported: bool,
    /// The algorithms the provider may sign ID tokens with, as spelled by the provider.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The PKCE methods offered (RFC 8414 section 2); the SDK always sends `S256`.
    pub code_challenge_methods_supported: Vec<String>,
    /// The client authentication methods the token endpoint accepts.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The scopes the provider advertises.
    pub scopes_supported: Vec<String>,
    /// Whether Back-Channel Logout 1.0 is supported (section 2.1).
    pub backchannel_logout_supported: bool,
    /// Whether back-channel logout tokens carry `sid` (Back-Channel Logout 1.0 section 2.1).
    pub backchannel_logout_session_supported: bool,
}

/// The request for the issuer's discovery document: `GET <issuer>/.well-known/openid-configuration`.
///
/// The issuer's trailing slashes are dropped before the path is appended (Discovery 1.0 section
/// 4.1), so `https://tenant/` and `https://tenant` ask the same URL; any query or fragment is
/// left out. Fails only for a URL that cannot be an HTTP request target.
pub fn discovery_request(issuer: &Url) -> Result<Request<Vec<u8>>, Error> {
    let mut base = issuer.clone();
    base.set_query(None);
    base.set_fragment(None);
    let uri = format!("{}{WELL_KNOWN_PATH}", base.as_str().trim_end_matches('/'));
    get_json("discovery", &uri)
}

/// Reads the reply to [`discovery_request`] and checks it against the configured issuer.
///
/// The document's `issuer` must equal `expected_issuer`, allowing only one trailing `/` of
/// difference, since a bare host in the configuration cannot tell whether the provider spells
/// its issuer with one (Auth0 does). The returned metadata keeps the provider's spelling, which
/// ID tokens are then checked against exactly.
///
/// A 5xx status is [`Error::ProviderUnavailable`]; any other status but 200, a body that is not
/// a JSON object, a different issuer, or a missing or insecure endpoint is
/// [`Error::InvalidResponse`].
pub fn parse_discovery(
    expected_issuer: &str,
    response: Response<Vec<u8>>,
) -> Result<ProviderMetadata, Error> {
    check_status("discovery", response.status())?;
    let raw: RawMetadata = serde_json::from_slice(response.body())
        .map_err(|_| invalid("the document is not a JSON object with the required members"))?;

    if !same_issuer(&raw.issuer, expected_issuer) {
        return Err(invalid(
            "the document's issuer differs from the configured issuer",
        ));
    }
    secure_url(&raw.issuer)?;

    let optional = |value: Option<String>| value.as_deref().map(secure_url).transpose();
    Ok(ProviderMetadata {
        authorization_endpoint: secure_url(&raw.authorization_endpoint)?,
        token_endpoint: secure_url(&raw.token_endpoint)?,
        jwks_uri: secure_url(&raw.jwks_uri)?,
        pushed_authorization_request_endpoint: optional(raw.pushed_authorization_request_endpoint)?,
        require_pushed_authorization_requests: raw.require_pushed_authorization_requests,
        end_session_endpoint: optional(raw.end_session_endpoint)?,
        userinfo_endpoint: optional(raw.userinfo_endpoint)?,
        revocation_endpoint: optional(raw.revocation_endpoint)?,
        authorization_response_iss_parameter_supported: raw
            .authorization_response_iss_parameter_supported,
        id_token_signing_alg_values_supported: raw.id_token_signing_alg_values_supported,
        code_challenge_methods_supported: raw.code_challenge_methods_supported,
        token_endpoint_auth_methods_supported: raw.token_endpoint_auth_methods_supported,
        scopes_supported: raw.scopes_supported,
        backchannel_logout_supported: raw.backchannel_logout_supported,
        backchannel_logout_session_supported: raw.backchannel_logout_session_supported,
        issuer: raw.issuer,
    })
}

fn invalid(reason: &'static str) -> Error {
    Error::invalid_response("discovery", reason)
}

/// Equal, or equal once one trailing `/` is removed from each side.
fn same_issuer(actual: &str, expected: &str) -> bool {
    actual == expected || strip_one_slash(actual) == strip_one_slash(expected)
}

fn strip_one_slash(value: &str) -> &str {
    value.strip_suffix('/').unwrap_or(value)
}

/// Parses an endpoint the SDK will send secrets to: absolute, no fragment, and `https` unless
/// the host is loopback.
fn secure_url(value: &str) -> Result<Url, Error> {
    let url = Url::parse(value).map_err(|_| invalid("an endpoint is not an absolute URL"))?;
    if url.fragment().is_some() {
        return Err(invalid("an endpoint has a fragment"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(invalid(
            "an endpoint is neither https nor http on a loopback host",
        )),
    }
}

/// The document as sent; a wrongly typed member we read makes the whole document invalid.
#[derive(Deserialize)]
struct RawMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    pushed_authorization_request_endpoint: Option<String>,
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    #[serde(default)]
    end_session_endpoint: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    #[serde(default)]
    backchannel_logout_supported: bool,
    #[serde(default)]
    backchannel_logout_session_supported: bool,
}

#[cfg(test)]
mod tests;
