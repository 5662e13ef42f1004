//! One case's page and its forms. A rejected action re-renders this page with
//! the message beside the field and what was typed kept (422; 409 when the
//! case moved on meanwhile); an accepted one redirects back to it (303). A
//! full refund takes two steps: the page names the amount and the buyer first.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use youying_core::Error;
use youying_core::cases::publication::{self, PublicCase};
use youying_core::cases::units::{mask_code, short_fingerprint};
use youying_core::cases::{self, Action, CaseState, CaseType, Decision, Side};
use youying_core::catalogue::ProductKind;
use youying_core::orders;
use youying_core::ports::Store;
use youying_core::values::CaseId;

use super::{Posted, describe, read_form, who};
use crate::app::cases as case_ops;
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::pages::forms::parse_yuan_opt;
use crate::pages::layout::{Layout, Page, PageError, render, see_other};
use crate::state::App;

/// A refused action: which form, which of its fields, the words, and what was typed.
#[derive(Default)]
pub(crate) struct Refused {
    form: &'static str,
    field: &'static str,
    message: String,
    typed: Vec<(String, String)>,
}

impl Refused {
    /// The message when it belongs beside `field` of `form` (`""`: the form's top).
    pub fn err(&self, form: &str, field: &str) -> Option<&str> {
        (!self.message.is_empty() && self.form == form && self.field == field).then_some(self.message.as_str())
    }

    /// What was typed into `field` of `form`, to put back.
    pub fn typed(&self, form: &str, field: &str) -> &str {
        if self.form == form { crate::pages::forms::field(&self.typed, field) } else { "" }
    }

    pub fn is(&self, form: &str) -> bool {
        self.form == form
    }
}

/// One disputed unit as the page shows it: never in the clear (see `cases::units`).
pub(crate) struct UnitLine {
    pub n: usize,
    pub masked: String,
    pub fingerprint: String,
    pub has_secret: bool,
    /// `None` while the order still holds it; else when a reissue replaced it.
    pub replaced: Option<String>,
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
    lines: Vec<super::Line>,
    evidence: Vec<case_ops::EvidenceView>,
    /// `卡密` or `账号`: what the order delivered (empty for a top-up).
    unit_word: &'static str,
    units: Vec<UnitLine>,
    is_account: bool,
    can_reissue: bool,
    can_fulfil: bool,
    merchant_turn: bool,
    merchant_open: bool,
    buyer_turn: bool,
    platform_turn: bool,
    /// What a refund can still pay, in words and in fen (the confirmation's token).
    refundable: String,
    refundable_fen: i64,
    buyer_name: String,
    /// 导出证据: the buyer and platform staff (the order's evidence bundle includes its cases).
    can_export: bool,
    /// Set when the case is published (公示); the shop may respond once.
    public: Option<PublicCase>,
    can_respond: bool,
    refused: Refused,
}

/// What the page needs besides the case detail, in one read.
struct Extra {
    kind: ProductKind,
    public: Option<PublicCase>,
    refundable: i64,
    buyer_name: String,
    units: Vec<UnitLine>,
}

async fn extra<S: Store>(app: &App<S>, page: &Page, id: i64) -> Result<Extra, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (kind, public, refundable, buyer_name, current, replaced) = app
        .store
        .read(move |tx| {
            let (case, _) = cases::load_for(tx, &user, CaseId(id))?;
            let order = orders::load_for(tx, &user, &case.order_no)?;
            let public = publication::load_public(tx, case.id).ok();
            let refundable = cases::refundable(tx, &case)?.get();
            let buyer = tx.user_by_id(case.buyer_id)?.map(|u| u.username).unwrap_or_default();
            let current = tx.order_units(order.id)?;
            let replaced = tx.case_replaced_units(case.id)?;
            Ok((order.kind, public, refundable, buyer, current, replaced))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let line =
        |n: usize, u: &youying_core::stock::ClaimedUnit, replaced: Option<String>| -> Result<UnitLine, AppError> {
            let open = app.vault.open(u)?;
            Ok(UnitLine {
                n,
                masked: mask_code(&open.code),
                fingerprint: short_fingerprint(&u.fingerprint).to_owned(),
                has_secret: open.secret.is_some(),
                replaced,
            })
        };
    let mut units = Vec::new();
    for (u, at) in &replaced {
        units.push(line(units.len() + 1, u, Some(fmt_time(*at))).map_err(|e| page.error(e))?);
    }
    for u in &current {
        units.push(line(units.len() + 1, u, None).map_err(|e| page.error(e))?);
    }
    Ok(Extra { kind, public, refundable, buyer_name, units })
}

/// The case page, with `refused` shown beside its form when an action was refused.
pub(crate) async fn render_case<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    status: StatusCode,
    refused: Refused,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let d = case_ops::detail(app, user, id).await.map_err(|e| page.error(e))?;
    let x = extra(app, page, id).await?;
    let c = &d.case;
    let state = CaseState::parse(&c.state).unwrap_or(CaseState::Rejected);
    let side = match d.viewer.as_str() {
        "buyer" => Side::Buyer,
        "merchant" => Side::Merchant,
        _ => Side::Platform,
    };
    let ts = |ms: i64| fmt_time(youying_core::Timestamp::from_millis(ms));
    // The windows this case opened with: a later rule change does not rewrite it.
    let merchant_window = fmt_duration((c.merchant_due - c.opened_at) / 1000);
    let unit_word = match x.kind {
        ProductKind::CardKey => "卡密",
        ProductKind::Account => "账号",
        ProductKind::DirectTopup => "",
    };
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
            .map(|t| super::Line { at: ts(t.at), who: who(&t.side), what: describe(t, &merchant_window, unit_word) })
            .collect(),
        evidence: d.evidence,
        unit_word,
        units: x.units,
        is_account: x.kind == ProductKind::Account,
        can_reissue: x.kind.has_stock(),
        can_fulfil: x.kind == ProductKind::DirectTopup,
        merchant_turn: side == Side::Merchant && state == CaseState::AwaitingMerchant,
        merchant_open: side == Side::Merchant && state.is_open(),
        buyer_turn: side == Side::Buyer && state == CaseState::AwaitingBuyer,
        platform_turn: side == Side::Platform && state == CaseState::InArbitration,
        refundable: fmt_fen(x.refundable),
        refundable_fen: x.refundable,
        buyer_name: x.buyer_name,
        can_export: side != Side::Merchant,
        can_respond: side == Side::Merchant && x.public.as_ref().is_some_and(|p| p.public_response.is_none()),
        public: x.public,
        c: d.case,
        refused,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    render_case(&app, &page, id, StatusCode::OK, Refused::default()).await
}

