use serde_json::{Value, json};

use super::*;

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(body.into())
        .unwrap()
}

fn document(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": "https://tenant.example/authorize",
        "token_endpoint": "https://tenant.example/oauth/token",
        "jwks_uri": "https://tenant.example/.well-known/jwks.json",
        "userinfo_endpoint": "https://tenant.example/userinfo",
        "end_session_endpoint": "https://tenant.example/oidc/logout",
        "pushed_authorization_request_endpoint": "https://tenant.example/oauth/par",
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
        "backchannel_logout_supported": true,
        "response_types_supported": ["code"],
        "some_future_member": { "nested": [1, 2, 3] }
    })
}

fn parse(expected: &str, body: &Value) -> Result<ProviderMetadata, Error> {
    parse_discovery(expected, reply(200, body.to_string()))
}

fn invalid_reason(err: Error) -> String {
    match err {
        Error::InvalidResponse {
            endpoint: "discovery",
            reason,
        } => reason.into_owned(),
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn the_request_appends_the_well_known_path_once() {
    let cases = [
        (
            "https://tenant.example/",
            "https://tenant.example/.well-known/openid-configuration",
        ),
        (
            "https://tenant.example",
            "https://tenant.example/.well-known/openid-configuration",
        ),
        (
            "https://op.example/realms/a/",
            "https://op.example/realms/a/.well-known/openid-configuration",
        ),
        (
            "https://op.example/realms/a",
            "https://op.example/realms/a/.well-known/openid-configuration",
        ),
        (
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/.well-known/openid-configuration",
        ),
        (
            "https://tenant.example/?q=1#f",
            "https://tenant.example/.well-known/openid-configuration",
        ),
    ];
    for (issuer, expected) in cases {
        let request = discovery_request(&Url::parse(issuer).unwrap()).unwrap();
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(request.uri(), expected, "{issuer}");
        assert_eq!(request.headers()[http::header::ACCEPT], "application/json");
    }
}

#[test]
fn a_document_is_read_with_defaults_for_absent_members() {
    let metadata = parse(
        "https://tenant.example/",
        &document("https://tenant.example/"),
    )
    .unwrap();
    assert_eq!(metadata.issuer, "https://tenant.example/");
    assert_eq!(
        metadata.authorization_endpoint.as_str(),
        "https://tenant.example/authorize"
    );
    assert_eq!(
        metadata.token_endpoint.as_str(),
        "https://tenant.example/oauth/token"
    );
    assert_eq!(
        metadata.jwks_uri.as_str(),
        "https://tenant.example/.well-known/jwks.json"
    );
    assert_eq!(
        metadata
            .pushed_authorization_request_endpoint
            .as_ref()
            .map(Url::as_str),
        Some("https://tenant.example/oauth/par")
    );
    assert!(metadata.end_session_endpoint.is_some());
    assert!(metadata.userinfo_endpoint.is_some());
    assert!(metadata.revocation_endpoint.is_none());
    assert!(!metadata.authorization_response_iss_parameter_supported);
    assert!(!metadata.require_pushed_authorization_requests);
    assert!(metadata.backchannel_logout_supported);
    assert!(!metadata.backchannel_logout_session_supported);
    assert_eq!(
        metadata.id_token_signing_alg_values_supported,
        ["HS256", "RS256", "PS256"]
    );
    assert!(metadata.scopes_supported.is_empty());

    let mut minimal = document("https://tenant.example/");
    let object = minimal.as_object_mut().unwrap();
    object.retain(|name, _| {
        [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
        ]
        .contains(&name.as_str())
    });
    object.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(true),
    );
    let metadata = parse("https://tenant.example/", &minimal).unwrap();
    assert!(metadata.authorization_response_iss_parameter_supported);
    assert!(metadata.end_session_endpoint.is_none());
    assert!(metadata.pushed_authorization_request_endpoint.is_none());
}

#[test]
fn the_issuer_must_match_up_to_one_trailing_slash() {
    let metadata = parse(
        "https://tenant.example",
        &document("https://tenant.example/"),
    )
    .unwrap();
    assert_eq!(
        metadata.issuer, "https://tenant.example/",
        "the provider's spelling is kept"
    );
    let metadata = parse(
        "https://tenant.example/",
        &document("https://tenant.example"),
    )
    .unwrap();
    assert_eq!(metadata.issuer, "https://tenant.example");

    let mismatches = [
        ("https://tenant.example/", "https://evil.example/"),
        ("https://tenant.example/", "https://tenant.example//"),
        ("https://tenant.example/", "https://TENANT.example/"),
        ("https://tenant.example/", "http://tenant.example/"),
        ("https://tenant.example/a/", "https://tenant.example/"),
    ];
    for (expected, actual) in mismatches {
        let err = parse(expected, &document(actual)).unwrap_err();
        assert_eq!(
            invalid_reason(err),
            "the document's issuer differs from the configured issuer",
            "{actual}"
        );
    }
}

#[test]
fn endpoints_must_be_absolute_and_secure() {
    let cases = [
        (
            "token_endpoint",
            json!("/oauth/token"),
            "an endpoint is not an absolute URL",
        ),
        (
            "token_endpoint",
            json!("http://tenant.example/oauth/token"),
            "an endpoint is neither https nor http on a loopback host",
        ),
        (
            "jwks_uri",
            json!("ftp://tenant.example/jwks"),
            "an endpoint is neither https nor http on a loopback host",
        ),
        (
            "end_session_endpoint",
            json!("http://10.0.0.1/logout"),
            "an endpoint is neither https nor http on a loopback host",
        ),
        (
            "authorization_endpoint",
            json!("https://tenant.example/authorize#x"),
            "an endpoint has a fragment",
        ),
        (
            "jwks_uri",
            json!(42),
            "the document is not a JSON object with the required members",
        ),
        (
            "jwks_uri",
            Value::Null,
            "the document is not a JSON object with the required members",
        ),
    ];
    for (member, value, expected) in cases {
        let mut body = document("https://tenant.example/");
        body[member] = value;
        let err = parse("https://tenant.example/", &body).unwrap_err();
        assert_eq!(invalid_reason(err), expected, "{member}");
    }
}

#[test]
fn loopback_providers_may_use_plain_http() {
    for host in ["127.0.0.1:3000", "[::1]:3000", "localhost:3000"] {
        let issuer = format!("http://{host}/");
        let mut body = document(&issuer);
        for member in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
            body[member] = json!(format!("http://{host}/{member}"));
        }
        let metadata = parse(&issuer, &body).unwrap();
        assert_eq!(metadata.token_endpoint.scheme(), "http");
    }
}

#[test]
fn bad_replies_are_invalid_or_unavailable() {
    let body = document("https://tenant.example/").to_string();
    let err = parse_discovery("https://tenant.example/", reply(502, body.clone())).unwrap_err();
    assert!(matches!(
        err,
        Error::ProviderUnavailable {
            endpoint: "discovery",
            status: 502
        }
    ));
    let err = parse_discovery("https://tenant.example/", reply(404, body)).unwrap_err();
    assert_eq!(invalid_reason(err), "unexpected HTTP status 404");
    for body in [
        "<html>not json</html>",
        "[]",
        "",
        "{\"issuer\": \"https://tenant.example/\"}",
    ] {
        let err = parse_discovery("https://tenant.example/", reply(200, body)).unwrap_err();
        assert_eq!(
            invalid_reason(err),
            "the document is not a JSON object with the required members"
        );
    }
}
