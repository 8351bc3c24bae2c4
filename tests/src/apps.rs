//! The example apps as real processes: built once per test binary with cargo, started on
//! 127.0.0.1 with their configuration in the environment, and stopped when dropped.
//!
//! Every example app follows one contract: it reads `AUTH0_*`, `APP_BASE_URL` and `PORT` from
//! the environment, binds `127.0.0.1:$PORT`, and prints `listening on http://127.0.0.1:<port>`
//! on stdout once it accepts requests. [`AppProcess::start`] relies on exactly that.
//!
//! ```no_run
//! use auth0_e2e::apps::{AppProcess, example_binary, free_port};
//!
//! let binary = example_binary("example-warp").expect("the example builds");
//! let port = free_port();
//! let env = vec![("APP_BASE_URL".to_owned(), format!("http://127.0.0.1:{port}"))];
//! let app = AppProcess::start(&binary, port, &env).expect("the app starts");
//! println!("{}", app.url("/auth/profile"));
//! // Dropping `app` kills the process.
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

/// How long [`AppProcess::start`] waits for the ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The most bytes of an app's stderr kept for error messages.
const STDERR_KEPT: usize = 16 * 1024;

/// Environment variables an app reads; they are removed from the inherited environment so
/// only what the caller passes configures the app.
const APP_VARIABLES: &[&str] = &["APP_BASE_URL", "PORT", "REDIS_URL"];

/// Builds the binary of the workspace package `package` (its bin target of the same name)
/// with `cargo build`, once per test process, and returns its path.
///
/// The build uses the cargo that builds the tests and the same profile (`--release` when the
/// tests are optimized). A failed build is remembered: later calls return the same error
/// without building again. Blocks while cargo runs.
pub fn example_binary(package: &str) -> Result<PathBuf, String> {
    static BUILT: Mutex<BTreeMap<String, Result<PathBuf, String>>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built
        .entry(package.to_owned())
        .or_insert_with(|| build(package))
        .clone()
}

/// A port of 127.0.0.1 that was free a moment ago (bound to port 0, read, released).
///
/// Another process may take it before the app binds it; callers retry on a start failure.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("cannot bind a free port on 127.0.0.1")
}

/// A running example app; killed (and reaped) when dropped.
pub struct AppProcess {
    child: Child,
    port: u16,
    base_url: String,
    before_ready: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

/// Why an app did not become ready.
#[derive(Debug, Clone)]
pub enum AppStartError {
    /// The process could not be spawned.
    Spawn(String),
    /// The process ended before printing its ready line.
    Exited {
        /// The exit status, as text.
        status: String,
        /// What it printed on stdout.
        stdout: Vec<String>,
        /// What it printed on stderr (the last [`STDERR_KEPT`] bytes).
        stderr: String,
    },
    /// No ready line within [`READY_TIMEOUT`]; the process was killed.
    Timeout {
        /// What it printed on stdout.
        stdout: Vec<String>,
        /// What it printed on stderr.
        stderr: String,
    },
    /// It printed a ready line for another address than `http://127.0.0.1:<port>`.
    WrongAddress {
        /// The line.
        line: String,
    },
}

impl fmt::Display for AppStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn(reason) => write!(f, "cannot spawn the app: {reason}"),
            Self::Exited {
                status,
                stdout,
                stderr,
            } => write!(
                f,
                "the app exited ({status}) before it was ready; stdout: {stdout:?}; stderr: \
                 {stderr}"
            ),
            Self::Timeout { stdout, stderr } => write!(
                f,
                "the app printed no ready line within {READY_TIMEOUT:?}; stdout: {stdout:?}; \
                 stderr: {stderr}"
            ),
            Self::WrongAddress { line } => write!(f, "unexpected ready line {line:?}"),
        }
    }
}

impl std::error::Error for AppStartError {}

