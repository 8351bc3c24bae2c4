//! Completing a login: the authorization response (OIDC Core 3.1.2.5), the token request
//! (3.1.3.1) and ID token validation (3.1.3.7), ending in the session to store.
//!
//! ```text
//! CallbackParams::parse(url) ── state() ──► the app takes the transaction out of its store
//!   └─ begin_code_exchange(params, transaction) ──► AwaitingToken
//!        │ send request(), feed the reply to receive()
//!        └─► TokenReceived ── complete(keys) ──► LoginResult
//!                 (on an unknown key: refetch the key set once, complete again)
//! ```

use rand::CryptoRng;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::config::ClientConfig;
use crate::discovery::ProviderMetadata;
use crate::error::{Error, Result, TokenValidationError};
use crate::id_token::{IdTokenClaims, IdTokenExpectations, validate_id_token};
use crate::jwks::JwkSet;
use crate::secret::{AuthorizationCode, State};
use crate::session::{DEFAULT_AUDIENCE, SessionData, SessionInternal, TokenSet};
use crate::token::{TokenResponse, token_request};
use crate::transaction::Transaction;

/// The longest callback URL accepted; real ones are well under 4 KiB.
pub const MAX_CALLBACK_LEN: usize = 16 * 1024;

/// The parameters of an authorization response, parsed but not yet trusted.
#[derive(Debug)]
pub struct CallbackParams {
    state: State,
    outcome: Outcome,
    iss: Option<String>,
}

#[derive(Debug)]
enum Outcome {
    Code(AuthorizationCode),
    Error { code: String, description: String },
}

impl CallbackParams {
    /// Parses a callback: a full URL, a path with its query, or a bare query.
    ///
    /// The fragment is ignored (this SDK uses `response_mode=query`). A repeated `state`,
    /// `code`, `error` or `iss` is refused: a response with two states cannot be trusted.
    pub fn parse(callback: &str) -> Result<Self> {
        if callback.len() > MAX_CALLBACK_LEN {
            return Err(Error::InvalidCallback("the callback URL is too long"));
        }
        let without_fragment = callback.split('#').next().unwrap_or_default();
        let query = match without_fragment.split_once('?') {
            Some((_, query)) => query,
            None if without_fragment.contains('=') && !without_fragment.contains('/') => {
                without_fragment
            }
            None => "",
        };

        let mut state = None;
        let mut code = None;
        let mut error = None;
        let mut description = None;
        let mut iss = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "state" => &mut state,
                "code" => &mut code,
                "error" => &mut error,
                "error_description" => &mut description,
                "iss" => &mut iss,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Error::InvalidCallback("a parameter is repeated"));
            }
        }

        let state = match state {
            Some(state) if !state.is_empty() => State::new(state),
            _ => return Err(Error::MissingRequiredArgument("state")),
        };
        let outcome = match (error, code) {
            (Some(code), _) => Outcome::Error {
                code,
                description: description.unwrap_or_default(),
            },
            (None, Some(code)) if !code.is_empty() => Outcome::Code(AuthorizationCode::new(code)),
            _ => {
                return Err(Error::InvalidCallback(
                    "the callback has neither code nor error",
                ));
            }
        };
        Ok(Self {
            state,
            outcome,
            iss,
        })
    }

    /// The `state`, to look the transaction up with.
    pub fn state(&self) -> &State {
        &self.state
    }
}

/// Checks the authorization response against its transaction and builds the token request.
///
/// The transaction must already be taken out of its store: it is consumed whatever happens
/// next, so a replayed callback finds nothing.
pub fn begin_code_exchange<R: CryptoRng + ?Sized>(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    params: CallbackParams,
    transaction: Transaction,
    now: u64,
    rng: &mut R,
) -> Result<AwaitingToken> {
    if params.state != transaction.state
        || transaction.is_expired(now, config.transaction_ttl().as_secs())
    {
        return Err(Error::MissingTransaction);
    }
    if transaction.domain != metadata.issuer {
        return Err(Error::IssuerMismatch);
    }
    // RFC 9207 section 2.4: check `iss` before looking at the rest of the response.
    match &params.iss {
        Some(iss) if iss != &metadata.issuer => return Err(Error::IssuerMismatch),
        None if metadata.authorization_response_iss_parameter_supported => {
            return Err(Error::IssuerMismatch);
        }
        _ => {}
    }
    let code = match params.outcome {
        Outcome::Code(code) => code,
        Outcome::Error { code, description } => {
            tracing::debug!(error = %code, "the provider refused the authorization request");
            return Err(Error::Api { code, description });
        }
    };

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", transaction.redirect_uri.as_str()),
        ("code_verifier", transaction.code_verifier.expose()),
    ];
    let request = token_request(config, metadata, &form, now, rng)?;
    Ok(AwaitingToken {
        request,
        transaction,
    })
}

