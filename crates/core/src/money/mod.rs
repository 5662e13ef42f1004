//! Money: integer fen, never floating point, and the double-entry postings that
//! are the only way it moves.

pub mod port;

pub use self::port::{LedgerAudit, LedgerRead, LedgerTx, StatementLine};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::values::{ShopId, UserId};

/// A non-negative amount in fen (1/100 yuan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Fen(i64);

/// No single amount on the platform may exceed ¥10,000,000: it keeps sums of
/// many amounts far from overflow and catches a typo of extra zeros.
pub const MAX_FEN: i64 = 1_000_000_000;

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn new(fen: i64) -> Result<Self> {
        if (0..=MAX_FEN).contains(&fen) {
            Ok(Fen(fen))
        } else {
            Err(Error::Invalid { field: "amount_fen", reason: "range" })
        }
    }

    /// A strictly positive amount, as a price or a transfer must be.
    pub fn positive(fen: i64) -> Result<Self> {
        if fen > 0 { Self::new(fen) } else { Err(Error::Invalid { field: "amount_fen", reason: "positive" }) }
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_mul(self, n: i64) -> Result<Fen> {
        self.0.checked_mul(n).ok_or(Error::Invalid { field: "quantity", reason: "overflow" }).and_then(Fen::new)
    }

    pub fn checked_add(self, other: Fen) -> Result<Fen> {
        Fen::new(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen((self.0 - other.0).max(0))
    }

    /// `self × bp / 10,000`, rounded down: basis-point shares never create fen.
    pub fn share_bp(self, bp: i64) -> Fen {
        Fen(i64::try_from(i128::from(self.0) * i128::from(bp.clamp(0, 10_000)) / 10_000).unwrap_or(0))
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A ledger account. Balances of all but `PlatformCash` (the outside world:
/// money paid in and out of the platform) and the platform's own accounts
/// may never go negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Account {
    UserWallet(UserId),
    ShopWallet(ShopId),
    ShopDeposit(ShopId),
    /// Buyers' payments held until they are served.
    Escrow,
    PlatformFee,
    /// The buyer-protection fund (交易保险).
    ProtectionFund,
    /// Money entering or leaving the platform by an admin's hand (credits,
    /// the demo faucet).
    PlatformCash,
    /// Money buyers paid through a payment gateway, which the gateway holds
    /// for the platform until it settles: it goes negative as payments land.
    GatewayClearing,
    /// Withdrawals requested and not yet decided: out of the wallet, not yet
    /// paid out, back to the wallet if rejected.
    PendingWithdrawals,
    /// Money paid out to merchants' and buyers' own accounts: it grows as
    /// withdrawals are paid (the outside world's side of them).
    PaidOut,
}

impl Account {
    /// A stable key: `user:7`, `shop:3`, `deposit:3`, `escrow`, …
    pub fn key(self) -> String {
        match self {
            Account::UserWallet(u) => format!("user:{u}"),
            Account::ShopWallet(s) => format!("shop:{s}"),
            Account::ShopDeposit(s) => format!("deposit:{s}"),
            Account::Escrow => "escrow".into(),
            Account::PlatformFee => "platform_fee".into(),
            Account::ProtectionFund => "protection_fund".into(),
            Account::PlatformCash => "platform_cash".into(),
            Account::GatewayClearing => "gateway_clearing".into(),
            Account::PendingWithdrawals => "pending_withdrawals".into(),
            Account::PaidOut => "paid_out".into(),
        }
    }

    pub fn may_go_negative(self) -> bool {
        matches!(self, Account::PlatformCash | Account::GatewayClearing)
    }
}

/// A balanced movement of money: lines sum to zero, and it has at least two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: &'static str,
    /// What the entry is about, as `type:id` (`order:…`, `user:…`).
    pub subject: String,
    pub memo: String,
    lines: Vec<(Account, i64)>,
}

impl Entry {
    /// A simple transfer of `amount` from one account to another.
    pub fn transfer(
        kind: &'static str,
        subject: impl Into<String>,
        memo: impl Into<String>,
        from: Account,
        to: Account,
        amount: Fen,
    ) -> Result<Self> {
        Self::new(kind, subject, memo, vec![(from, -amount.get()), (to, amount.get())])
    }

    pub fn new(
        kind: &'static str,
        subject: impl Into<String>,
        memo: impl Into<String>,
        lines: Vec<(Account, i64)>,
    ) -> Result<Self> {
        let lines: Vec<_> = lines.into_iter().filter(|(_, a)| *a != 0).collect();
        let sum: i128 = lines.iter().map(|(_, a)| i128::from(*a)).sum();
        if sum != 0 || lines.len() < 2 {
            return Err(Error::Invalid { field: "entry", reason: "unbalanced" });
        }
        Ok(Self { kind, subject: subject.into(), memo: memo.into(), lines })
    }

    pub fn lines(&self) -> &[(Account, i64)] {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_is_never_negative_and_formats_as_yuan() {
        assert!(Fen::new(-1).is_err());
        assert!(Fen::positive(0).is_err());
        assert!(Fen::new(MAX_FEN + 1).is_err());
        assert_eq!(Fen::new(12_345).unwrap().to_string(), "¥123.45");
        assert_eq!(Fen::new(5).unwrap().to_string(), "¥0.05");
        assert_eq!(Fen::new(999).unwrap().share_bp(200), Fen::new(19).unwrap());
    }

    #[test]
    fn entries_must_balance() {
        let a = Fen::new(100).unwrap();
        let e = Entry::transfer("pay", "order:1", "", Account::UserWallet(UserId(1)), Account::Escrow, a).unwrap();
        assert_eq!(e.lines().iter().map(|(_, v)| v).sum::<i64>(), 0);
        assert!(Entry::new("x", "s", "", vec![(Account::Escrow, 5), (Account::PlatformFee, -4)]).is_err());
        assert!(Entry::new("x", "s", "", vec![(Account::Escrow, 0), (Account::PlatformFee, 0)]).is_err());
    }
}
