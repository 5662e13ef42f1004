//! After-sales pages: the buyer opens a case from the order page and follows
//! its timeline with live countdowns; the merchant works its cases by deadline;
//! platform agents work the arbitration queue. Every form carries the CSRF
//! token; forms with screenshots are multipart.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::cases::publication::{self, PublicCase};
use youying_core::cases::{Action, Attachment, Case, CaseState, CaseType, Decision, OpenCase, Side};
use youying_core::catalogue::ProductKind;
use youying_core::orders;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_core::snapshot::Snapshot;
use youying_core::values::{CaseId, Role};

use super::forms::parse_yuan_opt;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::cases::{self as case_ops, TimelineEntry};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;

/// A posted multipart form: text fields and files.
#[derive(Default)]
struct Posted {
    fields: Vec<(String, String)>,
    files: Vec<Attachment>,
}

impl Posted {
    fn get(&self, name: &str) -> &str {
        super::forms::field(&self.fields, name)
    }
}

async fn read_form(mut m: Multipart) -> Result<Posted, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        } else {
            AppError::http(StatusCode::BAD_REQUEST, "invalid_input")
        }
    };
    let mut p = Posted::default();
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "screenshots" {
            let file = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(bad)?.to_vec();
            if !bytes.is_empty() {
                p.files.push(Attachment { name: file, bytes });
            }
        } else {
            let v = field.text().await.map_err(bad)?;
            p.fields.push((name, v));
        }
    }
    Ok(p)
}

// ---- opening -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage<'a> {
    page: &'a Layout,
    no: String,
    title: String,
    types: Vec<(&'static str, &'static str)>,
    attrs: Vec<(String, String)>,
    protect_until: String,
    /// The after-sales deadlines in force, in words: (merchant, resolved).
    case_windows: (String, String),
    error: Option<String>,
}

async fn new_page<S: Store>(
    app: &App<S>,
    page: &Page,
    no: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (o, r) = app
        .store
        .read(move |tx| {
            let o = tx.order_by_no(&no)?.filter(|o| o.buyer_id == user.id).ok_or(Error::NotFound)?;
            Ok((o, rules::in_force(tx)?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let snap = Snapshot::parse(&o.snapshot);
    let fitting = match o.kind {
        ProductKind::CardKey => CaseType::KeyInvalid,
        ProductKind::DirectTopup => CaseType::TopupMissing,
        ProductKind::Account => CaseType::AccountMismatch,
    };
    let t = NewPage {
        page: &page.layout,
        no: o.no.clone(),
        title: snap.as_ref().map(|s| s.title.clone()).unwrap_or_default(),
        types: [fitting, CaseType::Other].iter().map(|k| (k.as_str(), k.label())).collect(),
        attrs: snap.map(|s| s.account_attrs.into_iter().map(|a| (a.name, a.value)).collect()).unwrap_or_default(),
        protect_until: o.protect_until.map(fmt_time).unwrap_or_default(),
        case_windows: (fmt_duration(r.get(Rule::CaseMerchantSecs)), fmt_duration(r.get(Rule::CaseResolveSecs))),
        error,
    };
    let status = if t.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &page.layout, &t))
}

pub async fn new_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    new_page(&app, &page, no, None).await
}

pub async fn open<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    m: Multipart,
) -> Result<Response, PageError> {
    let f = read_form(m).await.map_err(|e| page.error(e))?;
    page.check_csrf(f.get("_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let req = match CaseType::parse(f.get("type")) {
        Ok(kind) => OpenCase {
            kind,
            description: f.get("description").to_owned(),
            mismatched: super::forms::fields(&f.fields, "mismatched").into_iter().map(str::to_owned).collect(),
            screenshots: f.files,
        },
        Err(e) => return new_page(&app, &page, no, Some(AppError::from(e).message())).await,
    };
    match case_ops::open_case(&app, user, no.clone(), req).await {
        Ok(c) => Ok(see_other(&format!("/cases/{}", c.id))),
        Err(e @ AppError::Core(Error::Invalid { .. })) => new_page(&app, &page, no, Some(e.message())).await,
        Err(e) => Err(page.error(e)),
    }
}

// ---- one case ----------------------------------------------------------------

struct Line {
    at: String,
    who: &'static str,
    what: String,
}

/// One timeline entry in words; `merchant_window` is this case's own deadline for the merchant.
fn describe(t: &TimelineEntry, merchant_window: &str) -> String {
    let d = &t.detail;
    let fen = |k: &str| d[k].as_i64().map(fmt_fen).unwrap_or_default();
    let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    match t.kind.as_str() {
        "case.opened" => format!("申请售后：{}", s("description")),
        "case.reissued" => "商家已补发新卡密，请在订单页查看".to_owned(),
        "case.fulfilled" => format!("商家已补充值，凭证：{}", s("proof")),
        "case.partial_proposed" => format!("商家提议部分退款 {}", fen("amount_fen")),
        "case.escalated" => match s("reason").as_str() {
            "merchant_silent" => format!("商家 {merchant_window}内未处理，平台介入仲裁（记商家违规一次）"),
            r => format!("转平台仲裁：{r}"),
        },
        "case.closed" => {
            let money = if d["refund_fen"].as_i64().unwrap_or(0) > 0 {
                format!("，退款 {}", fen("refund_fen"))
            } else {
                String::new()
            };
            let why = d["reason"].as_str().map(|r| format!("（理由：{r}）")).unwrap_or_default();
            format!("售后结束：{}{money}{why}", publication::outcome_label(&s("outcome")))
        }
        "case.upstream_opened" => format!("已自动向货源方提交售后（上游售后 #{}）", d["upstream_case_id"]),
        "case.upstream_refused" => format!("货源方未受理售后（{}），请商家自行处理", s("code")),
        "case.upstream_recovered" => format!("货源方已退款 {}，商家已追回货款", fen("refund_fen")),
        "case.upstream_changed" => format!("货源方售后进展：{}", upstream_state(&s("state"))),
        other => other.to_owned(),
    }
}

/// An upstream case's state, in the words of this site's own states.
fn upstream_state(s: &str) -> &'static str {
    CaseState::parse(s).map_or("处理中", CaseState::label)
}

