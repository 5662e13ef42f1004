//! Push notification and the notification centre.
//!
//! ```text
//! (a use case's transaction) ─notify_user─▶ user_notices row (the centre: unread until read)
//!        └─ same transaction ─▶ one push_deliveries row per enabled channel that wants the event
//! push_deliveries: pending ─claim (lease)─▶ sent with no transaction open
//!        2xx (and the channel's own success code) ─▶ sent
//!        channel switched off meanwhile, or the notice is moot (a reply already read) ─▶ skipped
//!        else ─▶ pending again after the backoff of `outbound::retry_at`; after 24 h ─▶ failed
//! ```
//! E-mail is shown as a channel but mailed by the existing mail outbox
//! (`mail.rs`), which reads shop notices and breaches itself.

pub mod model;
pub mod port;

pub use self::model::{Channel, ChannelKind, Delivery, DeliveryState, Note, Notice, PushEvent};
pub use self::port::{PushRead, PushTx};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::orders::model::{Order, OrderState};
use crate::payments::model::Sealed;
use crate::ports::Tx;
use crate::publish::Change;
use crate::values::{ShopId, UserId};

/// A staff reply reaches the buyer's channels only if still unread after this long.
pub const REPLY_GRACE_SECS: i64 = 60;

/// Writes the notice into `user`'s centre and queues it for each channel of
/// theirs that wants it; returns the notice id.
pub fn notify_user(tx: &mut dyn Tx, now: Timestamp, user: UserId, note: &Note) -> Result<i64> {
    let id = tx.insert_notice(user, note, now)?;
    let notice = Notice {
        id,
        user_id: user,
        event: note.event,
        subject: note.subject.clone(),
        text: note.text.clone(),
        url: note.url.clone(),
        ref_id: note.ref_id,
        created_at: now,
        read_at: None,
    };
    // A reply the buyer reads within the grace period is not pushed at all.
    let due = if note.event == PushEvent::ChatReply { now.plus_secs(REPLY_GRACE_SECS) } else { now };
    for c in tx.push_channels(user)? {
        if c.kind.pushed() && c.wants(note.event) {
            tx.enqueue_push(&notice, c.kind, due)?;
        }
    }
    // Updates the badge live and wakes the sender once this commits.
    tx.publish(&Change::Notice { user_id: user })?;
    Ok(id)
}

/// The shop's owner and, with `agents`, its merchant agents.
pub fn notify_shop_team(tx: &mut dyn Tx, now: Timestamp, shop: ShopId, agents: bool, note: &Note) -> Result<()> {
    for user in tx.shop_team(shop, agents)? {
        notify_user(tx, now, user, note)?;
    }
    Ok(())
}

/// The platform agents on duty; with nobody on duty, every enabled platform
/// agent and admin — an off-duty agent is not woken while a colleague is on
/// duty, but the platform's own work is never told to nobody.
pub fn notify_platform(tx: &mut dyn Tx, now: Timestamp, note: &Note) -> Result<()> {
    let on_duty = tx.on_duty_now()?;
    let team = if on_duty.is_empty() { tx.platform_team()? } else { on_duty };
    for user in team {
        notify_user(tx, now, user, note)?;
    }
    Ok(())
}

/// After a checkout: a top-up to fulfil tells the shop's team; a sale that
/// takes the product's stock below the shop's threshold tells them once.
pub fn after_sale(tx: &mut dyn Tx, now: Timestamp, order: &Order, title: &str, sold: usize) -> Result<()> {
    let subject = format!("order:{}", order.no);
    if order.state == OrderState::AwaitingFulfilment {
        let text = format!("直充订单 {}（{title}）待充值", order.no);
        let note =
            Note::new(PushEvent::TopupToFulfil, subject, text, format!("/merchant/shops/{}/orders", order.shop_id));
        notify_shop_team(tx, now, order.shop_id, true, &note)?;
        return Ok(());
    }
    let sold = i64::try_from(sold).unwrap_or(0);
    if sold == 0 {
        return Ok(());
    }
    let threshold = tx.low_stock_threshold(order.shop_id)?;
    if threshold <= 0 {
        return Ok(());
    }
    let left = tx.stock_count(order.product_id)?;
    if left < threshold && left + sold >= threshold {
        let text = format!("「{title}」库存仅剩 {left}，低于提醒阈值 {threshold}");
        let note = Note::new(PushEvent::StockLow, format!("product:{}", order.product_id), text, "/merchant");
        notify_shop_team(tx, now, order.shop_id, false, &note)?;
    }
    Ok(())
}

/// The most a low-stock threshold can be.
pub const MAX_LOW_STOCK: i64 = 100_000;

/// The shop's owner sets when its team hears that stock runs low (0: never).
pub fn set_low_stock(tx: &mut dyn Tx, actor: &crate::accounts::User, shop: ShopId, threshold: i64) -> Result<()> {
    let shop = crate::shops::load(tx, actor, shop, crate::authz::ShopAction::Manage)?;
    if !(0..=MAX_LOW_STOCK).contains(&threshold) {
        return Err(Error::Invalid { field: "low_stock_threshold", reason: "range_0_100000" });
    }
    tx.set_low_stock_threshold(shop.id, threshold)
}

/// A `test` notice to one channel only; the channel must be on.
pub fn test_channel(tx: &mut dyn Tx, now: Timestamp, user: UserId, kind: ChannelKind) -> Result<i64> {
    let on = tx.push_channel(user, kind)?.is_some_and(|c| c.enabled);
    if !kind.pushed() || !on {
        return Err(Error::Invalid { field: "push_channel", reason: "channel_off" });
    }
    let note = Note::new(PushEvent::Test, format!("user:{user}"), "这是一条测试通知：渠道已连通。", "/notifications");
    let id = tx.insert_notice(user, &note, now)?;
    let notice = tx.notice(id)?.ok_or(Error::NotFound)?;
    tx.enqueue_push(&notice, kind, now)?;
    tx.publish(&Change::Notice { user_id: user })?;
    Ok(id)
}

