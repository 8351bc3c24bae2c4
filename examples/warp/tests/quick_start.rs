//! The example app as a process: start-up errors, and a headless login against the local
//! test provider it starts when no `AUTH0_*` variable is set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use auth0_e2e::Browser;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::Value;

const HTML: &str = "text/html";

/// The example binary with no `AUTH0_*` variables and `PORT=0`.
fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-warp"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AUTH0_") {
            command.env_remove(name);
        }
    }
    command.env("PORT", "0").env_remove("APP_BASE_URL");
    command
}

/// A running example app, killed when dropped.
struct App {
    child: Child,
    base: String,
}

impl App {
    fn start() -> Self {
        let mut child = command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = sender.send(first);
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the app prints its address");
        let base = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        assert!(!base.ends_with(":0"), "the real port is printed");
        Self { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn logs_in_against_the_local_provider() {
    let app = App::start();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let get = |path: &str, accept: &str| http.get(app.url(path)).header(ACCEPT, accept).send();

    let home = get("/", HTML).await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("/auth/login"));

    let private = get("/private", HTML).await.unwrap();
    assert_eq!(private.status(), StatusCode::FOUND);
    assert_eq!(location(&private), "/auth/login?returnTo=%2Fprivate");
    let data = get("/api/data", "application/json").await.unwrap();
    assert_eq!(data.status(), StatusCode::UNAUTHORIZED);

    let login = get("/auth/login?returnTo=%2Fprivate", HTML).await.unwrap();
    assert_eq!(login.status(), StatusCode::FOUND);
    let callback = Browser::new().authorize(&location(&login)).await.unwrap();
    assert!(callback.as_str().starts_with(&app.url("/auth/callback?")));
    let landed = http.get(callback.as_str()).send().await.unwrap();
    assert_eq!(landed.status(), StatusCode::FOUND);
    assert_eq!(location(&landed), "/private");

    let private = get("/private", HTML).await.unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    assert!(private.text().await.unwrap().contains("Test User"));
    let home = get("/", HTML).await.unwrap();
    assert!(home.text().await.unwrap().contains("Hello, Test User"));

    let data = get("/api/data", "application/json").await.unwrap();
    assert_eq!(data.status(), StatusCode::OK);
    let data: Value = data.json().await.unwrap();
    assert!(data["token_expires_at"].as_u64().is_some(), "{data}");
    assert!(data.get("audience").is_some(), "{data}");
    assert!(data.get("access_token").is_none(), "never the token itself");

    let logout = get("/auth/logout", HTML).await.unwrap();
    assert_eq!(logout.status(), StatusCode::FOUND);
    let private = get("/private", HTML).await.unwrap();
    assert_eq!(
        private.status(),
        StatusCode::FOUND,
        "signed out after logout"
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let cases = [
        (
            vec![("AUTH0_DOMAIN", "tenant.auth0.com")],
            "AUTH0_CLIENT_ID",
        ),
        (
            vec![("AUTH0_DOMAIN", "http://tenant.example")],
            "AUTH0_DOMAIN",
        ),
        (vec![("PORT", "not-a-port")], "PORT"),
    ];
    for (vars, named) in cases {
        let mut command = command();
        for (name, value) in &vars {
            command.env(name, value);
        }
        let output = command.stdin(Stdio::null()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{vars:?}");
        assert!(output.stdout.is_empty(), "{vars:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(named), "{stderr}");
    }
}
