//! The words of push notification: the channels a user can be reached on,
//! the events they can be told about, and what a notice and a delivery are.

use crate::clock::Timestamp;
use crate::payments::model::Sealed;
use crate::values::UserId;

/// Where a notice can go besides the notification centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// The user's URL, signed `X-Youying-Signature: hex(HMAC-SHA256(secret, body))`.
    Webhook,
    /// Bot API `sendMessage`.
    Telegram,
    /// 企业微信 group robot.
    Wecom,
    /// Server酱.
    ServerChan,
    /// The existing mail outbox (`mail.rs`); shown as a channel, sent by the mailer.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] =
        [ChannelKind::Webhook, ChannelKind::Telegram, ChannelKind::Wecom, ChannelKind::ServerChan, ChannelKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Wecom => "wecom",
            ChannelKind::ServerChan => "serverchan",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "Webhook",
            ChannelKind::Telegram => "Telegram",
            ChannelKind::Wecom => "企业微信群机器人",
            ChannelKind::ServerChan => "Server酱",
            ChannelKind::Email => "电子邮件",
        }
    }

    /// Deliveries for this kind go through the push outbox (e-mail has its own).
    pub fn pushed(self) -> bool {
        self != ChannelKind::Email
    }
}

/// What a notice is about; `as_str` is the webhook's `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PushEvent {
    /// Staff: a buyer is waiting for a human.
    ChatWaiting,
    /// Staff: the reply deadline is near.
    ChatWarning,
    /// Staff: the platform took a conversation over.
    ChatTakenOver,
    /// Shop owner: a breach was charged.
    Breach,
    /// Shop team: an after-sales case was opened.
    CaseOpened,
    /// Shop team: the case's merchant deadline lapses in 2 h.
    CaseDueSoon,
    /// Shop team: a top-up order awaits fulfilment.
    TopupToFulfil,
    /// Shop team: stock fell below the shop's threshold.
    StockLow,
    /// The requester: a withdrawal was approved or rejected.
    WithdrawalDecided,
    /// Buyer: staff replied while the buyer was away.
    ChatReply,
    /// Buyer: a case was decided.
    CaseDecided,
    /// Buyer: a key was reissued.
    KeyReissued,
    /// Buyer: money was credited.
    MoneyCredited,
    /// A test from the account page.
    Test,
}

impl PushEvent {
    pub const ALL: [PushEvent; 14] = [
        PushEvent::ChatWaiting,
        PushEvent::ChatWarning,
        PushEvent::ChatTakenOver,
        PushEvent::Breach,
        PushEvent::CaseOpened,
        PushEvent::CaseDueSoon,
        PushEvent::TopupToFulfil,
        PushEvent::StockLow,
        PushEvent::WithdrawalDecided,
        PushEvent::ChatReply,
        PushEvent::CaseDecided,
        PushEvent::KeyReissued,
        PushEvent::MoneyCredited,
        PushEvent::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PushEvent::ChatWaiting => "chat.waiting",
            PushEvent::ChatWarning => "chat.warning",
            PushEvent::ChatTakenOver => "chat.taken_over",
            PushEvent::Breach => "breach",
            PushEvent::CaseOpened => "case.opened",
            PushEvent::CaseDueSoon => "case.due_soon",
            PushEvent::TopupToFulfil => "topup.to_fulfil",
            PushEvent::StockLow => "stock.low",
            PushEvent::WithdrawalDecided => "withdrawal.decided",
            PushEvent::ChatReply => "chat.reply",
            PushEvent::CaseDecided => "case.decided",
            PushEvent::KeyReissued => "key.reissued",
            PushEvent::MoneyCredited => "money.credited",
            PushEvent::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PushEvent::ChatWaiting => "买家等待人工",
            PushEvent::ChatWarning => "回复即将超时",
            PushEvent::ChatTakenOver => "平台已接管",
            PushEvent::Breach => "违约记录",
            PushEvent::CaseOpened => "新售后",
            PushEvent::CaseDueSoon => "售后即将超时",
            PushEvent::TopupToFulfil => "直充待处理",
            PushEvent::StockLow => "库存不足",
            PushEvent::WithdrawalDecided => "提现结果",
            PushEvent::ChatReply => "客服回复",
            PushEvent::CaseDecided => "售后结果",
            PushEvent::KeyReissued => "补发卡密",
            PushEvent::MoneyCredited => "到账",
            PushEvent::Test => "测试",
        }
    }
}

/// A channel's chosen events, stored comma-separated; empty means every event.
pub fn events_text(events: &[PushEvent]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

pub fn parse_events(text: &str) -> Vec<PushEvent> {
    text.split(',').filter_map(|s| PushEvent::parse(s.trim())).collect()
}

/// One user's setting for one channel kind.
#[derive(Clone, PartialEq, Eq)]
pub struct Channel {
    pub user_id: UserId,
    pub kind: ChannelKind,
    pub enabled: bool,
    /// The webhook's URL or the Telegram chat id.
    pub target: Option<String>,
    /// Sealed with the master key; never shown.
    pub secret: Option<Sealed>,
    /// What may be shown of the secret (`••••a1b2`).
    pub hint: Option<String>,
    /// Empty: every event.
    pub events: Vec<PushEvent>,
    pub updated_at: Timestamp,
}

impl Channel {
    /// Whether this channel takes a notice of `event` (a test always goes).
    pub fn wants(&self, event: PushEvent) -> bool {
        self.enabled && (event == PushEvent::Test || self.events.is_empty() || self.events.contains(&event))
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .field("hint", &self.hint)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// A notice to write into one user's notification centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub event: PushEvent,
    /// What it is about: `conversation:12`, `case:3`, `order:…`.
    pub subject: String,
    pub text: String,
    /// The page to act on, from the site root (`/merchant/chat/12`).
    pub url: String,
    /// For `chat.reply`: the message id the buyer must have read to make it moot.
    pub ref_id: Option<i64>,
}

impl Note {
    pub fn new(event: PushEvent, subject: impl Into<String>, text: impl Into<String>, url: impl Into<String>) -> Self {
        Self { event, subject: subject.into(), text: text.into(), url: url.into(), ref_id: None }
    }
}

/// A notice as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub user_id: UserId,
    pub event: PushEvent,
    pub subject: String,
    pub text: String,
    pub url: String,
    pub ref_id: Option<i64>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Sent,
    /// Given up after the backoff ran out.
    Failed,
    /// Not sent: the channel was switched off, or the notice became moot.
    Skipped,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DeliveryState::Pending, DeliveryState::Sent, DeliveryState::Failed, DeliveryState::Skipped]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One notice on its way to one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub notice_id: i64,
    pub user_id: UserId,
    pub kind: ChannelKind,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for e in PushEvent::ALL {
            assert_eq!(PushEvent::parse(e.as_str()), Some(e));
        }
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
        }
        let chosen = [PushEvent::ChatWaiting, PushEvent::Breach];
        assert_eq!(parse_events(&events_text(&chosen)), chosen);
        assert!(parse_events("").is_empty());
    }
}
