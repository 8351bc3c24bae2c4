//! One suite, run against every session store through the public API only: the cookie store
//! (with an in-memory and a Redis logout registry) and the server-side store (over memory and
//! over the Redis at 127.0.0.1:6379, each test under its own key prefix).
// Built only with the `client` and `redis` features (see `[[test]]` in Cargo.toml).

#[path = "session_stores/lifecycle.rs"]
mod lifecycle;
#[path = "session_stores/support.rs"]
mod support;

use auth0_core::session::SessionLifetime;
use lifecycle::*;
use support::*;

const SMALL: usize = 1_000;
const MEDIUM: usize = 2_700;
const LARGE: usize = 12_000;

fn lifetime(inactivity_secs: u64, absolute_secs: u64) -> SessionLifetime {
    SessionLifetime {
        inactivity_secs,
        absolute_secs,
    }
}

/// What a store writes comes back, with the attributes and `Max-Age` of the session's end.
async fn round_trip(h: &Harness) {
    let store = h.store();
    let mut browser = Browser::default();
    let original = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let mut options = browser.request();
    store.set(&original, true, &mut options, NOW).await.unwrap();
    let written = browser.apply(&options);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].name, h.first_cookie());
    assert_eq!(written[0].max_age, Some(86_400));

    let read = store
        .get(&mut browser.request(), NOW + 1)
        .await
        .unwrap()
        .unwrap();
    let mut expected = original;
    expected.internal.updated_at = Some(NOW);
    assert_eq!(read, expected);
    assert!(
        store
            .get(&mut Browser::default().request(), NOW)
            .await
            .unwrap()
            .is_none()
    );
}

/// 2.7 KB and 12 KB sessions round-trip with every header under 4096 bytes.
async fn large_sessions_are_chunked(h: &Harness) {
    let store = h.store();
    for size in [MEDIUM, LARGE] {
        let mut browser = Browser::default();
        let original = session(ISSUER, "sid-1", "user-1", NOW, size);
        let mut options = browser.request();
        store.set(&original, true, &mut options, NOW).await.unwrap();
        let written = browser.apply(&options);
        if !h.stateful && size == LARGE {
            let names: Vec<&str> = written.iter().map(|c| c.name.as_str()).collect();
            assert!(names.len() >= 4 && names[0] == "_a0_session_0", "{names:?}");
        }
        let read = store
            .get(&mut browser.request(), NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.user, original.user);
    }
}

/// Shrinking, growing and shrinking again leaves exactly the live cookies in the browser.
async fn resizing_expires_stale_chunks(h: &Harness) {
    let store = h.store();
    let mut browser = Browser::default();
    for (step, size) in [LARGE, SMALL, LARGE, MEDIUM, SMALL].into_iter().enumerate() {
        let mut options = browser.request();
        let data = session(ISSUER, "sid-1", "user-1", NOW, size);
        store
            .set(&data, step == 0, &mut options, NOW)
            .await
            .unwrap();
        browser.apply(&options);
        if size == SMALL {
            assert_eq!(browser.jar.keys().collect::<Vec<_>>(), [h.first_cookie()]);
        }
        let read = store
            .get(&mut browser.request(), NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.user, data.user);
    }
}

/// Tampered, truncated, foreign and garbage cookies read as no session, never an error.
async fn unreadable_cookies_read_as_none(h: &Harness) {
    let store = h.store();
    let mut good = Browser::default();
    let mut options = good.request();
    let data = session(ISSUER, "sid-1", "user-1", NOW, LARGE);
    store.set(&data, true, &mut options, NOW).await.unwrap();
    good.apply(&options);

    let mut foreign = Browser::default();
    let other = h.store_with(OTHER_SECRET, SessionLifetime::default());
    let mut options = foreign.request();
    other.set(&data, true, &mut options, NOW).await.unwrap();
    foreign.apply(&options);

    let mut variants = vec![foreign];
    for edit in 0..6 {
        let mut browser = good.clone();
        let (name, value) = browser.jar.iter_mut().next().unwrap();
        match edit {
            0 => *value = flip(value, value.len() / 2),
            1 => value.truncate(value.len() - 5),
            2 => *value = "garbage".into(),
            3 => value.insert(0, 'A'),
            4 => *value = value.repeat(2),
            _ => {
                let name = name.clone();
                browser.jar.remove(&name);
                browser.jar.insert("_a0_session_7".into(), "x".into());
            }
        }
        variants.push(browser);
    }
    variants.push(Browser {
        jar: [("_a0_session".to_owned(), "%00%FF".to_owned())].into(),
    });
    for (i, mut browser) in variants.into_iter().enumerate() {
        let mut options = browser.request();
        let read = store.get(&mut options, NOW).await;
        assert!(matches!(read, Ok(None)), "variant {i}: {read:?}");
        browser.apply(&options);
    }
    assert!(store.get(&mut good.request(), NOW).await.unwrap().is_some());
}

fn flip(value: &str, at: usize) -> String {
    let mut bytes = value.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Sets a session at `at` into a fresh browser.
async fn signed_in(
    store: &dyn auth0_core::SessionStore,
    data: &auth0_core::SessionData,
    at: u64,
) -> Browser {
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(data, true, &mut options, at).await.unwrap();
    browser.apply(&options);
    browser
}

macro_rules! suite {
    ($store:ident, $harness:expr) => {
        mod $store {
            use super::*;

            suite!(@cases $harness; round_trip, large_sessions_are_chunked,
                resizing_expires_stale_chunks, unreadable_cookies_read_as_none,
                expires_after_inactivity, expires_at_the_absolute_cap,
                expires_at_session_expiry, rolling_extension_is_throttled,
                delete_ends_the_session, logout_by_sid_and_sub,
                login_rotates_the_session_id, oversized_sessions_are_refused);
        }
    };
    (@cases $harness:expr; $($case:ident),+) => {
        $(
            #[tokio::test]
            async fn $case() {
                let harness = $harness.await;
                super::$case(&harness).await;
            }
        )+
    };
}

suite!(cookie_memory_registry, cookie_memory());
suite!(server_side_memory, server_memory());
#[cfg(feature = "redis")]
suite!(cookie_redis_registry, cookie_redis());
#[cfg(feature = "redis")]
suite!(server_side_redis, server_redis());

#[cfg(feature = "redis")]
#[path = "session_stores/redis_down.rs"]
mod redis_down;
