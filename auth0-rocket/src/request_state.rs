//! What the fairing keeps: the app-wide client and settings, and per request the store
//! options the core reads cookies from and writes `Set-Cookie` headers to.

use std::sync::Mutex as SyncMutex;

use auth0_core::{Error, Result, ServerClient, StoreOptions};
use rocket::Request;
use rocket::tokio::sync::{Mutex, OnceCell};
use url::Url;

use crate::convert::http_headers;
use crate::guards::User;

/// The SDK's app-wide state, managed by Rocket once the fairing ignites.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: ServerClient,
    pub(crate) base_url: Url,
    pub(crate) mount: String,
}

impl Shared {
    /// The state, when the fairing is attached.
    pub(crate) fn of<'r>(request: &'r Request<'_>) -> Option<&'r Self> {
        request.rocket().state::<Self>()
    }
}

/// One request's view of the session: built from its headers by the fairing, read and
/// written by guards and routes, and drained into the response by the fairing.
#[derive(Debug)]
pub(crate) struct RequestState {
    /// Held across the core's awaits, hence an async mutex.
    store: Mutex<StoreOptions>,
    /// The user, read at most once per request (guards can run several times).
    user: OnceCell<Option<User>>,
    /// The last store failure a guard met, for the 503 catcher's body.
    failure: SyncMutex<Option<Error>>,
}

impl RequestState {
    /// This request's state, built from its headers on first use.
    pub(crate) fn of<'r>(request: &'r Request<'_>) -> &'r Self {
        request.local_cache(|| Self {
            store: Mutex::new(StoreOptions::from_request_headers(&http_headers(
                request.headers(),
            ))),
            user: OnceCell::new(),
            failure: SyncMutex::new(None),
        })
    }

    /// The store options, locked for one call into the core.
    pub(crate) async fn store(&self) -> rocket::tokio::sync::MutexGuard<'_, StoreOptions> {
        self.store.lock().await
    }

    /// The signed-in user, reading the session once per request. Store failures are not
    /// remembered, so a later guard tries again.
    pub(crate) async fn user(&self, client: &ServerClient) -> Result<Option<User>> {
        let user = self
            .user
            .get_or_try_init(|| async {
                let mut store = self.store.lock().await;
                let claims = client.get_user(&mut store).await?;
                Ok::<_, Error>(claims.map(User::from_claims))
            })
            .await?;
        Ok(user.clone())
    }

    /// Remembers a failure for the catcher that will answer this request.
    pub(crate) fn record_failure(&self, err: Error) {
        if let Ok(mut slot) = self.failure.lock() {
            *slot = Some(err);
        }
    }

    /// The failure a guard recorded, if any.
    pub(crate) fn take_failure(&self) -> Option<Error> {
        self.failure.lock().ok().and_then(|mut slot| slot.take())
    }
}
