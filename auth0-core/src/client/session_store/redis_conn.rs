//! One auto-reconnecting Redis connection, shared by the Redis backend and logout registry.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::{Error, Result};

/// How a [`RedisConnection`] connects, waits and retries.
///
/// The defaults fail fast (about a second) so that a request whose session lives in an
/// unreachable Redis gets a retryable error instead of hanging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// How long one connection attempt may take.
    pub connection_timeout: Duration,
    /// How long one command may wait for its reply.
    pub response_timeout: Duration,
    /// How many times a failed connection attempt is retried, with exponential backoff.
    pub connection_retries: usize,
    /// The first backoff delay between connection attempts.
    pub retry_min_delay: Duration,
    /// The longest backoff delay between connection attempts.
    pub retry_max_delay: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connection_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            connection_retries: 2,
            retry_min_delay: Duration::from_millis(20),
            retry_max_delay: Duration::from_millis(200),
        }
    }
}

/// A Redis connection that reconnects on its own after failures; cheap to clone.
///
/// Built on the `redis` crate's `ConnectionManager`. Its `Debug` never prints the URL, which
/// may hold a password.
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
}

impl RedisConnection {
    /// Connects to the Redis at `url` (`redis://host:port/db`), failing with
    /// [`Error::Store`] (retryable) when it cannot be reached now.
    pub async fn connect(url: &str, options: &RedisOptions) -> Result<Self> {
        let client = client(url)?;
        let manager = ConnectionManager::new_with_config(client, manager_config(options))
            .await
            .map_err(|err| store_error("connect", &err))?;
        Ok(Self { manager })
    }

    /// Prepares a connection to the Redis at `url` without connecting: the first command
    /// connects, so an app can start while Redis is down. Call inside a Tokio runtime.
    pub fn lazy(url: &str, options: &RedisOptions) -> Result<Self> {
        let client = client(url)?;
        let manager = ConnectionManager::new_lazy_with_config(client, manager_config(options))
            .map_err(|err| store_error("connect", &err))?;
        Ok(Self { manager })
    }

    /// Wraps a connection manager the app built itself (TLS, credentials, ...).
    pub fn from_manager(manager: ConnectionManager) -> Self {
        Self { manager }
    }

    /// A handle to run commands on; the manager shares one multiplexed connection.
    pub(crate) fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisConnection")
    }
}

fn client(url: &str) -> Result<redis::Client> {
    redis::Client::open(url).map_err(|_| Error::configuration("the Redis URL is invalid"))
}

fn manager_config(options: &RedisOptions) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.connection_timeout))
        .set_response_timeout(Some(options.response_timeout))
        .set_number_of_retries(options.connection_retries)
        .set_min_delay(options.retry_min_delay)
        .set_max_delay(options.retry_max_delay)
}

/// A retryable store error naming the operation and the kind of failure only: Redis error
/// texts can quote arguments, and arguments here are sealed records and digests.
pub(crate) fn store_error(operation: &'static str, err: &redis::RedisError) -> Error {
    let cause = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connection_refusal() {
        "connection refused".to_owned()
    } else {
        format!("{:?}", err.kind())
    };
    tracing::debug!(operation, cause, "redis command failed");
    Error::Store(format!("redis {operation} failed: {cause}"))
}
