//! The handle routes, extractors and handlers use to reach the SDK.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth0_core::web::{DEFAULT_MOUNT, Settings};
use auth0_core::{AccessTokenRequest, AccessTokenResult, ServerClient, Session};
use url::Url;

use crate::rejection::Rejection;
use crate::store::RequestStore;
use crate::user::User;

/// The SDK as an actix-web app sees it: the core's [`ServerClient`], the app's public base URL
/// and where the SDK's routes are mounted.
///
/// [`routes`](crate::routes()) puts it in the app data; take it as an extractor in handlers to
/// read the session or get access tokens. Cheap to clone.
///
/// ```no_run
/// use actix_web::{HttpRequest, HttpResponse};
/// use auth0_actix::{AccessTokenRequest, Auth0, Rejection};
///
/// async fn call_api(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
///     let request = AccessTokenRequest::new().audience("https://api.example.com/");
///     let token = auth.access_token(&req, request).await?;
///     // Send `token.access_token.expose()` to the API; never back to the browser.
///     Ok(HttpResponse::Ok().body(format!("valid until {}", token.expires_at)))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Auth0 {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: ServerClient,
    base_url: Url,
    mount: String,
}

impl Auth0 {
    /// The SDK for `client`, with the base URL and mount point of `settings`.
    pub fn new(client: ServerClient, settings: &Settings) -> Self {
        Self::with_base_url(client, settings.base_url.clone()).with_mount(&settings.mount)
    }

    /// The SDK for `client` in an app served at `base_url`, with its routes under
    /// [`DEFAULT_MOUNT`] (`/auth`).
    pub fn with_base_url(client: ServerClient, base_url: Url) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                base_url,
                mount: DEFAULT_MOUNT.to_owned(),
            }),
        }
    }

    /// Mounts the SDK's routes under `mount` (such as `/account`) instead.
    ///
    /// The client's `redirect_uri` must be `<base URL><mount>/callback`.
    pub fn with_mount(self, mount: &str) -> Self {
        let trimmed = mount.trim().trim_matches('/');
        let mount = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        Self {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                base_url: self.inner.base_url.clone(),
                mount,
            }),
        }
    }

    /// The core's client, for what this handle does not wrap.
    pub fn client(&self) -> &ServerClient {
        &self.inner.client
    }

    /// The app's public base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Where the SDK's routes are mounted: `/auth` by default, empty for the root.
    pub fn mount(&self) -> &str {
        &self.inner.mount
    }

    /// The public URL of the callback route: `<base URL><mount>/callback`.
    pub fn callback_url(&self) -> String {
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        format!("{base}{}/callback", self.inner.mount)
    }

    /// The handle in the app data of `req`'s app.
    pub fn of(req: &HttpRequest) -> Result<Self, Rejection> {
        req.app_data::<Self>()
            .cloned()
            .ok_or_else(Rejection::missing_app_data)
    }

    /// The signed-in user of `req`, or `None` when signed out.
    ///
    /// A tampered, foreign or expired session reads as `None`; only a store that cannot be
    /// reached fails (503).
    pub async fn user(&self, req: &HttpRequest) -> Result<Option<User>, Rejection> {
        let store = store_of(req)?;
        let claims = self.client().get_user(&mut *store.lock().await).await?;
        Ok(claims.map(User::from_claims))
    }

    /// The signed-in session of `req` (tokens included), or `None` when signed out.
    pub async fn session(&self, req: &HttpRequest) -> Result<Option<Session>, Rejection> {
        let store = store_of(req)?;
        Ok(self.client().get_session(&mut *store.lock().await).await?)
    }

    /// An access token for the signed-in user of `req`, refreshed when needed (the new
    /// tokens are stored in the session).
    ///
    /// Signed out: `missing_session` (401). No refresh token when one is needed:
    /// `missing_refresh_token` (401).
    pub async fn access_token(
        &self,
        req: &HttpRequest,
        request: AccessTokenRequest,
    ) -> Result<AccessTokenResult, Rejection> {
        let store = store_of(req)?;
        let mut options = store.lock().await;
        Ok(self
            .client()
            .get_access_token(request, &mut options)
            .await?)
    }
}

impl FromRequest for Auth0 {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::of(req))
    }
}

/// The request's store, or the rejection that says the middleware is missing.
pub(crate) fn store_of(req: &HttpRequest) -> Result<RequestStore, Rejection> {
    RequestStore::of(req).ok_or_else(Rejection::missing_middleware)
}

#[cfg(test)]
mod tests {
    use auth0_core::ClientConfig;

    use super::*;

    fn client() -> ServerClient {
        let config = ClientConfig::builder()
            .domain("http://127.0.0.1:9/")
            .client_id("client")
            .client_secret("client-secret")
            .secret("0123456789abcdef0123456789abcdef")
            .build()
            .unwrap();
        ServerClient::new(config).unwrap()
    }

    #[test]
    fn mount_points_are_normalized() {
        let base = Url::parse("http://127.0.0.1:3000/").unwrap();
        let auth = Auth0::with_base_url(client(), base);
        assert_eq!(auth.mount(), "/auth");
        assert_eq!(auth.callback_url(), "http://127.0.0.1:3000/auth/callback");
        let auth = auth.with_mount("account/");
        assert_eq!(auth.mount(), "/account");
        assert_eq!(
            auth.callback_url(),
            "http://127.0.0.1:3000/account/callback"
        );
        let auth = auth.with_mount("/");
        assert_eq!(auth.mount(), "");
        assert_eq!(auth.callback_url(), "http://127.0.0.1:3000/callback");
    }
}
