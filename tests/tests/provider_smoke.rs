//! Smoke tests of the test OpenID Provider and its driver, without the SDK: hand-built
//! authorization requests, code exchange with reqwest, logout and back-channel logout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_e2e::provider::{CLIENT_SECRET_BASIC, CLIENT_SECRET_POST};
use auth0_e2e::{
    Browser, DriveError, Provider, ProviderOptions, backchannel_logout, register_client,
    static_client_secret,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

/// A PKCE pair and the other per-login values.
struct Login {
    verifier: String,
    challenge: String,
    state: String,
    nonce: String,
}

impl Login {
    fn new() -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
            state: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>()),
            nonce: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>()),
        }
    }

    fn authorize_url(
        &self,
        provider: &Provider,
        client_id: &str,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut url = Url::parse(&provider.url("/auth")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &self.state)
            .append_pair("nonce", &self.nonce)
            .append_pair("code_challenge", &self.challenge)
            .append_pair("code_challenge_method", "S256")
            .extend_pairs(extra);
        url.into()
    }
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn jwt_payload(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// Sends a token request with the client's registered authentication: the static
/// `client_secret_post` client puts its secret in the body, every other client uses HTTP Basic.
async fn send_token_request(
    provider: &Provider,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = http.post(provider.url("/token"));
    let mut form = form.to_vec();
    if client_id == CLIENT_SECRET_POST {
        form.extend([("client_id", client_id), ("client_secret", secret)]);
    } else {
        request = request.basic_auth(client_id, Some(secret));
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn token_request(
    provider: &Provider,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> Value {
    let (status, body) = send_token_request(provider, client_id, secret, form).await;
    assert_eq!(status, StatusCode::OK, "token endpoint said {body}");
    body
}

async fn exchange_code(
    provider: &Provider,
    client_id: &str,
    secret: &str,
    login: &Login,
    redirect_uri: &str,
    callback: &Url,
) -> Value {
    let code = query(callback, "code").unwrap_or_else(|| panic!("no code in {callback}"));
    token_request(
        provider,
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &login.verifier),
            ("redirect_uri", redirect_uri),
        ],
    )
    .await
}

#[tokio::test]
async fn discovery_document_has_the_documented_shape() {
    let provider = Provider::shared().await;
    let discovery: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(provider.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(discovery.as_object().unwrap().len(), 28, "{discovery:#}");
    assert_eq!(discovery["issuer"], provider.issuer());
    assert!(provider.issuer().ends_with('/'));
    assert_eq!(discovery["token_endpoint"], provider.url("/token"));
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        provider.url("/request")
    );
    assert_eq!(
        discovery["end_session_endpoint"],
        provider.url("/session/end")
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        discovery["authorization_details_types_supported"],
        json!(["money_transfer"])
    );
    for alg in ["RS256", "PS256", "ES256", "HS256"] {
        let algs = discovery["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap();
        assert!(algs.contains(&json!(alg)), "{alg} missing from {algs:?}");
    }
}

#[tokio::test]
async fn full_login_code_exchange_and_refresh() {
    let provider = Provider::shared().await;
    let browser = Browser::new();
    let login = Login::new();
    let redirect_uri = provider.redirect_uri();
    let url = login.authorize_url(
        provider,
        CLIENT_SECRET_BASIC,
        &redirect_uri,
        &[
            ("scope", "openid profile email offline_access read:messages"),
            ("audience", "https://api.example.test/"),
            ("organization", "org_abc"),
        ],
    );

    let callback = browser.authorize(&url).await.unwrap();
    assert!(callback.as_str().starts_with(&redirect_uri), "{callback}");
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(login.state.as_str())
    );
    assert_eq!(query(&callback, "iss").as_deref(), Some(provider.issuer()));

    let secret = static_client_secret(CLIENT_SECRET_BASIC);
    let tokens = exchange_code(
        provider,
        CLIENT_SECRET_BASIC,
        &secret,
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["iss"], provider.issuer());
    assert_eq!(id_token["aud"], CLIENT_SECRET_BASIC);
    assert_eq!(id_token["sub"], "user-123");
    assert_eq!(id_token["nonce"], login.nonce.as_str());
    assert_eq!(id_token["email"], "user-123@example.test");
    assert_eq!(id_token["org_id"], "org_abc");
    assert!(id_token["sid"].is_string());

    let access_token = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access_token["iss"], provider.issuer());
    assert_eq!(access_token["aud"], "https://api.example.test/");
    assert_eq!(access_token["scope"], "read:messages");
    assert_eq!(access_token["client_id"], CLIENT_SECRET_BASIC);
    assert_eq!(access_token["org_id"], "org_abc");

    let refresh_token = tokens["refresh_token"]
        .as_str()
        .expect("offline_access gives one");
    let refreshed = token_request(
        provider,
        CLIENT_SECRET_BASIC,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    let id_token = jwt_payload(refreshed["id_token"].as_str().unwrap());
    assert_eq!(
        id_token["nonce"],
        login.nonce.as_str(),
        "a refreshed ID token keeps its nonce"
    );
    assert_eq!(id_token["org_id"], "org_abc");
    assert_eq!(
        jwt_payload(refreshed["access_token"].as_str().unwrap())["org_id"],
        "org_abc"
    );

    // Same browser again: SSO, straight back with a code.
    let again = Login::new();
    let url = again.authorize_url(
        provider,
        CLIENT_SECRET_BASIC,
        &redirect_uri,
        &[("scope", "openid")],
    );
    let callback = browser.authorize(&url).await.unwrap();
    assert!(query(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn login_hint_deny_returns_access_denied_with_state_and_iss() {
    let provider = Provider::shared().await;
    let login = Login::new();
    let url = login.authorize_url(
        provider,
        CLIENT_SECRET_BASIC,
        &provider.redirect_uri(),
        &[("scope", "openid"), ("login_hint", "deny")],
    );

    let callback = Browser::new().authorize(&url).await.unwrap();
    assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(login.state.as_str())
    );
    assert_eq!(query(&callback, "iss").as_deref(), Some(provider.issuer()));
    assert_eq!(query(&callback, "code"), None);
}

#[tokio::test]
async fn unknown_client_is_an_error_page_not_a_redirect() {
    let provider = Provider::shared().await;
    let login = Login::new();
    let url = login.authorize_url(provider, "no-such-client", &provider.redirect_uri(), &[]);

    match Browser::new().authorize(&url).await {
        Err(DriveError::NoRedirect { status, body, .. }) => {
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(body.contains("invalid_client"), "{body}");
        }
        other => panic!("expected an error page, got {other:?}"),
    }
}

#[tokio::test]
async fn options_reach_the_provider_and_drop_stops_it() {
    let provider = Provider::start(ProviderOptions {
        issuer_trailing_slash: false,
        clock_offset_secs: 300,
        id_token_ttl_secs: 120,
        access_token_ttl_secs: 90,
        ..ProviderOptions::default()
    })
    .await;
    assert_eq!(provider.issuer(), provider.base_url());

    let login = Login::new();
    let redirect_uri = provider.redirect_uri();
    let url = login.authorize_url(
        &provider,
        "rp-es256",
        &redirect_uri,
        &[("scope", "openid"), ("login_hint", "alice")],
    );
    let callback = Browser::new().authorize(&url).await.unwrap();
    assert_eq!(query(&callback, "iss").as_deref(), Some(provider.issuer()));

    let tokens = exchange_code(
        &provider,
        "rp-es256",
        &static_client_secret("rp-es256"),
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    assert_eq!(tokens["expires_in"], 90);
    let header = tokens["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], "op-es256");
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["iss"], provider.issuer());
    assert_eq!(id_token["sub"], "alice");
    let skew = id_token["iat"].as_i64().unwrap() - now();
    assert!((295..=305).contains(&skew), "iat - now = {skew}");
    assert_eq!(
        id_token["exp"].as_i64().unwrap() - id_token["iat"].as_i64().unwrap(),
        120
    );

    let discovery = provider.discovery_url();
    drop(provider);
    let result = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(discovery)
        .send()
        .await;
    assert!(result.is_err(), "the provider still answers after drop");
}

/// A minimal RP on 127.0.0.1 that answers every request with `status` and reports the bodies
/// of the POSTs it gets.
fn fake_rp(status: u16) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes());
            if sender
                .send(String::from_utf8_lossy(&body).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    (base, receiver)
}

fn logout_token_of(form_body: &str) -> Value {
    let token = url::form_urlencoded::parse(form_body.as_bytes())
        .find(|(key, _)| key == "logout_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no logout_token in {form_body:?}"));
    jwt_payload(&token)
}

#[tokio::test]
async fn registered_client_logout_and_backchannel_logout() {
    let provider = Provider::shared().await;
    let (rp, posts) = fake_rp(200);
    let redirect_uri = format!("{rp}/callback");
    let client = register_client(
        provider,
        &json!({
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [format!("{rp}/")],
            "backchannel_logout_uri": format!("{rp}/backchannel"),
            "backchannel_logout_session_required": true,
        }),
    )
    .await
    .unwrap();
    let secret = client
        .client_secret
        .clone()
        .expect("a basic client gets a secret");

    let browser = Browser::new();
    let login = Login::new();
    let url = login.authorize_url(
        provider,
        &client.client_id,
        &redirect_uri,
        &[("scope", "openid")],
    );
    let callback = browser.authorize(&url).await.unwrap();
    assert!(callback.as_str().starts_with(&redirect_uri), "{callback}");
    let tokens = exchange_code(
        provider,
        &client.client_id,
        &secret,
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    let id_token_jwt = tokens["id_token"].as_str().unwrap();
    let sid = jwt_payload(id_token_jwt)["sid"]
        .as_str()
        .unwrap()
        .to_owned();

    // RP-initiated logout: the OP posts the logout token before it redirects back.
    let mut end_session = Url::parse(&provider.url("/session/end")).unwrap();
    end_session
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token_jwt)
        .append_pair("post_logout_redirect_uri", &format!("{rp}/"))
        .append_pair("state", "bye");
    let back = browser.logout(end_session.as_str()).await.unwrap();
    assert_eq!(back.as_str(), format!("{rp}/?state=bye"));

    let logout_token = logout_token_of(&posts.recv_timeout(Duration::from_secs(5)).unwrap());
    assert_eq!(logout_token["iss"], provider.issuer());
    assert_eq!(logout_token["aud"], client.client_id.as_str());
    assert_eq!(logout_token["sub"], "user-123");
    assert_eq!(logout_token["sid"], sid.as_str());
    assert!(
        logout_token["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object()
    );

    // Logging out again, without a session or a redirect URI, ends on the provider's page.
    let end = browser.logout(&provider.url("/session/end")).await.unwrap();
    assert_eq!(end.as_str(), provider.url("/session/end/success"));

    // The session is gone: prompt=none now fails.
    let login = Login::new();
    let url = login.authorize_url(
        provider,
        &client.client_id,
        &redirect_uri,
        &[("scope", "openid"), ("prompt", "none")],
    );
    let callback = browser.authorize(&url).await.unwrap();
    assert_eq!(query(&callback, "error").as_deref(), Some("login_required"));

    // The test endpoint sends a logout token without any browser session.
    backchannel_logout(provider, &client.client_id, "user-9", Some("sid-9"))
        .await
        .unwrap();
    let logout_token = logout_token_of(&posts.recv_timeout(Duration::from_secs(5)).unwrap());
    assert_eq!(logout_token["sub"], "user-9");
    assert_eq!(logout_token["sid"], "sid-9");

    // An RP that refuses the token is reported as 502.
    let (failing_rp, _failing_posts) = fake_rp(500);
    let failing = register_client(
        provider,
        &json!({
            "redirect_uris": [format!("{failing_rp}/callback")],
            "backchannel_logout_uri": format!("{failing_rp}/backchannel"),
        }),
    )
    .await
    .unwrap();
    match backchannel_logout(provider, &failing.client_id, "user-1", None).await {
        Err(DriveError::Status { status, .. }) => assert_eq!(status, StatusCode::BAD_GATEWAY),
        other => panic!("expected 502, got {other:?}"),
    }
}

#[tokio::test]
async fn stock_offline_access_rotation_and_pkjwt_client() {
    // A public key only; the private half was thrown away (the test does not authenticate).
    let jwks = json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "rp-es", "alg": "ES256", "use": "sig",
        "x": "i_9vyP0lMEFiqUK9YpJJb1fWYpT5PJPVN2Ryc81khyI",
        "y": "B2-E_r05MB3ieorZUzLIvUhqJiuI5apM5V0HzeAb4nI",
    }]});
    let jwks_path =
        std::env::temp_dir().join(format!("auth0-e2e-pkjwt-{}.json", std::process::id()));
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();

    let provider = Provider::start(ProviderOptions {
        offline_access: auth0_e2e::OfflineAccess::Oidc,
        rotate_refresh_tokens: true,
        pkjwt_jwks: Some(jwks_path.clone()),
        ..ProviderOptions::default()
    })
    .await;
    std::fs::remove_file(&jwks_path).unwrap();
    let redirect_uri = provider.redirect_uri();
    let secret = static_client_secret(CLIENT_SECRET_POST);
    let browser = Browser::new();

    // The private_key_jwt client exists and logs in (its token request is not made here).
    let login = Login::new();
    let url = login.authorize_url(&provider, "rp-pkjwt", &redirect_uri, &[("scope", "openid")]);
    assert!(query(&browser.authorize(&url).await.unwrap(), "code").is_some());

    // Stock OIDC: offline_access without prompt=consent gives no refresh token...
    let login = Login::new();
    let scope = [("scope", "openid offline_access")];
    let url = login.authorize_url(&provider, CLIENT_SECRET_POST, &redirect_uri, &scope);
    let callback = browser.authorize(&url).await.unwrap();
    let tokens = exchange_code(
        &provider,
        CLIENT_SECRET_POST,
        &secret,
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");

    // ...and one with it.
    let login = Login::new();
    let params = [("scope", "openid offline_access"), ("prompt", "consent")];
    let url = login.authorize_url(&provider, CLIENT_SECRET_POST, &redirect_uri, &params);
    let callback = browser.authorize(&url).await.unwrap();
    let tokens = exchange_code(
        &provider,
        CLIENT_SECRET_POST,
        &secret,
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("prompt=consent gives one")
        .to_owned();

    // HTTP Basic is refused for the client_secret_post client.
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(provider.url("/token"))
        .basic_auth(CLIENT_SECRET_POST, Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    // Rotation: every refresh returns a new refresh token.
    let refreshed = token_request(
        &provider,
        CLIENT_SECRET_POST,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    let second = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(second, first);

    // The rotated-out token is now refused.
    let (status, body) = send_token_request(
        &provider,
        CLIENT_SECRET_POST,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn pushed_request_with_rich_authorization_details() {
    let provider = Provider::shared().await;
    let login = Login::new();
    let redirect_uri = provider.redirect_uri();
    let secret = static_client_secret(CLIENT_SECRET_BASIC);
    let details = json!([{
        "type": "money_transfer",
        "instructedAmount": {"amount": 2500, "currency": "USD"},
        "destinationAccount": "DE02100100109307118603",
    }]);
    let details_text = details.to_string();

    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(provider.url("/request"))
        .basic_auth(CLIENT_SECRET_BASIC, Some(&secret))
        .form(&[
            ("client_id", CLIENT_SECRET_BASIC),
            ("response_type", "code"),
            ("redirect_uri", &redirect_uri),
            ("scope", "openid offline_access"),
            ("state", &login.state),
            ("nonce", &login.nonce),
            ("code_challenge", &login.challenge),
            ("code_challenge_method", "S256"),
            ("authorization_details", &details_text),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let pushed: Value = response.json().await.unwrap();
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    let mut url = Url::parse(&provider.url("/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_SECRET_BASIC)
        .append_pair("request_uri", request_uri);
    let callback = Browser::new().authorize(url.as_str()).await.unwrap();
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(login.state.as_str())
    );

    let tokens = exchange_code(
        provider,
        CLIENT_SECRET_BASIC,
        &secret,
        &login,
        &redirect_uri,
        &callback,
    )
    .await;
    assert_eq!(tokens["authorization_details"], details);
    let access_token = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access_token["aud"], "https://api.example.test/");
    assert_eq!(access_token["authorization_details"], details);

    let refresh_token = tokens["refresh_token"]
        .as_str()
        .expect("offline_access via PAR");
    let refreshed = token_request(
        provider,
        CLIENT_SECRET_BASIC,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    assert_eq!(refreshed["authorization_details"], details);
}

#[tokio::test]
async fn form_post_response_mode_yields_the_form() {
    let provider = Provider::shared().await;
    let login = Login::new();
    let redirect_uri = provider.redirect_uri();
    let url = login.authorize_url(
        provider,
        CLIENT_SECRET_BASIC,
        &redirect_uri,
        &[("scope", "openid"), ("response_mode", "form_post")],
    );

    let form = Browser::new().authorize_form_post(&url).await.unwrap();
    assert_eq!(form.action.as_str(), redirect_uri);
    assert_eq!(form.field("state"), Some(login.state.as_str()));
    assert_eq!(form.field("iss"), Some(provider.issuer()));
    assert!(form.field("code").is_some(), "{form:?}");
}
