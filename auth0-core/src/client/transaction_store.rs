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
                "app_state",
                "the login transaction is too large for a cookie",
            ));
        }

        // Keep at most `max_open` logins per browser: drop the oldest (and unreadable ones).
        let mut open: Vec<(u64, String)> = options
            .request_cookies()
            .filter(|(name, _)| name.starts_with(&self.prefix))
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