fn who(side: &str) -> &'static str {
    match side {
        "buyer" => "买家",
        "merchant" => "商家",
        "platform" => "平台客服",
        _ => "系统",
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage<'a> {
    page: &'a Layout,
    c: case_ops::CaseView,
    viewer: &'static str,
    now: i64,
    opened: String,
    merchant_due: String,
    resolve_due: String,
    refund: String,
    proposal: Option<String>,
    lines: Vec<Line>,
    evidence: Vec<case_ops::EvidenceView>,
    can_reissue: bool,
    can_fulfil: bool,
    merchant_turn: bool,
    merchant_open: bool,
    buyer_turn: bool,
    platform_turn: bool,
    /// 导出证据: the buyer and platform staff (the order's evidence bundle includes its cases).
    can_export: bool,
    /// Set when the case is published (公示); the shop may respond once.
    public: Option<PublicCase>,
    can_respond: bool,
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let d = case_ops::detail(&app, user.clone(), id).await.map_err(|e| page.error(e))?;
    let no = d.case.order_no.clone();
    let kind = app
        .store
        .read(move |tx| orders::load_for(tx, &user, &no).map(|o| o.kind))
        .await
        .map_err(|e| page.error(e.into()))?;
    let c = &d.case;
    let state = CaseState::parse(&c.state).unwrap_or(CaseState::Rejected);
    let side = match d.viewer.as_str() {
        "buyer" => Side::Buyer,
        "merchant" => Side::Merchant,
        _ => Side::Platform,
    };
    let ts = |ms: i64| fmt_time(youying_core::Timestamp::from_millis(ms));
    let public = app
        .store
        .read(move |tx| Ok(publication::load_public(tx, CaseId(id)).ok()))
        .await
        .map_err(|e| page.error(e.into()))?;
    // The windows this case opened with: a later rule change does not rewrite it.
    let merchant_window = fmt_duration((c.merchant_due - c.opened_at) / 1000);
    let t = CasePage {
        page: &page.layout,
        viewer: case_ops::side_label(side),
        now: d.now,
        opened: ts(c.opened_at),
        merchant_due: ts(c.merchant_due),
        resolve_due: ts(c.resolve_due),
        refund: fmt_fen(c.refund_fen),
        proposal: c.proposal_fen.map(fmt_fen),
        lines: d
            .timeline
            .iter()
            .map(|t| Line { at: ts(t.at), who: who(&t.side), what: describe(t, &merchant_window) })
            .collect(),
        evidence: d.evidence,
        can_reissue: kind.has_stock(),
        can_fulfil: kind == ProductKind::DirectTopup,
        merchant_turn: side == Side::Merchant && state == CaseState::AwaitingMerchant,
        merchant_open: side == Side::Merchant && state.is_open(),
        buyer_turn: side == Side::Buyer && state == CaseState::AwaitingBuyer,
        platform_turn: side == Side::Platform && state == CaseState::InArbitration,
        can_export: side != Side::Merchant,
        can_respond: side == Side::Merchant && public.as_ref().is_some_and(|p| p.public_response.is_none()),
        public,
        c: d.case,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

fn action_of(f: &Posted) -> Result<Action, Error> {
    let reason = f.get("reason").to_owned();
    let amount = || parse_yuan_opt("amount_fen", f.get("amount")).map(|a| a.unwrap_or(0));
    Ok(match f.get("action") {
        "reissue" => Action::Reissue,
        "refund" => Action::Refund,
        "partial_refund" => Action::ProposePartial { amount_fen: amount()? },
        "fulfil" => Action::Fulfil { proof: f.get("proof").to_owned() },
        "contest" => Action::Contest { reason, screenshots: f.files.clone() },
        "accept" => Action::Accept,
        "refuse" => Action::Refuse { reason },
        "decide" => {
            let decision = match f.get("decision") {
                "refund" => Decision::Refund,
                "partial_refund" => {
                    Decision::Partial { amount_fen: amount()?, account_returned: !f.get("account_returned").is_empty() }
                }
                "reject" => Decision::Reject,
                _ => return Err(Error::Invalid { field: "decision", reason: "unknown" }),
            };
            Action::Decide { decision, reason }
        }
        _ => return Err(Error::Invalid { field: "action", reason: "unknown" }),
    })
}

pub async fn act<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    m: Multipart,
) -> Result<Response, PageError> {
    let f = read_form(m).await.map_err(|e| page.error(e))?;
    page.check_csrf(f.get("_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let action = action_of(&f).map_err(|e| page.error(e.into()))?;
    case_ops::perform(&app, user, id, action).await.map_err(|e| page.error(e))?;
    Ok(see_other(&format!("/cases/{id}")))
}

/// 公开回应: the shop's one response to its published case.
pub async fn public_response<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(super::forms::field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let text = super::forms::field(&f, "text").to_owned();
    crate::app::publication::respond_as(&app, user, id, text).await.map_err(|e| page.error(e))?;
    Ok(see_other(&format!("/cases/{id}#public")))
}

pub async fn evidence<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, eid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (content_type, body) = case_ops::evidence_file(&app, user, id, eid).await.map_err(|e| page.error(e))?;
    Ok(crate::evidence::file_response(content_type, body))
}

// ---- lists -------------------------------------------------------------------

struct Row {
    id: i64,
    order_no: String,
    type_label: &'static str,
    state: &'static str,
    state_label: &'static str,
    open: bool,
    /// The deadline that matters now: the merchant's while it is theirs, else the 24 h mark.
    due: i64,
    due_label: &'static str,
    opened: String,
}

fn row(c: &Case) -> Row {
    let merchant = c.state == CaseState::AwaitingMerchant;
    Row {
        id: c.id.0,
        order_no: c.order_no.clone(),
        type_label: c.kind.label(),
        state: c.state.as_str(),
        state_label: c.state.label(),
        open: c.state.is_open(),
        due: if merchant { c.merchant_due.millis() } else { c.resolve_due.millis() },
        due_label: if merchant { "商家需在" } else { "须在" },
        opened: fmt_time(c.opened_at),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage<'a> {
    page: &'a Layout,
    heading: &'static str,
    empty: &'static str,
    now: i64,
    rows: Vec<Row>,
}

async fn list_page<S: Store>(
    app: &App<S>,
    page: &Page,
    heading: &'static str,
    empty: &'static str,
    list: Vec<Case>,
) -> Result<Response, PageError> {
    let t =
        ListPage { page: &page.layout, heading, empty, now: app.now().millis(), rows: list.iter().map(row).collect() };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

pub async fn mine<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let id = page.require_viewer()?.user.id;
    let list = app.store.read(move |tx| tx.cases_of_buyer(id, 200)).await.map_err(|e| page.error(e.into()))?;
    list_page(&app, &page, "我的售后", "还没有售后申请。", list).await
}

/// The shop's cases (every shop the viewer owns or serves), open ones by deadline.
pub async fn merchant<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let list = app
        .store
        .read(move |tx| {
            let shops: Vec<_> = match (user.role, user.shop_id) {
                (Role::MerchantAgent, Some(s)) => vec![s],
                _ => tx.shops_owned_by(user.id)?.into_iter().map(|s| s.id).collect(),
            };
            if shops.is_empty() {
                return Err(Error::NotFound);
            }
            let mut all = Vec::new();
            for s in shops {
                all.extend(tx.cases_of_shop(s, 200)?);
            }
            all.sort_by_key(|c| {
                (
                    !c.state.is_open(),
                    if c.state == CaseState::AwaitingMerchant { c.merchant_due } else { c.resolve_due },
                )
            });
            Ok(all)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    list_page(&app, &page, "售后处理", "暂无售后申请。", list).await
}

pub async fn arbitration<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let list = app
        .store
        .read(move |tx| {
            youying_core::authz::platform_staff(&user)?;
            tx.arbitration_queue(200)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    list_page(&app, &page, "仲裁队列", "仲裁队列为空。", list).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(
            "/orders/{no}/cases",
            routing::get(new_form::<S>)
                .post(open::<S>)
                .layer(DefaultBodyLimit::max(crate::app::cases::CASE_BODY_LIMIT)),
        )
        .route("/cases", routing::get(mine::<S>))
        .route("/cases/{id}", routing::get(show::<S>))
        .route(
            "/cases/{id}/actions",
            routing::post(act::<S>).layer(DefaultBodyLimit::max(crate::app::cases::CASE_BODY_LIMIT)),
        )
        .route("/cases/{id}/evidence/{eid}", routing::get(evidence::<S>))
        .route("/merchant/cases", routing::get(merchant::<S>))
        .route("/platform/cases", routing::get(arbitration::<S>))
        .route("/cases/{id}/public-response", routing::post(public_response::<S>))
}
