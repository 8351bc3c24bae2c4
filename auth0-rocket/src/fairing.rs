//! The fairing: mounts the SDK, and carries each request's session cookies to its response.

use auth0_core::ServerClient;
use auth0_core::web::{DEFAULT_MOUNT, Settings};
use rocket::data::Data;
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::{Build, Request, Response, Rocket};
use url::Url;

use crate::request_state::{RequestState, Shared};

/// Mounts the SDK's routes and catchers and keeps each request's session cookies.
///
/// On ignite it manages the client, mounts the routes under the mount point (`/auth` unless
/// [`mount`](Self::mount) says otherwise) and registers [`catchers`](crate::catchers) at
/// `/`. For every request it builds the core's [`StoreOptions`](crate::StoreOptions) from the
/// request's `Cookie` headers, which guards and routes read and write, and on the response
/// it appends each header the core wrote (several `Set-Cookie` included), whatever route or
/// catcher answered. Attach it once.
///
/// ```no_run
/// # async fn build(client: auth0_rocket::ServerClient) {
/// use auth0_rocket::{Auth0Fairing, Url};
///
/// let base_url = Url::parse("http://localhost:3000/").unwrap();
/// let rocket = rocket::build().attach(Auth0Fairing::new(client, base_url));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Auth0Fairing {
    client: ServerClient,
    base_url: Url,
    mount: String,
    catchers: bool,
}

impl Auth0Fairing {
    /// The SDK for `client`, in an app served at `base_url` (its public URL, which the
    /// callback URL and `returnTo` checks are built on), mounted at `/auth`.
    pub fn new(client: ServerClient, base_url: Url) -> Self {
        Self {
            client,
            base_url,
            mount: DEFAULT_MOUNT.to_owned(),
            catchers: true,
        }
    }

    /// The SDK for `client`, with the base URL and mount point of `settings`.
    pub fn from_settings(client: ServerClient, settings: &Settings) -> Self {
        Self::new(client, settings.base_url.clone()).mount(settings.mount.clone())
    }

    /// Mounts the routes here instead of `/auth` (an absolute path, such as `/account`).
    /// The callback route must match the `redirect_uri` the client sends.
    pub fn mount(mut self, mount: impl Into<String>) -> Self {
        self.mount = mount.into();
        self
    }

    /// Leaves the 401 and 503 catchers out, for apps that register their own (or
    /// [`catchers`](crate::catchers) under another base).
    pub fn without_catchers(mut self) -> Self {
        self.catchers = false;
        self
    }
}

#[rocket::async_trait]
impl Fairing for Auth0Fairing {
    fn info(&self) -> Info {
        Info {
            name: "Auth0",
            kind: Kind::Ignite | Kind::Request | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let mount = normalize_mount(&self.mount);
        if Origin::parse(&mount).is_err() || !mount.starts_with('/') || mount.contains('?') {
            tracing::error!(mount = %self.mount, "the Auth0 mount point is not an absolute path");
            return Err(rocket);
        }
        let rocket = rocket
            .manage(Shared {
                client: self.client.clone(),
                base_url: self.base_url.clone(),
                mount: mount.clone(),
            })
            .mount(mount.as_str(), crate::routes::all());
        Ok(if self.catchers {
            rocket.register("/", crate::catchers())
        } else {
            rocket
        })
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        RequestState::of(request);
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let headers = RequestState::of(request)
            .store()
            .await
            .take_response_headers();
        for (name, value) in &headers {
            // The core only writes ASCII header values; anything else cannot be a cookie.
            if let Ok(value) = value.to_str() {
                response.adjoin_raw_header(name.as_str().to_owned(), value.to_owned());
            }
        }
    }
}

/// The mount point without a trailing slash (`/` stays `/`).
fn normalize_mount(mount: &str) -> String {
    let trimmed = mount.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_lose_their_trailing_slash() {
        assert_eq!(normalize_mount("/auth/"), "/auth");
        assert_eq!(normalize_mount("/"), "/");
        assert_eq!(normalize_mount(""), "/");
        assert_eq!(normalize_mount("/a/b"), "/a/b");
    }
}
