//! The platform's configurable rules: every window, deadline and threshold the
//! features use. Defaults are the published service promise; an admin may change
//! each within its range, and each change is an evidence event.

pub mod port;

pub use self::port::{RulesRead, RulesTx};

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// One rule: its name, default, allowed range and unit.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    pub name: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
    /// `secs`, `fen`, `count` or `basis_points`.
    pub unit: &'static str,
}

const DAY: i64 = 86_400;

/// Every rule the platform knows. Ranges keep a typo from breaking the platform
/// (a zero-second case window) while letting tests run a 2-minute rule as 2 s.
pub const RULES: &[RuleDef] = &[
    RuleDef { name: "chat_reply_secs", default: 120, min: 1, max: DAY, unit: "secs" },
    RuleDef { name: "warn_before_secs", default: 30, min: 0, max: DAY, unit: "secs" },
    RuleDef { name: "case_resolve_secs", default: DAY, min: 1, max: 30 * DAY, unit: "secs" },
    RuleDef { name: "case_merchant_secs", default: DAY / 2, min: 1, max: 30 * DAY, unit: "secs" },
    RuleDef { name: "protect_card_key_secs", default: DAY, min: 1, max: 90 * DAY, unit: "secs" },
    RuleDef { name: "protect_topup_secs", default: DAY, min: 1, max: 90 * DAY, unit: "secs" },
    RuleDef { name: "protect_account_secs", default: 3 * DAY, min: 1, max: 90 * DAY, unit: "secs" },
    RuleDef { name: "topup_default_promise_secs", default: 1_800, min: 1, max: 30 * DAY, unit: "secs" },
    RuleDef { name: "topup_instant_promise_secs", default: 300, min: 1, max: DAY, unit: "secs" },
    RuleDef { name: "invite_ttl_secs", default: 7 * DAY, min: 1, max: 90 * DAY, unit: "secs" },
    RuleDef { name: "session_ttl_secs", default: 30 * DAY, min: 60, max: 365 * DAY, unit: "secs" },
    RuleDef { name: "login_max_failures", default: 5, min: 1, max: 1_000, unit: "count" },
    RuleDef { name: "login_window_secs", default: 900, min: 1, max: DAY, unit: "secs" },
    RuleDef { name: "platform_fee_bp", default: 200, min: 0, max: 5_000, unit: "basis_points" },
    RuleDef { name: "protection_fund_share_bp", default: 2_500, min: 0, max: 10_000, unit: "basis_points" },
    RuleDef { name: "deposit_min_fen", default: 100_000, min: 0, max: 100_000_000, unit: "fen" },
    RuleDef { name: "penalty_window_secs", default: 30 * DAY, min: 1, max: 365 * DAY, unit: "secs" },
    RuleDef { name: "penalty_warn_at", default: 1, min: 1, max: 1_000, unit: "count" },
    RuleDef { name: "penalty_downrank_at", default: 3, min: 1, max: 1_000, unit: "count" },
    RuleDef { name: "penalty_downrank_secs", default: 7 * DAY, min: 1, max: 365 * DAY, unit: "secs" },
    RuleDef { name: "penalty_fine_at", default: 5, min: 1, max: 1_000, unit: "count" },
    RuleDef { name: "penalty_fine_fen", default: 5_000, min: 0, max: 100_000_000, unit: "fen" },
    RuleDef { name: "penalty_suspend_at", default: 10, min: 1, max: 1_000, unit: "count" },
];

pub fn def(name: &str) -> Option<&'static RuleDef> {
    RULES.iter().find(|r| r.name == name)
}

/// The rules in force: defaults overlaid with the stored changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    values: BTreeMap<&'static str, i64>,
}

impl Default for Rules {
    fn default() -> Self {
        Self { values: RULES.iter().map(|r| (r.name, r.default)).collect() }
    }
}

impl Rules {
    /// Defaults overlaid with stored values; stored names the code no longer
    /// knows are ignored rather than failing startup.
    pub fn from_stored(stored: impl IntoIterator<Item = (String, i64)>) -> Self {
        let mut rules = Self::default();
        for (name, value) in stored {
            if let Some(d) = def(&name) {
                rules.values.insert(d.name, value.clamp(d.min, d.max));
            }
        }
        rules
    }

    pub fn get(&self, name: &str) -> i64 {
        match def(name) {
            Some(d) => self.values.get(d.name).copied().unwrap_or(d.default),
            None => 0,
        }
    }

    pub fn as_map(&self) -> &BTreeMap<&'static str, i64> {
        &self.values
    }

    pub fn chat_reply_secs(&self) -> i64 {
        self.get("chat_reply_secs")
    }
    pub fn invite_ttl_secs(&self) -> i64 {
        self.get("invite_ttl_secs")
    }
    pub fn session_ttl_secs(&self) -> i64 {
        self.get("session_ttl_secs")
    }
    pub fn login_max_failures(&self) -> i64 {
        self.get("login_max_failures")
    }
    pub fn login_window_secs(&self) -> i64 {
        self.get("login_window_secs")
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
            let d = def(name).ok_or_else(|| Error::UnknownRule(name.clone()))?;
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
        assert_eq!(r.get("case_resolve_secs"), 86_400);
        assert_eq!(r.get("protect_account_secs"), 259_200);
        assert_eq!(r.login_max_failures(), 5);
        assert_eq!(r.get("deposit_min_fen"), 100_000);
        assert_eq!(r.get("penalty_window_secs"), 30 * 86_400);
        assert_eq!(r.get("penalty_fine_fen"), 5_000);
        assert_eq!(r.get("penalty_suspend_at"), 10);
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
        assert_eq!(r.get("warn_before_secs"), 30);
    }
}
