//! The web verifier's port: what a check of an uploaded bundle found, kept
//! under an unguessable id so its report can be reloaded and shared. The
//! uploaded file itself is never stored.

use crate::clock::Timestamp;
use crate::error::Result;

/// One check's result, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Random and unguessable: whoever has it may read the report.
    pub id: String,
    pub checked_at: Timestamp,
    pub order_no: String,
    /// SHA-256 of the uploaded file, hex.
    pub bundle_sha256: String,
    pub ok: bool,
    /// The checks in words, as the server renders them (JSON text).
    pub result: String,
}

pub trait VerificationTx: VerificationRead {
    fn insert_verification(&mut self, v: &Verification) -> Result<()>;
}

pub trait VerificationRead {
    /// The result `id` if it was checked at or after `since`.
    fn verification(&mut self, id: &str, since: Timestamp) -> Result<Option<Verification>>;
}
