//! The admin's rules form in human units: durations as a number and a unit
//! (秒/分钟/小时/天), money in yuan, rates in percent, counts as counts. A
//! submitted form is checked field by field against each rule's range
//! (`rules::bounds`: the sane range, the hard one in demo mode); refused
//! values come back beside their fields with what was typed, accepted ones
//! lead to a confirmation page that names each change before anything is saved.

use std::collections::BTreeMap;

use youying_core::Error;
use youying_core::rules::{Rule, RuleDef, Rules, Unit, bounds, words};

use super::forms::{field, parse_yuan, urlencode, yuan_input};
use crate::error::AppError;

/// One rule's row on the form: its value as typed (or as stored, in the
/// largest whole unit) and its message when refused.
#[derive(Debug)]
pub struct RuleField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    /// For durations, the chosen unit (`d`, `h`, `m`, `s`); empty otherwise.
    pub time_unit: String,
    pub is_time: bool,
    /// `元`, `%` or `次` after the input, for what is not a duration.
    pub suffix: &'static str,
    /// The current value in words.
    pub current: String,
    /// The allowed range in words.
    pub range: String,
    pub error: String,
}

pub fn label(d: &RuleDef) -> &'static str {
    crate::i18n::t(&format!("rule.{}", d.name()))
}

/// The form as stored: every rule in its natural unit.
pub fn fields(rules: &Rules, demo: bool) -> Vec<RuleField> {
    youying_core::rules::RULES
        .iter()
        .map(|d| {
            let v = rules.get(d.rule);
            let (value, time_unit) = match d.unit {
                Unit::Secs => {
                    let (u, n) = bounds::time_unit_of(v);
                    (n.to_string(), u.to_owned())
                }
                Unit::Fen => (yuan_input(v), String::new()),
                Unit::BasisPoints => (words::percent(v).trim_end_matches('%').to_owned(), String::new()),
                Unit::Count => (v.to_string(), String::new()),
            };
            let (lo, hi) = bounds::range(d, demo);
            RuleField {
                name: d.name(),
                label: label(d),
                value,
                time_unit,
                is_time: d.unit == Unit::Secs,
                suffix: bounds::input_unit(d.unit),
                current: words::value(d.unit, v),
                range: format!("{} – {}", words::value(d.unit, lo), words::value(d.unit, hi)),
                error: String::new(),
            }
        })
        .collect()
}

/// A percentage typed with at most two decimals (`0.6` → 60 basis points).
fn parse_percent(raw: &str) -> Option<i64> {
    let s = raw.trim().trim_end_matches(['%', '％']).trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 6 || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?)
}

fn parse_count(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 12 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// One field's value in the rule's own unit, or the message beside it.
fn parse_one(d: &RuleDef, raw: &str, unit: &str) -> Result<i64, String> {
    match d.unit {
        Unit::Secs => {
            let n = parse_count(raw).ok_or("请填写整数")?;
            let mult =
                bounds::TIME_UNITS.iter().find(|(u, _, _)| *u == unit).map(|(_, m, _)| *m).ok_or("请选择单位")?;
            n.checked_mul(mult).ok_or_else(|| "数值太大".to_owned())
        }
        Unit::Fen => parse_yuan("rules", raw).map_err(|_| {
            if raw.trim().is_empty() {
                "请填写金额"
            } else {
                "金额格式不对：请填写如 12.34 的金额（元，最多两位小数）"
            }
            .to_owned()
        }),
        Unit::BasisPoints => parse_percent(raw).ok_or_else(|| "请填写百分比，如 2 或 0.6（最多两位小数）".to_owned()),
        Unit::Count => parse_count(raw).ok_or_else(|| "请填写整数".to_owned()),
    }
}

/// Reads a posted form: the changed rules in their own units, or the form
/// with every refused field's message (and everything typed kept).
pub fn read(
    form: &[(String, String)],
    rules: &Rules,
    demo: bool,
) -> Result<BTreeMap<&'static str, i64>, Vec<RuleField>> {
    let mut rows = fields(rules, demo);
    let mut changes = BTreeMap::new();
    let mut refused = false;
    for (row, d) in rows.iter_mut().zip(youying_core::rules::RULES) {
        // A field the form did not send is left as it is.
        if !form.iter().any(|(k, _)| k == d.name()) {
            continue;
        }
        let raw = field(form, d.name());
        let unit = field(form, &format!("{}__unit", d.name()));
        row.value = raw.to_owned();
        if d.unit == Unit::Secs {
            row.time_unit = unit.to_owned();
        }
        let parsed = parse_one(d, raw, unit).and_then(|v| bounds::refusal(d, v, demo).map_or(Ok(v), Err));
        match parsed {
            Ok(v) if v != rules.get(d.rule) => {
                changes.insert(d.name(), v);
            }
            Ok(_) => {}
            Err(msg) => {
                row.error = format!("{}：{msg}", label(d));
                refused = true;
            }
        }
    }
    if refused { Err(rows) } else { Ok(changes) }
}

