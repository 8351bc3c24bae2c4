//! Every feature of the interactive-login guide, end to end against the real provider.

use auth0_core::{
    Algorithm, AuthorizationParams, ClientConfig, ClientConfigBuilder, Error, ServerClient,
    StartInteractiveLoginOptions, TokenValidationError,
};
use auth0_e2e::rp::{AppCookies, finish, login, start};
use auth0_e2e::{
    Browser, Provider, received_authorization_params, register_client, static_client_secret,
};
use serde_json::{Value, json};

const APP_SECRET: &str = "an-application-secret-of-at-least-32-bytes";

/// A client of the shared provider for the static client `client_id`.
async fn client_with(
    client_id: &str,
    configure: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder,
) -> ServerClient {
    let provider = Provider::shared().await;
    let builder = ClientConfig::builder()
        .domain(provider.issuer())
        .client_id(client_id)
        .client_secret(static_client_secret(client_id))
        .secret(APP_SECRET)
        .authorization_params(AuthorizationParams::new().redirect_uri(provider.redirect_uri()));
    ServerClient::new(configure(builder).build().unwrap()).unwrap()
}

async fn client() -> ServerClient {
    client_with("rp-secret", |b| b).await
}

fn params() -> AuthorizationParams {
    AuthorizationParams::new()
}

/// The claims of a JWT, read without verification (the SDK verified the ID token already).
fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn transaction_cookie_names(cookies: &AppCookies) -> Vec<String> {
    cookies
        .names()
        .into_iter()
        .filter(|n| n.starts_with("_a0_tx."))
        .collect()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn default_login() {
    let client = client().await;
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    let session = result.session;
    let user = session.user.as_ref().unwrap();
    assert_eq!(user["sub"], "user-123");
    assert_eq!(user["name"], "Test User");
    assert_eq!(user["email"], "user-123@example.test");
    assert!(!session.internal.sid.is_empty(), "rp-secret asks for sid");
    assert!(
        session.refresh_token.is_some(),
        "offline_access is in the default scope"
    );
    assert_eq!(session.token_sets.len(), 1);
    assert_eq!(session.token_sets[0].audience, "default");
    assert_eq!(
        session.domain.as_deref(),
        Some(Provider::shared().await.issuer())
    );
    assert_eq!(result.app_state, None);
    assert_eq!(result.authorization_details, None);
}

#[tokio::test]
async fn per_call_params_override_the_global_ones() {
    let client = client_with("rp-secret", |b| {
        b.authorization_params(
            params()
                .redirect_uri(Provider::shared_blocking().redirect_uri())
                .scope("openid profile")
                .audience("https://api.example.test/global"),
        )
    })
    .await;
    let mut cookies = AppCookies::new();
    let options = StartInteractiveLoginOptions::new().authorization_params(
        params()
            .scope("email")
            .audience("https://api.example.test/orders")
            .param("foo", "bar"),
    );
    let url = start(&client, &mut cookies, options).await.unwrap();
    let q = query(&url);
    assert_eq!(q["scope"], "openid profile email");
    assert_eq!(q["foo"], "bar");

    let callback = Browser::new().authorize(&url).await.unwrap();
    let result = finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    let set = &result.session.token_sets[0];
    assert_eq!(set.audience, "https://api.example.test/orders");
    let access = jwt_claims(set.access_token.expose());
    assert_eq!(access["aud"], "https://api.example.test/orders");
    assert_eq!(
        result.session.user.as_ref().unwrap()["email"],
        "user-123@example.test"
    );

    // Without a per-call audience, the global one applies.
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    let access = jwt_claims(result.session.token_sets[0].access_token.expose());
    assert_eq!(access["aud"], "https://api.example.test/global");
}

#[tokio::test]
async fn app_state_round_trips() {
    let client = client().await;
    let app_state = json!({"returnTo": "http://localhost:3000/dashboard", "n": [1, 2]});
    let options = StartInteractiveLoginOptions::new().app_state(app_state.clone());
    let result = login(&client, &Browser::new(), options).await.unwrap();
    assert_eq!(result.app_state, Some(app_state));
}

#[tokio::test]
async fn pushed_authorization_request() {
    let client = client().await;
    let mut cookies = AppCookies::new();
    let options = StartInteractiveLoginOptions::new()
        .pushed_authorization_requests(true)
        .authorization_params(params().param("foo", "bar"));
    let url = start(&client, &mut cookies, options).await.unwrap();
    let q = query(&url);
    assert_eq!(q.len(), 2, "only client_id and request_uri: {url}");
    assert_eq!(q["client_id"], "rp-secret");
    assert!(q["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"));
    let callback = Browser::new().authorize(&url).await.unwrap();
    let state = query(callback.as_str())["state"].clone();
    let pushed = received_authorization_params(Provider::shared().await, &state)
        .await
        .unwrap();
    let pushed = pushed.expect("the provider saw the pushed request");
    assert_eq!(pushed["foo"], "bar");
    assert_eq!(pushed["code_challenge_method"], "S256");
    let result = finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));
}

