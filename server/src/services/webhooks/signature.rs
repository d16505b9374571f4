//! `X-Hub-Signature-256` (API.md §15.1 step 2): HMAC-SHA256 of the **raw** body, compared in
//! constant time by `Mac::verify_slice`, under the current secret or, while rotating, the
//! previous one.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// GitHub's only scheme for this header.
const PREFIX: &str = "sha256=";
/// Hex digits of a SHA-256 MAC.
const HEX_LEN: usize = 64;

/// Whether `header` (`sha256=<64 hex>`) is the MAC of `body` under one of `secrets`.
pub fn verify_signature(header: Option<&str>, body: &[u8], secrets: &[&SecretString]) -> bool {
    let Some(hex_mac) = header.and_then(|h| h.strip_prefix(PREFIX)) else {
        return false;
    };
    if hex_mac.len() != HEX_LEN {
        return false;
    }
    let Ok(given) = hex::decode(hex_mac) else {
        return false;
    };
    secrets.iter().any(|secret| {
        // HMAC takes keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's documented example ("Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn githubs_documented_example_verifies() {
        assert!(verify_signature(Some(SIGNATURE), BODY, &[&secret(SECRET)]));
        assert!(verify_signature(Some(&SIGNATURE.to_uppercase().replace("SHA256=", "sha256=")), BODY, &[&secret(SECRET)]));
    }

    #[test]
    fn anything_else_is_refused() {
        let s = secret(SECRET);
        assert!(!verify_signature(None, BODY, &[&s]));
        assert!(!verify_signature(Some(&SIGNATURE[7..]), BODY, &[&s]), "the prefix is required");
        assert!(!verify_signature(Some(&SIGNATURE.replace("sha256=", "sha1=")), BODY, &[&s]));
        assert!(!verify_signature(Some(&SIGNATURE[..SIGNATURE.len() - 2]), BODY, &[&s]), "truncated");
        assert!(!verify_signature(Some(SIGNATURE), b"Hello, World?", &[&s]), "another body");
        assert!(!verify_signature(Some(SIGNATURE), BODY, &[&secret("other")]), "another secret");
        assert!(!verify_signature(Some(SIGNATURE), BODY, &[]), "no secret");
        assert!(!verify_signature(Some(&SIGNATURE.replace('e', "g")), BODY, &[&s]), "not hex");
    }

    #[test]
    fn the_previous_secret_is_accepted_too() {
        assert!(verify_signature(Some(SIGNATURE), BODY, &[&secret("new"), &secret(SECRET)]));
    }
}
