//! Session cookies: 256 random bits, base64url; only a SHA-256 of the value is stored.

use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use http::HeaderValue;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// The browser session cookie.
pub const SESSION_COOKIE: &str = "gharts_session";

/// A fresh session token (the cookie value). Never stored or logged.
pub use crate::random_token::new_token;

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Prefix of a sealed ID-token hint (see [`seal_hint`]).
const SEALED: &str = "v1:";

/// A sealing key: SHA-256 over a label and a secret the request carries (the session cookie,
/// an `Idempotency-Key`), so only a request carrying it can read the value back; the database
/// holds neither the secret nor the key (at most a hash of the secret, a different value).
fn sealing_key(label: &str, secret: &str) -> Aes256Gcm {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    Aes256Gcm::new(&h.finalize())
}

/// Seals `plain` under a key derived from `label` and `secret` (a value the database does not
/// hold): AES-256-GCM, random nonce, as `v1:` + base64url(nonce ‖ ciphertext).
pub fn seal(label: &str, secret: &str, plain: &str) -> Option<String> {
    let mut nonce = [0_u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = sealing_key(label, secret).encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).ok()?;
    Some(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())))
}

/// Opens what [`seal`] sealed with the same label and secret; `None` otherwise.
pub fn open(label: &str, secret: &str, stored: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(stored.strip_prefix(SEALED)?).ok()?;
    let (nonce, sealed) = raw.split_at_checked(12)?;
    let plain = sealing_key(label, secret).decrypt(Nonce::from_slice(nonce), sealed).ok()?;
    String::from_utf8(plain).ok()
}

const HINT_LABEL: &str = "gharts id_token_hint v1";

/// Seals an OIDC login's ID token (the logout hint) under the session's cookie value.
pub fn seal_hint(token: &str, id_token: &str) -> Option<String> {
    seal(HINT_LABEL, token, id_token)
}

/// Opens a hint sealed by [`seal_hint`] with the same cookie value; `None` otherwise.
pub fn open_hint(token: &str, stored: &str) -> Option<String> {
    open(HINT_LABEL, token, stored)
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)))
        .build();
    header(&cookie)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    let cookie =
        Cookie::build((SESSION_COOKIE, "")).http_only(true).same_site(SameSite::Lax).secure(secure).path("/").max_age(cookie::time::Duration::ZERO).build();
    header(&cookie)
}

fn header(cookie: &Cookie<'_>) -> HeaderValue {
    // A cookie built from base64url and fixed attributes is always a valid header value.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token from a `Cookie` header, if any.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_unique() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64url").len(), 32);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn the_cookie_has_the_contract_attributes() {
        let c = session_cookie("abc", Duration::from_secs(28800), true);
        let s = c.to_str().expect("ascii");
        for part in ["gharts_session=abc", "HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=28800"] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        assert!(!s.contains("Domain"));
    }

    #[test]
    fn a_sealed_hint_opens_only_with_its_own_cookie() {
        let (token, other) = (new_token(), new_token());
        let id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
        let sealed = seal_hint(&token, id_token).expect("sealed");
        assert!(sealed.starts_with("v1:") && !sealed.contains("eyJ"), "{sealed}");
        assert_eq!(open_hint(&token, &sealed).as_deref(), Some(id_token));
        assert_eq!(open_hint(&other, &sealed), None);
        assert_eq!(open_hint(&token, id_token), None, "a plain token is not a sealed hint");
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, HeaderValue::from_static("a=1; gharts_session=tok; b=2"));
        assert_eq!(token_from_headers(&h).as_deref(), Some("tok"));
    }
}
