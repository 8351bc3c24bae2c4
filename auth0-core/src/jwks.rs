//! The provider's JWK Set (RFC 7517 section 5): fetching it, parsing it into ready verifiers,
//! choosing the key for a token, and caching it per issuer with a rate-limited refetch.
//!
//! The driver's loop, when a token names a key the cached set lacks (a key rotation):
//!
//! ```text
//! validate(token, cached set) --Err(UnknownKey)--> cache.may_refetch(issuer, now)?
//!     yes: send jwks_request, parse_jwks, cache.insert, validate again
//!     no:  fail with UnknownKey
//! ```

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, header};
use serde_json::{Map, Value};
use tracing::{debug, trace, warn};
use url::Url;

use crate::cache::TtlCache;
use crate::error::{Error, TokenValidationError};
use crate::jose::{Algorithm, VerifyingKey};

/// The most keys read from one key set; providers publish a handful.
pub const MAX_KEYS: usize = 100;

/// The default minimum time between two fetches of one issuer's key set, in seconds.
pub const DEFAULT_REFETCH_INTERVAL_SECS: u64 = 60;

/// A provider's signature keys, each with its verifiers already built.
#[derive(Debug)]
pub struct JwkSet {
    keys: Vec<VerifyingKey>,
}

impl JwkSet {
    /// Builds a set from keys that were already parsed.
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        Self { keys }
    }

    /// Parses a JWK Set document, skipping each key that cannot verify signatures.
    ///
    /// A set with no usable key at all is an [`Error::InvalidResponse`].
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        let invalid = |reason: &'static str| Error::invalid_response("jwks", reason);
        let document: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|_| invalid("the key set is not a JSON object"))?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err(invalid("the key set has no keys array"));
        };
        if entries.len() > MAX_KEYS {
            warn!(
                count = entries.len(),
                max = MAX_KEYS,
                "key set too large, reading the first keys"
            );
        }

        let mut keys = Vec::new();
        for entry in entries.iter().take(MAX_KEYS) {
            let Value::Object(jwk) = entry else {
                debug!("skipping a key set entry that is not an object");
                continue;
            };
            match VerifyingKey::from_jwk(jwk) {
                Ok(key) => keys.push(key),
                Err(err) => debug!(error = %err, "skipping an unusable key"),
            }
        }
        if keys.is_empty() {
            return Err(invalid("the key set has no usable signature key"));
        }
        trace!(keys = keys.len(), "parsed key set");
        Ok(Self::new(keys))
    }

    /// The keys, in the provider's order.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key (only possible for a set built with [`JwkSet::new`]).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Chooses the key that verifies a token signed with `alg` and naming `kid`.
    ///
    /// With a `kid`, only keys of that id are candidates; if none of them can verify `alg`
    /// (another key type, or another JWK `alg`), the algorithm is refused for that key.
    /// Without a `kid`, exactly one key of the set may fit `alg`: several is ambiguous, and
    /// guessing would let any of them vouch for the token.
    pub fn select(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<&VerifyingKey, TokenValidationError> {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|key| key.kid() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(TokenValidationError::UnknownKey);
                }
                named
                    .find(|key| key.fits(alg))
                    .ok_or_else(|| TokenValidationError::AlgorithmNotAllowed(alg.to_string()))
            }
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Ok(key),
                    (Some(_), Some(_)) => Err(TokenValidationError::AmbiguousKey),
                    (None, _) => Err(TokenValidationError::UnknownKey),
                }
            }
        }
    }
}

/// The request fetching a key set from the discovery document's `jwks_uri`.
///
/// Fails only for a URL that cannot be an HTTP request target.
pub fn jwks_request(jwks_uri: &Url) -> Result<Request<Vec<u8>>, Error> {
    get_json("jwks", jwks_uri.as_str())
}

/// Reads the reply to [`jwks_request`].
///
/// A 5xx status is [`Error::ProviderUnavailable`]; any other status but 200, or a body that is
/// not a key set with a usable key, is [`Error::InvalidResponse`].
pub fn parse_jwks(response: Response<Vec<u8>>) -> Result<JwkSet, Error> {
    check_status("jwks", response.status())?;
    JwkSet::from_json(response.body())
}

/// Builds a GET request asking for JSON.
pub(crate) fn get_json(endpoint: &'static str, uri: &str) -> Result<Request<Vec<u8>>, Error> {
    Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|_| Error::configuration(format!("the {endpoint} URL is not a valid request URI")))
}

/// Maps a reply's status to the SDK's errors: 200 passes, 5xx is retryable, the rest invalid.
pub(crate) fn check_status(endpoint: &'static str, status: StatusCode) -> Result<(), Error> {
    if status == StatusCode::OK {
        Ok(())
    } else if status.is_server_error() {
        warn!(
            endpoint,
            status = status.as_u16(),
            "provider endpoint failed"
        );
        Err(Error::ProviderUnavailable {
            endpoint,
            status: status.as_u16(),
        })
    } else {
        warn!(
            endpoint,
            status = status.as_u16(),
            "provider endpoint answered an unexpected status"
        );
        Err(Error::invalid_response(
            endpoint,
            format!("unexpected HTTP status {}", status.as_u16()),
        ))
    }
}

/// Key sets per issuer, with a limit on how often an unknown `kid` may trigger a refetch.
///
/// Every fetch counts: [`insert`](Self::insert) and [`may_refetch`](Self::may_refetch) both
/// start a quiet period of `refetch_interval` seconds for the issuer. Tokens naming unknown
/// keys therefore cannot make the SDK hammer the provider. Sets are shared through an [`Arc`],
/// so a driver can take one out of a locked cache and verify without holding the lock.
#[derive(Debug, Clone)]
pub struct KeyCache {
    sets: TtlCache<String, Arc<JwkSet>>,
    fetches: TtlCache<String, ()>,
}

impl KeyCache {
    /// A cache of at most `capacity` issuers' sets, each kept `ttl_secs`, refetched at most
    /// once per `refetch_interval_secs` (see [`DEFAULT_REFETCH_INTERVAL_SECS`]).
    pub fn new(capacity: usize, ttl_secs: u64, refetch_interval_secs: u64) -> Self {
        Self {
            sets: TtlCache::new(capacity, ttl_secs),
            fetches: TtlCache::new(capacity, refetch_interval_secs),
        }
    }

    /// The issuer's key set, unless absent or expired.
    pub fn get(&self, issuer: &str, now: u64) -> Option<&Arc<JwkSet>> {
        self.sets.get(issuer, now)
    }

    /// When the issuer's live key set was fetched, in Unix seconds.
    pub fn fetched_at(&self, issuer: &str, now: u64) -> Option<u64> {
        self.sets.inserted_at(issuer, now)
    }

    /// Whether a refetch for an unknown key may go out now; a `true` answer counts as a fetch.
    pub fn may_refetch(&mut self, issuer: &str, now: u64) -> bool {
        if self.fetches.get(issuer, now).is_some() {
            debug!("key set refetch refused: fetched too recently");
            return false;
        }
        self.fetches.insert(issuer.to_owned(), (), now);
        true
    }

    /// Stores a freshly fetched set for the issuer, fetched at `now`.
    pub fn insert(&mut self, issuer: &str, set: impl Into<Arc<JwkSet>>, now: u64) {
        self.fetches.insert(issuer.to_owned(), (), now);
        self.sets.insert(issuer.to_owned(), set.into(), now);
    }
}

#[cfg(test)]
mod tests;
