//! Public trust figures, no login: a shop's grade and what earned it, the
//! platform's own service report and its service promise (the rules in force).
//! Never a buyer's name, contact or text.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing;
use serde::Serialize;
use utoipa::ToSchema;
use youying_core::Timestamp;
use youying_core::grades::P90;
use youying_core::ports::Store;
use youying_core::values::ShopId;

use crate::app::public::{PublicRules, ServiceReport, ShopTrust, load_report, load_rules, load_shop};
use crate::error::ApiResult;
use crate::fmt::{percent_exact, wait_secs};
use crate::state::App;

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
    /// Buyer messages the shop never answered (the platform took over and the shop never replied).
    pub unanswered: i64,
    /// Shop replies that came after the platform took the message over (answered, late).
    pub late_replies: i64,
    /// p90 first human reply time in seconds with one decimal (cut down, never rounded up);
    /// `null` when unanswered or nobody wrote (see `reply_p90_unanswered`).
    pub reply_p90_secs: Option<f64>,
    /// The same, exact, in milliseconds.
    pub reply_p90_ms: Option<i64>,
    pub reply_p90_unanswered: bool,
    pub deadlines_met: i64,
    pub deadlines_missed: i64,
    /// Exact (`deadlines_met` / (met + missed) × 100), not rounded.
    pub deadlines_met_percent: Option<f64>,
    pub cases: i64,
    /// Exact, not rounded.
    pub cases_per_100_orders: Option<f64>,
    pub platform_decided: i64,
    /// Exact, not rounded.
    pub platform_decided_percent: Option<f64>,
    pub verified_reviews: i64,
    /// Exact, not rounded.
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
                late_replies: f.late_replies,
                reply_p90_secs: match r.p90 {
                    P90::Ms(ms) => Some(wait_secs(ms)),
                    _ => None,
                },
                reply_p90_ms: match r.p90 {
                    P90::Ms(ms) => Some(ms),
                    _ => None,
                },
                reply_p90_unanswered: r.p90 == P90::Unanswered,
                deadlines_met: f.deadlines_met,
                deadlines_missed: f.deadlines_missed,
                deadlines_met_percent: percent_exact(f.deadlines_met, f.deadlines_met + f.deadlines_missed),
                cases: f.cases,
                cases_per_100_orders: percent_exact(f.cases, f.orders),
                platform_decided: f.platform_cases,
                platform_decided_percent: percent_exact(f.platform_cases, f.cases),
                verified_reviews: f.reviews,
                verified_review_avg: percent_exact(f.review_stars, f.reviews * 100),
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
            review_avg: percent_exact(stars, count * 100),
            published_cases: t.published_cases,
            certified_agents_share_percent: {
                let (c, n) = t.certified_counts();
                percent_exact(c, n)
            },
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

#[utoipa::path(get, path = "/api/v1/public/service-report", tag = "public",
    responses((status = 200, body = ServiceReport, description = "the platform's own service figures for 7 and 30 days; no login")))]
pub async fn service_report<S: Store>(State(app): State<App<S>>) -> ApiResult<Json<ServiceReport>> {
    Ok(Json(load_report(&app).await?))
}

#[utoipa::path(get, path = "/api/v1/public/rules", tag = "public",
    responses((status = 200, body = PublicRules, description = "the service promise: every rule in force (name, value, unit), the promise in plain Chinese, and the history of changes, newest first; no login")))]
pub async fn rules<S: Store>(State(app): State<App<S>>) -> ApiResult<Json<PublicRules>> {
    Ok(Json(load_rules(&app).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/public/shops/{id}", routing::get(shop::<S>))
        .route("/api/v1/public/service-report", routing::get(service_report::<S>))
        .route("/api/v1/public/rules", routing::get(rules::<S>))
}
