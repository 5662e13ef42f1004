//! 货源对接 in the pages: per shop, the connections with their health (last
//! sync, recent failure), the add-connection form, and per connection the
//! upstream's catalogue with a map form (rule, value, floor, cap) and the
//! mapped products with their state 正常 / 已隐藏（原因）. Post/redirect/get on
//! success; on an error the form comes back with the message beside its field.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::ports::Store;
use youying_core::sourcing::ConnectionId;
use youying_core::values::ShopId;

use super::forms::{field, parse_yuan, parse_yuan_opt};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::sourcing::{self, CatalogueItem, ConnectRequest, ConnectionView, MapRequest, MappingView, RuleBody};
use crate::app::suppliers::SupplierView;
use crate::error::AppError;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

/// A form as typed and the error beside one of its fields.
#[derive(Default)]
pub(super) struct Draft {
    pub(super) values: Vec<(String, String)>,
    pub(super) error_field: String,
    pub(super) error: String,
}

impl Draft {
    pub(super) fn get(&self, name: &str) -> &str {
        field(&self.values, name)
    }

    pub(super) fn error_for(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }

    /// The draft with the error beside its field; errors of no field become the error page.
    fn with_error(mut self, e: AppError, fields: &[&str]) -> Result<Self, AppError> {
        let f = match &e {
            AppError::Core(Error::Invalid { field, .. }) if fields.contains(field) => *field,
            AppError::Core(Error::Invalid { .. } | Error::Conflict(_)) => fields.first().copied().unwrap_or(""),
            _ => return Err(e),
        };
        self.error_field = f.to_owned();
        self.error = match &e {
            // `base_url` reads as a gateway's in the shared catalogue: an upstream's own words here.
            AppError::Core(Error::Invalid { field: "base_url", reason }) => base_url_message(reason).to_owned(),
            _ => e.message(),
        };
        Ok(self)
    }
}

pub(super) fn base_url_message(reason: &str) -> &'static str {
    match reason {
        "private_address" => "该地址指向内网或本机，平台不允许（管理员可在规则中开启 allow_private_addresses）。",
        "unresolved" => "无法解析该域名，请检查货源站地址。",
        "unreachable" => "连接不上货源站：请确认地址正确（开放接口在 /api/open/v1 下）且对方在线。",
        _ => "请填写以 http:// 或 https:// 开头的货源站地址。",
    }
}

struct ConnRow {
    id: i64,
    site: String,
    base_url: String,
    account: String,
    balance: String,
    ok: bool,
    health: &'static str,
    last_sync: String,
    last_ok: String,
    failures: i64,
    last_error: String,
    mapped: usize,
}

fn time_of(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_owned(), |t| fmt_time(youying_core::Timestamp::from_millis(t)))
}

fn conn_row(c: &ConnectionView) -> ConnRow {
    ConnRow {
        id: c.id,
        site: c.site_name.clone(),
        base_url: c.base_url.clone(),
        account: format!("{}（{}）", c.account_name, c.level_name),
        balance: fmt_fen(c.balance_fen),
        ok: c.health == "ok",
        health: if c.health == "ok" { "正常" } else { "连接失败" },
        last_sync: time_of(c.last_sync_at),
        last_ok: time_of(c.last_ok_at),
        failures: c.failures,
        last_error: c.last_error.clone().unwrap_or_default(),
        mapped: c.mapped,
    }
}

/// A supplier as the 货源对接 page lists it.
struct SupRow {
    id: i64,
    name: String,
    base_url: String,
    app_id: String,
    ok: bool,
    health: &'static str,
    last_call: String,
    failures: i64,
    last_error: String,
    bound: usize,
}

fn sup_row(s: &SupplierView) -> SupRow {
    SupRow {
        id: s.id,
        name: s.name.clone(),
        base_url: s.base_url.clone(),
        app_id: s.app_id.clone(),
        ok: s.health == "ok",
        health: if s.health == "ok" { "正常" } else { "调用失败" },
        last_call: time_of(s.last_call_at),
        failures: s.failures,
        last_error: s.last_error.clone().unwrap_or_default(),
        bound: s.bindings.len(),
    }
}

