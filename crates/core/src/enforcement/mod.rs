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

pub mod port;

pub use self::port::{Breach, EnforcementRead, EnforcementTx};

use serde_json::{Value, json};

use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::deadline::{Due, NewDeadline};
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::ports::Tx;
use crate::rules::Rule;
use crate::rules::{self, Rules};
use crate::values::{DeadlineId, ShopId, UserId};

/// How much a down-ranking lowers each product's search rank: enough to sort
/// below every unpenalised peer, bounded by the search crate's rank factor.
pub const DOWNRANK_RANK: i64 = 1_000;

/// What a shop (or the platform itself) failed to do in time. Variants are in
/// the order of their stored names, so sorting by kind sorts by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BreachKind {
    /// An after-sales case the merchant left past its deadline.
    CaseSilence,
    /// A buyer's message the shop left unanswered past the reply rule.
    ChatReply,
    /// A case nobody resolved in time; the platform refunded.
    PlatformCaseUnresolved,
    /// A buyer's message to the platform left unanswered.
    PlatformChatReply,
    /// A direct top-up not delivered in its promised time.
    TopupLate,
}

impl BreachKind {
    pub const ALL: [BreachKind; 5] = [
        BreachKind::CaseSilence,
        BreachKind::ChatReply,
        BreachKind::PlatformCaseUnresolved,
        BreachKind::PlatformChatReply,
        BreachKind::TopupLate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BreachKind::CaseSilence => "case_silence",
            BreachKind::ChatReply => "chat_reply",
            BreachKind::PlatformCaseUnresolved => "platform_case_unresolved",
            BreachKind::PlatformChatReply => "platform_chat_reply",
            BreachKind::TopupLate => "topup_late",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Who the breach is charged to.
    pub fn party(self) -> Party {
        match self {
            BreachKind::PlatformCaseUnresolved | BreachKind::PlatformChatReply => Party::Platform,
            _ => Party::Shop,
        }
    }

    /// The kind as merchants read it.
    pub fn label(self) -> &'static str {
        match self {
            BreachKind::ChatReply => "超时未回复买家",
            BreachKind::TopupLate => "直充超时未到账",
            BreachKind::CaseSilence => "售后超时未处理",
            BreachKind::PlatformCaseUnresolved | BreachKind::PlatformChatReply => "其他违规",
        }
    }
}

/// Whose breach it is: the merchant's, or the platform's own. Variants in the
/// order of their stored names, like [`BreachKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    Platform,
    Shop,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Platform => "platform",
            Party::Shop => "shop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Party::Platform, Party::Shop].into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PenaltyKind {
    Warning,
    Downrank,
    Fine,
    Suspension,
}

impl PenaltyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PenaltyKind::Warning => "warning",
            PenaltyKind::Downrank => "downrank",
            PenaltyKind::Fine => "fine",
            PenaltyKind::Suspension => "suspension",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "warning" => PenaltyKind::Warning,
            "downrank" => PenaltyKind::Downrank,
            "fine" => PenaltyKind::Fine,
            "suspension" => PenaltyKind::Suspension,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            PenaltyKind::Warning => "警告",
            PenaltyKind::Downrank => "降权",
            PenaltyKind::Fine => "罚款",
            PenaltyKind::Suspension => "封店（全部商品下架待审）",
        }
    }

    /// The ladder, lowest step first, with the rule holding each threshold.
    const LADDER: [(PenaltyKind, Rule); 4] = [
        (PenaltyKind::Warning, Rule::PenaltyWarnAt),
        (PenaltyKind::Downrank, Rule::PenaltyDownrankAt),
        (PenaltyKind::Fine, Rule::PenaltyFineAt),
        (PenaltyKind::Suspension, Rule::PenaltySuspendAt),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PenaltyState {
    Active,
    /// A down-ranking that ran its course.
    Ended,
    Lifted,
}

impl PenaltyState {
    pub fn as_str(self) -> &'static str {
        match self {
            PenaltyState::Active => "active",
            PenaltyState::Ended => "ended",
            PenaltyState::Lifted => "lifted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => PenaltyState::Active,
            "ended" => PenaltyState::Ended,
            "lifted" => PenaltyState::Lifted,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            PenaltyState::Active => "生效中",
            PenaltyState::Ended => "已到期",
            PenaltyState::Lifted => "已撤销",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPenalty {
    pub shop_id: ShopId,
    pub kind: PenaltyKind,
    pub started_at: Timestamp,
    /// When a down-ranking ends by itself.
    pub ends_at: Option<Timestamp>,
    /// The breaches in the window when the step was reached: the evidence.
    pub breach_ids: Vec<i64>,
    /// A fine's amount actually taken from the deposit.
    pub amount_fen: i64,
    /// What the deposit could not cover of a fine.
    pub shortfall_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub id: i64,
    pub shop_id: ShopId,
    pub kind: PenaltyKind,
    pub state: PenaltyState,
    pub started_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub breach_ids: Vec<i64>,
    pub amount_fen: i64,
    pub shortfall_fen: i64,
    pub deadline_id: Option<DeadlineId>,
    pub lifted_by: Option<UserId>,
    pub lift_reason: Option<String>,
    pub lifted_at: Option<Timestamp>,
}

impl Penalty {
    /// Active and, for a down-ranking, not yet past its end (the deadline that
    /// ends it may fire a moment late; readers never see it overrun).
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.state == PenaltyState::Active && self.ends_at.is_none_or(|e| e > now)
    }
}

/// Records a shop's breach and applies the ladder step it reaches, in the
/// caller's transaction. Returns the breach id.
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
