//! The penalty ladder. Every breach a shop commits (`chat_reply`, `topup_late`,
//! `case_silence`, …) goes through [`record_breach`], which counts the shop's
//! breaches in the rolling window and applies the step this breach reached:
//! warning → down-ranking → fine from the deposit → suspension. Each step acts
//! once per crossing of its threshold and tells the owner which breaches led to
//! it. Only an admin lifts a penalty, and only with a written reason.
//!
//! A fine the deposit cannot cover takes what the deposit holds and records the
//! rest as a shortfall on the penalty (never a negative deposit); the shop's
//! listings are then hidden anyway, since the deposit is below the minimum.

pub mod admin;
pub mod model;
pub mod port;

pub use self::model::{BreachKind, NewPenalty, Party, Penalty, PenaltyKind, PenaltyState};
pub use self::port::{Breach, EnforcementRead, EnforcementTx};

use serde_json::{Value, json};

use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::ports::Tx;
use crate::rules::Rule;
use crate::rules::{self, Rules};
use crate::values::ShopId;

/// How much a down-ranking lowers each product's search rank: enough to sort
/// below every unpenalised peer, bounded by the search crate's rank factor.
pub const DOWNRANK_RANK: i64 = 1_000;

/// Records a shop's breach and applies the ladder step it reaches, in the
/// caller's transaction. Returns the breach id.
/// Charges a breach to the platform itself (its own agents let a deadline
/// pass): recorded and published like a shop's, never on a shop's ladder.
pub fn record_platform_breach(
    tx: &mut dyn Tx,
    now: Timestamp,
    shop: ShopId,
    kind: BreachKind,
    subject: &str,
    detail: &Value,
    late_ms: Option<i64>,
) -> Result<i64> {
    let id = tx.insert_platform_breach(shop, kind, subject, now, &detail.to_string())?;
    let mut event = json!({ "breach_id": id, "kind": kind.as_str(), "subject": subject });
    if let Some(late) = late_ms {
        event["late_ms"] = json!(late);
    }
    tx.append(NewEvent::new(now, None, "breach.recorded", "platform", event))?;
    Ok(id)
}

pub fn record_breach(
    tx: &mut dyn Tx,
    now: Timestamp,
    shop: ShopId,
    kind: BreachKind,
    subject: &str,
    detail: &Value,
) -> Result<i64> {
    // Concurrent breaches of one shop are counted one after the other.
    tx.lock_shop(shop)?;
    let id = tx.insert_breach(shop, kind, subject, now, &detail.to_string())?;
    tx.append(NewEvent::new(
        now,
        None,
        "breach.recorded",
        format!("shop:{shop}"),
        json!({ "breach_id": id, "kind": kind.as_str(), "subject": subject, "detail": detail }),
    ))?;
    let note = crate::push::Note::new(
        crate::push::PushEvent::Breach,
        subject,
        format!("店铺被记违约一次：{}", kind.label()),
        "/merchant",
    );
    crate::push::notify_shop_team(tx, now, shop, false, &note)?;
    let rules = rules::in_force(tx)?;
    let recent = tx.shop_breaches_since(shop, now.plus_secs(-rules.get(Rule::PenaltyWindowSecs)))?;
    let count = i64::try_from(recent.len()).unwrap_or(i64::MAX);
    for (step, rule) in PenaltyKind::LADDER {
        let threshold = rules.get(rule);
        // A crossing: this breach took the count from below the threshold to it.
        // A 4th breach does not start a second down-ranking; after old breaches
        // leave the window, reaching the threshold again is a new crossing.
        if count >= threshold && count - 1 < threshold {
            apply(tx, now, shop, step, &recent, &rules)?;
        }
    }
    Ok(id)
}

