//! Session cookies: 256 random bits, base64url; only a SHA-256 of the value is stored.

use std::time::Duration;

use cookie::{Cookie, SameSite};
use http::HeaderValue;
use sha2::{Digest, Sha256};

/// The browser session cookie.
pub const SESSION_COOKIE: &str = "gharts_session";

/// A fresh session token (the cookie value). Never stored or logged.
pub use crate::random_token::new_token;

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
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
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
    fn the_token_is_found_among_other_cookies() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, HeaderValue::from_static("a=1; gharts_session=tok; b=2"));
        assert_eq!(token_from_headers(&h).as_deref(), Some("tok"));
    }
}
