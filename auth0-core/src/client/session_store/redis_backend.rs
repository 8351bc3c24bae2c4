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
/// With `ARGV[8] == '1'` it only replaces an existing record.
static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if ARGV[8] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
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

/// Seconds from `now` to `at`: at least one (Redis refuses a zero TTL), at most about 68
/// years (Redis refuses expiry times that overflow).
fn ttl(at: u64, now: u64) -> u64 {
    at.saturating_sub(now).clamp(1, i32::MAX as u64)
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

    async fn save(&self, key: &str, write: SessionWrite<'_>, now: u64) -> Result<bool> {
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
            .arg(key)
            .arg(if write.must_exist { "1" } else { "0" });
        let mut conn = self.connection.manager();
        let stored: i64 = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(|err| store_error("write", &err))?;
        Ok(stored == 1)
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

#[cfg(test)]
mod tests {
    use rand::RngCore;

    use super::*;
    use crate::client::{RedisOptions, SessionBackend};

    const URL: &str = "redis://127.0.0.1:6379";

    /// A backend under a fresh prefix whose keys are deleted when the test ends.
    struct Scratch {
        backend: RedisBackend,
        sync: redis::Connection,
    }

    impl Scratch {
        async fn new() -> Self {
            let connection = RedisConnection::connect(URL, &RedisOptions::default())
                .await
                .expect("Redis runs at 127.0.0.1:6379");
            let prefix = format!("a0unit:{:016x}:", rand::rng().next_u64());
            let sync = redis::Client::open(URL).unwrap().get_connection().unwrap();
            Self {
                backend: RedisBackend::with_prefix(connection, prefix),
                sync,
            }
        }

        fn query<T: redis::FromRedisValue>(&mut self, cmd: &str, key: &str) -> T {
            let full = format!("{}{key}", self.backend.prefix());
            redis::cmd(cmd).arg(full).query(&mut self.sync).unwrap()
        }

        fn members(&mut self, index: &str) -> Vec<String> {
            let mut members: Vec<String> = self.query("SMEMBERS", &format!("i:{index}"));
            members.sort();
            members
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let pattern = format!("{}*", self.backend.prefix());
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query(&mut self.sync)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut self.sync);
            }
        }
    }

    fn write<'a>(indexes: &'a [String], expires_at: u64, max: u64) -> SessionWrite<'a> {
        SessionWrite {
            record: "sealed",
            indexes,
            expires_at,
            max_expires_at: max,
            must_exist: false,
        }
    }

    fn idx(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[tokio::test]
    async fn records_and_indexes_carry_native_ttls() {
        let mut s = Scratch::new().await;
        let indexes = idx(&["sid", "sub"]);
        s.backend
            .save("k", write(&indexes, 1_100, 5_000), 1_000)
            .await
            .unwrap();
        let ttl: i64 = s.query("TTL", "s:k");
        assert!((99..=100).contains(&ttl), "{ttl}");
        let ttl: i64 = s.query("TTL", "i:sub");
        assert!((3_999..=4_000).contains(&ttl), "{ttl}");

        assert!(s.backend.touch("k", 1_300, 1_000).await.unwrap());
        let ttl: i64 = s.query("TTL", "s:k");
        assert!((299..=300).contains(&ttl), "{ttl}");
        let stored = s.backend.load("k", 1_000).await.unwrap().unwrap();
        assert_eq!(
            (stored.record.as_str(), stored.expires_at),
            ("sealed", 1_300)
        );

        // Neither updates nor touches create a record.
        let update = SessionWrite {
            must_exist: true,
            ..write(&indexes, 1_100, 5_000)
        };
        assert!(!s.backend.save("missing", update, 1_000).await.unwrap());
        assert!(s.backend.save("k", update, 1_000).await.unwrap());
        assert!(!s.backend.touch("missing", 1_300, 1_000).await.unwrap());
        let exists: i64 = s.query("EXISTS", "s:missing");
        assert_eq!(exists, 0);
    }

    #[tokio::test]
    async fn indexes_stay_consistent_on_resave_remove_and_logout() {
        let mut s = Scratch::new().await;
        let b = &s.backend.clone();
        b.save("a", write(&idx(&["sid1", "sub"]), 2_000, 9_000), 1_000)
            .await
            .unwrap();
        b.save("b", write(&idx(&["sid2", "sub"]), 2_000, 9_000), 1_000)
            .await
            .unwrap();
        b.save("a", write(&idx(&["sid3", "sub"]), 2_000, 9_000), 1_000)
            .await
            .unwrap();
        assert!(
            s.members("sid1").is_empty(),
            "re-saving drops old memberships"
        );
        assert_eq!(s.members("sub"), ["a", "b"]);

        b.remove("b").await.unwrap();
        assert!(s.members("sid2").is_empty());
        assert_eq!(s.members("sub"), ["a"]);

        // A stale member (its record gone without cleanup) is tolerated and not counted.
        let stale: i64 = redis::cmd("SADD")
            .arg(format!("{}i:sub", b.prefix()))
            .arg("ghost")
            .query(&mut s.sync)
            .unwrap();
        assert_eq!(stale, 1);
        assert_eq!(b.remove_indexed(&idx(&["sub"]), 1_000).await.unwrap(), 1);
        assert!(s.members("sid3").is_empty() && s.members("sub").is_empty());
        assert!(b.load("a", 1_000).await.unwrap().is_none());
        assert_eq!(
            b.remove_indexed(&idx(&["sub", "none"]), 1_000)
                .await
                .unwrap(),
            0
        );
    }

    #[test]
    fn debug_shows_the_prefix_only() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        let url = "redis://:hunter2-password@127.0.0.1:1/";
        let connection = RedisConnection::lazy(url, &RedisOptions::default()).unwrap();
        let printed = format!("{:?}", RedisBackend::new(connection));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains(DEFAULT_REDIS_SESSION_PREFIX));
    }
}
