//! A shop's public trust (grade, figures, deposit, penalties, reviews,
//! certified staff), the platform's service report and its service promise
//! (the rules in force), as the public API and the pages both show them.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::Timestamp;
use youying_core::anchor::Anchor;
use youying_core::deposit::{self, Standing};
use youying_core::enforcement::Penalty;
use youying_core::error::{Error, Result};
use youying_core::grades::port::StoredGrade;
use youying_core::grades::{GradeReport, P90, refresh};
use youying_core::ports::{ReadTx, Store};
use youying_core::report::{self, ServiceWindow};
use youying_core::rules::promise::{self, RuleChange};
use youying_core::rules::{self, RULES, Rule, Rules, words};
use youying_core::shops::Shop;
use youying_core::values::ShopId;

use crate::error::ApiResult;
use crate::fmt::fmt_time;
use crate::state::App;

/// Everything public about one shop's trust, read in one transaction.
#[derive(Debug, Clone)]
pub struct ShopTrust {
    pub shop: Shop,
    pub stored: StoredGrade,
    pub report: GradeReport,
    pub standing: Standing,
    pub penalties: Vec<Penalty>,
    /// Published reviews: count and sum of stars.
    pub reviews: (i64, i64),
    pub published_cases: i64,
    /// Staff (owner + agents) holding a valid quiz certificate, and all staff.
    pub certified: (usize, usize),
}

impl ShopTrust {
    /// Certified staff and all staff, as counts for a published share.
    pub fn certified_counts(&self) -> (i64, i64) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        (n(self.certified.0), n(self.certified.1))
    }
}

