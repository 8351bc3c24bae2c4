//! The provider's discovery document and keys, fetched on demand and cached per issuer.

use std::sync::Arc;

use super::{ServerClient, now};
use crate::discovery::{ProviderMetadata, discovery_request, parse_discovery};
use crate::error::{Error, Result};
use crate::jwks::{JwkSet, jwks_request, parse_jwks};

impl ServerClient {
    /// The provider's discovery document, cached per issuer.
    // TODO(per-request domain resolver): one issuer per client for now; apps serving several
    // custom domains build one client per domain.
    pub async fn discover(&self) -> Result<Arc<ProviderMetadata>> {
        let issuer = self.inner.config.issuer();
        if let Some(found) = self.lock_discovery()?.get(issuer.as_str(), now()) {
            return Ok(found.clone());
        }
        let response = self
            .inner
            .http
            .send("discovery", discovery_request(issuer.url())?)
            .await?;
        let metadata = Arc::new(parse_discovery(issuer.as_str(), response)?);
        self.lock_discovery()?
            .insert(issuer.as_str().to_owned(), metadata.clone(), now());
        Ok(metadata)
    }

    /// Runs `check` with the issuer's key set; when it fails for an unknown `kid`, refetches
    /// the set once (rate-limited per issuer) and runs it again.
    pub(super) async fn with_keys<T>(
        &self,
        metadata: &ProviderMetadata,
        check: impl Fn(&JwkSet) -> Result<T>,
    ) -> Result<T> {
        let keys = self.key_set(metadata, false).await?;
        match check(&keys) {
            Err(err) if is_unknown_key(&err) => {
                let may_refetch = self.lock_keys()?.may_refetch(&metadata.issuer, now());
                if !may_refetch {
                    return Err(err);
                }
                tracing::debug!("unknown key id: refetching the key set");
                let keys = self.key_set(metadata, true).await?;
                check(&keys)
            }
            other => other,
        }
    }

    async fn key_set(&self, metadata: &ProviderMetadata, refresh: bool) -> Result<Arc<JwkSet>> {
        if !refresh {
            if let Some(found) = self.lock_keys()?.get(&metadata.issuer, now()) {
                return Ok(found.clone());
            }
        }
        let response = self
            .inner
            .http
            .send("jwks", jwks_request(&metadata.jwks_uri)?)
            .await?;
        let set = Arc::new(parse_jwks(response)?);
        self.lock_keys()?
            .insert(&metadata.issuer, set.clone(), now());
        Ok(set)
    }

    fn lock_discovery(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, crate::cache::TtlCache<String, Arc<ProviderMetadata>>>>
    {
        self.inner
            .discovery
            .lock()
            .map_err(|_| Error::Store("discovery cache lock poisoned".into()))
    }

    fn lock_keys(&self) -> Result<std::sync::MutexGuard<'_, crate::jwks::KeyCache>> {
        self.inner
            .keys
            .lock()
            .map_err(|_| Error::Store("key cache lock poisoned".into()))
    }
}

fn is_unknown_key(err: &Error) -> bool {
    matches!(
        err,
        Error::IdTokenValidation(crate::TokenValidationError::UnknownKey)
            | Error::LogoutTokenValidation(crate::TokenValidationError::UnknownKey)
    )
}
