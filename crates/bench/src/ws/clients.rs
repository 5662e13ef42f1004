//! The websocket clients and the ledger they report into. Every message the
//! load sends carries its sequence number in its text (`q17 …`); the ledger
//! knows when its send started and how many clients must receive it, so each
//! delivery's latency is `receive − send start` on one monotonic clock in one
//! process, and a missing delivery is counted, not guessed.

use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::BoxResult;
use crate::cast::Side;

/// A takeover as the buyer's socket saw it (wall-clock ms, the server's clock
/// is the same machine's).
#[derive(Debug, Clone, Copy)]
pub struct Takeover {
    pub conv: i64,
    /// The system message's `created_at`: when the deadline fired.
    pub fired_ms: i64,
    pub received_ms: i64,
}

#[derive(Debug)]
pub struct Ledger {
    start: Instant,
    /// Send start per sequence number, ns since `start` (+1; 0: unused).
    sent_ns: Vec<AtomicU64>,
    expected: Vec<AtomicU8>,
    got: Vec<AtomicU8>,
    /// 0 in flight, 1 accepted (201), 2 refused or failed.
    posted: Vec<AtomicU8>,
    next: AtomicUsize,
    /// (sequence number, latency µs) of each delivery to the other party.
    pub deliveries: Mutex<Vec<(u32, u32)>>,
    /// (sequence number, µs) of each HTTP post.
    pub posts: Mutex<Vec<(u32, u32)>>,
    pub failures: Mutex<Vec<String>>,
    pub lagged: AtomicU64,
    pub takeovers: Mutex<Vec<Takeover>>,
    /// Per conversation left unanswered on purpose: when its deadline fell
    /// due (`created_at` of the buyer's message, as the server answered it,
    /// plus `chat_reply_secs`). The conversation a takeover event carries is
    /// loaded when the hub gets to it, so it may already show a later state.
    pub dues: Mutex<std::collections::HashMap<i64, i64>>,
    reply_ms: i64,
}

impl Ledger {
    pub fn new(capacity: usize, reply_secs: i64) -> Self {
        let v8 = || (0..capacity).map(|_| AtomicU8::new(0)).collect();
        Self {
            start: Instant::now(),
            sent_ns: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            expected: v8(),
            got: v8(),
            posted: v8(),
            next: AtomicUsize::new(0),
            deliveries: Mutex::default(),
            posts: Mutex::default(),
            failures: Mutex::default(),
            lagged: AtomicU64::new(0),
            takeovers: Mutex::default(),
            dues: Mutex::default(),
            reply_ms: reply_secs * 1000,
        }
    }

    fn ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// A new message about to be sent to `expected` receivers; `None` when full.
    pub fn begin(&self, expected: usize) -> Option<u32> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = self.sent_ns.get(seq)?;
        self.expected[seq].store(u8::try_from(expected).unwrap_or(u8::MAX), Ordering::Relaxed);
        slot.store(self.ns() + 1, Ordering::Release);
        u32::try_from(seq).ok()
    }

    pub fn posted(&self, seq: u32, ok: bool, failure: Option<String>) {
        let i = seq as usize;
        self.posted[i].store(if ok { 1 } else { 2 }, Ordering::Release);
        let us = (self.ns() + 1).saturating_sub(self.sent_ns[i].load(Ordering::Acquire)) / 1000;
        if let Ok(mut p) = self.posts.lock() {
            p.push((seq, u32::try_from(us).unwrap_or(u32::MAX)));
        }
        if let Some(f) = failure
            && let Ok(mut fs) = self.failures.lock()
        {
            fs.push(f);
        }
    }

    fn delivered(&self, seq: usize) {
        let Some(sent) = self.sent_ns.get(seq).map(|s| s.load(Ordering::Acquire)) else { return };
        if sent == 0 {
            return;
        }
        let us = (self.ns() + 1).saturating_sub(sent) / 1000;
        self.got[seq].fetch_add(1, Ordering::Relaxed);
        if let Ok(mut d) = self.deliveries.lock() {
            d.push((u32::try_from(seq).unwrap_or(u32::MAX), u32::try_from(us).unwrap_or(u32::MAX)));
        }
    }

    /// Sequence numbers handed out so far.
    pub fn issued(&self) -> usize {
        self.next.load(Ordering::Relaxed).min(self.sent_ns.len())
    }

    /// Over `range`: (accepted, refused, deliveries missing, deliveries duplicated).
    pub fn tally(&self, range: std::ops::Range<usize>) -> (usize, usize, usize, usize) {
        let (mut ok, mut refused, mut missing, mut dup) = (0, 0, 0, 0);
        for i in range {
            let (e, g) = (self.expected[i].load(Ordering::Relaxed), self.got[i].load(Ordering::Relaxed));
            match self.posted[i].load(Ordering::Acquire) {
                1 => {
                    ok += 1;
                    missing += usize::from(e.saturating_sub(g));
                    dup += usize::from(g.saturating_sub(e));
                }
                2 => refused += 1,
                _ => {}
            }
        }
        (ok, refused, missing, dup)
    }

    /// The buyer's unanswered message was stored at `created_ms`.
    pub fn awaiting(&self, conv: i64, created_ms: i64) {
        if let Ok(mut d) = self.dues.lock() {
            d.insert(conv, created_ms + self.reply_ms);
        }
    }

    /// Whether every accepted message in `range` has reached all its receivers.
    pub fn complete(&self, range: std::ops::Range<usize>) -> bool {
        self.tally(range).2 == 0
    }
}

