//! The help bot's buttons (已解决 / 转人工), pressed from the API or a page.

use youying_core::chat::bot::{self as chatbot, Feedback};
use youying_core::ports::Store;
use youying_core::values::ConversationId;

use crate::app::chat_view::{ConversationView, load_view};
use crate::error::AppError;
use crate::state::App;

/// Shared with the pages' buttons.
pub async fn press<S: Store>(
    app: &App<S>,
    user: youying_core::accounts::User,
    id: ConversationId,
    f: Feedback,
) -> Result<ConversationView, AppError> {
    let now = app.now();
    Ok(app
        .store
        .write(move |tx| {
            let c = chatbot::feedback(tx, now, &user, id, f)?;
            load_view(tx, &c).map(|(view, _)| view)
        })
        .await?)
}
