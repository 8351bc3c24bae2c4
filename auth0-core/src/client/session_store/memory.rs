//! A session backend in this process's memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{SessionBackend, SessionWrite, StoredSession};
use crate::error::{Error, Result};

/// The default capacity of a [`MemoryBackend`].
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// Session records in this process's memory, bounded, each dropped after its expiry.
///
/// For single-instance apps and tests: sessions are lost on restart and not shared between
/// instances. When full, the least recently written or extended record is dropped first
/// (that user must log in again). Clones share the records.
#[derive(Debug, Clone)]
pub struct MemoryBackend {
    inner: Arc<Mutex<Records>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Records {
    by_key: HashMap<String, Record>,
    /// Keys by last write or extension, oldest first.
    order: BTreeMap<u64, String>,
    /// Index key to the records filed under it.
    indexes: HashMap<String, HashSet<String>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Record {
    record: String,
    expires_at: u64,
    indexes: Vec<String>,
    seq: u64,
}

impl MemoryBackend {
    /// A backend holding at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Records::default())),
            capacity: capacity.max(1),
        }
    }

    /// How many records are held (expired ones count until dropped).
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |records| records.by_key.len())
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, Records>> {
        self.inner
            .lock()
            .map_err(|_| Error::Store("session memory lock poisoned".into()))
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_CAPACITY)
    }
}

impl Records {
    fn remove(&mut self, key: &str) -> Option<Record> {
        let record = self.by_key.remove(key)?;
        self.order.remove(&record.seq);
        for index in &record.indexes {
            if let Some(members) = self.indexes.get_mut(index) {
                members.remove(key);
                if members.is_empty() {
                    self.indexes.remove(index);
                }
            }
        }
        Some(record)
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Drops expired records from the oldest end, then the oldest while over `capacity`.
    fn evict(&mut self, now: u64, capacity: usize) {
        while let Some((&seq, key)) = self.order.first_key_value() {
            let Some(record) = self.by_key.get(key) else {
                self.order.remove(&seq); // Unreachable by construction; never loop on it.
                continue;
            };
            let live = record.expires_at > now;
            if live && self.by_key.len() <= capacity {
                break;
            }
            if live {
                tracing::debug!("session memory full: dropping the least recently used session");
            }
            let key = key.clone();
            self.remove(&key);
        }
    }
}

#[async_trait]
impl SessionBackend for MemoryBackend {
    async fn load(&self, key: &str, now: u64) -> Result<Option<StoredSession>> {
        let mut records = self.lock()?;
        let expired = match records.by_key.get(key) {
            None => return Ok(None),
            Some(record) => record.expires_at <= now,
        };
        if expired {
            records.remove(key);
            return Ok(None);
        }
        Ok(records.by_key.get(key).map(|record| StoredSession {
            record: record.record.clone(),
            expires_at: record.expires_at,
        }))
    }

    async fn save(&self, key: &str, write: SessionWrite<'_>, now: u64) -> Result<bool> {
        let mut records = self.lock()?;
        let live = records
            .by_key
            .get(key)
            .is_some_and(|record| record.expires_at > now);
        if write.must_exist && !live {
            return Ok(false);
        }
        records.remove(key);
        let seq = records.next_seq();
        for index in write.indexes {
            let members = records.indexes.entry(index.clone()).or_default();
            members.insert(key.to_owned());
        }
        let record = Record {
            record: write.record.to_owned(),
            expires_at: write.expires_at,
            indexes: write.indexes.to_vec(),
            seq,
        };
        records.by_key.insert(key.to_owned(), record);
        records.order.insert(seq, key.to_owned());
        records.evict(now, self.capacity);
        Ok(true)
    }

