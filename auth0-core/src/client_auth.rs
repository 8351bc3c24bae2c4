//! Client authentication at the token and PAR endpoints (RFC 6749 2.3.1, RFC 7523).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use rand::CryptoRng;
use serde_json::{Map, Value};

use crate::config::{ClientAuth, ClientConfig};
use crate::error::{Error, Result};
use crate::oauth_http::form_post;
use crate::pkce::random_token;

/// The assertion type of RFC 7523 section 2.2.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a `private_key_jwt` assertion is valid.
const ASSERTION_LIFETIME_SECS: u64 = 60;

/// An authenticated form POST to one of the provider's endpoints.
///
/// `audience` is the issuer string exactly as the provider spells it: the `aud` of a
/// `private_key_jwt` assertion (RFC 7523 3).
pub(crate) fn authenticated_post<R: CryptoRng + ?Sized>(
    config: &ClientConfig,
    url: &str,
    audience: &str,
    form: &[(&str, &str)],
    now: u64,
    rng: &mut R,
) -> Result<http::Request<Vec<u8>>> {
    let client_id = config.client_id();
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    match config.client_auth() {
        ClientAuth::SecretBasic(secret) => {
            fields.push(("client_id", client_id));
            let mut request = form_post(url, &fields)?;
            let credentials = format!(
                "{}:{}",
                form_encode(client_id),
                form_encode(secret.expose())
            );
            let mut value =
                HeaderValue::try_from(format!("Basic {}", STANDARD.encode(credentials))).map_err(
                    |_| Error::configuration("the client credentials are not header-safe"),
                )?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(request)
        }
        ClientAuth::SecretPost(secret) => {
            fields.push(("client_id", client_id));
            fields.push(("client_secret", secret.expose()));
            form_post(url, &fields)
        }
        ClientAuth::PrivateKeyJwt(key) => {
            let mut claims = Map::new();
            claims.insert("iss".into(), Value::from(client_id));
            claims.insert("sub".into(), Value::from(client_id));
            claims.insert("aud".into(), Value::from(audience));
            claims.insert("iat".into(), Value::from(now));
            claims.insert("exp".into(), Value::from(now + ASSERTION_LIFETIME_SECS));
            claims.insert("jti".into(), Value::from(random_token(rng)));
            let assertion = key.sign(&claims)?;
            fields.push(("client_id", client_id));
            fields.push(("client_assertion_type", JWT_BEARER));
            fields.push(("client_assertion", &assertion));
            form_post(url, &fields)
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value, as RFC 6749 2.3.1 asks for the
/// Basic credentials.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
