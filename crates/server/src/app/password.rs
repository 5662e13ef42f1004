//! 修改密码, shared by the account page and `POST /api/v1/me/password`: the
//! current password proves it is the owner (a wrong one counts against the
//! sign-in lockout like a wrong login), the new one is typed twice and meets
//! the registration rule, and every other session of the account ends.

use youying_core::accounts::{self, User};
use youying_core::ports::Store;
use youying_core::values::Password;
use youying_core::{Error, accounts::password};

use crate::error::AppError;
use crate::security::{hash_password, verify_password};
use crate::state::App;

/// What the form or the request carries; `Debug` shows none of it.
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    /// The new password again, to catch a typo before it locks the owner out.
    pub repeat: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange(***)")
    }
}

/// The field an error of [`change`] is about: `current_password`,
/// `new_password` or `new_password2`.
pub fn field_of(e: &AppError) -> &'static str {
    match e {
        AppError::Core(Error::Invalid { field: "new_password2", .. }) => "new_password2",
        AppError::Core(Error::WeakPassword | Error::CommonPassword) => "new_password",
        _ => "current_password",
    }
}

/// Changes `user`'s password, keeping the session hashed `keep` (the one the
/// change came from) and ending the others; returns how many ended.
pub async fn change<S: Store>(
    app: &App<S>,
    user: &User,
    keep: Option<&str>,
    ip: &str,
    c: &PasswordChange,
) -> Result<u64, AppError> {
    // The cheap checks first: a typo in the new password costs no lockout attempt.
    if c.new != c.repeat {
        return Err(Error::Invalid { field: "new_password2", reason: "mismatch" }.into());
    }
    let new = Password::parse(&c.new, &user.username)?;
    let now = app.now();
    let (key, addr) = (user.username.to_lowercase(), ip.to_owned());
    let (k, a) = (key.clone(), addr.clone());
    app.store.read(move |tx| accounts::check_throttle(tx, now, &k, &a)).await?;
    if !verify_password(c.current.clone(), Some(user.password_hash.clone())).await? {
        app.store.write(move |tx| accounts::login_failed(tx, now, &key, &addr)).await?;
        return Err(Error::Invalid { field: "current_password", reason: "wrong" }.into());
    }
    let hash = hash_password(new.expose().to_owned()).await?;
    let (u, keep) = (user.clone(), keep.map(str::to_owned));
    Ok(app.store.write(move |tx| password::change(tx, now, &u, &hash, keep.as_deref())).await?)
}
