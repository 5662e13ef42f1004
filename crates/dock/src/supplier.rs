//! The generic HTTP JSON protocol for direct-top-up suppliers (直充货源) that
//! are not Youying sites. Most supplier APIs in the trade have this shape —
//! place an order under the caller's own number, query it, receive a
//! callback — and differ in names; this is the one Youying speaks natively,
//! and an adapter for another supplier maps its names onto these.
//!
//! Every message is a flat JSON object of strings and integers with an
//! `app_id`, a `timestamp` (unix seconds) and a `sign`:
//! `hex(HMAC-SHA256(secret, k1=v1&k2=v2&…))` over every other field, keys
//! byte-sorted, empty values left out, values as their JSON text without
//! quotes. The same rule signs requests and callbacks.
//!
//! - `POST {base}/order/create` `{app_id, timestamp, out_order_no, sku,
//!   quantity, account, notify_url}` and `POST {base}/order/query`
//!   `{app_id, timestamp, out_order_no}` answer
//!   `{code: 0, message, data: {order_no, out_order_no, status, proof}}`,
//!   or `{code: <non-zero>, message}`: a refusal, nothing charged — except
//!   `code` 404 (on a query: "no such order") and 5xx (the supplier's own
//!   trouble, so unknown). `create` is idempotent on `out_order_no`.
//! - `status`: `success`, `failed`, `refunded`, or anything else (`processing`,
//!   `pending`, …), which is **unknown**: polled again, never taken as failed.
//! - The callback to `notify_url` carries `{app_id, timestamp, out_order_no,
//!   order_no, status, proof}` and is answered with the text `success`.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::sign::MAX_SKEW_SECS;

/// A supplier account: its app id and secret. The secret never prints.
#[derive(Clone)]
pub struct Supplier {
    pub app_id: String,
    secret: String,
}

impl std::fmt::Debug for Supplier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supplier").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