    async fn touch(&self, key: &str, expires_at: u64, now: u64) -> Result<bool> {
        let mut records = self.lock()?;
        let seq = records.next_seq();
        let Some(record) = records.by_key.get_mut(key) else {
            return Ok(false);
        };
        if record.expires_at <= now {
            return Ok(false);
        }
        let previous = std::mem::replace(&mut record.seq, seq);
        record.expires_at = expires_at;
        records.order.remove(&previous);
        records.order.insert(seq, key.to_owned());
        Ok(true)
    }

    async fn remove(&self, key: &str) -> Result<()> {
        self.lock()?.remove(key);
        Ok(())
    }

    async fn remove_indexed(&self, indexes: &[String], _now: u64) -> Result<u64> {
        let mut records = self.lock()?;
        let keys: HashSet<String> = indexes
            .iter()
            .filter_map(|index| records.indexes.get(index))
            .flatten()
            .cloned()
            .collect();
        let removed = keys
            .iter()
            .filter(|key| records.remove(key).is_some())
            .count();
        Ok(removed as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write<'a>(indexes: &'a [String], expires_at: u64) -> SessionWrite<'a> {
        SessionWrite {
            record: "sealed",
            indexes,
            expires_at,
            max_expires_at: expires_at + 1_000,
            must_exist: false,
        }
    }

    fn idx(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[tokio::test]
    async fn expired_records_read_as_absent_and_are_dropped() {
        let backend = MemoryBackend::new(10);
        backend
            .save("k", write(&idx(&["i"]), 100), 0)
            .await
            .unwrap();
        assert_eq!(
            backend.load("k", 99).await.unwrap().unwrap().expires_at,
            100
        );
        assert!(backend.touch("k", 200, 99).await.unwrap());
        assert!(backend.load("k", 150).await.unwrap().is_some());
        assert!(backend.load("k", 200).await.unwrap().is_none());
        assert!(backend.is_empty());
        assert!(!backend.touch("k", 300, 201).await.unwrap());
    }

    #[tokio::test]
    async fn updates_never_recreate_a_removed_record() {
        let backend = MemoryBackend::new(10);
        let update = SessionWrite {
            must_exist: true,
            ..write(&[], 100)
        };
        assert!(!backend.save("k", update, 0).await.unwrap());
        assert!(backend.is_empty());
        assert!(backend.save("k", write(&[], 100), 0).await.unwrap());
        assert!(backend.save("k", update, 0).await.unwrap());
        assert!(
            !backend.save("k", update, 100).await.unwrap(),
            "expired counts as gone"
        );
    }

    #[tokio::test]
    async fn full_backends_drop_the_least_recently_used() {
        let backend = MemoryBackend::new(2);
        backend.save("a", write(&[], 100), 0).await.unwrap();
        backend.save("b", write(&[], 100), 0).await.unwrap();
        assert!(backend.touch("a", 100, 1).await.unwrap());
        backend.save("c", write(&[], 100), 2).await.unwrap();
        assert_eq!(backend.len(), 2);
        assert!(backend.load("b", 3).await.unwrap().is_none());
        assert!(backend.load("a", 3).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn indexes_follow_removals_and_replacements() {
        let backend = MemoryBackend::new(10);
        backend
            .save("a", write(&idx(&["sid1", "sub"]), 100), 0)
            .await
            .unwrap();
        backend
            .save("b", write(&idx(&["sid2", "sub"]), 100), 0)
            .await
            .unwrap();
        // Re-saving "a" under another sid leaves no stale entry behind.
        backend
            .save("a", write(&idx(&["sid3", "sub"]), 100), 0)
            .await
            .unwrap();
        assert_eq!(backend.remove_indexed(&idx(&["sid1"]), 1).await.unwrap(), 0);
        assert_eq!(backend.remove_indexed(&idx(&["sid2"]), 1).await.unwrap(), 1);
        backend.remove("a").await.unwrap();
        assert_eq!(
            backend
                .remove_indexed(&idx(&["sub", "sid3"]), 1)
                .await
                .unwrap(),
            0
        );
        assert!(backend.lock().unwrap().indexes.is_empty());
    }
}
