//! Secrets: password hashing (argon2id, off the async threads), random tokens,
//! and the one-way hashes under which tokens are stored.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use youying_core::error::{Error, Result, StorageError};

/// `prefix` + 32 random bytes in hex. Sessions use `yys_`, API tokens `yyt_`.
pub fn random_token(prefix: &str) -> Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| StorageError(format!("random: {e}")))?;
    Ok(format!("{prefix}{}", hex::encode(buf)))
}

/// Tokens carry 256 random bits, so a plain SHA-256 suffices to store them.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Storage(StorageError(format!("hash: {e}"))))
    })
    .await
    .map_err(|e| StorageError(format!("hash task: {e}")))?
}

/// Constant work whether or not the user exists, so timing reveals nothing.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let hash = match stored.as_deref() {
            Some(h) => h,
            None => dummy_hash(),
        };
        let ok = PasswordHash::new(hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
        ok && stored.is_some()
    })
    .await
    .map_err(|e| StorageError(format!("verify task: {e}")).into())
}

/// A real argon2id hash of a random secret, so an unknown user costs a full verify.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret = random_token("").unwrap_or_default();
        Argon2::default().hash_password(secret.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
    })
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_round_trip_as_argon2id() {
        let h = hash_password("hunter2hunter".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("hunter2hunter".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_password("wrong".into(), Some(h)).await.unwrap());
        assert!(!verify_password("x".into(), None).await.unwrap());
    }

    #[test]
    fn tokens() {
        let t = random_token("yys_").unwrap();
        assert_eq!(t.len(), 4 + 64);
        assert_ne!(token_hash(&t), t);
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
    }
}
