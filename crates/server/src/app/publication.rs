//! Public case responses: the merchant's answer on a published case.

use youying_core::accounts::User;
use youying_core::cases::publication::{self, PublicCase};
use youying_core::ports::Store;
use youying_core::values::CaseId;

use crate::error::ApiResult;
use crate::state::App;

/// The public response, shared by the API and the case page.
pub async fn respond_as<S: Store>(app: &App<S>, actor: User, id: i64, text: String) -> ApiResult<PublicCase> {
    let now = app.now();
    Ok(app.store.write(move |tx| publication::respond(tx, now, &actor, CaseId(id), &text)).await?)
}