/// What a supplier says about one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; `proof` is the supplier's voucher (its order number, a receipt).
    Success {
        order_no: String,
        proof: String,
    },
    Failed {
        reason: String,
    },
    Refunded {
        reason: String,
    },
    /// Accepted and still working, or an answer that does not say: ask again.
    Unknown,
    /// A query for a number the supplier never took.
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplierError {
    #[error("not a JSON object")]
    NotObject,
    #[error("the field {0} is missing")]
    Missing(&'static str),
    #[error("the app id is not ours")]
    WrongApp,
    #[error("the timestamp is more than 60 s away")]
    Stale,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the supplier refused: {code} {message}")]
    Refused { code: i64, message: String },
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The text the signature covers.
pub fn string_to_sign(fields: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&str, String> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "sign")
        .filter_map(|(k, v)| text_of(v).filter(|t| !t.is_empty()).map(|t| (k.as_str(), t)))
        .collect();
    sorted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

impl Supplier {
    pub fn new(app_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self { app_id: app_id.into(), secret: secret.into() }
    }

    fn sign_text(&self, text: &str) -> String {
        let mut m =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.as_bytes()).unwrap_or_else(|_| unreachable!());
        m.update(text.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Adds `app_id`, `timestamp` and `sign` to `fields`.
    pub fn seal(&self, mut fields: Map<String, Value>, now_secs: i64) -> Value {
        fields.insert("app_id".into(), Value::String(self.app_id.clone()));
        fields.insert("timestamp".into(), Value::from(now_secs));
        fields.remove("sign");
        let sign = self.sign_text(&string_to_sign(&fields));
        fields.insert("sign".into(), Value::String(sign));
        Value::Object(fields)
    }

    /// The body of `POST {base}/order/create`.
    pub fn create(
        &self,
        out_order_no: &str,
        sku: &str,
        quantity: i64,
        account: &str,
        notify_url: &str,
        now_secs: i64,
    ) -> Value {
        let mut f = Map::new();
        f.insert("out_order_no".into(), out_order_no.into());
        f.insert("sku".into(), sku.into());
        f.insert("quantity".into(), quantity.into());
        f.insert("account".into(), account.into());
        f.insert("notify_url".into(), notify_url.into());
        self.seal(f, now_secs)
    }

    /// The body of `POST {base}/order/query`.
    pub fn query(&self, out_order_no: &str, now_secs: i64) -> Value {
        let mut f = Map::new();
        f.insert("out_order_no".into(), out_order_no.into());
        self.seal(f, now_secs)
    }

    /// Checks a signed message (a callback to us, or a request to a fake
    /// supplier): our app id, fresh, signed with our secret.
    pub fn verify(&self, body: &Value, now_secs: i64) -> Result<(), SupplierError> {
        let fields = body.as_object().ok_or(SupplierError::NotObject)?;
        let app = fields.get("app_id").and_then(text_of).ok_or(SupplierError::Missing("app_id"))?;
        if app != self.app_id {
            return Err(SupplierError::WrongApp);
        }
        let ts = fields.get("timestamp").and_then(text_of).and_then(|t| t.parse::<i64>().ok());
        let ts = ts.ok_or(SupplierError::Missing("timestamp"))?;
        if ts.saturating_sub(now_secs).abs() > MAX_SKEW_SECS {
            return Err(SupplierError::Stale);
        }
        let got = fields.get("sign").and_then(Value::as_str).ok_or(SupplierError::Missing("sign"))?;
        let want = self.sign_text(&string_to_sign(fields));
        if bool::from(want.as_bytes().ct_eq(got.trim().to_ascii_lowercase().as_bytes())) {
            Ok(())
        } else {
            Err(SupplierError::BadSignature)
        }
    }

    /// Reads a create or query answer. Anything unreadable is `Unknown`:
    /// an answer we cannot read is not a refusal.
    pub fn answer(body: &Value) -> Result<Outcome, SupplierError> {
        let code = body.get("code").and_then(Value::as_i64);
        match code {
            Some(0) => Ok(outcome(body.get("data").unwrap_or(&Value::Null))),
            Some(404) => Ok(Outcome::NotFound),
            // 5xx is the supplier's own trouble: the order may have been taken.
            Some(code) if !(500..600).contains(&code) => {
                Err(SupplierError::Refused { code, message: body.get("message").and_then(text_of).unwrap_or_default() })
            }
            _ => Ok(Outcome::Unknown),
        }
    }

    /// Reads a verified callback.
    pub fn callback(&self, body: &Value, now_secs: i64) -> Result<(String, Outcome), SupplierError> {
        self.verify(body, now_secs)?;
        let no = body.get("out_order_no").and_then(text_of).ok_or(SupplierError::Missing("out_order_no"))?;
        Ok((no, outcome(body)))
    }
}

fn outcome(data: &Value) -> Outcome {
    let field = |k: &str| data.get(k).and_then(text_of).unwrap_or_default();
    match field("status").as_str() {
        "success" => Outcome::Success { order_no: field("order_no"), proof: field("proof") },
        "failed" => Outcome::Failed { reason: field("message") },
        "refunded" => Outcome::Refunded { reason: field("message") },
        _ => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sup() -> Supplier {
        Supplier::new("app1", "k3y")
    }

    #[test]
    fn the_string_to_sign_sorts_and_skips_empty_values_and_the_sign() {
        let f = json!({ "sku": "QB100", "quantity": 2, "account": "", "sign": "x", "app_id": "app1", "memo": null });
        assert_eq!(string_to_sign(f.as_object().unwrap_or(&Map::new())), "app_id=app1&quantity=2&sku=QB100");
    }

    #[test]
    fn a_sealed_request_verifies_and_any_change_does_not() {
        let body = sup().create("T1", "QB100", 1, "12345", "https://a.example/cb", 1000);
        assert_eq!(sup().verify(&body, 1010), Ok(()));
        let mut changed = body.clone();
        changed["account"] = json!("99999");
        assert_eq!(sup().verify(&changed, 1010), Err(SupplierError::BadSignature));
        assert_eq!(sup().verify(&body, 1061), Err(SupplierError::Stale));
        assert_eq!(Supplier::new("app2", "k3y").verify(&body, 1000), Err(SupplierError::WrongApp));
        assert_eq!(Supplier::new("app1", "other").verify(&body, 1000), Err(SupplierError::BadSignature));
        assert_eq!(sup().verify(&json!([1]), 1000), Err(SupplierError::NotObject));
        assert!(!format!("{:?}", sup()).contains("k3y"));
    }

    #[test]
    fn answers_map_to_outcomes_and_unknown_is_never_failure() {
        let ok = json!({ "code": 0, "data": { "status": "success", "order_no": "S9", "proof": "流水 123" } });
        assert_eq!(Supplier::answer(&ok), Ok(Outcome::Success { order_no: "S9".into(), proof: "流水 123".into() }));
        let failed = json!({ "code": 0, "data": { "status": "failed", "message": "账号不存在" } });
        assert_eq!(Supplier::answer(&failed), Ok(Outcome::Failed { reason: "账号不存在".into() }));
        for unknown in [
            json!({ "code": 0, "data": { "status": "processing" } }),
            json!({ "code": 0 }),
            json!({ "code": 500, "message": "busy" }),
            json!("<html>502</html>"),
            json!({}),
        ] {
            assert_eq!(Supplier::answer(&unknown), Ok(Outcome::Unknown), "{unknown}");
        }
        assert_eq!(Supplier::answer(&json!({ "code": 404 })), Ok(Outcome::NotFound));
        assert_eq!(
            Supplier::answer(&json!({ "code": 1001, "message": "余额不足" })).ok(),
            None,
            "a non-zero code outside 5xx is a refusal"
        );
    }

    #[test]
    fn callbacks_are_verified_before_they_are_read() {
        let mut f = Map::new();
        f.insert("out_order_no".into(), "T1".into());
        f.insert("order_no".into(), "S9".into());
        f.insert("status".into(), "success".into());
        f.insert("proof".into(), "ok".into());
        let body = sup().seal(f, 2000);
        assert_eq!(
            sup().callback(&body, 2000),
            Ok(("T1".into(), Outcome::Success { order_no: "S9".into(), proof: "ok".into() }))
        );
        let mut forged = body.clone();
        forged["status"] = json!("refunded");
        assert_eq!(sup().callback(&forged, 2000), Err(SupplierError::BadSignature));
    }
}
