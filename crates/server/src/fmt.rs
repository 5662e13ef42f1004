//! How times, durations and amounts read to people: one place for the pages, the
//! mails, the evidence printout and the error messages that all say them.

use youying_core::Timestamp;

/// Published figures — reply times with a tenth of a second, shares as
/// percentages with two decimals and their exact fraction — rounded only in
/// the measured party's favour. They live in the core, because the grade
/// formula words its own components with them; every page, report and JSON
/// view reaches them through here.
pub use youying_core::grades::shown::{
    Better, fmt_basis_points, fmt_share, fmt_wait, percent_exact, share_basis_points, wait_secs,
};

/// Milliseconds since the epoch as Beijing time, `YYYY-MM-DD HH:MM`.
pub fn fmt_time(t: Timestamp) -> String {
    let secs = t.secs() + 8 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, (rem % 3600) / 60)
}

/// Howard Hinnant's days → civil date.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration in seconds, said the way a person would: 2 分钟, 24 小时, 3 天
/// (the core's one formatter, which the service promise uses too).
pub fn fmt_duration(secs: i64) -> String {
    youying_core::rules::words::duration(secs)
}

/// A signed amount as people read it: `¥12.34`, `-¥12.34`.
pub fn fmt_fen(fen: i64) -> String {
    youying_core::rules::words::yuan(fen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_read_naturally() {
        assert_eq!(fmt_time(Timestamp::from_millis(0)), "1970-01-01 08:00");
        assert_eq!(fmt_time(Timestamp::from_millis(1_764_000_000_000)), "2025-11-25 00:00");
        assert_eq!(fmt_duration(120), "2 分钟");
        assert_eq!(fmt_duration(86_400), "24 小时");
        assert_eq!(fmt_duration(7 * 86_400), "7 天");
        assert_eq!(fmt_duration(43_200), "12 小时");
        assert_eq!(fmt_duration(90), "1 分钟 30 秒");
    }

    #[test]
    fn amounts_read_back() {
        assert_eq!(fmt_fen(1234), "¥12.34");
        assert_eq!(fmt_fen(-50_000), "-¥500.00");
    }
}
