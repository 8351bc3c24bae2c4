//! Starting and stopping the loopback OpenID Provider (`tests/provider/provider.mjs`).
//!
//! The provider is a Node.js process. It listens on `127.0.0.1`, prints one line
//! `OP_READY <issuer> <port>` on stdout once it answers requests, and exits when its stdin
//! closes, so a provider never outlives the test process that started it, even when that
//! process is killed.
//!
//! Two ways to get one:
//!
//! * [`Provider::start`] starts a private provider with the given [`ProviderOptions`]; it is
//!   stopped when the value is dropped.
//! * [`Provider::shared`] returns one provider with default options, started on first use and
//!   kept for the whole test binary. Tests that need their own redirect or back-channel URIs
//!   register their own client on it (see [`crate::driver::register_client`]).
//!
//! The process is spawned with `std::process` and its ready line is read on a plain thread, so
//! neither depends on a tokio runtime: each `#[tokio::test]` has its own runtime, and the shared
//! provider must survive the test that happened to start it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

/// The RP base URL the static clients' redirect URIs are built on, unless overridden.
pub const DEFAULT_RP_BASE: &str = "http://127.0.0.1:3000";

/// Static client authenticating with `client_secret_basic`, with back-channel logout
/// (`<rp>/auth/backchannel-logout`, `sid` required) and the `money_transfer` RAR type.
pub const CLIENT_SECRET_BASIC: &str = "rp-secret";

/// Static client authenticating with `client_secret_post`.
pub const CLIENT_SECRET_POST: &str = "rp-post";

/// Static client authenticating with `private_key_jwt`; present only when
/// [`ProviderOptions::pkjwt_jwks`] is set. Back-channel logout and RAR as [`CLIENT_SECRET_BASIC`].
pub const CLIENT_PRIVATE_KEY_JWT: &str = "rp-pkjwt";

/// Static client whose ID tokens are signed with HS256 (key: the client secret, no `kid`).
pub const CLIENT_HS256: &str = "rp-hs256";

/// Static client whose ID tokens are signed with ES256 (the provider's key `op-es256`).
pub const CLIENT_ES256: &str = "rp-es256";

/// How long [`Provider::start`] waits for the ready line by default.
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Returns the fixed test secret of a static client: `<client_id>-secret-0123…cdef`.
pub fn static_client_secret(client_id: &str) -> String {
    format!("{client_id}-secret-0123456789abcdef0123456789abcdef")
}

/// How the provider treats the `offline_access` scope (`OP_OFFLINE_ACCESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OfflineAccess {
    /// Like Auth0: `offline_access` yields a refresh token without `prompt=consent`.
    #[default]
    Auth0,
    /// Stock OpenID Connect (Core §11): `offline_access` is dropped unless `prompt=consent`.
    Oidc,
}

impl OfflineAccess {
    fn env_value(self) -> &'static str {
        match self {
            Self::Auth0 => "auth0",
            Self::Oidc => "oidc",
        }
    }
}

/// Options of a provider process; each field maps to one environment knob of `provider.mjs`.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// Port to listen on (`OP_PORT`); 0, the default, picks a free one.
    pub port: u16,
    /// Base URL of the RP the static clients redirect to (`OP_RP`), without a trailing slash.
    pub rp_base: String,
    /// Whether the issuer ends with `/` like Auth0's (`OP_ISSUER_SLASH`); default `true`.
    pub issuer_trailing_slash: bool,
    /// Shift of the provider's clock in seconds (`OP_CLOCK_OFFSET_S`); moves every `iat`/`exp`.
    pub clock_offset_secs: i64,
    /// Access token lifetime in seconds (`OP_AT_TTL`); default 3600.
    pub access_token_ttl_secs: u64,
    /// ID token lifetime in seconds (`OP_IDT_TTL`); default 3600.
    pub id_token_ttl_secs: u64,
    /// Rotate refresh tokens on every use (`OP_RT_ROTATION=1`); default off.
    pub rotate_refresh_tokens: bool,
    /// Treatment of `offline_access` (`OP_OFFLINE_ACCESS`).
    pub offline_access: OfflineAccess,
    /// JSON file with the public JWKs of the static `rp-pkjwt` client (`OP_PKJWT_JWKS`);
    /// `{"keys":[...]}` or a bare array. Without it that client does not exist.
    pub pkjwt_jwks: Option<PathBuf>,
    /// Log every `*.error` event of the provider to stderr (`OP_DEBUG=1`). Defaults to whether
    /// the test process itself runs with `OP_DEBUG=1`.
    pub debug: bool,
    /// How long to wait for the ready line before giving up.
    pub ready_timeout: Duration,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        Self {
            port: 0,
            rp_base: DEFAULT_RP_BASE.to_owned(),
            issuer_trailing_slash: true,
            clock_offset_secs: 0,
            access_token_ttl_secs: 3600,
            id_token_ttl_secs: 3600,
            rotate_refresh_tokens: false,
            offline_access: OfflineAccess::Auth0,
            pkjwt_jwks: None,
            debug: std::env::var_os("OP_DEBUG").is_some_and(|value| value == "1"),
            ready_timeout: DEFAULT_READY_TIMEOUT,
        }
    }
}

