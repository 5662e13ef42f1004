//! Where a refund's money comes from: the order's escrow first; what escrow no
//! longer holds (released to the shop already) from the shop's wallet, then its
//! deposit, then the buyer-protection fund, and — should even the fund run dry —
//! the platform's own cash. The buyer is made whole either way, in one balanced
//! entry whose lines say who paid what.

use serde::Serialize;
use serde_json::json;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::orders::Order;
use crate::ports::Tx;

/// Who paid how much of one refund, in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sources {
    pub escrow: i64,
    pub shop_wallet: i64,
    pub deposit: i64,
    pub protection_fund: i64,
    pub platform: i64,
}

impl Sources {
    pub fn total(&self) -> i64 {
        self.escrow + self.shop_wallet + self.deposit + self.protection_fund + self.platform
    }
}

/// Splits `amount` over what each source holds, in waterfall order. Pure.
pub fn split(amount: i64, escrow: i64, wallet: i64, deposit: i64, fund: i64) -> Sources {
    let mut rest = amount.max(0);
    let mut take = |held: i64| {
        let t = rest.min(held.max(0));
        rest -= t;
        t
    };
    let escrow = take(escrow);
    let shop_wallet = take(wallet);
    let deposit = take(deposit);
    let protection_fund = take(fund);
    Sources { escrow, shop_wallet, deposit, protection_fund, platform: rest }
}

/// Pays `amount` to the order's buyer; lowers `order.escrow_fen` by what escrow
/// paid (the caller saves the order). Records `case.refund_paid` on `subject`.
pub fn refund(
    tx: &mut dyn Tx,
    now: Timestamp,
    order: &mut Order,
    amount: Fen,
    subject: &str,
    reason: &str,
) -> Result<Sources> {
    let shop = order.shop_id;
    let s = split(
        amount.get(),
        order.escrow_fen,
        tx.balance(Account::ShopWallet(shop))?,
        tx.balance(Account::ShopDeposit(shop))?,
        tx.balance(Account::ProtectionFund)?,
    );
    if amount.get() > 0 {
        let lines = vec![
            (Account::Escrow, -s.escrow),
            (Account::ShopWallet(shop), -s.shop_wallet),
            (Account::ShopDeposit(shop), -s.deposit),
            (Account::ProtectionFund, -s.protection_fund),
            (Account::PlatformCash, -s.platform),
            (Account::UserWallet(order.buyer_id), amount.get()),
        ];
        tx.post(&Entry::new("case.refund", subject, format!("售后退款 订单 {}", order.no), lines)?, now)?;
    }
    order.escrow_fen -= s.escrow;
    tx.append(NewEvent::new(
        now,
        None,
        "case.refund_paid",
        subject,
        json!({ "order_no": order.no, "amount_fen": amount.get(), "reason": reason, "sources": s }),
    ))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waterfall_fills_from_escrow_then_wallet_deposit_fund_platform() {
        assert_eq!(split(100, 100, 5, 5, 5), Sources { escrow: 100, ..Sources::default() });
        let s = split(100, 0, 30, 50, 10);
        assert_eq!((s.shop_wallet, s.deposit, s.protection_fund, s.platform), (30, 50, 10, 10));
        assert_eq!(s.total(), 100);
        assert_eq!(split(0, 10, 10, 10, 10), Sources::default());
    }
}
