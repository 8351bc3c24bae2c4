//! Where started logins wait for their callback.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use cookie::{Cookie, SameSite};

use super::StoreOptions;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::seal::SealKey;
use crate::transaction::Transaction;

/// The largest `Set-Cookie` header a browser is sure to keep (RFC 6265 6.1).
pub const MAX_COOKIE_LEN: usize = 4096;

/// A store of open transactions, keyed by [`Transaction::key`].
#[async_trait]
pub trait TransactionStore: Send + Sync {
    /// Records a started login.
    async fn set(&self, transaction: &Transaction, options: &mut StoreOptions) -> Result<()>;

    /// Removes and returns the transaction for `key`, so it can be used once only.
    async fn take(&self, key: &str, options: &mut StoreOptions) -> Result<Option<Transaction>>;
}

/// Transactions sealed in cookies, one cookie per open login (`<identifier>.<key>`), bound to
/// the browser that started the login.
#[derive(Debug, Clone)]
pub struct CookieTransactionStore {
    key: SealKey,
    prefix: String,
    secure: bool,
    max_open: usize,
    ttl: Duration,
}

impl CookieTransactionStore {
    /// A store for this configuration; cookies are `Secure` when the redirect URI is https.
    pub fn new(config: &ClientConfig) -> Self {
        let redirect = config
            .authorization_params()
            .get("redirect_uri")
            .or(config.redirect_uri.as_deref());
        Self {
            key: SealKey::derive(config.secret(), config.transaction_identifier()),
            prefix: format!("{}.", config.transaction_identifier()),
            secure: redirect.is_some_and(|uri| uri.starts_with("https://")),
            max_open: config.max_transactions(),
            ttl: config.transaction_ttl(),
        }
    }

    /// Forces the `Secure` attribute on or off.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    fn cookie(&self, name: String, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path("/")
            .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
            .build()
    }

    fn removal(&self, name: String) -> Cookie<'static> {
        self.cookie(name, String::new(), Duration::ZERO)
    }
}

#[async_trait]
impl TransactionStore for CookieTransactionStore {
    async fn set(&self, transaction: &Transaction, options: &mut StoreOptions) -> Result<()> {
        let sealed = self.key.seal(transaction, &mut rand::rng())?;
        let cookie = self.cookie(
            format!("{}{}", self.prefix, transaction.key()),
            sealed,
            self.ttl,
        );
        if cookie.encoded().to_string().len() + "Set-Cookie: ".len() > MAX_COOKIE_LEN {
            return Err(Error::invalid_argument(
                "transaction",
                "the login's app_state and parameters are too large for a cookie",
            ));
        }

        // Keep at most `max_open` logins per browser: drop the oldest (and unreadable ones).
        // Only a bounded number of them is looked at, so a request stuffed with transaction
        // cookies cannot make a response of thousands of `Set-Cookie` headers.
        let mut open: Vec<(u64, String)> = options
            .request_cookies()
            .filter(|(name, _)| name.starts_with(&self.prefix))
            .take(self.max_open.saturating_mul(4))
            .map(|(name, value)| {
                let created = self
                    .key
                    .unseal::<Transaction>(&value)
                    .map_or(0, |tx| tx.created_at);
                (created, name)
            })
            .collect();
        open.sort();
        let excess = (open.len() + 1).saturating_sub(self.max_open);
        for (_, name) in open.into_iter().take(excess) {
            options.add_set_cookie(&self.removal(name));
        }
        options.add_set_cookie(&cookie);
        Ok(())
    }

    async fn take(&self, key: &str, options: &mut StoreOptions) -> Result<Option<Transaction>> {
        let name = format!("{}{key}", self.prefix);
        let Some(value) = options.request_cookie(&name) else {
            return Ok(None);
        };
        options.add_set_cookie(&self.removal(name));
        Ok(self.key.unseal(&value))
    }
}

/// Transactions in this process's memory, bounded (oldest dropped first).
///
/// Not bound to a browser and lost on restart: meant for tests and single-process apps
/// that cannot use cookies.
#[derive(Debug)]
pub struct MemoryTransactionStore {
    entries: Mutex<HashMap<String, Transaction>>,
    capacity: usize,
}

