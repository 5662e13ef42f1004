//! The case's words and rows: its type, the states of the diagram in
//! `mod.rs`, the stored case, its timeline lines and evidence on file, and the
//! side an actor takes. Plain data: the port stores it, the steps move it.

use serde::{Deserialize, Serialize};

use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::values::{CaseId, DeadlineId, OrderId, ShopId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseType {
    KeyInvalid,
    TopupMissing,
    AccountMismatch,
    Other,
}

impl CaseType {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseType::KeyInvalid => "key_invalid",
            CaseType::TopupMissing => "topup_missing",
            CaseType::AccountMismatch => "account_mismatch",
            CaseType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "key_invalid" => CaseType::KeyInvalid,
            "topup_missing" => CaseType::TopupMissing,
            "account_mismatch" => CaseType::AccountMismatch,
            "other" => CaseType::Other,
            _ => return Err(Error::Invalid { field: "type", reason: "unknown_case_type" }),
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseType::KeyInvalid => "卡密无效/已被使用",
            CaseType::TopupMissing => "充值未到账",
            CaseType::AccountMismatch => "账号与描述不符",
            CaseType::Other => "其他问题",
        }
    }

    /// Whether a buyer may open this type on an order of `kind`: a card key
    /// cannot be 账号与描述不符, an account has no 卡密 to be 已被使用.
    pub fn fits(self, kind: ProductKind) -> bool {
        match self {
            CaseType::KeyInvalid => kind == ProductKind::CardKey,
            CaseType::TopupMissing => kind == ProductKind::DirectTopup,
            CaseType::AccountMismatch => kind == ProductKind::Account,
            CaseType::Other => true,
        }
    }

    /// The types the case form offers for an order of `kind`, the fitting one first.
    pub fn offered_for(kind: ProductKind) -> Vec<CaseType> {
        Self::ALL.into_iter().filter(|t| t.fits(kind)).collect()
    }

    /// The type's words on the form for an order of `kind`: `其他问题` on an
    /// account order names the account troubles that have no declared
    /// attribute to tick (cannot log in, taken back by its former owner).
    pub fn label_for(self, kind: ProductKind) -> &'static str {
        match (self, kind) {
            (CaseType::Other, ProductKind::Account) => "账号无法登录、被找回或其他问题",
            (CaseType::Other, ProductKind::CardKey) => "卡密以外的其他问题",
            (CaseType::Other, ProductKind::DirectTopup) => "充错账号或其他问题",
            (t, _) => t.label(),
        }
    }

    pub const ALL: [CaseType; 4] =
        [CaseType::KeyInvalid, CaseType::TopupMissing, CaseType::AccountMismatch, CaseType::Other];

    /// Types the platform refunds at once when the merchant stays silent with evidence on file.
    pub fn auto_refundable(self) -> bool {
        matches!(self, CaseType::KeyInvalid | CaseType::TopupMissing)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    AwaitingMerchant,
    /// A remedy (reissue, fulfilment, partial refund) waits for the buyer's answer.
    AwaitingBuyer,
    InArbitration,
    ResolvedRefunded,
    ResolvedPartial,
    ResolvedReissued,
    ResolvedFulfilled,
    Rejected,
}

