//! Verified access tokens, kept briefly so that a CI pipeline's repeated calls with one token
//! cost one signature check, not one each (the profile of issue 14: RSA verification and claim
//! decoding were the largest share of our CPU per M2M request).
//!
//! Keyed by the SHA-256 of the token (the token itself is never stored). An entry is served for
//! at most [`REUSE`] and never past the token's `exp`; the principal behind it (client or user
//! row, active flags, team) is still read on every request, so disabling a client or a user takes
//! effect at once; and every fetch of the provider's signing keys empties it, so a rotated-out key
//! stops working here as soon as it would without the cache. Bounded by `OIDC_TOKEN_CACHE_SIZE` entries (0 turns the cache off).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The longest a verified token is reused without checking its signature again.
pub const REUSE: Duration = Duration::from_secs(60);

type Claims = Map<String, Value>;

/// The cache (see the module documentation).
#[derive(Debug)]
pub struct TokenCache {
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], (Claims, Instant)>>,
    /// The signing-key generation the entries were verified under ([`Self::follow_keys`]).
    keys_generation: std::sync::atomic::AtomicU64,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl TokenCache {
    /// A cache of at most `capacity` tokens (0: nothing is kept).
    pub fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::default(), keys_generation: std::sync::atomic::AtomicU64::new(0) }
    }

    /// Drops every entry when the identity provider's keys have been fetched again since the
    /// entries were verified (`generation` of [`crate::oidc::keys::KeyStore`]): a token signed
    /// by a key the provider no longer publishes must not outlive the rotation here.
    pub fn follow_keys(&self, generation: u64) {
        use std::sync::atomic::Ordering;
        if self.keys_generation.swap(generation, Ordering::SeqCst) != generation {
            self.lock().clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Claims, Instant)>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The claims of `token` if it was verified and is still within its reuse window at `now`.
    pub fn get(&self, token: &str, now: Instant) -> Option<Claims> {
        if self.capacity == 0 {
            return None;
        }
        let k = key(token);
        let mut entries = self.lock();
        match entries.get(&k) {
            Some((claims, until)) if now < *until => Some(claims.clone()),
            Some(_) => {
                entries.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Keeps the claims of a token that has just been verified at `now`: until `now + REUSE`
    /// or its `exp`, whichever comes first. When full, expired entries go first; if none
    /// has expired, the cache starts over (verification is only ever repeated, never skipped).
    pub fn put(&self, token: &str, claims: &Claims, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let Some(exp) = claims.get("exp").and_then(Value::as_u64) else { return };
        let left = Duration::from_secs(exp.saturating_sub(wall));
        if left.is_zero() {
            return;
        }
        let until = now + left.min(REUSE);
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, u)| now < *u);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key(token), (claims.clone(), until));
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(exp_in: i64) -> Claims {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
        json!({ "sub": "ci", "exp": now + exp_in }).as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn new_signing_keys_drop_every_entry() {
        let cache = TokenCache::new(8);
        let now = Instant::now();
        cache.follow_keys(1);
        cache.put("t", &claims(3600), now);
        cache.follow_keys(1);
        assert!(cache.get("t", now).is_some());
        cache.follow_keys(2);
        assert!(cache.get("t", now).is_none());
    }

    #[test]
    fn a_verified_token_is_served_only_to_the_same_token() {
        let cache = TokenCache::new(8);
        let now = Instant::now();
        cache.put("a.b.c", &claims(3600), now);
        assert_eq!(cache.get("a.b.c", now).and_then(|c| c.get("sub").cloned()), Some(json!("ci")));
        assert!(cache.get("a.b.d", now).is_none());
        assert!(cache.get("a.b.c ", now).is_none());
    }

    #[test]
    fn an_entry_ends_after_the_reuse_window_or_at_exp() {
        let cache = TokenCache::new(8);
        let now = Instant::now();
        cache.put("long", &claims(3600), now);
        assert!(cache.get("long", now + REUSE - Duration::from_millis(1)).is_some());
        assert!(cache.get("long", now + REUSE).is_none(), "served past the reuse window");
        cache.put("short", &claims(5), now);
        assert!(cache.get("short", now + Duration::from_secs(6)).is_none(), "served past exp");
        cache.put("expired", &claims(-1), now);
        assert!(cache.get("expired", now).is_none(), "an expired token was kept");
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_zero_turns_it_off() {
        let cache = TokenCache::new(3);
        let now = Instant::now();
        for i in 0..10 {
            cache.put(&format!("t{i}"), &claims(3600), now);
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("t9", now).is_some(), "the newest entry is kept");
        let off = TokenCache::new(0);
        off.put("t", &claims(3600), now);
        assert!(off.get("t", now).is_none());
        assert!(off.is_empty());
    }
}
