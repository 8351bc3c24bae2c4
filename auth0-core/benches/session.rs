//! Session hot paths on a realistic session (15 user claims, a 950-byte ID token, an 800-byte
//! access token and a refresh token: about 2.7 KB of JSON):
//!
//! - `session/get_cookie`: `CookieSessionStore::get` from the sealed cookie (with the logout
//!   registry lookup), no rolling rewrite;
//! - `session/get_redis`: `ServerSideSessionStore<RedisBackend>::get` against the Redis at
//!   127.0.0.1:6379 (skipped when it is not running);
//! - `seal/session`, `unseal/session`, `unseal/session_bytes` (no JSON parsing);
//! - `baseline/*`: the raw primitives unsealing has to run over the same bytes, with the
//!   libraries `seal.rs` uses: one HKDF-SHA256 derivation, HMAC-SHA512 and AES-256-CBC
//!   decryption, alone and together (`baseline/raw_unseal`).

use std::hint::black_box;

use auth0_core::ClientConfig;
use auth0_core::client::{
    CookieSessionStore, RedisBackend, RedisConnection, RedisOptions, ServerSideSessionStore,
    SessionStore, StoreOptions,
};
use auth0_core::seal::SealKey;
use auth0_core::secret::{AccessToken, IdToken, RefreshToken};
use auth0_core::session::{SessionData, SessionInternal, TokenSet};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use openssl::symm::{Cipher, Crypter, Mode};
use rand::RngCore;
use serde_json::json;
use sha2::{Sha256, Sha512};

const NOW: u64 = 1_800_000_000;
const ISSUER: &str = "https://tenant.example.test/";
const SECRET: &str = "an-application-secret-of-at-least-32-bytes";
const REDIS_URL: &str = "redis://127.0.0.1:6379";

fn config() -> ClientConfig {
    ClientConfig::builder()
        .domain("tenant.example.test")
        .client_id("client-1")
        .client_secret("client-1-secret-0123456789abcdef0123456789abcdef")
        .secret(SECRET)
        .redirect_uri("https://app.example.test/auth/callback")
        .build()
        .unwrap()
}

fn session() -> SessionData {
    let user = json!({
        "iss": ISSUER, "aud": "client-1", "sub": "auth0|64f1c2a9b7e3d40012345678",
        "sid": "hQv0lX4Vv7Qk2S7m9Yc1ZbqT3nW8rP5e", "name": "Jane Example",
        "given_name": "Jane", "family_name": "Example", "nickname": "jane.example",
        "email": "jane.example@example.test", "email_verified": true,
        "picture": "https://s.gravatar.example/avatar/6f1ed002ab5595859014ebf0951522d9?s=480",
        "updated_at": "2026-11-30T10:15:00.000Z", "locale": "en-GB", "zoneinfo": "Europe/London",
        "org_id": "org_9c2b7d1e5f3a4b6c",
    });
    let id_token = format!(
        "{}.{}.{}",
        "h".repeat(100),
        "c".repeat(506),
        "s".repeat(342)
    );
    SessionData {
        user: Some(user.as_object().unwrap().clone()),
        id_token: Some(IdToken::new(id_token)),
        refresh_token: Some(RefreshToken::new("v1.M".to_owned() + &"r".repeat(127))),
        token_sets: vec![TokenSet {
            audience: "default".into(),
            access_token: AccessToken::new("a".repeat(800)),
            scope: Some("openid profile email offline_access".into()),
            expires_at: NOW + 86_400,
        }],
        domain: Some(ISSUER.into()),
        connection_token_sets: Vec::new(),
        internal: SessionInternal {
            sid: "hQv0lX4Vv7Qk2S7m9Yc1ZbqT3nW8rP5e".into(),
            created_at: NOW,
            session_expiry: None,
            updated_at: None,
        },
    }
}

