//! Public trust figures, no login: a shop's grade and what earned it, and the
//! platform's own service report. Never a buyer's name, contact or text.

use axum::Json;
use axum::extract::{Path, State};
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
use youying_core::shops::Shop;
use youying_core::values::ShopId;

use crate::error::ApiResult;
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
    /// Certified staff in per mille of all staff.
    pub fn certified_permille(&self) -> Option<i64> {
        let (certified, total) = self.certified;
        let (c, t) = (i64::try_from(certified).ok()?, i64::try_from(total).ok()?);
        (t > 0).then(|| c * 1000 / t)
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

/// Per-mille as a percentage with one decimal.
#[allow(clippy::cast_precision_loss)]
pub fn percent(permille: Option<i64>) -> Option<f64> {
    permille.map(|p| p as f64 / 10.0)
}

#[allow(clippy::cast_precision_loss)]
fn centi(v: Option<i64>) -> Option<f64> {
    v.map(|c| c as f64 / 100.0)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    pub key: String,
    pub label: String,
    /// The measured value in words, as the shop page prints it.
    pub value: String,
    pub points: i64,
    pub max: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Orders in the last 30 days.
    pub orders: i64,
    pub replies_measured: i64,
    /// Buyer messages the shop never answered (the platform took over).
    pub unanswered: i64,
    /// p90 first human reply time; `null` when unanswered or nobody wrote (see `reply_p90_unanswered`).
    pub reply_p90_secs: Option<i64>,
    pub reply_p90_unanswered: bool,
    pub deadlines_met: i64,
    pub deadlines_missed: i64,
    pub deadlines_met_percent: Option<f64>,
    pub cases: i64,
    pub cases_per_100_orders: Option<f64>,
    pub platform_decided: i64,
    pub platform_decided_percent: Option<f64>,
    pub verified_reviews: i64,
    pub verified_review_avg: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PenaltyView {
    pub kind: String,
    pub label: String,
    /// When it ends by itself (ms since the epoch); `null` until lifted.
    pub until: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicShop {
    pub id: i64,
    pub name: String,
    /// `A`, `B`, `C`, `D` or `new` (新店).
    pub grade: String,
    pub grade_label: String,
    pub points: i64,
    /// The hard rule that decided, if any: `suspended`, `unanswered`, `new`.
    pub rule: Option<String>,
    pub computed_at: i64,
    pub components: Vec<ComponentView>,
    pub figures: FiguresView,
    pub deposit_held_fen: i64,
    pub active_penalties: Vec<PenaltyView>,
    pub review_count: i64,
    pub review_avg: Option<f64>,
    /// Cases the platform stepped into (published on the shop's page).
    pub published_cases: i64,
    /// Staff (owner + agents) holding a valid rules-quiz certificate, in percent of all staff (one decimal).
    pub certified_agents_share_percent: Option<f64>,
}

impl PublicShop {
    pub fn of(t: &ShopTrust) -> Self {
        let (f, r) = (&t.stored.figures, &t.report);
        let (count, stars) = t.reviews;
        Self {
            id: t.shop.id.0,
            name: t.shop.name.clone(),
            grade: t.stored.grade.as_str().to_owned(),
            grade_label: t.stored.grade.label().to_owned(),
            points: t.stored.points,
            rule: r.rule.map(str::to_owned),
            computed_at: t.stored.computed_at.millis(),
            components: r
                .components
                .iter()
                .map(|c| ComponentView {
                    key: c.key.into(),
                    label: c.label.into(),
                    value: c.value.clone(),
                    points: c.points,
                    max: c.max,
                })
                .collect(),
            figures: FiguresView {
                orders: f.orders,
                replies_measured: f.reply_waits_ms.len() as i64,
                unanswered: f.unanswered,
                reply_p90_secs: match r.p90 {
                    P90::Ms(ms) => Some((ms + 999) / 1000),
                    _ => None,
                },
                reply_p90_unanswered: r.p90 == P90::Unanswered,
                deadlines_met: f.deadlines_met,
                deadlines_missed: f.deadlines_missed,
                deadlines_met_percent: percent(r.deadlines_met_permille),
                cases: f.cases,
                cases_per_100_orders: centi(r.cases_per_100_centi),
                platform_decided: f.platform_cases,
                platform_decided_percent: percent(r.platform_decided_permille),
                verified_reviews: f.reviews,
                verified_review_avg: centi(r.review_avg_centi),
            },
            deposit_held_fen: t.standing.deposit_fen,
            active_penalties: t
                .penalties
                .iter()
                .map(|p| PenaltyView {
                    kind: p.kind.as_str().into(),
                    label: p.kind.label().into(),
                    until: p.ends_at.map(Timestamp::millis),
                })
                .collect(),
            review_count: count,
            review_avg: centi((count > 0).then(|| stars * 100 / count)),
            published_cases: t.published_cases,
            certified_agents_share_percent: percent(t.certified_permille()),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/public/shops/{id}", tag = "public",
    params(("id" = i64, Path, description = "shop id")),
    responses((status = 200, body = PublicShop, description = "the shop's grade, the figures behind it, deposit, penalties, reviews and published cases; no login"),
               (status = 404, description = "no such shop")))]
pub async fn shop<S: Store>(State(app): State<App<S>>, Path(id): Path<i64>) -> ApiResult<Json<PublicShop>> {
    let now = app.now();
    let t = app.store.read(move |tx| load_shop(tx, now, ShopId(id))).await?;
    Ok(Json(PublicShop::of(&t)))
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
    pub platform_reply_p90_secs: Option<i64>,
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
                P90::Ms(ms) => Some((ms + 999) / 1000),
                _ => None,
            },
            platform_reply_p90_unanswered: w.reply_p90 == P90::Unanswered,
            arbitrations_due: w.arbitrations_due,
            arbitrations_in_time: w.arbitrations_in_time,
            arbitrations_in_time_percent: percent(w.arbitration_permille()),
            hours: w.hours,
            hours_on_duty: w.hours_on_duty,
            duty_percent: percent(w.duty_permille()),
            bot: BotView {
                days_reported: w.bot_days,
                settled: w.bot_settled,
                handed_over: w.bot_handed_over,
                settle_percent: percent(w.bot_settle_permille()),
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

#[utoipa::path(get, path = "/api/v1/public/service-report", tag = "public",
    responses((status = 200, body = ServiceReport, description = "the platform's own service figures for 7 and 30 days; no login")))]
pub async fn service_report<S: Store>(State(app): State<App<S>>) -> ApiResult<Json<ServiceReport>> {
    Ok(Json(load_report(&app).await?))
}
