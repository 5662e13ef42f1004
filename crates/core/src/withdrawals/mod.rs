//! Money out (提现): a shop's owner, or a buyer for their own wallet, asks for
//! wallet money to be paid to an outside account; platform staff pay it by hand
//! and record the transfer reference, or refuse it.
//!
//! ```text
//!   (none) ──request──▶ requested ──approve (transfer_ref)──▶ paid
//!                            │
//!                            └──────reject (reason)──────────▶ rejected
//! ```
//!
//! The ledger follows the diagram, one balanced entry per arrow:
//! request moves the amount wallet → `PendingWithdrawals` (the store refuses a
//! wallet below zero, so concurrent requests only ever take what exists);
//! approve moves it `PendingWithdrawals` → `PaidOut` (amount − fee) and
//! `PlatformFee` (fee); reject moves it back to the wallet in full. The fee is
//! fixed at request time by the rule then in force, so the requester is told
//! what will arrive, and taken only when the money is paid.
//!
//! Limits are rules: `WithdrawMinFen` per request, `WithdrawFeeBp` (basis
//! points, rounded down) and `WithdrawDailyFen` per wallet over the 24 hours
//! before `now` (a rolling window: no time zone, no midnight rush), counting
//! every request not rejected.

pub mod decide;
pub mod model;
pub mod port;
pub mod request;

pub use self::decide::decide;
pub use self::model::{
    DAY_SECS, Decision, Method, NewWithdrawal, ShopFunds, Wallet, Withdrawal, WithdrawalId, WithdrawalInput,
    WithdrawalState,
};
pub use self::port::{WithdrawalRead, WithdrawalTx};
pub use self::request::{fee_for, may_withdraw, request};

#[cfg(test)]
mod tests;
