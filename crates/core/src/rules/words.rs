//! How the rules' numbers read to people, in one place for every label that
//! names a duration, an amount or a rate: the service promise, case pages,
//! published cases, the evidence printout, the home page.

/// A duration in seconds as a person says it: `30 秒`, `2 分钟`, `24 小时`,
/// `3 天`, `1 小时 30 分钟`. Whole days from two days up read as days; one day
/// reads as `24 小时`, the way buyers know it ("24 小时售后").
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 2 * 86_400 && s % 86_400 == 0 {
        return format!("{} 天", s / 86_400);
    }
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::with_capacity(3);
    if h > 0 {
        parts.push(format!("{h} 小时"));
    }
    if m > 0 {
        parts.push(format!("{m} 分钟"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} 秒"));
    }
    parts.join(" ")
}

/// An amount in fen as yuan: `¥12.34`, `-¥0.05`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", f / 100, f % 100)
}

/// Basis points as an exact percentage, no trailing zeros: `2%`, `0.6%`, `1.25%`.
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let b = bp.unsigned_abs();
    match b % 100 {
        0 => format!("{sign}{}%", b / 100),
        r if r % 10 == 0 => format!("{sign}{}.{}%", b / 100, r / 10),
        r => format!("{sign}{}.{r:02}%", b / 100),
    }
}

/// A rule's value in words, by its unit.
pub fn value(unit: super::Unit, v: i64) -> String {
    match unit {
        super::Unit::Secs => duration(v),
        super::Unit::Fen => yuan(v),
        super::Unit::BasisPoints => percent(v),
        super::Unit::Count => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(30), "30 秒");
        assert_eq!(duration(90), "1 分钟 30 秒");
        assert_eq!(duration(120), "2 分钟");
        assert_eq!(duration(180), "3 分钟");
        assert_eq!(duration(5_400), "1 小时 30 分钟");
        assert_eq!(duration(21_600), "6 小时");
        assert_eq!(duration(43_200), "12 小时");
        assert_eq!(duration(86_400), "24 小时");
        assert_eq!(duration(90_000), "25 小时");
        assert_eq!(duration(259_200), "3 天");
        assert_eq!(duration(30 * 86_400), "30 天");
        assert_eq!(duration(0), "0 秒");
    }

    #[test]
    fn amounts_and_rates_are_exact() {
        assert_eq!(yuan(100_000), "¥1000.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(-1234), "-¥12.34");
        assert_eq!(percent(200), "2%");
        assert_eq!(percent(60), "0.6%");
        assert_eq!(percent(125), "1.25%");
        assert_eq!(percent(2_500), "25%");
        assert_eq!(percent(5), "0.05%");
    }
}
