//! The platform's configurable rules: every window, deadline and threshold the
//! features use. Defaults are the published service promise; an admin may change
//! each within its range, and each change is an evidence event.

pub mod bounds;
pub mod port;
pub mod promise;
pub mod words;

pub use self::port::{RulesRead, RulesTx};

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// A rule's name, checked by the compiler; the snake_case string (`as_str`) is
/// what the database, the admin API, pages and evidence events say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    ChatReplySecs,
    WarnBeforeSecs,
    CaseResolveSecs,
    CaseMerchantSecs,
    ProtectCardKeySecs,
    ProtectTopupSecs,
    ProtectAccountSecs,
    TopupDefaultPromiseSecs,
    TopupInstantPromiseSecs,
    InviteTtlSecs,
    SessionTtlSecs,
    LoginMaxFailures,
    LoginWindowSecs,
    PlatformFeeBp,
    ProtectionFundShareBp,
    DepositMinFen,
    PenaltyWindowSecs,
    PenaltyWarnAt,
    PenaltyDownrankAt,
    PenaltyDownrankSecs,
    PenaltyFineAt,
    PenaltyFineFen,
    PenaltySuspendAt,
    PayInMinFen,
    PayInMaxFen,
    PayInDailyFen,
    PaymentExpirySecs,
    WithdrawMinFen,
    WithdrawFeeBp,
    WithdrawDailyFen,
    AllowPrivateAddresses,
    UpstreamSyncSecs,
    OpenApiPerSec,
}

impl Rule {
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::ChatReplySecs => "chat_reply_secs",
            Rule::WarnBeforeSecs => "warn_before_secs",
            Rule::CaseResolveSecs => "case_resolve_secs",
            Rule::CaseMerchantSecs => "case_merchant_secs",
            Rule::ProtectCardKeySecs => "protect_card_key_secs",
            Rule::ProtectTopupSecs => "protect_topup_secs",
            Rule::ProtectAccountSecs => "protect_account_secs",
            Rule::TopupDefaultPromiseSecs => "topup_default_promise_secs",
            Rule::TopupInstantPromiseSecs => "topup_instant_promise_secs",
            Rule::InviteTtlSecs => "invite_ttl_secs",
            Rule::SessionTtlSecs => "session_ttl_secs",
            Rule::LoginMaxFailures => "login_max_failures",
            Rule::LoginWindowSecs => "login_window_secs",
            Rule::PlatformFeeBp => "platform_fee_bp",
            Rule::ProtectionFundShareBp => "protection_fund_share_bp",
            Rule::DepositMinFen => "deposit_min_fen",
            Rule::PenaltyWindowSecs => "penalty_window_secs",
            Rule::PenaltyWarnAt => "penalty_warn_at",
            Rule::PenaltyDownrankAt => "penalty_downrank_at",
            Rule::PenaltyDownrankSecs => "penalty_downrank_secs",
            Rule::PenaltyFineAt => "penalty_fine_at",
            Rule::PenaltyFineFen => "penalty_fine_fen",
            Rule::PenaltySuspendAt => "penalty_suspend_at",
            Rule::PayInMinFen => "pay_in_min_fen",
            Rule::PayInMaxFen => "pay_in_max_fen",
            Rule::PayInDailyFen => "pay_in_daily_fen",
            Rule::PaymentExpirySecs => "payment_expiry_secs",
            Rule::WithdrawMinFen => "withdraw_min_fen",
            Rule::WithdrawFeeBp => "withdraw_fee_bp",
            Rule::WithdrawDailyFen => "withdraw_daily_fen",
            Rule::AllowPrivateAddresses => "allow_private_addresses",
            Rule::UpstreamSyncSecs => "upstream_sync_secs",
            Rule::OpenApiPerSec => "open_api_per_sec",
        }
    }

    /// The rule a stored or submitted name means; `None` for a name the code does not know.
    pub fn parse(name: &str) -> Option<Rule> {
        RULES.iter().map(|d| d.rule).find(|r| r.as_str() == name)
    }

    /// Its default, range and unit.
    pub fn def(self) -> &'static RuleDef {
        // RULES lists the rules in the enum's order (a test checks it).
        &RULES[self as usize]
    }
}

/// One rule: its name, default, allowed range and unit.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    pub rule: Rule,
    pub default: i64,
    pub min: i64,
    pub max: i64,
    pub unit: Unit,
}

/// What a rule's number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Secs,
    Fen,
    Count,
    BasisPoints,
}