/// `/admin/rules/confirm?…`: the changes, each in its own unit.
pub fn confirm_href(changes: &BTreeMap<&'static str, i64>) -> String {
    let q: Vec<String> = changes.iter().map(|(k, v)| format!("{}={}", urlencode(k), v)).collect();
    format!("/admin/rules/confirm?{}", q.join("&"))
}

/// One change as the confirmation names it: "聊天回复时限：2 分钟 → 5 分钟".
#[derive(Debug)]
pub struct Change {
    pub name: &'static str,
    pub value: i64,
    pub words: String,
}

/// Checks a change set (from the confirmation's query or its posted form)
/// against the ranges, and says each change in words.
pub fn describe(changes: &BTreeMap<String, i64>, rules: &Rules, demo: bool) -> Result<Vec<Change>, AppError> {
    let mut out = Vec::new();
    for (name, &value) in changes {
        let d = Rule::parse(name).map(Rule::def).ok_or_else(|| Error::UnknownRule(name.clone()))?;
        if bounds::refusal(d, value, demo).is_some() {
            let (min, max) = bounds::range(d, demo);
            return Err(Error::RuleOutOfRange { name: name.clone(), min, max }.into());
        }
        let before = rules.get(d.rule);
        if before != value {
            let words = format!("{}：{} → {}", label(d), words::value(d.unit, before), words::value(d.unit, value));
            out.push(Change { name: d.name(), value, words });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_shown(rules: &Rules) -> Vec<(String, String)> {
        let mut f = Vec::new();
        for r in fields(rules, false) {
            f.push((r.name.to_owned(), r.value.clone()));
            f.push((format!("{}__unit", r.name), r.time_unit.clone()));
        }
        f
    }

    #[test]
    fn the_form_as_shown_changes_nothing_and_units_convert() {
        let rules = Rules::default();
        let mut f = as_shown(&rules);
        assert!(read(&f, &rules, false).unwrap().is_empty());
        for (k, v) in &mut f {
            match k.as_str() {
                "chat_reply_secs" => *v = "5".into(),
                "platform_fee_bp" => *v = "2.5".into(),
                "deposit_min_fen" => *v = "2000".into(),
                _ => {}
            }
        }
        let c = read(&f, &rules, false).unwrap();
        assert_eq!(c["chat_reply_secs"], 300, "5 分钟");
        assert_eq!(c["platform_fee_bp"], 250);
        assert_eq!(c["deposit_min_fen"], 200_000);
    }

    #[test]
    fn refusals_sit_beside_their_field_with_the_typed_value() {
        let rules = Rules::default();
        let mut f = as_shown(&rules);
        for (k, v) in &mut f {
            if k == "chat_reply_secs" {
                *v = "10".into();
            }
            if k == "chat_reply_secs__unit" {
                *v = "s".into();
            }
        }
        let rows = read(&f, &rules, false).unwrap_err();
        let chat = rows.iter().find(|r| r.name == "chat_reply_secs").unwrap();
        assert_eq!(chat.error, "买家消息人工回复时限：不能少于 30 秒");
        assert_eq!((chat.value.as_str(), chat.time_unit.as_str()), ("10", "s"));
        assert!(read(&f, &rules, true).is_ok(), "the demo may run a 10-second window");
        assert_eq!(parse_percent("0.6"), Some(60));
        assert_eq!(parse_percent("1.234"), None);
    }
}
