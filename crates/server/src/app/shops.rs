//! A shop as the API shows it, and joining a shop's team by invitation: shared
//! by the API, the invitation page and the demo seeder.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::ports::Store;
use youying_core::shops;
use youying_core::shops::Shop;
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
) -> ApiResult<youying_core::accounts::User> {
    let name = Username::parse(username)?;
    let pw = Password::parse(password, name.as_str())?;
    let hash = hash_password(pw.expose().to_owned()).await?;
    let (th, now) = (token_hash(token), app.now());
    let user = app.store.write(move |tx| shops::accept_invite(tx, now, &th, &name, hash)).await?;
    debug_assert_eq!(user.role, Role::MerchantAgent);
    Ok(user)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopView {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub created_at: i64,
}

impl From<&Shop> for ShopView {
    fn from(s: &Shop) -> Self {
        Self { id: s.id.0, name: s.name.clone(), owner_id: s.owner_id.0, created_at: s.created_at.millis() }
    }
}
