//! What the admin's users and shops pages share: a refused action's message
//! and typed values, the history of admin actions in words, paging links.

use serde_json::Value;
use youying_core::Error;
use youying_core::evidence::ChainedEvent;
use youying_core::rules::words;
use youying_core::values::Role;

use super::forms::urlencode;
use super::layout::Page;
use crate::error::AppError;
use crate::fmt::fmt_time;

/// A refused action: which form, the field the message sits beside, and what
/// was typed (kept). `Refused::default()` is "nothing refused".
#[derive(Debug, Default)]
pub struct Refused {
    pub form: &'static str,
    pub field: &'static str,
    pub message: String,
    pub reason: String,
    pub amount: String,
}

impl Refused {
    pub fn new(form: &'static str, field: &'static str, e: &AppError, reason: &str, amount: &str) -> Self {
        Self { form, field, message: e.message(), reason: reason.to_owned(), amount: amount.to_owned() }
    }

    /// The field an error is about: the amount, the confirmation, or the reason.
    pub fn field_of(e: &AppError) -> &'static str {
        match e {
            AppError::Core(Error::Invalid { field: "amount" | "amount_fen" | "deposit_delta", .. }) => "amount",
            AppError::Core(Error::Invalid { field: "confirm", .. }) => "confirm",
            AppError::Core(Error::Invalid { field: "direction", .. }) => "direction",
            _ => "reason",
        }
    }

    /// The message when `form`'s `field` was refused, else empty.
    pub fn at(&self, form: &str, field: &str) -> &str {
        if self.form == form && self.field == field { &self.message } else { "" }
    }

    /// What was typed into `form`'s reason, kept after a refusal.
    pub fn reason_of(&self, form: &str) -> &str {
        if self.form == form { &self.reason } else { "" }
    }

    pub fn amount_of(&self, form: &str) -> &str {
        if self.form == form { &self.amount } else { "" }
    }
}

/// One admin action (or registration) in a user's or shop's history.
pub struct Event {
    pub at: String,
    pub what: String,
    pub reason: String,
    /// The admin who did it (a link to their user page), if any.
    pub by: Option<i64>,
}

fn what(kind: &str, p: &Value) -> String {
    let fen = |k: &str| p[k].as_i64().map(words::yuan).unwrap_or_default();
    match kind {
        "user.registered" => "注册".to_owned(),
        "user.frozen" => "冻结账号".to_owned(),
        "user.unfrozen" => "解冻账号".to_owned(),
        "wallet.credited" => format!("钱包入账 {}", fen("amount_fen")),
        "shop.frozen" => "冻结店铺（全部商品下架）".to_owned(),
        "shop.unfrozen" => "解冻店铺".to_owned(),
        "deposit.topped_up" => format!("店主充值保证金 {}", fen("amount_fen")),
        "deposit.adjusted" => {
            let d = p["delta_fen"].as_i64().unwrap_or(0);
            let verb = if d >= 0 { "增加" } else { "扣减" };
            format!("平台{verb}保证金 {}，调整后 {}", words::yuan(d.abs()), fen("balance_fen"))
        }
        other => other.to_owned(),
    }
}

pub fn history(events: &[ChainedEvent]) -> Vec<Event> {
    events
        .iter()
        .map(|e| {
            let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
            Event {
                at: fmt_time(e.at),
                what: what(&e.kind, &p),
                reason: p["reason"].as_str().unwrap_or_default().to_owned(),
                by: e.actor.map(|a| a.0),
            }
        })
        .collect()
}

pub fn pager_href(base: &str, q: &str, page: usize) -> String {
    format!("{base}?q={}&page={page}", urlencode(q))
}

pub fn role_label(r: Role) -> &'static str {
    match r {
        Role::Buyer => "买家",
        Role::MerchantAgent => "商家客服",
        Role::PlatformAgent => "平台客服",
        Role::Admin => "管理员",
    }
}

/// `?done=…` after a post/redirect/get: the page with that action's flash.
pub fn flashed(page: Page, flash: Option<&'static str>) -> Page {
    match flash {
        Some(f) => Page { layout: page.layout.clone().with_flash(f), ..page },
        None => page,
    }
}

/// `/…/{id}/freeze` or `/…/{id}/unfreeze`: whether it freezes; anything else is unknown.
pub fn freezes(action: &str) -> Option<bool> {
    match action {
        "freeze" => Some(true),
        "unfreeze" => Some(false),
        _ => None,
    }
}
