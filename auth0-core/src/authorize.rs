//! Starting a login: the authorization request (OIDC Core 3.1.2), optionally pushed first
//! (RFC 9126), with PKCE (RFC 7636), Rich Authorization Requests (RFC 9396) and Auth0's
//! organizations.
//!
//! ```text
//! start_login ──► LoginStart::Redirect(AuthorizeRedirect) ──► browser to url()
//!            └──► LoginStart::Push(AwaitingPushResponse)
//!                     │ send request(), feed the reply to receive()
//!                     └──► AuthorizeRedirect (url carries client_id + request_uri only)
//! ```
//! Either way the [`Transaction`] to store comes with the redirect.

use rand::CryptoRng;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::client_auth::authenticated_post;
use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::{Error, Result};
use crate::oauth_http::read_json_reply;
use crate::params::{AuthorizationParams, DEFAULT_SCOPE, merge_scopes};
use crate::pkce::{Pkce, random_token};
use crate::secret::{Nonce, State};
use crate::transaction::Transaction;

/// Options of one login, the seed's `StartInteractiveLoginOptions`.
#[derive(Debug, Clone, Default)]
pub struct StartInteractiveLoginOptions {
    authorization_params: AuthorizationParams,
    app_state: Option<Value>,
    pushed_authorization_requests: Option<bool>,
    organization: Option<String>,
    invitation: Option<String>,
}

impl StartInteractiveLoginOptions {
    /// No options: the client's defaults apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parameters for this login; they override the client's defaults (scopes are merged).
    pub fn authorization_params(mut self, params: AuthorizationParams) -> Self {
        self.authorization_params = params;
        self
    }

    /// Any JSON the app wants back when the login completes (a return URL, say).
    pub fn app_state(mut self, app_state: Value) -> Self {
        self.app_state = Some(app_state);
        self
    }

    /// Pushes this login's parameters first (RFC 9126), whatever the client's setting.
    pub fn pushed_authorization_requests(mut self, enabled: bool) -> Self {
        self.pushed_authorization_requests = Some(enabled);
        self
    }

    /// The organization to log in to (an `org_` id or a name); wins over the client's.
    ///
    /// Take it from a trusted source: the returned token is checked against it.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// An organization invitation ticket, forwarded as is.
    pub fn invitation(mut self, invitation: impl Into<String>) -> Self {
        self.invitation = Some(invitation.into());
        self
    }
}

/// What to do after [`start_login`].
#[derive(Debug)]
// Each value is matched and moved once, right after `start_login`: boxing the larger variant
// would only add an allocation to the hot path.
#[allow(clippy::large_enum_variant)]
pub enum LoginStart {
    /// Redirect the browser now.
    Redirect(AuthorizeRedirect),
    /// Push the parameters to the PAR endpoint first.
    Push(AwaitingPushResponse),
}

/// The browser redirect that starts a login, and the transaction to keep until its callback.
#[derive(Debug)]
pub struct AuthorizeRedirect {
    url: String,
    transaction: Transaction,
}

impl AuthorizeRedirect {
    /// The URL to send the browser to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The transaction to store.
    pub fn transaction(&self) -> &Transaction {
        &self.transaction
    }

    /// The URL and the transaction.
    pub fn into_parts(self) -> (String, Transaction) {
        (self.url, self.transaction)
    }
}

/// A login whose parameters must be pushed (RFC 9126 section 2) before the redirect.
#[derive(Debug)]
pub struct AwaitingPushResponse {
    request: http::Request<Vec<u8>>,
    authorization_endpoint: String,
    client_id: String,
    transaction: Transaction,
}

impl AwaitingPushResponse {
    /// The authenticated POST to the PAR endpoint.
    pub fn request(&self) -> http::Request<Vec<u8>> {
        self.request.clone()
    }

    /// Reads the PAR reply and yields the redirect carrying only `client_id` and `request_uri`.
    pub fn receive(self, response: &http::Response<Vec<u8>>) -> Result<AuthorizeRedirect> {
        #[derive(Deserialize)]
        struct PushReply {
            request_uri: String,
        }
        let reply: PushReply = read_json_reply("par", response, &[200, 201])?;
        if reply.request_uri.is_empty() {
            return Err(Error::invalid_response(
                "par",
                "the reply has an empty request_uri",
            ));
        }
        let url = with_query(
            &self.authorization_endpoint,
            &[
                ("client_id", &self.client_id),
                ("request_uri", &reply.request_uri),
            ],
        )?;
        Ok(AuthorizeRedirect {
            url,
            transaction: self.transaction,
        })
    }
}

