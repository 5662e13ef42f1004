//! Money in through a gateway, as the transports share it: starting a wallet
//! top-up (the attempt in the core, the signed pay URL from the epay crate),
//! reading one back, and taking a gateway's notify — checked here with the
//! attempt's gateway credentials, acted on in the core, and followed at once
//! by the order query that alone may credit (see [`crate::paycheck`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::error::{Error, Result};
use youying_core::orders::{self as core_orders, Order};
use youying_core::payments::{
    self, Attempt, AttemptState, Channel, Gateway, GatewayName, NotifyRecord, NotifyReply, PendingCheckout, Purpose,
    StartPayment,
};
use youying_core::ports::Store;
use youying_core::{Timestamp, authz};
use youying_epay::OutTradeNo;

use super::orders::{NewOrder, PayWith, place, random_u64};
use super::payments::{credentials, pay_url};
use crate::error::{ApiResult, AppError};
use crate::state::App;
use crate::vault::OpenUnit;

/// `POST /api/v1/wallet/topups`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopUpRequest {
    pub amount_fen: i64,
    /// `alipay`, `wxpay` or `qqpay`.
    pub channel: String,
    /// A gateway's name; left out, the first enabled gateway offering the channel.
    pub gateway: Option<String>,
}

/// A payment attempt as its payer (or an admin) reads it. `pay_url` is there
/// while it can still be paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub out_trade_no: String,
    /// `pending`, `paid` or `expired`.
    pub state: String,
    pub state_label: String,
    pub amount_fen: i64,
    pub gateway: String,
    pub channel: String,
    pub channel_label: String,
    pub pay_url: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    /// `query` (the gateway confirmed) or `hand` (an admin confirmed).
    pub settled_by: Option<String>,
    pub trade_no: Option<String>,
    /// `top_up`, or `checkout`: an order is placed when the money lands.
    pub purpose: String,
    /// The order placed once paid, …
    pub order_no: Option<String>,
    /// … or why it could not be (`out_of_stock` …): the money is then in the wallet.
    pub order_error: Option<String>,
}

/// A fresh `out_trade_no` per attempt: `Y`, the millisecond, 8 random hex
/// digits — 22 characters, inside every gateway's alphabet and length.
fn new_out_trade_no(now: Timestamp) -> Result<String> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| youying_core::StorageError(format!("random: {e}")))?;
    Ok(format!("Y{}{}", now.millis(), hex::encode(bytes)))
}

pub fn view(a: &Attempt, pay_url: Option<String>) -> PaymentView {
    PaymentView {
        id: a.id,
        out_trade_no: a.out_trade_no.clone(),
        state: a.state.as_str().to_owned(),
        state_label: a.state.label().to_owned(),
        amount_fen: a.amount_fen,
        gateway: a.gateway.to_string(),
        channel: a.channel.as_str().to_owned(),
        channel_label: a.channel.label().to_owned(),
        pay_url: pay_url.filter(|_| a.state == AttemptState::Pending),
        created_at: a.created_at.millis(),
        expires_at: a.expires_at.millis(),
        paid_at: a.paid_at.map(Timestamp::millis),
        settled_by: a.settled_by.map(|s| s.as_str().to_owned()),
        trade_no: a.trade_no.clone(),
        purpose: a.purpose.as_str().to_owned(),
        order_no: a.order_id.and(a.checkout.as_ref()).map(|c| c.order_no.clone()),
        order_error: a.order_error.clone(),
    }
}

/// The channels some enabled gateway offers, as `(wire name, label)`, in a fixed order.
pub fn offered_channels(gateways: &[Gateway]) -> Vec<(&'static str, &'static str)> {
    Channel::ALL
        .into_iter()
        .filter(|c| gateways.iter().any(|g| g.enabled && g.channels.contains(c)))
        .map(|c| (c.as_str(), c.label()))
        .collect()
}

/// The gateway to pay through: the one named, or the first enabled one that
/// offers the channel.
async fn pick_gateway<S: Store>(app: &App<S>, name: Option<&str>, channel: Channel) -> Result<GatewayName> {
    let unknown = Error::Invalid { field: "gateway", reason: "unknown_gateway" };
    let gateways = app.store.read(|tx| tx.gateways()).await?;
    let usable = |g: &&Gateway| g.enabled && g.channels.contains(&channel);
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Ok(GatewayName::parse(n).map_err(|_| unknown)?),
        None => gateways
            .iter()
            .find(usable)
            .map(|g| g.name.clone())
            .ok_or(Error::Invalid { field: "channel", reason: "channel_not_offered" }),
    }
}

