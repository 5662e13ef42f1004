//! The public trust pages: a shop's grade section (included in its page), the
//! formula page `/grades` (评级规则) and the platform's service report `/report`
//! (平台服务报告). Charts are server-side SVG from [`crate::svg`].

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::enforcement::{BreachKind, Party};
use youying_core::grades::history::{History, history};
use youying_core::grades::{self, BANDS, Figures, MIN_SAMPLE_MESSAGES, NEUTRAL_REVIEW_CENTI, NEW_SHOP_ORDERS};
use youying_core::ports::Store;
use youying_core::rules::{Rule, in_force};
use youying_core::values::ShopId;

use super::layout::{Layout, Page, PageError, render};
use crate::app::public::{ReportWindowView, ShopTrust, load_report, load_shop};
use crate::error::AppError;
use crate::fmt::{Better, fmt_basis_points, fmt_duration, fmt_fen, fmt_share, fmt_time, fmt_wait, share_basis_points};
use crate::state::App;
use crate::svg::{Bar, bar_chart};

pub struct Line {
    pub label: String,
    pub value: String,
    pub points: i64,
    pub max: i64,
}

/// The grade section of a shop's page.
pub struct GradeSection {
    /// `A`…`D` or `new`, for the badge's class.
    pub letter: &'static str,
    pub label: &'static str,
    pub points: i64,
    pub rule_note: Option<String>,
    pub lines: Vec<Line>,
    pub computed_at: String,
    pub deposit: String,
    pub penalties: Vec<(&'static str, Option<String>)>,
    pub review_count: i64,
    pub published_cases: i64,
    /// Certified agents' share, once agent certification exists.
    pub certified_agents_share: Option<String>,
    /// Server-built SVG: no user text in them, every label escaped by `svg`.
    pub charts: Vec<String>,
}

pub fn rule_note(rule: Option<&str>) -> Option<String> {
    Some(match rule? {
        "suspended" => "店铺处于封店状态，评级为 D".to_owned(),
        "unanswered" => "超过一成买家消息从未得到店铺回复，评级为 D".to_owned(),
        "sample" => format!(
            "近 30 天等待店铺回复的买家消息不足 {MIN_SAMPLE_MESSAGES} 条，样本太少，暂不适用“未回复”规则，显示为新店（实测数据如下）"
        ),
        "new" => format!("近 30 天订单不足 {NEW_SHOP_ORDERS} 笔，显示为新店"),
        _ => return None,
    })
}

fn week_label(t: youying_core::Timestamp) -> String {
    fmt_time(t).get(5..10).unwrap_or_default().to_owned()
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub fn charts(h: &History) -> Vec<String> {
    let replies: Vec<Bar> = h
        .reply_buckets
        .iter()
        .map(|b| Bar { label: b.label.clone(), value: b.count as f64, shown: b.count.to_string() })
        .collect();
    let met: Vec<Bar> = h
        .weeks
        .iter()
        .map(|w| {
            let bp = share_basis_points(w.met, w.met + w.missed, Better::Higher);
            Bar {
                label: week_label(w.from),
                value: bp.map_or(0.0, |p| p as f64 / 100.0),
                shown: bp.map_or("—".to_owned(), fmt_basis_points),
            }
        })
        .collect();
    let cases: Vec<Bar> = h
        .weeks
        .iter()
        .map(|w| Bar { label: week_label(w.from), value: w.cases as f64, shown: w.cases.to_string() })
        .collect();
    vec![
        bar_chart("chart-reply", "首次人工回复时间分布（近 30 天）", &replies, None),
        bar_chart("chart-deadlines", "每周按时处理率（近 8 周）", &met, Some(100.0)),
        bar_chart("chart-cases", "每周售后数（近 8 周）", &cases, None),
    ]
}

fn section_of(t: &ShopTrust, h: &History) -> GradeSection {
    GradeSection {
        letter: t.stored.grade.as_str(),
        label: t.stored.grade.label(),
        points: t.stored.points,
        rule_note: rule_note(t.report.rule),
        lines: t
            .report
            .components
            .iter()
            .map(|c| Line { label: c.label.into(), value: c.value.clone(), points: c.points, max: c.max })
            .collect(),
        computed_at: fmt_time(t.stored.computed_at),
        deposit: fmt_fen(t.standing.deposit_fen),
        penalties: t.penalties.iter().map(|p| (p.kind.label(), p.ends_at.map(fmt_time))).collect(),
        review_count: t.reviews.0,
        published_cases: t.published_cases,
        certified_agents_share: {
            let (c, n) = t.certified_counts();
            share_basis_points(c, n, Better::Higher).map(|bp| format!("{}（{c}/{n} 人持证）", fmt_basis_points(bp)))
        },
        charts: charts(h),
    }
}

/// The grade section for `shop`'s public page.
pub async fn section<S: Store>(app: &App<S>, shop: ShopId) -> Result<GradeSection, AppError> {
    let now = app.now();
    let (t, h) = app.store.read(move |tx| Ok((load_shop(tx, now, shop)?, history(tx, now, shop)?))).await?;
    Ok(section_of(&t, &h))
}

pub struct RuleRow {
    pub name: &'static str,
    pub max: i64,
    pub measure: String,
    pub steps: String,
}

fn steps(list: &[(i64, i64)], fmt: impl Fn(i64) -> String, cmp: &str, rest: &str) -> String {
    let mut parts: Vec<String> = list.iter().map(|(at, p)| format!("{cmp} {}：{p} 分", fmt(*at))).collect();
    parts.push(rest.to_owned());
    parts.join("；")
}

fn pm(v: i64) -> String {
    format!("{}.{} %", v / 10, v % 10)
}

/// The formula's rows; `merchant` and `resolve` are the after-sales windows in force, in words.
fn rule_rows(merchant: &str, resolve: &str) -> Vec<RuleRow> {
    vec![
        RuleRow {
            name: "首次人工回复（p90）",
            max: 30,
            measure: "近 30 天店铺对买家消息的首次人工回复用时（精确到 0.1 秒，只舍不入），取第 90 百分位（最近秩法：排序后第 ⌈0.9n⌉ 个）。由平台接管、店铺始终没有回复的消息计为“未回复”，排在所有回复之后；平台接管后店铺才回复的，算作迟到的回复，按实际用时计入。".into(),
            steps: steps(
                &grades::REPLY_STEPS_SECS,
                |s| format!("{s} 秒"),
                "≤",
                &format!("更慢或未回复：0 分；无买家咨询：{} 分", grades::REPLY_NO_DATA),
            ),
        },
        RuleRow {
            name: "按时处理率",
            max: 25,
            measure: format!("按时的首次回复 + 商家 {merchant}内处理的售后，除以它们加上记在店铺名下的违约（超时未回复、售后超时、直充超时；平台停机期间到期的事项不算店铺违约）。迟到的回复不算按时。百分比保留两位小数、向有利于店铺的方向取整，并附精确分数。"),
            steps: steps(&grades::MET_STEPS_PERMILLE, pm, "≥", "更低：0 分；无到期事项：25 分"),
        },
        RuleRow {
            name: "每百单售后数",
            max: 20,
            measure: "近 30 天新开售后数 ÷ 订单数 × 100。".into(),
            steps: steps(&grades::CASES_STEPS_CENTI, |c| format!("{}", c / 100), "≤", "更多：0 分"),
        },
        RuleRow {
            name: "需平台裁决的售后占比",
            max: 15,
            measure: format!("平台不得不介入的售后（商家沉默自动退款、平台仲裁、{resolve}兜底退款）占全部售后的比例。"),
            steps: steps(&grades::PLATFORM_STEPS_PERMILLE, pm, "≤", "更高：0 分；无售后：15 分"),
        },
        RuleRow {
            name: "已验证评价均分",
            max: 10,
            measure: "近 30 天已公开、且订单已完成的评价星级平均值。".into(),
            steps: steps(
                &grades::REVIEW_STEPS_CENTI,
                |c| format!("{}.{:02} 星", c / 100, c % 100),
                "≥",
                &format!(
                    "更低：0 分；暂无评价按 {}.{:02} 星计",
                    NEUTRAL_REVIEW_CENTI / 100,
                    NEUTRAL_REVIEW_CENTI % 100
                ),
            ),
        },
    ]
}

/// The worked example on the rules page: the formula itself computes it.
fn example() -> (Figures, grades::GradeReport) {
    let f = Figures {
        orders: 40,
        reply_waits_ms: [90, 100, 110, 115, 118, 119, 120, 130, 200, 400].iter().map(|s| s * 1000).collect(),
        unanswered: 0,
        late_replies: 0,
        deadlines_met: 20,
        deadlines_missed: 1,
        cases: 1,
        platform_cases: 0,
        reviews: 0,
        review_stars: 0,
        suspended: false,
    };
    let r = grades::grade(&f);
    (f, r)
}

#[derive(Template)]
#[template(path = "grades.html")]
struct RulesPage<'a> {
    page: &'a Layout,
    rows: Vec<RuleRow>,
    bands: Vec<(&'static str, i64)>,
    new_orders: i64,
    min_sample: i64,
    example: Vec<Line>,
    example_points: i64,
    example_grade: &'static str,
}

pub async fn rules<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let windows = case_windows(&app).await.map_err(|e| page.error(e))?;
    let (_, r) = example();
    let t = RulesPage {
        page: &page.layout,
        rows: rule_rows(&windows.0, &windows.1),
        bands: BANDS.iter().map(|(g, at)| (g.as_str(), *at)).collect(),
        new_orders: NEW_SHOP_ORDERS,
        min_sample: MIN_SAMPLE_MESSAGES,
        example: r
            .components
            .iter()
            .map(|c| Line { label: c.label.into(), value: c.value.clone(), points: c.points, max: c.max })
            .collect(),
        example_points: r.points,
        example_grade: r.grade.label(),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The after-sales windows in force, in words: (merchant's, resolution's).
async fn case_windows<S: Store>(app: &App<S>) -> Result<(String, String), AppError> {
    let r = app.store.read(|tx| in_force(tx)).await?;
    Ok((fmt_duration(r.get(Rule::CaseMerchantSecs)), fmt_duration(r.get(Rule::CaseResolveSecs))))
}

/// One window of the report, worded.
pub struct ReportCol {
    pub days: i64,
    pub reply: String,
    pub arbitration: String,
    pub duty: String,
    pub bot: String,
    pub cases: Vec<(String, i64, i64, String)>,
    pub breaches: Vec<(String, String, i64)>,
    /// (date, paid in, paid out) per day with money moving, and the totals.
    pub money: Vec<(String, String, String)>,
    pub money_total: (String, String),
}

/// A share of the platform's own, worded like a shop's: rounded only in the
/// platform's favour, with the exact fraction.
fn pct(part: i64, whole: i64, unit: &str) -> String {
    share_basis_points(part, whole, Better::Higher).map_or_else(
        || format!("无数据（{part}/{whole} {unit}）"),
        |bp| format!("{}（{part}/{whole} {unit}）", fmt_basis_points(bp)),
    )
}

/// Breach kinds as the public reads them; the platform's own kinds included.
/// `resolve` is the after-sales window in force, in words.
fn breach_label(kind: &str, resolve: &str) -> String {
    match BreachKind::parse(kind) {
        Some(BreachKind::PlatformChatReply) => "平台超时未回复买家".into(),
        Some(BreachKind::PlatformCaseUnresolved) => format!("售后 {resolve}未结案（兜底退款）"),
        Some(BreachKind::PlatformOutage) => "平台停机期间到期（已为责任方顺延）".into(),
        k => format!("{}（{kind}）", k.map_or("其他违规", BreachKind::label)),
    }
}

fn party_label(p: &str) -> String {
    if Party::parse(p) == Some(Party::Platform) { "平台".into() } else { "商家".into() }
}

fn col(w: &ReportWindowView, resolve: &str) -> ReportCol {
    let reply = match (w.platform_reply_p90_ms, w.platform_reply_p90_unanswered) {
        (_, true) => format!("p90 未回复（{} 次回复，{} 次超时）", w.platform_replies, w.platform_unanswered),
        (Some(ms), _) => {
            format!("p90 {}（{} 次回复，{} 次超时）", fmt_wait(ms), w.platform_replies, w.platform_unanswered)
        }
        (None, _) => "本期无需平台回复的消息".into(),
    };
    ReportCol {
        days: w.days,
        reply,
        arbitration: pct(w.arbitrations_in_time, w.arbitrations_due, "件"),
        duty: pct(w.hours_on_duty, w.hours, "小时"),
        bot: match fmt_share(w.bot.settled, w.bot.settled + w.bot.handed_over, Better::Higher) {
            Some(p) => format!("{p}：解决 {}，转人工 {}", w.bot.settled, w.bot.handed_over),
            None => "暂无机器人数据".into(),
        },
        cases: w.cases_by_type.iter().map(|c| (c.label.clone(), c.cases, c.refunds, fmt_fen(c.refund_fen))).collect(),
        breaches: w.breaches.iter().map(|b| (breach_label(&b.kind, resolve), party_label(&b.party), b.count)).collect(),
        money: w
            .money_by_day
            .iter()
            .map(|m| {
                let date: String = fmt_time(youying_core::Timestamp::from_millis(m.day)).chars().take(10).collect();
                (date, fmt_fen(m.paid_in_fen), fmt_fen(m.paid_out_fen))
            })
            .collect(),
        money_total: (
            fmt_fen(w.money_by_day.iter().map(|m| m.paid_in_fen).sum()),
            fmt_fen(w.money_by_day.iter().map(|m| m.paid_out_fen).sum()),
        ),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    page: &'a Layout,
    cols: Vec<ReportCol>,
    generated: String,
    chain_head: Option<(String, String)>,
    /// The after-sales window in force, in words (仲裁按时 = within it).
    resolve_window: String,
}

pub async fn report<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let r = load_report(&app).await.map_err(|e| page.error(e))?;
    let (_, resolve_window) = case_windows(&app).await.map_err(|e| page.error(e))?;
    let t = ReportPage {
        page: &page.layout,
        cols: r.windows.iter().map(|w| col(w, &resolve_window)).collect(),
        resolve_window,
        generated: fmt_time(youying_core::Timestamp::from_millis(r.generated_at)),
        chain_head: r.chain_head.map(|a| (a.hash, fmt_time(a.at))),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/grades", routing::get(rules::<S>)).route("/report", routing::get(report::<S>))
}
