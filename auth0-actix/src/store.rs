//! The per-request store and the middleware that carries its cookies to the response.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::HeaderMap;
use actix_web::{HttpMessage, HttpRequest};
use auth0_core::StoreOptions;
use tokio::sync::{Mutex, MutexGuard};

use crate::convert::{append_core_headers, to_core_headers};

/// Middleware that gives each request a [`RequestStore`] and copies the `Set-Cookie` headers
/// the SDK wrote into it onto the response.
///
/// Wrap the whole app with it, so that handlers anywhere can read the session with [`User`]
/// or [`Auth0`] and any cookie the SDK refreshes meanwhile reaches the browser. The headers
/// are appended, never replacing a `Set-Cookie` the handler set itself. When an outer
/// `Auth0Session` already gave the request a store, an inner one lets the request through
/// untouched, so [`routes`] can carry its own without doubling any header.
///
/// ```no_run
/// # use actix_web::App;
/// let app = App::new().wrap(auth0_actix::Auth0Session::new());
/// ```
///
/// [`User`]: crate::User
/// [`Auth0`]: crate::Auth0
/// [`routes`]: crate::routes()
#[derive(Debug, Clone, Default)]
pub struct Auth0Session {
    _private: (),
}

impl Auth0Session {
    /// The middleware.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S, B> Transform<S, ServiceRequest> for Auth0Session
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = Auth0SessionMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Auth0SessionMiddleware { service }))
    }
}

/// The service [`Auth0Session`] wraps around the app; not used directly.
#[derive(Debug)]
pub struct Auth0SessionMiddleware<S> {
    service: S,
}

/// The future of a wrapped request.
type Reply<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

impl<S, B> Service<ServiceRequest> for Auth0SessionMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Reply<B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if req.extensions().contains::<RequestStore>() {
            return Box::pin(self.service.call(req));
        }
        let store = RequestStore::from_headers(req.headers());
        req.extensions_mut().insert(store.clone());

        let reply = self.service.call(req);
        Box::pin(async move {
            // An `Err` here comes from a middleware further in; handlers' and extractors'
            // errors arrive as responses and get their cookies like any other.
            let mut response = reply.await?;
            store.append_to(response.headers_mut());
            Ok(response)
        })
    }
}

/// The core's [`StoreOptions`] of one request, kept in the request's extensions by
/// [`Auth0Session`].
///
/// [`Auth0`](crate::Auth0) and the extractors use it; call the core's
/// [`ServerClient`](auth0_core::ServerClient) with it when you need a method they do not
/// wrap. Operations on one request are serialized by [`lock`](Self::lock).
///
/// ```no_run
/// # async fn handler(auth: auth0_actix::Auth0, req: actix_web::HttpRequest) {
/// use auth0_actix::RequestStore;
///
/// if let Some(store) = RequestStore::of(&req) {
///     let session = auth.client().get_session(&mut *store.lock().await).await;
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct RequestStore {
    inner: Rc<Mutex<StoreOptions>>,
}

impl fmt::Debug for RequestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Cookie values are secrets: never print them.
        f.debug_struct("RequestStore").finish_non_exhaustive()
    }
}

impl RequestStore {
    /// The store [`Auth0Session`] gave this request, or `None` when the middleware is not
    /// installed around it.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }

    /// Waits until no other SDK call of this request uses the store, then lends it.
    pub async fn lock(&self) -> StoreGuard<'_> {
        StoreGuard {
            guard: self.inner.lock().await,
        }
    }

    fn from_headers(headers: &HeaderMap) -> Self {
        let options = StoreOptions::from_request_headers(&to_core_headers(headers));
        Self {
            inner: Rc::new(Mutex::new(options)),
        }
    }

    /// Moves the collected response headers onto `headers`.
    fn append_to(&self, headers: &mut HeaderMap) {
        match self.inner.try_lock() {
            Ok(mut options) => append_core_headers(&options.take_response_headers(), headers),
            // Only a task that outlived its handler can still hold the store.
            Err(_) => tracing::warn!("the request store is still in use; its cookies are lost"),
        }
    }
}

/// The [`StoreOptions`] of a request, lent by [`RequestStore::lock`].
pub struct StoreGuard<'a> {
    guard: MutexGuard<'a, StoreOptions>,
}

impl fmt::Debug for StoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreGuard").finish_non_exhaustive()
    }
}

impl Deref for StoreGuard<'_> {
    type Target = StoreOptions;

    fn deref(&self) -> &StoreOptions {
        &self.guard
    }
}

impl DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut StoreOptions {
        &mut self.guard
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{COOKIE, HeaderValue};

    use super::*;

    #[test]
    fn debug_never_shows_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("_a0_session=secret-value"));
        let store = RequestStore::from_headers(&headers);
        assert!(!format!("{store:?}").contains("secret-value"));
    }
}
