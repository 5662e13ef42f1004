//! Opening a case: inside the protection window, one open case per order; the
//! order's escrow freezes and the two clocks (12 h merchant, 24 h resolve) start.

use serde_json::json;

use super::evidence::{self, Attachment};
use super::{Case, CaseState, CaseType, record};
use crate::accounts::port::User;
use crate::cases::port::NewCase;
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Conflict, Error, Result};
use crate::orders::{Order, OrderState};
use crate::ports::Tx;
use crate::rules;
use crate::rules::Rule;
use crate::snapshot::Snapshot;
use crate::sourcing::model::{Protocol, StepState};
use crate::sourcing::relay_port::{RelayState, UpstreamCase};

/// A case as the buyer asks for it.
#[derive(Debug, Clone)]
pub struct OpenCase {
    pub kind: CaseType,
    pub description: String,
    pub mismatched: Vec<String>,
    pub screenshots: Vec<Attachment>,
}

fn check_request(order: &Order, req: &OpenCase) -> Result<()> {
    super::act::text(&req.description, "description")?;
    if !req.kind.fits(order.kind) {
        return Err(Error::Invalid { field: "type", reason: "not_for_this_product" });
    }
    if req.kind == CaseType::AccountMismatch {
        // Judged item by item against what the snapshot declared.
        let attrs = Snapshot::parse(&order.snapshot).map(|s| s.account_attrs).unwrap_or_default();
        let declared: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        if req.mismatched.is_empty() || req.mismatched.iter().any(|m| !declared.contains(&m.as_str())) {
            return Err(Error::Invalid { field: "mismatched_attributes", reason: "not_declared" });
        }
    } else if !req.mismatched.is_empty() {
        return Err(Error::Invalid { field: "mismatched_attributes", reason: "only_for_account_mismatch" });
    }
    Ok(())
}

fn check_window(order: &Order, now: Timestamp) -> Result<()> {
    match order.state {
        OrderState::Refunded => return Err(Error::Conflict(Conflict::OrderRefunded)),
        OrderState::AwaitingFulfilment | OrderState::Sourcing => {
            return Err(Error::Conflict(Conflict::OrderNotDelivered));
        }
        _ => {}
    }
    match order.protect_until {
        Some(until) if now < until => Ok(()),
        Some(until) => Err(Error::WindowClosed { closed_at_ms: until.millis() }),
        None => Err(Error::Conflict(Conflict::OrderNotDelivered)),
    }
}

