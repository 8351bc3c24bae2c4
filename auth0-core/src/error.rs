//! The SDK's error type.
//!
//! Every failure is an [`Error`] variant with a stable [`code`](Error::code) that callers can
//! match on and adapters can put in a response body, and the HTTP [`status`](Error::status) an
//! adapter should answer with. Messages are lower case and never carry a token, code, verifier,
//! state, nonce or secret.

use std::borrow::Cow;

use http::StatusCode;

/// Why an ID token (or a back-channel logout token) was refused.
///
/// Each variant maps to one check of OIDC Core 1.0 section 3.1.3.7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenValidationError {
    /// The token is not a well-formed compact JWS with JSON header and claims.
    #[error("the token is malformed")]
    Malformed,
    /// The `alg` header is not on the allow-list, is `none`, or does not fit the key type.
    #[error("the signing algorithm {0} is not allowed")]
    AlgorithmNotAllowed(String),
    /// No key of the provider's key set matches the token's `kid` (after one refetch).
    #[error("no key matches the token's key id")]
    UnknownKey,
    /// Several keys could match a token that names no `kid`.
    #[error("the token has no key id and the key set has several candidate keys")]
    AmbiguousKey,
    /// The signature does not verify.
    #[error("the token signature is invalid")]
    InvalidSignature,
    /// A required claim is absent or has the wrong JSON type.
    #[error("the {0} claim is missing or invalid")]
    MissingClaim(&'static str),
    /// `iss` differs from the provider's issuer.
    #[error("the token issuer does not match")]
    IssuerMismatch,
    /// `aud` does not contain the client id.
    #[error("the token audience does not contain the client id")]
    AudienceMismatch,
    /// `azp` is present and differs from the client id.
    #[error("the token authorized party is not the client id")]
    AuthorizedPartyMismatch,
    /// `exp` is in the past, beyond the leeway.
    #[error("the token has expired")]
    Expired,
    /// `iat` is in the future, beyond the leeway.
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// `nbf` is in the future, beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `nonce` differs from the transaction's nonce.
    #[error("the token nonce does not match")]
    NonceMismatch,
    /// `auth_time` is older than the requested `max_age` allows.
    #[error("the authentication is older than max_age allows")]
    AuthTimeTooOld,
    /// A refreshed ID token names another user than the session's.
    #[error("the token subject does not match the session")]
    SubjectMismatch,
    /// The token is of another kind (a logout token offered as an ID token, or the reverse).
    #[error("the token is not of the expected type")]
    UnexpectedTokenType,
    /// A logout token carried a claim it must not have, or lacks its event.
    #[error("the logout token is invalid: {0}")]
    InvalidLogoutToken(&'static str),
    /// A logout token's `jti` was seen before.
    #[error("the logout token was replayed")]
    Replayed,
}

impl TokenValidationError {
    /// A stable code naming the failed check.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            Self::UnknownKey => "unknown_key",
            Self::AmbiguousKey => "ambiguous_key",
            Self::InvalidSignature => "invalid_signature",
            Self::MissingClaim(_) => "missing_claim",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::AudienceMismatch => "audience_mismatch",
            Self::AuthorizedPartyMismatch => "azp_mismatch",
            Self::Expired => "expired",
            Self::IssuedInFuture => "issued_in_future",
            Self::NotYetValid => "not_yet_valid",
            Self::NonceMismatch => "nonce_mismatch",
            Self::AuthTimeTooOld => "auth_time_too_old",
            Self::SubjectMismatch => "subject_mismatch",
            Self::UnexpectedTokenType => "unexpected_token_type",
            Self::InvalidLogoutToken(_) => "invalid_logout_token",
            Self::Replayed => "replayed",
        }
    }
}

