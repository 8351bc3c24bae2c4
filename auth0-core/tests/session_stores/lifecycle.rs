//! The suite's cases about a session's life: expiry, rolling extension, deletion,
//! back-channel logout, id rotation and the size bound.

use auth0_core::Error;

use super::support::*;
use super::{LARGE, MEDIUM, SMALL, lifetime, signed_in};

/// A session idle for the inactivity window is gone, its cookie cleared and (server-side)
/// its record deleted.
pub(crate) async fn expires_after_inactivity(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 10_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let browser = signed_in(&*store, &data, NOW).await;
    assert!(
        store
            .get(&mut browser.request(), NOW + 999)
            .await
            .unwrap()
            .is_some()
    );

    let idle = signed_in(&*store, &data, NOW).await;
    let mut after = idle.clone();
    let mut options = after.request();
    assert!(
        store
            .get(&mut options, NOW + 1_000)
            .await
            .unwrap()
            .is_none()
    );
    let cleared = after.apply(&options);
    assert!(cleared.iter().all(|c| c.max_age == Some(0)) && !cleared.is_empty());
    assert!(after.jar.is_empty());
    if h.stateful {
        assert!(
            store
                .get(&mut idle.request(), NOW + 1)
                .await
                .unwrap()
                .is_none()
        );
    }
}

/// However active, a session ends at the absolute cap.
pub(crate) async fn expires_at_the_absolute_cap(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 3_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let mut browser = signed_in(&*store, &data, NOW).await;
    for at in [NOW + 900, NOW + 1_800, NOW + 2_700, NOW + 2_999] {
        let mut options = browser.request();
        assert!(
            store.get(&mut options, at).await.unwrap().is_some(),
            "{}",
            at - NOW
        );
        for cookie in browser.apply(&options) {
            assert_eq!(cookie.max_age, Some((NOW + 3_000 - at).min(1_000)));
        }
    }
    assert!(
        store
            .get(&mut browser.request(), NOW + 3_000)
            .await
            .unwrap()
            .is_none()
    );
}

/// The provider's `session_expiry` caps the session and its cookie.
pub(crate) async fn expires_at_session_expiry(h: &Harness) {
    let store = h.store();
    let mut data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    data.internal.session_expiry = Some(NOW + 500);
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW).await.unwrap();
    assert_eq!(browser.apply(&options)[0].max_age, Some(500));
    assert!(
        store
            .get(&mut browser.request(), NOW + 499)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .get(&mut browser.request(), NOW + 500)
            .await
            .unwrap()
            .is_none()
    );

    // Setting an already-ended session stores nothing and clears the cookie.
    let mut options = browser.request();
    store
        .set(&data, false, &mut options, NOW + 600)
        .await
        .unwrap();
    browser.apply(&options);
    assert!(browser.jar.is_empty());
}

/// Reads extend a rolling session, at most once per interval (60 s here).
pub(crate) async fn rolling_extension_is_throttled(h: &Harness) {
    let store = h.store_with(SECRET, lifetime(1_000, 100_000));
    let data = session(ISSUER, "sid-1", "user-1", NOW, MEDIUM);
    let mut browser = signed_in(&*store, &data, NOW).await;

    let mut options = browser.request();
    let read = store.get(&mut options, NOW + 30).await.unwrap().unwrap();
    assert_eq!(read.internal.updated_at, Some(NOW));
    assert!(
        browser.apply(&options).is_empty(),
        "no rewrite within the interval"
    );

    let mut options = browser.request();
    let read = store.get(&mut options, NOW + 61).await.unwrap().unwrap();
    assert_eq!(read.internal.updated_at, Some(NOW + 61));
    let written = browser.apply(&options);
    assert!(!written.is_empty() && written.iter().all(|c| c.max_age == Some(1_000)));

    // Alive past the original end thanks to the extension, until the extended end.
    let twin = browser.clone();
    assert!(
        store
            .get(&mut twin.request(), NOW + 1_000)
            .await
            .unwrap()
            .is_some()
    );
    let idle = signed_in(&*store, &data, NOW).await;
    let mut options = idle.request();
    assert!(store.get(&mut options, NOW + 61).await.unwrap().is_some());
    let mut idle = idle;
    idle.apply(&options);
    assert!(
        store
            .get(&mut idle.request(), NOW + 1_061)
            .await
            .unwrap()
            .is_none()
    );
}