/// The request a browser sends back after `response`.
fn replay(response: &StoreOptions) -> StoreOptions {
    let pairs: Vec<&str> = response
        .response_headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap())
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, pairs.join("; ").parse().unwrap());
    StoreOptions::from_request_headers(&headers)
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = config();
    let data = session();
    let json_len = serde_json::to_vec(&data).unwrap().len();
    eprintln!("session JSON: {json_len} bytes");

    let key = SealKey::derive(config.secret(), config.session_identifier());
    let sealed = key.seal(&data, &mut rand::rng()).unwrap();
    eprintln!("sealed: {} bytes", sealed.len());

    let cookies = CookieSessionStore::new(&config);
    let mut written = StoreOptions::new();
    runtime
        .block_on(cookies.set(&data, true, &mut written, NOW))
        .unwrap();
    let mut request = replay(&written);
    c.bench_function("session/get_cookie", |b| {
        b.iter(|| {
            let read = runtime.block_on(cookies.get(&mut request, NOW + 10));
            black_box(read.unwrap().unwrap())
        })
    });

    match runtime.block_on(RedisConnection::connect(
        REDIS_URL,
        &RedisOptions::default(),
    )) {
        Ok(connection) => {
            let prefix = format!("a0bench:{:016x}:", rand::rng().next_u64());
            let backend = RedisBackend::with_prefix(connection, prefix);
            let store = ServerSideSessionStore::new(&config, backend);
            let mut written = StoreOptions::new();
            runtime
                .block_on(store.set(&data, true, &mut written, NOW))
                .unwrap();
            let mut request = replay(&written);
            c.bench_function("session/get_redis", |b| {
                b.iter(|| {
                    let read = runtime.block_on(store.get(&mut request, NOW + 10));
                    black_box(read.unwrap().unwrap())
                })
            });
            runtime.block_on(store.delete(&mut request)).unwrap();
        }
        Err(_) => eprintln!("session/get_redis skipped: no Redis at 127.0.0.1:6379"),
    }

    let mut rng = rand::rng();
    c.bench_function("seal/session", |b| {
        b.iter(|| black_box(key.seal(black_box(&data), &mut rng).unwrap()))
    });
    c.bench_function("unseal/session", |b| {
        b.iter(|| black_box(key.unseal::<SessionData>(black_box(&sealed)).unwrap()))
    });
    c.bench_function("unseal/session_bytes", |b| {
        b.iter(|| black_box(key.unseal_bytes(black_box(&sealed)).unwrap()))
    });

    raw_baseline(c, &config, &sealed);
}

/// The primitives alone, over the bytes of `sealed`.
fn raw_baseline(c: &mut Criterion, config: &ClientConfig, sealed: &str) {
    let parts: Vec<&str> = sealed.split('.').collect();
    let header = parts[0].as_bytes();
    let iv = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let ciphertext = URL_SAFE_NO_PAD.decode(parts[3]).unwrap();
    let secret = config.secret().expose().as_bytes();
    let salt = config.session_identifier().as_bytes();

    let derive = || {
        let mut okm = [0u8; 64];
        Hkdf::<Sha256>::new(Some(salt), secret)
            .expand(b"Auth0 Generated Encryption", &mut okm)
            .unwrap();
        okm
    };
    let okm = derive();
    let mac = |okm: &[u8; 64]| {
        let mut mac = Hmac::<Sha512>::new_from_slice(&okm[..32]).unwrap();
        mac.update(header);
        mac.update(&iv);
        mac.update(&ciphertext);
        mac.update(&((header.len() as u64) * 8).to_be_bytes());
        mac.finalize().into_bytes()
    };
    let decrypt = |okm: &[u8; 64]| {
        let cipher = Cipher::aes_256_cbc();
        let mut crypter = Crypter::new(cipher, Mode::Decrypt, &okm[32..], Some(&iv)).unwrap();
        let mut out = vec![0u8; ciphertext.len() + cipher.block_size()];
        let mut len = crypter.update(&ciphertext, &mut out).unwrap();
        len += crypter.finalize(&mut out[len..]).unwrap();
        out.truncate(len);
        out
    };

    c.bench_function("baseline/hkdf_sha256", |b| b.iter(|| black_box(derive())));
    c.bench_function("baseline/hmac_sha512", |b| b.iter(|| black_box(mac(&okm))));
    c.bench_function("baseline/aes256cbc_decrypt", |b| {
        b.iter(|| black_box(decrypt(&okm)))
    });
    c.bench_function("baseline/raw_unseal", |b| {
        b.iter(|| {
            let okm = derive();
            black_box(mac(&okm));
            black_box(decrypt(&okm))
        })
    });
}

criterion_group!(session_benches, benches);
criterion_main!(session_benches);
