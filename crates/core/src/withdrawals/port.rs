//! What withdrawals need from persistence.

use super::model::{Decision, NewWithdrawal, ShopFunds, Wallet, Withdrawal, WithdrawalId};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ShopId, UserId};

/// Recording requests and decisions; part of [`Tx`](crate::ports::Tx).
pub trait WithdrawalTx: WithdrawalRead {
    fn insert_withdrawal(&mut self, w: &NewWithdrawal) -> Result<WithdrawalId>;
    /// `requested` → paid or rejected, only if still requested: false when
    /// someone decided first (the caller answers with a conflict).
    fn decide_withdrawal(&mut self, id: WithdrawalId, decision: &Decision, by: UserId, at: Timestamp) -> Result<bool>;
}

/// The query half of [`WithdrawalTx`].
pub trait WithdrawalRead {
    fn withdrawal(&mut self, id: WithdrawalId) -> Result<Option<Withdrawal>>;
    /// A wallet's withdrawals, newest first.
    fn withdrawals_of(&mut self, wallet: Wallet, limit: usize) -> Result<Vec<Withdrawal>>;
    /// Every withdrawal for staff: the undecided first (oldest first, the
    /// order they are worked in), then the decided, newest first.
    fn withdrawals_for_staff(&mut self, limit: usize) -> Result<Vec<Withdrawal>>;
    /// What a wallet asked to withdraw since `since` and was not refused.
    fn withdrawn_since(&mut self, wallet: Wallet, since: Timestamp) -> Result<i64>;
    /// The figures of a shop's 货款 page.
    fn shop_funds(&mut self, shop: ShopId) -> Result<ShopFunds>;
}
