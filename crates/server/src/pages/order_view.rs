//! Pieces of the order page that depend on what was bought or on the time:
//! the words for the delivered units (卡密 for a card, 账号信息 for an
//! account), the live countdowns and the small script behind them and the
//! 复制 buttons.

use axum::http::header;
use axum::response::IntoResponse;
use youying_core::Timestamp;
use youying_core::catalogue::ProductKind;

use crate::fmt::fmt_time;

/// What the order page calls the delivered units and their parts.
pub struct UnitWords {
    /// The section title: 卡密 / 账号信息.
    pub title: &'static str,
    /// The reveal button and the link back to the units.
    pub reveal: &'static str,
    /// The first part of a unit: 卡密 (or 卡号 when a password follows) / 账号.
    pub code: &'static str,
    /// The second part, when there is one: 密码.
    pub secret: &'static str,
    /// What the buyer may report in 售后 for this kind of order.
    pub case_hint: &'static str,
}

impl UnitWords {
    pub fn of(kind: ProductKind) -> Self {
        match kind {
            ProductKind::CardKey => Self {
                title: "卡密",
                reveal: "查看卡密",
                code: "卡号",
                secret: "密码",
                case_hint: "卡密无效或已被使用？",
            },
            ProductKind::Account => Self {
                title: "账号信息",
                reveal: "查看账号信息",
                code: "账号",
                secret: "密码",
                case_hint: "账号无法登录或与描述不符？",
            },
            // A top-up delivers no units; only the 售后 hint is used.
            ProductKind::DirectTopup => Self {
                title: "充值信息",
                reveal: "查看充值信息",
                code: "充值账号",
                secret: "密码",
                case_hint: "充值未到账或到账不足？",
            },
        }
    }
}

/// A deadline shown as an absolute time and the time left, which the page's
/// script keeps ticking from the server's own clock.
pub struct Countdown {
    /// `YYYY-MM-DD HH:MM`, Beijing time.
    pub at: String,
    pub until_ms: i64,
    pub now_ms: i64,
    /// The remaining time as the server saw it: 还剩 2 小时 5 分.
    pub left: String,
    /// Whether it still runs (past deadlines do not tick).
    pub running: bool,
}

impl Countdown {
    pub fn new(until: Timestamp, now: Timestamp) -> Self {
        let left_ms = until.millis() - now.millis();
        Self {
            at: fmt_time(until),
            until_ms: until.millis(),
            now_ms: now.millis(),
            left: remaining(left_ms),
            running: left_ms > 0,
        }
    }
}

/// Time left in words, the same as `order.js` writes it: days and hours,
/// hours and minutes, or minutes and seconds.
pub fn remaining(ms: i64) -> String {
    if ms <= 0 {
        return "已到期".to_owned();
    }
    let s = ms.div_euclid(1000);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("还剩 {d} 天 {h} 小时")
    } else if h > 0 {
        format!("还剩 {h} 小时 {m} 分")
    } else {
        format!("还剩 {m} 分 {} 秒", s % 60)
    }
}

/// The order page's script: countdowns and 复制. No inline script (CSP).
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/order.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_the_script_writes_it() {
        assert_eq!(remaining(0), "已到期");
        assert_eq!(remaining(-5), "已到期");
        assert_eq!(remaining(59_999), "还剩 0 分 59 秒");
        assert_eq!(remaining((2 * 3600 + 5 * 60) * 1000 + 999), "还剩 2 小时 5 分");
        assert_eq!(remaining((3 * 86_400 + 7 * 3600) * 1000), "还剩 3 天 7 小时");
    }

    #[test]
    fn an_account_is_not_called_a_card_key() {
        let w = UnitWords::of(ProductKind::Account);
        assert!(![w.title, w.reveal, w.code, w.case_hint].iter().any(|s| s.contains("卡")));
    }
}
