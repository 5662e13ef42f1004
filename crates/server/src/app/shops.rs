//! Joining a shop's team by invitation: shared by the API, the invitation page
//! and the demo seeder.

use youying_core::ports::Store;
use youying_core::shops;
use youying_core::values::{Password, Role, Username};

use crate::error::ApiResult;
use crate::security::{hash_password, token_hash};
use crate::state::App;

/// Shared with the invitation page.
pub async fn accept<S: Store>(
    app: &App<S>,
    token: &str,
    username: &str,
    password: &str,
) -> ApiResult<youying_core::ports::User> {
    let name = Username::parse(username)?;
    let pw = Password::parse(password, name.as_str())?;
    let hash = hash_password(pw.expose().to_owned()).await?;
    let (th, now) = (token_hash(token), app.now());
    let user = app.store.write(move |tx| shops::accept_invite(tx, now, &th, &name, hash)).await?;
    debug_assert_eq!(user.role, Role::MerchantAgent);
    Ok(user)
}