/// A code exchange waiting for the token endpoint's reply.
#[derive(Debug)]
pub struct AwaitingToken {
    request: http::Request<Vec<u8>>,
    transaction: Transaction,
}

impl AwaitingToken {
    /// The authenticated POST to the token endpoint.
    pub fn request(&self) -> http::Request<Vec<u8>> {
        self.request.clone()
    }

    /// Reads the token endpoint's reply.
    pub fn receive(self, response: &http::Response<Vec<u8>>) -> Result<TokenReceived> {
        let tokens = TokenResponse::from_response(response)?;
        if tokens.id_token.is_none() {
            return Err(Error::invalid_response(
                "token",
                "the reply has no id_token",
            ));
        }
        Ok(TokenReceived {
            tokens,
            transaction: self.transaction,
        })
    }
}

/// Tokens received, waiting for ID token validation.
#[derive(Debug)]
pub struct TokenReceived {
    tokens: TokenResponse,
    transaction: Transaction,
}

impl TokenReceived {
    /// The raw ID token of the reply.
    pub fn id_token(&self) -> &str {
        self.tokens
            .id_token
            .as_ref()
            .map(|t| t.expose())
            .unwrap_or_default()
    }

    /// Validates the ID token with `keys` and builds the session.
    ///
    /// Borrowing `self` lets a driver that meets [`TokenValidationError::UnknownKey`] refetch
    /// the key set once and call again.
    pub fn complete(
        &self,
        config: &ClientConfig,
        metadata: &ProviderMetadata,
        keys: &JwkSet,
        now: u64,
    ) -> Result<LoginResult> {
        let tx = &self.transaction;
        let expectations =
            IdTokenExpectations::for_client(config, metadata, Some(&tx.nonce), tx.max_age, now);
        let claims = validate_id_token(self.id_token(), keys, &expectations)
            .map_err(Error::IdTokenValidation)?;
        if let Some(organization) = &tx.organization {
            check_organization(organization, &claims)?;
        }
        let session = build_session(&self.tokens, tx, claims, now);
        Ok(LoginResult {
            session,
            app_state: tx.app_state.clone(),
            authorization_details: self.tokens.authorization_details.clone(),
        })
    }

    /// Whether `err` asks for a key set refetch before giving up.
    pub fn needs_key_refetch(err: &Error) -> bool {
        matches!(
            err,
            Error::IdTokenValidation(TokenValidationError::UnknownKey)
        )
    }
}

/// What a completed login yields: the seed's `complete_interactive_login` result.
#[derive(Debug, Clone)]
pub struct LoginResult {
    /// The session to store.
    pub session: SessionData,
    /// The app state given when the login started.
    pub app_state: Option<Value>,
    /// Granted Rich Authorization Request details, when the token reply has them.
    pub authorization_details: Option<Value>,
}

/// An `org_` value must equal `org_id`; a name must equal `org_name` after NFC and
/// lower-casing (Auth0 stores names in lower case).
fn check_organization(expected: &str, claims: &IdTokenClaims) -> Result<()> {
    if expected.starts_with("org_") {
        return match claims.org_id() {
            Some(found) if found == expected => Ok(()),
            Some(_) => Err(Error::OrganizationTokenValidation("org_id does not match")),
            None => Err(Error::OrganizationTokenValidation(
                "the org_id claim is missing",
            )),
        };
    }
    let normalize = |name: &str| name.nfc().collect::<String>().to_lowercase();
    match claims.org_name() {
        Some(found) if normalize(found) == normalize(expected) => Ok(()),
        Some(_) => Err(Error::OrganizationTokenValidation(
            "org_name does not match",
        )),
        None => Err(Error::OrganizationTokenValidation(
            "the org_name claim is missing",
        )),
    }
}

fn build_session(
    tokens: &TokenResponse,
    tx: &Transaction,
    claims: IdTokenClaims,
    now: u64,
) -> SessionData {
    let user = claims.into_user_claims();
    let sid = user
        .get("sid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let session_expiry = user.get("session_expiry").and_then(Value::as_u64);
    SessionData {
        user: Some(user),
        id_token: tokens.id_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        token_sets: vec![TokenSet {
            audience: tx
                .audience
                .clone()
                .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            access_token: tokens.access_token.clone(),
            scope: tokens.scope.clone(),
            expires_at: tokens.expires_at(now),
        }],
        domain: Some(tx.domain.clone()),
        connection_token_sets: Vec::new(),
        internal: SessionInternal {
            sid,
            created_at: now,
            session_expiry,
            updated_at: Some(now),
        },
    }
}

#[cfg(test)]
mod tests;
