//! The merchant deposit (保证金) and what a shop's standing allows. A shop whose
//! deposit is below the minimum, or that is suspended, has its listings hidden:
//! not in search, not on its shop page for buyers, not purchasable. One function,
//! [`standing`], decides it for search, pages and checkout alike.

use serde_json::json;

use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::enforcement::{DOWNRANK_RANK, PenaltyKind};
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::grades::Grade;
use crate::money::{Account, Entry, Fen};
use crate::ports::{ReadTx, Tx};
use crate::rules;
use crate::rules::Rule;
use crate::values::ShopId;

/// Where a top-up comes from: the owner's own wallet, or the shop's income.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositSource {
    Wallet,
    ShopWallet,
}

impl DepositSource {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "" | "wallet" => Ok(DepositSource::Wallet),
            "shop_wallet" => Ok(DepositSource::ShopWallet),
            _ => Err(Error::Invalid { field: "from", reason: "wallet_or_shop_wallet" }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DepositSource::Wallet => "wallet",
            DepositSource::ShopWallet => "shop_wallet",
        }
    }
}

/// A shop's standing at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub shop_id: ShopId,
    pub deposit_fen: i64,
    pub deposit_min_fen: i64,
    pub suspended: bool,
    /// The end of the down-ranking in force, if any.
    pub downranked_until: Option<Timestamp>,
    /// The shop's last computed grade (新店 until first graded).
    pub grade: Grade,
}

impl Standing {
    pub fn deposit_short(&self) -> bool {
        self.deposit_fen < self.deposit_min_fen
    }

    /// Whether buyers see and may buy the shop's listings.
    pub fn listed(&self) -> bool {
        self.hidden_reason().is_none()
    }

    /// `suspended` or `deposit_short`; `None` when listed.
    pub fn hidden_reason(&self) -> Option<&'static str> {
        if self.suspended {
            Some("suspended")
        } else if self.deposit_short() {
            Some("deposit_short")
        } else {
            None
        }
    }

    /// Added to each product's own rank in search: the grade's place, less a
    /// down-ranking that outweighs any grade.
    pub fn rank_offset(&self) -> i64 {
        let penalty = if self.downranked_until.is_some() { -DOWNRANK_RANK } else { 0 };
        penalty + self.grade.rank_offset()
    }
}

/// Why listings are hidden, as merchants and buyers read it.
pub fn hidden_label(reason: &str) -> &'static str {
    match reason {
        "suspended" => "店铺因违规被暂停，全部商品下架等待平台审核",
        "deposit_short" => "保证金低于下限，商品暂不展示，补足后自动恢复",
        _ => "",
    }
}

pub fn standing(tx: &mut dyn ReadTx, now: Timestamp, shop: ShopId) -> Result<Standing> {
    let rules = rules::in_force(tx)?;
    let mut s = standing_under(tx, now, shop, &rules)?;
    s.grade = tx.stored_grade(shop)?.map_or(Grade::New, |g| g.grade);
    Ok(s)
}

/// [`standing`] under rules the caller already read, without the grade (新店):
/// what checkout asks — whether the listings may be bought — in two reads.
pub fn standing_under(tx: &mut dyn ReadTx, now: Timestamp, shop: ShopId, rules: &rules::Rules) -> Result<Standing> {
    let mut s = Standing {
        shop_id: shop,
        deposit_fen: tx.balance(Account::ShopDeposit(shop))?,
        deposit_min_fen: rules.get(Rule::DepositMinFen),
        suspended: false,
        downranked_until: None,
        grade: Grade::New,
    };
    for p in tx.active_penalties(shop)?.into_iter().filter(|p| p.in_force(now)) {
        match p.kind {
            PenaltyKind::Suspension => s.suspended = true,
            PenaltyKind::Downrank => s.downranked_until = s.downranked_until.max(p.ends_at),
            PenaltyKind::Warning | PenaltyKind::Fine => {}
        }
    }
    Ok(s)
}

/// The owner moves money into the shop's deposit. Agents and admins may not:
/// it is the owner's money. A stranger sees `NotFound`.
pub fn top_up(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    amount: Fen,
    from: DepositSource,
) -> Result<Standing> {
    let shop = tx.shop(shop)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    if actor.id != shop.owner_id {
        return Err(Error::Forbidden);
    }
    if amount.get() == 0 {
        return Err(Error::Invalid { field: "amount_fen", reason: "positive" });
    }
    let source = match from {
        DepositSource::Wallet => Account::UserWallet(actor.id),
        DepositSource::ShopWallet => Account::ShopWallet(shop.id),
    };
    let subject = format!("shop:{}", shop.id);
    tx.post(
        &Entry::transfer("deposit.top_up", &subject, "保证金充值", source, Account::ShopDeposit(shop.id), amount)?,
        now,
    )?;
    // Visibility may have changed: let the search index read it again.
    tx.touch_shop_products(shop.id, now)?;
    let s = standing(tx, now, shop.id)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "deposit.topped_up",
        &subject,
        json!({ "amount_fen": amount.get(), "from": from.as_str(), "balance_fen": s.deposit_fen }),
    ))?;
    Ok(s)
}

/// An admin corrects a shop's deposit: `delta_fen` > 0 adds, < 0 deducts, as
/// one balanced posting against the platform's cash, with a written reason the
/// owner is told. A deduction that would take the deposit below zero is
/// refused (`Invalid { field: "deposit_delta", reason: "below_zero" }`).
pub fn adjust(
    tx: &mut dyn Tx,
    now: Timestamp,
    admin: &User,
    shop: ShopId,
    delta_fen: i64,
    why: &str,
) -> Result<Standing> {
    authz::admin(admin)?;
    let why = crate::accounts::admin::reason(why)?;
    let shop = tx.shop(shop)?.ok_or(Error::NotFound)?;
    let amount = Fen::positive(delta_fen.saturating_abs())
        .map_err(|_| Error::Invalid { field: "deposit_delta", reason: "nonzero" })?;
    // Two adjustments of one shop are checked one after the other.
    tx.lock_shop(shop.id)?;
    let before = tx.balance(Account::ShopDeposit(shop.id))?;
    if before + delta_fen < 0 {
        return Err(Error::Invalid { field: "deposit_delta", reason: "below_zero" });
    }
    let (from, to) = if delta_fen > 0 {
        (Account::PlatformCash, Account::ShopDeposit(shop.id))
    } else {
        (Account::ShopDeposit(shop.id), Account::PlatformCash)
    };
    let subject = format!("shop:{}", shop.id);
    tx.post(&Entry::transfer("deposit.adjust", &subject, why, from, to, amount)?, now)?;
    tx.touch_shop_products(shop.id, now)?;
    let s = standing(tx, now, shop.id)?;
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "deposit.adjusted",
        &subject,
        json!({ "delta_fen": delta_fen, "reason": why, "balance_fen": s.deposit_fen }),
    ))?;
    let verb = if delta_fen > 0 { "增加" } else { "扣减" };
    let body = format!(
        "【保证金调整】平台{verb} {}，调整后 {}。原因：{why}",
        crate::rules::words::yuan(amount.get()),
        crate::rules::words::yuan(s.deposit_fen)
    );
    tx.insert_notification(shop.id, "shop", "deposit_adjusted", &subject, &body, now)?;
    Ok(s)
}
