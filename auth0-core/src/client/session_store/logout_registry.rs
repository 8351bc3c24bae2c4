//! Back-channel logouts remembered for stateless sessions.
//!
//! A cookie session cannot be deleted from the server, so the cookie store records each
//! logout here and refuses, from then on, every cookie session of that sid or sub created no
//! later than the logout. Entries only need to live as long as a session can (the absolute
//! lifetime): anything older has expired on its own.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};

/// Where back-channel logouts are recorded for stateless session stores.
///
/// Keys are opaque digests of (issuer, sid) or (issuer, sub) computed by the store with a key
/// derived from the application secret: a registry never sees the raw identifiers.
#[async_trait]
pub trait LogoutRegistry: Send + Sync + std::fmt::Debug {
    /// Records that the sessions filed under `keys` were logged out at `at` (Unix seconds);
    /// the record may be forgotten after `ttl_secs`.
    async fn record(&self, keys: &[String], at: u64, ttl_secs: u64) -> Result<()>;

    /// The latest logout recorded under any of `keys` that is still kept at `now`.
    async fn logged_out_at(&self, keys: &[String], now: u64) -> Result<Option<u64>>;
}

/// The default capacity of a [`MemoryLogoutRegistry`].
pub const DEFAULT_LOGOUT_CAPACITY: usize = 100_000;

/// Logouts in this process's memory, bounded, each kept for its TTL.
///
/// Enough for one app instance; apps on several instances need a shared registry (for
/// example `RedisLogoutRegistry`), or a logout received by one instance is unknown to the
/// others. When full, the oldest entry is dropped first. Clones share the entries.
#[derive(Debug, Clone)]
pub struct MemoryLogoutRegistry {
    inner: Arc<Mutex<Entries>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Entries {
    /// Key to (logout time, forget-after time).
    by_key: HashMap<String, (u64, u64)>,
    /// Keys in insertion order with their forget-after time, to evict the oldest first.
    order: VecDeque<(String, u64)>,
}

impl MemoryLogoutRegistry {
    /// A registry holding at most `capacity` logouts.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Entries::default())),
            capacity: capacity.max(1),
        }
    }

    /// How many logouts are held (expired ones may count until they are evicted).
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |entries| entries.by_key.len())
    }

    /// Whether no logout is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Entries>> {
        self.inner
            .lock()
            .map_err(|_| Error::Store("logout registry lock poisoned".into()))
    }
}

impl Default for MemoryLogoutRegistry {
    fn default() -> Self {
        Self::new(DEFAULT_LOGOUT_CAPACITY)
    }
}

impl Entries {
    /// Drops the front entry if it expired or the map is over `capacity`; false when done.
    fn evict_front(&mut self, now: u64, capacity: usize) -> bool {
        let Some((key, forget_at)) = self.order.front() else {
            return false;
        };
        let current = self.by_key.get(key).map(|(_, f)| *f);
        let superseded = current != Some(*forget_at);
        if !(superseded || *forget_at <= now || self.by_key.len() > capacity) {
            return false;
        }
        if !superseded && *forget_at > now {
            tracing::warn!("logout registry full: forgetting the oldest logout early");
        }
        let (key, _) = self.order.pop_front().expect("front exists");
        if !superseded {
            self.by_key.remove(&key);
        }
        true
    }
}

#[async_trait]
impl LogoutRegistry for MemoryLogoutRegistry {
    async fn record(&self, keys: &[String], at: u64, ttl_secs: u64) -> Result<()> {
        let mut entries = self.lock()?;
        let forget_at = at.saturating_add(ttl_secs);
        for key in keys {
            let latest = match entries.by_key.get(key) {
                Some((previous, _)) => (*previous).max(at),
                None => at,
            };
            entries.by_key.insert(key.clone(), (latest, forget_at));
            entries.order.push_back((key.clone(), forget_at));
        }
        while entries.evict_front(at, self.capacity) {}
        Ok(())
    }

    async fn logged_out_at(&self, keys: &[String], now: u64) -> Result<Option<u64>> {
        let entries = self.lock()?;
        Ok(keys
            .iter()
            .filter_map(|key| entries.by_key.get(key))
            .filter(|(_, forget_at)| *forget_at > now)
            .map(|(at, _)| *at)
            .max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[tokio::test]
    async fn keeps_the_latest_logout_until_its_ttl() {
        let registry = MemoryLogoutRegistry::new(10);
        registry.record(&keys(&["a"]), 100, 50).await.unwrap();
        registry.record(&keys(&["a", "b"]), 120, 50).await.unwrap();
        let found = registry.logged_out_at(&keys(&["a"]), 130).await.unwrap();
        assert_eq!(found, Some(120));
        let either = registry.logged_out_at(&keys(&["x", "b"]), 130).await;
        assert_eq!(either.unwrap(), Some(120));
        assert_eq!(
            registry.logged_out_at(&keys(&["a"]), 170).await.unwrap(),
            None
        );
        assert_eq!(
            registry.logged_out_at(&keys(&["c"]), 130).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn bounded_oldest_first_and_expired_entries_go() {
        let registry = MemoryLogoutRegistry::new(2);
        registry.record(&keys(&["a"]), 1, 1_000).await.unwrap();
        registry.record(&keys(&["b"]), 2, 1_000).await.unwrap();
        registry.record(&keys(&["c"]), 3, 1_000).await.unwrap();
        assert_eq!(registry.len(), 2);
        assert_eq!(
            registry.logged_out_at(&keys(&["a"]), 4).await.unwrap(),
            None
        );
        assert_eq!(
            registry.logged_out_at(&keys(&["b"]), 4).await.unwrap(),
            Some(2)
        );

        // Once expired, entries are dropped on the next record.
        registry.record(&keys(&["d"]), 2_000, 10).await.unwrap();
        assert_eq!(registry.len(), 1);
        assert!(!registry.is_empty());
    }
}
