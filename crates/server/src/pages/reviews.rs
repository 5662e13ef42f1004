//! Review pages: the buyer's form on the order page, the platform's
//! moderation queue, the shop's list with its one reply per review, and the
//! public 评价 / 公示案例 sections of a shop's page (buyers shown as 匿名买家).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::authz::{self, ShopAction};
use youying_core::cases::publication::{self, PublicCase};
use youying_core::ports::{ReadTx, Store};
use youying_core::reviews::{self, Review, ReviewState};
use youying_core::rules::{self, Rule};
use youying_core::values::ShopId;

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::reviews::{self as review_ops, ANONYMOUS, PER_PAGE};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;

/// ★★★★☆ for 4.
pub fn stars_text(n: i64) -> String {
    let n = usize::try_from(n.clamp(0, 5)).unwrap_or(0);
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

/// A review as a page shows it.
#[derive(Debug)]
pub struct ReviewLine {
    pub id: i64,
    pub stars: i64,
    pub stars_text: String,
    pub text: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub hold_label: &'static str,
    pub note: Option<String>,
    pub reply: Option<String>,
    pub date: String,
    pub buyer: &'static str,
    /// Rejected and still editable (see `reviews::MAX_RESUBMISSIONS`).
    pub can_resubmit: bool,
    pub resubmits_left: i64,
    pub resubmissions: i64,
}

impl ReviewLine {
    pub fn of(r: &Review) -> Self {
        Self {
            id: r.id.0,
            stars: r.stars,
            stars_text: stars_text(r.stars),
            text: r.body.clone(),
            state: r.state.as_str(),
            state_label: r.state.label(),
            hold_label: r.hold_reason.map_or("", |h| h.label()),
            note: r.moderation_note.clone(),
            reply: r.reply.clone(),
            date: fmt_time(r.created_at),
            buyer: ANONYMOUS,
            can_resubmit: reviews::can_resubmit(r),
            resubmits_left: (reviews::MAX_RESUBMISSIONS - r.resubmissions).max(0),
            resubmissions: r.resubmissions,
        }
    }
}

/// A published case as the shop page shows it.
#[derive(Debug)]
pub struct CaseLine {
    pub id: i64,
    pub type_label: &'static str,
    pub opened: String,
    pub stepped_in: String,
    pub outcome: &'static str,
    pub refund: String,
    pub steps: Vec<(String, &'static str, String)>,
    pub response: Option<String>,
}

impl CaseLine {
    pub fn of(c: &PublicCase) -> Self {
        let ts = |ms: i64| fmt_time(youying_core::Timestamp::from_millis(ms));
        Self {
            id: c.id,
            type_label: c.type_label,
            opened: ts(c.opened_at),
            stepped_in: c.stepped_in_label.clone(),
            outcome: c.outcome_label,
            refund: if c.refund_fen > 0 { fmt_fen(c.refund_fen) } else { String::new() },
            steps: c.timeline.iter().map(|s| (ts(s.at), s.actor, s.what.clone())).collect(),
            response: c.public_response.clone(),
        }
    }
}

/// What the shop page shows under 评价 and 公示案例.
#[derive(Debug)]
pub struct ShopTrust {
    pub reviews: Vec<ReviewLine>,
    pub reviews_more: bool,
    pub cases: Vec<CaseLine>,
    pub cases_more: bool,
    /// The after-sales window in force (售后 N 内必有结果), in words.
    pub resolve_window: String,
}

/// Loads the shop page's trust sections, inside the page's read.
pub fn shop_trust(tx: &mut dyn ReadTx, shop: ShopId) -> Result<ShopTrust, Error> {
    let (reviews, reviews_more) = reviews::public_page(tx, shop, 1, PER_PAGE)?;
    let (cases, cases_more) = publication::public_page(tx, Some(shop), 1, PER_PAGE)?;
    Ok(ShopTrust {
        reviews: reviews.iter().map(ReviewLine::of).collect(),
        reviews_more,
        cases: cases.iter().map(CaseLine::of).collect(),
        cases_more,
        resolve_window: fmt_duration(rules::in_force(tx)?.get(Rule::CaseResolveSecs)),
    })
}

// ---- the buyer ---------------------------------------------------------------

/// The review form on its own page: where a refused review comes back (422,
/// the message beside the field, what was typed kept), and where a rejected
/// review is edited. `review` is the buyer's review when there is one.
#[derive(Template)]
#[template(path = "review_edit.html")]
struct EditPage<'a> {
    page: &'a Layout,
    no: String,
    review: Option<ReviewLine>,
    /// A new review, or a rejected one still editable.
    editable: bool,
    stars: i64,
    text: String,
    error: Option<String>,
    error_field: &'static str,
}

async fn edit_page<S: Store>(
    app: &App<S>,
    page: &Page,
    no: String,
    typed: Option<(i64, String, AppError)>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let n = no.clone();
    let review = app
        .store
        .read(move |tx| reviews::of_order(tx, &user, &n))
        .await
        .map_err(|e| page.error(e.into()))?
        .map(|r| ReviewLine::of(&r));
    let (stars, text) = match (&typed, &review) {
        (Some((s, t, _)), _) => (*s, t.clone()),
        (None, Some(r)) => (r.stars, r.text.clone()),
        (None, None) => (5, String::new()),
    };
    let (status, error, error_field) = match typed {
        Some((_, _, e)) => {
            let field = match &e {
                AppError::Core(Error::Invalid { field: "stars", .. }) => "stars",
                AppError::Core(Error::Invalid { field: "review_body", .. }) => "text",
                _ => "",
            };
            (e.status(), Some(e.message()), field)
        }
        None => (StatusCode::OK, None, ""),
    };
    let editable = review.as_ref().is_none_or(|r| r.can_resubmit);
    let t = EditPage { page: &page.layout, no, review, editable, stars, text, error, error_field };
    Ok(render(status, &page.layout, &t))
}

/// A refusal the form can show: bad input, or a state that moved on.
fn shown(e: &AppError) -> bool {
    matches!(e, AppError::Core(Error::Invalid { .. } | Error::Conflict(_)))
}

/// 发表评价, from the order page.
pub async fn write<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let stars = field(&f, "stars").trim().parse::<i64>().unwrap_or(0);
    let text = field(&f, "text").to_owned();
    match review_ops::write(&app, user, no.clone(), stars, text.clone()).await {
        Ok(_) => Ok(see_other(&format!("/orders/{no}#review"))),
        Err(e) if shown(&e) => edit_page(&app, &page, no, Some((stars, text, e))).await,
        Err(e) => Err(page.error(e)),
    }
}

