//! Server-side sessions: an opaque id in the cookie, the sealed record in a backend.

use std::fmt;

use async_trait::async_trait;

use super::SessionStore;
use super::common::{
    IndexKeys, SessionId, app_is_https, hard_deadline, roll_interval, session_cookie,
};
use crate::client::StoreOptions;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::seal::{MAX_SEALED_LEN, SealKey};
use crate::session::{SessionData, SessionLifetime};

/// A record as a [`SessionBackend`] returns it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The sealed session (compact JWE); opaque to the backend.
    pub record: String,
    /// When the session ends if it is not used again (Unix seconds).
    pub expires_at: u64,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("record", &"[sealed]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A record for a [`SessionBackend`] to store.
#[derive(Clone, Copy)]
pub struct SessionWrite<'a> {
    /// The sealed session; opaque to the backend.
    pub record: &'a str,
    /// Index keys (digests of the session's issuer with its sid and sub) that back-channel
    /// logout looks the session up by; see [`SessionBackend::remove_indexed`].
    pub indexes: &'a [String],
    /// When the session ends if it is not used again (Unix seconds).
    pub expires_at: u64,
    /// The latest the session can ever end, however active: index entries must live that
    /// long, since [`SessionBackend::touch`] may extend the record up to it.
    pub max_expires_at: u64,
    /// Store only if a record already exists under the key (an update, not a login): an
    /// update racing a back-channel logout or an expiry must not bring the session back.
    pub must_exist: bool,
}

impl fmt::Debug for SessionWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionWrite")
            .field("record", &"[sealed]")
            .field("indexes", &self.indexes.len())
            .field("expires_at", &self.expires_at)
            .field("max_expires_at", &self.max_expires_at)
            .field("must_exist", &self.must_exist)
            .finish()
    }
}

/// Where a [`ServerSideSessionStore`] keeps its records.
///
/// `key`s are SHA-256 digests of session ids and index keys are keyed digests, all base64url:
/// the backend never holds a usable session id, and the records are sealed, so a dump of it
/// reveals nothing. Failures are [`crate::Error::Store`] so callers can retry.
#[async_trait]
pub trait SessionBackend: Send + Sync + fmt::Debug {
    /// The record stored under `key`, if any. Need not check `expires_at` (the store does).
    async fn load(&self, key: &str, now: u64) -> Result<Option<StoredSession>>;

    /// Stores (or replaces) the record under `key` and adds `key` to each index. Returns
    /// false, storing nothing, when `write.must_exist` and no live record is under `key`.
    async fn save(&self, key: &str, write: SessionWrite<'_>, now: u64) -> Result<bool>;

    /// Moves the record's expiry to `expires_at` if it still exists; false when it does not.
    async fn touch(&self, key: &str, expires_at: u64, now: u64) -> Result<bool>;

    /// Removes the record under `key` (and its index entries); absent records are fine.
    async fn remove(&self, key: &str) -> Result<()>;

    /// Removes every record filed under any of `indexes` and returns how many existed.
    async fn remove_indexed(&self, indexes: &[String], now: u64) -> Result<u64>;
}

/// Sessions kept on the server: the cookie holds only an opaque random id.
///
/// The id has 256 bits from a CSPRNG and is replaced at every login (`set` with
/// `login = true`), the old record deleted, so an id planted before login is useless. The
/// backend holds the session sealed with the same key as the cookie store, under the id's
/// SHA-256 digest, with index entries for back-channel logout. Rolling expiry moves the
/// backend's expiry (at most once per minute or 1% of the inactivity window) without
/// rewriting the record, so a read can never overwrite a concurrent refresh.
///
/// When the backend fails, calls fail with a retryable [`crate::Error::Store`] and leave the
/// cookie alone: a valid session is never dropped because the backend was briefly down.
#[derive(Debug, Clone)]
pub struct ServerSideSessionStore<B> {
    backend: B,
    key: SealKey,
    index: IndexKeys,
    cookie_name: String,
    secure: bool,
    lifetime: SessionLifetime,
}

impl<B: SessionBackend> ServerSideSessionStore<B> {
    /// A store for this configuration over `backend`: the default lifetime, the session
    /// identifier as cookie name, `Secure` when the app's redirect URI is https.
    pub fn new(config: &ClientConfig, backend: B) -> Self {
        let identifier = config.session_identifier();
        Self {
            backend,
            key: SealKey::derive(config.secret(), identifier),
            index: IndexKeys::derive(config.secret(), identifier),
            cookie_name: identifier.to_owned(),
            secure: app_is_https(config),
            lifetime: SessionLifetime::default(),
        }
    }

    /// Forces the `Secure` attribute on or off.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets how long sessions live.
    pub fn lifetime(mut self, lifetime: SessionLifetime) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    fn session_id(&self, options: &StoreOptions) -> Option<SessionId> {
        let value = options.request_cookie(&self.cookie_name)?;
        let id = SessionId::parse(&value);
        if id.is_none() {
            tracing::debug!("ignoring a session cookie that is not a session id");
        }
        id
    }

