//! Account flows shared by the API and the pages. They add to the core's use
//! cases what must happen outside a transaction: slow password hashing and
//! verification, and token generation.

use youying_core::accounts::User;

use youying_core::ports::Store;
use youying_core::values::{Password, Role, ShopId, Username};
use youying_core::{Error, Timestamp, accounts};

use crate::error::AppError;
use crate::security::{hash_password, random_token, token_hash, verify_password};
use crate::state::App;

/// A new session: the raw token (cookie or bearer), its CSRF token and expiry.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: Timestamp,
    pub user: User,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

pub async fn register<S: Store>(
    app: &App<S>,
    username: &str,
    password: &str,
    role: Role,
    shop: Option<ShopId>,
) -> Result<User, AppError> {
    let name = Username::parse(username)?;
    let pw = Password::parse(password, name.as_str())?;
    let key = name.key();
    // Refuse a taken name before paying for the hash; the unique index still decides races.
    if app.store.read(move |tx| tx.user_by_key(&key)).await?.is_some() {
        return Err(Error::UsernameTaken.into());
    }
    let hash = hash_password(pw.expose().to_owned()).await?;
    let now = app.now();
    Ok(app.store.write(move |tx| accounts::register(tx, now, &name, hash, role, shop, None)).await?)
}

pub async fn login<S: Store>(app: &App<S>, username: &str, password: &str, ip: &str) -> Result<NewSession, AppError> {
    let key = username.trim().to_lowercase();
    let now = app.now();
    let (k, i) = (key.clone(), ip.to_owned());
    let user = app
        .store
        .read(move |tx| {
            accounts::check_throttle(tx, now, &k, &i)?;
            tx.user_by_key(&k)
        })
        .await?;
    let ok = verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        // Only the right password learns that the account is frozen.
        Some(u) if ok && u.disabled => return Err(Error::AccountFrozen.into()),
        _ => {
            let i = ip.to_owned();
            app.store.write(move |tx| accounts::login_failed(tx, now, &key, &i)).await?;
            return Err(Error::BadCredentials.into());
        }
    };
    let token = random_token("yys_")?;
    let csrf = random_token("")?;
    let (hash, c, u, i) = (token_hash(&token), csrf.clone(), user.clone(), ip.to_owned());
    let expires_at = app.store.write(move |tx| accounts::login_succeeded(tx, now, &u, &i, &hash, &c)).await?;
    Ok(NewSession { token, csrf, expires_at, user })
}
