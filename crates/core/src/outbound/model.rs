//! The words of the outbound-HTTP outbox: what a queued request is for, and
//! where its delivery stands.

use crate::apikeys::model::ApiKeyId;
use crate::clock::Timestamp;

/// What a queued request is; the server builds the request from `kind` and
/// `body`. The open API's callbacks carry only ids in `body`: the order (with
/// its card keys, opened by the Vault) is rendered when sent, so no secret
/// sits in the clear in this table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboundKind {
    /// `{"order_id"}`: an open-API order changed.
    OrderUpdated,
    /// `{"case_id"}`: a case on an open-API order opened, moved or closed.
    CaseUpdated,
}

impl OutboundKind {
    /// Also the callback's `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundKind::OrderUpdated => "order.updated",
            OutboundKind::CaseUpdated => "case.updated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [OutboundKind::OrderUpdated, OutboundKind::CaseUpdated].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboundState {
    Pending,
    Sent,
    /// Given up after 24 hours; kept for the owner to see.
    Failed,
}

impl OutboundState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundState::Pending => "pending",
            OutboundState::Sent => "sent",
            OutboundState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [OutboundState::Pending, OutboundState::Sent, OutboundState::Failed].into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OutboundState::Pending => "待发送",
            OutboundState::Sent => "已送达",
            OutboundState::Failed => "已放弃",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutbound {
    pub kind: OutboundKind,
    pub url: String,
    pub body: String,
    pub sign_key: Option<ApiKeyId>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    pub id: i64,
    pub kind: OutboundKind,
    pub url: String,
    pub body: String,
    pub sign_key: Option<ApiKeyId>,
    pub state: OutboundState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}