/// The form a posted `action` comes from (its id on the page, less `-form`).
fn form_of(action: &str) -> &'static str {
    match action {
        "reissue" => "reissue",
        "refund" => "refund",
        "partial_refund" => "partial",
        "fulfil" => "fulfil",
        "contest" => "contest",
        "accept" => "accept",
        "refuse" => "refuse",
        "decide" => "decide",
        _ => "",
    }
}

fn action_of(f: &Posted) -> Result<Action, Error> {
    let reason = f.get("reason").to_owned();
    let amount = || match parse_yuan_opt("amount_fen", f.get("amount"))? {
        Some(a) => Ok(a),
        None => Err(Error::Invalid { field: "amount_fen", reason: "required" }),
    };
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
                _ => return Err(Error::Invalid { field: "decision", reason: "required" }),
            };
            Action::Decide { decision, reason }
        }
        _ => return Err(Error::Invalid { field: "action", reason: "unknown" }),
    })
}

/// An amount's refusal in true words: the limit is what this order can still refund.
fn amount_message(reason: &str, cap: &str) -> String {
    match reason {
        "required" => format!("请填写部分退款金额（本单最多可退 {cap}）。"),
        "yuan_format" => format!("金额格式不对：请填写如 12.34 的金额（元，最多两位小数），本单最多可退 {cap}。"),
        "positive" => format!("部分退款金额须大于 0，最多 {cap}。"),
        _ => format!("部分退款金额不能超过本单可退金额 {cap}。"),
    }
}

/// The page's field a core error names.
fn page_field(core_field: &str) -> &'static str {
    match core_field {
        "amount_fen" => "amount",
        "reason" => "reason",
        "proof" => "proof",
        "screenshots" => "screenshots",
        "decision" => "decision",
        "account_returned" => "account_returned",
        "refund_confirm" => "confirm",
        _ => "",
    }
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
    let result = match action_of(&f) {
        Ok(action) => match confirmed(&app, &page, id, &f, &action).await? {
            Ok(()) => case_ops::perform(&app, user, id, action).await.map(|_| ()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    };
    let error = match result {
        Ok(()) => return Ok(see_other(&format!("/cases/{id}"))),
        Err(e @ AppError::Core(Error::Invalid { .. } | Error::Conflict(_) | Error::OutOfStock)) => e,
        Err(e) => return Err(page.error(e)),
    };
    let form = form_of(f.get("action"));
    let (field, message) = match &error {
        AppError::Core(Error::Invalid { field: "amount_fen", reason }) => {
            let cap = extra(&app, &page, id).await?.refundable;
            ("amount", amount_message(reason, &fmt_fen(cap)))
        }
        AppError::Core(Error::Invalid { field, .. }) => (page_field(field), error.message()),
        _ => ("", error.message()),
    };
    let typed = f.fields.into_iter().filter(|(k, _)| k != "_csrf").collect();
    render_case(&app, &page, id, error.status(), Refused { form, field, message, typed }).await
}

/// A merchant's full refund from the page needs the confirmation that named
/// the amount: one tap must not refund. The API is a deliberate call already.
async fn confirmed<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    f: &Posted,
    action: &Action,
) -> Result<Result<(), AppError>, PageError> {
    if !matches!(action, Action::Refund) {
        return Ok(Ok(()));
    }
    let cap = extra(app, page, id).await?.refundable;
    if f.get("confirm") == cap.to_string() {
        Ok(Ok(()))
    } else {
        Ok(Err(Error::Invalid { field: "refund_confirm", reason: "required" }.into()))
    }
}

/// The types the case form offers for an order of `kind`, in its own words.
pub(crate) fn offered(kind: ProductKind) -> Vec<(&'static str, &'static str)> {
    CaseType::offered_for(kind).into_iter().map(|t| (t.as_str(), t.label_for(kind))).collect()
}
