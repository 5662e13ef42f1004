//! The storefront: the home page with categories and goods on sale, search with
//! filters and pages, the product page with its buy form, and a shop's page.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::catalogue::{self, CATEGORIES, ProductKind};
use youying_core::ports::Store;
use youying_core::rules::{self, Rule, Rules};
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, deposit};

use super::forms::{field, parse_yuan_opt, urlencode, yuan_input};
use super::labels::{Contact, kind_label};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::orders::{NewOrder, PayWith};
use crate::app::pay::{self, Purchase};
use crate::app::products::{ProductView, SearchParams, load_view, priced_view, search_products};
use crate::catalog::render_markdown;
use crate::error::{ApiResult, AppError};
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::i18n;
use crate::security::random_token;
use crate::state::App;

/// One product in a list: what a buyer compares at a glance.
pub struct ProductCard {
    pub id: i64,
    pub title: String,
    pub price: String,
    pub kind: &'static str,
    /// `None` for top-ups, which have no stock.
    pub stock: Option<i64>,
    pub promises: Vec<&'static str>,
    pub shop_id: i64,
    pub shop_name: String,
    /// The viewer's own price when their level lowers it (the list price is then struck through).
    pub yours: Option<super::levels::YourPrice>,
}

fn promise_labels(codes: &[String]) -> Vec<&'static str> {
    codes.iter().filter_map(|c| catalogue::promise_name(c)).collect()
}

impl ProductCard {
    pub fn of(v: &ProductView) -> Self {
        Self {
            id: v.id,
            title: v.title.clone(),
            price: fmt_fen(v.price_fen),
            kind: kind_label(&v.kind),
            stock: v.stock,
            promises: promise_labels(&v.promises),
            shop_id: v.shop_id,
            shop_name: v.shop_name.clone(),
            yours: super::levels::YourPrice::of(v),
        }
    }

    /// 库存 N or 缺货; nothing for top-ups.
    pub fn stock_label(&self) -> Option<String> {
        self.stock
            .map(|n| if n > 0 { format!("{} {n}", i18n::t("market.stock")) } else { i18n::t("market.sold_out").into() })
    }

    pub fn in_stock(&self) -> bool {
        self.stock.is_none_or(|n| n > 0)
    }
}

pub struct Chip {
    code: &'static str,
    name: &'static str,
    active: bool,
}

fn chips(active: &str) -> Vec<Chip> {
    CATEGORIES.iter().map(|&(code, name)| Chip { code, name, active: code == active }).collect()
}

const KINDS: [ProductKind; 3] = [ProductKind::CardKey, ProductKind::DirectTopup, ProductKind::Account];

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    page: &'a Layout,
    chips: Vec<Chip>,
    products: Vec<ProductCard>,
    total: usize,
    chat_reply: String,
    case_resolve: String,
    case_merchant: String,
    protect_card: String,
    protect_topup: String,
    protect_account: String,
}

fn all_on_sale(page: usize) -> SearchParams {
    SearchParams {
        q: None,
        category: None,
        kind: None,
        min_price_fen: None,
        max_price_fen: None,
        page: Some(page),
        per_page: None,
    }
}