pub fn load_shop(tx: &mut dyn ReadTx, now: Timestamp, id: ShopId) -> Result<ShopTrust> {
    let shop = tx.shop(id)?.ok_or(Error::NotFound)?;
    let (stored, report) = refresh::current(tx, now, id)?;
    let penalties = tx.active_penalties(id)?.into_iter().filter(|p| p.in_force(now)).collect();
    Ok(ShopTrust {
        standing: deposit::standing(tx, now, id)?,
        certified: youying_core::quiz::certified_share(tx, id, now)?.unwrap_or((0, 0)),
        penalties,
        reviews: tx.published_reviews(id)?,
        // What the shop's page publishes: closed cases the platform stepped into.
        published_cases: i64::try_from(tx.published_cases(Some(id), 0, 100_000)?.len()).unwrap_or(i64::MAX),
        shop,
        stored,
        report,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseTypeView {
    pub kind: String,
    pub label: String,
    pub cases: i64,
    pub refunds: i64,
    pub refund_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreachView {
    pub kind: String,
    /// `shop` or `platform`.
    pub party: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotView {
    pub days_reported: i64,
    pub settled: i64,
    pub handed_over: i64,
    /// settled / (settled + handed_over); `null` when the bot reported nothing.
    pub settle_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportWindowView {
    pub days: i64,
    pub from: i64,
    pub to: i64,
    pub platform_replies: i64,
    /// Buyer messages platform agents let pass their deadline.
    pub platform_unanswered: i64,
    /// Seconds with one decimal, cut down (never rounded up).
    pub platform_reply_p90_secs: Option<f64>,
    /// The same, exact, in milliseconds.
    pub platform_reply_p90_ms: Option<i64>,
    pub platform_reply_p90_unanswered: bool,
    pub arbitrations_due: i64,
    pub arbitrations_in_time: i64,
    pub arbitrations_in_time_percent: Option<f64>,
    pub hours: i64,
    pub hours_on_duty: i64,
    pub duty_percent: Option<f64>,
    pub bot: BotView,
    pub cases_by_type: Vec<CaseTypeView>,
    pub breaches: Vec<BreachView>,
    /// Money in through gateways and out to withdrawers, per China day with any.
    pub money_by_day: Vec<MoneyDayView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyDayView {
    /// 00:00 Beijing time of the day (ms).
    pub day: i64,
    pub paid_in_fen: i64,
    pub paid_out_fen: i64,
}

impl ReportWindowView {
    pub fn of(w: &ServiceWindow) -> Self {
        Self {
            days: w.days,
            from: w.from.millis(),
            to: w.to.millis(),
            platform_replies: w.replies,
            platform_unanswered: w.unanswered,
            platform_reply_p90_secs: match w.reply_p90 {
                P90::Ms(ms) => Some(crate::fmt::wait_secs(ms)),
                _ => None,
            },
            platform_reply_p90_ms: match w.reply_p90 {
                P90::Ms(ms) => Some(ms),
                _ => None,
            },
            platform_reply_p90_unanswered: w.reply_p90 == P90::Unanswered,
            arbitrations_due: w.arbitrations_due,
            arbitrations_in_time: w.arbitrations_in_time,
            arbitrations_in_time_percent: crate::fmt::percent_exact(w.arbitrations_in_time, w.arbitrations_due),
            hours: w.hours,
            hours_on_duty: w.hours_on_duty,
            duty_percent: crate::fmt::percent_exact(w.hours_on_duty, w.hours),
            bot: BotView {
                days_reported: w.bot_days,
                settled: w.bot_settled,
                handed_over: w.bot_handed_over,
                settle_percent: crate::fmt::percent_exact(w.bot_settled, w.bot_settled + w.bot_handed_over),
            },
            cases_by_type: w
                .cases
                .iter()
                .map(|c| CaseTypeView {
                    kind: c.kind.clone(),
                    label: c.label.into(),
                    cases: c.cases,
                    refunds: c.refunds,
                    refund_fen: c.refund_fen,
                })
                .collect(),
            breaches: w
                .breaches
                .iter()
                .map(|b| BreachView {
                    kind: b.kind.as_str().to_owned(),
                    party: b.party.as_str().to_owned(),
                    count: b.count,
                })
                .collect(),
            money_by_day: w
                .money
                .iter()
                .map(|m| MoneyDayView { day: m.day.millis(), paid_in_fen: m.paid_in_fen, paid_out_fen: m.paid_out_fen })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceReport {
    pub generated_at: i64,
    /// The last 7 and the last 30 days.
    pub windows: Vec<ReportWindowView>,
    /// The evidence chain's newest anchor (as `/api/v1/public/chain-head`).
    #[schema(value_type = Option<Object>)]
    pub chain_head: Option<Anchor>,
}

pub async fn load_report<S: Store>(app: &App<S>) -> ApiResult<ServiceReport> {
    let now = app.now();
    let (w7, w30, head) = app
        .store
        .read(move |tx| Ok((report::window(tx, now, 7)?, report::window(tx, now, 30)?, tx.last_anchor()?)))
        .await?;
    Ok(ServiceReport {
        generated_at: now.millis(),
        windows: vec![ReportWindowView::of(&w7), ReportWindowView::of(&w30)],
        chain_head: head,
    })
}

/// One rule in force, machine-readable and in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleValueView {
    /// The rule's name, as the admin API takes it (`chat_reply_secs`).
    pub name: String,
    pub label: String,
    pub value: i64,
    /// `secs`, `fen`, `count` or `basis_points`.
    pub unit: String,
    pub default: i64,
    /// The value as people read it: `2 分钟`, `¥1000.00`, `2%`.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseLineView {
    pub topic: String,
    pub text: String,
    /// The rules this sentence quotes.
    pub rules: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseSectionView {
    /// `after_sales`, `chat`, `escrow`, `topup`, `penalties`, `fees` or `money`.
    pub key: String,
    pub title: String,
    pub lines: Vec<PromiseLineView>,
}

/// One recorded change of a rule (from its `rule.changed` evidence event).
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleChangeView {
    /// Position of the change on the evidence chain.
    pub seq: i64,
    pub at: i64,
    pub name: String,
    pub label: String,
    pub old: i64,
    pub new: i64,
    /// `2026-12-07 20:00 买家消息人工回复时限：2 分钟 → 3 分钟` (Beijing time).
    pub text: String,
}

/// The service promise (服务承诺): the public rules in force, in plain words, and every change.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRules {
    pub generated_at: i64,
    pub rules: Vec<RuleValueView>,
    pub sections: Vec<PromiseSectionView>,
    /// Newest first.
    pub history: Vec<RuleChangeView>,
}

fn rule_label(rule: Rule) -> String {
    crate::i18n::t(&format!("rule.{}", rule.as_str())).to_owned()
}

impl PublicRules {
    pub fn of(now: Timestamp, r: &Rules, changes: &[RuleChange]) -> Self {
        Self {
            generated_at: now.millis(),
            rules: RULES
                .iter()
                .filter(|d| promise::is_public(d.rule))
                .map(|d| RuleValueView {
                    name: d.name().to_owned(),
                    label: rule_label(d.rule),
                    value: r.get(d.rule),
                    unit: d.unit.as_str().to_owned(),
                    default: d.default,
                    text: words::value(d.unit, r.get(d.rule)),
                })
                .collect(),
            sections: promise::promise(r)
                .into_iter()
                .map(|p| PromiseSectionView {
                    key: p.section.as_str().to_owned(),
                    title: p.title.to_owned(),
                    lines: p
                        .lines
                        .into_iter()
                        .map(|l| PromiseLineView {
                            topic: l.topic.to_owned(),
                            text: l.text,
                            rules: l.rules.iter().map(|&s| s.to_owned()).collect(),
                        })
                        .collect(),
                })
                .collect(),
            history: changes
                .iter()
                .map(|c| RuleChangeView {
                    seq: c.seq,
                    at: c.at.millis(),
                    name: c.rule.as_str().to_owned(),
                    label: rule_label(c.rule),
                    old: c.old,
                    new: c.new,
                    text: format!("{} {}：{}", fmt_time(c.at), rule_label(c.rule), c.words()),
                })
                .collect(),
        }
    }
}

/// The rules in force and their history, read in one transaction.
pub async fn load_rules<S: Store>(app: &App<S>) -> ApiResult<PublicRules> {
    let now = app.now();
    let (r, changes) = app.store.read(|tx| Ok((rules::in_force(tx)?, promise::history(tx)?))).await?;
    Ok(PublicRules::of(now, &r, &changes))
}
