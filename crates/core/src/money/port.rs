//! What the ledger needs from persistence: balanced entries posted, balances
//! and statements read back, and the auditor's re-sum.

use serde::Serialize;

use super::{Account, Entry};
use crate::clock::Timestamp;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub at: Timestamp,
    pub kind: String,
    pub subject: String,
    pub memo: String,
    pub amount_fen: i64,
}

/// What the ledger auditor found; all empty / equal means sound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAudit {
    /// Entries whose postings do not sum to zero.
    pub unbalanced_entries: Vec<i64>,
    /// Accounts whose stored balance differs from the sum of their postings.
    pub drifted_accounts: Vec<String>,
    /// Accounts below zero that may not be.
    pub negative_accounts: Vec<String>,
    /// The escrow account's balance, and what open orders say they hold.
    pub escrow_balance: i64,
    pub escrow_held_by_orders: i64,
    /// Sold units not attached to exactly one order.
    pub orphan_units: i64,
    /// The pending-withdrawals account's balance, and what requested,
    /// undecided withdrawals say it holds.
    pub pending_withdrawals_balance: i64,
    pub pending_withdrawals_requested: i64,
    /// The gateway clearing account's balance (negative: what came in), and
    /// what paid payment attempts say came in.
    pub gateway_clearing_balance: i64,
    pub paid_in_by_attempts: i64,
}

/// Reading balances and statements.
pub trait LedgerRead {
    fn balance(&mut self, account: Account) -> Result<i64>;
    fn statement(&mut self, account: Account, limit: usize) -> Result<Vec<StatementLine>>;
    fn ledger_audit(&mut self) -> Result<LedgerAudit>;
    /// The sum of `account`'s postings in `(from, to]` per day, as
    /// `(day number, sum)` in day order; a day is `(at + offset_ms) / 86,400,000`.
    fn daily_sums(
        &mut self,
        account: Account,
        from: Timestamp,
        to: Timestamp,
        offset_ms: i64,
    ) -> Result<Vec<(i64, i64)>>;
}

/// Moving money.
pub trait LedgerTx: LedgerRead {
    /// Applies a balanced entry; `InsufficientFunds` if an account would go below zero.
    fn post(&mut self, entry: &Entry, at: Timestamp) -> Result<()>;
}
