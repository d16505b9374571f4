//! argon2id password hashing, always off the async runtime (it is deliberately slow).
//!
//! Checks reuse their argon2 working memory (19 MiB with the default parameters): at most one
//! buffer per password-check slot exists, taken from a small pool and put back. Allocating it
//! per check lets the allocator keep freed buffers in per-thread arenas, so resident memory
//! grew with the number of blocking threads that ever checked a password, not with the bound.

use std::sync::{LazyLock, Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OwnedSemaphorePermit;

/// A hash of a random password. Unknown usernames are checked against it so the response
/// time does not reveal whether an account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random: String = uuid::Uuid::new_v4().to_string();
    hash_blocking(&random).unwrap_or_default()
});

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Hashes a password with argon2id (default parameters) on a blocking thread.
pub async fn hash_password(password: SecretString) -> anyhow::Result<String> {
    let hashed = tokio::task::spawn_blocking(move || hash_blocking(password.expose_secret())).await?;
    hashed.map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Verifies a password against a stored hash; `None` (no local password) still spends the
/// same time and answers false. `permit` (a password-check slot) is held until the hash is
/// done, even when the caller stops waiting.
pub async fn verify_password(stored: Option<String>, password: SecretString, permit: OwnedSemaphorePermit) -> bool {
    tokio::task::spawn_blocking(move || {
        let _slot = permit;
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let mut memory = BUFFERS.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
        let ok = verify_with(&mut memory, &hash, password.expose_secret().as_bytes());
        // What the check left in the buffer derives from the password: clear it before reuse.
        memory.fill(Block::default());
        BUFFERS.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
        ok && real
    })
    .await
    .unwrap_or(false)
}

/// Working memory of finished checks, for the next ones (at most one per check slot).
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Verifies `password` against the PHC string `hash` in `memory` (grown to fit the hash's
/// parameters). The comparison is constant-time ([`Output`]'s equality).
fn verify_with(memory: &mut Vec<Block>, hash: &str, password: &[u8]) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let (Ok(params), Ok(algorithm)) = (Params::try_from(&parsed), Algorithm::try_from(parsed.algorithm)) else { return false };
    let Ok(version) = parsed.version.map(Version::try_from).transpose() else { return false };
    let mut salt_buf = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version.unwrap_or_default(), params).hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks]).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash_password(SecretString::from("correct horse")).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
        let permit = || slots.clone().try_acquire_owned().expect("free slot");
        assert!(verify_password(Some(h.clone()), SecretString::from("correct horse"), permit()).await);
        assert!(!verify_password(Some(h), SecretString::from("wrong"), permit()).await);
        assert!(!verify_password(None, SecretString::from("anything"), permit()).await);
        // The buffer is reused: a second check of the right password still succeeds.
        let h2 = hash_password(SecretString::from("battery staple")).await.expect("hash");
        assert!(verify_password(Some(h2.clone()), SecretString::from("battery staple"), permit()).await);
        assert!(!verify_password(Some(h2), SecretString::from("correct horse"), permit()).await);
    }
}