#[derive(Template)]
#[template(path = "upstreams.html")]
struct ListPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    rows: Vec<ConnRow>,
    draft: Draft,
    /// 直充货源: the shop's direct-top-up suppliers and their add form.
    suppliers: Vec<SupRow>,
    sup_draft: Draft,
}

/// The 货源对接 page: upstream connections, then direct-top-up suppliers, each with its form.
pub(super) async fn list_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    draft: Draft,
    sup_draft: Draft,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let list = sourcing::list(app, user.clone(), ShopId(id)).await.map_err(|e| page.error(e.into()))?;
    let sups = crate::app::suppliers::list(app, user, ShopId(id)).await.map_err(|e| page.error(e.into()))?;
    let clean = draft.error.is_empty() && sup_draft.error.is_empty();
    let status = if clean { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = ListPage {
        page: &page.layout,
        shop_id: id,
        rows: list.iter().map(conn_row).collect(),
        draft,
        suppliers: sups.iter().map(sup_row).collect(),
        sup_draft,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn list<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let flash = if !field(&q, "added").is_empty() {
        Some("货源已接入：签名校验通过，可以映射商品了。")
    } else if !field(&q, "supplier_added").is_empty() {
        Some("直充货源已接入：签名校验通过。在商品列表中把直充商品绑定到它的 SKU 即可自动充值。")
    } else if !field(&q, "supplier_removed").is_empty() {
        Some("直充货源已移除。")
    } else {
        None
    };
    let page = match flash {
        Some(m) => Page { layout: page.layout.clone().with_flash(m), ..page },
        None => page,
    };
    list_page(&app, &page, id, Draft::default(), Draft::default()).await
}

/// 接入货源.
pub async fn add<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let req = ConnectRequest {
        base_url: field(&f, "base_url").to_owned(),
        key_id: field(&f, "key_id").to_owned(),
        secret: field(&f, "secret").to_owned(),
    };
    match sourcing::connect(&app, user, ShopId(id), &req).await {
        Ok(c) => Ok(see_other(&format!("/merchant/shops/{id}/upstreams/{}?added=1", c.id))),
        Err(e) => {
            // The secret is never typed back into the page.
            let values = f.into_iter().filter(|(k, _)| k != "secret" && k != "_csrf").collect();
            let draft = Draft { values, ..Draft::default() }
                .with_error(e.into(), &["base_url", "key_id", "secret"])
                .map_err(|e| page.error(e))?;
            list_page(&app, &page, id, draft, Draft::default()).await
        }
    }
}

struct ItemRow {
    id: i64,
    kind: String,
    title: String,
    cost: String,
    percent: String,
    stock: String,
    sellable: bool,
    mapped: bool,
}

struct MapRow {
    id: i64,
    product_id: i64,
    rule: String,
    cost: String,
    price: String,
    bounds: String,
    hidden: bool,
    state: String,
}

fn rule_text(r: &RuleBody) -> String {
    match r.kind.as_str() {
        "percent" => format!("加价 {}.{:02}%", r.value / 100, r.value % 100),
        "fixed_add" => format!("加价 {}", fmt_fen(r.value)),
        "fixed_price" => format!("固定价 {}", fmt_fen(r.value)),
        _ => "同上游价".to_owned(),
    }
}

fn item_row(i: &CatalogueItem) -> ItemRow {
    ItemRow {
        id: i.upstream_product_id,
        kind: youying_core::catalogue::ProductKind::parse(&i.kind).map_or("其他", |k| k.label()).to_owned(),
        title: i.title.clone(),
        cost: fmt_fen(i.cost_fen),
        percent: fmt_fen(i.would_sell.percent),
        stock: match (i.in_stock, i.stock_count) {
            (false, _) => "缺货".to_owned(),
            (true, Some(n)) => format!("库存 {n}"),
            (true, None) => "有货".to_owned(),
        },
        sellable: i.on_sale && i.in_stock,
        mapped: i.mapping_id.is_some(),
    }
}

