//! Back-channel logouts recorded in Redis, shared by every app instance.

use async_trait::async_trait;

use super::redis_conn::store_error;
use super::{LogoutRegistry, RedisConnection};
use crate::error::Result;

/// The default key prefix of a [`RedisLogoutRegistry`].
pub const DEFAULT_REDIS_LOGOUT_PREFIX: &str = "a0:logout:";

/// Logouts in Redis: one key per (issuer, sid) or (issuer, sub) digest holding the logout
/// time, expiring natively after the TTL. Lets every instance of an app honour a back-channel
/// logout that reached any one of them. Clones share the connection.
#[derive(Debug, Clone)]
pub struct RedisLogoutRegistry {
    connection: RedisConnection,
    prefix: String,
}

impl RedisLogoutRegistry {
    /// A registry keeping its keys under [`DEFAULT_REDIS_LOGOUT_PREFIX`].
    pub fn new(connection: RedisConnection) -> Self {
        Self::with_prefix(connection, DEFAULT_REDIS_LOGOUT_PREFIX)
    }

    /// A registry keeping its keys under `prefix`.
    pub fn with_prefix(connection: RedisConnection, prefix: impl Into<String>) -> Self {
        Self {
            connection,
            prefix: prefix.into(),
        }
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl LogoutRegistry for RedisLogoutRegistry {
    async fn record(&self, keys: &[String], at: u64, ttl_secs: u64) -> Result<()> {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.set_ex(self.key(key), at, ttl_secs.clamp(1, i32::MAX as u64))
                .ignore();
        }
        let mut conn = self.connection.manager();
        let () = pipe
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("logout record", &err))?;
        Ok(())
    }

    async fn logged_out_at(&self, keys: &[String], _now: u64) -> Result<Option<u64>> {
        if keys.is_empty() {
            return Ok(None);
        }
        let names: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        let mut conn = self.connection.manager();
        let found: Vec<Option<u64>> = redis::cmd("MGET")
            .arg(&names)
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("logout lookup", &err))?;
        Ok(found.into_iter().flatten().max())
    }
}
