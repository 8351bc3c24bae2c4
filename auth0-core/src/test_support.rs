//! Fixtures for the deterministic core tests: a fixed clock, seeded randomness, a provider's
//! metadata and a key pair that signs ID tokens.

use std::sync::OnceLock;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use crate::config::{ClientConfig, ClientConfigBuilder};
use crate::discovery::{ProviderMetadata, parse_discovery};
use crate::jose::testing::{RSA_A, key_set};
use crate::jwks::JwkSet;
use crate::params::AuthorizationParams;

/// The fixed time of every core test.
pub(crate) const NOW: u64 = 1_700_000_000;
pub(crate) const ISSUER: &str = "https://tenant.example.test/";
pub(crate) const CLIENT_ID: &str = "client-1";
pub(crate) const CLIENT_SECRET: &str = "client-1-secret-0123456789abcdef0123456789abcdef";
pub(crate) const REDIRECT_URI: &str = "https://app.example.test/auth/callback";

pub(crate) fn rng() -> StdRng {
    StdRng::seed_from_u64(42)
}

pub(crate) fn metadata() -> ProviderMetadata {
    let document = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://tenant.example.test/authorize",
        "token_endpoint": "https://tenant.example.test/oauth/token",
        "jwks_uri": "https://tenant.example.test/.well-known/jwks.json",
        "pushed_authorization_request_endpoint": "https://tenant.example.test/oauth/par",
        "end_session_endpoint": "https://tenant.example.test/oidc/logout",
        "authorization_response_iss_parameter_supported": true,
    });
    let response = http::Response::builder()
        .status(200)
        .body(serde_json::to_vec(&document).unwrap())
        .unwrap();
    parse_discovery(ISSUER, response).unwrap()
}

pub(crate) fn config() -> ClientConfigBuilder {
    ClientConfig::builder()
        .domain("tenant.example.test")
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .secret("an-application-secret-of-at-least-32-bytes")
        .authorization_params(AuthorizationParams::new().redirect_uri(REDIRECT_URI))
}

/// The provider's RS256 key set (one RSA key, `kid: rsa-a`), built once per test binary.
pub(crate) struct TestKeys {
    pub(crate) set: JwkSet,
}

pub(crate) fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| TestKeys {
        set: key_set(&[&RSA_A.public_jwk]),
    })
}

impl TestKeys {
    /// Signs `claims` as an RS256 ID token with `kid: rsa-a`.
    pub(crate) fn sign(&self, claims: &Map<String, Value>) -> String {
        RSA_A.sign(&Value::Object(claims.clone()))
    }
}

/// Valid ID token claims for `nonce`, issued at [`NOW`].
pub(crate) fn id_token_claims(nonce: &str) -> Map<String, Value> {
    let claims = json!({
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "user-123",
        "iat": NOW,
        "exp": NOW + 3600,
        "nonce": nonce,
        "sid": "sid-1",
        "name": "Test User",
        "email": "user-123@example.test",
    });
    match claims {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A request as readable text for snapshots: the request line, the headers, one form
/// field per line.
pub(crate) fn render_request(request: &http::Request<Vec<u8>>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    let mut headers: Vec<_> = request.headers().iter().collect();
    headers.sort_by_key(|(name, _)| name.as_str());
    for (name, value) in headers {
        out.push_str(&format!(
            "{name}: {}\n",
            value.to_str().unwrap_or("<binary>")
        ));
    }
    out.push('\n');
    for (name, value) in url::form_urlencoded::parse(request.body()) {
        out.push_str(&format!("{name}={value}\n"));
    }
    out
}

/// A URL's query, one decoded pair per line, for snapshots.
pub(crate) fn render_url(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    let mut out = format!(
        "{}://{}{}\n",
        parsed.scheme(),
        parsed.host_str().unwrap(),
        parsed.path()
    );
    for (name, value) in parsed.query_pairs() {
        out.push_str(&format!("{name}={value}\n"));
    }
    out
}