/// Every error the SDK returns.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is invalid, or the provider cannot serve what it asks for.
    #[error("configuration error: {0}")]
    Configuration(Cow<'static, str>),
    /// A required argument was not given (for example a callback without `state`).
    #[error("missing required argument: {0}")]
    MissingRequiredArgument(&'static str),
    /// An argument was given with a value that cannot be used.
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was refused.
        reason: Cow<'static, str>,
    },
    /// The callback's `state` matches no open transaction (unknown, expired or consumed).
    #[error("no login transaction matches this callback")]
    MissingTransaction,
    /// The callback URL cannot be processed (repeated parameters, no code, bad URL).
    #[error("invalid callback: {0}")]
    InvalidCallback(&'static str),
    /// The callback's `iss` does not match the provider (RFC 9207 mix-up defence).
    #[error("the authorization response issuer does not match the provider")]
    IssuerMismatch,
    /// The provider answered with an OAuth error.
    #[error("the provider returned {code}: {description}")]
    Api {
        /// The OAuth `error` value (`access_denied`, `invalid_grant`, ...).
        code: String,
        /// The OAuth `error_description`, possibly empty.
        description: String,
    },
    /// The provider answered with something that is not a valid OAuth or OIDC reply.
    #[error("unexpected reply from the provider's {endpoint} endpoint: {reason}")]
    InvalidResponse {
        /// Which endpoint answered (`token`, `discovery`, `jwks`, `par`).
        endpoint: &'static str,
        /// What was wrong, without any of the reply's content.
        reason: Cow<'static, str>,
    },
    /// The provider answered with a 5xx status or an unreadable non-JSON error page.
    #[error("the provider's {endpoint} endpoint failed with HTTP status {status}")]
    ProviderUnavailable {
        /// Which endpoint answered.
        endpoint: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The ID token failed validation.
    #[error("ID token validation failed: {0}")]
    IdTokenValidation(#[source] TokenValidationError),
    /// The logout token failed validation.
    #[error("logout token validation failed: {0}")]
    LogoutTokenValidation(#[source] TokenValidationError),
    /// The ID token's organization claim does not match the requested organization.
    #[error("organization validation failed: {0}")]
    OrganizationTokenValidation(&'static str),
    /// A network call failed before an HTTP reply arrived (connection, timeout, TLS).
    #[error("request to the provider's {endpoint} endpoint failed: {reason}")]
    Transport {
        /// Which endpoint was called.
        endpoint: &'static str,
        /// The transport failure, without the URL's query.
        reason: String,
    },
    /// A transaction or session store failed; the operation may be retried.
    #[error("store error: {0}")]
    Store(String),
    /// A fresh access token was needed but the session holds no refresh token.
    #[error("the session has no refresh token")]
    MissingRefreshToken,
    /// There is no signed-in session.
    #[error("no session")]
    MissingSession,
}

impl Error {
    /// A stable, machine-readable code for this error.
    ///
    /// For provider errors it is the OAuth `error` value itself.
    pub fn code(&self) -> &str {
        match self {
            Self::Configuration(_) => "configuration_error",
            Self::MissingRequiredArgument(_) => "missing_required_argument",
            Self::InvalidArgument { .. } => "invalid_argument",
            Self::MissingTransaction => "missing_transaction",
            Self::InvalidCallback(_) => "invalid_callback",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::Api { code, .. } => code,
            Self::InvalidResponse { .. } => "invalid_response",
            Self::ProviderUnavailable { .. } => "provider_unavailable",
            Self::IdTokenValidation(_) => "id_token_validation_error",
            Self::LogoutTokenValidation(_) => "logout_token_validation_error",
            Self::OrganizationTokenValidation(_) => "organization_token_validation_error",
            Self::Transport { .. } => "transport_error",
            Self::Store(_) => "store_error",
            Self::MissingRefreshToken => "missing_refresh_token",
            Self::MissingSession => "missing_session",
        }
    }

    /// The HTTP status an adapter should answer with when this error ends a request.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Configuration(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Transport { .. }
            | Self::ProviderUnavailable { .. }
            | Self::InvalidResponse { .. } => StatusCode::BAD_GATEWAY,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::MissingSession | Self::MissingRefreshToken => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the same call may succeed when retried later (network or store trouble).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Transport { .. } | Self::ProviderUnavailable { .. } | Self::Store(_)
        )
    }

    pub(crate) fn invalid_argument(
        name: &'static str,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn configuration(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Configuration(reason.into())
    }

    pub(crate) fn invalid_response(
        endpoint: &'static str,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InvalidResponse {
            endpoint,
            reason: reason.into(),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_keep_the_oauth_code() {
        let err = Error::Api {
            code: "access_denied".into(),
            description: "no".into(),
        };
        assert_eq!(err.code(), "access_denied");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(err.to_string(), "the provider returned access_denied: no");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(Error::MissingTransaction.code(), "missing_transaction");
        assert_eq!(
            Error::MissingRequiredArgument("state").code(),
            "missing_required_argument"
        );
        assert_eq!(
            Error::IdTokenValidation(TokenValidationError::Expired).code(),
            "id_token_validation_error"
        );
        assert_eq!(TokenValidationError::NonceMismatch.code(), "nonce_mismatch");
        assert_eq!(
            Error::OrganizationTokenValidation("org_id differs").code(),
            "organization_token_validation_error"
        );
        assert!(Error::Store("down".into()).is_retryable());
        assert!(!Error::MissingTransaction.is_retryable());
    }
}