fn apply(
    tx: &mut dyn Tx,
    now: Timestamp,
    shop: ShopId,
    kind: PenaltyKind,
    recent: &[Breach],
    rules: &Rules,
) -> Result<()> {
    let mut new = NewPenalty {
        shop_id: shop,
        kind,
        started_at: now,
        ends_at: None,
        breach_ids: recent.iter().map(|b| b.id).collect(),
        amount_fen: 0,
        shortfall_fen: 0,
    };
    match kind {
        PenaltyKind::Downrank => new.ends_at = Some(now.plus_secs(rules.get(Rule::PenaltyDownrankSecs))),
        PenaltyKind::Fine => {
            let fine = rules.get(Rule::PenaltyFineFen);
            new.amount_fen = fine.min(tx.balance(Account::ShopDeposit(shop))?.max(0));
            new.shortfall_fen = fine - new.amount_fen;
        }
        PenaltyKind::Warning | PenaltyKind::Suspension => {}
    }
    let id = tx.insert_penalty(&new)?;
    let subject = format!("penalty:{id}");
    if new.amount_fen > 0 {
        let entry = Entry::transfer(
            "penalty.fine",
            &subject,
            "违规罚款",
            Account::ShopDeposit(shop),
            Account::PlatformFee,
            Fen::new(new.amount_fen)?,
        )?;
        tx.post(&entry, now)?;
    }
    if let Some(end) = new.ends_at {
        let d = tx.schedule(&NewDeadline::new(Due::PenaltyEnd { penalty_id: id }, subject.clone(), end, now))?;
        let mut p = tx.penalty(id)?.ok_or(Error::NotFound)?;
        p.deadline_id = Some(d);
        tx.update_penalty(&p)?;
    }
    if kind != PenaltyKind::Warning {
        tx.touch_shop_products(shop, now)?;
    }
    tx.append(NewEvent::new(
        now,
        None,
        "penalty.applied",
        &subject,
        json!({ "shop_id": shop.0, "kind": kind.as_str(), "breach_ids": new.breach_ids,
                "ends_at": new.ends_at.map(Timestamp::millis), "amount_fen": new.amount_fen, "shortfall_fen": new.shortfall_fen }),
    ))?;
    let body = notice_body(&new, recent, rules);
    tx.insert_notification(shop, "shop", &format!("penalty_{}", kind.as_str()), &subject, &body, now)?;
    Ok(())
}

/// What the owner is told: the step, its consequence, and every breach behind it.
fn notice_body(p: &NewPenalty, recent: &[Breach], rules: &Rules) -> String {
    let days = rules.get(Rule::PenaltyWindowSecs) / 86_400;
    let what = match p.kind {
        PenaltyKind::Warning => "请及时回复买家、按时发货，再次违规将降权。".to_owned(),
        PenaltyKind::Downrank => {
            format!("店铺商品在搜索中降权 {} 天，店铺页显示降权提示。", rules.get(Rule::PenaltyDownrankSecs) / 86_400)
        }
        PenaltyKind::Fine if p.shortfall_fen > 0 => format!(
            "罚款 {}：保证金仅够扣除 {}，差额 {} 已记录；保证金低于下限期间商品不展示。",
            fen(p.amount_fen + p.shortfall_fen),
            fen(p.amount_fen),
            fen(p.shortfall_fen)
        ),
        PenaltyKind::Fine => format!("已从保证金扣除罚款 {}。", fen(p.amount_fen)),
        PenaltyKind::Suspension => "全部商品已下架，等待平台审核。".to_owned(),
    };
    let list: Vec<String> = recent.iter().map(|b| format!("#{} {}（{}）", b.id, b.kind.label(), b.subject)).collect();
    format!("【{}】{} 天内违规 {} 次。{} 违规记录：{}", p.kind.label(), days, recent.len(), what, list.join("；"))
}

fn fen(v: i64) -> String {
    Fen::new(v).map_or_else(|_| format!("{v} 分"), |f| f.to_string())
}

