//! The `User` extractor and the session middleware, in-process, against the real provider.

mod common;

use actix_web::http::StatusCode;
use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpResponse, test, web};
use auth0_e2e::Provider;
use common::{Jar, get, json, location, login, service, set_cookies};

#[actix_web::test]
async fn signed_out_browsers_are_sent_to_login_and_apis_get_401() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let jar = Jar::default();

    let html = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
    let page =
        test::call_service(&app, get("/private?tab=2&x=a%20b", &jar, html).to_request()).await;
    assert_eq!(page.status(), StatusCode::FOUND);
    assert_eq!(
        location(&page),
        "/auth/login?returnTo=%2Fprivate%3Ftab%3D2%26x%3Da%2520b"
    );

    let api =
        test::call_service(&app, get("/private", &jar, "application/json").to_request()).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(api).await["error"], "missing_session");

    let form = test::TestRequest::post()
        .uri("/private")
        .insert_header(("accept", html))
        .to_request();
    let form = test::call_service(&app, form).await;
    assert_eq!(form.status(), StatusCode::UNAUTHORIZED);

    let maybe = test::call_service(&app, get("/maybe", &jar, html).to_request()).await;
    assert_eq!(maybe.status(), StatusCode::OK);
    assert_eq!(test::read_body(maybe).await, "anonymous");
}

#[actix_web::test]
async fn signed_in_users_reach_protected_pages() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();
    login(&app, &mut jar, "").await;

    let page = test::call_service(&app, get("/private", &jar, "text/html").to_request()).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(test::read_body(page).await, "private for user-123");
    let maybe = test::call_service(&app, get("/maybe", &jar, "text/html").to_request()).await;
    assert_eq!(test::read_body(maybe).await, "user-123");
}

#[actix_web::test]
async fn every_set_cookie_reaches_the_browser() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;

    // The callback both removes the transaction cookie and sets the session.
    let mut jar = Jar::default();
    let done = login(&app, &mut jar, "").await;
    let cookies = set_cookies(&done);
    assert!(cookies.len() >= 2, "{} Set-Cookie headers", cookies.len());
    assert!(
        cookies
            .iter()
            .any(|(name, _, removed)| name.starts_with("_a0_tx") && *removed)
    );
    assert!(
        cookies
            .iter()
            .any(|(name, _, removed)| name.starts_with("_a0_session") && !removed)
    );

    // A handler's own cookie survives next to the SDK's: unreadable session cookies are
    // cleared, each with its own header.
    let session_cookies = session_cookie_names(&jar);
    let mut broken = jar.clone();
    for name in &session_cookies {
        broken.set(name, "garbage".to_owned());
    }
    let response =
        test::call_service(&app, get("/own-cookie", &broken, "text/html").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let names: Vec<&str> = cookies.iter().map(|(name, _, _)| name.as_str()).collect();
    assert!(names.contains(&"app_pref"), "{names:?}");
    for chunk in &session_cookies {
        assert!(
            cookies
                .iter()
                .any(|(name, _, removed)| name == chunk && *removed),
            "{chunk} is cleared: {names:?}"
        );
    }
    assert!(cookies.len() > session_cookies.len(), "{names:?}");
    assert_eq!(test::read_body(response).await, "out");
}

#[actix_web::test]
async fn a_tampered_cookie_is_signed_out_not_an_error() {
    let provider = Provider::shared().await;
    let app = service(common::auth(provider).await).await;
    let mut jar = Jar::default();
    login(&app, &mut jar, "").await;

    let name = session_cookie_names(&jar)[0].clone();
    let sealed = jar.get(&name).expect("a session cookie").to_owned();
    let middle = sealed.len() / 2;
    let flipped = if &sealed[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    jar.set(
        &name,
        format!("{}{flipped}{}", &sealed[..middle], &sealed[middle + 1..]),
    );

    let profile = test::call_service(&app, get("/auth/profile", &jar, "*/*").to_request()).await;
    assert_eq!(profile.status(), StatusCode::UNAUTHORIZED);
    let page = test::call_service(&app, get("/private", &jar, "text/html").to_request()).await;
    assert_eq!(page.status(), StatusCode::FOUND);
    assert!(location(&page).starts_with("/auth/login?returnTo="));
    let maybe = test::call_service(&app, get("/maybe", &jar, "text/html").to_request()).await;
    assert_eq!(test::read_body(maybe).await, "anonymous");

    for garbage in [
        "",
        "%%%",
        "a.b.c.d.e",
        "eyJhbGciOiJkaXIifQ....",
        &"x".repeat(3000),
    ] {
        let mut jar = Jar::default();
        jar.set("_a0_session", garbage.to_owned());
        let response =
            test::call_service(&app, get("/auth/profile", &jar, "*/*").to_request()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{garbage:?}");
    }
}

#[actix_web::test]
async fn without_the_middleware_extractors_answer_500_not_panic() {
    let provider = Provider::shared().await;
    let auth = common::auth(provider).await;
    let app = test::init_service(actix_web::App::new().app_data(auth).route(
        "/private",
        web::get().to(|_: auth0_actix::User| async { HttpResponse::Ok().finish() }),
    ))
    .await;
    let response = test::call_service(
        &app,
        get("/private", &Jar::default(), "text/html").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = json(response).await;
    assert_eq!(body["error"], "configuration_error");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Auth0Session")
    );

    // And without the app data.
    let app = test::init_service(
        actix_web::App::new()
            .wrap(auth0_actix::Auth0Session::new())
            .route(
                "/private",
                web::get().to(|_: auth0_actix::User| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    let response = test::call_service(
        &app,
        get("/private", &Jar::default(), "text/html").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!response.headers().contains_key(SET_COOKIE));
}

/// The names of the session cookies in `jar` (one, or several chunks).
fn session_cookie_names(jar: &Jar) -> Vec<String> {
    let names: Vec<String> = jar
        .names()
        .into_iter()
        .filter(|name| name.starts_with("_a0_session"))
        .collect();
    assert!(!names.is_empty(), "no session cookie in {:?}", jar.names());
    names
}
