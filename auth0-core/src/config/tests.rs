use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn base() -> ClientConfigBuilder {
    ClientConfig::builder()
        .domain("tenant.auth0.com")
        .client_id("client-1")
        .client_secret("s3cret")
        .secret(SECRET)
}

fn config_error(builder: ClientConfigBuilder) -> String {
    let err = builder.build().unwrap_err();
    assert_eq!(err.code(), "configuration_error", "{err}");
    err.to_string()
}

#[test]
fn a_bare_host_means_https_with_a_trailing_slash() {
    let config = base().build().unwrap();
    assert_eq!(config.issuer().as_str(), "https://tenant.auth0.com/");
    assert_eq!(config.issuer().origin(), "https://tenant.auth0.com");
    assert_eq!(config.transaction_identifier(), "_a0_tx");
    assert_eq!(config.session_identifier(), "_a0_session");
    assert_eq!(config.leeway(), Duration::from_secs(60));
    assert_eq!(config.cache_ttl(), Duration::from_secs(600));
    assert_eq!(config.cache_capacity(), 100);
    assert_eq!(config.id_token_algs(), [Algorithm::RS256]);
    assert_eq!(config.client_auth().method(), "client_secret_basic");
}

#[test]
fn a_full_issuer_url_is_kept_as_written() {
    let config = base()
        .domain("https://login.example.com/tenant")
        .build()
        .unwrap();
    assert_eq!(config.issuer().as_str(), "https://login.example.com/tenant");
}

#[test]
fn plain_http_only_on_loopback() {
    for ok in [
        "http://127.0.0.1:4400/",
        "http://localhost:8080",
        "http://[::1]:9/",
        "http://127.1.2.3/",
    ] {
        assert!(base().domain(ok).build().is_ok(), "{ok}");
    }
    for bad in [
        "http://tenant.auth0.com",
        "http://10.0.0.1/",
        "http://localhost.evil.com/",
    ] {
        assert!(
            config_error(base().domain(bad)).contains("loopback"),
            "{bad}"
        );
    }
    config_error(base().domain("ftp://tenant.auth0.com"));
    config_error(base().domain(""));
    config_error(base().domain("https://x.test/?a=b"));
}

#[test]
fn required_values_are_named_in_the_error() {
    assert!(config_error(ClientConfig::builder().domain("t.auth0.com")).contains("client_id"));
    assert!(config_error(base().client_id("  ")).contains("client_id"));
    let no_auth = ClientConfig::builder()
        .domain("t.auth0.com")
        .client_id("c")
        .secret(SECRET);
    assert!(config_error(no_auth).contains("client authentication"));
    let no_secret = ClientConfig::builder()
        .domain("t.auth0.com")
        .client_id("c")
        .client_secret("x");
    assert!(config_error(no_secret).contains("secret is required"));
    assert!(config_error(base().secret("short")).contains("32 bytes"));
}

#[test]
fn reserved_authorization_params_are_a_configuration_error() {
    let params = AuthorizationParams::new().param("state", "fixed");
    assert!(config_error(base().authorization_params(params)).contains("state"));
}

#[test]
fn hs256_needs_a_client_secret_and_leeway_is_bounded() {
    assert!(
        base()
            .id_token_signing_algs([Algorithm::HS256])
            .build()
            .is_ok()
    );
    config_error(base().id_token_signing_algs([]));
    config_error(base().clock_leeway(Duration::from_secs(3600)));
}

#[test]
fn identifiers_must_be_cookie_safe_and_distinct() {
    config_error(base().transaction_identifier("bad name"));
    config_error(base().session_identifier("_a0_tx"));
    assert!(base().transaction_identifier("my_tx").build().is_ok());
}

#[test]
fn debug_never_prints_secrets() {
    let printed = format!("{:?}", base().build().unwrap());
    assert!(!printed.contains("s3cret"));
    assert!(!printed.contains(SECRET));
}
