//! Merchant grades (评级): A/B/C/D or 新店, from a published formula over the
//! last 30 days of *measured* figures — never from what a shop says of itself.
//!
//! The formula, exactly as the public page `/grades` prints it (100 points):
//!
//! | component | measured as | points |
//! |---|---|---|
//! | reply speed (30) | p90 of the shop's first human reply times. A buyer message that never got a shop reply (the platform took it over and the shop never answered it) counts as *unanswered*, slower than any reply; a shop reply that came after the takeover is a *late reply*: its wait counts at its real length | ≤ 60 s 30 · ≤ 2 min 20 · ≤ 5 min 10 · ≤ 15 min 5 · slower or unanswered 0 · no buyer wrote 20 |
//! | deadlines met (25) | in-time replies and cases acted on before the merchant's 12 h, against breaches charged to the shop (a late reply is not in time) | ≥ 98 % 25 · ≥ 95 % 20 · ≥ 90 % 15 · ≥ 80 % 8 · lower 0 · no deadline 25 |
//! | cases per 100 orders (20) | cases opened ÷ orders × 100 | ≤ 1 20 · ≤ 3 15 · ≤ 5 10 · ≤ 10 5 · more 0 |
//! | platform decided (15) | share of the cases the platform had to decide (auto refund at silence, arbitration, safety net) | 0 % 15 · ≤ 10 % 10 · ≤ 25 % 5 · more 0 · no case 15 |
//! | reviews (10) | average stars of published reviews of completed orders; none counts as 4.0 | ≥ 4.8 10 · ≥ 4.5 8 · ≥ 4.0 6 · ≥ 3.5 4 · ≥ 3.0 2 · lower 0 |
//!
//! Bands: A ≥ 85 · B ≥ 70 · C ≥ 50 · D below. Then the hard rules, in order:
//! an active suspension → D; a p90 that is *unanswered* (more than one buyer
//! message in ten never answered by the shop) → D whatever the other points,
//! once the sample is large enough — at least [`MIN_SAMPLE_MESSAGES`] buyer
//! messages awaited the shop in 30 days — so a shop that vanished can never
//! grade above one that answers; below that sample one message cannot make a
//! shop D: it shows 新店 with its measured figures; fewer than 20 orders in
//! 30 days → 新店.
//!
//! Every threshold is in whole units (seconds, per-mille, hundredths of a
//! star) so a reader can redo the sums by hand, and the formula reads each
//! figure exactly as the page shows it: a reply time cut down to the tenth of
//! a second, a share of deadlines met rounded up and a share of platform
//! decisions rounded down to the hundredth of a percent, cases per 100 orders
//! cut down and the review average rounded up to the hundredth — each only
//! ever in the shop's favour ([`shown`]), so points never contradict words.

pub mod history;
pub mod port;
pub mod refresh;
pub mod shown;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// How far back the figures reach.
pub const WINDOW_SECS: i64 = 30 * 86_400;
/// Fewer orders than this in the window: 新店.
pub const NEW_SHOP_ORDERS: i64 = 20;
/// The "unanswered → D" rule applies only from this many buyer messages that
/// awaited the shop in the window (answered, late or never): below it, one
/// lapse is one in a handful, not a habit.
pub const MIN_SAMPLE_MESSAGES: i64 = 10;
/// The review average a shop without reviews is given, in hundredths of a star.
pub const NEUTRAL_REVIEW_CENTI: i64 = 400;
/// Points at which each grade starts.
pub const BANDS: [(Grade, i64); 3] = [(Grade::A, 85), (Grade::B, 70), (Grade::C, 50)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
    /// 新店: too few orders to judge.
    New,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::New => "new",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Grade::A, Grade::B, Grade::C, Grade::D, Grade::New].into_iter().find(|g| g.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::New => "新店",
            g => g.as_str(),
        }
    }

    /// Added to each product's rank in search: A above B above C above D among
    /// equally relevant results; a new shop sits with C. Small beside a
    /// down-ranking (1000), so a penalty still dominates.
    pub fn rank_offset(self) -> i64 {
        match self {
            Grade::A => 30,
            Grade::B => 20,
            Grade::C | Grade::New => 10,
            Grade::D => 0,
        }
    }
}

