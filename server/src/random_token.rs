//! Unguessable tokens: 256 random bits from the operating system, base64url without padding.
//! Session cookies and the OIDC login's `state` and nonce are made here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// A fresh token. Never stored or logged as is (sessions store a hash).
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
