//! `/api/v1/ws`: live messages, conversation changes (takeover, deadlines),
//! typing, read receipts and `{"type":"notice"}` (a new notice: refresh the
//! badge), for whoever may see them. Authenticated by the session cookie or a
//! bearer token. A client that reconnects sends `{"type":"resume",
//! "conversation_id":…, "after":…}` and gets what it missed;
//! a client showing a conversation sends `{"type":"read", "conversation_id":…,
//! "message_id":…}` and the other side gets a `read` event.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::chat;
use youying_core::ports::Store;
use youying_core::publish::Change;
use youying_core::values::ConversationId;

use crate::auth::MaybeViewer;
use crate::error::AppError;
use crate::hub::{self, HubEvent};
use crate::state::App;

/// Small per-socket buffers: 10,000 sockets at tungstenite's default 128 KiB
/// each would hold 1.3 GB; chat frames are a few hundred bytes.
const BUFFER: usize = 4 * 1024;
const MAX_FRAME: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Resume { conversation_id: i64, after: i64 },
    Typing { conversation_id: i64 },
    Read { conversation_id: i64, message_id: i64 },
    Ping,
}

pub async fn upgrade<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    MaybeViewer(v): MaybeViewer,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    // Who asks is checked before whether it is a websocket at all.
    let viewer = v.ok_or(AppError::Core(Error::Unauthenticated))?;
    // A page on another site can open a socket that carries our cookie
    // (websockets are not bound by CORS): a cookie upgrade must come from our
    // own pages. A bearer token is not sent by browsers on their own.
    if viewer.csrf().is_some() && !origin_allowed(&headers, app.config.public_url.as_deref()) {
        return Err(AppError::http(axum::http::StatusCode::FORBIDDEN, "csrf"));
    }
    let ws = ws.map_err(|_| AppError::http(axum::http::StatusCode::BAD_REQUEST, "invalid_input"))?;
    let ws = ws.read_buffer_size(BUFFER).write_buffer_size(BUFFER).max_message_size(MAX_FRAME);
    Ok(ws.on_upgrade(move |socket| serve(app, viewer.user, socket)))
}

/// No `Origin` (not a browser), or one naming the host the request came in on
/// or the configured public address.
fn origin_allowed(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Some(origin) = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, a)| a.to_ascii_lowercase())
    else {
        return false; // "null" (a sandboxed frame or a file) or garbage
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
    let public =
        public_url.and_then(|u| u.split_once("://")).map(|(_, a)| a.trim_end_matches('/').to_ascii_lowercase());
    host.as_deref() == Some(origin.as_str()) || public.as_deref() == Some(origin.as_str())
}

