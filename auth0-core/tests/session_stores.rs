//! One suite, run against every session store through the public API only: the cookie store
//! (with an in-memory and a Redis logout registry) and the server-side store (over memory and
//! over the Redis at 127.0.0.1:6379, each test under its own key prefix).
#![cfg(feature = "client")]

mod support;

use auth0_core::Error;
use auth0_core::session::SessionLifetime;
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
    assert_eq!(written[0].name, "_a0_session");
    assert_eq!(written[0].max_age, Some(86_400));

    let read = store.get(&mut browser.request(), NOW + 1).await.unwrap().unwrap();
    let mut expected = original;
    expected.internal.updated_at = Some(NOW);
    assert_eq!(read, expected);
    assert!(store.get(&mut Browser::default().request(), NOW).await.unwrap().is_none());
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
            assert!(names.len() >= 4 && names[0] == "_a0_session.0", "{names:?}");
        }
        let read = store.get(&mut browser.request(), NOW).await.unwrap().unwrap();
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
        store.set(&data, step == 0, &mut options, NOW).await.unwrap();
        browser.apply(&options);
        if size == SMALL {
            assert_eq!(browser.jar.keys().collect::<Vec<_>>(), ["_a0_session"]);
        }
        let read = store.get(&mut browser.request(), NOW).await.unwrap().unwrap();
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
            3 => *value = value.replace('.', "~"),
            4 => *value = value.repeat(2),
            _ => {
                let name = name.clone();
                browser.jar.remove(&name);
                browser.jar.insert("_a0_session.7".into(), "x".into());
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
async fn signed_in(store: &dyn auth0_core::SessionStore, data: &auth0_core::SessionData, at: u64) -> Browser {
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(data, true, &mut options, at).await.unwrap();
    browser.apply(&options);
    browser
}

/// A session idle for the inactivity window is gone, its cookie cleared and (server-side)
/// its record deleted.
async fn expires_after_inactivity(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 10_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let browser = signed_in(&*store, &data, NOW).await;
    assert!(store.get(&mut browser.request(), NOW + 999).await.unwrap().is_some());

    let idle = signed_in(&*store, &data, NOW).await;
    let mut after = idle.clone();
    let mut options = after.request();
    assert!(store.get(&mut options, NOW + 1_000).await.unwrap().is_none());
    let cleared = after.apply(&options);
    assert!(cleared.iter().all(|c| c.max_age == Some(0)) && !cleared.is_empty());
    assert!(after.jar.is_empty());
    if h.stateful {
        assert!(store.get(&mut idle.request(), NOW + 1).await.unwrap().is_none());
    }
}

/// However active, a session ends at the absolute cap.
async fn expires_at_the_absolute_cap(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 3_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let mut browser = signed_in(&*store, &data, NOW).await;
    for at in [NOW + 900, NOW + 1_800, NOW + 2_700, NOW + 2_999] {
        let mut options = browser.request();
        assert!(store.get(&mut options, at).await.unwrap().is_some(), "{}", at - NOW);
        for cookie in browser.apply(&options) {
            assert_eq!(cookie.max_age, Some((NOW + 3_000 - at).min(1_000)));
        }
    }
    assert!(store.get(&mut browser.request(), NOW + 3_000).await.unwrap().is_none());
}

/// The provider's `session_expiry` caps the session and its cookie.
async fn expires_at_session_expiry(h: &Harness) {
    let store = h.store();
    let mut data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    data.internal.session_expiry = Some(NOW + 500);
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW).await.unwrap();
    assert_eq!(browser.apply(&options)[0].max_age, Some(500));
    assert!(store.get(&mut browser.request(), NOW + 499).await.unwrap().is_some());
    assert!(store.get(&mut browser.request(), NOW + 500).await.unwrap().is_none());

    // Setting an already-ended session stores nothing and clears the cookie.
    let mut options = browser.request();
    store.set(&data, false, &mut options, NOW + 600).await.unwrap();
    browser.apply(&options);
    assert!(browser.jar.is_empty());
}

/// Reads extend a rolling session, at most once per interval (60 s here).
async fn rolling_extension_is_throttled(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 100_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, MEDIUM);
    let mut browser = signed_in(&*store, &data, NOW).await;

    let mut options = browser.request();
    let read = store.get(&mut options, NOW + 30).await.unwrap().unwrap();
    assert_eq!(read.internal.updated_at, Some(NOW));
    assert!(browser.apply(&options).is_empty(), "no rewrite within the interval");

    let mut options = browser.request();
    let read = store.get(&mut options, NOW + 61).await.unwrap().unwrap();
    assert_eq!(read.internal.updated_at, Some(NOW + 61));
    let written = browser.apply(&options);
    assert!(!written.is_empty() && written.iter().all(|c| c.max_age == Some(1_000)));

    // Alive past the original end, thanks to the extension.
    assert!(store.get(&mut browser.request(), NOW + 1_060).await.unwrap().is_some());
    assert!(store.get(&mut browser.request(), NOW + 1_061).await.unwrap().is_none());
}