#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow, default)]
    message: Option<Msg<'a>>,
    #[serde(default)]
    conversation: Option<ConvFrame>,
}

#[derive(Debug, Deserialize)]
struct Msg<'a> {
    side: &'a str,
    created_at: i64,
    #[serde(borrow)]
    body: std::borrow::Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct ConvFrame {
    id: i64,
}

/// `q17 …` → ('q', 17).
pub fn tag_of(body: &str) -> Option<(char, usize)> {
    let mut chars = body.chars();
    let tag = chars.next()?;
    let digits: String = chars.take_while(char::is_ascii_digit).collect();
    Some((tag, digits.parse().ok()?))
}

/// Buyer messages (`q`, `t`) count when the shop's staff receive them; replies
/// (`a` from the shop, `p` from the platform) when the buyer does.
fn for_me(side: Side, tag: char) -> bool {
    matches!((side, tag), (Side::Staff, 'q' | 't') | (Side::Buyer, 'a' | 'p'))
}

fn on_text(text: &str, side: Side, ledger: &Ledger, takeovers: Option<&mpsc::UnboundedSender<i64>>) {
    let Ok(f) = serde_json::from_str::<Frame<'_>>(text) else { return };
    match (f.kind, f.message) {
        ("message", Some(m)) => {
            if let Some((tag, seq)) = tag_of(&m.body)
                && for_me(side, tag)
            {
                ledger.delivered(seq);
            }
            if side == Side::Buyer
                && m.side == "system"
                && let Some(c) = f.conversation
            {
                let t = Takeover { conv: c.id, fired_ms: m.created_at, received_ms: crate::wall_ms() };
                if let Ok(mut list) = ledger.takeovers.lock() {
                    list.push(t);
                }
                if let Some(tx) = takeovers {
                    let _ = tx.send(c.id);
                }
            }
        }
        ("lagged", _) => {
            ledger.lagged.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
}

/// Where and as whom a client connects.
#[derive(Debug, Clone)]
pub struct Dial {
    pub url: String,
    pub bearer: Option<String>,
    pub side: Side,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(d: &Dial) -> BoxResult<Socket> {
    let mut req = d.url.as_str().into_client_request()?;
    if let Some(t) = &d.bearer {
        req.headers_mut().insert("authorization", format!("Bearer {t}").parse()?);
    }
    // The server's own small buffers on the client side too: the default
    // 128 KiB each would be 1.3 GB for 10,000 clients in this process.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024).write_buffer_size(4 * 1024);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
    // Ready once the server's loop answers: it subscribed before that.
    ws.send(Message::Text(r#"{"type":"ping"}"#.into())).await?;
    let wait = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(frame) = ws.next().await {
            if let Message::Text(t) = frame?
                && t.as_str().contains("\"pong\"")
            {
                return Ok(());
            }
        }
        Err::<(), Box<dyn std::error::Error + Send + Sync>>("closed before pong".into())
    });
    wait.await.map_err(|_| "no pong within 60 s")??;
    Ok(ws)
}

/// Connects every client (`concurrency` handshakes at a time, up to 3 tries
/// each) and starts its reader. Returns the time until all had answered a
/// ping, and the readers (which end when the server closes).
pub async fn connect_all(
    dials: Vec<Dial>,
    ledger: &Arc<Ledger>,
    takeovers: Option<mpsc::UnboundedSender<i64>>,
    concurrency: usize,
) -> BoxResult<(Duration, Vec<JoinHandle<()>>)> {
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(concurrency));
    let (ready_tx, mut ready) = mpsc::unbounded_channel::<Result<(), String>>();
    let mut readers = Vec::with_capacity(dials.len());
    let n = dials.len();
    for d in dials {
        let (gate, ready_tx, ledger, takeovers) = (gate.clone(), ready_tx.clone(), ledger.clone(), takeovers.clone());
        readers.push(tokio::spawn(async move {
            let mut ws = None;
            let mut last = String::new();
            for attempt in 0..3 {
                let Ok(_permit) = gate.acquire().await else { return };
                match open(&d).await {
                    Ok(s) => {
                        ws = Some(s);
                        break;
                    }
                    Err(e) => last = format!("attempt {attempt}: {e}"),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let Some(mut ws) = ws else {
                let _ = ready_tx.send(Err(last));
                return;
            };
            let _ = ready_tx.send(Ok(()));
            drop(ready_tx);
            while let Some(Ok(frame)) = ws.next().await {
                if let Message::Text(t) = frame {
                    on_text(t.as_str(), d.side, &ledger, takeovers.as_ref());
                }
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..n {
        match ready.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(format!("a client could not connect: {e}").into()),
            None => return Err("clients vanished".into()),
        }
    }
    Ok((started.elapsed(), readers))
}