/// What was measured for one shop over the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Orders placed in the window.
    pub orders: i64,
    /// The shop's first human reply times, in ms.
    pub reply_waits_ms: Vec<i64>,
    /// Buyer messages the shop never answered (taken over, and no shop reply after).
    pub unanswered: i64,
    /// Shop replies that came after the platform took the message over; their
    /// waits are in `reply_waits_ms`.
    #[serde(default)]
    pub late_replies: i64,
    /// In-time replies plus cases the merchant acted on before its deadline.
    pub deadlines_met: i64,
    /// Breaches charged to the shop (any kind).
    pub deadlines_missed: i64,
    /// Cases opened in the window.
    pub cases: i64,
    /// Of those, the ones the platform had to decide.
    pub platform_cases: i64,
    /// Published reviews of completed orders, and the sum of their stars.
    pub reviews: i64,
    pub review_stars: i64,
    /// An active suspension.
    pub suspended: bool,
}

/// The p90 first-reply time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ms", rename_all = "snake_case")]
pub enum P90 {
    /// No buyer message awaited the shop.
    NoData,
    Ms(i64),
    /// The 90th percentile falls on a message the shop never answered.
    Unanswered,
}

/// One component: its measured value, as the page shows it, and its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    pub key: &'static str,
    pub label: &'static str,
    /// The measured value in words (“p90 45 秒”, “96.0 %”).
    pub value: String,
    pub points: i64,
    pub max: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GradeReport {
    pub grade: Grade,
    pub points: i64,
    pub components: Vec<Component>,
    /// Which hard rule decided, if one did: `suspended`, `unanswered`,
    /// `sample` (unanswered, but too few messages to judge: 新店), `new`.
    pub rule: Option<&'static str>,
    pub p90: P90,
    /// Per-mille shares and the rate, as used in the formula.
    pub deadlines_met_permille: Option<i64>,
    pub cases_per_100_centi: Option<i64>,
    pub platform_decided_permille: Option<i64>,
    pub review_avg_centi: Option<i64>,
}

/// Nearest-rank p90 over the answered waits, with the unanswered sorted last.
pub fn p90(waits_ms: &[i64], unanswered: i64) -> P90 {
    let n = waits_ms.len() as i64 + unanswered.max(0);
    if n == 0 {
        return P90::NoData;
    }
    let rank = (n * 9 + 9) / 10; // ceil(0.9 n), 1-based
    let mut sorted = waits_ms.to_vec();
    sorted.sort_unstable();
    match sorted.get(usize::try_from(rank - 1).unwrap_or(usize::MAX)) {
        Some(ms) => P90::Ms(*ms),
        None => P90::Unanswered,
    }
}

/// `part / whole` in per-mille, rounded down; `None` when `whole` is 0.
pub fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 1000 / whole)
}

/// Points of the first threshold `value` reaches (`at_least` thresholds).
fn ge(value: i64, steps: &[(i64, i64)]) -> i64 {
    steps.iter().find(|(limit, _)| value >= *limit).map_or(0, |(_, p)| *p)
}

pub const REPLY_STEPS_SECS: [(i64, i64); 4] = [(60, 30), (120, 20), (300, 10), (900, 5)];
pub const REPLY_NO_DATA: i64 = 20;
pub const MET_STEPS_PERMILLE: [(i64, i64); 4] = [(980, 25), (950, 20), (900, 15), (800, 8)];
pub const CASES_STEPS_CENTI: [(i64, i64); 4] = [(100, 20), (300, 15), (500, 10), (1000, 5)];
pub const PLATFORM_STEPS_PERMILLE: [(i64, i64); 3] = [(0, 15), (100, 10), (250, 5)];
pub const REVIEW_STEPS_CENTI: [(i64, i64); 5] = [(480, 10), (450, 8), (400, 6), (350, 4), (300, 2)];

/// Points of the first threshold `value` meets (`at_most` thresholds).
fn le(value: i64, steps: &[(i64, i64)]) -> i64 {
    steps.iter().find(|(limit, _)| value <= *limit).map_or(0, |(_, p)| *p)
}

fn reply_component(p: P90) -> Component {
    let (value, points) = match p {
        P90::NoData => ("无买家咨询".to_owned(), REPLY_NO_DATA),
        P90::Ms(ms) => {
            (format!("p90 {}", shown::fmt_wait(ms)), le(ms / 100, &REPLY_STEPS_SECS.map(|(secs, p)| (secs * 10, p))))
        }
        P90::Unanswered => ("p90 未回复".to_owned(), 0),
    };
    Component { key: "reply_p90", label: "首次人工回复（p90）", value, points, max: 30 }
}

