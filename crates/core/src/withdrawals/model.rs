//! The words of withdrawals: which wallet money leaves, how it is paid out,
//! where a request stands, and the row as stored. The payee's account number
//! and real name are personal data: the core holds them only sealed (by the
//! server's master key) plus a masked account for lists and evidence.

use std::fmt;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::money::Account;
use crate::payments::model::Sealed;
use crate::values::{ShopId, UserId};

/// A withdrawal's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WithdrawalId(pub i64);

impl fmt::Display for WithdrawalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How the platform pays the money out (by hand, outside the platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Alipay,
    Wxpay,
    Bank,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Alipay, Method::Wxpay, Method::Bank];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Alipay => "alipay",
            Method::Wxpay => "wxpay",
            Method::Bank => "bank",
        }
    }

    /// What the requester and the staff read.
    pub fn label(self) -> &'static str {
        match self {
            Method::Alipay => "支付宝",
            Method::Wxpay => "微信",
            Method::Bank => "银行卡",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(Error::Invalid { field: "method", reason: "unknown_method" })
    }
}

/// Where a withdrawal stands (see the diagram in `mod.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalState {
    Requested,
    Paid,
    Rejected,
}

impl WithdrawalState {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalState::Requested => "requested",
            WithdrawalState::Paid => "paid",
            WithdrawalState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [WithdrawalState::Requested, WithdrawalState::Paid, WithdrawalState::Rejected]
            .into_iter()
            .find(|w| w.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            WithdrawalState::Requested => "待审核",
            WithdrawalState::Paid => "已打款",
            WithdrawalState::Rejected => "已驳回",
        }
    }
}

/// The wallet money leaves: a shop's (its owner asks) or a person's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Wallet {
    Shop(ShopId),
    User(UserId),
}

impl Wallet {
    pub fn account(self) -> Account {
        match self {
            Wallet::Shop(s) => Account::ShopWallet(s),
            Wallet::User(u) => Account::UserWallet(u),
        }
    }

    /// The ledger key, also how the store names the wallet: `shop:3`, `user:7`.
    pub fn key(self) -> String {
        self.account().key()
    }

    pub fn parse_key(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "shop" => Some(Wallet::Shop(ShopId(id))),
            "user" => Some(Wallet::User(UserId(id))),
            _ => None,
        }
    }
}

/// The daily limit's window: the 24 hours before `now`.
pub const DAY_SECS: i64 = 24 * 3600;

/// Longest account number / name / transfer reference / reason, in characters.
pub const MAX_ACCOUNT: usize = 64;
pub const MAX_REAL_NAME: usize = 32;
pub const MAX_TRANSFER_REF: usize = 64;
pub const MAX_REASON: usize = 200;

/// Trimmed, 1..=`max` characters, no control character (a NUL, a line break
/// smuggled into an account number). The server checks personal data with it
/// before sealing, since the core only ever sees it sealed.
pub fn text(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Error::Invalid { field, reason: "required" });
    }
    if s.chars().count() > max {
        return Err(Error::Invalid { field, reason: "too_long" });
    }
    if s.chars().any(char::is_control) {
        return Err(Error::Invalid { field, reason: "control_character" });
    }
    Ok(s.to_owned())
}

/// `6222020200112233` → `****2233`: at most the last four characters show,
/// and only when at least four stay hidden.
pub fn mask(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    let shown = if chars.len() >= 8 { 4 } else { 0 };
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("****{tail}")
}

/// A request as it reaches the core: the personal data already sealed.
#[derive(Debug, Clone)]
pub struct WithdrawalInput {
    pub amount_fen: i64,
    pub method: Method,
    pub account: Sealed,
    pub account_masked: String,
    pub real_name: Sealed,
}

/// A request as the store records it.
#[derive(Debug, Clone)]
pub struct NewWithdrawal {
    pub wallet: Wallet,
    pub requested_by: UserId,
    pub amount_fen: i64,
    pub fee_fen: i64,
    pub method: Method,
    pub account: Sealed,
    pub account_masked: String,
    pub real_name: Sealed,
    pub requested_at: Timestamp,
}

/// A withdrawal as stored. `fee_fen` is fixed when it is requested (the rule
/// then in force) and taken when it is paid; `Debug` shows no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: WithdrawalId,
    pub wallet: Wallet,
    pub requested_by: UserId,
    pub amount_fen: i64,
    pub fee_fen: i64,
    pub method: Method,
    pub account: Sealed,
    pub account_masked: String,
    pub real_name: Sealed,
    pub state: WithdrawalState,
    pub transfer_ref: Option<String>,
    pub reason: Option<String>,
    pub requested_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

impl Withdrawal {
    /// What reaches the payee's account when it is paid.
    pub fn net_fen(&self) -> i64 {
        self.amount_fen - self.fee_fen
    }

    pub fn subject(&self) -> String {
        format!("withdrawal:{}", self.id)
    }
}

/// A decision staff took, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve { transfer_ref: String },
    Reject { reason: String },
}

/// Money a shop earned and where it is, for the shop's 货款 page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShopFunds {
    /// What buyers paid for orders released to the shop.
    pub sales_fen: i64,
    /// The platform fee taken on release, without the fund's share.
    pub fee_fen: i64,
    /// The fee's share that went to the buyer-protection fund.
    pub fund_fen: i64,
    /// What released orders brought into the shop wallet (sales − fee − fund).
    pub income_fen: i64,
    /// What after-sales refunds took back out of the shop wallet.
    pub refunds_fen: i64,
    /// Still in escrow for this shop's open orders.
    pub escrow_fen: i64,
    /// The shop wallet: what may be withdrawn.
    pub wallet_fen: i64,
    /// Requested and not yet decided.
    pub pending_fen: i64,
    /// Paid out so far (after fees).
    pub paid_out_fen: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_text_is_short_printable_and_trimmed() {
        assert_eq!(text("account", "  6222 0202  ", MAX_ACCOUNT).unwrap(), "6222 0202");
        assert!(matches!(text("account", " ", MAX_ACCOUNT), Err(Error::Invalid { reason: "required", .. })));
        assert!(matches!(
            text("account", "62\u{0}22", MAX_ACCOUNT),
            Err(Error::Invalid { reason: "control_character", .. })
        ));
        assert!(matches!(
            text("real_name", "张\n三", MAX_REAL_NAME),
            Err(Error::Invalid { reason: "control_character", .. })
        ));
        assert!(matches!(
            text("account", &"1".repeat(65), MAX_ACCOUNT),
            Err(Error::Invalid { reason: "too_long", .. })
        ));
        assert!(text("real_name", &"张".repeat(32), MAX_REAL_NAME).is_ok());
    }

    #[test]
    fn masks_show_at_most_the_last_four() {
        assert_eq!(mask("6222020200112233"), "****2233");
        assert_eq!(mask("alice@example.com"), "****.com");
        assert_eq!(mask("1234567"), "****");
        assert_eq!(mask("张三丰的账号很长呀"), "****号很长呀");
    }

    #[test]
    fn words_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()).unwrap(), m);
        }
        assert!(Method::parse("qqpay").is_err());
        assert_eq!(Method::Bank.label(), "银行卡");
        for s in [WithdrawalState::Requested, WithdrawalState::Paid, WithdrawalState::Rejected] {
            assert_eq!(WithdrawalState::parse(s.as_str()), Some(s));
        }
        for w in [Wallet::Shop(ShopId(3)), Wallet::User(UserId(7))] {
            assert_eq!(Wallet::parse_key(&w.key()), Some(w));
        }
        assert_eq!(Wallet::parse_key("escrow"), None);
    }
}
