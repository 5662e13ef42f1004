//! 交易快照: the listing exactly as the buyer saw it when paying, with its
//! SHA-256, for the buyer, the shop's staff and platform staff.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use youying_core::orders::Order;
use youying_core::ports::Store;
use youying_core::snapshot::Snapshot;

use super::labels::kind_label;
use super::layout::{Layout, Page, PageError, render};
use super::orders::{load, snapshot_of};
use crate::catalog::render_markdown;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;

struct SnapRow {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "snapshot.html")]
struct SnapshotPage<'a> {
    page: &'a Layout,
    no: String,
    title: String,
    rows: Vec<SnapRow>,
    tiers: Vec<(String, String)>,
    topup_fields: Vec<(String, String, String)>,
    account_attrs: Vec<(String, String)>,
    description_html: String,
    instructions: String,
    sha256: String,
    canonical: String,
}

/// "代理价 ¥9.50（95折）" or "代理价 ¥9.80（店铺等级价）": why a level paid less.
fn level_price_label(basis: &youying_core::levels::PriceBasis, unit_fen: i64) -> String {
    use youying_core::levels::{PriceBasis, zhe};
    match basis {
        PriceBasis::LevelDiscount { level_name, discount_bp, .. } => {
            format!("{level_name}价 {}（{}）", fmt_fen(unit_fen), zhe(*discount_bp).unwrap_or_default())
        }
        PriceBasis::LevelPrice { level_name, .. } => format!("{level_name}价 {}（店铺等级价）", fmt_fen(unit_fen)),
        other => other.label(),
    }
}

fn snapshot_rows(o: &Order, s: &Snapshot) -> Vec<SnapRow> {
    let row = |label, value| SnapRow { label, value };
    let promises: Vec<String> = s.promises.iter().map(|p| p.name.clone().unwrap_or_default()).collect();
    let mut rows = vec![
        row("订单号", o.no.clone()),
        row("商品编号", format!("{} · 第 {} 版", s.product_id, s.product_version)),
        row("店铺", format!("{}（编号 {}）", s.shop.name, s.shop.id)),
        row("分类", s.category.name.clone().unwrap_or_default()),
        row("类型", kind_label(s.kind.as_str()).to_owned()),
        row("标价", fmt_fen(s.price_fen)),
        row("承诺", if promises.is_empty() { "无".into() } else { promises.join("、") }),
    ];
    if let Some(secs) = s.topup_promise_secs {
        rows.push(row("承诺到账时间", fmt_duration(secs)));
    }
    rows.push(row("购买数量", s.paid.quantity.to_string()));
    rows.push(row("成交单价", fmt_fen(s.paid.unit_price_fen)));
    if let Some(basis) = &s.paid.basis {
        rows.push(row("价格依据", level_price_label(basis, s.paid.unit_price_fen)));
    }
    rows.push(row("实付总额", fmt_fen(s.paid.total_fen)));
    rows.push(row("快照时间", fmt_time(youying_core::Timestamp::from_millis(s.captured_at))));
    rows
}

pub async fn snapshot<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let o = load(&app, &page, no).await?;
    let unreadable = || youying_core::Error::from(youying_core::StorageError(format!("snapshot of order {}", o.no)));
    let s = snapshot_of(&o).ok_or_else(|| page.error(unreadable().into()))?;
    let t = SnapshotPage {
        page: &page.layout,
        no: o.no.clone(),
        title: s.title.clone(),
        rows: snapshot_rows(&o, &s),
        tiers: s.tiers.iter().map(|t| (t.min_qty.to_string(), fmt_fen(t.unit_price_fen))).collect(),
        topup_fields: s
            .topup_fields
            .iter()
            .map(|f| (f.label.clone(), f.name.clone(), f.pattern.clone().unwrap_or_default()))
            .collect(),
        account_attrs: s.account_attrs.iter().map(|a| (a.name.clone(), a.value.clone())).collect(),
        description_html: render_markdown(&s.description),
        instructions: s.instructions.clone(),
        sha256: o.snapshot_hash.clone(),
        canonical: o.snapshot.clone(),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> axum::Router<App<S>> {
    axum::Router::new().route("/orders/{no}/snapshot", axum::routing::get(snapshot::<S>))
}
