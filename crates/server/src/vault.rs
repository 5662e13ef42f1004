//! Card keys at rest: AES-256-GCM with a fresh random nonce per value, and a
//! keyed fingerprint (HMAC-SHA-256) of each code so duplicates are found without
//! ever storing or comparing plaintext. The master key comes from configuration
//! or, in embedded mode, is generated once into the data directory (mode 0600).

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use youying_core::error::{Error, Result, StorageError};
use youying_core::payments::Sealed;
use youying_core::stock::ClaimedUnit;
use youying_core::stock::{RawUnit, SealedUnit};

pub const KEY_FILE: &str = "master.key";

pub struct Vault {
    cipher: Aes256Gcm,
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

/// A delivered unit in the clear, only ever in memory on its way to its buyer.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OpenUnit {
    pub code: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for OpenUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenUnit(***)")
    }
}

fn fail(what: &str) -> Error {
    StorageError(format!("vault: {what}")).into()
}

impl Vault {
    pub fn from_key(key: [u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"youying fingerprint key v1");
        h.update(key);
        let fingerprint_key: [u8; 32] = h.finalize().into();
        Self { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)), fingerprint_key }
    }

    /// A key given as 64 hex characters (`YOUYING_MASTER_KEY`).
    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| fail("master key is not hex"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| fail("master key must be 32 bytes (64 hex characters)"))?;
        Ok(Self::from_key(key))
    }

    /// Reads `DIR/master.key`, creating it (mode 0600) on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let path = dir.join(KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| fail(&format!("read {}: {e}", path.display())))?;
            return Self::from_hex(&text);
        }
        std::fs::create_dir_all(dir).map_err(|e| fail(&format!("create {}: {e}", dir.display())))?;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| fail(&format!("random: {e}")))?;
        write_private(&path, &hex::encode(key))?;
        tracing::warn!(path = %path.display(), "generated a new master key for card keys: back it up with the database");
        Ok(Self::from_key(key))
    }

    fn encrypt(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| fail(&format!("random: {e}")))?;
        let ct = self.cipher.encrypt(&Nonce::from(nonce), plain.as_bytes()).map_err(|_| fail("encrypt"))?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(hex::encode(out))
    }

    pub fn decrypt(&self, sealed: &str) -> Result<String> {
        let bytes = hex::decode(sealed).map_err(|_| fail("sealed value is not hex"))?;
        if bytes.len() < 12 + 16 {
            return Err(fail("sealed value too short"));
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| fail("nonce"))?;
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| fail("decrypt: wrong master key or damaged value"))?;
        String::from_utf8(plain).map_err(|_| fail("not utf-8"))
    }

    /// Seals a secret that is not a card key (a gateway's merchant key): the
    /// same cipher, a fresh nonce each time.
    pub fn seal_secret(&self, plain: &str) -> Result<Sealed> {
        self.encrypt(plain).map(Sealed::new)
    }

    pub fn open_secret(&self, sealed: &Sealed) -> Result<String> {
        self.decrypt(sealed.as_str())
    }

    /// The keyed fingerprint of a code: equal codes, equal fingerprints; nothing else learnt.
    pub fn fingerprint(&self, code: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key).expect("HMAC takes any key length");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn seal(&self, u: &RawUnit) -> Result<SealedUnit> {
        Ok(SealedUnit {
            line: u.line,
            fingerprint: self.fingerprint(&u.code),
            code_enc: self.encrypt(&u.code)?,
            secret_enc: u.secret.as_deref().map(|s| self.encrypt(s)).transpose()?,
        })
    }

    pub fn open(&self, u: &ClaimedUnit) -> Result<OpenUnit> {
        Ok(OpenUnit {
            code: self.decrypt(&u.code_enc)?,
            secret: u.secret_enc.as_deref().map(|s| self.decrypt(s)).transpose()?,
        })
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| fail(&format!("create {}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| fail(&format!("write {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| fail(&format!("write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_hides_the_code() {
        let v = Vault::from_key([7; 32]);
        let raw = RawUnit { line: 1, code: "ABCD-EFGH-1234".into(), secret: Some("pw-9".into()) };
        let sealed = v.seal(&raw).unwrap();
        assert!(!sealed.code_enc.contains("ABCD") && !sealed.fingerprint.contains("ABCD"));
        assert_ne!(v.seal(&raw).unwrap().code_enc, sealed.code_enc, "a fresh nonce each time");
        assert_eq!(v.seal(&raw).unwrap().fingerprint, sealed.fingerprint, "stable fingerprint");
        let claimed =
            ClaimedUnit { fingerprint: sealed.fingerprint, code_enc: sealed.code_enc, secret_enc: sealed.secret_enc };
        let open = v.open(&claimed).unwrap();
        assert_eq!((open.code.as_str(), open.secret.as_deref()), ("ABCD-EFGH-1234", Some("pw-9")));
        assert!(Vault::from_key([8; 32]).open(&claimed).is_err(), "another key cannot open it");
    }

    #[test]
    fn the_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Vault::load_or_create(dir.path()).unwrap();
        let b = Vault::load_or_create(dir.path()).unwrap();
        assert_eq!(a.fingerprint("x"), b.fingerprint("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
