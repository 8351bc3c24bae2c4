//! The async driver: runs the core's state machines over `reqwest`.
//!
//! This is the only part of the crate that owns a clock, a random source and sockets.

mod http_driver;
mod provider;
mod refresh_flight;
mod session_api;
mod session_store;
mod store_options;
mod transaction_store;
pub mod web;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use session_api::Session;
pub use session_store::*;
pub use store_options::StoreOptions;
pub use transaction_store::{
    CookieTransactionStore, MAX_COOKIE_LEN, MemoryTransactionStore, TransactionStore,
};

use crate::authorize::{LoginStart, StartInteractiveLoginOptions, start_login};
use crate::cache::TtlCache;
use crate::callback::{CallbackParams, LoginResult, TokenReceived, begin_code_exchange};
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::jwks::KeyCache;
use crate::refresh::DEFAULT_EXPIRY_BUFFER_SECS;
use crate::transaction::transaction_key;
use http_driver::HttpDriver;
use refresh_flight::RefreshFlights;

/// The least time between two key set refetches for one issuer, on unknown `kid`s.
const KEY_REFETCH_INTERVAL_SECS: u64 = 60;

/// How many consumed transactions and logout token ids are remembered, to refuse replays.
const REPLAY_CAPACITY: usize = 10_000;

/// Logs users in with an OpenID Provider and keeps their sessions: the seed's `ServerClient`.
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
    sessions: Box<dyn SessionStore>,
    discovery: Mutex<TtlCache<String, Arc<crate::discovery::ProviderMetadata>>>,
    keys: Mutex<KeyCache>,
    consumed: Mutex<TtlCache<String, ()>>,
    logout_jtis: Mutex<TtlCache<String, ()>>,
    refreshes: RefreshFlights,
    expiry_buffer_secs: u64,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("issuer", &self.inner.config.issuer().as_str())
            .field("client_id", &self.inner.config.client_id())
            .field("sessions", &self.inner.sessions)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ServerClient`]; see [`ServerClient::builder`].
pub struct ServerClientBuilder {
    config: ClientConfig,
    http: Option<reqwest::Client>,
    transactions: Option<Box<dyn TransactionStore>>,
    sessions: Option<Box<dyn SessionStore>>,
    expiry_buffer_secs: u64,
}

impl std::fmt::Debug for ServerClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClientBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
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

    /// Keeps sessions in this store instead of sealed cookies.
    pub fn session_store(mut self, store: impl SessionStore + 'static) -> Self {
        self.sessions = Some(Box::new(store));
        self
    }

    /// Refreshes access tokens that expire within this many seconds (default 60).
    pub fn expiry_buffer(mut self, buffer: Duration) -> Self {
        self.expiry_buffer_secs = buffer.as_secs();
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ServerClient> {
        let config = self.config;
        let http = match self.http {
            Some(client) => HttpDriver::new(client),
            None => HttpDriver::with_timeout(config.http_timeout()),
        };
        let transactions = self
            .transactions
            .unwrap_or_else(|| Box::new(CookieTransactionStore::new(&config)));
        let sessions = self
            .sessions
            .unwrap_or_else(|| Box::new(CookieSessionStore::new(&config)));
        let ttl = config.cache_ttl().as_secs();
        let capacity = config.cache_capacity();
        let tx_ttl = config.transaction_ttl().as_secs();
        Ok(ServerClient {
            inner: Arc::new(Inner {
                http,
                transactions,
                sessions,
                discovery: Mutex::new(TtlCache::new(capacity, ttl)),
                keys: Mutex::new(KeyCache::new(capacity, ttl, KEY_REFETCH_INTERVAL_SECS)),
                consumed: Mutex::new(TtlCache::new(REPLAY_CAPACITY, tx_ttl)),
                logout_jtis: Mutex::new(TtlCache::new(
                    REPLAY_CAPACITY,
                    session_api::LOGOUT_TOKEN_MAX_AGE_SECS * 2,
                )),
                refreshes: RefreshFlights::default(),
                expiry_buffer_secs: self.expiry_buffer_secs,
                config,
            }),
        })
    }
}

impl ServerClient {
    /// A client with the default HTTP client, cookie transactions and cookie sessions.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// Starts building a client.
    pub fn builder(config: ClientConfig) -> ServerClientBuilder {
        ServerClientBuilder {
            config,
            http: None,
            transactions: None,
            sessions: None,
            expiry_buffer_secs: DEFAULT_EXPIRY_BUFFER_SECS,
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
    /// the ID token, stores the session (with a fresh session id) and returns it with the
    /// app state.
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
        if !remember(&self.inner.consumed, key)? {
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
        let received: TokenReceived = exchange.receive(&response)?;
        let result = self
            .with_keys(&metadata, |keys| {
                received.complete(config, &metadata, keys, now())
            })
            .await?;
        self.inner
            .sessions
            .set(&result.session, true, store_options, now())
            .await?;
        Ok(result)
    }
}

/// Records `key` in a replay cache; false when it was already there.
fn remember(cache: &Mutex<TtlCache<String, ()>>, key: String) -> Result<bool> {
    let mut cache = cache
        .lock()
        .map_err(|_| Error::Store("replay cache lock poisoned".into()))?;
    if cache.get(key.as_str(), now()).is_some() {
        return Ok(false);
    }
    cache.insert(key, (), now());
    Ok(true)
}

/// Unix seconds from the system clock.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}
