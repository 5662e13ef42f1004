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
use youying_core::cases::publication;
use youying_core::cases::{Attachment, Case, CaseState, CaseType, OpenCase};
use youying_core::catalogue::ProductKind;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_core::snapshot::Snapshot;
use youying_core::values::Role;

use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::cases::{self as case_ops, TimelineEntry};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};

mod one;
use crate::state::App;
pub(crate) use one::{act, show};

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

/// A refused case form: the field it concerns (`""`: the whole form), the
/// words, the status, and everything typed (files cannot be kept: the browser
/// asks for them again).
struct NewRefused {
    field: &'static str,
    message: String,
    status: StatusCode,
    typed: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage<'a> {
    page: &'a Layout,
    no: String,
    title: String,
    types: Vec<(&'static str, &'static str)>,
    /// The description's example, in the words of what was bought.
    hint: &'static str,
    attrs: Vec<(String, String)>,
    protect_until: String,
    /// The after-sales deadlines in force, in words: (merchant, resolved).
    case_windows: (String, String),
    error: Option<String>,
    error_field: &'static str,
    /// The type chosen, the attributes ticked and the description typed.
    chosen: String,
    ticked: Vec<String>,
    description: String,
}

async fn new_page<S: Store>(
    app: &App<S>,
    page: &Page,
    no: String,
    refused: Option<NewRefused>,
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
    let types = one::offered(o.kind);
    let typed = refused.as_ref().map(|r| r.typed.as_slice()).unwrap_or_default();
    let chosen = match super::forms::field(typed, "type") {
        "" => types.first().map(|t| t.0.to_owned()).unwrap_or_default(),
        t => t.to_owned(),
    };
    let t = NewPage {
        page: &page.layout,
        no: o.no.clone(),
        title: snap.as_ref().map(|s| s.title.clone()).unwrap_or_default(),
        types,
        hint: match o.kind {
            ProductKind::CardKey => "例如：兑换时提示“卡密已被使用”",
            ProductKind::Account => "例如：账号密码登录不上 / 等级与描述不符 / 账号被原主找回",
            ProductKind::DirectTopup => "例如：充值账号 12345 至今未到账",
        },
        attrs: snap.map(|s| s.account_attrs.into_iter().map(|a| (a.name, a.value)).collect()).unwrap_or_default(),
        protect_until: o.protect_until.map(fmt_time).unwrap_or_default(),
        case_windows: (fmt_duration(r.get(Rule::CaseMerchantSecs)), fmt_duration(r.get(Rule::CaseResolveSecs))),
        chosen,
        ticked: super::forms::fields(typed, "mismatched").into_iter().map(str::to_owned).collect(),
        description: super::forms::field(typed, "description").to_owned(),
        error_field: refused.as_ref().map_or("", |r| r.field),
        error: refused.as_ref().map(|r| r.message.clone()),
    };
    let status = refused.map_or(StatusCode::OK, |r| r.status);
    Ok(render(status, &page.layout, &t))
}

pub async fn new_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    new_page(&app, &page, no, None).await
}

/// The form's field a core error names (`""`: shown above the form).
fn open_field(core_field: &str) -> &'static str {
    match core_field {
        "type" => "type",
        "description" => "description",
        "mismatched_attributes" => "mismatched",
        "screenshots" => "screenshots",
        _ => "",
    }
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
    let typed: Vec<_> = f.fields.iter().filter(|(k, _)| k != "_csrf").cloned().collect();
    let result = match CaseType::parse(f.get("type")) {
        Ok(kind) => {
            let req = OpenCase {
                kind,
                description: f.get("description").to_owned(),
                mismatched: super::forms::fields(&f.fields, "mismatched").into_iter().map(str::to_owned).collect(),
                screenshots: f.files,
            };
            case_ops::open_case(&app, user, no.clone(), req).await
        }
        Err(e) => Err(e.into()),
    };
    let error = match result {
        Ok(c) => return Ok(see_other(&format!("/cases/{}", c.id))),
        Err(e @ AppError::Core(Error::Invalid { .. } | Error::Conflict(_) | Error::WindowClosed { .. })) => e,
        Err(e) => return Err(page.error(e)),
    };
    let field = match &error {
        AppError::Core(Error::Invalid { field, .. }) => open_field(field),
        _ => "",
    };
    let refused = NewRefused { field, message: error.message(), status: error.status(), typed };
    new_page(&app, &page, no, Some(refused)).await
}

// ---- one case ----------------------------------------------------------------

struct Line {
    at: String,
    who: &'static str,
    what: String,
}

/// One timeline entry in words; `merchant_window` is this case's own deadline
/// for the merchant, `unit` what the order delivered (卡密 or 账号).
fn describe(t: &TimelineEntry, merchant_window: &str, unit: &str) -> String {
    let d = &t.detail;
    let fen = |k: &str| d[k].as_i64().map(fmt_fen).unwrap_or_default();
    let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    match t.kind.as_str() {
        "case.opened" => format!("申请售后：{}", s("description")),
        "case.reissued" => format!("商家已补发新{unit}，请在订单页查看"),
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