/// Deadline handler: a down-ranking ran its course.
pub fn penalty_ended(tx: &mut dyn Tx, now: Timestamp, id: i64) -> Result<()> {
    let Some(mut p) = tx.penalty(id)? else { return Ok(()) };
    if p.state != PenaltyState::Active {
        return Ok(());
    }
    p.state = PenaltyState::Ended;
    p.deadline_id = None;
    tx.update_penalty(&p)?;
    tx.touch_shop_products(p.shop_id, now)?;
    let subject = format!("penalty:{id}");
    tx.append(NewEvent::new(now, None, "penalty.ended", &subject, json!({ "shop_id": p.shop_id.0 })))?;
    tx.insert_notification(p.shop_id, "shop", "penalty_ended", &subject, "【降权结束】店铺商品已恢复正常排序。", now)?;
    Ok(())
}

/// An admin lifts a penalty, with a written reason that is kept. A lifted fine
/// is refunded to the deposit; a lifted suspension or down-ranking restores
/// the listings at once.
pub fn lift(tx: &mut dyn Tx, now: Timestamp, admin: &User, id: i64, reason: &str) -> Result<Penalty> {
    authz::admin(admin)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::Invalid { field: "reason", reason: "length_1_500" });
    }
    let mut p = tx.penalty(id)?.ok_or(Error::NotFound)?;
    if p.state != PenaltyState::Active {
        return Err(Error::Conflict(Conflict::PenaltyNotActive));
    }
    let subject = format!("penalty:{id}");
    if p.amount_fen > 0 {
        let entry = Entry::transfer(
            "penalty.refund",
            &subject,
            "罚款撤销退回",
            Account::PlatformFee,
            Account::ShopDeposit(p.shop_id),
            Fen::new(p.amount_fen)?,
        )?;
        tx.post(&entry, now)?;
    }
    if let Some(d) = p.deadline_id.take() {
        tx.cancel_deadline(d, now)?;
    }
    p.state = PenaltyState::Lifted;
    p.lifted_by = Some(admin.id);
    p.lift_reason = Some(reason.to_owned());
    p.lifted_at = Some(now);
    tx.update_penalty(&p)?;
    tx.touch_shop_products(p.shop_id, now)?;
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "penalty.lifted",
        &subject,
        json!({ "shop_id": p.shop_id.0, "kind": p.kind.as_str(), "reason": reason, "refund_fen": p.amount_fen }),
    ))?;
    let body = format!("【{}已撤销】平台说明：{reason}", p.kind.label());
    tx.insert_notification(p.shop_id, "shop", "penalty_lifted", &subject, &body, now)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_states_round_trip() {
        for k in [PenaltyKind::Warning, PenaltyKind::Downrank, PenaltyKind::Fine, PenaltyKind::Suspension] {
            assert_eq!(PenaltyKind::parse(k.as_str()), Some(k));
        }
        for s in [PenaltyState::Active, PenaltyState::Ended, PenaltyState::Lifted] {
            assert_eq!(PenaltyState::parse(s.as_str()), Some(s));
        }
        assert_eq!(BreachKind::CaseSilence.label(), "售后超时未处理");
        for k in BreachKind::ALL {
            assert_eq!(BreachKind::parse(k.as_str()), Some(k));
        }
        let mut names: Vec<_> = BreachKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, BreachKind::ALL.map(BreachKind::as_str), "sorting by kind sorts by name");
        assert!(Party::Platform.as_str() < Party::Shop.as_str());
    }

    #[test]
    fn a_downranking_is_in_force_until_its_end() {
        let t = Timestamp::from_millis(1_000_000);
        let p = Penalty {
            id: 1,
            shop_id: ShopId(1),
            kind: PenaltyKind::Downrank,
            state: PenaltyState::Active,
            started_at: t,
            ends_at: Some(t.plus_secs(10)),
            breach_ids: vec![],
            amount_fen: 0,
            shortfall_fen: 0,
            deadline_id: None,
            lifted_by: None,
            lift_reason: None,
            lifted_at: None,
        };
        assert!(p.in_force(t.plus_secs(9)));
        assert!(!p.in_force(t.plus_secs(10)));
        assert!(!Penalty { state: PenaltyState::Lifted, ..p }.in_force(t));
    }
}