/// `delete` clears the cookie and, server-side, the record behind older copies of it.
pub(crate) async fn delete_ends_the_session(h: &Harness) {
    let store = h.store();
    let data = session(ISSUER, "sid-1", "user-1", NOW, LARGE);
    let mut browser = signed_in(&*store, &data, NOW).await;
    let copy = browser.clone();
    let mut options = browser.request();
    store.delete(&mut options).await.unwrap();
    let cleared = browser.apply(&options);
    assert!(
        cleared
            .iter()
            .any(|c| c.name == "_a0_session" && c.max_age == Some(0))
    );
    assert!(browser.jar.is_empty());
    assert!(
        store
            .get(&mut browser.request(), NOW)
            .await
            .unwrap()
            .is_none()
    );
    if h.stateful {
        assert!(store.get(&mut copy.request(), NOW).await.unwrap().is_none());
    }
}

/// Back-channel logout ends the sessions of that issuer with that sid or sub, and only
/// those created before it.
pub(crate) async fn logout_by_sid_and_sub(h: &Harness) {
    let store = h.store();
    let a = signed_in(
        &*store,
        &session(ISSUER, "sid-1", "user-1", NOW, SMALL),
        NOW,
    )
    .await;
    let b = signed_in(
        &*store,
        &session(ISSUER, "sid-2", "user-2", NOW, SMALL),
        NOW,
    )
    .await;
    let b2 = signed_in(
        &*store,
        &session(ISSUER, "sid-3", "user-2", NOW, SMALL),
        NOW,
    )
    .await;
    let c = signed_in(
        &*store,
        &session(OTHER_ISSUER, "sid-1", "user-1", NOW, SMALL),
        NOW,
    )
    .await;
    let alive = |browser: &Browser, at| {
        let mut options = browser.request();
        let store = &store;
        async move { store.get(&mut options, at).await.unwrap().is_some() }
    };

    let removed = store
        .delete_by_logout(ISSUER, Some("sid-1"), None, NOW + 10)
        .await;
    assert_eq!(removed.unwrap(), if h.stateful { 1 } else { 0 });
    assert!(!alive(&a, NOW + 11).await);
    assert!(alive(&b, NOW + 11).await && alive(&c, NOW + 11).await);

    // An update racing the logout (a token refresh in flight) does not bring it back.
    let mut a = a;
    let mut options = a.request();
    let stale = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    store
        .set(&stale, false, &mut options, NOW + 12)
        .await
        .unwrap();
    a.apply(&options);
    assert!(!alive(&a, NOW + 13).await);

    let removed = store
        .delete_by_logout(ISSUER, None, Some("user-2"), NOW + 20)
        .await;
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
pub(crate) async fn login_rotates_the_session_id(h: &Harness) {
    let store = h.store();
    let data = session(ISSUER, "sid-1", "user-1", NOW, SMALL);
    let mut browser = signed_in(&*store, &data, NOW).await;
    let before = browser.clone();

    let mut options = browser.request();
    store
        .set(&data, false, &mut options, NOW + 1)
        .await
        .unwrap();
    let kept = browser.apply(&options);
    if h.stateful {
        assert_eq!(
            kept[0].value,
            before.jar[h.first_cookie()],
            "updates keep the id"
        );
    }

    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW + 2).await.unwrap();
    let rotated = browser.apply(&options);
    assert_ne!(rotated[0].value, before.jar[h.first_cookie()]);
    assert!(
        store
            .get(&mut browser.request(), NOW + 3)
            .await
            .unwrap()
            .is_some()
    );
    if h.stateful {
        assert!(
            store
                .get(&mut before.request(), NOW + 3)
                .await
                .unwrap()
                .is_none()
        );
        assert!(rotated[0].value.len() >= 22 && !rotated[0].header.contains("sid-1"));
    }
}

/// A session too large to store is refused with a typed error, never silently dropped.
pub(crate) async fn oversized_sessions_are_refused(h: &Harness) {
    let store = h.store();
    let size = if h.stateful { 60_000 } else { 35_000 };
    let data = session(ISSUER, "sid-1", "user-1", NOW, size);
    let mut options = Browser::default().request();
    let err = store.set(&data, true, &mut options, NOW).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "session",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(options.response_headers().is_empty());
}
