//! Reviews as buyers, merchants and moderators write them: shared by the API
//! and the order, merchant and platform pages.

use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::reviews::{self, Review, Verdict};
use youying_core::values::ReviewId;

use crate::error::ApiResult;
use crate::state::App;

/// How every public page of reviews or cases is cut.
pub const PER_PAGE: usize = 20;

/// The only name a reviewer has in public.
pub const ANONYMOUS: &str = "匿名买家";

/// Writing a review, shared by the API and the order page.
pub async fn write<S: Store>(app: &App<S>, buyer: User, no: String, stars: i64, text: String) -> ApiResult<Review> {
    let now = app.now();
    Ok(app.store.write(move |tx| reviews::write(tx, now, &buyer, &no, stars, &text)).await?)
}

/// Replying, shared by the API and the merchant page.
pub async fn reply_as<S: Store>(app: &App<S>, actor: User, id: i64, text: String) -> ApiResult<Review> {
    let now = app.now();
    Ok(app.store.write(move |tx| reviews::reply(tx, now, &actor, ReviewId(id), &text)).await?)
}

/// Moderating, shared by the API and the platform page.
pub async fn moderate_as<S: Store>(
    app: &App<S>,
    agent: User,
    id: i64,
    decision: &str,
    note: String,
) -> ApiResult<Review> {
    let verdict = match decision {
        "publish" => Verdict::Publish,
        "reject" => Verdict::Reject,
        _ => return Err(Error::Invalid { field: "decision", reason: "unknown" }.into()),
    };
    let now = app.now();
    Ok(app.store.write(move |tx| reviews::moderate(tx, now, &agent, ReviewId(id), verdict, &note)).await?)
}

/// Editing a rejected review and sending it back to moderation, shared by the
/// API and the order page.
pub async fn resubmit<S: Store>(app: &App<S>, buyer: User, no: String, stars: i64, text: String) -> ApiResult<Review> {
    let now = app.now();
    Ok(app.store.write(move |tx| reviews::resubmit(tx, now, &buyer, &no, stars, &text)).await?)
}
