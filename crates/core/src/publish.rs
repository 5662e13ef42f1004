//! What a committed transaction announces to live connections: the one
//! vocabulary the core publishes and the server's hub reads back. On
//! PostgreSQL the payload travels through NOTIFY to every instance, including
//! ones running an older version, so its JSON is fixed (see the tests).

use serde::{Deserialize, Serialize};

use crate::cases::model::CaseState;
use crate::chat::model::Side;
use crate::values::{CaseId, ConversationId, UserId};

/// A change, by id only; readers load what they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A new message in a conversation.
    Message { conversation_id: ConversationId, message_id: i64 },
    /// A conversation's state changed (taken over, assigned, closed …).
    Conversation { conversation_id: ConversationId },
    /// One side read up to `message_id`.
    Read { conversation_id: ConversationId, side: Side, message_id: i64 },
    /// One side is typing; never stored, relayed between instances on PostgreSQL.
    Typing { conversation_id: ConversationId, side: Side },
    /// An after-sales case closed.
    Case { case_id: CaseId, state: CaseState },
    /// Outbound requests were queued: the sender wakes (`outbound.rs`).
    Outbound,
    /// A notice reached a user's notification centre (`push`): the badge
    /// updates live and the push sender wakes.
    Notice { user_id: UserId },
}

impl Change {
    /// The published text. Through a `Value`, whose keys come out sorted: byte
    /// for byte what earlier versions built with `json!`.
    pub fn payload(&self) -> String {
        serde_json::to_value(self).map(|v| v.to_string()).unwrap_or_default()
    }

    /// A published text read back; `None` for one this version does not know.
    pub fn parse(payload: &str) -> Option<Change> {
        serde_json::from_str(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_what_earlier_versions_sent() {
        let conv = ConversationId(7);
        let cases = [
            (
                Change::Message { conversation_id: conv, message_id: 9 },
                r#"{"conversation_id":7,"message_id":9,"type":"message"}"#,
            ),
            (Change::Conversation { conversation_id: conv }, r#"{"conversation_id":7,"type":"conversation"}"#),
            (
                Change::Read { conversation_id: conv, side: Side::Shop, message_id: 9 },
                r#"{"conversation_id":7,"message_id":9,"side":"shop","type":"read"}"#,
            ),
            (
                Change::Typing { conversation_id: conv, side: Side::Buyer },
                r#"{"conversation_id":7,"side":"buyer","type":"typing"}"#,
            ),
            (
                Change::Case { case_id: CaseId(3), state: CaseState::ResolvedRefunded },
                r#"{"case_id":3,"state":"resolved_refunded","type":"case"}"#,
            ),
            (Change::Outbound, r#"{"type":"outbound"}"#),
            (Change::Notice { user_id: UserId(4) }, r#"{"type":"notice","user_id":4}"#),
        ];
        for (change, wire) in cases {
            assert_eq!(change.payload(), wire);
            assert_eq!(Change::parse(wire), Some(change));
        }
        assert_eq!(Change::parse(r#"{"type":"message"}"#), None);
        assert_eq!(Change::parse("not json"), None);
    }
}
