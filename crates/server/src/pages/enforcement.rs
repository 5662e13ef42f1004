//! Deposit and penalty pages: the merchant's 保证金与违规 page (standing, top-up
//! form, penalties and the breaches behind them) and the admin's penalty
//! overview with the lift form (a reason is required).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::authz::{self, ShopAction};
use youying_core::deposit::{self, DepositSource, Standing};
use youying_core::enforcement::Breach;
use youying_core::enforcement::Party;
use youying_core::enforcement::{self, Penalty, PenaltyState};
use youying_core::money::Fen;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule, Rules};
use youying_core::values::ShopId;
use youying_core::{Error, shops};

use super::forms::{field, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;

struct PenaltyRow {
    id: i64,
    shop_id: i64,
    kind: &'static str,
    state: &'static str,
    active: bool,
    started: String,
    ends: String,
    breaches: String,
    money: String,
    lift: String,
}

fn penalty_row(p: &Penalty) -> PenaltyRow {
    let money = match (p.amount_fen, p.shortfall_fen) {
        (0, 0) => String::new(),
        (a, 0) => format!("扣除 {}", fmt_fen(a)),
        (a, s) => format!("扣除 {}，差额 {} 已记录", fmt_fen(a), fmt_fen(s)),
    };
    let lift = match (&p.lift_reason, p.lifted_at) {
        (Some(r), Some(at)) => format!("{} 撤销：{r}", fmt_time(at)),
        _ => String::new(),
    };
    PenaltyRow {
        id: p.id,
        shop_id: p.shop_id.0,
        kind: p.kind.label(),
        state: p.state.label(),
        active: p.state == PenaltyState::Active,
        started: fmt_time(p.started_at),
        ends: p.ends_at.map(fmt_time).unwrap_or_default(),
        breaches: p.breach_ids.iter().map(|b| format!("#{b}")).collect::<Vec<_>>().join(" "),
        money,
        lift,
    }
}

struct BreachRow {
    id: i64,
    label: &'static str,
    subject: String,
    /// Where the evidence is: the order or the conversation.
    link: Option<String>,
    at: String,
    detail: String,
}

fn breach_row(b: &Breach) -> BreachRow {
    let link = if let Some(no) = b.subject.strip_prefix("order:") {
        Some(format!("/orders/{no}"))
    } else {
        b.subject.strip_prefix("conversation:").map(|id| format!("/merchant/chat/{id}"))
    };
    BreachRow {
        id: b.id,
        label: b.kind.label(),
        subject: b.subject.clone(),
        link,
        at: fmt_time(b.at),
        detail: b.detail.clone(),
    }
}

#[derive(Template)]
#[template(path = "shop_enforcement.html")]
struct ShopPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    owner: bool,
    deposit: String,
    minimum: String,
    hidden: Option<&'static str>,
    downranked_until: Option<String>,
    /// The ladder as the rules in force say it.
    ladder: String,
    penalties: Vec<PenaltyRow>,
    breaches: Vec<BreachRow>,
    error: Option<String>,
}

fn ladder(r: &Rules) -> String {
    format!(
        "{} 内违规次数：第 {} 次警告，第 {} 次降权 {}，第 {} 次从保证金罚款 {}，第 {} 次全部商品下架待平台审核。",
        fmt_duration(r.get(Rule::PenaltyWindowSecs)),
        r.get(Rule::PenaltyWarnAt),
        r.get(Rule::PenaltyDownrankAt),
        fmt_duration(r.get(Rule::PenaltyDownrankSecs)),
        r.get(Rule::PenaltyFineAt),
        fmt_fen(r.get(Rule::PenaltyFineFen)),
        r.get(Rule::PenaltySuspendAt),
    )
}

