//! The signed-in user's session: reading it, access tokens, logout and back-channel logout.

use serde_json::{Map, Value};

use super::{ServerClient, StoreOptions, now, remember};
use crate::backchannel::{LogoutTokenExpectations, validate_logout_token};
use crate::error::{Error, Result};
use crate::logout::{LogoutOptions, logout_url};
use crate::refresh::{AccessTokenRequest, AccessTokenResult};
use crate::secret::{IdToken, RefreshToken};
use crate::session::{SessionData, TokenSet};

/// How old a logout token may be, in seconds.
pub(super) const LOGOUT_TOKEN_MAX_AGE_SECS: u64 = 300;

/// A session as the app sees it: everything but the SDK's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The user's claims.
    pub user: Option<Map<String, Value>>,
    /// The last ID token.
    pub id_token: Option<IdToken>,
    /// The refresh token, when the provider issued one.
    pub refresh_token: Option<RefreshToken>,
    /// The access tokens held, per audience and scope.
    pub token_sets: Vec<TokenSet>,
    /// The issuer.
    pub domain: Option<String>,
}

impl From<SessionData> for Session {
    fn from(data: SessionData) -> Self {
        Self {
            user: data.user,
            id_token: data.id_token,
            refresh_token: data.refresh_token,
            token_sets: data.token_sets,
            domain: data.domain,
        }
    }
}

impl ServerClient {
    /// The signed-in user's claims, or `None` when signed out.
    pub async fn get_user(
        &self,
        store_options: &mut StoreOptions,
    ) -> Result<Option<Map<String, Value>>> {
        let session = self.inner.sessions.get(store_options, now()).await?;
        Ok(session.and_then(|session| session.user))
    }

    /// The signed-in session without the SDK's internals, or `None` when signed out.
    pub async fn get_session(&self, store_options: &mut StoreOptions) -> Result<Option<Session>> {
        let session = self.inner.sessions.get(store_options, now()).await?;
        Ok(session.map(Session::from))
    }

    /// An access token for `request`'s audience and scope: a stored one that stays valid for
    /// the expiry buffer, or a fresh one from the refresh token (stored back in the session).
    ///
    /// Concurrent calls that need the same refresh make one request. Without a session:
    /// `missing_session`; without a refresh token: `missing_refresh_token`, with no request.
    #[tracing::instrument(name = "get_access_token", skip_all)]
    pub async fn get_access_token(
        &self,
        request: AccessTokenRequest,
        store_options: &mut StoreOptions,
    ) -> Result<AccessTokenResult> {
        let request = request.or_default_audience(&self.inner.config);
        let sessions = &self.inner.sessions;
        let mut session = sessions
            .get(store_options, now())
            .await?
            .ok_or(Error::MissingSession)?;
        if let Some(set) = request.select(&session, now(), self.inner.expiry_buffer_secs) {
            return Ok(AccessTokenResult::from(set));
        }
        let refresh_token = session
            .refresh_token
            .clone()
            .ok_or(Error::MissingRefreshToken)?;

        let config = &self.inner.config;
        let metadata = self.discover().await?;
        let key = [
            refresh_token.expose(),
            request.audience_key(),
            &format!("{request:?}"),
        ];
        let received = self
            .inner
            .refreshes
            .run(&key, now(), || async {
                tracing::debug!("refreshing an access token");
                let waiting = request.refresh_request(
                    config,
                    &metadata,
                    &session,
                    now(),
                    &mut rand::rng(),
                )?;
                let response = self.inner.http.send("token", waiting.request()).await?;
                waiting.receive(&response)
            })
            .await?;

        let result = self
            .with_keys(&metadata, |keys| {
                let mut updated = session.clone();
                received
                    .apply(config, &metadata, keys, &mut updated, now())
                    .map(|r| (r, updated))
            })
            .await;
        let (result, updated) = result?;
        session = updated;
        sessions.set(&session, false, store_options, now()).await?;
        Ok(result)
    }

    /// Ends the session here and returns the URL that ends it at the provider too.
    pub async fn logout(
        &self,
        options: LogoutOptions,
        store_options: &mut StoreOptions,
    ) -> Result<String> {
        let session = self.inner.sessions.get(store_options, now()).await?;
        self.inner.sessions.delete(store_options).await?;
        let metadata = self.discover().await?;
        let id_token = session.as_ref().and_then(|s| s.id_token.as_ref());
        logout_url(&self.inner.config, &metadata, id_token, &options)
    }

    /// Handles a back-channel logout request's `logout_token`: validates it and ends every
    /// session of this issuer matching its `sid` or `sub`. Returns how many stored sessions
    /// were deleted (stateless stores record the logout instead and return 0).
    #[tracing::instrument(name = "handle_backchannel_logout", skip_all)]
    pub async fn handle_backchannel_logout(&self, logout_token: &str) -> Result<u64> {
        let config = &self.inner.config;
        let metadata = self.discover().await?;
        let claims = self
            .with_keys(&metadata, |keys| {
                let expected = LogoutTokenExpectations {
                    issuer: &metadata.issuer,
                    client_id: config.client_id(),
                    leeway_secs: config.leeway().as_secs(),
                    now: now(),
                    max_age_secs: LOGOUT_TOKEN_MAX_AGE_SECS,
                    allowed: config.id_token_algs(),
                    client_secret: config.client_auth().client_secret(),
                };
                validate_logout_token(logout_token, keys, &expected)
                    .map_err(Error::LogoutTokenValidation)
            })
            .await?;
        let replay_key = format!("{}\u{0}{}", claims.iss, claims.jti);
        if !remember(&self.inner.logout_jtis, replay_key)? {
            tracing::debug!("refused a replayed logout token");
            return Err(Error::LogoutTokenValidation(
                crate::TokenValidationError::Replayed,
            ));
        }
        let deleted = self
            .inner
            .sessions
            .delete_by_logout(
                &claims.iss,
                claims.sid.as_deref(),
                claims.sub.as_deref(),
                now(),
            )
            .await?;
        tracing::debug!(deleted, "back-channel logout handled");
        Ok(deleted)
    }
}