/// Starts a wallet top-up for `payer`; `site` is the address the gateway calls back.
pub async fn start_top_up<S: Store>(app: &App<S>, payer: User, site: &str, r: &TopUpRequest) -> Result<PaymentView> {
    let channel =
        Channel::parse(r.channel.trim()).map_err(|_| Error::Invalid { field: "channel", reason: "unknown" })?;
    let gateway = pick_gateway(app, r.gateway.as_deref(), channel).await?;
    let now = app.now();
    let input = StartPayment {
        gateway,
        channel,
        amount_fen: r.amount_fen,
        out_trade_no: new_out_trade_no(now)?,
        purpose: Purpose::TopUp,
        checkout: None,
    };
    let a = app.store.write(move |tx| payments::start(tx, now, &payer, input)).await?;
    let pay_url = payment_pay_url(app, &a, site).await?;
    Ok(view(&a, Some(pay_url)))
}

/// What buying came to: the order (from the wallet), or a payment to make first.
#[derive(Debug)]
pub enum Purchase {
    Placed { replay: bool, order: Order, units: Vec<OpenUnit> },
    Paying(PaymentView),
}

/// Buys from the wallet; when the wallet is short and the buyer chose how to
/// pay, starts a payment for the difference instead, carrying the order.
pub async fn buy<S: Store>(
    app: &App<S>,
    buyer: User,
    site: &str,
    n: &NewOrder,
    key: Option<String>,
) -> ApiResult<Purchase> {
    match place(app, buyer.clone(), n, key).await {
        Ok((replay, order, units)) => Ok(Purchase::Placed { replay, order, units }),
        Err(AppError::Core(Error::InsufficientFunds)) if n.pay.is_some() => {
            let pay = n.pay.clone().unwrap_or(PayWith { channel: String::new(), gateway: None });
            Ok(Purchase::Paying(start_checkout(app, buyer, site, n, &pay).await?))
        }
        Err(e) => Err(e),
    }
}

async fn start_checkout<S: Store>(
    app: &App<S>,
    buyer: User,
    site: &str,
    n: &NewOrder,
    pay: &PayWith,
) -> Result<PaymentView> {
    let now = app.now();
    let input = checkout_input(app, now, n, pay).await?;
    let a = app.store.write(move |tx| payments::start_checkout(tx, now, &buyer, input)).await?;
    let pay_url = payment_pay_url(app, &a, site).await?;
    Ok(view(&a, Some(pay_url)))
}

/// What `payments::start_checkout` needs to start paying for `n` through
/// `pay`: the gateway, a fresh out_trade_no and the order number to come.
pub(crate) async fn checkout_input<S: Store>(
    app: &App<S>,
    now: Timestamp,
    n: &NewOrder,
    pay: &PayWith,
) -> Result<StartPayment> {
    let channel =
        Channel::parse(pay.channel.trim()).map_err(|_| Error::Invalid { field: "channel", reason: "unknown" })?;
    let gateway = pick_gateway(app, pay.gateway.as_deref(), channel).await?;
    let random = random_u64().map_err(|_| youying_core::StorageError("random".into()))?;
    let checkout = PendingCheckout {
        product_id: n.product_id,
        quantity: n.quantity,
        topup_target: n.topup_target.clone(),
        order_no: core_orders::order_no(now, random),
    };
    Ok(StartPayment {
        gateway,
        channel,
        amount_fen: 0,
        out_trade_no: new_out_trade_no(now)?,
        purpose: Purpose::Checkout,
        checkout: Some(checkout),
    })
}

pub(crate) async fn payment_pay_url<S: Store>(app: &App<S>, a: &Attempt, site: &str) -> Result<String> {
    let name = a.gateway.clone();
    let g = app.store.read(move |tx| tx.gateway(&name)).await?.ok_or(Error::NotFound)?;
    pay_url(&app.vault, &g, a, site)
}

/// One attempt, for its payer or an admin; anyone else is told it does not exist.
pub async fn get<S: Store>(app: &App<S>, viewer: &User, id: i64, site: &str) -> Result<PaymentView> {
    let a = app.store.read(move |tx| tx.payment(id)).await?.ok_or(Error::NotFound)?;
    if a.user_id != viewer.id && authz::admin(viewer).is_err() {
        return Err(Error::NotFound);
    }
    let pay_url = if a.state == AttemptState::Pending { Some(payment_pay_url(app, &a, site).await?) } else { None };
    Ok(view(&a, pay_url))
}

/// The payer's recent attempts, newest first.
pub async fn mine<S: Store>(app: &App<S>, viewer: &User) -> Result<Vec<PaymentView>> {
    let user = viewer.id;
    Ok(app.store.read(move |tx| tx.payments_of(user, 20)).await?.iter().map(|a| view(a, None)).collect())
}

/// A notify's raw text is kept as received, up to this size; beyond it the
/// notify is refused (no gateway sends one that large).
pub const MAX_NOTIFY: usize = 8 * 1024;