impl Unit {
    /// `secs`, `fen`, `count` or `basis_points`: what the API and the i18n keys (`unit.*`) say.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Secs => "secs",
            Unit::Fen => "fen",
            Unit::Count => "count",
            Unit::BasisPoints => "basis_points",
        }
    }
}

impl RuleDef {
    pub const fn name(&self) -> &'static str {
        self.rule.as_str()
    }
}

const DAY: i64 = 86_400;

/// Every rule the platform knows. Ranges keep a typo from breaking the platform
/// (a zero-second case window) while letting tests run a 2-minute rule as 2 s.
pub const RULES: &[RuleDef] = &[
    RuleDef { rule: Rule::ChatReplySecs, default: 120, min: 1, max: DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::WarnBeforeSecs, default: 30, min: 0, max: DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::CaseResolveSecs, default: DAY, min: 1, max: 30 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::CaseMerchantSecs, default: DAY / 2, min: 1, max: 30 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::ProtectCardKeySecs, default: DAY, min: 1, max: 90 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::ProtectTopupSecs, default: DAY, min: 1, max: 90 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::ProtectAccountSecs, default: 3 * DAY, min: 1, max: 90 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::TopupDefaultPromiseSecs, default: 1_800, min: 1, max: 30 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::TopupInstantPromiseSecs, default: 300, min: 1, max: DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::InviteTtlSecs, default: 7 * DAY, min: 1, max: 90 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::SessionTtlSecs, default: 30 * DAY, min: 60, max: 365 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::LoginMaxFailures, default: 5, min: 1, max: 1_000, unit: Unit::Count },
    RuleDef { rule: Rule::LoginWindowSecs, default: 900, min: 1, max: DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::PlatformFeeBp, default: 200, min: 0, max: 5_000, unit: Unit::BasisPoints },
    RuleDef { rule: Rule::ProtectionFundShareBp, default: 2_500, min: 0, max: 10_000, unit: Unit::BasisPoints },
    RuleDef { rule: Rule::DepositMinFen, default: 100_000, min: 0, max: 100_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::PenaltyWindowSecs, default: 30 * DAY, min: 1, max: 365 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::PenaltyWarnAt, default: 1, min: 1, max: 1_000, unit: Unit::Count },
    RuleDef { rule: Rule::PenaltyDownrankAt, default: 3, min: 1, max: 1_000, unit: Unit::Count },
    RuleDef { rule: Rule::PenaltyDownrankSecs, default: 7 * DAY, min: 1, max: 365 * DAY, unit: Unit::Secs },
    RuleDef { rule: Rule::PenaltyFineAt, default: 5, min: 1, max: 1_000, unit: Unit::Count },
    RuleDef { rule: Rule::PenaltyFineFen, default: 5_000, min: 0, max: 100_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::PenaltySuspendAt, default: 10, min: 1, max: 1_000, unit: Unit::Count },
    // Money in through a gateway: ¥1 to ¥5,000 a payment, ¥20,000 a day per payer.
    RuleDef { rule: Rule::PayInMinFen, default: 100, min: 1, max: 100_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::PayInMaxFen, default: 500_000, min: 1, max: 100_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::PayInDailyFen, default: 2_000_000, min: 1, max: 1_000_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::PaymentExpirySecs, default: 900, min: 60, max: DAY, unit: Unit::Secs },
    // Money out: at least ¥10 a withdrawal, a 0.6 % fee, ¥50,000 a day per wallet.
    RuleDef { rule: Rule::WithdrawMinFen, default: 1_000, min: 1, max: 100_000_000, unit: Unit::Fen },
    RuleDef { rule: Rule::WithdrawFeeBp, default: 60, min: 0, max: 2_000, unit: Unit::BasisPoints },
    RuleDef { rule: Rule::WithdrawDailyFen, default: 5_000_000, min: 1, max: 1_000_000_000, unit: Unit::Fen },
    // 对接: outbound calls (callbacks, upstream sites) reach public addresses only
    // unless this is 1 (tests, a one-machine demo); upstream prices and stock are
    // re-read this often.
    RuleDef { rule: Rule::AllowPrivateAddresses, default: 0, min: 0, max: 1, unit: Unit::Count },
    RuleDef { rule: Rule::UpstreamSyncSecs, default: 60, min: 1, max: DAY, unit: Unit::Secs },
    // Requests per second one API key may make (bursts of twice that): a
    // reseller's whole shop orders through its key, so this is a shop's rate.
    RuleDef { rule: Rule::OpenApiPerSec, default: 50, min: 1, max: 100_000, unit: Unit::Count },
];