fn map_row(m: &MappingView) -> MapRow {
    let bounds =
        [m.floor_fen.map(|f| format!("最低价 {}", fmt_fen(f))), m.cap_fen.map(|c| format!("进价上限 {}", fmt_fen(c)))];
    MapRow {
        id: m.id,
        product_id: m.product_id,
        rule: rule_text(&m.rule),
        cost: fmt_fen(m.cost_fen),
        price: fmt_fen(m.price_fen),
        bounds: bounds.into_iter().flatten().collect::<Vec<_>>().join(" · "),
        hidden: m.hidden_reason.is_some(),
        state: m.state_label.clone(),
    }
}

#[derive(Template)]
#[template(path = "upstream.html")]
struct OnePage<'a> {
    page: &'a Layout,
    shop_id: i64,
    conn: ConnRow,
    items: Vec<ItemRow>,
    catalogue_error: String,
    maps: Vec<MapRow>,
    draft: Draft,
}

async fn one_page<S: Store>(app: &App<S>, page: &Page, id: i64, uid: i64, draft: Draft) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (c, maps) =
        sourcing::one(app, user.clone(), ShopId(id), ConnectionId(uid)).await.map_err(|e| page.error(e.into()))?;
    let (items, catalogue_error) = match sourcing::catalogue(app, user, ShopId(id), ConnectionId(uid), None, None).await
    {
        Ok(items) => (items.iter().map(item_row).collect(), String::new()),
        Err(e) => (Vec::new(), AppError::from(e).message()),
    };
    let status = if draft.error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = OnePage {
        page: &page.layout,
        shop_id: id,
        conn: conn_row(&sourcing::connection_view(&c, maps.len())),
        items,
        catalogue_error,
        maps: maps.iter().map(|m| map_row(&sourcing::mapping_view(m))).collect(),
        draft,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn one<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, uid)): Path<(i64, i64)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let flash = match (field(&q, "added").is_empty(), field(&q, "mapped").is_empty()) {
        (false, _) => Some("货源已接入：签名校验通过，可以映射商品了。"),
        (_, false) => Some("已映射到本店：商品按规则定价上架，价格与库存随货源同步。"),
        _ => None,
    };
    let page = match flash {
        Some(m) => Page { layout: page.layout.clone().with_flash(m), ..page },
        None => page,
    };
    one_page(&app, &page, id, uid, Draft::default()).await
}

fn map_request(f: &[(String, String)]) -> Result<MapRequest, Error> {
    let kind = field(f, "rule").to_owned();
    let raw = field(f, "value").trim();
    let value = match kind.as_str() {
        // Two decimals either way: yuan → fen, and percent as people type it
        // (10 = 10 %, 2.5 = 2.5 %) → basis points, the API's unit.
        "percent" | "fixed_add" | "fixed_price" => parse_yuan("rule", raw)?,
        _ => 0,
    };
    Ok(MapRequest {
        upstream_product_id: field(f, "upstream_product_id")
            .parse()
            .map_err(|_| Error::Invalid { field: "upstream_product_id", reason: "number" })?,
        rule: RuleBody { kind, value },
        floor_fen: parse_yuan_opt("floor_fen", field(f, "floor"))?,
        cap_fen: parse_yuan_opt("cap_fen", field(f, "cap"))?,
        allow_below_cost: field(f, "allow_below_cost") == "1",
    })
}

/// 映射到本店.
pub async fn map<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, uid)): Path<(i64, i64)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let result = match map_request(&f) {
        Ok(req) => sourcing::map(&app, user, ShopId(id), ConnectionId(uid), &req).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/merchant/shops/{id}/upstreams/{uid}?mapped=1"))),
        Err(e) => {
            let values = f.into_iter().filter(|(k, _)| k != "_csrf").collect();
            let draft = Draft { values, ..Draft::default() }
                .with_error(e, &["rule", "floor_fen", "cap_fen", "upstream_product_id"])
                .map_err(|e| page.error(e))?;
            one_page(&app, &page, id, uid, draft).await
        }
    }
}

pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/shops/{id}/upstreams", routing::get(list::<S>).post(add::<S>))
        .route("/merchant/shops/{id}/upstreams/{uid}", routing::get(one::<S>))
        .route("/merchant/shops/{id}/upstreams/{uid}/mappings", routing::post(map::<S>))
}