/// The formula: figures in, grade and points per component out.
pub fn grade(f: &Figures) -> GradeReport {
    let p = p90(&f.reply_waits_ms, f.unanswered);
    let due = f.deadlines_met + f.deadlines_missed;
    let met = permille(f.deadlines_met, due);
    let rate = (f.orders > 0).then(|| f.cases * 10_000 / f.orders);
    let platform = permille(f.platform_cases, f.cases);
    // Rounded up: more stars are better.
    let reviews = (f.reviews > 0).then(|| (f.review_stars * 100 + f.reviews - 1) / f.reviews);
    // The formula reads each figure as it is shown (rounded only in the
    // shop's favour, [`shown`]), so the points never contradict the words.
    let met_bp = shown::share_basis_points(f.deadlines_met, due, shown::Better::Higher);
    let platform_bp = shown::share_basis_points(f.platform_cases, f.cases, shown::Better::Lower);
    let components = vec![
        reply_component(p),
        Component {
            key: "deadlines_met",
            label: "按时处理率",
            value: shown::fmt_share(f.deadlines_met, due, shown::Better::Higher)
                .unwrap_or_else(|| "无到期事项".to_owned()),
            points: met_bp.map_or(25, |m| ge(m, &MET_STEPS_PERMILLE.map(|(at, p)| (at * 10, p)))),
            max: 25,
        },
        Component {
            key: "cases_per_100",
            label: "每百单售后数",
            // Fewer is better: cut down to the hundredth.
            value: rate
                .map_or("无订单".to_owned(), |r| format!("{}.{:02}（{}/{}）", r / 100, r % 100, f.cases, f.orders)),
            points: rate.map_or(20, |r| le(r, &CASES_STEPS_CENTI)),
            max: 20,
        },
        Component {
            key: "platform_decided",
            label: "需平台裁决的售后占比",
            value: shown::fmt_share(f.platform_cases, f.cases, shown::Better::Lower)
                .unwrap_or_else(|| "无售后".to_owned()),
            points: platform_bp.map_or(15, |s| le(s, &PLATFORM_STEPS_PERMILLE.map(|(at, p)| (at * 10, p)))),
            max: 15,
        },
        review_component(f),
    ];
    let points: i64 = components.iter().map(|c| c.points).sum();
    let banded = BANDS.iter().find(|(_, at)| points >= *at).map_or(Grade::D, |(g, _)| *g);
    let (grade, rule) = if f.suspended {
        (Grade::D, Some("suspended"))
    } else if p == P90::Unanswered && f.awaited() >= MIN_SAMPLE_MESSAGES {
        (Grade::D, Some("unanswered"))
    } else if p == P90::Unanswered {
        (Grade::New, Some("sample"))
    } else if f.orders < NEW_SHOP_ORDERS {
        (Grade::New, Some("new"))
    } else {
        (banded, None)
    };
    GradeReport {
        grade,
        points,
        components,
        rule,
        p90: p,
        deadlines_met_permille: met,
        cases_per_100_centi: rate,
        platform_decided_permille: platform,
        review_avg_centi: reviews,
    }
}

/// The review component: the average, rounded up to the hundredth of a star
/// (more is better), and its points read from that same figure.
fn review_component(f: &Figures) -> Component {
    let (value, points) = if f.reviews > 0 {
        let shown = (f.review_stars * 100 + f.reviews - 1) / f.reviews;
        let points = ge(shown, &REVIEW_STEPS_CENTI);
        (format!("{}.{:02} 星（{} 条）", shown / 100, shown % 100, f.reviews), points)
    } else {
        ("暂无评价，按 4.00 星计".to_owned(), ge(NEUTRAL_REVIEW_CENTI, &REVIEW_STEPS_CENTI))
    };
    Component { key: "reviews", label: "已验证评价均分", value, points, max: 10 }
}

impl Figures {
    /// Buyer messages that awaited the shop: answered (in time or late) or never.
    pub fn awaited(&self) -> i64 {
        self.reply_waits_ms.len() as i64 + self.unanswered.max(0)
    }
}
