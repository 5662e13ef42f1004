//! requested → paid | rejected, by platform staff. Once only: a second
//! decision is a conflict and posts nothing.

use serde_json::json;

use super::model::{Decision, MAX_REASON, MAX_TRANSFER_REF, Wallet, Withdrawal, WithdrawalId, WithdrawalState, text};
use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::ports::Tx;
use crate::push::{self, Note, PushEvent};

/// The decision with its text checked: a transfer reference to approve, a
/// reason to reject.
fn checked(decision: Decision) -> Result<Decision> {
    Ok(match decision {
        Decision::Approve { transfer_ref } => {
            Decision::Approve { transfer_ref: text("transfer_ref", &transfer_ref, MAX_TRANSFER_REF)? }
        }
        Decision::Reject { reason } => Decision::Reject { reason: text("reason", &reason, MAX_REASON)? },
    })
}

/// Approve: pending → paid out (amount − fee) and the fee to the platform.
/// Reject: pending → back to the wallet in full.
pub fn decide(
    tx: &mut dyn Tx,
    now: Timestamp,
    staff: &User,
    id: WithdrawalId,
    decision: Decision,
) -> Result<Withdrawal> {
    authz::decide_withdrawal(staff)?;
    let decision = checked(decision)?;
    let w = tx.withdrawal(id)?.ok_or(Error::NotFound)?;
    if w.state != WithdrawalState::Requested || !tx.decide_withdrawal(id, &decision, staff.id, now)? {
        return Err(Error::Conflict(Conflict::WithdrawalDecided));
    }
    let subject = w.subject();
    let (entry, kind, detail) = match &decision {
        Decision::Approve { transfer_ref } => (
            Entry::new(
                "withdrawal.pay",
                &subject,
                "提现打款",
                vec![
                    (Account::PendingWithdrawals, -w.amount_fen),
                    (Account::PaidOut, w.net_fen()),
                    (Account::PlatformFee, w.fee_fen),
                ],
            )?,
            "withdrawal.approved",
            json!({ "transfer_ref": transfer_ref, "paid_fen": w.net_fen() }),
        ),
        Decision::Reject { reason } => (
            Entry::new(
                "withdrawal.reject",
                &subject,
                "提现驳回，退回钱包",
                vec![(Account::PendingWithdrawals, -w.amount_fen), (w.wallet.account(), w.amount_fen)],
            )?,
            "withdrawal.rejected",
            json!({ "reason": reason }),
        ),
    };
    tx.post(&entry, now)?;
    let mut payload = json!({ "wallet": w.wallet.key(), "amount_fen": w.amount_fen, "fee_fen": w.fee_fen });
    if let (Some(p), Some(d)) = (payload.as_object_mut(), detail.as_object()) {
        p.extend(d.clone());
    }
    tx.append(NewEvent::new(now, Some(staff.id), kind, &subject, payload))?;
    let text = match &decision {
        Decision::Approve { .. } => format!("提现 {} 已打款", Fen::new(w.amount_fen)?),
        Decision::Reject { reason } => format!("提现 {} 被驳回：{reason}，金额已退回钱包", Fen::new(w.amount_fen)?),
    };
    let note = Note::new(PushEvent::WithdrawalDecided, &subject, text, "/wallet");
    match w.wallet {
        Wallet::Shop(shop) => push::notify_shop_team(tx, now, shop, false, &note)?,
        Wallet::User(user) => {
            push::notify_user(tx, now, user, &note)?;
        }
    }
    tx.withdrawal(id)?.ok_or(Error::NotFound)
}
