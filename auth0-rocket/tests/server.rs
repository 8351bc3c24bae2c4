//! The adapter served over real HTTP on 127.0.0.1: a login with a cookie-keeping client, then
//! a back-channel logout sent by the provider itself.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use auth0_e2e::{Browser, Provider, backchannel_logout, register_client};
use rocket::fairing::AdHoc;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A port on 127.0.0.1 that is free right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backchannel_logout_ends_the_session() {
    let provider = Provider::shared().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let registered = register_client(
        provider,
        &json!({
            "redirect_uris": [format!("{base}/auth/callback")],
            "post_logout_redirect_uris": [format!("{base}/")],
            "backchannel_logout_uri": format!("{base}/auth/backchannel-logout"),
            "backchannel_logout_session_required": false,
        }),
    )
    .await
    .unwrap();
    let secret = registered.client_secret.clone().unwrap();
    let settings = common::settings(provider, &base, &registered.client_id, &secret);
    let client = settings.build_client().await.unwrap();

    let (ready, listening) = oneshot::channel();
    let ready = std::sync::Mutex::new(Some(ready));
    let rocket = common::app(client, &settings)
        .configure(
            rocket::Config::figment()
                .merge(("address", "127.0.0.1"))
                .merge(("port", port))
                .merge(("log_level", rocket::config::LogLevel::Off)),
        )
        .attach(AdHoc::on_liftoff("ready", move |_| {
            let sender = ready.lock().unwrap().take();
            Box::pin(async move {
                if let Some(sender) = sender {
                    let _ = sender.send(());
                }
            })
        }))
        .ignite()
        .await
        .unwrap();
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());
    tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .expect("the app starts")
        .unwrap();

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let response = http.get(format!("{base}/auth/login")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let authorize = response.headers()["location"].to_str().unwrap().to_owned();
    let callback = Browser::new().authorize(&authorize).await.unwrap();
    let response = http.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/");

    let profile = http
        .get(format!("{base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    let profile: Value = profile.json().await.unwrap();
    let sub = profile["sub"].as_str().unwrap().to_owned();

    backchannel_logout(provider, &registered.client_id, &sub, None)
        .await
        .expect("the app accepts the logout token");
    let profile = http
        .get(format!("{base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 401);

    shutdown.notify();
    let stopped = server.await.unwrap();
    assert!(stopped.is_ok());
}
