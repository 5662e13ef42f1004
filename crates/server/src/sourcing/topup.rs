//! A direct-top-up supplier (直充货源) behind the order flow's [`Supplier`]
//! trait: [`TopupClient`] wraps the HTTP JSON adapter with one step's SKU,
//! account and notify URL, and says the supplier's outcomes in [`Answer`]s:
//!
//! | supplier says                 | to a create          | to a query            |
//! |-------------------------------|----------------------|-----------------------|
//! | `success` + proof             | Fulfilled (proof)    | Fulfilled (proof)     |
//! | still working (`processing`…) | Accepted (polled)    | Accepted (polled)     |
//! | `failed`                      | Refused (refunded)   | Refused (refunded)    |
//! | `refunded`                    | Refunded             | Refunded              |
//! | `code` 404                    | Refused              | NotFound (placed again while placing) |
//! | another non-zero `code`       | Refused              | Unknown (asked again) |
//! | nothing heard (network, 5xx)  | Unknown (retried)    | Unknown (retried)     |
//!
//! "Still working" is never a failure, and neither is silence.

use youying_core::error::Result;
use youying_core::ports::Store;
use youying_core::sourcing::{Connection, UpstreamOrder};
use youying_dock::supplier::Outcome;
use youying_dock::wire::PlaceOrder;

use super::client::{Answer, Supplier};
use crate::state::App;
use crate::supplier::{Heard, HttpJsonSupplier, Topup};

/// One bound order's supplier call: the adapter, the egress client and the
/// step's SKU, account and notify URL, signing at the app's time.
#[derive(Debug, Clone)]
pub struct TopupClient {
    adapter: HttpJsonSupplier,
    http: reqwest::Client,
    now_secs: i64,
    sku: String,
    account: String,
    notify_url: String,
}

/// Where a supplier calls back about this connection's orders, when the
/// platform knows its public address (empty: polling only).
pub fn notify_url<S: Store>(app: &App<S>, c: &Connection) -> String {
    app.config
        .public_url
        .as_deref()
        .map(|base| format!("{}/dock/supplier/{}", base.trim_end_matches('/'), c.id.0))
        .unwrap_or_default()
}

/// The client for one step of a supplier connection (secret unsealed here, never logged).
pub fn client_for<S: Store>(app: &App<S>, c: &Connection, step: &UpstreamOrder, allow: bool) -> Result<TopupClient> {
    let secret = app.vault.open_secret(&c.secret)?;
    Ok(TopupClient {
        adapter: HttpJsonSupplier::new(&c.base_url, &c.key_id, &secret),
        http: app.egress.client(allow).clone(),
        now_secs: app.now().secs(),
        sku: step.sku.clone().unwrap_or_default(),
        account: step.account.clone().unwrap_or_default(),
        notify_url: notify_url(app, c),
    })
}

/// Text from a supplier, fit to store and show: no control characters (a NUL
/// cannot be stored), at most 300 characters.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// A supplier's outcome in the flow's words; `order_no` is the supplier's number when known.
pub fn answer_of(outcome: Outcome, order_no: &str) -> Answer {
    match outcome {
        Outcome::Success { order_no: no, proof } => {
            let no = if no.is_empty() { order_no } else { no.as_str() };
            Answer::Fulfilled { upstream_order_no: clean(no), note: clean(&proof) }
        }
        Outcome::Unknown => Answer::Accepted { upstream_order_no: clean(order_no) },
        Outcome::Failed { reason } => Answer::Refused {
            code: "supplier_failed".into(),
            message: clean(if reason.is_empty() { "供货商充值失败" } else { &reason }),
            current_unit_price_fen: None,
        },
        Outcome::Refunded { .. } => Answer::Refunded { upstream_order_no: clean(order_no) },
        Outcome::NotFound => Answer::NotFound,
    }
}

fn refused(code: i64, message: &str) -> Answer {
    Answer::Refused {
        code: "supplier_refused".into(),
        message: clean(&format!("{code} {message}")),
        current_unit_price_fen: None,
    }
}

impl Supplier for TopupClient {
    async fn place(&self, req: &PlaceOrder) -> Answer {
        let t = Topup {
            out_order_no: &req.downstream_order_no,
            sku: &self.sku,
            quantity: req.quantity,
            account: &self.account,
            notify_url: &self.notify_url,
        };
        match self.adapter.try_place(&self.http, &t, self.now_secs).await {
            Err(e) => Answer::Unknown(e),
            Ok(Heard { answer: Err(r), .. }) => refused(r.code, &r.message),
            // A create answered "no such order": a refusal in this protocol's words (unknown SKU…).
            Ok(Heard { answer: Ok(Outcome::NotFound), .. }) => refused(404, "not found"),
            Ok(Heard { answer: Ok(o), order_no }) => answer_of(o, &order_no),
        }
    }

    async fn query(&self, downstream_order_no: &str) -> Answer {
        match self.adapter.try_query(&self.http, downstream_order_no, self.now_secs).await {
            Err(e) => Answer::Unknown(e),
            // A refused query is not a refused order: asked again.
            Ok(Heard { answer: Err(r), .. }) => {
                Answer::Unknown(clean(&format!("query refused: {} {}", r.code, r.message)))
            }
            Ok(Heard { answer: Ok(o), order_no }) => answer_of(o, &order_no),
        }
    }
}
