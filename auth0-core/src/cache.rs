//! A small bounded cache whose entries expire, for per-issuer discovery documents and key sets.
//!
//! The cache owns no clock: every call takes `now` in Unix seconds, so tests and the sans-IO
//! drivers decide what time it is.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// A map of at most `capacity` entries, each valid for `ttl` seconds after it was inserted.
///
/// When the map is full, inserting a new key first drops expired entries and then, if still
/// full, the entry inserted longest ago. Capacities here are small (one entry per issuer), so
/// eviction scans the entries instead of keeping a second index.
#[derive(Debug, Clone)]
pub struct TtlCache<K, V> {
    entries: HashMap<K, Entry<V>>,
    capacity: usize,
    ttl: u64,
    /// Breaks ties between entries inserted in the same second, so "oldest" is well defined.
    next_seq: u64,
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    inserted_at: u64,
    seq: u64,
}

impl<K: Eq + Hash, V> TtlCache<K, V> {
    /// Creates an empty cache; a `capacity` or `ttl` of zero caches nothing.
    pub fn new(capacity: usize, ttl_secs: u64) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
            ttl: ttl_secs,
            next_seq: 0,
        }
    }

    /// The entry for `key`, unless it is absent or has expired at `now`.
    pub fn get<Q>(&self, key: &Q, now: u64) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .filter(|entry| self.is_fresh(entry, now))
            .map(|entry| &entry.value)
    }

    /// When the live entry for `key` was inserted, in Unix seconds.
    pub fn inserted_at<Q>(&self, key: &Q, now: u64) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .filter(|entry| self.is_fresh(entry, now))
            .map(|e| e.inserted_at)
    }

    /// Stores `value` for `key` as of `now`, replacing any previous entry for that key.
    pub fn insert(&mut self, key: K, value: V, now: u64) {
        if self.capacity == 0 {
            return;
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.make_room(now);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.insert(
            key,
            Entry {
                value,
                inserted_at: now,
                seq,
            },
        );
    }

    /// Removes the entry for `key`, returning its value even when it had expired.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.remove(key).map(|entry| entry.value)
    }

    /// How many entries are stored, counting expired ones not yet dropped.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most entries the cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long an entry stays valid, in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl
    }

    /// An entry is fresh until `ttl` seconds have passed. A clock that went backwards counts as
    /// no time passed: the entry still expires `ttl` seconds after the time it was stored at.
    fn is_fresh(&self, entry: &Entry<V>, now: u64) -> bool {
        now.saturating_sub(entry.inserted_at) < self.ttl
    }

    /// Drops expired entries, then the oldest one if that freed nothing.
    fn make_room(&mut self, now: u64) {
        let ttl = self.ttl;
        self.entries
            .retain(|_, entry| now.saturating_sub(entry.inserted_at) < ttl);
        if self.entries.len() < self.capacity {
            return;
        }
        let oldest = self
            .entries
            .values()
            .map(|entry| (entry.inserted_at, entry.seq))
            .min();
        if let Some((_, seq)) = oldest {
            self.entries.retain(|_, entry| entry.seq != seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let mut cache = TtlCache::new(10, 600);
        cache.insert("https://a/".to_owned(), 1, 1_000);
        assert_eq!(cache.get("https://a/", 1_000), Some(&1));
        assert_eq!(cache.get("https://a/", 1_599), Some(&1));
        assert_eq!(cache.inserted_at("https://a/", 1_599), Some(1_000));
        assert_eq!(cache.get("https://a/", 1_600), None);
        assert_eq!(cache.inserted_at("https://a/", 1_600), None);
        assert_eq!(cache.get("https://b/", 1_000), None);
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_entry() {
        let mut cache = TtlCache::new(2, 600);
        cache.insert("a", 1, 10);
        cache.insert("b", 2, 20);
        cache.insert("a", 3, 30); // replacing keeps the size and refreshes "a"
        assert_eq!(cache.len(), 2);
        cache.insert("c", 4, 40);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("b", 40), None);
        assert_eq!(cache.get("a", 40), Some(&3));
        assert_eq!(cache.get("c", 40), Some(&4));
    }

    #[test]
    fn ties_in_the_same_second_evict_the_first_inserted() {
        let mut cache = TtlCache::new(2, 600);
        cache.insert("a", 1, 10);
        cache.insert("b", 2, 10);
        cache.insert("c", 3, 10);
        assert_eq!(cache.get("a", 10), None);
        assert_eq!(cache.get("b", 10), Some(&2));
    }

    #[test]
    fn expired_entries_make_room_before_live_ones() {
        let mut cache = TtlCache::new(2, 100);
        cache.insert("old", 1, 0);
        cache.insert("live", 2, 150);
        cache.insert("new", 3, 160);
        assert_eq!(cache.get("live", 160), Some(&2));
        assert_eq!(cache.get("new", 160), Some(&3));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn zero_capacity_or_ttl_caches_nothing() {
        let mut cache = TtlCache::new(0, 600);
        cache.insert("a", 1, 0);
        assert!(cache.is_empty());

        let mut cache = TtlCache::new(4, 0);
        cache.insert("a", 1, 0);
        assert_eq!(cache.get("a", 0), None);
    }

    #[test]
    fn a_clock_going_backwards_does_not_extend_an_entry() {
        let mut cache = TtlCache::new(4, 60);
        cache.insert("a", 1, 1_000);
        assert_eq!(cache.get("a", 900), Some(&1));
        assert_eq!(cache.get("a", 1_060), None);
        assert_eq!(cache.remove("a"), Some(1));
        assert!(cache.is_empty());
    }
}
