//! argon2id password hashing, always off the async runtime (it is deliberately slow).

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

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
/// same time and answers false.
pub async fn verify_password(stored: Option<String>, password: SecretString) -> bool {
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let ok =
            PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok()).unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash_password(SecretString::from("correct horse")).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(h.clone()), SecretString::from("correct horse")).await);
        assert!(!verify_password(Some(h), SecretString::from("wrong")).await);
        assert!(!verify_password(None, SecretString::from("anything")).await);
    }
}
