//! Newtypes for secret values.
//!
//! Every value an attacker could use to take over a login or a session is wrapped here. The
//! wrappers print `[redacted]` in `Debug`, have no `Display`, compare in constant time and hand
//! out the raw value only through [`expose`](ClientSecret::expose), so a stray `{:?}` in a log
//! line or an error message cannot leak it.

use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The raw value. Call this only where the value leaves the process on purpose
            /// (a request to the provider, a cookie), never for logging.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Compares with a raw value in constant time.
            pub fn matches(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.matches(&other.0)
            }
        }

        impl Eq for $name {}

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

secret_type!(
    /// The OAuth client secret, used for client authentication and HS256 ID tokens.
    ClientSecret
);
secret_type!(
    /// The application secret from which every sealing key is derived.
    SealSecret
);
secret_type!(
    /// The PKCE code verifier (RFC 7636 section 4.1).
    CodeVerifier
);
secret_type!(
    /// The OAuth `state` value binding a callback to its transaction.
    State
);
secret_type!(
    /// The OpenID Connect `nonce` binding an ID token to its transaction.
    Nonce
);
secret_type!(
    /// An authorization code received on the callback.
    AuthorizationCode
);
secret_type!(
    /// An OAuth access token.
    AccessToken
);
secret_type!(
    /// An OAuth refresh token.
    RefreshToken
);
secret_type!(
    /// A compact-serialized OpenID Connect ID token.
    IdToken
);
secret_type!(
    /// A PEM-encoded private key (for `private_key_jwt` client authentication).
    PrivateKeyPem
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_for_every_type() {
        let raw = "super-secret-value";
        let printed = [
            format!("{:?}", ClientSecret::new(raw)),
            format!("{:?}", SealSecret::new(raw)),
            format!("{:?}", CodeVerifier::new(raw)),
            format!("{:?}", State::new(raw)),
            format!("{:?}", Nonce::new(raw)),
            format!("{:?}", AuthorizationCode::new(raw)),
            format!("{:?}", AccessToken::new(raw)),
            format!("{:?}", RefreshToken::new(raw)),
            format!("{:?}", IdToken::new(raw)),
            format!("{:?}", PrivateKeyPem::new(raw)),
        ];
        for line in printed {
            assert!(!line.contains(raw), "{line} leaks the value");
            assert!(line.ends_with("([redacted])"), "{line}");
        }
        assert_eq!(format!("{:?}", State::new(raw)), "State([redacted])");
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(State::new("abc"), State::new("abc"));
        assert_ne!(State::new("abc"), State::new("abd"));
        assert_ne!(State::new("abc"), State::new("abcd"));
        assert!(Nonce::new("n-1").matches("n-1"));
        assert!(!Nonce::new("n-1").matches("n-2"));
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let json = serde_json::to_string(&RefreshToken::new("rt")).unwrap();
        assert_eq!(json, "\"rt\"");
        let back: RefreshToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), "rt");
    }
}
