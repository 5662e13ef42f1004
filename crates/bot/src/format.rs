//! Numbers as buyers read them: ¥12.50, 24 小时, 11月25日 18:00 (Beijing time).

/// Fen as yuan with two decimals (the core's one formatter, as every page says it).
pub fn yuan(fen: i64) -> String {
    youying_core::rules::words::yuan(fen)
}

/// A duration as people say it: 24 小时, 30 分钟, 1 小时 30 分钟, 3 天 — the
/// core's one formatter, so the bot quotes a rule exactly as `/rules` prints it.
pub fn duration(secs: i64) -> String {
    youying_core::rules::words::duration(secs)
}

/// A moment as Beijing time (UTC+8, no daylight saving): 11月25日 18:00.
pub fn beijing(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (_, month, day) = civil_from_days(days);
    format!("{month}月{day}日 {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A deadline relative to now: "11月25日 18:00 前（还剩 3 小时）" or "已于 … 到期".
pub fn deadline(now_ms: i64, due_ms: i64) -> String {
    if due_ms > now_ms {
        let left = (due_ms - now_ms) / 1000;
        // Rounded to minutes: a countdown in seconds reads as false precision.
        let left = if left >= 60 { left / 60 * 60 } else { left };
        format!("{} 前（还剩 {}）", beijing(due_ms), duration(left))
    } else {
        format!("已于 {} 到期", beijing(due_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_durations() {
        assert_eq!(yuan(1250), "¥12.50");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(duration(86_400), "24 小时");
        assert_eq!(duration(1_800), "30 分钟");
        assert_eq!(duration(5_400), "1 小时 30 分钟");
        assert_eq!(duration(259_200), "3 天");
    }

    #[test]
    fn beijing_time() {
        // 2026-11-25T10:00:00Z is 18:00 in Beijing.
        assert_eq!(beijing(1_795_600_800_000), "11月25日 18:00");
        assert_eq!(deadline(1_795_600_800_000 - 3 * 3_600_000, 1_795_600_800_000), "11月25日 18:00 前（还剩 3 小时）");
    }
}
