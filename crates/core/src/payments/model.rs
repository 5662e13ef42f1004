//! The words of payments: which protocol a gateway speaks, the channels a
//! buyer picks, a gateway's name, and a secret the core only ever holds sealed.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};

/// The protocol a gateway speaks (PAYMENTS.md): 易支付 V1 signs with MD5 and
/// a shared key, V2 with RSA key pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    EpayV1,
    EpayV2,
}

impl GatewayKind {
    pub const ALL: [GatewayKind; 2] = [GatewayKind::EpayV1, GatewayKind::EpayV2];

    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::EpayV1 => "epay_v1",
            GatewayKind::EpayV2 => "epay_v2",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(Error::Invalid { field: "gateway_kind", reason: "unknown_kind" })
    }
}

/// How the buyer pays through a gateway; the wire name is the gateway's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Alipay,
    Wxpay,
    Qqpay,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Alipay, Channel::Wxpay, Channel::Qqpay];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Alipay => "alipay",
            Channel::Wxpay => "wxpay",
            Channel::Qqpay => "qqpay",
        }
    }

    /// What the buyer reads on the pay page.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Alipay => "支付宝",
            Channel::Wxpay => "微信",
            Channel::Qqpay => "QQ钱包",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(Error::Invalid { field: "channels", reason: "unknown_channel" })
    }
}

/// A gateway's name, chosen by the admin: `[a-z0-9_-]{1,32}`, so it is safe in
/// a URL path and in a notify address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct GatewayName(String);

impl GatewayName {
    pub const MAX: usize = 32;

    pub fn parse(s: &str) -> Result<Self> {
        let ok = (1..=Self::MAX).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok { Ok(Self(s.to_owned())) } else { Err(Error::Invalid { field: "gateway_name", reason: "gateway_name" }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GatewayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret as the server sealed it with the master key: opaque here, never
/// serialised, and redacted in `Debug` so no log line carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    pub fn new(sealed: String) -> Self {
        Self(sealed)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(<redacted>)")
    }
}

/// Where a payment attempt stands.
///
/// ```text
///   pending ──credit──▶ paid
///      │                  ▲
///   expire               credit (a late notify, the reconciliation, an admin)
///      ▼                  │
///   expired ──────────────┘
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    Pending,
    Paid,
    Expired,
}

impl AttemptState {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Pending => "pending",
            AttemptState::Paid => "paid",
            AttemptState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AttemptState::Pending, AttemptState::Paid, AttemptState::Expired].into_iter().find(|a| a.as_str() == s)
    }

    /// What the payer reads.
    pub fn label(self) -> &'static str {
        match self {
            AttemptState::Pending => "支付确认中",
            AttemptState::Paid => "已到账",
            AttemptState::Expired => "已过期",
        }
    }
}

/// What the money is for once it lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Into the payer's wallet, and nothing more.
    TopUp,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::TopUp => "top_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s == "top_up").then_some(Purpose::TopUp)
    }
}

/// How a payment came to be credited: the gateway's query said paid (after
/// a notify or by reconciliation), or an admin confirmed it by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    Query,
    Hand,
}

impl Settlement {
    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Query => "query",
            Settlement::Hand => "hand",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Settlement::Query, Settlement::Hand].into_iter().find(|a| a.as_str() == s)
    }
}

/// What the gateway's order query answered, as the adapter read it. Only
/// `Paid` with the attempt's amount ever credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryResult {
    Paid {
        trade_no: String,
        amount_fen: i64,
    },
    Unpaid,
    NotFound,
    /// Reached, but the answer was refused, malformed or badly signed.
    Refused(String),
    /// Not reached (connection, timeout, 5xx): ask again later.
    Unreachable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lowercase_words() {
        assert_eq!(GatewayName::parse("epay_main-2").unwrap().as_str(), "epay_main-2");
        for bad in ["", "Epay", "a b", "支付", "a/b", &"a".repeat(33)] {
            assert!(GatewayName::parse(bad).is_err(), "{bad}");
        }
        assert!(GatewayName::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn kinds_and_channels_round_trip_their_wire_names() {
        for k in GatewayKind::ALL {
            assert_eq!(GatewayKind::parse(k.as_str()).unwrap(), k);
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).unwrap(), c);
        }
        assert!(GatewayKind::parse("epay_v3").is_err());
        assert!(Channel::parse("unionpay").is_err());
        assert_eq!(Channel::Qqpay.label(), "QQ钱包");
    }

    #[test]
    fn sealed_secrets_are_redacted() {
        assert_eq!(format!("{:?}", Sealed::new("s3cret".into())), "Sealed(<redacted>)");
    }
}
