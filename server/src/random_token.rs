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

/// The random part of a runner name made from a `runner_name_prefix` (API.md §7.1): 48 bits,
/// so two draws collide about once in 16 million at 10,000 live runners (24 bits collided at
/// ~10,000), as 12 hexadecimal digits: a prefix of at most 50 characters plus `-` and the
/// suffix stays within GitHub's 64. Seedable, so a test can know the names it will be offered.
#[derive(Debug)]
pub struct NameSuffixes(std::sync::Mutex<rand::rngs::StdRng>);

impl NameSuffixes {
    /// Suffixes from the operating system's entropy (what the server uses).
    pub fn from_entropy() -> Self {
        Self(std::sync::Mutex::new(rand::SeedableRng::from_entropy()))
    }

    /// A reproducible sequence: the same `seed` yields the same names.
    pub fn seeded(seed: u64) -> Self {
        Self(std::sync::Mutex::new(rand::SeedableRng::seed_from_u64(seed)))
    }

    /// The next candidate name for `prefix`.
    pub fn next(&self, prefix: &str) -> String {
        let bits = {
            // A poisoned lock still holds a usable generator.
            let mut rng = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            rand::Rng::gen_range(&mut *rng, 0..1_u64 << 48)
        };
        format!("{prefix}-{bits:012x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_48_bits_and_reproducible_from_a_seed() {
        let (a, b) = (NameSuffixes::seeded(7), NameSuffixes::seeded(7));
        let names: Vec<String> = (0..3).map(|_| a.next("ci")).collect();
        assert_eq!(names, (0..3).map(|_| b.next("ci")).collect::<Vec<_>>());
        assert!(names.iter().all(|n| n.len() == "ci-".len() + 12 && n[3..].chars().all(|c| c.is_ascii_hexdigit())));
        assert_ne!(names[0], names[1]);
        assert!(NameSuffixes::from_entropy().next(&"p".repeat(50)).len() <= 64);
    }
}