/// A running provider process; stopped when dropped.
#[derive(Debug)]
pub struct Provider {
    /// The child; `None` once stopped. Its stdin pipe stays open for the child's lifetime.
    child: Mutex<Option<Child>>,
    issuer: String,
    port: u16,
    base_url: String,
    options: ProviderOptions,
}

impl Provider {
    /// Starts a provider and waits until it answers requests.
    ///
    /// Panics with a message saying what to do when Node.js or `node_modules` is missing, when
    /// the process exits early, or when it is not ready within [`ProviderOptions::ready_timeout`].
    pub async fn start(options: ProviderOptions) -> Self {
        tokio::task::spawn_blocking(move || Self::start_blocking(options))
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    /// Blocking form of [`Provider::start`], for code outside an async runtime.
    pub fn start_blocking(options: ProviderOptions) -> Self {
        let dir = provider_dir();
        install_once(&dir);

        let mut child = spawn_node(&dir, &options);
        let stdout = child.stdout.take().expect("stdout is piped");
        let ready = read_ready_line(stdout);

        let line = match ready.recv_timeout(options.ready_timeout) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop_child(&mut child);
                panic!(
                    "the test OpenID Provider printed no OP_READY line within {:?} (its stderr is \
                     above)",
                    options.ready_timeout
                );
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child
                    .wait()
                    .map_or_else(|err| err.to_string(), |s| s.to_string());
                panic!(
                    "the test OpenID Provider exited before it was ready ({status}); its stderr \
                     is above. If node_modules is stale, run `npm ci` in {}",
                    dir.display()
                );
            }
        };

        let (issuer, port) = parse_ready_line(&line).unwrap_or_else(|| {
            stop_child(&mut child);
            panic!("unexpected first line from the test OpenID Provider: {line:?}")
        });

        Self {
            child: Mutex::new(Some(child)),
            base_url: format!("http://127.0.0.1:{port}"),
            issuer,
            port,
            options,
        }
    }

    /// Returns the provider shared by every test of this binary, starting it on first use.
    ///
    /// It runs with [`ProviderOptions::default`] and lives until the test process exits.
    pub async fn shared() -> &'static Self {
        tokio::task::spawn_blocking(Self::shared_blocking)
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    /// Blocking form of [`Provider::shared`].
    pub fn shared_blocking() -> &'static Self {
        static SHARED: OnceLock<Provider> = OnceLock::new();
        SHARED.get_or_init(|| Self::start_blocking(ProviderOptions::default()))
    }

    /// Returns the issuer exactly as the provider writes it in `iss` (e.g.
    /// `http://127.0.0.1:4400/`, trailing slash unless disabled).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Returns the port the provider listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the absolute URL of `path` on the provider (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Returns the URL of the discovery document.
    pub fn discovery_url(&self) -> String {
        self.url("/.well-known/openid-configuration")
    }

    /// Returns the options the provider was started with.
    pub fn options(&self) -> &ProviderOptions {
        &self.options
    }

    /// Returns the RP base URL the static clients were registered with.
    pub fn rp_base(&self) -> &str {
        &self.options.rp_base
    }

    /// Returns the first redirect URI of the static clients: `<rp_base>/auth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.options.rp_base)
    }

    /// Stops the process now; later requests to it fail. Dropping the value does the same.
    pub fn stop(&self) {
        let mut guard = self
            .child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mut child) = guard.take() {
            stop_child(&mut child);
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Directory of `provider.mjs`, found from this crate's manifest directory.
/// Runs `npm ci` in the provider's folder the first time a test needs it, so `cargo test`
/// works on a fresh clone. The lockfile pins every package.
fn install_once(dir: &Path) {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if dir.join("node_modules").join("oidc-provider").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => panic!(
            "`npm ci` in {} failed ({status}); see its output above",
            dir.display()
        ),
        Err(err) => panic!(
            "the test OpenID Provider needs Node.js 20+ and npm on the PATH ({err}); install them \
             and run `npm ci` in {}",
            dir.display()
        ),
    }
}

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("provider")
}

