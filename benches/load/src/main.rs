//! Load benchmark of the example apps (issue 4). Run it with `benches/load/run.sh`, which
//! installs wrk if needed, builds the examples and this driver with `--release`, and passes
//! its arguments on.
//!
//! For each framework (actix, rocket, warp) and session store (cookie, redis):
//!
//! 1. starts the test OpenID Provider (`auth0_e2e::Provider`, client `rp-secret`, redirects to
//!    a fixed app port) and the app's release binary pinned to `--app-cpu`;
//! 2. logs in once headlessly (the session for wrk), then 9,999 more times through the SSO
//!    path with `--workers` concurrent tasks, reading the app's `VmRSS` before and after;
//! 3. runs wrk (pinned to `--wrk-cpu`) against `/health` (no SDK call: the floor) and
//!    `/private` (the session read on every request), alternating, `--rounds` times each,
//!    with the app's `utime + stime` read from `/proc` around every run;
//! 4. times `--cold-starts` cold starts of the binary (spawn to first `200` on `/health`),
//!    against the same provider.
//!
//! It prints a Markdown table and writes every figure to `--out` (JSON). Only 127.0.0.1 is
//! ever contacted. Every loop is bounded; every process started is stopped.

mod app;
mod logins;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use auth0_e2e::apps::free_port;
use auth0_e2e::{Browser, Provider, ProviderOptions, static_client_secret};
use serde_json::{Value, json};

use crate::app::App;

/// The provider's static client the apps log in with.
const CLIENT_ID: &str = "rp-secret";

/// The apps' sealing secret.
const APP_SECRET: &str = "load-bench-sealing-secret-0123456789abcdef";

/// Length of the unrecorded wrk run before the measured ones.
const WARM_UP_SECS: u64 = 2;

/// A login batch gives up after this long.
const LOGIN_TIME_LIMIT: Duration = Duration::from_secs(900);

/// Targets of issue 4.
const TARGET_RATIO: f64 = 0.8;
const TARGET_ADDED_CPU_US: f64 = 15.0;
const TARGET_RSS_MIB: f64 = 20.0;
const TARGET_COLD_START_MS: f64 = 30.0;

const USAGE: &str = "usage: load-bench [--frameworks actix,rocket,warp] [--stores cookie,redis] \
[--duration SECS] [--rounds N] [--connections N] [--logins N] [--workers N] [--cold-starts N] \
[--app-cpu LIST|none] [--wrk-cpu LIST|none] [--redis-url URL] [--bin-dir DIR] [--out FILE]";

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    frameworks: Vec<String>,
    stores: Vec<String>,
    duration_secs: u64,
    rounds: usize,
    connections: u32,
    logins: usize,
    workers: usize,
    cold_starts: usize,
    app_cpu: Option<String>,
    wrk_cpu: Option<String>,
    redis_url: String,
    bin_dir: PathBuf,
    out: PathBuf,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let bin_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("target/release"));
        let mut options = Self {
            frameworks: vec!["actix".into(), "rocket".into(), "warp".into()],
            stores: vec!["cookie".into(), "redis".into()],
            duration_secs: 10,
            rounds: 3,
            connections: 32,
            logins: 10_000,
            workers: 8,
            cold_starts: 5,
            app_cpu: Some("0".into()),
            wrk_cpu: Some("1".into()),
            redis_url: "redis://127.0.0.1:6379/13".into(),
            out: bin_dir.join("load-bench.json"),
            bin_dir,
        };
        let mut args = std::env::args().skip(1);
        while let Some(name) = args.next() {
            if name == "-h" || name == "--help" {
                return Err(USAGE.to_owned());
            }
            let value = args
                .next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
            let number = |value: &str| {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{name}: not a number"))
            };
            let list = |value: &str| value.split(',').map(str::to_owned).collect::<Vec<_>>();
            let cpu = |value: &str| (value != "none").then(|| value.to_owned());
            match name.as_str() {
                "--frameworks" => options.frameworks = list(&value),
                "--stores" => options.stores = list(&value),
                "--duration" => options.duration_secs = number(&value)?.max(1),
                "--rounds" => options.rounds = number(&value)?.max(1) as usize,
                "--connections" => options.connections = number(&value)?.clamp(1, 1024) as u32,
                "--logins" => options.logins = number(&value)?.max(1) as usize,
                "--workers" => options.workers = number(&value)?.clamp(1, 64) as usize,
                "--cold-starts" => options.cold_starts = number(&value)?.clamp(1, 50) as usize,
                "--app-cpu" => options.app_cpu = cpu(&value),
                "--wrk-cpu" => options.wrk_cpu = cpu(&value),
                "--redis-url" => options.redis_url = value,
                "--bin-dir" => options.bin_dir = PathBuf::from(value),
                "--out" => options.out = PathBuf::from(value),
                _ => return Err(format!("unknown option {name}\n{USAGE}")),
            }
        }
        for framework in &options.frameworks {
            if !["actix", "rocket", "warp"].contains(&framework.as_str()) {
                return Err(format!("unknown framework {framework}"));
            }
        }
        for store in &options.stores {
            if !["cookie", "redis"].contains(&store.as_str()) {
                return Err(format!("unknown store {store}"));
            }
        }
        if !options.redis_url.starts_with("redis://127.0.0.1:") {
            return Err("--redis-url must point at 127.0.0.1".to_owned());
        }
        Ok(options)
    }
}

