//! Enforcement's words and rows: breach kinds, who breached, the penalty
//! ladder's steps and the stored penalties. Plain data: the port stores it,
//! the use cases in `mod.rs` move it.

use crate::clock::Timestamp;
use crate::rules::Rule;
use crate::values::{DeadlineId, ShopId, UserId};

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
    /// A deadline fell due while no instance of the platform ran: the party
    /// that owed it was given a fresh period, and the lapse is the platform's.
    PlatformOutage,
    /// A direct top-up not delivered in its promised time.
    TopupLate,
}

impl BreachKind {
    pub const ALL: [BreachKind; 6] = [
        BreachKind::CaseSilence,
        BreachKind::ChatReply,
        BreachKind::PlatformCaseUnresolved,
        BreachKind::PlatformChatReply,
        BreachKind::PlatformOutage,
        BreachKind::TopupLate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BreachKind::CaseSilence => "case_silence",
            BreachKind::ChatReply => "chat_reply",
            BreachKind::PlatformCaseUnresolved => "platform_case_unresolved",
            BreachKind::PlatformChatReply => "platform_chat_reply",
            BreachKind::PlatformOutage => "platform_outage",
            BreachKind::TopupLate => "topup_late",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Who the breach is charged to.
    pub fn party(self) -> Party {
        match self {
            BreachKind::PlatformCaseUnresolved | BreachKind::PlatformChatReply | BreachKind::PlatformOutage => {
                Party::Platform
            }
            _ => Party::Shop,
        }
    }

    /// The kind as merchants read it.
    pub fn label(self) -> &'static str {
        match self {
            BreachKind::ChatReply => "超时未回复买家",
            BreachKind::TopupLate => "直充超时未到账",
            BreachKind::CaseSilence => "售后超时未处理",
            BreachKind::PlatformOutage => "平台停机（期限已顺延）",
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
    pub(super) const LADDER: [(PenaltyKind, Rule); 4] = [
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
