//! The example app as a measured process: started (optionally pinned to a CPU with `taskset`)
//! with its configuration in the environment, read through `/proc`, killed when dropped; and
//! its cold start, timed from `spawn` to the first `200` on `/health`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long an app may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a cold start may take before it counts as failed.
const COLD_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause between two attempts of a cold start's first request.
const COLD_START_POLL: Duration = Duration::from_micros(250);

/// Variables of this process that must not leak into the app's configuration (besides
/// every `AUTH0_*`).
const APP_VARIABLES: &[&str] = &["APP_BASE_URL", "PORT", "REDIS_URL"];

/// A running app; killed and reaped when dropped.
#[derive(Debug)]
pub(crate) struct App {
    child: Child,
}

impl App {
    /// Starts `binary` on `127.0.0.1:port` with `env`, pinned to `cpu` when given, its
    /// stderr appended to `log`, and waits for `listening on http://127.0.0.1:<port>`.
    pub(crate) fn start(
        binary: &Path,
        port: u16,
        env: &[(String, String)],
        cpu: Option<&str>,
        log: &Path,
    ) -> Result<Self, String> {
        let mut command = match cpu {
            Some(cpu) => {
                // taskset execs the app: the child's pid is the app's.
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpu).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        configure(&mut command, port, env);
        let log = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|err| format!("cannot open {}: {err}", log.display()))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;

        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Nobody listens after start-up; the pipe keeps flowing.
                let _ = sender.send(line);
            }
        });
        let mut app = Self { child };
        let wanted = format!("listening on http://127.0.0.1:{port}");
        loop {
            match lines.recv_timeout(READY_TIMEOUT) {
                Ok(line) if line == wanted => return Ok(app),
                Ok(_) => {}
                Err(_) => {
                    let status = app.child.try_wait().ok().flatten();
                    return Err(format!(
                        "{} printed no ready line (exit status {status:?}); see its stderr in the log",
                        binary.display()
                    ));
                }
            }
        }
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User and system CPU time of the whole process so far, in clock ticks.
    pub(crate) fn cpu_ticks(&self) -> Result<CpuTicks, String> {
        cpu_ticks(self.pid())
    }

    /// Resident memory (`VmRSS`), in KiB.
    pub(crate) fn rss_kib(&self) -> Result<u64, String> {
        status_kib(self.pid(), "VmRSS")
    }

    /// Peak resident memory (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Result<u64, String> {
        status_kib(self.pid(), "VmHWM")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Errors mean the process is gone already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `binary` (not pinned, stdout and stderr discarded) on `port` with `env` and returns
/// the time from the spawn to the first `200` answer on `/health`. The process is killed
/// before returning.
pub(crate) fn cold_start(
    binary: &Path,
    port: u16,
    env: &[(String, String)],
) -> Result<Duration, String> {
    let mut command = Command::new(binary);
    configure(&mut command, port, env);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
    let outcome = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("the app exited ({status}) before answering"));
        }
        if started.elapsed() > COLD_START_TIMEOUT {
            break Err(format!(
                "no answer on /health within {COLD_START_TIMEOUT:?}"
            ));
        }
        match status_of(port, "/health") {
            Ok(200) => break Ok(started.elapsed()),
            Ok(status) => break Err(format!("/health answered {status}")),
            Err(_) => std::thread::sleep(COLD_START_POLL),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// The status code of `GET path` on `127.0.0.1:port`, with a bare HTTP/1.1 request.
fn status_of(port: u16, path: &str) -> std::io::Result<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 256];
    while !head.windows(2).any(|pair| pair == b"\r\n") && head.len() < 4096 {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    // "HTTP/1.1 200 OK"
    String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

/// Clears inherited configuration and sets `PORT` and `env`.
fn configure(command: &mut Command, port: u16, env: &[(String, String)]) {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("AUTH0_") || APP_VARIABLES.contains(&text.as_ref()) {
            command.env_remove(&name);
        }
    }
    command.env("PORT", port.to_string());
    for (name, value) in env {
        command.env(name, value);
    }
}

/// CPU time of a process, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuTicks {
    /// `utime`: in user mode.
    pub(crate) user: u64,
    /// `stime`: in the kernel, for the process (system calls: the network).
    pub(crate) system: u64,
}

/// `utime` and `stime` of `/proc/<pid>/stat` (every thread of the process), in clock ticks.
fn cpu_ticks(pid: u32) -> Result<CpuTicks, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|err| format!("cannot read /proc/{pid}/stat: {err}"))?;
    // The command name, in parentheses, may hold spaces: count fields after its `)`.
    // Fields 14 and 15 of the file are the 12th and 13th after it (the state is the 1st).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |index: usize| -> Result<u64, String> {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("unexpected /proc/{pid}/stat: {stat}"))
    };
    Ok(CpuTicks {
        user: field(11)?,
        system: field(12)?,
    })
}

/// A `kB` line of `/proc/<pid>/status`.
fn status_kib(pid: u32, key: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|err| format!("cannot read /proc/{pid}/status: {err}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {key} in /proc/{pid}/status"))
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, else 100).
pub(crate) fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` writes them.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "?".to_owned())
}
