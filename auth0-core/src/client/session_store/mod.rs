//! Where signed-in sessions live between requests.
//!
//! Two families behind one trait, [`SessionStore`]:
//!
//! - [`CookieSessionStore`], stateless: the sealed session is in the cookies, chunked below
//!   4096 bytes per `Set-Cookie` header. Back-channel logout records the logout in a
//!   [`LogoutRegistry`] (in memory, or shared in Redis by several app instances) and matching
//!   cookies read as no session from then on.
//! - [`ServerSideSessionStore`]: the cookie holds an opaque 256-bit id, rotated at every login;
//!   the sealed record lives in a [`SessionBackend`] ([`MemoryBackend`], or `RedisBackend`
//!   with the `redis` feature), indexed by sid and sub so back-channel logout deletes exactly
//!   the matching records.
//!
//! Every store seals the session with the key derived for the config's session identifier
//! (`_a0_session`), the Python SDK's format, and applies one [`SessionLifetime`]: an expired
//! session reads as `None` and is removed. Rolling expiry is extended by reads, at most once
//! per minute or 1% of the inactivity window (whichever is longer), so busy apps do not
//! rewrite the session on every request.
//!
//! Cookies are `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` for https apps, and their
//! `Max-Age` is the time left until the session ends. Identifiers that reach a backend or a
//! registry (session ids, sids, subs) are digests, and records are sealed, so a dump of Redis
//! reveals no session and no usable id.
//!
//! [`SessionLifetime`]: crate::session::SessionLifetime

mod chunking;
mod common;
mod cookie;
mod logout_registry;
mod memory;
#[cfg(feature = "redis")]
mod redis_backend;
#[cfg(feature = "redis")]
mod redis_conn;
#[cfg(feature = "redis")]
mod redis_registry;
mod server_side;

use async_trait::async_trait;

pub use chunking::DEFAULT_MAX_CHUNKS;
pub use cookie::CookieSessionStore;
pub use logout_registry::{DEFAULT_LOGOUT_CAPACITY, LogoutRegistry, MemoryLogoutRegistry};
pub use memory::{DEFAULT_MEMORY_CAPACITY, MemoryBackend};
#[cfg(feature = "redis")]
pub use redis_backend::{DEFAULT_REDIS_SESSION_PREFIX, RedisBackend};
#[cfg(feature = "redis")]
pub use redis_conn::{RedisConnection, RedisOptions};
#[cfg(feature = "redis")]
pub use redis_registry::{DEFAULT_REDIS_LOGOUT_PREFIX, RedisLogoutRegistry};
pub use server_side::{ServerSideSessionStore, SessionBackend, SessionWrite, StoredSession};

use crate::client::StoreOptions;
use crate::error::Result;
use crate::session::SessionData;

/// A store of signed-in sessions.
///
/// Implementations enforce the session lifetime (see [`crate::session::SessionLifetime`]):
/// a session past its inactivity or absolute expiry, or its `session_expiry` claim, reads as
/// `None` and is removed. A read that extends a rolling session may add `Set-Cookie` headers
/// to `options`.
#[async_trait]
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// The session of this request, or `None` when there is none, it cannot be read (tampered,
    /// foreign) or it has expired. Never fails for bad input; fails only when the backend
    /// cannot be reached ([`crate::Error::Store`], retryable): a valid session is never
    /// silently dropped because the backend is down.
    async fn get(&self, options: &mut StoreOptions, now: u64) -> Result<Option<SessionData>>;

    /// Stores the session for this request's browser. `login` is true for a fresh login:
    /// server-side stores then issue a new session id (and drop the old record), so a session
    /// id planted before login is never reused.
    async fn set(
        &self,
        session: &SessionData,
        login: bool,
        options: &mut StoreOptions,
        now: u64,
    ) -> Result<()>;

    /// Deletes this request's session (and clears its cookies).
    async fn delete(&self, options: &mut StoreOptions) -> Result<()>;

    /// Ends every session of `issuer` whose `sid` or `sub` matches (back-channel logout).
    /// Returns how many stored sessions were deleted; stateless stores record the logout so
    /// matching cookies read as no session from then on, and return 0.
    async fn delete_by_logout(
        &self,
        issuer: &str,
        sid: Option<&str>,
        sub: Option<&str>,
        now: u64,
    ) -> Result<u64>;
}
