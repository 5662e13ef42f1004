//! The steady load, open loop (a slow answer never slows the offered rate):
//!
//! - exchanges: every `2 / rate` s a buyer asks (`q`) in the next conversation,
//!   and `reply_delay` later one of the shop's staff answers (`a`) — so
//!   `rate` messages/s in all, each deadline they start cancelled by the answer;
//! - takeovers: `takeover_rate` times a second a buyer set aside asks (`t`) and
//!   the shop stays silent, so at `chat_reply_secs` the deadline engine hands
//!   the conversation to the platform; when the buyer's socket sees that, a
//!   platform agent answers (`p`), which ends the platform's own deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cast::{Cast, Conv};
use crate::clients::Ledger;

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Target {
    /// `POST /api/v1/conversations/{id}/messages` with the sender's bearer token.
    Youying { base: String },
    /// The bare baseline's `POST /send`, with the event as Youying would push it.
    Bare { base: String },
}

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rate: f64,
    pub secs: f64,
    pub takeover_rate: f64,
    /// No new takeover conversations after this many seconds (so that they
    /// all fall due while the load still runs).
    pub takeover_secs: f64,
    pub reply_delay: Duration,
}

#[derive(Debug)]
pub struct Load {
    pub target: Target,
    pub cast: Arc<Cast>,
    pub ledger: Arc<Ledger>,
    pub http: reqwest::Client,
    /// Takeover conversations used so far (several phases share one cast).
    pub takeover_next: AtomicUsize,
    /// Per shop, which staff member answers next.
    rotation: Vec<AtomicUsize>,
    platform_next: AtomicUsize,
}

/// Who sends a message.
#[derive(Debug, Clone, Copy)]
enum From {
    Member(usize),
    Platform(usize),
}

impl Load {
    pub fn new(target: Target, cast: Arc<Cast>, ledger: Arc<Ledger>, http: reqwest::Client) -> Self {
        let rotation = cast.staff.iter().map(|_| AtomicUsize::new(0)).collect();
        Self {
            target,
            cast,
            ledger,
            http,
            takeover_next: AtomicUsize::new(0),
            rotation,
            platform_next: AtomicUsize::new(0),
        }
    }

