//! Small, whole, valid pictures for upload tests: screenshots and chat
//! pictures are checked by their bytes, so fakes would be refused.

/// A 1×1 PNG, base64 (as the JSON API takes screenshots).
pub const PNG_1X1_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A 3×2 RGB PNG, hex.
pub const PNG_3X2_HEX: &str = "89504e470d0a1a0a0000000d49484452000000030000000208020000001216f14d000000104944415478da63f8d0a301410c701600673409d9666aad550000000049454e44ae426082";
