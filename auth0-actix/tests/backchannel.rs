//! Back-channel logout over a real socket: the provider itself posts the logout token.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpServer};
use auth0_actix::{Auth0, Auth0Session};
use auth0_e2e::{Browser, Provider, backchannel_logout, register_client};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

#[actix_web::test]
async fn the_provider_ends_a_session_through_the_backchannel_route() {
    let provider = Provider::shared().await;
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let registered = register_client(
        provider,
        &json!({
            "redirect_uris": [format!("{base}/auth/callback")],
            "post_logout_redirect_uris": [format!("{base}/")],
            "backchannel_logout_uri": format!("{base}/auth/backchannel-logout"),
            "backchannel_logout_session_required": true,
        }),
    )
    .await
    .unwrap();
    let secret = registered.client_secret.clone().unwrap();
    let settings = common::settings(provider, &base, &registered.client_id, &secret);
    let auth = Auth0::new(settings.build_client().await.unwrap(), &settings);

    let server = HttpServer::new(move || {
        App::new()
            .wrap(Auth0Session::new())
            .configure(auth0_actix::routes(auth.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);

    let app = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .unwrap();
    let start = app.get(format!("{base}/auth/login")).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::FOUND);
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_owned();
    let callback = Browser::new().authorize(&authorize).await.unwrap();
    let done = app.get(callback).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::FOUND);

    let profile = app
        .get(format!("{base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), StatusCode::OK);
    let profile: Value = profile.json().await.unwrap();
    let sub = profile["sub"].as_str().unwrap().to_owned();
    let sid = profile["sid"].as_str().map(str::to_owned);

    // The provider answers 204 only when our route did.
    backchannel_logout(provider, &registered.client_id, &sub, sid.as_deref())
        .await
        .unwrap();

    let profile = app
        .get(format!("{base}/auth/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);

    drop(app);
    handle.stop(false).await;
    running.await.unwrap().unwrap();
}