/// The rules in force: defaults overlaid with the stored changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    values: BTreeMap<&'static str, i64>,
}

impl Default for Rules {
    fn default() -> Self {
        Self { values: RULES.iter().map(|r| (r.name(), r.default)).collect() }
    }
}

impl Rules {
    /// Defaults overlaid with stored values; stored names the code no longer
    /// knows are ignored rather than failing startup.
    pub fn from_stored(stored: impl IntoIterator<Item = (String, i64)>) -> Self {
        let mut rules = Self::default();
        for (name, value) in stored {
            if let Some(d) = Rule::parse(&name).map(Rule::def) {
                rules.values.insert(d.name(), value.clamp(d.min, d.max));
            }
        }
        rules
    }

    pub fn get(&self, rule: Rule) -> i64 {
        self.values.get(rule.as_str()).copied().unwrap_or(rule.def().default)
    }

    pub fn as_map(&self) -> &BTreeMap<&'static str, i64> {
        &self.values
    }

    pub fn chat_reply_secs(&self) -> i64 {
        self.get(Rule::ChatReplySecs)
    }
    pub fn invite_ttl_secs(&self) -> i64 {
        self.get(Rule::InviteTtlSecs)
    }
    pub fn session_ttl_secs(&self) -> i64 {
        self.get(Rule::SessionTtlSecs)
    }
    pub fn login_max_failures(&self) -> i64 {
        self.get(Rule::LoginMaxFailures)
    }
    pub fn login_window_secs(&self) -> i64 {
        self.get(Rule::LoginWindowSecs)
    }
}

/// Checks a whole change set before any of it is applied: all or nothing.
/// The rules in force: each rule's stored value, or its default.
pub fn in_force(tx: &mut dyn RulesRead) -> Result<Rules> {
    Ok(Rules::from_stored(tx.stored_rules()?))
}

pub fn validate_changes(changes: &BTreeMap<String, i64>) -> Result<Vec<(&'static RuleDef, i64)>> {
    if changes.is_empty() {
        return Err(Error::Invalid { field: "rules", reason: "empty" });
    }
    changes
        .iter()
        .map(|(name, &value)| {
            let d = Rule::parse(name).map(Rule::def).ok_or_else(|| Error::UnknownRule(name.clone()))?;
            if value < d.min || value > d.max {
                return Err(Error::RuleOutOfRange { name: name.clone(), min: d.min, max: d.max });
            }
            Ok((d, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_published_numbers() {
        let r = Rules::default();
        assert_eq!(r.chat_reply_secs(), 120);
        assert_eq!(r.get(Rule::CaseResolveSecs), 86_400);
        assert_eq!(r.get(Rule::ProtectAccountSecs), 259_200);
        assert_eq!(r.login_max_failures(), 5);
        assert_eq!(r.get(Rule::DepositMinFen), 100_000);
        assert_eq!(r.get(Rule::PenaltyWindowSecs), 30 * 86_400);
        assert_eq!(r.get(Rule::PenaltyFineFen), 5_000);
        assert_eq!(r.get(Rule::PenaltySuspendAt), 10);
    }

    #[test]
    fn changes_are_checked_all_or_nothing() {
        let mut c = BTreeMap::new();
        c.insert("chat_reply_secs".to_owned(), 2);
        assert_eq!(validate_changes(&c).unwrap().len(), 1);
        c.insert("nonsense".to_owned(), 1);
        assert!(matches!(validate_changes(&c), Err(Error::UnknownRule(_))));
        let mut bad = BTreeMap::new();
        bad.insert("chat_reply_secs".to_owned(), 0);
        assert!(matches!(validate_changes(&bad), Err(Error::RuleOutOfRange { .. })));
    }

    #[test]
    fn stored_values_overlay_defaults() {
        let r = Rules::from_stored([("chat_reply_secs".to_owned(), 5), ("gone".to_owned(), 1)]);
        assert_eq!(r.chat_reply_secs(), 5);
        assert_eq!(r.get(Rule::WarnBeforeSecs), 30);
    }

    #[test]
    fn every_rule_has_its_row_and_its_name_back() {
        for (i, d) in RULES.iter().enumerate() {
            assert_eq!(d.rule as usize, i, "RULES in the enum's order");
            assert_eq!(Rule::parse(d.name()), Some(d.rule));
        }
        assert_eq!(Rule::parse("chat_reply_secs"), Some(Rule::ChatReplySecs));
        assert_eq!(Rule::parse("nonsense"), None);
    }
}