impl AppProcess {
    /// Starts `binary` with `PORT=<port>` and the variables of `env` (every other `AUTH0_*`,
    /// `APP_BASE_URL`, `PORT` and `REDIS_URL` of this process is removed), and waits until it
    /// prints `listening on http://127.0.0.1:<port>`.
    ///
    /// Lines printed on stdout before the ready line are kept ([`AppProcess::lines_before_ready`]);
    /// stderr is collected for error messages. Blocks for the start-up.
    pub fn start(
        binary: &Path,
        port: u16,
        env: &[(String, String)],
    ) -> Result<Self, AppStartError> {
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("AUTH0_") || APP_VARIABLES.contains(&name_text.as_ref()) {
                command.env_remove(&name);
            }
        }
        command.env("PORT", port.to_string());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| AppStartError::Spawn(format!("{}: {err}", binary.display())))?;

        let stderr = collect_stderr(child.stderr.take().expect("stderr is piped"));
        let lines = read_stdout(child.stdout.take().expect("stdout is piped"));
        let mut before_ready = Vec::new();
        loop {
            match lines.recv_timeout(READY_TIMEOUT) {
                Ok(line) => match line.strip_prefix("listening on ") {
                    Some(address) if address == format!("http://127.0.0.1:{port}") => break,
                    Some(_) => {
                        stop(&mut child);
                        return Err(AppStartError::WrongAddress { line });
                    }
                    None => before_ready.push(line),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    stop(&mut child);
                    return Err(AppStartError::Timeout {
                        stdout: before_ready,
                        stderr: text_of(&stderr),
                    });
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child
                        .wait()
                        .map_or_else(|err| err.to_string(), |status| status.to_string());
                    // The stderr reader may still be draining the pipe.
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(AppStartError::Exited {
                        status,
                        stdout: before_ready,
                        stderr: text_of(&stderr),
                    });
                }
            }
        }

        Ok(Self {
            child,
            port,
            base_url: format!("http://127.0.0.1:{port}"),
            before_ready,
            stderr,
        })
    }

    /// The port the app listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The absolute URL of `path` (starting with `/`) on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The stdout lines the app printed before its ready line (none, per the contract).
    pub fn lines_before_ready(&self) -> &[String] {
        &self.before_ready
    }

    /// What the app printed on stderr so far (the last 16 KiB).
    pub fn stderr(&self) -> String {
        text_of(&self.stderr)
    }
}

impl fmt::Debug for AppProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppProcess")
            .field("pid", &self.child.id())
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Runs `cargo build -p <package> --bin <package>` in the workspace and finds the executable
/// in cargo's JSON messages, so any target directory works.
fn build(package: &str) -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace");
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(workspace)
        .args(["build", "--message-format=json-render-diagnostics", "-p"])
        .arg(package)
        .arg("--bin")
        .arg(package);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run cargo to build {package}: {err}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "`cargo build -p {package}` failed ({}):\n{}",
            output.status,
            tail(&stderr, 6000)
        ));
    }

    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == package)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("`cargo build -p {package}` reported no executable"))
}

/// Forwards the app's stdout lines to a channel on a plain thread; the channel closes at EOF.
fn read_stdout(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("example-app-stdout".to_owned())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // After start-up nobody listens; the lines are dropped, the pipe keeps flowing.
                let _ = sender.send(line);
            }
        })
        .expect("cannot spawn the app's stdout reader thread");
    receiver
}

/// Collects the app's stderr on a plain thread, keeping the last [`STDERR_KEPT`] bytes.
fn collect_stderr(stderr: ChildStderr) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&kept);
    std::thread::Builder::new()
        .name("example-app-stderr".to_owned())
        .spawn(move || {
            let mut stderr = stderr;
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = stderr.read(&mut buffer) {
                let mut text = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                text.push_str(&String::from_utf8_lossy(&buffer[..read]));
                if text.len() > STDERR_KEPT {
                    let cut = text.len() - STDERR_KEPT;
                    let cut = (cut..text.len())
                        .find(|&index| text.is_char_boundary(index))
                        .unwrap_or(text.len());
                    text.drain(..cut);
                }
            }
        })
        .expect("cannot spawn the app's stderr reader thread");
    kept
}

fn text_of(text: &Mutex<String>) -> String {
    text.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// The last `max` bytes of `text`, cut at a character boundary.
fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..text.len())
        .find(|&index| text.is_char_boundary(index))
        .unwrap_or(text.len());
    &text[start..]
}

fn stop(child: &mut Child) {
    // Errors mean the process is already gone, which is what we want.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_cuts_at_a_character_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 10), "ab");
        assert_eq!(tail("aé", 1), "");
        assert_eq!(tail("aé", 2), "é");
    }

    #[test]
    fn free_ports_are_not_zero() {
        assert_ne!(free_port(), 0);
    }
}
