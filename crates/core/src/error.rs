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
    /// A password on the list of common (breached) passwords.
    #[error("common password")]
    CommonPassword,
    #[error("username already taken")]
    UsernameTaken,
    #[error("shop name already taken")]
    ShopNameTaken,
    #[error("wrong username or password")]
    BadCredentials,
    /// The right password for an account an admin has frozen.
    #[error("account frozen")]
    AccountFrozen,
    #[error("too many attempts, retry after {retry_after_secs}s")]
    Throttled { retry_after_secs: i64 },
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("unknown rule {0}")]
    UnknownRule(String),
    #[error("rule {name} out of range {min}..={max}")]
    RuleOutOfRange { name: String, min: i64, max: i64 },
    #[error("insufficient balance")]
    InsufficientFunds,
    /// An amount outside what the rules allow for this movement of money
    /// (a payment, a withdrawal): at least `min_fen`, at most `max_fen`.
    #[error("amount out of range {min_fen}..={max_fen}")]
    AmountOutOfRange { min_fen: i64, max_fen: i64 },
    /// Over a daily limit of `limit_fen`; `left_fen` may still move today.
    #[error("daily limit {limit_fen} reached, {left_fen} left")]
    DailyLimit { limit_fen: i64, left_fen: i64 },
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
    /// The database cannot be reached right now (connection refused or lost,
    /// the server shutting down, no connection free in time): nothing was
    /// done that the caller was told of; retrying later is safe.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The disk under the database is full: the write was refused whole.
    #[error("storage full: {0}")]
    StorageFull(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Error {
    /// Stable machine-readable code, also the key of the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_input",
            Error::WeakPassword => "weak_password",
            Error::CommonPassword => "common_password",
            Error::UsernameTaken => "username_taken",
            Error::ShopNameTaken => "shop_name_taken",
            Error::BadCredentials => "bad_credentials",
            Error::AccountFrozen => "account_frozen",
            Error::Throttled { .. } => "too_many_attempts",
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::Conflict(_) => "conflict",
            Error::UnknownRule(_) => "unknown_rule",
            Error::RuleOutOfRange { .. } => "rule_out_of_range",
            Error::InsufficientFunds => "insufficient_balance",
            Error::AmountOutOfRange { .. } => "amount_out_of_range",
            Error::DailyLimit { .. } => "daily_limit",
            Error::OutOfStock => "out_of_stock",
            Error::ShopUnavailable => "shop_unavailable",
            Error::IdempotencyMismatch => "idempotency_mismatch",
            Error::WindowClosed { .. } => "case_window_closed",
            Error::Unavailable(_) => "unavailable",
            Error::StorageFull(_) => "storage_full",
            Error::Storage(_) => "internal",
        }
    }
}

/// Why a request conflicts with the current state. The snake_case name
/// (`as_str`) is the `reason` a client reads and the key of its message
/// (`conflict.<reason>`); clients match on it, so it never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    AlreadyReplied,
    AlreadyResponded,
    AlreadyReviewed,
    AttemptExpired,
    AttemptFinished,
    CaseAlreadyDecided,
    CaseAlreadyOpen,
    CaseClosed,
    CaseNotAwaitingBuyer,
    CaseNotAwaitingMerchant,
    CaseNotInArbitration,
    CaseNotPublished,
    Duplicate,
    DuplicateStock,
    FaqFull,
    IdempotencyKeyInFlight,
    InviteNotPending,
    NotATopup,
    NothingToAccept,
    NothingToReissue,
    NothingToSettle,
    OrderNotAwaitingFulfilment,
    OrderNotCancellable,
    OrderNotCompleted,
    OrderNotConfirmable,
    OrderNotDelivered,
    OrderRefunded,
    PaymentSettled,
    PenaltyNotActive,
    ProductChanged,
    QuestionRetired,
    QuizBankTooSmall,
    ReviewAlreadyModerated,
    SourceRefused,
    SourceUnavailable,
    SupplierInUse,
    UpstreamInUse,
    WithdrawalDecided,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::AlreadyReplied => "already_replied",
            Conflict::AlreadyResponded => "already_responded",
            Conflict::AlreadyReviewed => "already_reviewed",
            Conflict::AttemptExpired => "attempt_expired",
            Conflict::AttemptFinished => "attempt_finished",
            Conflict::CaseAlreadyDecided => "case_already_decided",
            Conflict::CaseAlreadyOpen => "case_already_open",
            Conflict::CaseClosed => "case_closed",
            Conflict::CaseNotAwaitingBuyer => "case_not_awaiting_buyer",
            Conflict::CaseNotAwaitingMerchant => "case_not_awaiting_merchant",
            Conflict::CaseNotInArbitration => "case_not_in_arbitration",
            Conflict::CaseNotPublished => "case_not_published",
            Conflict::Duplicate => "duplicate",
            Conflict::DuplicateStock => "duplicate_stock",
            Conflict::FaqFull => "faq_full",
            Conflict::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            Conflict::InviteNotPending => "invite_not_pending",
            Conflict::NotATopup => "not_a_topup",
            Conflict::NothingToAccept => "nothing_to_accept",
            Conflict::NothingToReissue => "nothing_to_reissue",
            Conflict::NothingToSettle => "nothing_to_settle",
            Conflict::OrderNotAwaitingFulfilment => "order_not_awaiting_fulfilment",
            Conflict::OrderNotCancellable => "order_not_cancellable",
            Conflict::OrderNotCompleted => "order_not_completed",
            Conflict::OrderNotConfirmable => "order_not_confirmable",
            Conflict::OrderNotDelivered => "order_not_delivered",
            Conflict::OrderRefunded => "order_refunded",
            Conflict::PaymentSettled => "payment_settled",
            Conflict::PenaltyNotActive => "penalty_not_active",
            Conflict::ProductChanged => "product_changed",
            Conflict::QuestionRetired => "question_retired",
            Conflict::QuizBankTooSmall => "quiz_bank_too_small",
            Conflict::ReviewAlreadyModerated => "review_already_moderated",
            Conflict::SourceRefused => "source_refused",
            Conflict::SourceUnavailable => "source_unavailable",
            Conflict::SupplierInUse => "supplier_in_use",
            Conflict::UpstreamInUse => "upstream_in_use",
            Conflict::WithdrawalDecided => "withdrawal_decided",
        }
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
