//! The two clocks every case runs on, as deadline handlers.
//!
//! At the merchant's deadline (12 h) with the merchant silent: a `case_silence`
//! breach, then a full refund for a dead key or a missing top-up with a
//! screenshot on file, or platform arbitration for everything else.
//! At the resolve deadline (24 h), the safety net: a remedy already delivered
//! (reissue, fulfilment) that the buyer neither accepted nor refused stands;
//! anything else still open is refunded in full and recorded as the platform's
//! own breach — the platform let a case outlive its promise.

use serde_json::json;

use super::act::to_arbitration;
use super::close::{Closing, Money, close};
use super::{Case, CaseState};
use crate::clock::Timestamp;
use crate::enforcement::{self, BreachKind};
use crate::error::Result;
use crate::ports::Tx;
use crate::values::CaseId;

/// Merchant silence: a `case_silence` breach, counted on the penalty ladder.
fn shop_breach(tx: &mut dyn Tx, now: Timestamp, case: &Case) -> Result<i64> {
    let detail = json!({ "case_id": case.id.0, "order_no": case.order_no, "merchant_due": case.merchant_due.millis() });
    crate::enforcement::record_breach(tx, now, case.shop_id, BreachKind::CaseSilence, &case.subject(), &detail)
}

/// Deadline handler: the merchant's 12 hours are up.
/// Deadline handler: 2 h before the merchant's deadline, a case still
/// awaiting the merchant is brought to the shop team's attention.
pub fn merchant_warning(tx: &mut dyn Tx, now: Timestamp, id: CaseId) -> Result<()> {
    let Some(case) = tx.case(id)? else { return Ok(()) };
    if case.state != CaseState::AwaitingMerchant {
        return Ok(());
    }
    let text = format!("售后 #{} 将在 2 小时内超时，请尽快处理", case.id);
    let note = crate::push::Note::new(
        crate::push::PushEvent::CaseDueSoon,
        case.subject(),
        text,
        format!("/cases/{}", case.id),
    );
    crate::push::notify_shop_team(tx, now, case.shop_id, true, &note)
}

pub fn merchant_deadline(tx: &mut dyn Tx, now: Timestamp, id: CaseId) -> Result<()> {
    let Some(mut case) = tx.case(id)? else { return Ok(()) };
    case.merchant_deadline = None; // this deadline is the one firing
    if case.state != CaseState::AwaitingMerchant {
        return tx.update_case(&case);
    }
    let breach = shop_breach(tx, now, &case)?;
    if case.kind.auto_refundable() && case.screenshots > 0 {
        let c = Closing {
            state: CaseState::ResolvedRefunded,
            outcome: "auto_refund_merchant_silent",
            money: Money::Full,
            actor: None,
            side: "system",
            reason: None,
            extra: json!({ "breach_id": breach }),
        };
        close(tx, now, &mut case, c)
    } else {
        to_arbitration(tx, now, &mut case, "system", None, json!({ "reason": "merchant_silent", "breach_id": breach }))
    }
}

/// Deadline handler: 24 hours since the case opened.
pub fn resolve_deadline(tx: &mut dyn Tx, now: Timestamp, id: CaseId) -> Result<()> {
    let Some(mut case) = tx.case(id)? else { return Ok(()) };
    case.resolve_deadline = None;
    if !case.state.is_open() {
        return tx.update_case(&case);
    }
    let delivered = match case.remedy.as_deref() {
        Some("reissue") if case.state == CaseState::AwaitingBuyer => Some(CaseState::ResolvedReissued),
        Some("fulfil") if case.state == CaseState::AwaitingBuyer => Some(CaseState::ResolvedFulfilled),
        _ => None,
    };
    if let Some(state) = delivered {
        let c = Closing {
            state,
            outcome: "remedy_stands_buyer_silent",
            money: Money::None,
            actor: None,
            side: "system",
            reason: None,
            extra: json!({}),
        };
        return close(tx, now, &mut case, c);
    }
    let subject = case.subject();
    let detail = json!({ "case_id": case.id.0, "order_no": case.order_no, "state": case.state.as_str(), "resolve_due": case.resolve_due.millis() });
    let breach = enforcement::record_platform_breach(
        tx,
        now,
        case.shop_id,
        BreachKind::PlatformCaseUnresolved,
        &subject,
        &detail,
        None,
    )?;
    let c = Closing {
        state: CaseState::ResolvedRefunded,
        outcome: "safety_net_refund",
        money: Money::Full,
        actor: None,
        side: "system",
        reason: None,
        extra: json!({ "platform_breach_id": breach }),
    };
    close(tx, now, &mut case, c)
}
