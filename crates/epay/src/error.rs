//! One error type for the protocol layer: each way a gateway's message can be
//! wrong is its own variant, so the adapter can log and answer precisely.

/// Why a value, a message or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value does not have the protocol's shape (a yuan amount, an order number, a URL …).
    #[error("malformed {field}: {reason}")]
    Malformed { field: &'static str, reason: &'static str },
    /// A field the message must carry is absent or empty.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// The same key arrived twice: which one was signed is ambiguous, so neither counts.
    #[error("duplicated field `{0}`")]
    Duplicate(String),
    /// The signature does not verify over the fields received.
    #[error("bad signature")]
    BadSignature,
    /// `sign_type` names another scheme than the gateway is configured for.
    #[error("sign_type `{got}` where `{expected}` is configured")]
    SignType { expected: &'static str, got: String },
    /// The message is for another merchant than the configured `pid`.
    #[error("wrong pid `{got}`")]
    WrongPid { got: String },
    /// The message is about another order than the one looked up.
    #[error("wrong out_trade_no `{got}`")]
    WrongOrder { got: String },
    /// `trade_status` is present but not `TRADE_SUCCESS`.
    #[error("trade_status `{0}` is not TRADE_SUCCESS")]
    NotSuccess(String),
    /// The money paid is not, to the fen, what was asked.
    #[error("amount mismatch: expected {expected_fen} fen, got {got_fen} fen")]
    AmountMismatch { expected_fen: i64, got_fen: i64 },
    /// Key material could not be read or used.
    #[error("key: {0}")]
    Key(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
