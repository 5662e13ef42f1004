//! Signing and verifying, V1 and V2.
//!
//! V1: `md5(signing_string + key)`, lowercase hex, `sign_type=MD5`.
//! V2: SHA256withRSA (PKCS#1 v1.5) by the merchant's private key, base64;
//! answers and notifies verified with the platform's public key, `sign_type=RSA`.
//! Verification never compares with `==`: MD5 digests are compared in constant
//! time, RSA signatures by the `rsa` crate's own verify.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::sha2::Sha256;
use rsa::signature::{Signer as _, Verifier as _};
use rsa::{PrivateKey, PublicKey};
use subtle::ConstantTimeEq as _;

use crate::error::{Error, Result};
use crate::params::Params;

/// The V1 merchant key (商户密钥). Secret: never shown by `Debug`.
pub struct Md5Key(String);

impl Md5Key {
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(Error::Key("the MD5 key must be non-empty, without spaces"));
        }
        Ok(Self(key))
    }

    /// The key itself, for the one place the protocol sends it (the query URL).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn digest(&self, params: &Params) -> [u8; 16] {
        let mut md5 = Md5::new();
        md5.update(params.signing_string().as_bytes());
        md5.update(self.0.as_bytes());
        md5.finalize().into()
    }
}

impl fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Md5Key(<redacted>)")
    }
}

/// The V2 merchant private key (商户私钥). Secret: never shown by `Debug`.
pub struct MerchantKey(Box<SigningKey<Sha256>>);

impl MerchantKey {
    /// Reads PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`)
    /// PEM, or the bare base64 DER that gateway panels often show instead.
    pub fn from_pem(text: &str) -> Result<Self> {
        let text = text.trim();
        let key = if text.starts_with("-----") {
            PrivateKey::from_pkcs8_pem(text).ok().or_else(|| PrivateKey::from_pkcs1_pem(text).ok())
        } else {
            let der = bare_der(text)?;
            PrivateKey::from_pkcs8_der(&der).ok().or_else(|| PrivateKey::from_pkcs1_der(&der).ok())
        };
        key.map(|k| Self(Box::new(SigningKey::new(k)))).ok_or(Error::Key("not an RSA private key (PKCS#8 or PKCS#1)"))
    }

    fn sign(&self, params: &Params) -> Result<String> {
        let signature =
            self.0.try_sign(params.signing_string().as_bytes()).map_err(|_| Error::Key("RSA signing failed"))?;
        Ok(BASE64.encode(Box::<[u8]>::from(signature)))
    }
}

impl fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MerchantKey(<redacted>)")
    }
}

/// The V2 platform public key (平台公钥), which signs what the gateway sends.
#[derive(Clone)]
pub struct PlatformKey(Box<VerifyingKey<Sha256>>);

impl PlatformKey {
    /// Reads SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM,
    /// or bare base64 DER.
    pub fn from_pem(text: &str) -> Result<Self> {
        let text = text.trim();
        let key = if text.starts_with("-----") {
            PublicKey::from_public_key_pem(text).ok().or_else(|| PublicKey::from_pkcs1_pem(text).ok())
        } else {
            let der = bare_der(text)?;
            PublicKey::from_public_key_der(&der).ok().or_else(|| PublicKey::from_pkcs1_der(&der).ok())
        };
        key.map(|k| Self(Box::new(VerifyingKey::new(k)))).ok_or(Error::Key("not an RSA public key (SPKI or PKCS#1)"))
    }

    fn verify(&self, params: &Params, sign: &str) -> Result<()> {
        let bytes = BASE64.decode(sign.trim()).map_err(|_| Error::BadSignature)?;
        let signature = Signature::try_from(bytes.as_slice()).map_err(|_| Error::BadSignature)?;
        self.0.verify(params.signing_string().as_bytes(), &signature).map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlatformKey(..)")
    }
}

fn bare_der(text: &str) -> Result<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    BASE64.decode(compact).map_err(|_| Error::Key("neither PEM nor base64 DER"))
}

/// What a merchant holds for one gateway: the V1 key, or the V2 key pair.
#[derive(Debug)]
pub enum Credentials {
    V1 { key: Md5Key },
    V2 { merchant: MerchantKey, platform: PlatformKey },
}

impl Credentials {
    /// The `sign_type` value this scheme sends and expects.
    pub fn sign_type(&self) -> &'static str {
        match self {
            Self::V1 { .. } => "MD5",
            Self::V2 { .. } => "RSA",
        }
    }

    /// The signature over `params` (their `sign`/`sign_type`, if any, ignored).
    pub fn sign(&self, params: &Params) -> Result<String> {
        match self {
            Self::V1 { key } => Ok(hex::encode(key.digest(params))),
            Self::V2 { merchant, .. } => merchant.sign(params),
        }
    }

    /// Verifies the `sign` in `params` over every other field received.
    ///
    /// A `sign_type` naming another scheme is refused; an absent one is
    /// tolerated, as it is not signed and some gateways omit it.
    pub fn verify(&self, params: &Params) -> Result<()> {
        let sign = params.require("sign")?;
        if let Some(got) = params.get("sign_type").filter(|t| !t.eq_ignore_ascii_case(self.sign_type())) {
            return Err(Error::SignType { expected: self.sign_type(), got: got.to_owned() });
        }
        match self {
            Self::V1 { key } => {
                let mut got = [0u8; 16];
                hex::decode_to_slice(sign, &mut got).map_err(|_| Error::BadSignature)?;
                if bool::from(key.digest(params).ct_eq(&got)) { Ok(()) } else { Err(Error::BadSignature) }
            }
            Self::V2 { platform, .. } => platform.verify(params, sign),
        }
    }
}
