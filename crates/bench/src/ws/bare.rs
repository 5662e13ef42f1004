//! The baseline: the barest server doing the same delivery work — axum, the
//! same 4 KiB websocket buffers as Youying, `POST /send {to, event}` forwarding
//! an already-serialised event to the listed users' sockets. No database, no
//! authentication, no rules. Two ways to fan out:
//!
//! - `routed`: a map from user id to that socket's queue; each event touches
//!   only its recipients (the fastest way to do the work);
//! - `broadcast`: one `tokio::sync::broadcast` channel every socket listens
//!   to, each socket filtering for itself — the shape of Youying's hub, so the
//!   difference between the two isolates the cost of that design.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Json, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::BoxResult;

const BUFFER: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Routed,
    Broadcast,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Routed => "routed",
            Mode::Broadcast => "broadcast",
        }
    }
}

type Shared = Arc<(Vec<i64>, Utf8Bytes)>;

#[derive(Debug, Clone)]
struct Bare {
    mode: Mode,
    routes: Arc<Mutex<HashMap<i64, mpsc::UnboundedSender<Utf8Bytes>>>>,
    all: broadcast::Sender<Shared>,
}

#[derive(Debug, Deserialize)]
struct Send {
    to: Vec<i64>,
    event: String,
}

#[derive(Debug, Deserialize)]
struct Who {
    user: i64,
}

pub async fn serve(bind: SocketAddr, mode: Mode, nodelay: bool) -> BoxResult<()> {
    // The hub's capacity, for the broadcast shape.
    let (all, _) = broadcast::channel(4_096);
    let state = Bare { mode, routes: Arc::default(), all };
    let app = Router::new()
        .route("/ws", get(upgrade))
        .route("/send", post(send))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    if nodelay {
        use axum::serve::ListenerExt;
        let l = listener.tap_io(|s| {
            let _ = s.set_nodelay(true);
        });
        axum::serve(l, app).with_graceful_shutdown(shutdown).await?;
    } else {
        axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    }
    Ok(())
}

async fn send(State(b): State<Bare>, Json(s): Json<Send>) -> StatusCode {
    let text = Utf8Bytes::from(s.event);
    match b.mode {
        Mode::Routed => {
            let Ok(routes) = b.routes.lock() else { return StatusCode::INTERNAL_SERVER_ERROR };
            for id in &s.to {
                if let Some(q) = routes.get(id) {
                    let _ = q.send(text.clone());
                }
            }
        }
        Mode::Broadcast => {
            let _ = b.all.send(Arc::new((s.to, text)));
        }
    }
    StatusCode::CREATED
}

async fn upgrade(State(b): State<Bare>, Query(who): Query<Who>, ws: WebSocketUpgrade) -> Response {
    let ws = ws.read_buffer_size(BUFFER).write_buffer_size(BUFFER).max_message_size(16 * 1024);
    ws.on_upgrade(move |socket| async move {
        match b.mode {
            Mode::Routed => routed(b, who.user, socket).await,
            Mode::Broadcast => broadcast_to(b, who.user, socket).await,
        }
    })
}

async fn routed(b: Bare, user: i64, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    if let Ok(mut routes) = b.routes.lock() {
        routes.insert(user, tx);
    }
    loop {
        tokio::select! {
            text = rx.recv() => match text {
                Some(t) => if socket.send(Message::Text(t)).await.is_err() { break },
                None => break,
            },
            frame = socket.recv() => if !answer(&mut socket, frame).await { break },
        }
    }
    if let Ok(mut routes) = b.routes.lock() {
        routes.remove(&user);
    }
}

async fn broadcast_to(b: Bare, user: i64, mut socket: WebSocket) {
    let mut events = b.all.subscribe();
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Ok(e) if e.0.contains(&user) => if socket.send(Message::Text(e.1.clone())).await.is_err() { return },
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if socket.send(Message::Text(r#"{"type":"lagged"}"#.into())).await.is_err() { return }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            frame = socket.recv() => if !answer(&mut socket, frame).await { return },
        }
    }
}

/// The client's side of the protocol: `ping` gets `pong`; false when closed.
async fn answer(socket: &mut WebSocket, frame: Option<Result<Message, axum::Error>>) -> bool {
    match frame {
        Some(Ok(Message::Text(t))) if t.as_str().contains("\"ping\"") => {
            socket.send(Message::Text(r#"{"type":"pong"}"#.into())).await.is_ok()
        }
        Some(Ok(Message::Close(_)) | Err(_)) | None => false,
        Some(Ok(_)) => true,
    }
}