/// `delete` clears the cookie and, server-side, the record behind older copies of it.
async fn delete_ends_the_session(h: &Harness) {
    let store = h.store();
    let data = session(ISSUER, "sid-1", "user-1", NOW, LARGE);
    let mut browser = signed_in(&*store, &data, NOW).await;
    let copy = browser.clone();
    let mut options = browser.request();
    store.delete(&mut options).await.unwrap();
    let cleared = browser.apply(&options);
    assert!(cleared.iter().any(|c| c.name == "_a0_session" && c.max_age == Some(0)));
    assert!(browser.jar.is_empty());
    assert!(store.get(&mut browser.request(), NOW).await.unwrap().is_none());
    if h.stateful {
        assert!(store.get(&mut copy.request(), NOW).await.unwrap().is_none());
    }
}

/// Back-channel logout ends the sessions of that issuer with that sid or sub, and only
/// those created before it.
async fn logout_by_sid_and_sub(h: &Harness) {
    let store = h.store();
    let a = signed_in(&*store, &session(ISSUER, "sid-1", "user-1", NOW, SMALL), NOW).await;
    let b = signed_in(&*store, &session(ISSUER, "sid-2", "user-2", NOW, SMALL), NOW).await;
    let b2 = signed_in(&*store, &session(ISSUER, "sid-3", "user-2", NOW, SMALL), NOW).await;
    let c = signed_in(&*store, &session(OTHER_ISSUER, "sid-1", "user-1", NOW, SMALL), NOW).await;
    let alive = |browser: &Browser, at| {
        let mut options = browser.request();
        let store = &store;
        async move { store.get(&mut options, at).await.unwrap().is_some() }
    };

    let removed = store.delete_by_logout(ISSUER, Some("sid-1"), None, NOW + 10).await;
    assert_eq!(removed.unwrap(), if h.stateful { 1 } else { 0 });
    assert!(!alive(&a, NOW + 11).await);
    assert!(alive(&b, NOW + 11).await && alive(&c, NOW + 11).await);

    let removed = store.delete_by_logout(ISSUER, None, Some("user-2"), NOW + 20).await;
    assert_eq!(removed.unwrap(), if h.stateful { 2 } else { 0 });
    assert!(!alive(&b, NOW + 21).await && !alive(&b2, NOW + 21).await);
    assert!(alive(&c, NOW + 21).await);
    let nothing = store.delete_by_logout(ISSUER, None, None, NOW + 30).await;
    assert_eq!(nothing.unwrap(), 0);

    // A login after the logout is untouched by it.
    let fresh = session(ISSUER, "sid-9", "user-2", NOW + 40, SMALL);
    let later = signed_in(&*store, &fresh, NOW + 40).await;
    assert!(alive(&later, NOW + 41).await);
}

/// A login issues a new session id; the old one reads as no session.
async fn login_rotates_the_session_id(h: &Harness) {
    let store = h.store();
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let mut browser = signed_in(&*store, &data, NOW).await;
    let before = browser.clone();

    let mut options = browser.request();
    store.set(&data, false, &mut options, NOW + 1).await.unwrap();
    let kept = browser.apply(&options);
    if h.stateful {
        assert_eq!(kept[0].value, before.jar["_a0_session"], "updates keep the id");
    }

    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW + 2).await.unwrap();
    let rotated = browser.apply(&options);
    assert_ne!(rotated[0].value, before.jar["_a0_session"]);
    assert!(store.get(&mut browser.request(), NOW + 3).await.unwrap().is_some());
    if h.stateful {
        assert!(store.get(&mut before.request(), NOW + 3).await.unwrap().is_none());
        assert!(rotated[0].value.len() >= 22 && !rotated[0].header.contains("sid-1"));
    }
}

/// A session too large for the cookie bound is refused with a typed error, never dropped.
async fn oversized_sessions_are_refused(h: &Harness) {
    let store = h.store();
    let data = session(ISSUER, "sid-1", "user-1", NOW, 60_000);
    let mut options = Browser::default().request();
    let result = store.set(&data, true, &mut options, NOW).await;
    if h.stateful {
        result.unwrap();
    } else {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "session", .. }), "{err:?}");
        assert!(options.response_headers().is_empty());
    }
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
mod redis_down;
