//! Paying in through a gateway, for tests: configure a [`crate::fakepay`]
//! gateway in the app, start a top-up, open its cashier, and step the payment
//! queries as the loop would.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_server::paycheck::CheckSummary;

use crate::fakepay::FakeGateway;
use crate::{TestApp, TestUser};

impl<S: Store> TestApp<S> {
    /// Configures `gw` in the app under `name`, offering 支付宝 and 微信.
    pub async fn use_gateway(&self, admin: &TestUser, name: &str, gw: &FakeGateway) {
        let body = match (&gw.key, &gw.merchant_private_pem, &gw.platform_public_pem) {
            (Some(key), _, _) => json!({"kind": "epay_v1", "key": key}),
            (None, Some(private), Some(public)) => json!({"kind": "epay_v2",
                "merchant_private_key_pem": private, "platform_public_key_pem": public}),
            _ => panic!("a fake gateway without credentials"),
        };
        let mut body = body;
        body["base_url"] = json!(gw.base_url());
        body["pid"] = json!(gw.pid);
        body["channels"] = json!(["alipay", "wxpay"]);
        body["enabled"] = json!(true);
        let (s, b) = self.put(&format!("/api/v1/admin/gateways/{name}"), Some(&admin.token), body).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    /// Starts a top-up of `fen` through 支付宝 and opens its cashier, as the
    /// buyer's browser would; returns the attempt.
    pub async fn start_top_up(&self, user: &TestUser, fen: i64) -> Value {
        let (s, p) = self
            .post("/api/v1/wallet/topups", Some(&user.token), json!({"amount_fen": fen, "channel": "alipay"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let cashier = self.client.get(p["pay_url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(cashier.status(), StatusCode::OK, "the fake cashier takes the pay URL");
        p
    }

    /// The attempt as its payer reads it.
    pub async fn top_up(&self, user: &TestUser, p: &Value) -> Value {
        let (s, body) = self.get(&format!("/api/v1/wallet/topups/{}", p["id"]), Some(&user.token)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body
    }

    /// Sends a notify's query string to the app, as the gateway would; returns its answer.
    pub async fn send_notify(&self, gateway: &str, query: &str) -> String {
        let url = self.url(&format!("/pay/notify/{gateway}?{query}"));
        self.client.get(url).send().await.unwrap().text().await.unwrap()
    }

    /// One pass of the payment loop: reconcile, then ask what is due.
    pub async fn pay_step(&self) -> CheckSummary {
        youying_server::paycheck::reconcile(&self.app).await.unwrap();
        youying_server::paycheck::run_checks(&self.app).await.unwrap()
    }
}