impl MemoryTransactionStore {
    /// A store holding at most `capacity` open logins.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

impl Default for MemoryTransactionStore {
    fn default() -> Self {
        Self::new(10_000)
    }
}

#[async_trait]
impl TransactionStore for MemoryTransactionStore {
    async fn set(&self, transaction: &Transaction, _options: &mut StoreOptions) -> Result<()> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| Error::Store("lock poisoned".into()))?;
        while entries.len() >= self.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, tx)| tx.created_at)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => entries.remove(&key),
                None => break,
            };
        }
        entries.insert(transaction.key(), transaction.clone());
        Ok(())
    }

    async fn take(&self, key: &str, _options: &mut StoreOptions) -> Result<Option<Transaction>> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| Error::Store("lock poisoned".into()))?;
        Ok(entries.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use http::header::{COOKIE, SET_COOKIE};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::authorize::{LoginStart, start_login};
    use crate::test_support::{NOW, config, metadata};

    fn transaction(seed: u64, created_at: u64) -> Transaction {
        let config = config().build().unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let start = start_login(
            &config,
            &metadata(),
            Default::default(),
            created_at,
            &mut rng,
        );
        match start.unwrap() {
            LoginStart::Redirect(redirect) => redirect.into_parts().1,
            LoginStart::Push(_) => unreachable!("PAR is off"),
        }
    }

    fn set_cookie_names(options: &StoreOptions) -> Vec<String> {
        let headers = options.response_headers().get_all(SET_COOKIE);
        headers
            .iter()
            .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn the_oldest_open_login_is_dropped_past_the_bound() {
        let store = CookieTransactionStore::new(&config().max_transactions(2).build().unwrap());
        let (old, newer) = (transaction(1, NOW - 10), transaction(2, NOW - 5));
        let mut sealed = Vec::new();
        for tx in [&old, &newer] {
            let mut options = StoreOptions::new();
            store.set(tx, &mut options).await.unwrap();
            let header = options.response_headers()[SET_COOKIE]
                .to_str()
                .unwrap()
                .to_owned();
            sealed.push(header.split(';').next().unwrap().to_owned());
        }
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, sealed.join("; ").parse().unwrap());
        let mut options = StoreOptions::from_request_headers(&headers);
        let third = transaction(3, NOW);
        store.set(&third, &mut options).await.unwrap();
        let names = set_cookie_names(&options);
        assert_eq!(
            names,
            [
                format!("_a0_tx.{}", old.key()),
                format!("_a0_tx.{}", third.key())
            ]
        );
    }

    #[tokio::test]
    async fn a_request_stuffed_with_transaction_cookies_gets_a_bounded_reply() {
        let store = CookieTransactionStore::new(&config().build().unwrap());
        let stuffed: Vec<String> = (0..3000).map(|i| format!("_a0_tx.{i}=x")).collect();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, stuffed.join("; ").parse().unwrap());
        let mut options = StoreOptions::from_request_headers(&headers);
        store.set(&transaction(1, NOW), &mut options).await.unwrap();
        let count = set_cookie_names(&options).len();
        assert!(count <= 5 * 4 + 1, "{count} Set-Cookie headers");
    }

    #[tokio::test]
    async fn take_consumes_the_cookie() {
        let store = CookieTransactionStore::new(&config().build().unwrap());
        let tx = transaction(1, NOW);
        let mut options = StoreOptions::new();
        store.set(&tx, &mut options).await.unwrap();
        let header = options.response_headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, header.split(';').next().unwrap().parse().unwrap());
        let mut options = StoreOptions::from_request_headers(&headers);
        let taken = store.take(&tx.key(), &mut options).await.unwrap();
        assert_eq!(taken, Some(tx.clone()));
        let removal = options.response_headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(removal.contains("Max-Age=0"), "{removal}");
        assert_eq!(store.take("other-key", &mut options).await.unwrap(), None);
    }
}