    /// Runs the plan; returns when the last message has been sent.
    pub async fn run(self: &Arc<Self>, plan: Plan) {
        let t0 = Instant::now();
        let end = t0 + Duration::from_secs_f64(plan.secs);
        let takeovers = (plan.takeover_rate > 0.0).then(|| {
            let me = self.clone();
            tokio::spawn(async move { me.takeover_stream(t0, plan).await })
        });
        let period = Duration::from_secs_f64(2.0 / plan.rate.max(0.001));
        let mut tasks = Vec::new();
        for k in 0.. {
            let at = t0 + period * k;
            if at >= end {
                break;
            }
            tokio::time::sleep_until(at).await;
            let me = self.clone();
            tasks.push(tokio::spawn(async move { me.exchange(k as usize, at, plan.reply_delay).await }));
        }
        if let Some(t) = takeovers {
            let _ = t.await;
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    async fn exchange(&self, k: usize, at: Instant, delay: Duration) {
        let Some(conv) = self.cast.convs.get(k % self.cast.convs.len().max(1)).copied() else { return };
        self.say('q', &conv, From::Member(conv.buyer)).await;
        tokio::time::sleep_until(at + delay).await;
        let staff = &self.cast.staff[conv.shop];
        let who = staff[self.rotation[conv.shop].fetch_add(1, Ordering::Relaxed) % staff.len()];
        self.say('a', &conv, From::Member(who)).await;
    }

    async fn takeover_stream(self: Arc<Self>, t0: Instant, plan: Plan) {
        let period = Duration::from_secs_f64(1.0 / plan.takeover_rate);
        let end = t0 + Duration::from_secs_f64(plan.takeover_secs.min(plan.secs));
        let mut tasks = Vec::new();
        for k in 0.. {
            let at = t0 + period * k;
            if at >= end {
                break;
            }
            let i = self.takeover_next.fetch_add(1, Ordering::Relaxed);
            let Some(conv) = self.cast.takeover.get(i).copied() else { break };
            tokio::time::sleep_until(at).await;
            let me = self.clone();
            tasks.push(tokio::spawn(async move { me.say('t', &conv, From::Member(conv.buyer)).await }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Answers, as a platform agent, each conversation a buyer saw taken over.
    pub async fn platform_answers(self: Arc<Self>, mut taken: mpsc::UnboundedReceiver<i64>) {
        while let Some(id) = taken.recv().await {
            let conv = self.cast.takeover.iter().chain(&self.cast.convs).find(|c| c.id == id).copied();
            let Some(conv) = conv else { continue };
            let agents = self.cast.platform_tokens.len().max(1);
            let who = From::Platform(self.platform_next.fetch_add(1, Ordering::Relaxed) % agents);
            let me = self.clone();
            tokio::spawn(async move { me.say('p', &conv, who).await });
        }
    }

    /// Sends one message and records it in the ledger.
    async fn say(&self, tag: char, conv: &Conv, from: From) {
        let expected = match tag {
            'q' | 't' => self.cast.staff[conv.shop].len(),
            _ => 1,
        };
        let Some(seq) = self.ledger.begin(expected) else { return };
        let text = match tag {
            'q' => format!("q{seq} 充值还没到账，麻烦看一下？"),
            't' => format!("t{seq} 卡密显示已使用，怎么办？"),
            'a' => format!("a{seq} 您好，已为您查询，稍等片刻。"),
            _ => format!("p{seq} 平台客服为您处理，已联系商家。"),
        };
        let req = match &self.target {
            Target::Youying { base } => {
                let token = match from {
                    From::Member(m) => &self.cast.members[m].token,
                    From::Platform(p) => &self.cast.platform_tokens[p],
                };
                self.http
                    .post(format!("{base}/api/v1/conversations/{}/messages", conv.id))
                    .bearer_auth(token)
                    .json(&json!({ "text": text }))
            }
            Target::Bare { base } => {
                let sender = match from {
                    From::Member(m) => self.cast.members[m].user_id,
                    From::Platform(_) => 0,
                };
                let event = bare_event(&self.cast, conv, sender, seq, tag, &text);
                self.http.post(format!("{base}/send")).json(&json!({ "to": self.cast.audience(conv), "event": event }))
            }
        };
        match req.send().await {
            Ok(r) if r.status().as_u16() == 201 => {
                self.ledger.posted(seq, true, None);
                if tag == 't'
                    && let Ok(m) = r.json::<serde_json::Value>().await
                    && let Some(at) = m["created_at"].as_i64()
                {
                    self.ledger.awaiting(conv.id, at);
                }
            }
            Ok(r) => self.ledger.posted(seq, false, Some(format!("HTTP {}", r.status().as_u16()))),
            Err(e) => self.ledger.posted(seq, false, Some(format!("{e}"))),
        }
    }
}

/// The event Youying's hub would push for this message, same fields and size.
fn bare_event(cast: &Cast, conv: &Conv, sender: i64, seq: u32, tag: char, text: &str) -> String {
    let now = crate::wall_ms();
    let side = if matches!(tag, 'q' | 't') { "buyer" } else { "shop" };
    json!({
        "type": "message",
        "conversation": {
            "id": conv.id, "buyer_id": cast.members[conv.buyer].user_id, "shop_id": conv.shop,
            "shop_name": format!("压测点卡店 {:03}", conv.shop), "buyer_name": format!("wsb_buyer_{}", conv.buyer),
            "order_id": null, "product_id": null, "owner": "shop", "assignee_id": null,
            "awaiting_since": now, "reply_due": now + 120_000, "taken_over_at": null, "last_message_id": seq,
        },
        "message": {
            "id": seq, "conversation_id": conv.id, "sender_id": sender, "side": side,
            "kind": "text", "body": text, "created_at": now,
        },
    })
    .to_string()
}