/// Starts a login: fresh PKCE, `state` and `nonce`, merged parameters, and the transaction.
///
/// `now` is Unix seconds; `rng` must be a CSPRNG.
pub fn start_login<R: CryptoRng + ?Sized>(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    options: StartInteractiveLoginOptions,
    now: u64,
    rng: &mut R,
) -> Result<LoginStart> {
    let call = &options.authorization_params;
    call.check()?;
    let defaults = config.authorization_params();

    let redirect_uri = call
        .redirect_uri
        .as_ref()
        .or(defaults.redirect_uri.as_ref())
        .or(config.redirect_uri.as_ref())
        .ok_or(Error::MissingRequiredArgument("redirect_uri"))?
        .clone();
    let audience = call
        .audience
        .as_ref()
        .or(defaults.audience.as_ref())
        .cloned();
    let default_scope = match &defaults.scope {
        Some(scope) => scope.for_audience(audience.as_deref()),
        None => Some(DEFAULT_SCOPE),
    };
    let requested_scope = call
        .scope
        .as_ref()
        .and_then(|s| s.for_audience(audience.as_deref()));
    let scope = merge_scopes(default_scope, requested_scope);
    let max_age = call.max_age.or(defaults.max_age);
    let details = match call
        .authorization_details
        .as_ref()
        .or(defaults.authorization_details.as_ref())
    {
        Some(raw) => Some(raw.to_json_array()?.to_string()),
        None => None,
    };

    let mut extra = defaults.extra.clone();
    extra.extend(call.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let organization = pick_organization(
        options
            .organization
            .or_else(|| extra.remove("organization")),
        config.organization.as_deref(),
    )?;
    let invitation = options.invitation.or_else(|| extra.remove("invitation"));
    if invitation
        .as_deref()
        .is_some_and(|value| value.trim().is_empty())
    {
        return Err(Error::invalid_argument("invitation", "must not be blank"));
    }

    let pkce = Pkce::generate(rng);
    let state = State::new(random_token(rng));
    let nonce = Nonce::new(random_token(rng));
    let max_age_text = max_age.map(|age| age.to_string());

    let mut pairs: Vec<(&str, &str)> = vec![
        ("client_id", config.client_id()),
        ("redirect_uri", &redirect_uri),
        ("response_type", "code"),
        ("scope", &scope),
        ("state", state.expose()),
        ("nonce", nonce.expose()),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ];
    let optional = [
        ("audience", audience.as_deref()),
        ("organization", organization.as_deref()),
        ("invitation", invitation.as_deref()),
        ("max_age", max_age_text.as_deref()),
        ("authorization_details", details.as_deref()),
    ];
    pairs.extend(optional.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
    pairs.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    let transaction = Transaction {
        state: state.clone(),
        code_verifier: pkce.verifier,
        nonce: nonce.clone(),
        app_state: options.app_state,
        audience: audience.clone(),
        redirect_uri: redirect_uri.clone(),
        organization: organization.clone(),
        domain: metadata.issuer.clone(),
        created_at: now,
        max_age,
    };

    let push = options
        .pushed_authorization_requests
        .unwrap_or(config.pushed_authorization_requests);
    if !push {
        let url = with_query(metadata.authorization_endpoint.as_str(), &pairs)?;
        tracing::debug!(par = false, "authorization request built");
        return Ok(LoginStart::Redirect(AuthorizeRedirect { url, transaction }));
    }

    let endpoint = metadata
        .pushed_authorization_request_endpoint
        .as_ref()
        .map(|url| url.as_str())
        .ok_or_else(|| {
            Error::configuration(
                "pushed authorization requests are on but the provider has no PAR endpoint",
            )
        })?;
    // The client id travels with the client authentication, not twice in the form.
    let form: Vec<(&str, &str)> = pairs
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    let request = authenticated_post(config, endpoint, &metadata.issuer, &form, now, rng)?;
    tracing::debug!(par = true, "pushed authorization request built");
    Ok(LoginStart::Push(AwaitingPushResponse {
        request,
        authorization_endpoint: metadata.authorization_endpoint.to_string(),
        client_id: config.client_id().to_owned(),
        transaction,
    }))
}

/// The per-call organization wins over the client's; blank is refused.
fn pick_organization(call: Option<String>, configured: Option<&str>) -> Result<Option<String>> {
    match call {
        Some(org) if org.trim().is_empty() => {
            Err(Error::invalid_argument("organization", "must not be blank"))
        }
        Some(org) => Ok(Some(org)),
        None => Ok(configured.map(str::to_owned)),
    }
}

/// `endpoint` with the pairs appended to its query.
fn with_query(endpoint: &str, pairs: &[(&str, &str)]) -> Result<String> {
    let mut url = Url::parse(endpoint).map_err(|_| {
        Error::invalid_response("discovery", "the authorization endpoint is not a URL")
    })?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(url.into())
}

#[cfg(test)]
mod tests;
