//! Login hot paths without the network: building the authorize URL (with the transaction
//! sealed) and processing a callback from a canned token reply (validate, build, seal the
//! session), beside one raw RSA-2048 verify with the same library as the baseline.

use std::hint::black_box;

use auth0_core::discovery::parse_discovery;
use auth0_core::jwks::JwkSet;
use auth0_core::seal::SealKey;
use auth0_core::{
    AuthorizationParams, ClientConfig, LoginStart, ProviderMetadata, StartInteractiveLoginOptions,
    begin_code_exchange, start_login,
};
use criterion::{Criterion, criterion_group, criterion_main};
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://tenant.example.test/";

fn metadata() -> ProviderMetadata {
    let document = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://tenant.example.test/authorize",
        "token_endpoint": "https://tenant.example.test/oauth/token",
        "jwks_uri": "https://tenant.example.test/.well-known/jwks.json",
        "authorization_response_iss_parameter_supported": true,
    });
    let reply = http::Response::builder()
        .status(200)
        .body(document.to_string().into_bytes());
    parse_discovery(ISSUER, reply.unwrap()).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig::builder()
        .domain("tenant.example.test")
        .client_id("client-1")
        .client_secret("client-1-secret-0123456789abcdef0123456789abcdef")
        .secret("an-application-secret-of-at-least-32-bytes")
        .authorization_params(
            AuthorizationParams::new().redirect_uri("https://app.example.test/auth/callback"),
        )
        .build()
        .unwrap()
}

/// A realistic ID token: about 950 bytes with 15 claims.
fn claims(nonce: &str) -> serde_json::Map<String, Value> {
    let value = json!({
        "iss": ISSUER, "aud": "client-1", "sub": "auth0|64f1c2a9b7e3d40012345678",
        "iat": NOW, "exp": NOW + 36000, "nonce": nonce, "sid": "hQv0lX4Vv7Qk2S7m9Yc1ZbqT3nW8rP5e",
        "name": "Jane Example", "given_name": "Jane", "family_name": "Example",
        "nickname": "jane.example", "email": "jane.example@example.test", "email_verified": true,
        "picture": "https://s.gravatar.example/avatar/6f1ed002ab5595859014ebf0951522d9?s=480&r=pg&d=https%3A%2F%2Fcdn.example.test%2Favatars%2Fje.png",
        "updated_at": "2026-11-30T10:15:00.000Z",
    });
    value.as_object().cloned().unwrap()
}

fn benches(c: &mut Criterion) {
    let config = config();
    let metadata = metadata();
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("key-1");
    let set = json!({"keys": [Value::Object(public.as_ref().clone())]}).to_string();
    let keys = JwkSet::from_json(set.as_bytes()).unwrap();
    let signer = RS256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
    let sign = |claims: serde_json::Map<String, Value>| {
        let mut header = JwsHeader::new();
        header.set_key_id("key-1");
        header.set_token_type("JWT");
        jwt::encode_with_signer(&JwtPayload::from_map(claims).unwrap(), &header, &signer).unwrap()
    };
    let tx_key = SealKey::derive(config.secret(), config.transaction_identifier());
    let session_key = SealKey::derive(config.secret(), config.session_identifier());
    let mut rng = StdRng::seed_from_u64(1);

    // Baseline: one raw RSA-2048 PKCS#1 v1.5 SHA-256 verify of a token's signing input.
    let token = sign(claims("n"));
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
            .unwrap();
    let verifier = RS256.verifier_from_jwk(&public).unwrap();
    c.bench_function("baseline/rsa2048_verify", |b| {
        b.iter(|| {
            use josekit::jws::JwsVerifier;
            verifier
                .verify(black_box(input.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });

    c.bench_function("login/authorize_url_sealed", |b| {
        b.iter(|| {
            let start = start_login(&config, &metadata, Default::default(), NOW, &mut rng).unwrap();
            let LoginStart::Redirect(redirect) = start else {
                unreachable!()
            };
            let (url, tx) = redirect.into_parts();
            black_box((url, tx_key.seal(&tx, &mut rng).unwrap()))
        })
    });

    // One transaction and one canned token reply per iteration, prepared outside the timing.
    let prepare = || {
        let start = start_login(
            &config,
            &metadata,
            StartInteractiveLoginOptions::new(),
            NOW,
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap();
        let LoginStart::Redirect(redirect) = start else {
            unreachable!()
        };
        let (_, tx) = redirect.into_parts();
        let id_token = sign(claims(tx.nonce().expose()));
        let reply = json!({
            "access_token": "a".repeat(800), "token_type": "Bearer", "expires_in": 86400,
            "refresh_token": "r".repeat(64), "scope": "openid profile email offline_access",
            "id_token": id_token,
        });
        let callback = format!(
            "https://app.example.test/auth/callback?code=abc&state={}&iss={}",
            tx.state().expose(),
            "https%3A%2F%2Ftenant.example.test%2F"
        );
        let reply = http::Response::builder()
            .status(200)
            .body(reply.to_string().into_bytes())
            .unwrap();
        (tx, callback, reply)
    };
    c.bench_function("login/callback_without_network", |b| {
        b.iter_batched(
            prepare,
            |(tx, callback, reply)| {
                let params = auth0_core::CallbackParams::parse(&callback).unwrap();
                let exchange =
                    begin_code_exchange(&config, &metadata, params, tx, NOW, &mut rng).unwrap();
                black_box(exchange.request());
                let received = exchange.receive(&reply).unwrap();
                let result = received.complete(&config, &metadata, &keys, NOW).unwrap();
                black_box(session_key.seal(&result.session, &mut rng).unwrap())
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(login, benches);
criterion_main!(login);
