//! The `youying-epay` tests, one binary. Vectors under `tests/fixtures/` were
//! made by python3 and openssl (`make.sh`), independently of the crate.

// Helpers outside `#[test]` functions panic on purpose when a fixture is broken.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod money;
mod notify;
mod query;
mod sign;
mod submit;

use youying_epay::{Credentials, Md5Key, MerchantKey, PlatformKey};

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const V1_KEY: &str = "epay-test-key-0123456789";

pub fn v1() -> Credentials {
    Credentials::V1 { key: Md5Key::new(V1_KEY).unwrap() }
}

/// The throw-away pair plays both sides: the merchant signs with the private
/// key, and its public key stands in for the platform's.
pub fn v2() -> Credentials {
    Credentials::V2 {
        merchant: MerchantKey::from_pem(&fixture("rsa_private_pkcs8.pem")).unwrap(),
        platform: PlatformKey::from_pem(&fixture("rsa_public_spki.pem")).unwrap(),
    }
}
