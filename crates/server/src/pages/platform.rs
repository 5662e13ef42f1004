//! The platform console with the rules in force, and the admin's rules form:
//! typed in human units, checked (`rules_form`), confirmed on a page naming
//! each change, then saved (post/redirect/get at every step).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::{self, Rules};
use youying_core::values::Role;
use youying_core::{Error, accounts, authz};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::rules_form::{self, Change, RuleField};
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

#[derive(Template)]
#[template(path = "platform.html")]
struct ConsolePage<'a> {
    page: &'a Layout,
    pending: i64,
    next_due: String,
    rules: Vec<RuleField>,
    is_admin: bool,
    /// The form was refused: its message above the fields.
    refused: String,
    time_units: &'static [(&'static str, i64, &'static str)],
}

async fn console_page<S: Store>(
    app: &App<S>,
    page: &Page,
    status: StatusCode,
    refused: Option<(Vec<RuleField>, String)>,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    authz::platform_staff(&v.user).map_err(|e| page.error(e.into()))?;
    let (pending, next, in_force) = app
        .store
        .read(|tx| Ok((tx.pending_deadlines()?, tx.next_due()?, rules::in_force(tx)?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    let (rows, refused) = refused.unwrap_or_else(|| (rules_form::fields(&in_force, app.config.demo), String::new()));
    let t = ConsolePage {
        page: &page.layout,
        pending,
        next_due: next.map_or_else(|| "无".to_owned(), fmt_time),
        rules: rows,
        is_admin: v.user.role == Role::Admin,
        refused,
        time_units: rules::bounds::TIME_UNITS,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn console<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let page = if field(&q, "saved").is_empty() {
        page
    } else {
        Page {
            layout: page.layout.clone().with_flash("规则已保存，之后新建的截止时间按新规则计算。"), ..page
        }
    };
    console_page(&app, &page, StatusCode::OK, None).await
}

async fn in_force<S: Store>(app: &App<S>, page: &Page) -> Result<Rules, PageError> {
    app.store.read(|tx| rules::in_force(tx)).await.map_err(|e| page.error(e.into()))
}

/// The rules form, posted: refused fields back beside themselves (422), or
/// on to the confirmation page.
pub async fn check_rules<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?;
    authz::admin(&v.user).map_err(|e| page.error(e.into()))?;
    let current = in_force(&app, &page).await?;
    match rules_form::read(&form, &current, app.config.demo) {
        Ok(changes) if changes.is_empty() => {
            let refused =
                (rules_form::fields(&current, app.config.demo), "没有改动：请先修改要调整的规则。".to_owned());
            console_page(&app, &page, StatusCode::UNPROCESSABLE_ENTITY, Some(refused)).await
        }
        Ok(changes) => Ok(see_other(&rules_form::confirm_href(&changes))),
        Err(rows) => {
            let refused = (rows, "有规则取值不对，请看标红的项。".to_owned());
            console_page(&app, &page, StatusCode::UNPROCESSABLE_ENTITY, Some(refused)).await
        }
    }
}

#[derive(Template)]
#[template(path = "rules_confirm.html")]
struct ConfirmPage<'a> {
    page: &'a Layout,
    changes: Vec<Change>,
}

fn numbers(pairs: &[(String, String)]) -> Result<BTreeMap<String, i64>, AppError> {
    pairs
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| {
            let n = v.trim().parse::<i64>().map_err(|_| Error::Invalid { field: "rules", reason: "not_a_number" })?;
            Ok((k.clone(), n))
        })
        .collect()
}

/// The confirmation: each change named, from → to, and one button to save.
pub async fn confirm_rules<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    authz::admin(&v.user).map_err(|e| page.error(e.into()))?;
    let current = in_force(&app, &page).await?;
    let changes =
        numbers(&q).and_then(|c| rules_form::describe(&c, &current, app.config.demo)).map_err(|e| page.error(e))?;
    if changes.is_empty() {
        return Ok(see_other("/platform#rules-form"));
    }
    Ok(render(StatusCode::OK, &page.layout, &ConfirmPage { page: &page.layout, changes }))
}

/// The confirmed changes, saved all or nothing, each an evidence event.
pub async fn save_rules<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?.clone();
    authz::admin(&v.user).map_err(|e| page.error(e.into()))?;
    let current = in_force(&app, &page).await?;
    let changes = numbers(&form).map_err(|e| page.error(e))?;
    // The form's ranges hold here too, not only on the page before.
    rules_form::describe(&changes, &current, app.config.demo).map_err(|e| page.error(e))?;
    let now = app.now();
    app.store
        .write(move |tx| accounts::change_rules(tx, now, &v.user, &changes))
        .await
        .map_err(|e| page.error(e.into()))?;
    crate::catalog::sync_search(&app).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other("/platform?saved=1#rules-form"))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/platform", routing::get(console::<S>))
        .route("/admin/rules/check", routing::post(check_rules::<S>))
        .route("/admin/rules/confirm", routing::get(confirm_rules::<S>))
        .route("/admin/rules", routing::post(save_rules::<S>))
}
