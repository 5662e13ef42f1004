//! Guest orders, as the API and the pages share them: buying without
//! registering (a guest account and a payment at checkout, in one
//! transaction, signed in at once), finding the order again with an order
//! number or the contact plus the query password, and turning the guest into
//! a full account. The slow argon2id work happens here, outside transactions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::guest::{self, GuestContact, QueryPassword};
use youying_core::accounts::{self, User};
use youying_core::payments;
use youying_core::ports::Store;
use youying_core::values::{Password, Username};
use youying_core::{Error, Timestamp};

use super::orders::{NewOrder, PayWith, random_u64};
use super::pay::{PaymentView, checkout_input, payment_pay_url, view};
use crate::accounts::NewSession;
use crate::error::{ApiResult, AppError};
use crate::security::{hash_password, random_token, token_hash, verify_password};
use crate::state::App;

/// `POST /api/v1/guest/orders`: what a visitor buys and how to find it again.
/// `Debug` leaves out the query password and the contact.
#[derive(Deserialize, ToSchema)]
pub struct GuestOrder {
    pub product_id: i64,
    #[serde(default = "one")]
    pub quantity: i64,
    /// For direct top-ups: the declared fields, e.g. `{"qq": "123456"}`.
    #[schema(value_type = Option<Object>)]
    pub topup_target: Option<serde_json::Value>,
    /// An e-mail address or a mainland mobile number.
    pub contact: String,
    /// 6–128 characters; with the contact or the order number it finds the order.
    pub query_password: String,
    /// How to pay: a guest has no wallet balance, so always through a gateway.
    pub pay: PayWith,
}

fn one() -> i64 {
    1
}

/// `POST /api/v1/orders/lookup`. `Debug` leaves out the query password.
#[derive(Deserialize, ToSchema)]
pub struct LookupRequest {
    /// An order number (18 digits) or the contact given at checkout.
    pub query: String,
    pub query_password: String,
}

impl std::fmt::Debug for GuestOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestOrder")
            .field("product_id", &self.product_id)
            .field("quantity", &self.quantity)
            .field("pay", &self.pay)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for LookupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupRequest").finish_non_exhaustive()
    }
}

/// A guest's checkout under way: the payment to make and the guest's session.
#[derive(Debug)]
pub struct GuestStart {
    pub payment: PaymentView,
    pub session: NewSession,
}

/// What a successful lookup opens: a session, and the order when one was named.
#[derive(Debug)]
pub struct Found {
    pub session: NewSession,
    pub order_no: Option<String>,
}

/// A guest's masked contact, for its own pages (`None` for a full account).
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestInfo {
    pub guest: bool,
    pub contact: Option<String>,
}

/// A new session's secrets: the raw token, its hash and the CSRF token.
fn new_session_tokens() -> ApiResult<(String, String, String)> {
    let token = random_token("yys_")?;
    let hash = token_hash(&token);
    Ok((token, hash, random_token("")?))
}

/// Buys as a guest: the contact's guest account (created now, or an earlier
/// one whose query password this is), a payment for the whole order, and a
/// session — one transaction, so a refused order leaves no account behind.
pub async fn checkout<S: Store>(app: &App<S>, ip: &str, site: &str, g: &GuestOrder) -> ApiResult<GuestStart> {
    let contact = GuestContact::parse(&g.contact)?;
    let pw = QueryPassword::parse(&g.query_password)?;
    let now = app.now();
    let (key, i) = (contact.throttle_key(), ip.to_owned());
    let ck = contact.key();
    let existing = app
        .store
        .read(move |tx| {
            accounts::check_throttle(tx, now, &key, &i)?;
            tx.guest_by_contact(&ck)
        })
        .await?;
    let hash = match &existing {
        Some(u) => {
            let ok = verify_password(pw.expose().to_owned(), Some(u.password_hash.clone())).await?;
            if !ok || u.disabled {
                let (key, i) = (contact.throttle_key(), ip.to_owned());
                app.store.write(move |tx| accounts::login_failed(tx, now, &key, &i)).await?;
                return Err(AppError::guest_contact_taken());
            }
            None
        }
        None => Some(hash_password(pw.expose().to_owned()).await?),
    };
    let n = NewOrder {
        product_id: g.product_id,
        quantity: g.quantity,
        topup_target: g.topup_target.clone(),
        pay: Some(g.pay.clone()),
    };
    let input = checkout_input(app, now, &n, &g.pay).await?;
    let name = guest::guest_username(random_u64()?);
    let (token, session_hash, csrf) = new_session_tokens()?;
    let (c, i, key) = (csrf.clone(), ip.to_owned(), contact.throttle_key());
    let (user, attempt, expires_at) = app
        .store
        .write(move |tx| {
            let user = match (existing, hash) {
                (Some(u), _) => u,
                (None, Some(h)) => guest::create(tx, now, &name, h, &contact)?,
                (None, None) => return Err(Error::NotFound),
            };
            let attempt = payments::start_checkout(tx, now, &user, input)?;
            let expires = accounts::login_succeeded(tx, now, &user, &i, &session_hash, &c)?;
            tx.clear_login_failures(&key, &i)?;
            Ok((user, attempt, expires))
        })
        .await?;
    let pay_url = payment_pay_url(app, &attempt, site).await?;
    Ok(GuestStart { payment: view(&attempt, Some(pay_url)), session: NewSession { token, csrf, expires_at, user } })
}

