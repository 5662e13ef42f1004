//! The sane range of each rule for the admin's form: what a platform in
//! production may set, narrower than the hard range in [`super::RULES`] (which
//! lets tests and the demo run a 2-minute window as 5 s). A chat reply window
//! under 30 s cannot be met by a person; a case window under an hour cannot be
//! answered by a merchant asleep for one; a window of a year is a typo.

use super::{Rule, RuleDef, Unit, words};

const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The form's range for a rule: `(min, max)` in the rule's own unit, always
/// inside its hard range.
pub fn sane(rule: Rule) -> (i64, i64) {
    let d = rule.def();
    let (lo, hi) = match rule {
        Rule::ChatReplySecs => (30, DAY),
        Rule::WarnBeforeSecs => (0, HOUR),
        Rule::CaseResolveSecs | Rule::CaseMerchantSecs => (HOUR, 30 * DAY),
        Rule::ProtectCardKeySecs | Rule::ProtectTopupSecs | Rule::ProtectAccountSecs => (HOUR, 90 * DAY),
        Rule::TopupDefaultPromiseSecs => (MIN, 30 * DAY),
        Rule::TopupInstantPromiseSecs => (MIN, DAY),
        Rule::InviteTtlSecs => (HOUR, 90 * DAY),
        Rule::SessionTtlSecs => (HOUR, 365 * DAY),
        Rule::LoginMaxFailures => (3, 100),
        Rule::LoginWindowSecs => (MIN, DAY),
        Rule::PenaltyWindowSecs => (DAY, 365 * DAY),
        Rule::PenaltyDownrankSecs => (HOUR, 365 * DAY),
        Rule::PaymentExpirySecs => (5 * MIN, DAY),
        Rule::UpstreamSyncSecs => (10, DAY),
        // Money, rates and counts: the hard range is already the sane one.
        _ => (d.min, d.max),
    };
    (lo.max(d.min), hi.min(d.max))
}

/// The range the form enforces: the sane one, or in demo mode the hard one
/// (the demo shows a 5-second reply window lapsing while you watch).
pub fn range(def: &RuleDef, demo: bool) -> (i64, i64) {
    if demo { (def.min, def.max) } else { sane(def.rule) }
}

/// Why `value` is refused, in words beside the field ("不能少于 30 秒"); `None`
/// when it is within the range.
pub fn refusal(def: &RuleDef, value: i64, demo: bool) -> Option<String> {
    let (lo, hi) = range(def, demo);
    if value < lo {
        Some(format!("不能少于 {}", words::value(def.unit, lo)))
    } else if value > hi {
        Some(format!("不能超过 {}", words::value(def.unit, hi)))
    } else {
        None
    }
}

/// The form's units for a duration, largest first: (name, seconds, label).
pub const TIME_UNITS: &[(&str, i64, &str)] =
    &[("d", DAY, "天"), ("h", HOUR, "小时"), ("m", MIN, "分钟"), ("s", 1, "秒")];

/// How a duration is best typed: the largest unit it is a whole number of.
pub fn time_unit_of(secs: i64) -> (&'static str, i64) {
    TIME_UNITS.iter().find(|(_, n, _)| secs != 0 && secs % n == 0).map_or(("s", secs), |(name, n, _)| (name, secs / n))
}

/// A rule's unit as the form's field says it (durations have a picker).
pub fn input_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Secs => "",
        Unit::Fen => "元",
        Unit::BasisPoints => "%",
        Unit::Count => "次",
    }
}

#[cfg(test)]
mod tests {
    use super::super::RULES;
    use super::*;

    #[test]
    fn sane_ranges_hold_the_defaults_and_sit_inside_the_hard_ones() {
        for d in RULES {
            let (lo, hi) = sane(d.rule);
            assert!(d.min <= lo && lo <= hi && hi <= d.max, "{}", d.name());
            assert!(lo <= d.default && d.default <= hi, "{} default outside its sane range", d.name());
        }
        assert_eq!(sane(Rule::ChatReplySecs), (30, DAY));
        assert_eq!(sane(Rule::CaseMerchantSecs).0, HOUR);
    }

    #[test]
    fn refusals_name_the_limit_in_words_and_demo_allows_short_windows() {
        let chat = Rule::ChatReplySecs.def();
        assert_eq!(refusal(chat, 5, false).as_deref(), Some("不能少于 30 秒"));
        assert_eq!(refusal(chat, 5, true), None);
        assert_eq!(refusal(chat, 0, true).as_deref(), Some("不能少于 1 秒"));
        assert_eq!(refusal(chat, 2 * DAY, false).as_deref(), Some("不能超过 24 小时"));
        assert_eq!(refusal(Rule::CaseResolveSecs.def(), 600, false).as_deref(), Some("不能少于 1 小时"));
        assert_eq!(refusal(Rule::PlatformFeeBp.def(), 6_000, false).as_deref(), Some("不能超过 50%"));
        assert_eq!(refusal(chat, 300, false), None);
    }

    #[test]
    fn durations_are_typed_in_their_largest_whole_unit() {
        assert_eq!(time_unit_of(120), ("m", 2));
        assert_eq!(time_unit_of(86_400), ("d", 1));
        assert_eq!(time_unit_of(5_400), ("m", 90));
        assert_eq!(time_unit_of(5), ("s", 5));
        assert_eq!(time_unit_of(0), ("s", 0));
    }
}
