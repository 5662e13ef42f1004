//! Errors of the domain. Each has a stable `code` that the API returns and that
//! the message catalogue translates; no variant carries a secret.

/// A failure of the storage backend that the domain cannot interpret.
/// The text is for logs only and never reaches a client.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StorageError(pub String);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    #[error("weak password")]
    WeakPassword,
    #[error("username already taken")]
    UsernameTaken,
    #[error("shop name already taken")]
    ShopNameTaken,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many attempts, retry after {retry_after_secs}s")]
    Throttled { retry_after_secs: i64 },
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("unknown rule {0}")]
    UnknownRule(String),
    #[error("rule {name} out of range {min}..={max}")]
    RuleOutOfRange { name: String, min: i64, max: i64 },
    #[error("insufficient balance")]
    InsufficientFunds,
    #[error("out of stock")]
    OutOfStock,
    /// The shop's listings are hidden (deposit below the minimum, or suspended).
    #[error("shop unavailable")]
    ShopUnavailable,
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// An after-sales case asked for after the protection window closed.
    #[error("protection window closed at {closed_at_ms}")]
    WindowClosed { closed_at_ms: i64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Error {
    /// Stable machine-readable code, also the key of the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_input",
            Error::WeakPassword => "weak_password",
            Error::UsernameTaken => "username_taken",
            Error::ShopNameTaken => "shop_name_taken",
            Error::BadCredentials => "bad_credentials",
            Error::Throttled { .. } => "too_many_attempts",
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::Conflict(_) => "conflict",
            Error::UnknownRule(_) => "unknown_rule",
            Error::RuleOutOfRange { .. } => "rule_out_of_range",
            Error::InsufficientFunds => "insufficient_balance",
            Error::OutOfStock => "out_of_stock",
            Error::ShopUnavailable => "shop_unavailable",
            Error::IdempotencyMismatch => "idempotency_mismatch",
            Error::WindowClosed { .. } => "case_window_closed",
            Error::Storage(_) => "internal",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
