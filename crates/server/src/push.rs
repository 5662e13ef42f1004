//! The push sender: a step function and a thin loop, like the outbound
//! sender. [`run_due`] claims due deliveries (SKIP LOCKED + a lease, so
//! instances share the work and a crashed one's rows come back), reads the
//! channel as it stands now (switched off meanwhile: skipped), opens its
//! secret, and calls the channel's service with no transaction open:
//!
//! - webhook: `POST {url}` JSON `{event, at, subject, text, url}`, header
//!   `X-Youying-Signature: hex(HMAC-SHA256(secret, body))`; success is a 2xx;
//! - Telegram: `POST {base}/bot{token}/sendMessage` JSON `{chat_id, text}`; a 2xx with `ok: true`;
//! - 企业微信: `POST {base}/cgi-bin/webhook/send?key={key}` JSON `{msgtype: text, text: {content}}`; `errcode == 0`;
//! - Server酱: `POST {base}/{sendkey}.send` form `title, desp`; `code == 0`.
//!
//! Failures are tried again after the backoff of `core::outbound` until 24 h.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::watch;
use youying_core::Timestamp;
use youying_core::error::Result;
use youying_core::outbound;
use youying_core::ports::Store;
use youying_core::push::{self, Channel, ChannelKind, Delivery, Notice};
use youying_core::rules::{self, Rule};

use crate::state::App;
use crate::worker;

const BATCH: usize = 20;
/// A claimed row is hidden from other senders this long: far above the
/// client's 15 s timeout times a batch.
pub const LEASE_SECS: i64 = 600;
const IDLE: Duration = Duration::from_secs(30);

/// What one [`run_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PushOutcome {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// What one attempt came to.
enum Attempt {
    Sent(i64),
    Skip(&'static str),
    Fail(Option<i64>, String),
}

/// The webhook's signature header value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The webhook body: what every channel says, as JSON.
pub fn webhook_body(n: &Notice, site: &str) -> Value {
    json!({
        "event": n.event.as_str(),
        "at": n.created_at.millis(),
        "subject": n.subject,
        "text": n.text,
        "url": format!("{site}{}", n.url),
    })
}

fn title(n: &Notice) -> String {
    format!("【有应】{}", n.event.label())
}

async fn load<S: Store>(app: &App<S>, d: &Delivery) -> Result<Option<(Notice, Channel)>> {
    let (id, user, kind) = (d.notice_id, d.user_id, d.kind);
    app.store
        .read(move |tx| {
            let Some(n) = tx.notice(id)? else { return Ok(None) };
            let Some(c) = tx.push_channel(user, kind)? else { return Ok(None) };
            if !c.wants(n.event) || !push::still_news(tx, &n)? {
                return Ok(None);
            }
            Ok(Some((n, c)))
        })
        .await
}

async fn attempt<S: Store>(app: &App<S>, d: &Delivery, allow_private: bool) -> Attempt {
    let (n, c) = match load(app, d).await {
        Ok(Some(found)) => found,
        Ok(None) => return Attempt::Skip("channel off or notice moot"),
        Err(e) => return Attempt::Fail(None, format!("load: {e}")),
    };
    let Some(secret) = c.secret.as_ref().and_then(|s| app.vault.open_secret(s).ok()) else {
        return Attempt::Skip("no secret");
    };
    let site = app.config.public_url.as_deref().unwrap_or("").trim_end_matches('/').to_owned();
    let text = format!("{}\n{}\n{site}{}", title(&n), n.text, n.url);
    let apis = &app.push_apis;
    let req = match c.kind {
        ChannelKind::Webhook => {
            let Some(url) = c.target.as_deref() else { return Attempt::Skip("no url") };
            let body = webhook_body(&n, &site).to_string();
            app.egress
                .client(allow_private)
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Youying-Signature", signature(&secret, body.as_bytes()))
                .body(body)
        }
        ChannelKind::Telegram => {
            let Some(chat) = c.target.as_deref() else { return Attempt::Skip("no chat id") };
            app.http
                .post(format!("{}/bot{secret}/sendMessage", apis.telegram))
                .json(&json!({ "chat_id": chat, "text": text }))
        }
        ChannelKind::Wecom => app
            .http
            // The key is letters, digits, `-` and `_` (checked when set): nothing to escape.
            .post(format!("{}/cgi-bin/webhook/send?key={secret}", apis.wecom))
            .json(&json!({ "msgtype": "text", "text": { "content": text } })),
        ChannelKind::ServerChan => app
            .http
            .post(format!("{}/{secret}.send", apis.serverchan))
            .form(&[("title", title(&n)), ("desp", format!("{}\n\n{site}{}", n.text, n.url))]),
        ChannelKind::Email => return Attempt::Skip("mailed by the mailer"),
    };
    let resp = match req.send().await {
        Ok(r) => r,
        // Without the URL: a Telegram token sits in it.
        Err(e) => return Attempt::Fail(None, format!("unreachable: {}", e.without_url())),
    };
    let status = i64::from(resp.status().as_u16());
    if !resp.status().is_success() {
        return Attempt::Fail(Some(status), format!("HTTP {status}"));
    }
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let ok = match c.kind {
        ChannelKind::Telegram => body["ok"] == json!(true),
        ChannelKind::Wecom => body["errcode"] == json!(0),
        ChannelKind::ServerChan => body["code"] == json!(0),
        _ => true,
    };
    if ok { Attempt::Sent(status) } else { Attempt::Fail(Some(status), format!("refused: {body}")) }
}

/// Sends every delivery that is due at `now`; tests call this after moving the clock.
pub async fn run_due<S: Store>(app: &App<S>, now: Timestamp) -> Result<PushOutcome> {
    let mut out = PushOutcome::default();
    let allow_private = app.store.read(|tx| Ok(rules::in_force(tx)?.get(Rule::AllowPrivateAddresses) == 1)).await?;
    loop {
        let claimed = app.store.write(move |tx| tx.claim_push(now, now.plus_secs(LEASE_SECS), BATCH)).await?;
        let count = claimed.len();
        for d in claimed {
            let id = d.id;
            match attempt(app, &d, allow_private).await {
                Attempt::Sent(status) => {
                    let at = app.now();
                    app.store.write(move |tx| tx.push_sent(id, at, status)).await?;
                    out.sent += 1;
                }
                Attempt::Skip(why) => {
                    app.store.write(move |tx| tx.push_skipped(id, why)).await?;
                    out.skipped += 1;
                }
                Attempt::Fail(status, error) => {
                    let retry = outbound::retry_at(d.created_at, d.attempts, now);
                    if retry.is_some() {
                        out.retried += 1;
                    } else {
                        out.failed += 1;
                    }
                    tracing::warn!(id, kind = d.kind.as_str(), error = %error, "push not delivered");
                    app.store.write(move |tx| tx.push_failed(id, retry, status, &error)).await?;
                }
            }
        }
        if count < BATCH {
            return Ok(out);
        }
    }
}

/// The loop until `shutdown` ([`crate::worker`]): the due deliveries, woken
/// early when a commit queues one.
pub async fn run<S: Store>(app: App<S>, shutdown: watch::Receiver<bool>) {
    let queue = worker::Queue { name: "push", bell: Some(&app.wake.push), idle: IDLE };
    let a = &app;
    let step = move || async move { run_due(a, a.now()).await.map(drop) };
    worker::run(a, queue, step, move || a.store.read(|tx| tx.next_push_due()), shutdown).await;
}
