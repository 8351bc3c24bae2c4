//! The async driver: runs the core's state machines over `reqwest`.
//!
//! This is the only part of the crate that owns a clock, a random source and sockets.

mod http_driver;
mod session_store;
mod store_options;
mod transaction_store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use session_store::SessionStore;
pub use store_options::StoreOptions;
pub use transaction_store::{
    CookieTransactionStore, MAX_COOKIE_LEN, MemoryTransactionStore, TransactionStore,
};

use crate::authorize::{LoginStart, StartInteractiveLoginOptions, start_login};
use crate::cache::TtlCache;
use crate::callback::{CallbackParams, LoginResult, TokenReceived, begin_code_exchange};
use crate::config::ClientConfig;
use crate::discovery::{ProviderMetadata, discovery_request, parse_discovery};
use crate::error::{Error, Result};
use crate::jwks::{JwkSet, KeyCache, jwks_request, parse_jwks};
use crate::transaction::transaction_key;
use http_driver::HttpDriver;

/// The least time between two key set refetches for one issuer, on unknown `kid`s.
const KEY_REFETCH_INTERVAL_SECS: u64 = 60;

/// How many consumed transaction keys are remembered to refuse replayed callbacks.
const CONSUMED_CAPACITY: usize = 10_000;

/// Logs users in with an OpenID Provider: the seed's `ServerClient`.
///
/// Cheap to clone; clones share caches and stores.
#[derive(Clone)]
pub struct ServerClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    http: HttpDriver,
    transactions: Box<dyn TransactionStore>,
    discovery: Mutex<TtlCache<String, Arc<ProviderMetadata>>>,
    keys: Mutex<KeyCache>,
    consumed: Mutex<TtlCache<String, ()>>,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("issuer", &self.inner.config.issuer().as_str())
            .field("client_id", &self.inner.config.client_id())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ServerClient`]; see [`ServerClient::builder`].
#[derive(Debug)]
pub struct ServerClientBuilder {
    config: ClientConfig,
    http: Option<reqwest::Client>,
    transactions: Option<Box<dyn TransactionStore>>,
}

impl std::fmt::Debug for dyn TransactionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransactionStore")
    }
}

impl ServerClientBuilder {
    /// Uses this `reqwest` client (proxies, TLS roots, ...). It should not follow redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Keeps transactions in this store instead of cookies.
    pub fn transaction_store(mut self, store: impl TransactionStore + 'static) -> Self {
        self.transactions = Some(Box::new(store));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ServerClient> {
        let config = self.config;
        let http = match self.http {
            Some(client) => HttpDriver::new(client),
            None => HttpDriver::with_timeout(config.http_timeout())?,
        };
        let transactions = self
            .transactions
            .unwrap_or_else(|| Box::new(CookieTransactionStore::new(&config)));
        let ttl = config.cache_ttl().as_secs();
        let capacity = config.cache_capacity();
        let tx_ttl = config.transaction_ttl().as_secs();
        Ok(ServerClient {
            inner: Arc::new(Inner {
                http,
                transactions,
                discovery: Mutex::new(TtlCache::new(capacity, ttl)),
                keys: Mutex::new(KeyCache::new(capacity, ttl, KEY_REFETCH_INTERVAL_SECS)),
                consumed: Mutex::new(TtlCache::new(CONSUMED_CAPACITY, tx_ttl)),
                config,
            }),
        })
    }
}

impl ServerClient {
    /// A client with the default HTTP client and the cookie transaction store.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// Starts building a client.
    pub fn builder(config: ClientConfig) -> ServerClientBuilder {
        ServerClientBuilder {
            config,
            http: None,
            transactions: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Starts a login and returns the URL to redirect the browser to.
    ///
    /// The transaction goes to the transaction store (with the cookie store: a `Set-Cookie`
    /// header in `store_options`).
    #[tracing::instrument(name = "start_interactive_login", skip_all)]
    pub async fn start_interactive_login(
        &self,
        options: StartInteractiveLoginOptions,
        store_options: &mut StoreOptions,
    ) -> Result<String> {
        let config = &self.inner.config;
        let metadata = self.discover().await?;
        let start = start_login(config, &metadata, options, now(), &mut rand::rng())?;
        let redirect = match start {
            LoginStart::Redirect(redirect) => redirect,
            LoginStart::Push(push) => {
                let response = self.inner.http.send("par", push.request()).await?;
                push.receive(&response)?
            }
        };
        let (url, transaction) = redirect.into_parts();
        self.inner
            .transactions
            .set(&transaction, store_options)
            .await?;
        Ok(url)
    }

    /// Completes a login from the callback URL: checks it, exchanges the code, validates
    /// the ID token, and returns the session with the app state.
    #[tracing::instrument(name = "complete_interactive_login", skip_all)]
    pub async fn complete_interactive_login(
        &self,
        callback_url: &str,
        store_options: &mut StoreOptions,
    ) -> Result<LoginResult> {
        let config = &self.inner.config;
        let params = CallbackParams::parse(callback_url)?;
        let key = transaction_key(params.state().expose());
        let transaction = self.inner.transactions.take(&key, store_options).await?;
        let Some(transaction) = transaction else {
            tracing::debug!("no transaction for this callback");
            return Err(Error::MissingTransaction);
        };
        if !self.mark_consumed(key)? {
            tracing::debug!("refused a replayed callback");
            return Err(Error::MissingTransaction);
        }

        let metadata = self.discover().await?;
        let exchange = begin_code_exchange(
            config,
            &metadata,
            params,
            transaction,
            now(),
            &mut rand::rng(),
        )?;
        let response = self.inner.http.send("token", exchange.request()).await?;
        let received = exchange.receive(&response)?;
        self.complete_with_keys(&metadata, &received).await
    }

    /// Validates the ID token, refetching the key set once when its `kid` is unknown.
    async fn complete_with_keys(
        &self,
        metadata: &ProviderMetadata,
        received: &TokenReceived,
    ) -> Result<LoginResult> {
        let config = &self.inner.config;
        let keys = self.key_set(metadata, false).await?;
        match received.complete(config, metadata, &keys, now()) {
            Err(err) if TokenReceived::needs_key_refetch(&err) => {
                let may_refetch = self
                    .inner
                    .keys
                    .lock()
                    .map_err(|_| Error::Store("key cache lock poisoned".into()))?
                    .may_refetch(&metadata.issuer, now());
                if !may_refetch {
                    return Err(err);
                }
                tracing::debug!("unknown key id: refetching the key set");
                let keys = self.key_set(metadata, true).await?;
                received.complete(config, metadata, &keys, now())
            }
            other => other,
        }
    }

    /// The provider's discovery document, cached per issuer.
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

    async fn key_set(&self, metadata: &ProviderMetadata, refresh: bool) -> Result<Arc<JwkSet>> {
        if !refresh {
            let keys = self
                .inner
                .keys
                .lock()
                .map_err(|_| Error::Store("key cache lock poisoned".into()))?;
            if let Some(found) = keys.get(&metadata.issuer, now()) {
                return Ok(found.clone());
            }
        }
        let response = self
            .inner
            .http
            .send("jwks", jwks_request(&metadata.jwks_uri)?)
            .await?;
        let set = Arc::new(parse_jwks(response)?);
        self.inner
            .keys
            .lock()
            .map_err(|_| Error::Store("key cache lock poisoned".into()))?
            .insert(&metadata.issuer, set.clone(), now());
        Ok(set)
    }

    fn lock_discovery(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, TtlCache<String, Arc<ProviderMetadata>>>> {
        self.inner
            .discovery
            .lock()
            .map_err(|_| Error::Store("discovery cache lock poisoned".into()))
    }

    /// Records a transaction as consumed; false when it already was.
    fn mark_consumed(&self, key: String) -> Result<bool> {
        let mut consumed = self
            .inner
            .consumed
            .lock()
            .map_err(|_| Error::Store("lock poisoned".into()))?;
        if consumed.get(key.as_str(), now()).is_some() {
            return Ok(false);
        }
        consumed.insert(key, (), now());
        Ok(true)
    }
}

/// Unix seconds from the system clock.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}