async fn shop_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    error: Option<&AppError>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let (shop, owner, standing, ps, bs, rules): (_, _, Standing, _, _, Rules) = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &user, ShopId(id), ShopAction::Serve)?;
            let owner = shop.owner_id == user.id;
            let bs: Vec<Breach> =
                tx.breaches(Some(shop.id), 200)?.into_iter().filter(|b| b.party == Party::Shop).collect();
            let standing = deposit::standing(tx, now, shop.id)?;
            let ps = tx.penalties(Some(shop.id), 200)?;
            Ok((shop, owner, standing, ps, bs, rules::in_force(tx)?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = ShopPage {
        page: &page.layout,
        shop_id: shop.id.0,
        shop_name: shop.name,
        owner,
        deposit: fmt_fen(standing.deposit_fen),
        minimum: fmt_fen(standing.deposit_min_fen),
        hidden: standing.hidden_reason().map(deposit::hidden_label),
        downranked_until: standing.downranked_until.map(fmt_time),
        ladder: ladder(&rules),
        penalties: ps.iter().map(penalty_row).collect(),
        breaches: bs.iter().map(breach_row).collect(),
        error: error.map(AppError::message),
    };
    let status = error.map_or(StatusCode::OK, AppError::status);
    Ok(render(status, &page.layout, &t))
}

/// 保证金与违规: the shop's standing, the top-up form, penalties and breaches.
pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    shop_page(&app, &page, id, None).await
}

/// The top-up form: yuan from the owner's wallet or the shop's income.
pub async fn top_up<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let done = async {
        let amount = Fen::positive(parse_yuan("amount_fen", field(&pairs, "amount"))?)?;
        let from = DepositSource::parse(field(&pairs, "from").trim())?;
        let now = app.now();
        app.store.write(move |tx| deposit::top_up(tx, now, &user, ShopId(id), amount, from)).await?;
        crate::catalog::sync_search(&app).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match done {
        Ok(()) => Ok(see_other(&format!("/merchant/shops/{id}/enforcement"))),
        Err(e) => {
            e.log();
            shop_page(&app, &page, id, Some(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "penalties.html")]
struct OverviewPage<'a> {
    page: &'a Layout,
    penalties: Vec<(PenaltyRow, String)>,
    /// The breach-counting window in force, in words.
    window: String,
    error: Option<String>,
}

async fn overview_page<S: Store>(app: &App<S>, page: &Page, error: Option<&AppError>) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    // The platform's penalties are the admin's to review and lift (PRODUCT.md).
    authz::admin(&v.user).map_err(|e| page.error(e.into()))?;
    let (rows, window) = app
        .store
        .read(|tx| {
            let mut out = Vec::new();
            for p in tx.penalties(None, 500)? {
                let name = tx.shop(p.shop_id)?.map(|s| s.name).unwrap_or_default();
                out.push((penalty_row(&p), name));
            }
            Ok((out, rules::in_force(tx)?.get(Rule::PenaltyWindowSecs)))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = OverviewPage {
        page: &page.layout,
        penalties: rows,
        window: fmt_duration(window),
        error: error.map(AppError::message),
    };
    Ok(render(error.map_or(StatusCode::OK, AppError::status), &page.layout, &t))
}

/// 处罚总览: every shop's penalties, newest first, with the lift form.
pub async fn overview<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    overview_page(&app, &page, None).await
}

/// Lifts a penalty; the written reason is required and kept.
pub async fn lift<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let reason = field(&pairs, "reason").to_owned();
    let now = app.now();
    let done = async {
        app.store.write(move |tx| enforcement::lift(tx, now, &user, id, &reason)).await?;
        crate::catalog::sync_search(&app).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match done {
        Ok(()) => {
            let page = Page { layout: page.layout.clone().with_flash("处罚已撤销，原因已记录。"), ..page };
            overview_page(&app, &page, None).await
        }
        Err(AppError::Core(e @ Error::Forbidden)) => Err(page.error(e.into())),
        Err(e) => {
            e.log();
            overview_page(&app, &page, Some(&e)).await
        }
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/shops/{id}/enforcement", routing::get(show::<S>))
        .route("/merchant/shops/{id}/deposit", routing::post(top_up::<S>))
        .route("/platform/penalties", routing::get(overview::<S>))
        .route("/admin/penalties/{id}/lift", routing::post(lift::<S>))
}