/// The buyer opens a case on their own order. Foreign orders are 404; any
/// failure (bad screenshot, second case) leaves nothing behind.
pub fn open(tx: &mut dyn Tx, now: Timestamp, buyer: &User, order_no: &str, req: &OpenCase) -> Result<Case> {
    let mut order = tx.order_by_no(order_no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    check_request(&order, req)?;
    let types = evidence::check_screenshots(&req.screenshots)?;
    let earlier = tx.cases_of_order(order.id)?;
    if earlier.iter().any(|c| c.state.is_open()) {
        return Err(Error::Conflict(Conflict::CaseAlreadyOpen));
    }
    // A refund, an agreed partial refund or a platform rejection settled the
    // order; a reissue or a fulfilment did not (the new key may fail too).
    if earlier
        .iter()
        .any(|c| matches!(c.state, CaseState::ResolvedRefunded | CaseState::ResolvedPartial | CaseState::Rejected))
    {
        return Err(Error::Conflict(Conflict::CaseAlreadyDecided));
    }
    check_window(&order, now)?;
    let rules = rules::in_force(tx)?;
    let before = order.state;
    if matches!(order.state, OrderState::Delivered | OrderState::Fulfilled) {
        // Freeze escrow: the window's release must not fire while the case is open.
        if let Some(d) = order.deadline_id.take() {
            tx.cancel_deadline(d, now)?;
        }
        order.state = OrderState::Disputed;
        crate::orders::save(tx, now, &order)?;
    }
    let new = NewCase {
        order_id: order.id,
        order_no: order.no.clone(),
        buyer_id: buyer.id,
        shop_id: order.shop_id,
        kind: req.kind,
        description: req.description.trim().to_owned(),
        mismatched: req.mismatched.clone(),
        opened_at: now,
        merchant_due: now.plus_secs(rules.get(Rule::CaseMerchantSecs)),
        resolve_due: now.plus_secs(rules.get(Rule::CaseResolveSecs)),
        screenshots: i64::try_from(req.screenshots.len()).unwrap_or(0),
        order_state_before: before.as_str().to_owned(),
    };
    let id = tx.insert_case(&new)?;
    let mut case = tx.case(id)?.ok_or(Error::NotFound)?;
    let subject = case.subject();
    let merchant = NewDeadline::new(Due::CaseMerchant { case_id: id }, subject.clone(), case.merchant_due, now);
    case.merchant_deadline = Some(tx.schedule(&merchant)?);
    let resolve = NewDeadline::new(Due::CaseResolve { case_id: id }, subject.clone(), case.resolve_due, now);
    case.resolve_deadline = Some(tx.schedule(&resolve)?);
    // The shop's team is told 2 h before its deadline (when there are 2 h to spare).
    let warn_at = case.merchant_due.plus_secs(-CASE_WARN_SECS);
    if warn_at > now {
        tx.schedule(&NewDeadline::new(Due::CaseMerchantWarn { case_id: id }, subject.clone(), warn_at, now))?;
    }
    tx.update_case(&case)?;
    let attached = evidence::attach_records(tx, now, id, &order)?;
    let shots = evidence::store_screenshots(tx, now, id, buyer.id, "screenshot", &req.screenshots, &types)?;
    record(
        tx,
        now,
        &case,
        Some(buyer.id),
        "buyer",
        "case.opened",
        json!({ "order_no": order.no, "type": req.kind.as_str(), "description": case.description,
                "mismatched_attributes": case.mismatched, "screenshots_sha256": shots, "attached_sha256": attached,
                "merchant_due": case.merchant_due.millis(), "resolve_due": case.resolve_due.millis(),
                "escrow_frozen_fen": order.escrow_fen }),
    )?;
    tx.append(crate::evidence::NewEvent::new(
        now,
        Some(buyer.id),
        "order.case_opened",
        format!("order:{}", order.no),
        json!({ "case_id": id.0, "escrow_frozen": order.state == OrderState::Disputed }),
    ))?;
    relay_upstream(tx, now, &case)?;
    tx.insert_notification(
        order.shop_id,
        "shop",
        "case_opened",
        &subject,
        &format!(
            "订单 {} 有新的售后申请（{}），请在 {}内处理",
            order.no,
            req.kind.label(),
            crate::rules::words::duration((case.merchant_due.millis() - now.millis()) / 1000)
        ),
        now,
    )?;
    let text = format!("订单 {} 有新的售后申请（{}），请在 12 小时内处理", order.no, req.kind.label());
    let note = crate::push::Note::new(crate::push::PushEvent::CaseOpened, &subject, text, format!("/cases/{}", id.0));
    crate::push::notify_shop_team(tx, now, order.shop_id, true, &note)?;
    Ok(case)
}

/// How long before the merchant's deadline its team is warned.
pub const CASE_WARN_SECS: i64 = 2 * 3_600;

/// A case on an order an upstream Youying site delivered (货源对接) is relayed
/// there too: a step row the server works (`sourcing::relay`). A direct-top-up
/// supplier takes no cases: that order is the shop's own to answer for.
fn relay_upstream(tx: &mut dyn Tx, now: Timestamp, case: &Case) -> Result<()> {
    let Some(step) = tx.upstream_order(case.order_id)? else { return Ok(()) };
    let site = tx.connection(step.connection_id)?.is_some_and(|c| c.protocol == Protocol::Youying);
    if step.state != StepState::Done || !site {
        return Ok(());
    }
    tx.insert_upstream_case(&UpstreamCase {
        case_id: case.id,
        order_id: case.order_id,
        connection_id: step.connection_id,
        downstream_order_no: step.downstream_order_no.clone(),
        state: RelayState::Opening,
        upstream_case_id: None,
        upstream_state: None,
        applied: None,
        attempts: 0,
        next_attempt_at: Some(now),
        last_error: None,
        created_at: now,
        updated_at: now,
    })?;
    let detail = json!({ "upstream": step.connection_id.0, "upstream_order_no": step.upstream_order_no });
    tx.append(crate::evidence::NewEvent::new(now, None, "case.relaying", case.subject(), detail))
}
