//! The notify (异步通知): its signed parameters, its delivery to `notify_url`
//! (GET, 5 s timeout, delivered when the body contains `success`) and the
//! retries that follow an unacknowledged one.

use youying_epay::Params;
use youying_epay::money::fen_to_yuan;

use super::{Delivery, FakeEpay, FakeOrder, NOTIFY_TIMEOUT, panel_time};

/// Bodies are kept this long in the delivery record.
const BODY_KEPT: usize = 200;

impl FakeEpay {
    /// The normal signed notify query string for an order (as paid now, if it
    /// is not yet), or `None` for an unknown order.
    pub fn notify_query(&self, out_trade_no: &str) -> Option<String> {
        self.signed_notify(out_trade_no, &[], &[])
    }

    /// The notify with `overrides` applied (a field replaced, or added when
    /// absent) and `drop`ped fields removed, then signed correctly: a
    /// "correctly signed but wrong amount / pid / status" notify.
    pub fn signed_notify(&self, out_trade_no: &str, overrides: &[(&str, &str)], drop: &[&str]) -> Option<String> {
        let fields = self.notify_fields(&self.order(out_trade_no)?, overrides, drop);
        self.sign(fields).map(|p| p.to_query())
    }

    /// Like [`FakeEpay::signed_notify`], but the `sign` does not verify: it is
    /// well formed, made over other content than what is sent.
    pub fn forged_notify(&self, out_trade_no: &str, overrides: &[(&str, &str)], drop: &[&str]) -> Option<String> {
        let fields = self.notify_fields(&self.order(out_trade_no)?, overrides, drop);
        let mut other = fields.clone();
        other.push(("forged".to_owned(), "1".to_owned()));
        let wrong = self.sign(other)?;
        let mut params = Params::from_pairs(fields).ok()?;
        params.push("sign", wrong.get("sign")?).ok()?;
        params.push("sign_type", self.inner.creds.sign_type()).ok()?;
        Some(params.to_query())
    }

    /// The notify's fields in the panel's order, unsigned.
    fn notify_fields(&self, order: &FakeOrder, overrides: &[(&str, &str)], drop: &[&str]) -> Vec<(String, String)> {
        let (now, money) = {
            let state = self.state();
            (state.clock.now(), state.notify_money.unwrap_or(order.amount_fen))
        };
        let paid = order.paid.unwrap_or(now);
        let mut fields: Vec<(&str, String)> = vec![
            ("pid", order.pid.clone()),
            ("trade_no", order.trade_no.clone()),
            ("out_trade_no", order.out_trade_no.clone()),
        ];
        if self.is_v2() {
            fields.push(("api_trade_no", order.api_trade_no.clone()));
        }
        fields.extend([
            ("type", order.channel.clone()),
            ("name", order.name.clone()),
            ("money", fen_to_yuan(money)),
            ("trade_status", "TRADE_SUCCESS".to_owned()),
        ]);
        if let Some(param) = &order.param {
            fields.push(("param", param.clone()));
        }
        if self.is_v2() {
            fields.extend([
                ("addtime", panel_time(order.created)),
                ("endtime", panel_time(paid)),
                ("buyer", "buyer***@fakepay.test".to_owned()),
                ("timestamp", now.secs().to_string()),
            ]);
        }
        let mut fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        for (key, value) in overrides {
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*key).to_owned(), (*value).to_owned())),
            }
        }
        fields.retain(|(k, _)| !drop.contains(&k.as_str()));
        fields
    }

    /// The fields with `sign` and `sign_type` appended, signed as the gateway.
    pub(super) fn sign(&self, fields: Vec<(String, String)>) -> Option<Params> {
        let mut params = Params::from_pairs(fields).ok()?;
        let sign = self.inner.creds.sign(&params).ok()?;
        params.push("sign", sign).ok()?;
        params.push("sign_type", self.inner.creds.sign_type()).ok()?;
        Some(params)
    }

    /// Delivers the notify now (the set number of copies, concurrently) and,
    /// if none is acknowledged, schedules the retries.
    pub(super) async fn notify_now(&self, out_trade_no: &str) -> Vec<Delivery> {
        let copies = self.state().notify_copies;
        let mut tasks = Vec::with_capacity(copies);
        for _ in 0..copies {
            let fake = self.clone();
            let no = out_trade_no.to_owned();
            tasks.push(tokio::spawn(async move { fake.deliver(&no, 1).await }));
        }
        let mut deliveries = Vec::with_capacity(copies);
        for task in tasks {
            if let Ok(Some(delivery)) = task.await {
                deliveries.push(delivery);
            }
        }
        if !deliveries.iter().any(|d| d.delivered) {
            self.schedule_retries(out_trade_no);
        }
        deliveries
    }

    /// Retries on the set schedule (tokio time) until one is acknowledged.
    fn schedule_retries(&self, out_trade_no: &str) {
        let delays = self.state().retry_delays.clone();
        if delays.is_empty() {
            return;
        }
        let fake = self.clone();
        let no = out_trade_no.to_owned();
        tokio::spawn(async move {
            for (attempt, delay) in (2u32..).zip(delays) {
                tokio::time::sleep(delay).await;
                if fake.order(&no).is_none_or(|o| o.notified) {
                    return;
                }
                if fake.deliver(&no, attempt).await.is_none_or(|d| d.delivered) {
                    return;
                }
            }
        });
    }

    /// One GET of `notify_url?…`, recorded; `None` for an unknown order.
    async fn deliver(&self, out_trade_no: &str, attempt: u32) -> Option<Delivery> {
        let order = self.order(out_trade_no)?;
        let query = self.notify_query(out_trade_no)?;
        let url = join_query(&order.notify_url, &query);
        let (status, body, error) = match self.inner.http.get(&url).timeout(NOTIFY_TIMEOUT).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.text().await {
                    Ok(body) => (Some(status), body, None),
                    Err(e) => (Some(status), String::new(), Some(e.to_string())),
                }
            }
            Err(e) => (None, String::new(), Some(e.to_string())),
        };
        let delivered = body.contains("success");
        let delivery = Delivery {
            out_trade_no: out_trade_no.to_owned(),
            attempt,
            status,
            body: body.chars().take(BODY_KEPT).collect(),
            error,
            delivered,
        };
        let mut state = self.state();
        if delivered && let Some(o) = state.orders.iter_mut().find(|o| o.out_trade_no == out_trade_no) {
            o.notified = true;
        }
        state.deliveries.push(delivery.clone());
        Some(delivery)
    }
}

/// `url` with `query` appended after `?`, or `&` when it has a query already.
pub(super) fn join_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}
