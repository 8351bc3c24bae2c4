//! When Redis cannot be reached, calls fail fast with a retryable store error and leave the
//! browser's cookies alone.

use std::net::TcpListener;
use std::time::Duration;

use auth0_core::client::{
    CookieSessionStore, MemoryBackend, RedisBackend, RedisConnection, RedisLogoutRegistry,
    RedisOptions, ServerSideSessionStore, SessionStore,
};
use auth0_core::{Error, Result};

use super::support::*;

/// A loopback URL where nothing listens: a port the OS just handed out, then closed.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("redis://127.0.0.1:{port}")
}

fn fast() -> RedisOptions {
    RedisOptions {
        connection_timeout: Duration::from_millis(300),
        response_timeout: Duration::from_millis(300),
        connection_retries: 1,
        ..RedisOptions::default()
    }
}

/// Runs `call` with a deadline and asserts it failed with a retryable store error.
async fn assert_store_error<T: std::fmt::Debug>(call: impl Future<Output = Result<T>>) {
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("a Redis outage must not hang the call");
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.code(), "store_error");
}

#[tokio::test]
async fn connecting_to_a_closed_port_is_a_retryable_store_error() {
    assert_store_error(RedisConnection::connect(&closed_port_url(), &fast())).await;
}

#[tokio::test]
async fn server_side_calls_fail_without_touching_cookies() {
    let url = closed_port_url();
    let connection = RedisConnection::lazy(&url, &fast()).unwrap();
    let down = ServerSideSessionStore::new(&config(SECRET), RedisBackend::new(connection));

    // A valid session cookie, issued while the backend was reachable.
    let up = ServerSideSessionStore::new(&config(SECRET), MemoryBackend::default());
    let data = session(ISSUER, "sid-1", "user-1", NOW, 1_000);
    let mut browser = Browser::default();
    let mut options = browser.request();
    up.set(&data, true, &mut options, NOW).await.unwrap();
    browser.apply(&options);

    let mut options = browser.request();
    assert_store_error(down.get(&mut options, NOW)).await;
    assert!(
        options.response_headers().is_empty(),
        "the cookie must survive an outage"
    );

    let mut options = browser.request();
    assert_store_error(down.set(&data, false, &mut options, NOW)).await;
    let mut options = browser.request();
    assert_store_error(down.delete(&mut options)).await;
    assert!(options.response_headers().is_empty());
    assert_store_error(down.delete_by_logout(ISSUER, Some("sid-1"), None, NOW)).await;
}

#[tokio::test]
async fn cookie_sessions_with_an_unreachable_registry_fail_retryably() {
    let connection = RedisConnection::lazy(&closed_port_url(), &fast()).unwrap();
    let registry = RedisLogoutRegistry::new(connection);
    let store = CookieSessionStore::new(&config(SECRET)).logout_registry(registry);
    let data = session(ISSUER, "sid-1", "user-1", NOW, 1_000);
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW).await.unwrap();
    browser.apply(&options);

    let mut options = browser.request();
    assert_store_error(store.get(&mut options, NOW)).await;
    assert!(options.response_headers().is_empty());
    assert_store_error(store.delete_by_logout(ISSUER, None, Some("user-1"), NOW)).await;
}

#[tokio::test]
async fn an_invalid_url_is_a_configuration_error() {
    let err = RedisConnection::lazy("not a url", &RedisOptions::default()).unwrap_err();
    assert_eq!(err.code(), "configuration_error");
}

#[tokio::test]
async fn redis_keys_hold_no_session_id_or_identifier() {
    let keys = RedisKeys::unique();
    let backend = RedisBackend::with_prefix(connection().await, &keys.prefix);
    let store = ServerSideSessionStore::new(&config(SECRET), backend);
    let data = session(ISSUER, "sid-secret-1", "user-secret-1", NOW, 1_000);
    let mut browser = Browser::default();
    let mut options = browser.request();
    store.set(&data, true, &mut options, NOW).await.unwrap();
    browser.apply(&options);
    let id = browser.jar["_a0_session"].clone();

    let names = keys.keys();
    assert_eq!(names.len(), 3, "{names:?}"); // The record, its sid index, its sub index.
    for name in &names {
        for secret in [id.as_str(), "sid-secret-1", "user-secret-1"] {
            assert!(!name.contains(secret));
        }
    }

    let mut options = browser.request();
    store.delete(&mut options).await.unwrap();
    assert!(
        keys.keys().is_empty(),
        "delete leaves no record or index entry"
    );
}