pub async fn home<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let r: Rules = app.store.read(|tx| rules::in_force(tx)).await.map_err(|e| page.error(e.into()))?;
    let found = search_products(&app, page.viewer.as_ref().map(|v| &v.user), &all_on_sale(1))
        .await
        .map_err(|e| page.error(e))?;
    let d = |rule: Rule| fmt_duration(r.get(rule));
    let t = HomePage {
        page: &page.layout,
        chips: chips(""),
        products: found.items.iter().map(ProductCard::of).collect(),
        total: found.total,
        chat_reply: d(Rule::ChatReplySecs),
        case_resolve: d(Rule::CaseResolveSecs),
        case_merchant: d(Rule::CaseMerchantSecs),
        protect_card: d(Rule::ProtectCardKeySecs),
        protect_topup: d(Rule::ProtectTopupSecs),
        protect_account: d(Rule::ProtectAccountSecs),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

struct KindOption {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    page: &'a Layout,
    q: String,
    chips: Vec<Chip>,
    kinds: Vec<KindOption>,
    /// Any filter set: the filter panel opens.
    filtered: bool,
    min_price: String,
    max_price: String,
    error: Option<String>,
    products: Vec<ProductCard>,
    total: usize,
    page_no: usize,
    pages: usize,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// A price bound: `*_price_fen` (links, the API's name) or `*_price` in yuan (the form).
fn bound(q: &[(String, String)], which: &'static str) -> Result<Option<i64>, Error> {
    let fen = field(q, &format!("{which}_price_fen")).trim().to_owned();
    if !fen.is_empty() {
        return fen
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::Invalid { field: "price_filter", reason: "not_a_number" });
    }
    parse_yuan_opt("price_filter", field(q, &format!("{which}_price")))
}

pub async fn search<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let text = field(&q, "q").trim().chars().take(100).collect::<String>();
    let category = field(&q, "category").trim().to_owned();
    let kind = field(&q, "kind").trim().to_owned();
    let page_no = field(&q, "page").trim().parse::<usize>().unwrap_or(1).clamp(1, 1_000);
    let bounds = bound(&q, "min").and_then(|lo| Ok((lo, bound(&q, "max")?)));
    let mut t = SearchPage {
        page: &page.layout,
        q: text.clone(),
        chips: chips(&category),
        kinds: KINDS
            .iter()
            .map(|k| KindOption { code: k.as_str(), label: k.label(), selected: k.as_str() == kind })
            .collect(),
        filtered: !category.is_empty() || !kind.is_empty(),
        min_price: String::new(),
        max_price: String::new(),
        error: None,
        products: Vec::new(),
        total: 0,
        page_no,
        pages: 1,
        prev_href: None,
        next_href: None,
    };
    let (min, max) = match bounds {
        Ok(b) => b,
        Err(e) => {
            let e = AppError::from(e);
            t.error = Some(e.message());
            return Ok(render(e.status(), &page.layout, &t));
        }
    };
    t.filtered |= min.is_some() || max.is_some();
    t.min_price = min.map(yuan_input).unwrap_or_default();
    t.max_price = max.map(yuan_input).unwrap_or_default();
    let params = SearchParams {
        q: Some(text.clone()),
        category: Some(category.clone()),
        kind: Some(kind.clone()),
        min_price_fen: min,
        max_price_fen: max,
        page: Some(page_no),
        per_page: None,
    };
    let found =
        search_products(&app, page.viewer.as_ref().map(|v| &v.user), &params).await.map_err(|e| page.error(e))?;
    let pages = found.total.div_ceil(found.per_page).max(1);
    let mut base =
        format!("/search?q={}&category={}&kind={}", urlencode(&text), urlencode(&category), urlencode(&kind));
    for (name, v) in [("min_price_fen", min), ("max_price_fen", max)] {
        if let Some(v) = v {
            base.push_str(&format!("&{name}={v}"));
        }
    }
    t.products = found.items.iter().map(ProductCard::of).collect();
    t.total = found.total;
    t.pages = pages;
    t.prev_href = (page_no > 1).then(|| format!("{base}&page={}", page_no - 1));
    t.next_href = (page_no < pages).then(|| format!("{base}&page={}", page_no + 1));
    Ok(render(StatusCode::OK, &page.layout, &t))
}

struct TierRow {
    min_qty: i64,
    price: String,
}

struct TopupInput {
    name: String,
    label: String,
    pattern: Option<String>,
    required: bool,
    value: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage<'a> {
    page: &'a Layout,
    p: ProductCard,
    category: &'static str,
    category_code: String,
    on_sale: bool,
    is_topup: bool,
    description_html: String,
    instructions: String,
    tiers: Vec<TierRow>,
    topup_promise: String,
    /// The protection window in force for this kind of goods, in words.
    protect_window: String,
    topup_fields: Vec<TopupInput>,
    account_attrs: Vec<(String, String)>,
    max_per_order: i64,
    quantity: String,
    /// A fresh idempotency key per rendering: a double click or a resubmitted
    /// form buys once; a new visit to the page is a new purchase.
    idem: String,
    /// 支付宝 / 微信 …: what an enabled gateway offers for paying what the wallet lacks.
    pay_channels: Vec<(&'static str, &'static str)>,
    signed_in: bool,
    contact: Contact,
    error: Option<String>,
    /// 游客购买: the anonymous visitor's form (pages/guest.rs).
    guest: GuestForm,
}

/// The promised top-up time the way checkout sets it (the core's
/// `orders::promise_secs` is private): 秒到账 → the instant rule, else the
/// listing's own time, else the platform default.
fn topup_promise_secs(v: &ProductView, r: &Rules) -> i64 {
    youying_core::catalogue::topup_promise_secs(&v.promises, v.topup_promise_secs, r)
}

