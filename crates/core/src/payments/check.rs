//! The gateway's word, and ours: notifies kept and acted on, order queries
//! owed and answered, and the reconciliation that asks about what no notify
//! settled. Money is credited only on a query's "paid" for the very amount
//! asked (or an admin's hand, see [`super::credit`]): a notify, however well
//! signed, only makes a query due.

use serde_json::json;

use super::attempt::subject;
use super::credit::credit;
use super::model::{AttemptState, QueryResult, Settlement};
use super::port::NotifyRecord;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::ports::Tx;

/// What the notify endpoint answers the gateway: `success` stops its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyReply {
    Success,
    Fail,
}

impl NotifyReply {
    pub fn body(self) -> &'static str {
        match self {
            NotifyReply::Success => "success",
            NotifyReply::Fail => "fail",
        }
    }
}

/// Keeps the notify, and for a verified one about an unsettled attempt makes
/// a query due now (the second value: whether it did). A replay for a paid
/// attempt answers `success` and changes nothing but the kept record.
pub fn notified(
    tx: &mut dyn Tx,
    now: Timestamp,
    record: &NotifyRecord,
    trade_no: Option<&str>,
) -> Result<(NotifyReply, bool)> {
    // The attempt is locked before the record referring to it is written:
    // the other order lets concurrent twins deadlock on PostgreSQL (the
    // foreign key's share lock, then each waiting for the other's).
    let locked = match record.attempt_id.filter(|_| record.verified) {
        Some(id) => tx.lock_payment(id)?,
        None => None,
    };
    tx.insert_notify(record)?;
    let (Some(a), Some(trade_no)) = (locked, trade_no) else {
        return Ok((NotifyReply::Fail, false));
    };
    if a.state == AttemptState::Paid {
        return Ok((NotifyReply::Success, false));
    }
    if a.notified_at.is_none() {
        tx.set_payment_notified(a.id, now, trade_no)?;
        tx.append(NewEvent::new(
            now,
            None,
            "payment.notified",
            subject(&a.out_trade_no),
            json!({ "trade_no": trade_no, "from": record.remote }),
        ))?;
    }
    tx.schedule_check(a.id, now)?;
    Ok((NotifyReply::Success, true))
}

/// A query that failed is asked again this many times before it is dropped
/// (the reconciliation owes a new one later while the attempt is pending).
pub const MAX_CHECK_ATTEMPTS: i64 = 10;
/// A notified attempt the gateway still calls unpaid is asked again this many
/// times: some gateways notify a moment before their query agrees.
const NOTIFIED_RECHECKS: i64 = 3;

/// The wait after failed query number `attempts`: 15 s, doubling, at most an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    (15_i64 << doublings).min(3_600)
}

/// What one answered query did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Credited,
    AlreadyPaid,
    /// Paid, but not the amount asked: left for an admin.
    WrongAmount,
    Unpaid,
    /// Not answered; asked again later (or given up).
    Retry,
}

/// Acts on the gateway's answer about attempt `attempt_id`.
pub fn checked(tx: &mut dyn Tx, now: Timestamp, attempt_id: i64, result: &QueryResult) -> Result<CheckOutcome> {
    let Some(a) = tx.lock_payment(attempt_id)? else { return Ok(CheckOutcome::AlreadyPaid) };
    if a.state == AttemptState::Paid {
        tx.check_done(a.id, now)?;
        return Ok(CheckOutcome::AlreadyPaid);
    }
    let queried = |tx: &mut dyn Tx, answer: serde_json::Value| {
        tx.append(NewEvent::new(now, None, "payment.queried", subject(&a.out_trade_no), answer))
    };
    match result {
        QueryResult::Paid { trade_no, amount_fen } if *amount_fen == a.amount_fen => {
            queried(tx, json!({ "answer": "paid", "trade_no": trade_no }))?;
            credit(tx, now, &a, trade_no, Settlement::Query, None)?;
            Ok(CheckOutcome::Credited)
        }
        QueryResult::Paid { trade_no, amount_fen } => {
            queried(tx, json!({ "answer": "paid_other_amount", "trade_no": trade_no, "amount_fen": amount_fen }))?;
            tx.check_done(a.id, now)?;
            Ok(CheckOutcome::WrongAmount)
        }
        QueryResult::Unpaid | QueryResult::NotFound => {
            let answer = if *result == QueryResult::Unpaid { "unpaid" } else { "not_found" };
            queried(tx, json!({ "answer": answer }))?;
            if a.notified_at.is_some() && a.check_attempts < NOTIFIED_RECHECKS {
                tx.check_failed(a.id, now, Some(now.plus_secs(backoff_secs(a.check_attempts))), answer)?;
            } else {
                tx.check_done(a.id, now)?;
            }
            Ok(CheckOutcome::Unpaid)
        }
        QueryResult::Refused(error) | QueryResult::Unreachable(error) => {
            let retry = (a.check_attempts < MAX_CHECK_ATTEMPTS).then(|| now.plus_secs(backoff_secs(a.check_attempts)));
            if retry.is_none() {
                queried(tx, json!({ "answer": "gave_up", "error": error }))?;
            }
            tx.check_failed(a.id, now, retry, error)?;
            Ok(CheckOutcome::Retry)
        }
    }
}

/// Pending attempts this old with no notify are asked about…
pub const RECONCILE_AFTER_SECS: i64 = 120;
/// …and asked again at most this often.
pub const RECONCILE_EVERY_SECS: i64 = 300;

/// The reconciliation: owes a query for every pending attempt no notify
/// settled. Returns how many it scheduled.
pub fn reconcile(tx: &mut dyn Tx, now: Timestamp, limit: usize) -> Result<usize> {
    let ids = tx.unsettled(now.plus_secs(-RECONCILE_AFTER_SECS), now.plus_secs(-RECONCILE_EVERY_SECS), limit)?;
    for id in &ids {
        tx.schedule_check(*id, now)?;
    }
    Ok(ids.len())
}
