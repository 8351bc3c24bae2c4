//! One `wrk` run against 127.0.0.1 and the figures of its `--latency` report.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Extra time granted to wrk beyond its `-d` before it is killed.
const GRACE: Duration = Duration::from_secs(30);

/// What one wrk run reported.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// Completed requests.
    pub(crate) requests: u64,
    /// `Requests/sec`.
    pub(crate) requests_per_sec: f64,
    /// Median latency, µs.
    pub(crate) p50_us: f64,
    /// 99th percentile latency, µs.
    pub(crate) p99_us: f64,
    /// Responses with a status of 400 or more (`Non-2xx or 3xx responses`).
    pub(crate) error_responses: u64,
    /// Connect, read, write errors and timeouts.
    pub(crate) socket_errors: u64,
    /// Bytes read, as wrk prints them (`12.34MB`).
    pub(crate) read: String,
}

/// Runs `wrk -t1 -c<connections> -d<seconds>s --latency` on `url` with a `Cookie` header,
/// pinned to `cpu` when given, and parses its report.
pub(crate) fn run(
    url: &str,
    cookie: &str,
    connections: u32,
    seconds: u64,
    cpu: Option<&str>,
) -> Result<Report, String> {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "wrk only ever targets 127.0.0.1"
    );
    let mut command = match cpu {
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu).arg("wrk");
            command
        }
        None => Command::new("wrk"),
    };
    command
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--latency", "--timeout", "5s"])
        .arg("-H")
        .arg(format!("Cookie: {cookie}"))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot run wrk (apt-get install wrk): {err}"))?;

    let deadline = Instant::now() + Duration::from_secs(seconds) + GRACE;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|err| err.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("wrk did not finish within {seconds} s + {GRACE:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut output)
            .map_err(|err| err.to_string())?;
    }
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        return Err(format!("wrk failed ({status}): {output}{stderr}"));
    }
    parse(&output).ok_or_else(|| format!("cannot read wrk's report:\n{output}"))
}

/// Parses wrk's report.
fn parse(output: &str) -> Option<Report> {
    let mut report = Report {
        requests: 0,
        requests_per_sec: 0.0,
        p50_us: f64::NAN,
        p99_us: f64::NAN,
        error_responses: 0,
        socket_errors: 0,
        read: String::new(),
    };
    for line in output.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => report.p50_us = duration_us(value)?,
            ["99%", value] => report.p99_us = duration_us(value)?,
            // "123456 requests in 10.00s, 12.34MB read"
            [count, "requests", "in", _, read, "read"] => {
                report.requests = count.parse().ok()?;
                report.read = (*read).to_owned();
            }
            ["Requests/sec:", value] => report.requests_per_sec = value.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                report.error_responses = count.parse().ok()?;
            }
            // "Socket errors: connect 0, read 0, write 0, timeout 0"
            ["Socket", "errors:", rest @ ..] => {
                report.socket_errors = rest
                    .iter()
                    .filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    (report.requests > 0 && report.p50_us.is_finite() && report.p99_us.is_finite())
        .then_some(report)
}

/// A wrk duration (`812.00us`, `1.25ms`, `2.01s`, `1.00m`) in µs.
fn duration_us(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    Some(number * factor)
}