/// The 游客购买 form as the product page shows it (pages/guest.rs takes it):
/// what was typed (never the password) and each error beside its field.
#[derive(Debug, Default)]
pub struct GuestForm {
    pub contact: String,
    pub contact_error: Option<String>,
    pub password_error: Option<String>,
    /// Anything else (quantity, stock, the channel …).
    pub error: Option<String>,
}

/// What the buyer typed, kept when the form comes back with an error.
#[derive(Default)]
pub(super) struct BuyInput {
    pub(super) quantity: String,
    pub(super) topup: Vec<(String, String)>,
    pub(super) error: Option<AppError>,
    pub(super) guest: GuestForm,
}

pub(super) async fn product_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    input: BuyInput,
) -> Result<Response, PageError> {
    let v = load_view(app, page.viewer.as_ref().map(|v| &v.user), ProductId(id)).await.map_err(|e| page.error(e))?;
    let sid = ShopId(v.shop_id);
    let now = app.now();
    let (r, shop, listed, gateways): (Rules, _, bool, _) = app
        .store
        .read(move |tx| {
            let shop = tx.shop(sid)?.ok_or(Error::NotFound)?;
            Ok((rules::in_force(tx)?, shop, deposit::standing(tx, now, sid)?.listed(), tx.gateways()?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let mut contact = Contact::new(page.viewer.as_ref().map(|v| &v.user), &shop, format!("/products/{id}"));
    contact.product_id = Some(id);
    let idem = random_token("").map_err(|e| page.error(e.into()))?;
    let status = input.error.as_ref().map_or(StatusCode::OK, AppError::status);
    if let Some(e) = &input.error {
        e.log();
    }
    let t = ProductPage {
        page: &page.layout,
        category: catalogue::category_name(&v.category).unwrap_or(""),
        category_code: v.category.clone(),
        // A hidden shop's listing is not for sale either (checkout refuses it too).
        on_sale: v.on_sale && listed,
        is_topup: v.kind == ProductKind::DirectTopup.as_str(),
        description_html: render_markdown(&v.description),
        instructions: v.instructions.clone(),
        tiers: v.tiers.iter().map(|t| TierRow { min_qty: t.min_qty, price: fmt_fen(t.unit_price_fen) }).collect(),
        topup_promise: fmt_duration(topup_promise_secs(&v, &r)),
        protect_window: fmt_duration(r.get(match ProductKind::parse(&v.kind) {
            Ok(ProductKind::DirectTopup) => Rule::ProtectTopupSecs,
            Ok(ProductKind::Account) => Rule::ProtectAccountSecs,
            _ => Rule::ProtectCardKeySecs,
        })),
        topup_fields: v
            .topup_fields
            .iter()
            .map(|f| TopupInput {
                name: f.name.clone(),
                label: f.label.clone(),
                pattern: f.pattern.clone(),
                required: f.required,
                value: input.topup.iter().find(|(k, _)| *k == f.name).map(|(_, v)| v.clone()).unwrap_or_default(),
            })
            .collect(),
        account_attrs: v.account_attrs.iter().map(|a| (a.name.clone(), a.value.clone())).collect(),
        max_per_order: v.max_per_order,
        quantity: if input.quantity.is_empty() { "1".into() } else { input.quantity },
        idem,
        pay_channels: pay::offered_channels(&gateways),
        signed_in: page.viewer.is_some(),
        contact,
        error: input.error.map(|e| e.message()),
        guest: input.guest,
        p: ProductCard::of(&v),
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn product<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    product_page(&app, &page, id, BuyInput::default()).await
}

/// 立即购买: checkout through the same use case as the API, keyed by the form's
/// idempotency field, then 303 to the order page.
pub async fn buy<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let Some(viewer) = page.viewer.clone() else {
        return Ok(see_other(&format!("/login?next=/products/{id}")));
    };
    let (quantity, topup) = typed(&form);
    let result = async {
        let mut order = form_order(&app, id, &form).await?;
        let idem = field(&form, "idem").trim();
        let key = (!idem.is_empty()).then(|| format!("page:{idem}"));
        // 支付宝 / 微信 buttons: the wallet first, what it lacks through the gateway.
        let channel = field(&form, "pay_channel").trim();
        order.pay = (!channel.is_empty()).then(|| PayWith { channel: channel.to_owned(), gateway: None });
        let site = app.config.site_url(&headers);
        pay::buy(&app, viewer.user.clone(), &site, &order, key).await
    }
    .await;
    let input = |error| BuyInput { quantity, topup, error: Some(error), guest: GuestForm::default() };
    match result {
        Ok(Purchase::Placed { order, .. }) => Ok(see_other(&format!("/orders/{}", order.no))),
        Ok(Purchase::Paying(p)) => Ok(see_other(&format!("/wallet/topups/{}?go=1", p.id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => product_page(&app, &page, id, input(e)).await,
    }
}

/// The quantity and the top-up fields (`t_*`) as typed, to show again.
pub(super) fn typed(form: &[(String, String)]) -> (String, Vec<(String, String)>) {
    let topup = form.iter().filter_map(|(k, v)| k.strip_prefix("t_").map(|k| (k.to_owned(), v.clone()))).collect();
    (field(form, "quantity").trim().to_owned(), topup)
}

/// The order a product page's form asks for (without a way to pay): the
/// quantity, and for a direct top-up the declared fields.
pub(super) async fn form_order<S: Store>(app: &App<S>, id: i64, form: &[(String, String)]) -> ApiResult<NewOrder> {
    let (quantity, topup) = typed(form);
    // Only the kind and the declared fields are read here: no viewer needed.
    let v = load_view(app, None, ProductId(id)).await?;
    let qty = quantity.parse::<i64>().map_err(|_| Error::Invalid { field: "quantity", reason: "not_a_number" })?;
    let topup_target = (v.kind == ProductKind::DirectTopup.as_str()).then(|| {
        let declared = v.topup_fields.iter().map(|f| {
            let value = topup.iter().find(|(k, _)| *k == f.name).map_or("", |(_, v)| v.as_str());
            (f.name.clone(), serde_json::Value::String(value.to_owned()))
        });
        serde_json::Value::Object(declared.collect())
    });
    Ok(NewOrder { product_id: id, quantity: qty, topup_target, pay: None })
}

#[derive(Template)]
#[template(path = "shop_page.html")]
struct ShopPage<'a> {
    page: &'a Layout,
    id: i64,
    name: String,
    opened: String,
    products: Vec<ProductCard>,
    contact: Contact,
    /// Listings hidden (deposit short or suspended): buyers see none.
    hidden: bool,
    /// The end of a down-ranking in force, as a notice.
    downranked_until: Option<String>,
    /// Published reviews and cases (pages/reviews.rs, `_shop_trust.html`).
    trust: super::reviews::ShopTrust,
    grade: super::grade::GradeSection,
}

pub async fn shop<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let now = app.now();
    let viewer = page.viewer.as_ref().map(|v| v.user.clone());
    let (shop, views, standing, trust) = app
        .store
        .read(move |tx| {
            let level = youying_core::levels::viewer_level(tx, viewer.as_ref())?;
            let shop = tx.shop(ShopId(id))?.ok_or(Error::NotFound)?;
            let standing = deposit::standing(tx, now, shop.id)?;
            let mut views = Vec::new();
            let listed = if standing.listed() { tx.products_of_shop(shop.id)? } else { Vec::new() };
            for p in listed.into_iter().filter(|p| p.on_sale) {
                let n = tx.stock_count(p.id)?;
                views.push(priced_view(tx, &level, &p, shop.name.clone(), Some(n))?);
            }
            let trust = super::reviews::shop_trust(tx, shop.id)?;
            Ok((shop, views, standing, trust))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let grade = super::grade::section(&app, shop.id).await.map_err(|e| page.error(e))?;
    let contact = Contact::new(page.viewer.as_ref().map(|v| &v.user), &shop, format!("/shops/{id}"));
    let t = ShopPage {
        page: &page.layout,
        contact,
        id: shop.id.0,
        name: shop.name,
        opened: fmt_time(shop.created_at),
        products: views.iter().map(ProductCard::of).collect(),
        hidden: !standing.listed(),
        downranked_until: standing.downranked_until.map(fmt_time),
        trust,
        grade,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/", routing::get(home::<S>))
        .route("/search", routing::get(search::<S>))
        .route("/products/{id}", routing::get(product::<S>))
        .route("/products/{id}/buy", routing::post(buy::<S>))
        .route("/shops/{id}", routing::get(shop::<S>))
}
