//! The intents the bot tells apart, by their public names.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Price,
    Stock,
    DeliveryTime,
    OrderStatus,
    RedeemHelp,
    RefundPolicy,
    PaymentHelp,
    KeyInvalid,
    TopupMissing,
    AccountMismatch,
    Complaint,
    Human,
    Other,
}

impl Intent {
    /// Every intent, in the order reports list them.
    pub const ALL: [Intent; 13] = [
        Intent::Price,
        Intent::Stock,
        Intent::DeliveryTime,
        Intent::OrderStatus,
        Intent::RedeemHelp,
        Intent::RefundPolicy,
        Intent::PaymentHelp,
        Intent::KeyInvalid,
        Intent::TopupMissing,
        Intent::AccountMismatch,
        Intent::Complaint,
        Intent::Human,
        Intent::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Price => "price",
            Intent::Stock => "stock",
            Intent::DeliveryTime => "delivery_time",
            Intent::OrderStatus => "order_status",
            Intent::RedeemHelp => "redeem_help",
            Intent::RefundPolicy => "refund_policy",
            Intent::PaymentHelp => "payment_help",
            Intent::KeyInvalid => "key_invalid",
            Intent::TopupMissing => "topup_missing",
            Intent::AccountMismatch => "account_mismatch",
            Intent::Complaint => "complaint",
            Intent::Human => "human",
            Intent::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == name.trim())
    }

    /// The bot answers these itself.
    pub fn is_answerable(self) -> bool {
        matches!(
            self,
            Intent::Price
                | Intent::Stock
                | Intent::DeliveryTime
                | Intent::OrderStatus
                | Intent::RedeemHelp
                | Intent::RefundPolicy
                | Intent::PaymentHelp
        )
    }

    /// After-sales disputes: the bot explains the rule, offers a case and hands over.
    pub fn is_dispute(self) -> bool {
        matches!(self, Intent::KeyInvalid | Intent::TopupMissing | Intent::AccountMismatch | Intent::Complaint)
    }

    pub(crate) fn index(self) -> usize {
        Intent::ALL.iter().position(|i| *i == self).unwrap_or(Intent::ALL.len() - 1)
    }
}

impl std::fmt::Display for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialise_as_named() {
        for i in Intent::ALL {
            assert_eq!(Intent::parse(i.as_str()), Some(i));
            assert_eq!(serde_json::to_string(&i).ok(), Some(format!("\"{i}\"")));
        }
        assert_eq!(Intent::parse("nonsense"), None);
    }
}
