//! One refresh per session at a time: concurrent `get_access_token` calls that need the same
//! refresh share a single request to the token endpoint and its outcome.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::error::{Error, Result};
use crate::refresh::RefreshReceived;

/// How long a finished refresh is kept for callers that read the session before it was
/// stored and so still hold the old refresh token (a rotated token cannot be used twice).
/// Short, so that a token handed out this way is as fresh as a new refresh would give.
const GRACE_SECS: u64 = 5;

type Outcome = Result<RefreshReceived>;

/// A refresh under way or just finished: when it started, and its shared outcome.
type Flight = (u64, Arc<OnceCell<Outcome>>);

#[derive(Default)]
pub(super) struct RefreshFlights {
    flights: Mutex<HashMap<[u8; 32], Flight>>,
}

impl RefreshFlights {
    /// Runs `refresh` unless a refresh with the same key is under way or just finished, in
    /// which case its outcome is shared.
    pub(super) async fn run<F, Fut>(&self, key_material: &[&str], now: u64, refresh: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let key = flight_key(key_material);
        let cell = {
            let mut flights = self
                .flights
                .lock()
                .map_err(|_| Error::Store("refresh lock poisoned".into()))?;
            flights.retain(|_, (started, cell)| {
                cell.get().is_none() || now.saturating_sub(*started) <= GRACE_SECS
            });
            flights
                .entry(key)
                .or_insert_with(|| (now, Arc::new(OnceCell::new())))
                .1
                .clone()
        };
        cell.get_or_init(refresh).await.clone()
    }
}

impl std::fmt::Debug for RefreshFlights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshFlights")
    }
}

/// A digest of the refresh token and the request, so no token is kept as a map key.
fn flight_key(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_runs_share_one_refresh() {
        let flights = RefreshFlights::default();
        let calls = AtomicUsize::new(0);
        let refresh = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Err(Error::MissingRefreshToken)
        };
        let (a, b) = tokio::join!(
            flights.run(&["rt", "api"], 100, refresh),
            flights.run(&["rt", "api"], 100, refresh)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(a.unwrap_err().code(), "missing_refresh_token");
        assert_eq!(b.unwrap_err().code(), "missing_refresh_token");

        // A different request is its own flight; a finished one is forgotten after the grace.
        let _ = flights.run(&["rt", "other"], 100, refresh).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let _ = flights
            .run(&["rt", "api"], 100 + GRACE_SECS + 1, refresh)
            .await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
