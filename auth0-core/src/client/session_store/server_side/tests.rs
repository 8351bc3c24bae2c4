//! Unit tests of the server-side store over an instrumented memory backend.

use std::sync::atomic::{AtomicUsize, Ordering};

use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use serde_json::json;

use super::*;
use crate::client::MemoryBackend;
use crate::session::SessionInternal;
use crate::test_support::{ISSUER, NOW};

/// A memory backend that counts writes and can pretend records vanish before a touch.
#[derive(Debug, Default)]
struct Spy {
    inner: MemoryBackend,
    saves: AtomicUsize,
    touches: AtomicUsize,
    vanish_on_touch: bool,
}

#[async_trait]
impl SessionBackend for Spy {
    async fn load(&self, key: &str, now: u64) -> Result<Option<StoredSession>> {
        self.inner.load(key, now).await
    }
    async fn save(&self, key: &str, write: SessionWrite<'_>, now: u64) -> Result<bool> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(key, write, now).await
    }
    async fn touch(&self, key: &str, expires_at: u64, now: u64) -> Result<bool> {
        self.touches.fetch_add(1, Ordering::SeqCst);
        if self.vanish_on_touch {
            self.inner.remove(key).await?;
        }
        self.inner.touch(key, expires_at, now).await
    }
    async fn remove(&self, key: &str) -> Result<()> {
        self.inner.remove(key).await
    }
    async fn remove_indexed(&self, indexes: &[String], now: u64) -> Result<u64> {
        self.inner.remove_indexed(indexes, now).await
    }
}

fn store(backend: Spy) -> ServerSideSessionStore<Spy> {
    ServerSideSessionStore::new(&crate::test_support::config().build().unwrap(), backend)
}

fn session() -> SessionData {
    SessionData {
        user: Some(json!({"sub": "user-1"}).as_object().unwrap().clone()),
        id_token: None,
        refresh_token: None,
        token_sets: Vec::new(),
        domain: Some(ISSUER.into()),
        connection_token_sets: Vec::new(),
        internal: SessionInternal {
            sid: "sid-1".into(),
            created_at: NOW,
            session_expiry: None,
            updated_at: None,
        },
    }
}

fn request(cookie: &str) -> StoreOptions {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, cookie.parse().unwrap());
    StoreOptions::from_request_headers(&headers)
}

/// The `name=value` the response sets.
fn issued(options: &StoreOptions) -> String {
    let header = options.response_headers().get(SET_COOKIE).unwrap();
    header
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn records_are_sealed_and_keyed_by_a_digest_of_the_id() {
    let store = store(Spy::default());
    let mut options = StoreOptions::new();
    store
        .set(&session(), true, &mut options, NOW)
        .await
        .unwrap();
    let cookie = issued(&options);
    let id = SessionId::parse(cookie.strip_prefix("_a0_session=").unwrap()).unwrap();

    let backend = &store.backend().inner;
    assert!(backend.load(id.expose(), NOW).await.unwrap().is_none());
    let stored = backend.load(&id.storage_key(), NOW).await.unwrap().unwrap();
    assert!(!stored.record.contains("user-1") && !stored.record.contains("sid-1"));
    assert!(store.key.unseal::<SessionData>(&stored.record).is_some());
    assert_eq!(stored.expires_at, NOW + 86_400);
    assert!(!format!("{stored:?}").contains(&stored.record));
}

#[tokio::test]
async fn rolling_reads_extend_without_rewriting_the_record() {
    let store = store(Spy::default());
    let mut options = StoreOptions::new();
    store
        .set(&session(), true, &mut options, NOW)
        .await
        .unwrap();
    let cookie = issued(&options);

    for at in [NOW + 10, NOW + 900, NOW + 950, NOW + 2_000] {
        assert!(
            store
                .get(&mut request(&cookie), at)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(store.backend().saves.load(Ordering::SeqCst), 1);
    assert_eq!(store.backend().touches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_record_removed_during_the_read_is_no_session() {
    let store = store(Spy {
        vanish_on_touch: true,
        ..Spy::default()
    });
    let mut options = StoreOptions::new();
    store
        .set(&session(), true, &mut options, NOW)
        .await
        .unwrap();
    let mut options = request(&issued(&options));
    assert!(
        store
            .get(&mut options, NOW + 1_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(issued(&options).ends_with('='), "the cookie is cleared");
}

#[tokio::test]
async fn planted_ids_are_never_adopted() {
    let store = store(Spy::default());
    for planted in [
        "_a0_session=short",
        "_a0_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!",
    ] {
        let mut options = request(planted);
        assert!(store.get(&mut options, NOW).await.unwrap().is_none());
        store
            .set(&session(), false, &mut options, NOW)
            .await
            .unwrap();
        assert_ne!(issued(&options), planted);
    }
    // A well-formed id nobody issued reads as no session, and its cookie is cleared.
    let unknown = format!("_a0_session={}", SessionId::generate().expose());
    let mut options = request(&unknown);
    assert!(store.get(&mut options, NOW).await.unwrap().is_none());
    assert_eq!(issued(&options), "_a0_session=");
}
