//! The 对接 protocol (`shared/DOCKING.md`), as a library both ends share: the
//! site that offers its goods (the open API under `/api/open/v1`) and the site
//! that resells them (an upstream connection).
//!
//! Pure and network-free: no HTTP client, no database, no clock. Callers pass
//! the time in and send what this crate builds.
//!
//! - [`sign`]: the request signature (HMAC-SHA256 over method, path, timestamp
//!   and the body's SHA-256), checked in constant time within ±60 s.
//! - [`wire`]: the JSON the open API speaks, one definition for both ends.
//! - [`addr`]: which addresses an outbound call may reach.
//! - [`supplier`]: the generic HTTP JSON protocol of direct-top-up suppliers.

pub mod addr;
pub mod sign;
pub mod supplier;
pub mod wire;

pub use self::sign::{SignError, Signed, Signer};