#[tokio::test]
async fn pushed_authorization_request_from_the_client_flag() {
    let client = client_with("rp-secret", |b| b.pushed_authorization_requests(true)).await;
    let mut cookies = AppCookies::new();
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    assert!(query(&url).contains_key("request_uri"));
    // The per-call flag overrides the client's.
    let off = StartInteractiveLoginOptions::new().pushed_authorization_requests(false);
    let url = start(&client, &mut cookies, off).await.unwrap();
    assert!(!query(&url).contains_key("request_uri"));
    assert!(query(&url).contains_key("code_challenge"));
}

#[tokio::test]
async fn par_with_rich_authorization_requests() {
    let client = client().await;
    let details = json!([{
        "type": "money_transfer",
        "instructedAmount": {"amount": 42.5, "currency": "EUR"}
    }]);
    let options = StartInteractiveLoginOptions::new()
        .pushed_authorization_requests(true)
        .authorization_params(params().param("authorization_details", details.to_string()));
    let result = login(&client, &Browser::new(), options).await.unwrap();
    assert_eq!(result.authorization_details, Some(details));
}

#[tokio::test]
async fn invalid_rar_details_are_an_api_error() {
    let client = client().await;
    let options = StartInteractiveLoginOptions::new()
        .pushed_authorization_requests(true)
        .authorization_params(
            params().param("authorization_details", r#"[{"type":"money_transfer"}]"#),
        );
    let mut cookies = AppCookies::new();
    let err = start(&client, &mut cookies, options).await.unwrap_err();
    assert_eq!(err.code(), "invalid_authorization_details");
}

#[tokio::test]
async fn dedicated_organization_by_id() {
    let client = client_with("rp-secret", |b| b.organization("org_abc123")).await;
    let mut cookies = AppCookies::new();
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    assert_eq!(query(&url)["organization"], "org_abc123");
    let callback = Browser::new().authorize(&url).await.unwrap();
    let result = finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    assert_eq!(
        result.session.user.as_ref().unwrap()["org_id"],
        "org_abc123"
    );
}

#[tokio::test]
async fn multi_organization_by_id_and_by_name() {
    let client = client().await;
    let by_id = StartInteractiveLoginOptions::new().organization("org_xyz789");
    let result = login(&client, &Browser::new(), by_id).await.unwrap();
    assert_eq!(
        result.session.user.as_ref().unwrap()["org_id"],
        "org_xyz789"
    );

    // The provider returns names in lower case, as Auth0 does; the request's case differs.
    let by_name = StartInteractiveLoginOptions::new().organization("Acme-Corp");
    let result = login(&client, &Browser::new(), by_name).await.unwrap();
    assert_eq!(
        result.session.user.as_ref().unwrap()["org_name"],
        "acme-corp"
    );
}

#[tokio::test]
async fn invitation_is_forwarded() {
    let client = client().await;
    let mut cookies = AppCookies::new();
    let options = StartInteractiveLoginOptions::new()
        .organization("org_abc123")
        .invitation("inv_T0k3n");
    let url = start(&client, &mut cookies, options).await.unwrap();
    let q = query(&url);
    let callback = Browser::new().authorize(&url).await.unwrap();
    let seen = received_authorization_params(Provider::shared().await, &q["state"])
        .await
        .unwrap();
    let seen = seen.expect("the provider saw the request");
    assert_eq!(seen["invitation"], "inv_T0k3n");
    assert_eq!(seen["organization"], "org_abc123");
    let result = finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    assert_eq!(
        result.session.user.as_ref().unwrap()["org_id"],
        "org_abc123"
    );
}

#[tokio::test]
async fn organization_mismatch_is_refused() {
    let client = client().await;
    let options = StartInteractiveLoginOptions::new().organization("org_mismatch");
    let err = login(&client, &Browser::new(), options).await.unwrap_err();
    assert_eq!(err.code(), "organization_token_validation_error");
    assert!(matches!(err, Error::OrganizationTokenValidation(_)));
}

#[tokio::test]
async fn access_denied_is_an_api_error_with_that_code() {
    let client = client().await;
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(params().param("login_hint", "deny"));
    let err = login(&client, &Browser::new(), options).await.unwrap_err();
    assert_eq!(err.code(), "access_denied");
    let Error::Api { description, .. } = &err else {
        panic!("expected an API error: {err:?}")
    };
    assert_eq!(description, "End-User denied the request (test trigger)");
}

#[tokio::test]
async fn other_provider_errors_keep_their_code() {
    let client = client().await;
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(params().param("login_hint", "error:login_required"));
    let err = login(&client, &Browser::new(), options).await.unwrap_err();
    assert_eq!(err.code(), "login_required");
}

#[tokio::test]
async fn missing_unknown_and_replayed_state() {
    let client = client().await;
    let mut cookies = AppCookies::new();
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    let callback = Browser::new().authorize(&url).await.unwrap();

    // No state at all.
    let mut no_state = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "state")
        .collect();
    no_state.query_pairs_mut().clear().extend_pairs(pairs);
    let err = finish(&client, &mut cookies.clone(), no_state.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_required_argument");

    // A state no login was started with.
    let mut unknown = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(k, v)| {
            if k == "state" {
                (k.into(), "forged".into())
            } else {
                (k.into(), v.into())
            }
        })
        .collect();
    unknown.query_pairs_mut().clear().extend_pairs(pairs);
    let err = finish(&client, &mut cookies.clone(), unknown.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_transaction");

    // The real callback works once ...
    let before = cookies.clone();
    finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap();
    assert!(
        transaction_cookie_names(&cookies).is_empty(),
        "the transaction cookie is deleted"
    );
    assert_eq!(cookies.names(), ["_a0_session_0"], "the session is stored");
    // ... and a replay fails, with the browser's cookies as they are now or as they were.
    let err = finish(&client, &mut cookies, callback.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_transaction");
    let err = finish(&client, &mut before.clone(), callback.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_transaction");
}

#[tokio::test]
async fn a_callback_from_another_browser_finds_no_transaction() {
    let client = client().await;
    let mut cookies = AppCookies::new();
    let url = start(&client, &mut cookies, Default::default())
        .await
        .unwrap();
    let callback = Browser::new().authorize(&url).await.unwrap();
    let err = finish(&client, &mut AppCookies::new(), callback.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_transaction");
}

#[tokio::test]
async fn client_secret_post() {
    let client = client_with("rp-post", |b| b.client_secret_post()).await;
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));

    // The same client with Basic authentication is refused by the provider.
    let wrong = client_with("rp-post", |b| b).await;
    let err = login(&wrong, &Browser::new(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client");
}

#[tokio::test]
async fn private_key_jwt() {
    use josekit::jwk::alg::rsa::RsaKeyPair;
    let provider = Provider::shared().await;
    let pair = RsaKeyPair::generate(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("rp-key-1");
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    let registered = register_client(
        provider,
        &json!({
            "redirect_uris": [provider.redirect_uri()],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": {"keys": [Value::Object(public.as_ref().clone())]},
        }),
    )
    .await
    .unwrap();
    let pem = String::from_utf8(pair.to_pem_private_key()).unwrap();
    let config = ClientConfig::builder()
        .domain(provider.issuer())
        .client_id(&registered.client_id)
        .private_key_jwt(pem, Algorithm::RS256, Some("rp-key-1".into()))
        .secret(APP_SECRET)
        .authorization_params(params().redirect_uri(provider.redirect_uri()))
        .build()
        .unwrap();
    let client = ServerClient::new(config).unwrap();
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));
    let id_token = jwt_claims(result.session.id_token.as_ref().unwrap().expose());
    assert_eq!(id_token["aud"], registered.client_id.as_str());

    // PAR authenticates with a fresh assertion too.
    let options = StartInteractiveLoginOptions::new().pushed_authorization_requests(true);
    let result = login(&client, &Browser::new(), options).await.unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));
}

#[tokio::test]
async fn hs256_id_tokens() {
    let client = client_with("rp-hs256", |b| b.id_token_signing_algs([Algorithm::HS256])).await;
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));
    assert_eq!(result.session.internal.sid, "", "rp-hs256 gets no sid");

    // Not on the allow-list: refused.
    let strict = client_with("rp-hs256", |b| b).await;
    let err = login(&strict, &Browser::new(), Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::IdTokenValidation(TokenValidationError::AlgorithmNotAllowed(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn es256_id_tokens() {
    let client = client_with("rp-es256", |b| b.id_token_signing_algs([Algorithm::ES256])).await;
    let result = login(&client, &Browser::new(), Default::default())
        .await
        .unwrap();
    assert_eq!(result.session.sub(), Some("user-123"));

    let strict = client_with("rp-es256", |b| b).await;
    let err = login(&strict, &Browser::new(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "id_token_validation_error");
}

#[tokio::test]
async fn two_logins_in_parallel_both_complete() {
    let client = client().await;
    let mut cookies = AppCookies::new();
    let first = start(
        &client,
        &mut cookies,
        StartInteractiveLoginOptions::new().app_state(json!("tab-1")),
    )
    .await
    .unwrap();
    let second = start(
        &client,
        &mut cookies,
        StartInteractiveLoginOptions::new().app_state(json!("tab-2")),
    )
    .await
    .unwrap();
    assert_eq!(
        cookies.names(),
        transaction_cookie_names(&cookies),
        "only transaction cookies yet"
    );
    assert_eq!(cookies.len(), 2, "one transaction cookie per open login");

    // One browser: the provider's own session cannot run two interactions at once, so the
    // first tab logs in and the second one rides on its session (SSO). Both stay open at the app.
    let browser = Browser::new();
    let a = browser.authorize(&first).await.unwrap();
    let b = browser.authorize(&second).await.unwrap();
    // Complete in the other order.
    let second_result = finish(&client, &mut cookies, b.as_str()).await.unwrap();
    let first_result = finish(&client, &mut cookies, a.as_str()).await.unwrap();
    assert_eq!(first_result.app_state, Some(json!("tab-1")));
    assert_eq!(second_result.app_state, Some(json!("tab-2")));
    assert!(transaction_cookie_names(&cookies).is_empty());
}

#[tokio::test]
async fn another_user_by_login_hint() {
    let client = client().await;
    let options = StartInteractiveLoginOptions::new()
        .authorization_params(params().param("login_hint", "alice"));
    let result = login(&client, &Browser::new(), options).await.unwrap();
    assert_eq!(result.session.sub(), Some("alice"));
    assert_eq!(
        result.session.user.as_ref().unwrap()["email"],
        "alice@example.test"
    );
}