/// Whether a delivery is still worth sending: a `chat.reply` the buyer has
/// read since (in the centre or in the conversation) is not.
pub fn still_news(tx: &mut dyn crate::ports::ReadTx, notice: &Notice) -> Result<bool> {
    if notice.read_at.is_some() && notice.event != PushEvent::Test {
        return Ok(false);
    }
    if notice.event != PushEvent::ChatReply {
        return Ok(true);
    }
    let conv = notice.subject.strip_prefix("conversation:").and_then(|s| s.parse::<i64>().ok());
    let (Some(conv), Some(msg)) = (conv, notice.ref_id) else { return Ok(true) };
    let Some(c) = tx.conversation(crate::values::ConversationId(conv))? else { return Ok(false) };
    Ok(c.read.buyer < msg)
}

/// One channel as its owner wants it, checked and with its secret sealed by
/// the caller (the server holds the key).
#[derive(Clone)]
pub struct ChannelSetting {
    pub kind: ChannelKind,
    pub enabled: bool,
    /// The webhook URL or Telegram chat id; `None`: keep what is stored.
    pub target: Option<String>,
    /// A new secret and its hint; `None`: keep what is stored.
    pub secret: Option<(Sealed, String)>,
    pub events: Vec<PushEvent>,
}

impl std::fmt::Debug for ChannelSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSetting")
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// What may be shown of a secret: its last four characters.
pub fn hint_of(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

/// Saves several channels at once: all or nothing. A channel switched on
/// must have what its kind needs (a target and/or a secret, given now or before).
pub fn save_channels(tx: &mut dyn Tx, now: Timestamp, user: UserId, settings: &[ChannelSetting]) -> Result<()> {
    for s in settings {
        if !s.kind.pushed() {
            return Err(Error::Invalid { field: "push_channel", reason: "email_on_account" });
        }
        let old = tx.push_channel(user, s.kind)?;
        let target = s.target.clone().or_else(|| old.as_ref().and_then(|o| o.target.clone()));
        let (secret, hint) = match &s.secret {
            Some((sealed, hint)) => (Some(sealed.clone()), Some(hint.clone())),
            None => (old.as_ref().and_then(|o| o.secret.clone()), old.as_ref().and_then(|o| o.hint.clone())),
        };
        let needs_target = matches!(s.kind, ChannelKind::Webhook | ChannelKind::Telegram);
        if s.enabled && needs_target && target.is_none() {
            return Err(Error::Invalid { field: target_field(s.kind), reason: "required" });
        }
        if s.enabled && secret.is_none() {
            return Err(Error::Invalid { field: secret_field(s.kind), reason: "required" });
        }
        tx.put_push_channel(&Channel {
            user_id: user,
            kind: s.kind,
            enabled: s.enabled,
            target,
            secret,
            hint,
            events: s.events.clone(),
            updated_at: now,
        })?;
    }
    Ok(())
}

/// The form/JSON field a kind's target is typed in.
pub fn target_field(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Telegram => "chat_id",
        _ => "url",
    }
}

/// The form/JSON field a kind's secret is typed in.
pub fn secret_field(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Telegram => "bot_token",
        ChannelKind::Wecom => "robot_key",
        ChannelKind::ServerChan => "sendkey",
        _ => "signing_secret",
    }
}

/// Checks a secret's shape for its kind before it is sealed.
pub fn check_secret(kind: ChannelKind, secret: &str) -> Result<()> {
    let field = secret_field(kind);
    let ok = match kind {
        ChannelKind::Webhook => (16..=128).contains(&secret.chars().count()),
        ChannelKind::Telegram => {
            secret.len() <= 100
                && secret.split_once(':').is_some_and(|(a, b)| {
                    !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && !b.is_empty() && b.bytes().all(token_byte)
                })
        }
        ChannelKind::Wecom | ChannelKind::ServerChan => {
            (8..=100).contains(&secret.len()) && secret.bytes().all(token_byte)
        }
        ChannelKind::Email => false,
    };
    if ok { Ok(()) } else { Err(Error::Invalid { field, reason: "format" }) }
}

/// A Telegram chat id: a number (groups are negative) or `@channelname`.
pub fn check_chat_id(id: &str) -> Result<()> {
    let digits = id.strip_prefix('-').unwrap_or(id);
    let numeric = !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|c| c.is_ascii_digit());
    let named = id
        .strip_prefix('@')
        .is_some_and(|n| (5..=32).contains(&n.len()) && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
    if numeric || named { Ok(()) } else { Err(Error::Invalid { field: "chat_id", reason: "format" }) }
}

fn token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_chat_ids_are_checked_by_kind() {
        assert!(check_secret(ChannelKind::Telegram, "123456:ABC-def_1").is_ok());
        assert!(check_secret(ChannelKind::Telegram, "abc:def").is_err());
        assert!(check_secret(ChannelKind::Wecom, "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa").is_ok());
        assert!(check_secret(ChannelKind::ServerChan, "SCT1?x").is_err());
        assert!(check_secret(ChannelKind::Webhook, "short").is_err());
        assert!(check_chat_id("-1001234").is_ok() && check_chat_id("@youying_kf").is_ok());
        assert!(check_chat_id("12a").is_err() && check_chat_id("@ab").is_err());
        assert_eq!(hint_of("0123456789abcdef"), "••••cdef");
    }
}
