use http::HeaderValue;

use super::*;

fn base() -> Url {
    Url::parse("http://127.0.0.1:3000/").unwrap()
}

#[test]
fn return_to_stays_on_the_app() {
    let cases = [
        (None, "/"),
        (Some(""), "/"),
        (Some("/private"), "/private"),
        (Some("/private?tab=2#frag"), "/private?tab=2"),
        (Some("private"), "/private"),
        (Some("http://127.0.0.1:3000/x?y=1"), "/x?y=1"),
        (Some("https://evil.example/"), "/"),
        (Some("//evil.example/x"), "/"),
        (Some("/\\evil.example"), "/"),
        (Some("\\\\evil.example"), "/"),
        (Some("http://127.0.0.1:3001/"), "/"),
        (Some("https://127.0.0.1:3000/"), "/"),
        (Some("javascript:alert(1)"), "/"),
        (Some("/a\nb"), "/"),
        (Some("/../../etc"), "/etc"),
        (Some("/..//evil.example/x"), "/"),
        (Some("/.//evil.example"), "/"),
        (Some("/%2e%2e//evil.example"), "/"),
        (Some("/a/..//evil.example"), "/"),
        (Some("///evil.example"), "/"),
    ];
    for (candidate, expected) in cases {
        assert_eq!(
            safe_return_to(&base(), candidate),
            expected,
            "{candidate:?}"
        );
    }
}

#[test]
fn overlong_return_to_falls_back_home() {
    let long = format!("/{}", "a".repeat(MAX_RETURN_TO_LEN));
    assert_eq!(safe_return_to(&base(), Some(&long)), "/");
    let fits = format!("/{}", "a".repeat(100));
    assert_eq!(safe_return_to(&base(), Some(&fits)), fits);
}

#[test]
fn return_to_respects_a_base_path() {
    let base = Url::parse("https://app.example.test/shop/").unwrap();
    assert_eq!(safe_return_to(&base, Some("/shop/cart")), "/shop/cart");
    assert_eq!(safe_return_to(&base, Some("/admin")), "/shop/");
    assert_eq!(safe_return_to(&base, None), "/shop/");
}

#[test]
fn login_query_keeps_only_its_keys() {
    let query = LoginQuery::parse(Some(
        "returnTo=%2Fprivate&organization=org_1&invitation=inv&scope=admin&prompt=none&returnTo=/other",
    ));
    assert_eq!(
        query,
        LoginQuery {
            return_to: Some("/private".into()),
            organization: Some("org_1".into()),
            invitation: Some("inv".into()),
        }
    );
    assert_eq!(LoginQuery::parse(None), LoginQuery::default());
    assert_eq!(
        LoginQuery::parse(Some("organization=%20")).organization,
        None
    );
}

#[test]
fn redirect_only_for_browser_navigation() {
    let mut html = HeaderMap::new();
    html.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml"),
    );
    let mut json = HeaderMap::new();
    json.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    assert!(wants_login_redirect(&Method::GET, &html));
    assert!(!wants_login_redirect(&Method::POST, &html));
    assert!(!wants_login_redirect(&Method::GET, &json));
    assert!(!wants_login_redirect(&Method::GET, &HeaderMap::new()));
}

#[test]
fn login_redirect_encodes_the_return_path() {
    assert_eq!(
        login_redirect("/auth", "/private?a=1&b=2"),
        "/auth/login?returnTo=%2Fprivate%3Fa%3D1%26b%3D2"
    );
    assert_eq!(login_redirect("/auth/", "/"), "/auth/login?returnTo=%2F");
}

#[test]
fn error_bodies_carry_the_code() {
    let body = error_body(&Error::MissingTransaction);
    assert_eq!(body["error"], "missing_transaction");
    assert_eq!(
        body["error_description"],
        "no login transaction matches this callback"
    );
}