/// 修改评价: the form again, prefilled with the review as it stands.
pub async fn edit_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    edit_page(&app, &page, no, None).await
}

/// A rejected review, edited along the moderator's reason, back to moderation.
pub async fn edit<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let stars = field(&f, "stars").trim().parse::<i64>().unwrap_or(0);
    let text = field(&f, "text").to_owned();
    match review_ops::resubmit(&app, user, no.clone(), stars, text.clone()).await {
        Ok(_) => Ok(see_other(&format!("/orders/{no}#review"))),
        Err(e) if shown(&e) => edit_page(&app, &page, no, Some((stars, text, e))).await,
        Err(e) => Err(page.error(e)),
    }
}

// ---- the platform ------------------------------------------------------------

#[derive(Template)]
#[template(path = "reviews_moderation.html")]
struct QueuePage<'a> {
    page: &'a Layout,
    rows: Vec<(ReviewLine, String)>,
    /// A refused decision: the review it was about (0: none), the words, the note typed.
    refused_id: i64,
    refused_message: String,
    refused_note: String,
}

async fn queue_page<S: Store>(
    app: &App<S>,
    page: &Page,
    status: StatusCode,
    refused: Option<(i64, String, String)>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let list = app
        .store
        .read(move |tx| {
            authz::platform_staff(&user)?;
            let held = tx.reviews_in_state(ReviewState::Held, 200)?;
            let mut rows = Vec::with_capacity(held.len());
            for r in held {
                let shop = tx.shop(r.shop_id)?.map(|s| s.name).unwrap_or_default();
                rows.push((ReviewLine::of(&r), shop));
            }
            Ok(rows)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let (refused_id, refused_message, refused_note) = refused.unwrap_or_default();
    let t = QueuePage { page: &page.layout, rows: list, refused_id, refused_message, refused_note };
    Ok(render(status, &page.layout, &t))
}

pub async fn queue<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    queue_page(&app, &page, StatusCode::OK, None).await
}

pub async fn moderate<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let note = field(&f, "note").to_owned();
    match review_ops::moderate_as(&app, user, id, field(&f, "decision"), note.clone()).await {
        Ok(_) => Ok(see_other("/platform/reviews")),
        // A rejection without its reason: the queue again, the note field marked.
        Err(e @ AppError::Core(Error::Invalid { .. })) => {
            queue_page(&app, &page, e.status(), Some((id, e.message(), note))).await
        }
        Err(e) => Err(page.error(e)),
    }
}

// ---- the shop ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop_reviews.html")]
struct ShopReviewsPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    rows: Vec<ReviewLine>,
}

pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (shop, list) = app
        .store
        .read(move |tx| {
            let shop = tx.shop(ShopId(id))?.ok_or(Error::NotFound)?;
            authz::shop(&user, ShopAction::Serve, &shop)?;
            let list = tx.reviews_of_shop(shop.id, Some(ReviewState::Published), 0, 200)?;
            Ok((shop, list))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = ShopReviewsPage {
        page: &page.layout,
        shop_id: shop.id.0,
        shop_name: shop.name,
        rows: list.iter().map(ReviewLine::of).collect(),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

pub async fn reply<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let r = review_ops::reply_as(&app, user, id, field(&f, "text").to_owned()).await.map_err(|e| page.error(e))?;
    Ok(see_other(&format!("/merchant/shops/{}/reviews#review-{}", r.shop_id.0, r.id.0)))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/orders/{no}/review", routing::post(write::<S>))
        .route("/orders/{no}/review/edit", routing::get(edit_form::<S>).post(edit::<S>))
        .route("/platform/reviews", routing::get(queue::<S>))
        .route("/platform/reviews/{id}/moderate", routing::post(moderate::<S>))
        .route("/merchant/shops/{id}/reviews", routing::get(of_shop::<S>))
        .route("/merchant/reviews/{id}/reply", routing::post(reply::<S>))
}
