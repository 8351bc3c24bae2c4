//! A session backend on Redis.
//!
//! Layout under the prefix `P` (default `a0:session:`):
//!
//! - `P s:<key>`: a hash `{r: sealed record, e: expiry, x: index keys}` with a native TTL at
//!   the expiry, so Redis drops idle sessions by itself;
//! - `P i:<index>`: the set of record keys filed under one (issuer, sid) or (issuer, sub)
//!   digest, living as long as the longest-lived session it lists could. Members whose record
//!   expired are tolerated and ignored, so the indexes never need a sweep.

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::Script;

use super::redis_conn::store_error;
use super::{RedisConnection, SessionBackend, SessionWrite, StoredSession};
use crate::error::Result;

/// The default key prefix of a [`RedisBackend`].
pub const DEFAULT_REDIS_SESSION_PREFIX: &str = "a0:session:";

/// Stores a record, files it under its indexes (extending their TTL if needed) and takes it
/// out of indexes it no longer belongs to. KEYS: record, `ARGV[5]` new indexes, then old ones.
static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'r', ARGV[1], 'e', ARGV[2], 'x', ARGV[3])
        redis.call('EXPIRE', KEYS[1], ARGV[4])
        local fresh = tonumber(ARGV[5])
        for i = 2, fresh + 1 do
            redis.call('SADD', KEYS[i], ARGV[7])
            if redis.call('TTL', KEYS[i]) < tonumber(ARGV[6]) then
                redis.call('EXPIRE', KEYS[i], ARGV[6])
            end
        end
        for i = fresh + 2, #KEYS do
            redis.call('SREM', KEYS[i], ARGV[7])
        end
        return 1
        ",
    )
});

/// Moves an existing record's expiry; never creates a record.
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'e', ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return 1
        ",
    )
});

/// Session records in Redis, with native expiry and secondary indexes for back-channel
/// logout that cost O(matching sessions).
///
/// Records are sealed and keyed by digests of the session ids, so reading the database
/// gives neither a session's content nor a usable id. Clones share the connection.
#[derive(Debug, Clone)]
pub struct RedisBackend {
    connection: RedisConnection,
    prefix: String,
}

impl RedisBackend {
    /// A backend keeping its keys under [`DEFAULT_REDIS_SESSION_PREFIX`].
    pub fn new(connection: RedisConnection) -> Self {
        Self::with_prefix(connection, DEFAULT_REDIS_SESSION_PREFIX)
    }

    /// A backend keeping its keys under `prefix` (to share a database between apps).
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

    fn record_key(&self, key: &str) -> String {
        format!("{}s:{key}", self.prefix)
    }

    fn index_key(&self, index: &str) -> String {
        format!("{}i:{index}", self.prefix)
    }

    /// The index keys a stored record is filed under.
    async fn filed_under(&self, key: &str) -> Result<Vec<String>> {
        let mut conn = self.connection.manager();
        let listed: Option<String> = redis::cmd("HGET")
            .arg(self.record_key(key))
            .arg("x")
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("read", &err))?;
        Ok(split_indexes(listed.as_deref()))
    }
}

fn split_indexes(listed: Option<&str>) -> Vec<String> {
    listed
        .unwrap_or_default()
        .split(' ')
        .filter(|index| !index.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Seconds from `now` to `at`, at least one (Redis refuses a zero TTL).
fn ttl(at: u64, now: u64) -> u64 {
    at.saturating_sub(now).max(1)
}

#[async_trait]
impl SessionBackend for RedisBackend {
    async fn load(&self, key: &str, _now: u64) -> Result<Option<StoredSession>> {
        let mut conn = self.connection.manager();
        let (record, expires_at): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(self.record_key(key))
            .arg("r")
            .arg("e")
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("read", &err))?;
        Ok(record
            .zip(expires_at)
            .map(|(record, expires_at)| StoredSession { record, expires_at }))
    }

    async fn save(&self, key: &str, write: SessionWrite<'_>, now: u64) -> Result<()> {
        let previous = self.filed_under(key).await?;
        let mut invocation = SAVE.prepare_invoke();
        invocation.key(self.record_key(key));
        for index in write.indexes {
            invocation.key(self.index_key(index));
        }
        for index in previous.iter().filter(|old| !write.indexes.contains(old)) {
            invocation.key(self.index_key(index));
        }
        invocation
            .arg(write.record)
            .arg(write.expires_at)
            .arg(write.indexes.join(" "))
            .arg(ttl(write.expires_at, now))
            .arg(write.indexes.len())
            .arg(ttl(write.max_expires_at, now))
            .arg(key);
        let mut conn = self.connection.manager();
        let _: i64 = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(|err| store_error("write", &err))?;
        Ok(())
    }

    async fn touch(&self, key: &str, expires_at: u64, now: u64) -> Result<bool> {
        let mut conn = self.connection.manager();
        let touched: i64 = TOUCH
            .key(self.record_key(key))
            .arg(expires_at)
            .arg(ttl(expires_at, now))
            .invoke_async(&mut conn)
            .await
            .map_err(|err| store_error("extend", &err))?;
        Ok(touched == 1)
    }

    async fn remove(&self, key: &str) -> Result<()> {
        let indexes = self.filed_under(key).await?;
        let mut pipe = redis::pipe();
        pipe.atomic().del(self.record_key(key)).ignore();
        for index in &indexes {
            pipe.srem(self.index_key(index), key).ignore();
        }
        let mut conn = self.connection.manager();
        let () = pipe
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("delete", &err))?;
        Ok(())
    }

    async fn remove_indexed(&self, indexes: &[String], _now: u64) -> Result<u64> {
        let mut conn = self.connection.manager();
        let index_keys: Vec<String> = indexes.iter().map(|i| self.index_key(i)).collect();
        let members: Vec<String> = redis::cmd("SUNION")
            .arg(&index_keys)
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("read", &err))?;
        if members.is_empty() {
            return Ok(0);
        }

        // Where each matching record is filed, to take it out of every index it is in.
        let mut lookup = redis::pipe();
        for member in &members {
            lookup.hget(self.record_key(member), "x");
        }
        let filed: Vec<Option<String>> = lookup
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("read", &err))?;

        let mut delete = redis::pipe();
        delete.atomic();
        for member in &members {
            delete.del(self.record_key(member));
        }
        for (member, listed) in members.iter().zip(&filed) {
            let mut own = split_indexes(listed.as_deref());
            own.extend(indexes.iter().cloned());
            own.sort();
            own.dedup();
            for index in own {
                delete.srem(self.index_key(&index), member).ignore();
            }
        }
        let deleted: Vec<u64> = delete
            .query_async(&mut conn)
            .await
            .map_err(|err| store_error("delete", &err))?;
        Ok(deleted.into_iter().sum())
    }
}
