//! Chat operations the API, the pages and the websocket share: saying
//! something, sending a picture, reading up to a message, the duty report.

use utoipa::ToSchema;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::chat::{self, Side};
use youying_core::image::Claim;
use youying_core::ports::Store;
use youying_core::values::ConversationId;

use crate::error::ApiResult;
use crate::state::App;

/// The largest body `POST …/images` reads: a picture of at most 5 MiB.
pub const IMAGE_BODY_LIMIT: usize = youying_core::image::MAX_BYTES;

/// The pages' upload form: the picture plus the multipart framing and token.
pub const IMAGE_FORM_LIMIT: usize = IMAGE_BODY_LIMIT + 64 * 1024;

/// Posts as whoever the viewer is in this conversation: the buyer, or the
/// shop's or the platform's staff. Shared with the pages.
pub async fn say<S: Store>(
    app: &App<S>,
    user: youying_core::accounts::User,
    id: ConversationId,
    text: String,
) -> ApiResult<youying_core::chat::Message> {
    let now = app.now();
    app.limiter.take(user.id.0, now).map_err(|secs| Error::Throttled { retry_after_secs: secs })?;
    Ok(app
        .store
        .write(move |tx| {
            let (_, side) = chat::load(tx, &user, id)?;
            match side {
                Side::Buyer => chat::buyer_says(tx, now, &user, id, &text, Some(&crate::helpbot::ChatBot)),
                _ => chat::staff_says(tx, now, &user, id, &text),
            }
        })
        .await?)
}

/// Sends a picture as whoever the viewer is in this conversation; rate
/// limited like text. Shared with the pages' upload form; a refusal is the
/// core's word, which [`crate::error::image_error`] says over HTTP.
pub async fn send_image<S: Store>(
    app: &App<S>,
    user: User,
    id: ConversationId,
    bytes: Vec<u8>,
    (content_type, file_name): (Option<String>, Option<String>),
) -> Result<chat::Message, Error> {
    let now = app.now();
    app.limiter.take(user.id.0, now).map_err(|secs| Error::Throttled { retry_after_secs: secs })?;
    app.store
        .write(move |tx| {
            let claim = Claim { content_type: content_type.as_deref(), file_name: file_name.as_deref() };
            chat::send_image(tx, now, &user, id, bytes, claim)
        })
        .await
}

/// Records that the viewer's side has read up to `message_id`, unless it had
/// already (then nothing is written). Shared with the websocket's `read`.
pub async fn read_up_to<S: Store>(
    app: &App<S>,
    user: User,
    id: ConversationId,
    message_id: i64,
) -> ApiResult<(Side, i64)> {
    let u = user.clone();
    let (side, at) = app
        .store
        .read(move |tx| {
            let (c, side) = chat::load(tx, &u, id)?;
            if tx.message(c.id, message_id)?.is_none() {
                return Err(Error::Invalid { field: "message_id", reason: "not_in_conversation" });
            }
            Ok((side, c.read.of(side)))
        })
        .await?;
    if at >= message_id {
        return Ok((side, at));
    }
    mark_read(app, user, id, message_id).await
}

/// Moves the viewer's read position forward (a page showing the conversation).
pub async fn mark_read<S: Store>(
    app: &App<S>,
    user: User,
    id: ConversationId,
    message_id: i64,
) -> ApiResult<(Side, i64)> {
    let now = app.now();
    Ok(app.store.write(move |tx| chat::mark_read(tx, now, &user, id, message_id)).await?)
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DutyView {
    /// Platform agents on duty now.
    pub on_duty: Vec<i64>,
    /// The day reported (Beijing time), and the minutes of it so far with at least one agent on duty.
    pub day: String,
    pub minutes_elapsed: i64,
    pub minutes_covered: i64,
    /// `minutes_covered / minutes_elapsed`, in percent.
    pub share_percent: f64,
}

/// Beijing-time day `[start, end)` containing `now`.
fn day_of(now: youying_core::Timestamp) -> (youying_core::Timestamp, youying_core::Timestamp) {
    let offset = 8 * 3_600_000;
    let start = (now.millis() + offset).div_euclid(86_400_000) * 86_400_000 - offset;
    (youying_core::Timestamp::from_millis(start), youying_core::Timestamp::from_millis(start + 86_400_000))
}

pub async fn duty_report<S: Store>(app: &App<S>) -> ApiResult<DutyView> {
    let now = app.now();
    let (start, _) = day_of(now);
    let (on_duty, intervals) =
        app.store.read(move |tx| Ok((tx.on_duty_now()?, tx.duty_intervals(start, now)?))).await?;
    let covered = chat::covered_minutes(&intervals, start, now);
    let elapsed = now.millis_since(start) / 60_000;
    #[allow(clippy::cast_precision_loss)]
    let share = if elapsed > 0 { (covered as f64 * 1000.0 / elapsed as f64).round() / 10.0 } else { 0.0 };
    Ok(DutyView {
        on_duty: on_duty.into_iter().map(|u| u.0).collect(),
        day: crate::fmt::fmt_time(start).chars().take(10).collect(),
        minutes_elapsed: elapsed,
        minutes_covered: covered,
        share_percent: share,
    })
}
