//! Stock as the store keeps it. Plain data: the port stores it, the import in
//! `mod.rs` produces it.

/// A unit as the store keeps it: encrypted, with a keyed fingerprint of the code
/// for duplicate detection. Nothing here reveals the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedUnit {
    pub line: usize,
    pub fingerprint: String,
    pub code_enc: String,
    pub secret_enc: Option<String>,
}

impl std::fmt::Debug for SealedUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedUnit(line {})", self.line)
    }
}
