//! The storefront: the home page with categories and goods on sale, search with
//! filters and pages, and a shop's page. Every card carries the shop's grade
//! and the units sold, read with the listing. The product page and its buy
//! form are in `buy`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::catalogue::{self, CATEGORIES, ProductKind};
use youying_core::grades::Grade;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule, Rules};
use youying_core::values::ShopId;
use youying_core::{Error, deposit};

use super::forms::{field, parse_yuan_opt, urlencode, yuan_input};
use super::labels::{Contact, kind_label};
use super::layout::{Layout, Page, PageError, render};
use crate::app::products::{ProductView, SearchParams, priced_view, search_products, with_card_facts};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::i18n;
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
    /// The shop's published grade as its page shows it: `A`…`D` or 新店.
    pub grade: &'static str,
    /// `A`…`D` or `new`, for the badge's class.
    pub grade_class: &'static str,
    /// 已售: units sold, refunds left out.
    pub sold: i64,
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
            grade: Grade::parse(&v.shop_grade).unwrap_or(Grade::New).label(),
            grade_class: Grade::parse(&v.shop_grade).unwrap_or(Grade::New).as_str(),
            sold: v.sold,
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
            let views = with_card_facts(tx, views)?;
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
        .route("/shops/{id}", routing::get(shop::<S>))
}
