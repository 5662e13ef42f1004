//! The platform console with the rules in force.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::{self, RULES};
use youying_core::values::Role;
use youying_core::{Error, accounts, authz};

use super::layout::{Layout, Page, PageError, render};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_time};
use crate::state::App;

struct RuleRow {
    name: &'static str,
    label: &'static str,
    value: i64,
    unit: &'static str,
    /// The value said naturally, for durations.
    human: String,
    min: i64,
    max: i64,
}

#[derive(Template)]
#[template(path = "platform.html")]
struct ConsolePage<'a> {
    page: &'a Layout,
    pending: i64,
    next_due: String,
    rules: Vec<RuleRow>,
    is_admin: bool,
}

async fn console_page<S: Store>(app: &App<S>, page: &Page, status: StatusCode) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    authz::platform_staff(&v.user).map_err(|e| page.error(e.into()))?;
    let (pending, next, rules) = app
        .store
        .read(|tx| Ok((tx.pending_deadlines()?, tx.next_due()?, rules::in_force(tx)?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    let rows = RULES
        .iter()
        .map(|d| RuleRow {
            name: d.name(),
            label: crate::i18n::t(&format!("rule.{}", d.name())),
            value: rules.get(d.rule),
            unit: crate::i18n::t(&format!("unit.{}", d.unit.as_str())),
            human: if d.unit == youying_core::rules::Unit::Secs {
                fmt_duration(rules.get(d.rule))
            } else {
                String::new()
            },
            min: d.min,
            max: d.max,
        })
        .collect();
    let t = ConsolePage {
        page: &page.layout,
        pending,
        next_due: next.map_or_else(|| "无".to_owned(), fmt_time),
        rules: rows,
        is_admin: v.user.role == Role::Admin,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn console<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    console_page(&app, &page, StatusCode::OK).await
}

/// The admin's rules form: every changed field, validated together, all or nothing.
pub async fn save_rules<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    page.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let v = page.require_viewer()?.clone();
    let mut changes = BTreeMap::new();
    for (name, raw) in form.iter().filter(|(k, _)| *k != "_csrf") {
        let value = raw
            .trim()
            .parse::<i64>()
            .map_err(|_| page.error(AppError::Core(Error::Invalid { field: "rules", reason: "not_a_number" })))?;
        changes.insert(name.clone(), value);
    }
    let now = app.now();
    app.store
        .write(move |tx| accounts::change_rules(tx, now, &v.user, &changes))
        .await
        .map_err(|e| page.error(e.into()))?;
    crate::catalog::sync_search(&app).await.map_err(|e| page.error(e.into()))?;
    let page = Page {
        layout: page.layout.clone().with_flash("规则已保存，之后新建的截止时间按新规则计算。"), ..page
    };
    console_page(&app, &page, StatusCode::OK).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/platform", routing::get(console::<S>)).route("/admin/rules", routing::post(save_rules::<S>))
}