fn spawn_node(dir: &Path, options: &ProviderOptions) -> Child {
    let mut command = Command::new("node");
    command
        .arg("provider.mjs")
        .current_dir(dir)
        .env("OP_PORT", options.port.to_string())
        .env("OP_RP", options.rp_base.trim_end_matches('/'))
        .env(
            "OP_ISSUER_SLASH",
            if options.issuer_trailing_slash {
                "1"
            } else {
                "0"
            },
        )
        .env("OP_CLOCK_OFFSET_S", options.clock_offset_secs.to_string())
        .env("OP_AT_TTL", options.access_token_ttl_secs.to_string())
        .env("OP_IDT_TTL", options.id_token_ttl_secs.to_string())
        .env(
            "OP_RT_ROTATION",
            if options.rotate_refresh_tokens {
                "1"
            } else {
                "0"
            },
        )
        .env("OP_OFFLINE_ACCESS", options.offline_access.env_value())
        .env("OP_DEBUG", if options.debug { "1" } else { "0" })
        .env_remove("OP_DETACHED")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match &options.pkjwt_jwks {
        Some(path) => command.env("OP_PKJWT_JWKS", path),
        None => command.env_remove("OP_PKJWT_JWKS"),
    };

    command.spawn().unwrap_or_else(|err| {
        panic!(
            "cannot start `node` for the test OpenID Provider ({err}); install Node.js 20 or \
             later and run `npm ci` in {}",
            dir.display()
        )
    })
}

/// Reads the child's stdout on a plain thread: the first line goes to the returned channel,
/// anything after it (there should be nothing) to stderr, so the pipe never fills up.
fn read_ready_line(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("test-op-stdout".to_owned())
        .spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                // The receiver is gone when start-up already timed out; nothing to tell then.
                let _ = sender.send(first);
            }
            drop(sender);
            for line in lines.map_while(Result::ok) {
                eprintln!("test-op stdout: {line}");
            }
        })
        .expect("cannot spawn the provider's stdout reader thread");
    receiver
}

/// Parses `OP_READY <issuer> <port>`.
fn parse_ready_line(line: &str) -> Option<(String, u16)> {
    let mut parts = line.trim_end().split(' ');
    if parts.next()? != "OP_READY" {
        return None;
    }
    let issuer = parts.next()?.to_owned();
    let port = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((issuer, port))
}

fn stop_child(child: &mut Child) {
    // Closing stdin alone makes the provider exit; the kill covers a wedged process.
    drop(child.stdin.take());
    // Errors mean the process is already gone, which is what we want.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_ready_line() {
        assert_eq!(
            parse_ready_line("OP_READY http://127.0.0.1:4400/ 4400\n"),
            Some(("http://127.0.0.1:4400/".to_owned(), 4400))
        );
        assert_eq!(parse_ready_line("OP_READY http://127.0.0.1:4400/"), None);
        assert_eq!(parse_ready_line("oidc-provider NOTICE: x"), None);
        assert_eq!(parse_ready_line("OP_READY a 1 extra"), None);
    }

    #[test]
    fn static_secrets_follow_the_documented_pattern() {
        assert_eq!(
            static_client_secret(CLIENT_HS256),
            "rp-hs256-secret-0123456789abcdef0123456789abcdef"
        );
    }
}