/// `/orders/lookup`: an order number or a contact, and the query password.
/// Every failure — no such order or contact, a wrong password, an order of a
/// registered account or of another guest — is the same `guest_not_found`
/// after the same work (a dummy hash is verified when there is no account),
/// and counts against the sign-in throttle for that text and address.
pub async fn lookup<S: Store>(app: &App<S>, ip: &str, r: &LookupRequest) -> ApiResult<Found> {
    let text = r.query.trim().chars().take(254).collect::<String>();
    let order_no = guest::is_order_no(&text).then(|| text.clone());
    let contact = if order_no.is_some() { None } else { GuestContact::parse(&text).ok() };
    let key = match (&order_no, &contact) {
        (Some(no), _) => format!("guest:order:{no}"),
        (None, Some(c)) => c.throttle_key(),
        (None, None) => format!("guest:{}", text.to_lowercase()),
    };
    let now = app.now();
    let (k, i, no) = (key.clone(), ip.to_owned(), order_no.clone());
    let user = app
        .store
        .read(move |tx| {
            accounts::check_throttle(tx, now, &k, &i)?;
            let user = match (no, contact) {
                (Some(no), _) => match tx.order_by_no(&no)? {
                    Some(o) => tx.user_by_id(o.buyer_id)?,
                    None => None,
                },
                (None, Some(c)) => tx.guest_by_contact(&c.key())?,
                (None, None) => None,
            };
            Ok(user.filter(|u| u.guest && !u.disabled))
        })
        .await?;
    let ok = verify_password(r.query_password.clone(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| ok) else {
        let i = ip.to_owned();
        app.store.write(move |tx| accounts::login_failed(tx, now, &key, &i)).await?;
        return Err(AppError::guest_not_found());
    };
    let session = sign_in(app, now, user, ip, &key).await?;
    Ok(Found { session, order_no })
}

async fn sign_in<S: Store>(app: &App<S>, now: Timestamp, user: User, ip: &str, key: &str) -> ApiResult<NewSession> {
    let (token, hash, csrf) = new_session_tokens()?;
    let (u, c, i, k) = (user.clone(), csrf.clone(), ip.to_owned(), key.to_owned());
    let expires_at = app
        .store
        .write(move |tx| {
            let expires = accounts::login_succeeded(tx, now, &u, &i, &hash, &c)?;
            tx.clear_login_failures(&k, &i)?;
            Ok(expires)
        })
        .await?;
    Ok(NewSession { token, csrf, expires_at, user })
}

/// 设置用户名和密码: the signed-in guest becomes a full account.
pub async fn claim<S: Store>(app: &App<S>, guest: &User, username: &str, password: &str) -> ApiResult<User> {
    if !guest.guest {
        return Err(Error::Forbidden.into());
    }
    let name = Username::parse(username)?;
    let pw = Password::parse(password, name.as_str())?;
    let key = name.key();
    if app.store.read(move |tx| tx.user_by_key(&key)).await?.is_some() {
        return Err(Error::UsernameTaken.into());
    }
    let hash = hash_password(pw.expose().to_owned()).await?;
    let (now, g) = (app.now(), guest.clone());
    Ok(app.store.write(move |tx| guest::claim(tx, now, &g, &name, hash)).await?)
}

/// Whether `user` is a guest, and its contact masked.
pub async fn info<S: Store>(app: &App<S>, user: &User) -> ApiResult<GuestInfo> {
    if !user.guest {
        return Ok(GuestInfo { guest: false, contact: None });
    }
    let id = user.id;
    let contact = app.store.read(move |tx| tx.guest_contact(id)).await?;
    let masked = contact.and_then(|c| GuestContact::parse(&c).ok()).map(|c| c.masked());
    Ok(GuestInfo { guest: true, contact: masked })
}
