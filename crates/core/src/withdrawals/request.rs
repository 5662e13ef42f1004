//! requested: the amount leaves the wallet for `PendingWithdrawals`, with the
//! row, in one transaction.

use serde_json::json;

use super::model::{DAY_SECS, NewWithdrawal, Wallet, Withdrawal, WithdrawalInput};
use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen, MAX_FEN};
use crate::ports::Tx;
use crate::rules::{self, Rule};
use crate::shops::port::ShopRead;

/// The fee on `amount` at `bp` basis points, rounded down: a fee never
/// creates a fen, and small withdrawals may pay none.
pub fn fee_for(amount: Fen, bp: i64) -> Fen {
    amount.share_bp(bp)
}

/// Who may take money out of `wallet` (or see its withdrawals): a shop's
/// owner (not its agents, not staff), or a buyer from their own wallet.
pub fn may_withdraw(tx: &mut dyn ShopRead, actor: &User, wallet: Wallet) -> Result<()> {
    match wallet {
        Wallet::Shop(id) => {
            let shop = tx.shop(id)?.ok_or(Error::NotFound)?;
            authz::withdraw_from_shop(actor, &shop)
        }
        Wallet::User(id) if id == actor.id => authz::withdraw_own(actor),
        Wallet::User(_) => Err(Error::NotFound),
    }
}

/// Records a request and moves its amount out of the wallet. Refused with
/// nothing changed: below the minimum (`AmountOutOfRange`), more than the
/// wallet holds (`InsufficientFunds`), over the daily limit (`DailyLimit`).
pub fn request(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    wallet: Wallet,
    input: WithdrawalInput,
) -> Result<Withdrawal> {
    may_withdraw(tx, actor, wallet)?;
    let r = rules::in_force(tx)?;
    let min = r.get(Rule::WithdrawMinFen);
    let amount = Fen::new(input.amount_fen).map_err(|_| Error::AmountOutOfRange { min_fen: min, max_fen: MAX_FEN })?;
    if amount.get() < min {
        return Err(Error::AmountOutOfRange { min_fen: min, max_fen: MAX_FEN });
    }
    if !input.account_masked.starts_with("****") || input.account_masked.chars().count() > 8 {
        return Err(Error::Invalid { field: "account", reason: "mask" });
    }
    let fee = fee_for(amount, r.get(Rule::WithdrawFeeBp));
    let id = tx.insert_withdrawal(&NewWithdrawal {
        wallet,
        requested_by: actor.id,
        amount_fen: amount.get(),
        fee_fen: fee.get(),
        method: input.method,
        account: input.account,
        account_masked: input.account_masked,
        real_name: input.real_name,
        requested_at: now,
    })?;
    let w = tx.withdrawal(id)?.ok_or(Error::NotFound)?;
    // Posting locks the wallet's balance until commit, so the daily sum read
    // after it sees every concurrent request on this wallet that got there first.
    tx.post(
        &Entry::transfer(
            "withdrawal.request",
            w.subject(),
            "申请提现",
            wallet.account(),
            Account::PendingWithdrawals,
            amount,
        )?,
        now,
    )?;
    let limit = r.get(Rule::WithdrawDailyFen);
    let today = tx.withdrawn_since(wallet, now.plus_secs(-DAY_SECS))?;
    if today > limit {
        let left_fen = (limit - (today - amount.get())).max(0);
        return Err(Error::DailyLimit { limit_fen: limit, left_fen });
    }
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "withdrawal.requested",
        w.subject(),
        json!({
            "wallet": wallet.key(),
            "amount_fen": w.amount_fen,
            "fee_fen": w.fee_fen,
            "method": w.method.as_str(),
            "account_masked": w.account_masked,
        }),
    ))?;
    Ok(w)
}