impl CaseState {
    pub const OPEN: [CaseState; 3] = [CaseState::AwaitingMerchant, CaseState::AwaitingBuyer, CaseState::InArbitration];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::AwaitingMerchant => "awaiting_merchant",
            CaseState::AwaitingBuyer => "awaiting_buyer",
            CaseState::InArbitration => "in_arbitration",
            CaseState::ResolvedRefunded => "resolved_refunded",
            CaseState::ResolvedPartial => "resolved_partial",
            CaseState::ResolvedReissued => "resolved_reissued",
            CaseState::ResolvedFulfilled => "resolved_fulfilled",
            CaseState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            CaseState::AwaitingMerchant,
            CaseState::AwaitingBuyer,
            CaseState::InArbitration,
            CaseState::ResolvedRefunded,
            CaseState::ResolvedPartial,
            CaseState::ResolvedReissued,
            CaseState::ResolvedFulfilled,
            CaseState::Rejected,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseState::AwaitingMerchant => "待商家处理",
            CaseState::AwaitingBuyer => "待买家确认",
            CaseState::InArbitration => "平台仲裁中",
            CaseState::ResolvedRefunded => "已全额退款",
            CaseState::ResolvedPartial => "已部分退款",
            CaseState::ResolvedReissued => "已补发",
            CaseState::ResolvedFulfilled => "已补充值",
            CaseState::Rejected => "已驳回",
        }
    }
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    pub order_id: OrderId,
    pub order_no: String,
    pub buyer_id: UserId,
    pub shop_id: ShopId,
    pub kind: CaseType,
    pub state: CaseState,
    pub description: String,
    /// Declared snapshot attributes the buyer says do not hold (`account_mismatch`).
    pub mismatched: Vec<String>,
    pub opened_at: Timestamp,
    pub merchant_due: Timestamp,
    pub resolve_due: Timestamp,
    pub merchant_deadline: Option<DeadlineId>,
    pub resolve_deadline: Option<DeadlineId>,
    /// Screenshots the buyer attached: "with evidence" for the 12 h rule.
    pub screenshots: i64,
    /// The remedy waiting for the buyer: `reissue`, `fulfil` or `partial_refund`.
    pub remedy: Option<String>,
    pub proposal_fen: Option<i64>,
    /// The order's state when the case opened, restored when it closes without a refund.
    pub order_state_before: String,
    pub outcome: Option<String>,
    pub refund_fen: i64,
    pub closed_at: Option<Timestamp>,
    pub decided_by: Option<UserId>,
    pub decision_reason: Option<String>,
    /// The shop's one public response, once the case is published.
    pub public_response: Option<String>,
    pub public_response_at: Option<Timestamp>,
}

impl Case {
    pub fn subject(&self) -> String {
        format!("case:{}", self.id)
    }
}

/// One line of a case's timeline (also an evidence event on the chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseAction {
    pub id: i64,
    pub case_id: CaseId,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    /// `buyer`, `merchant`, `platform` or `system`.
    pub side: String,
    pub kind: String,
    pub detail: String,
}

/// Evidence on file, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceMeta {
    pub id: i64,
    pub case_id: CaseId,
    /// `screenshot`, `snapshot`, `delivery_log`, `key_views`, `transcript`, `contest`.
    pub kind: String,
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub added_by: Option<UserId>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buyer,
    Merchant,
    Platform,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buyer => "buyer",
            Side::Merchant => "merchant",
            Side::Platform => "platform",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_goods_is_offered_only_the_case_types_that_fit_it() {
        assert_eq!(CaseType::offered_for(ProductKind::CardKey), [CaseType::KeyInvalid, CaseType::Other]);
        assert_eq!(CaseType::offered_for(ProductKind::DirectTopup), [CaseType::TopupMissing, CaseType::Other]);
        assert_eq!(CaseType::offered_for(ProductKind::Account), [CaseType::AccountMismatch, CaseType::Other]);
        assert!(!CaseType::KeyInvalid.fits(ProductKind::Account), "an account has no key to be used up");
        assert!(!CaseType::AccountMismatch.fits(ProductKind::CardKey));
        for kind in [ProductKind::CardKey, ProductKind::DirectTopup, ProductKind::Account] {
            let words: Vec<_> = CaseType::offered_for(kind).iter().map(|t| t.label_for(kind)).collect();
            let about_keys = words.iter().any(|w| w.contains("卡密"));
            assert_eq!(about_keys, kind == ProductKind::CardKey, "{kind:?}: {words:?}");
        }
        assert!(CaseType::Other.label_for(ProductKind::Account).contains("账号无法登录"));
    }
}