async fn serve<S: Store>(app: App<S>, user: User, mut socket: WebSocket) {
    let mut sub = app.hub.subscribe(&user);
    loop {
        tokio::select! {
            event = sub.events.recv() => match event {
                Some(e) if hub::may_see(&user, &e) => {
                    if send(&mut socket, &e).await.is_err() {
                        return;
                    }
                    // Too slow to keep up: events were dropped, the client resumes from its last id.
                    if sub.lagged.swap(false, std::sync::atomic::Ordering::AcqRel)
                        && socket.send(WsMessage::Text(r#"{"type":"lagged"}"#.into())).await.is_err()
                    {
                        return;
                    }
                }
                Some(_) => {}
                None => return,
            },
            Some(()) = sub.notices.recv() => {
                if socket.send(WsMessage::Text(r#"{"type":"notice"}"#.into())).await.is_err() {
                    return;
                }
            }
            frame = socket.recv() => match frame {
                Some(Ok(WsMessage::Text(t))) => {
                    if handle(&app, &user, &mut socket, t.as_str()).await.is_err() {
                        return;
                    }
                }
                Some(Ok(WsMessage::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn send(socket: &mut WebSocket, e: &Arc<HubEvent>) -> Result<(), axum::Error> {
    let text = serde_json::to_string(e.as_ref()).unwrap_or_default();
    socket.send(WsMessage::Text(text.into())).await
}

async fn handle<S: Store>(app: &App<S>, user: &User, socket: &mut WebSocket, text: &str) -> Result<(), axum::Error> {
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
        return socket.send(WsMessage::Text(r#"{"type":"error","code":"invalid_json"}"#.into())).await;
    };
    match frame {
        ClientFrame::Ping => socket.send(WsMessage::Text(r#"{"type":"pong"}"#.into())).await,
        ClientFrame::Resume { conversation_id, after } => {
            let u = user.clone();
            let id = ConversationId(conversation_id);
            let missed = app
                .store
                .read(move |tx| {
                    let (c, _) = chat::load(tx, &u, id)?;
                    let (view, owner) = crate::app::chat_view::load_view(tx, &c)?;
                    Ok((view, owner, tx.messages_after(id, after, 500)?))
                })
                .await;
            let Ok((conversation, shop_owner_id, messages)) = missed else {
                return socket.send(WsMessage::Text(r#"{"type":"error","code":"not_found"}"#.into())).await;
            };
            for m in &messages {
                let e = HubEvent {
                    kind: "message",
                    conversation: conversation.clone(),
                    message: Some(crate::app::chat_view::message_view(m)),
                    side: None,
                    read_id: None,
                    shop_owner_id,
                };
                send(socket, &Arc::new(e)).await?;
            }
            let e = HubEvent {
                kind: "conversation",
                conversation,
                message: None,
                side: None,
                read_id: None,
                shop_owner_id,
            };
            send(socket, &Arc::new(e)).await
        }
        ClientFrame::Typing { conversation_id } => {
            let u = user.clone();
            let id = ConversationId(conversation_id);
            let seen = app
                .store
                .read(move |tx| {
                    let (c, side) = chat::load(tx, &u, id)?;
                    let (view, owner) = crate::app::chat_view::load_view(tx, &c)?;
                    Ok((view, owner, side))
                })
                .await;
            if let Ok((conversation, shop_owner_id, side)) = seen {
                if app.store.backend() == "postgres" {
                    // Through NOTIFY like messages, so a reader on another instance sees it too.
                    let change = Change::Typing { conversation_id: id, side };
                    if let Err(e) = app.store.write(move |tx| tx.publish(&change)).await {
                        tracing::warn!(error = %e, "typing not relayed");
                    }
                } else {
                    app.hub.send_local(HubEvent {
                        kind: "typing",
                        conversation,
                        message: None,
                        side: Some(side.as_str().to_owned()),
                        read_id: None,
                        shop_owner_id,
                    });
                }
            }
            Ok(())
        }
        ClientFrame::Read { conversation_id, message_id } => {
            let id = ConversationId(conversation_id);
            match crate::app::chat::read_up_to(app, user.clone(), id, message_id).await {
                // The `read` event reaches every participant through the hub.
                Ok(_) => Ok(()),
                Err(e) => {
                    let frame = serde_json::json!({ "type": "error", "code": e.code() }).to_string();
                    socket.send(WsMessage::Text(frame.into())).await
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_our_own_pages_may_open_a_cookie_socket() {
        assert!(origin_allowed(&headers(None, "127.0.0.1:8080"), None));
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"), None));
        assert!(origin_allowed(
            &headers(Some("https://KaMeng.example"), "10.0.0.5:8080"),
            Some("https://kameng.example/")
        ));
        assert!(!origin_allowed(&headers(Some("https://evil.example"), "127.0.0.1:8080"), None));
        assert!(!origin_allowed(&headers(Some("http://127.0.0.1:8081"), "127.0.0.1:8080"), None));
        assert!(!origin_allowed(&headers(Some("null"), "127.0.0.1:8080"), None));
        assert!(!origin_allowed(
            &headers(Some("https://kameng.example.evil.example"), "x"),
            Some("https://kameng.example")
        ));
    }
}