    fn set_cookie(&self, options: &mut StoreOptions, id: &SessionId, expires_at: u64, now: u64) {
        let cookie = session_cookie(
            self.cookie_name.clone(),
            id.expose().to_owned(),
            expires_at.saturating_sub(now),
            self.secure,
        );
        options.add_set_cookie(&cookie);
    }

    fn clear_cookie(&self, options: &mut StoreOptions) {
        let cookie = session_cookie(self.cookie_name.clone(), String::new(), 0, self.secure);
        options.add_set_cookie(&cookie);
    }

    /// Removes a record that can no longer be used; a failure only delays its expiry.
    async fn discard(&self, key: &str, options: &mut StoreOptions) {
        if let Err(err) = self.backend.remove(key).await {
            tracing::debug!(
                code = err.code(),
                "could not remove an unusable session record"
            );
        }
        self.clear_cookie(options);
    }
}

#[async_trait]
impl<B: SessionBackend> SessionStore for ServerSideSessionStore<B> {
    async fn get(&self, options: &mut StoreOptions, now: u64) -> Result<Option<SessionData>> {
        let Some(id) = self.session_id(options) else {
            return Ok(None);
        };
        let key = id.storage_key();
        let Some(stored) = self.backend.load(&key, now).await? else {
            tracing::debug!("no stored session for this id");
            self.clear_cookie(options);
            return Ok(None);
        };
        let Some(mut session) = self.key.unseal::<SessionData>(&stored.record) else {
            self.discard(&key, options).await;
            return Ok(None);
        };
        let deadline = stored
            .expires_at
            .min(hard_deadline(&self.lifetime, &session.internal));
        if now >= deadline {
            tracing::debug!("removing an expired session");
            self.discard(&key, options).await;
            return Ok(None);
        }

        let extended = self.lifetime.expires_at(&session.internal, now);
        if extended
            >= stored
                .expires_at
                .saturating_add(roll_interval(&self.lifetime))
        {
            match self.backend.touch(&key, extended, now).await {
                Ok(true) => {
                    self.set_cookie(options, &id, extended, now);
                    session.internal.updated_at = Some(now);
                }
                Ok(false) => {
                    tracing::debug!("the session was removed while being read");
                    self.clear_cookie(options);
                    return Ok(None);
                }
                Err(err) => {
                    // Still valid until its current expiry; extend it on a later read.
                    tracing::debug!(code = err.code(), "could not extend a rolling session");
                }
            }
        }
        Ok(Some(session))
    }

    async fn set(
        &self,
        session: &SessionData,
        login: bool,
        options: &mut StoreOptions,
        now: u64,
    ) -> Result<()> {
        let mut session = session.clone();
        session.internal.updated_at = Some(now);
        let current = self.session_id(options);
        let expires_at = self.lifetime.expires_at(&session.internal, now);
        if now >= expires_at {
            tracing::debug!("refusing to store an expired session: deleting it instead");
            if let Some(id) = current {
                self.backend.remove(&id.storage_key()).await?;
            }
            self.clear_cookie(options);
            return Ok(());
        }

        let (id, replaced, must_exist) = match current {
            Some(id) if !login => (id, None, true),
            other => (SessionId::generate(), other, false),
        };
        let record = self.key.seal(&session, &mut rand::rng())?;
        if record.len() > MAX_SEALED_LEN {
            // It could never be opened again (unsealing refuses larger input).
            return Err(Error::invalid_argument(
                "session",
                "the session is too large to store",
            ));
        }
        let indexes = self.index.for_session(&session);
        let write = SessionWrite {
            record: &record,
            indexes: &indexes,
            expires_at,
            max_expires_at: hard_deadline(&self.lifetime, &session.internal).max(expires_at),
            must_exist,
        };
        if !self.backend.save(&id.storage_key(), write, now).await? {
            tracing::debug!("not updating a session that ended meanwhile");
            self.clear_cookie(options);
            return Ok(());
        }
        if let Some(old) = replaced {
            tracing::debug!("rotated the session id at login");
            self.backend.remove(&old.storage_key()).await?;
        }
        self.set_cookie(options, &id, expires_at, now);
        Ok(())
    }

    async fn delete(&self, options: &mut StoreOptions) -> Result<()> {
        if let Some(id) = self.session_id(options) {
            self.backend.remove(&id.storage_key()).await?;
        }
        self.clear_cookie(options);
        Ok(())
    }

    async fn delete_by_logout(
        &self,
        issuer: &str,
        sid: Option<&str>,
        sub: Option<&str>,
        now: u64,
    ) -> Result<u64> {
        let indexes = self.index.for_logout(issuer, sid, sub);
        if indexes.is_empty() {
            return Ok(0);
        }
        let removed = self.backend.remove_indexed(&indexes, now).await?;
        tracing::debug!(removed, "back-channel logout removed sessions");
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