/// Takes a gateway's notify: keeps it, checks it against the attempt it names
/// and that attempt's gateway, hands the verdict to the core, and runs the
/// query it made due. Whatever happens, the gateway gets `success` or `fail`.
pub async fn notify<S: Store>(app: &App<S>, gateway: &str, remote: String, raw: &str) -> Result<NotifyReply> {
    let now = app.now();
    let (record, trade_no) = judge(app, gateway, remote, raw, now).await?;
    let (reply, query_due) =
        app.store.write(move |tx| payments::notified(tx, now, &record, trade_no.as_deref())).await?;
    // A replay for a paid attempt made nothing due: no query to run.
    if query_due {
        crate::paycheck::run_checks(app).await?;
    }
    Ok(reply)
}

/// The buyer's browser back from the gateway with the notify's parameters.
/// It never credits: when its signature holds it counts as a notify (kept,
/// and a query made due at once); either way the attempt it names, if any,
/// is where the buyer is sent — to the payer's own page only.
pub async fn returned<S: Store>(app: &App<S>, gateway: &str, remote: String, raw: &str) -> Result<Option<i64>> {
    let now = app.now();
    let (record, trade_no) = judge(app, gateway, format!("return {remote}"), raw, now).await?;
    let attempt = record.attempt_id;
    if record.verified {
        let (_, query_due) =
            app.store.write(move |tx| payments::notified(tx, now, &record, trade_no.as_deref())).await?;
        if query_due {
            crate::paycheck::run_checks(app).await?;
        }
    }
    Ok(attempt)
}

/// The kept record of a notify, and the gateway's trade number if it passed
/// every check PAYMENTS.md lists.
async fn judge<S: Store>(
    app: &App<S>,
    gateway: &str,
    remote: String,
    raw: &str,
    now: Timestamp,
) -> Result<(NotifyRecord, Option<String>)> {
    let mut record = NotifyRecord {
        gateway: gateway.chars().filter(|c| !c.is_control()).take(GatewayName::MAX).collect(),
        out_trade_no: None,
        attempt_id: None,
        received_at: now,
        remote,
        // PostgreSQL text holds no NUL; keep it visible instead.
        raw: raw.chars().take(MAX_NOTIFY).collect::<String>().replace('\0', "\\0"),
        verified: false,
        verdict: String::new(),
    };
    let verdict = |record: &mut NotifyRecord, why: String| {
        record.verdict = why.chars().take(200).collect();
    };
    if raw.len() > MAX_NOTIFY {
        verdict(&mut record, "too large".into());
        return Ok((record, None));
    }
    let params = match youying_epay::notify::parse(raw) {
        Ok(p) => p,
        Err(e) => {
            verdict(&mut record, e.to_string());
            return Ok((record, None));
        }
    };
    record.out_trade_no = params.get("out_trade_no").map(|s| s.chars().take(64).filter(|c| !c.is_control()).collect());
    let Ok(name) = GatewayName::parse(gateway) else {
        verdict(&mut record, "unknown gateway".into());
        return Ok((record, None));
    };
    let out = record.out_trade_no.clone().unwrap_or_default();
    let (g, a) = app.store.read(move |tx| Ok((tx.gateway(&name)?, tx.payment_by_out_trade_no(&out)?))).await?;
    let (Some(g), Some(a)) = (g, a) else {
        verdict(&mut record, "unknown gateway or out_trade_no".into());
        return Ok((record, None));
    };
    record.attempt_id = Some(a.id);
    if a.gateway != g.name {
        verdict(&mut record, format!("out_trade_no belongs to gateway {}", a.gateway));
        return Ok((record, None));
    }
    let checked = OutTradeNo::parse(&a.out_trade_no).map_err(|e| e.to_string()).and_then(|out_trade_no| {
        let credentials = credentials(&app.vault, &g).map_err(|e| e.to_string())?;
        let expected = youying_epay::Expected { pid: &g.pid, out_trade_no: &out_trade_no, amount_fen: a.amount_fen };
        youying_epay::notify::check(&params, &credentials, &expected).map_err(|e| e.to_string())
    });
    match checked {
        Ok(notice) => {
            record.verified = true;
            verdict(&mut record, "accepted".into());
            Ok((record, Some(notice.trade_no)))
        }
        Err(why) => {
            verdict(&mut record, why);
            Ok((record, None))
        }
    }
}

/// `POST /api/v1/admin/topups/{id}/confirm`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ConfirmRequest {
    pub trade_no: String,
    pub reason: String,
}

pub async fn confirm<S: Store>(app: &App<S>, admin: User, id: i64, r: ConfirmRequest) -> Result<PaymentView> {
    let now = app.now();
    let a = app.store.write(move |tx| payments::confirm_by_hand(tx, now, &admin, id, &r.trade_no, &r.reason)).await?;
    Ok(view(&a, None))
}

/// Attempts for the platform's payments page, newest first.
pub async fn list<S: Store>(app: &App<S>, admin: &User, state: Option<AttemptState>) -> Result<Vec<PaymentView>> {
    authz::admin(admin)?;
    Ok(app.store.read(move |tx| tx.payments(state, 100)).await?.iter().map(|a| view(a, None)).collect())
}