/// One measured wrk run.
#[derive(Debug, Clone)]
struct Run {
    report: wrk::Report,
    /// App CPU time (user + system) per completed request, µs.
    cpu_us_per_request: f64,
    /// The system (kernel) share of it, µs.
    system_us_per_request: f64,
    /// App CPU time over wall time during the run (1.0 = one core busy).
    app_cores: f64,
    load_average: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let ticks = app::clock_ticks_per_second();
    let port = free_port();
    let logs = options.bin_dir.join("load-bench-logs");
    if let Err(err) = std::fs::create_dir_all(&logs) {
        eprintln!("cannot create {}: {err}", logs.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "load-bench: app on 127.0.0.1:{port} pinned to CPU {:?}, wrk on {:?}; logs in {}",
        options.app_cpu,
        options.wrk_cpu,
        logs.display()
    );

    let mut results = Vec::new();
    let mut failed = false;
    for framework in &options.frameworks {
        for store in &options.stores {
            eprintln!("== {framework} / {store} (load {})", app::load_average());
            match measure(&options, framework, store, port, ticks, &logs).await {
                Ok(result) => results.push(result),
                Err(err) => {
                    eprintln!("{framework} / {store}: FAILED: {err}");
                    failed = true;
                }
            }
        }
    }

    println!("{}", table(&results));
    let document = json!({
        "machine": machine(),
        "options": {
            "duration_secs": options.duration_secs, "rounds": options.rounds,
            "connections": options.connections, "logins": options.logins,
            "workers": options.workers, "app_cpu": options.app_cpu, "wrk_cpu": options.wrk_cpu,
        },
        "results": results,
    });
    match std::fs::write(
        &options.out,
        serde_json::to_string_pretty(&document).unwrap_or_default(),
    ) {
        Ok(()) => eprintln!("figures written to {}", options.out.display()),
        Err(err) => eprintln!("cannot write {}: {err}", options.out.display()),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every measurement of one framework with one session store.
async fn measure(
    options: &Options,
    framework: &str,
    store: &str,
    port: u16,
    ticks: u64,
    logs: &Path,
) -> Result<Value, String> {
    let binary = options.bin_dir.join(format!("example-{framework}"));
    let base = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(ProviderOptions {
        rp_base: base.clone(),
        ..ProviderOptions::default()
    })
    .await;
    let env = app_env(&provider, &base, store, &options.redis_url);
    let log = logs.join(format!("{framework}-{store}.stderr.log"));
    let app = {
        let (binary, env, cpu, log) = (binary.clone(), env.clone(), options.app_cpu.clone(), log);
        tokio::task::spawn_blocking(move || App::start(&binary, port, &env, cpu.as_deref(), &log))
            .await
            .map_err(|err| err.to_string())??
    };
    let rss_idle = app.rss_kib()?;

    // Logins: the first one interactive (its session is the one wrk sends), then SSO ones.
    let http = logins::app_client();
    let browser = Browser::new();
    let cookie = logins::login(&http, &browser, &base).await?;
    let batch = logins::batch(
        &http,
        &browser,
        &base,
        options.logins - 1,
        options.workers,
        LOGIN_TIME_LIMIT,
    )
    .await;
    let rss_after_logins = app.rss_kib()?;
    let logins_done = batch.succeeded + 1;
    eprintln!(
        "  {logins_done} logins ({} failed) in {:.1} s; RSS {} -> {} KiB",
        batch.failed,
        batch.elapsed.as_secs_f64(),
        rss_idle,
        rss_after_logins
    );
    if let Some(err) = &batch.first_error {
        eprintln!("  first login failure: {err}");
    }

    // Throughput: /health and /private alternately, with the session cookie on both.
    expect_ok(&http, &base, "/private", &cookie).await?;
    let health_url = format!("{base}/health");
    let private_url = format!("{base}/private");
    for url in [&health_url, &private_url] {
        let cookie = cookie.clone();
        let (url, connections, cpu) = (url.clone(), options.connections, options.wrk_cpu.clone());
        tokio::task::spawn_blocking(move || {
            wrk::run(&url, &cookie, connections, WARM_UP_SECS, cpu.as_deref())
        })
        .await
        .map_err(|err| err.to_string())??;
    }
    let mut health = Vec::new();
    let mut private = Vec::new();
    for round in 0..options.rounds {
        for (url, runs) in [(&health_url, &mut health), (&private_url, &mut private)] {
            let run = measured_run(options, &app, url, &cookie, ticks).await?;
            eprintln!(
                "  round {round} {url}: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {:.2} us CPU/req \
                 ({:.2} system), app {:.2} cores, load {}",
                run.report.requests_per_sec,
                run.report.p50_us,
                run.report.p99_us,
                run.cpu_us_per_request,
                run.system_us_per_request,
                run.app_cores,
                run.load_average
            );
            runs.push(run);
        }
    }
    expect_ok(&http, &base, "/private", &cookie).await?;
    let rss_after_wrk = app.rss_kib()?;
    let peak_rss = app.peak_rss_kib()?;
    drop(app);

    // Cold starts, each on a fresh port, with the provider still running.
    let mut cold = Vec::new();
    for _ in 0..options.cold_starts {
        let port = free_port();
        let env = app_env(
            &provider,
            &format!("http://127.0.0.1:{port}"),
            store,
            &options.redis_url,
        );
        let binary = binary.clone();
        let time = tokio::task::spawn_blocking(move || app::cold_start(&binary, port, &env))
            .await
            .map_err(|err| err.to_string())??;
        cold.push(time.as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("  cold starts (ms): {cold:.1?}");
    drop(provider);

    // Each round's /private run is compared with the /health run just before it.
    let paired = |pick: fn(&Run, &Run) -> f64| {
        median(
            health
                .iter()
                .zip(&private)
                .map(|(h, p)| pick(h, p))
                .collect(),
        )
    };
    let ratio = paired(|h, p| p.report.requests_per_sec / h.report.requests_per_sec);
    let added_cpu = paired(|h, p| p.cpu_us_per_request - h.cpu_us_per_request);
    let added_system = paired(|h, p| p.system_us_per_request - h.system_us_per_request);
    Ok(json!({
        "framework": framework,
        "store": store,
        "health": summary(&health),
        "private": summary(&private),
        "ratio": ratio,
        "added_cpu_us": added_cpu,
        "added_system_us": added_system,
        "logins": {
            "succeeded": logins_done, "failed": batch.failed,
            "seconds": batch.elapsed.as_secs_f64(), "workers": options.workers,
            "first_error": batch.first_error,
        },
        "rss_kib": {
            "idle": rss_idle, "after_logins": rss_after_logins,
            "after_wrk": rss_after_wrk, "peak": peak_rss,
        },
        "cold_start_ms": { "runs": cold.clone(), "median": median(cold) },
        "runs": {
            "health": health.iter().map(run_json).collect::<Vec<_>>(),
            "private": private.iter().map(run_json).collect::<Vec<_>>(),
        },
    }))
}

/// One wrk run with the app's CPU time read before and after.
async fn measured_run(
    options: &Options,
    app: &App,
    url: &str,
    cookie: &str,
    ticks: u64,
) -> Result<Run, String> {
    let load_average = app::load_average();
    let before = app.cpu_ticks()?;
    let started = std::time::Instant::now();
    let report = {
        let (url, cookie) = (url.to_owned(), cookie.to_owned());
        let (connections, seconds, cpu) = (
            options.connections,
            options.duration_secs,
            options.wrk_cpu.clone(),
        );
        tokio::task::spawn_blocking(move || {
            wrk::run(&url, &cookie, connections, seconds, cpu.as_deref())
        })
        .await
        .map_err(|err| err.to_string())??
    };
    let wall = started.elapsed().as_secs_f64();
    let after = app.cpu_ticks()?;
    let seconds = |ticks_used: u64| ticks_used as f64 / ticks as f64;
    let system_secs = seconds(after.system - before.system);
    let cpu_secs = seconds(after.user - before.user) + system_secs;
    if report.error_responses > 0 || report.socket_errors > 0 {
        return Err(format!(
            "wrk on {url}: {} error responses, {} socket errors",
            report.error_responses, report.socket_errors
        ));
    }
    Ok(Run {
        cpu_us_per_request: cpu_secs * 1e6 / report.requests as f64,
        system_us_per_request: system_secs * 1e6 / report.requests as f64,
        app_cores: cpu_secs / wall,
        report,
        load_average,
    })
}

/// Asserts that `GET path` with `cookie` answers 200 (the session is good).
async fn expect_ok(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
) -> Result<(), String> {
    let reply = http
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .map_err(|err| format!("GET {path}: {err}"))?;
    if reply.status() == reqwest::StatusCode::OK {
        Ok(())
    } else {
        Err(format!(
            "GET {path} with the session answered {}",
            reply.status()
        ))
    }
}

/// The app's environment for a provider, a base URL and a session store.
fn app_env(provider: &Provider, base: &str, store: &str, redis_url: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("AUTH0_DOMAIN", provider.issuer().to_owned()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", static_client_secret(CLIENT_ID)),
        ("AUTH0_SECRET", APP_SECRET.to_owned()),
        ("APP_BASE_URL", base.to_owned()),
        ("AUTH0_SESSION_STORE", store.to_owned()),
    ];
    if store == "redis" {
        env.push(("REDIS_URL", redis_url.to_owned()));
    }
    env.into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn summary(runs: &[Run]) -> Value {
    let pick = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    json!({
        "requests_per_sec": pick(|run| run.report.requests_per_sec),
        "p50_us": pick(|run| run.report.p50_us),
        "p99_us": pick(|run| run.report.p99_us),
        "cpu_us_per_request": pick(|run| run.cpu_us_per_request),
        "system_us_per_request": pick(|run| run.system_us_per_request),
        "app_cores": pick(|run| run.app_cores),
    })
}

fn run_json(run: &Run) -> Value {
    json!({
        "requests": run.report.requests,
        "requests_per_sec": run.report.requests_per_sec,
        "p50_us": run.report.p50_us,
        "p99_us": run.report.p99_us,
        "read": run.report.read,
        "cpu_us_per_request": run.cpu_us_per_request,
        "system_us_per_request": run.system_us_per_request,
        "app_cores": run.app_cores,
        "load_average": run.load_average,
    })
}

/// CPU model, core count and kernel, for the record.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("?", |(_, model)| model.trim());
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map_or(0, usize::from),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

/// The Markdown table of every result, with pass/fail against the targets.
fn table(results: &[Value]) -> String {
    let verdict = |pass: bool| if pass { "pass" } else { "FAIL" };
    let mut out = String::from(
        "| framework | store | /health req/s | /private req/s | ratio | p50 /health · /private | \
         p99 /health · /private | CPU/req /health · /private | added CPU/req (kernel part) | RSS \
         idle → after logins | logins | cold start (median) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in results {
        let number = |path: &str| {
            result
                .pointer(path)
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        let ratio = number("/ratio");
        let added = number("/added_cpu_us");
        let added_system = number("/added_system_us");
        let rss_mib = number("/rss_kib/after_logins") / 1024.0;
        let cold = number("/cold_start_ms/median");
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {ratio:.2}x {} | {:.0} · {:.0} µs | {:.0} · {:.0} µs | \
             {:.1} · {:.1} µs | {added:.1} µs ({added_system:.1}) {} | {:.1} → {rss_mib:.1} MiB {} \
             | {:.0} in {:.1} s | {cold:.1} ms {} |\n",
            result["framework"].as_str().unwrap_or("?"),
            result["store"].as_str().unwrap_or("?"),
            number("/health/requests_per_sec"),
            number("/private/requests_per_sec"),
            verdict(ratio >= TARGET_RATIO),
            number("/health/p50_us"),
            number("/private/p50_us"),
            number("/health/p99_us"),
            number("/private/p99_us"),
            number("/health/cpu_us_per_request"),
            number("/private/cpu_us_per_request"),
            verdict(added < TARGET_ADDED_CPU_US),
            number("/rss_kib/idle") / 1024.0,
            verdict(rss_mib < TARGET_RSS_MIB),
            number("/logins/succeeded"),
            number("/logins/seconds"),
            verdict(cold < TARGET_COLD_START_MS),
        ));
    }
    out
}
