//! How measured figures are said in public — on a shop's grade, on the
//! formula page, in the platform's service report and in the public JSON.
//! Never rounded in the measured party's disfavour:
//!
//! - a wait is shown in seconds with one decimal, cut *down* to the tenth
//!   (12.34 s → `12.3 秒`): a shorter wait is the better one;
//! - a share is shown as a percentage with two decimals, rounded *towards*
//!   the better side (up for a share of deadlines met, down for a share of
//!   cases the platform had to decide), followed by the exact fraction, so
//!   nobody has to trust the rounding at all: `95.24 %（20/21）`.
//!
//! The formula scores each figure exactly as it is shown here (a wait of
//! 60.09 s reads `60.0 秒` and scores as ≤ 60 s), so the points never
//! contradict the words and the margin always goes to the measured party.
//! The server's `fmt` module re-exports these functions, so every page and
//! report uses the same ones.

/// Which way is better for the measured party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A wait of `ms` milliseconds as `12.3 秒` (tenths, cut down).
pub fn fmt_wait(ms: i64) -> String {
    let tenths = ms.max(0) / 100;
    format!("{}.{} 秒", tenths / 10, tenths % 10)
}

/// The same wait as a number of seconds with one decimal (cut down), for JSON.
#[allow(clippy::cast_precision_loss)] // waits are far below 2^52 ms
pub fn wait_secs(ms: i64) -> f64 {
    (ms.max(0) / 100) as f64 / 10.0
}

/// `part / whole` in hundredths of a percent, rounded towards `better`;
/// `None` when `whole` is 0.
pub fn share_basis_points(part: i64, whole: i64, better: Better) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    let num = part.max(0) * 10_000;
    Some(match better {
        Better::Higher => (num + whole - 1) / whole,
        Better::Lower => num / whole,
    })
}

/// Hundredths of a percent as `95.24 %`.
pub fn fmt_basis_points(bp: i64) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100)
}

/// `part / whole` as `95.24 %（20/21）`; `None` when `whole` is 0.
pub fn fmt_share(part: i64, whole: i64, better: Better) -> Option<String> {
    let bp = share_basis_points(part, whole, better)?;
    Some(format!("{}（{part}/{whole}）", fmt_basis_points(bp)))
}

/// The exact share in percent, for JSON: no rounding beyond `f64` itself.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub fn percent_exact(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_keep_a_tenth_and_never_round_up() {
        assert_eq!(fmt_wait(12_345), "12.3 秒");
        assert_eq!(fmt_wait(12_399), "12.3 秒");
        assert_eq!(fmt_wait(60_001), "60.0 秒", "60.001 s is not shown as 61 s");
        assert_eq!(fmt_wait(400), "0.4 秒");
        assert!((wait_secs(12_399) - 12.3).abs() < 1e-9);
    }

    #[test]
    fn shares_round_towards_the_better_side_and_show_the_fraction() {
        assert_eq!(fmt_share(20, 21, Better::Higher).as_deref(), Some("95.24 %（20/21）"));
        assert_eq!(fmt_share(979_999, 1_000_000, Better::Higher).as_deref(), Some("98.00 %（979999/1000000）"));
        assert_eq!(fmt_share(1, 3, Better::Lower).as_deref(), Some("33.33 %（1/3）"));
        assert_eq!(fmt_share(2, 3, Better::Higher).as_deref(), Some("66.67 %（2/3）"));
        assert_eq!(fmt_share(2, 3, Better::Lower).as_deref(), Some("66.66 %（2/3）"));
        assert_eq!(fmt_share(1, 1, Better::Higher).as_deref(), Some("100.00 %（1/1）"));
        assert_eq!(fmt_share(0, 0, Better::Higher), None);
        assert_eq!(percent_exact(20, 21), Some(2000.0 / 21.0));
    }
}
