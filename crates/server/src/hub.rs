//! Live delivery. Every committed chat change is published by the store (on
//! PostgreSQL through LISTEN/NOTIFY, so a reply posted to another instance
//! arrives here too): new messages, conversation changes and read receipts.
//! The hub loads what changed once and routes it to the websockets of those
//! allowed to see it — the buyer, the shop's owner and agents, platform staff —
//! and to nobody else: 10,000 open sockets cost nothing for an event that
//! concerns six of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use tokio::sync::mpsc;
use youying_core::accounts::User;
use youying_core::chat::Side;
use youying_core::ports::Store;
use youying_core::publish::Change;
use youying_core::values::{ConversationId, Role, UserId};

use crate::app::chat_view::{ConversationView, MessageView, load_view, message_view};

/// What a websocket receives.
#[derive(Debug, Clone, Serialize)]
pub struct HubEvent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub conversation: ConversationView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageView>,
    /// For `typing`: which side is typing; for `read`: which side read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// For `read`: the last message id that side has now seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_id: Option<i64>,
    #[serde(skip)]
    pub shop_owner_id: UserId,
}

/// Who a socket listens for: its user (a buyer, or a shop's owner), one
/// shop's agents, or the platform's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Route {
    User(i64),
    Shop(i64),
    Platform,
}

fn routes_of(user: &User) -> Vec<Route> {
    let mut r = vec![Route::User(user.id.0)];
    if user.role == Role::MerchantAgent
        && let Some(s) = user.shop_id
    {
        r.push(Route::Shop(s.0));
    }
    if user.role.is_platform() {
        r.push(Route::Platform);
    }
    r
}

fn routes_to(e: &HubEvent) -> [Route; 4] {
    let c = &e.conversation;
    [Route::User(c.buyer_id), Route::User(e.shop_owner_id.0), Route::Shop(c.shop_id), Route::Platform]
}

/// Events queued per socket before it counts as lagging.
const SOCKET_QUEUE: usize = 256;

struct Socket {
    tx: mpsc::Sender<Arc<HubEvent>>,
    lagged: Arc<AtomicBool>,
    /// A new notice for this socket's user; one pending is enough.
    notices: mpsc::Sender<()>,
}

#[derive(Default)]
struct Routes {
    next: AtomicU64,
    by_route: RwLock<HashMap<Route, HashMap<u64, Arc<Socket>>>>,
}

impl Routes {
    fn notice(&self, user: UserId) {
        let Ok(map) = self.by_route.read() else { return };
        for socket in map.get(&Route::User(user.0)).into_iter().flatten().map(|(_, s)| s) {
            let _ = socket.notices.try_send(());
        }
    }

    fn deliver(&self, e: &Arc<HubEvent>) {
        let Ok(map) = self.by_route.read() else { return };
        let mut sent: Vec<u64> = Vec::new();
        for route in routes_to(e) {
            for (id, socket) in map.get(&route).into_iter().flatten() {
                if sent.contains(id) {
                    continue;
                }
                sent.push(*id);
                if socket.tx.try_send(e.clone()).is_err() {
                    socket.lagged.store(true, Ordering::Release);
                }
            }
        }
    }
}

#[derive(Clone)]
pub struct Hub {
    routes: Arc<Routes>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// One socket's feed; dropping it unregisters the socket.
pub struct Subscription {
    pub events: mpsc::Receiver<Arc<HubEvent>>,
    /// Set when events had to be dropped: the client should resume.
    pub lagged: Arc<AtomicBool>,
    /// Something arrives when the user's notification centre got a notice.
    pub notices: mpsc::Receiver<()>,
    id: u64,
    keys: Vec<Route>,
    routes: Arc<Routes>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("id", &self.id).field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut map) = self.routes.by_route.write() {
            for k in &self.keys {
                if let Some(m) = map.get_mut(k) {
                    m.remove(&self.id);
                    if m.is_empty() {
                        map.remove(k);
                    }
                }
            }
        }
    }
}

impl Hub {
    /// Wires the store's publish hook to a loader task feeding the routes.
    /// Queued outbound requests wake their sender through `wake` instead.
    pub fn start<S: Store>(store: &S, wake: Arc<crate::wake::Wake>) -> Self {
        let routes = Arc::new(Routes::default());
        let (payloads, mut rx) = mpsc::unbounded_channel::<String>();
        let noticed = routes.clone();
        store.on_publish(Arc::new(move |p| {
            match Change::parse(&p) {
                Some(Change::Outbound) => wake.outbound.notify_one(),
                // A notice needs no loading: its user's sockets are told to refresh the badge.
                Some(Change::Notice { user_id }) => {
                    wake.push.notify_one();
                    noticed.notice(user_id);
                }
                _ => {
                    let _ = payloads.send(p);
                }
            }
        }));
        let (store, out) = (store.clone(), routes.clone());
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(p) = rx.recv().await {
                // Whatever else is already waiting is loaded in the same read.
                batch.push(p);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                for event in load(&store, std::mem::take(&mut batch)).await {
                    out.deliver(&Arc::new(event));
                }
            }
        });
        Self { routes }
    }

    /// Registers a socket of `user` for the events it may see.
    pub fn subscribe(&self, user: &User) -> Subscription {
        let (tx, events) = mpsc::channel(SOCKET_QUEUE);
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.routes.next.fetch_add(1, Ordering::Relaxed);
        let keys = routes_of(user);
        let (notice_tx, notices) = mpsc::channel(1);
        let socket = Arc::new(Socket { tx, lagged: lagged.clone(), notices: notice_tx });
        if let Ok(mut map) = self.routes.by_route.write() {
            for k in &keys {
                map.entry(*k).or_default().insert(id, socket.clone());
            }
        }
        Subscription { events, lagged, notices, id, keys, routes: self.routes.clone() }
    }

    /// Routes an ephemeral event (typing) locally, without the database.
    pub fn send_local(&self, event: HubEvent) {
        self.routes.deliver(&Arc::new(event));
    }
}

/// Published payloads loaded together, at most this many per read transaction.
const BATCH: usize = 256;

/// What a published [`Change`] announces to conversation views: a read
/// receipt, typing (PostgreSQL relays it between instances), a new message, or
/// a conversation change.
#[derive(Debug, Clone, PartialEq)]
struct Announced {
    conversation: ConversationId,
    kind: &'static str,
    message_id: Option<i64>,
    side: Option<String>,
    read_id: Option<i64>,
}

fn announced(payload: &str) -> Option<Announced> {
    let side = |s: Side| Some(s.as_str().to_owned());
    Some(match Change::parse(payload)? {
        Change::Read { conversation_id, side: s, message_id } => Announced {
            conversation: conversation_id,
            kind: "read",
            message_id: None,
            side: side(s),
            read_id: Some(message_id),
        },
        Change::Typing { conversation_id, side: s } => {
            Announced { conversation: conversation_id, kind: "typing", message_id: None, side: side(s), read_id: None }
        }
        Change::Message { conversation_id, message_id } => Announced {
            conversation: conversation_id,
            kind: "message",
            message_id: Some(message_id),
            side: None,
            read_id: None,
        },
        Change::Conversation { conversation_id } => Announced {
            conversation: conversation_id,
            kind: "conversation",
            message_id: None,
            side: None,
            read_id: None,
        },
        // Cases have no live view.
        Change::Case { .. } | Change::Outbound | Change::Notice { .. } => return None,
    })
}

/// Drops what a batch says twice: every event carries the conversation as read
/// once for the whole batch, so a bare conversation change is news only when
/// nothing else in the batch is about that conversation.
fn coalesce(batch: Vec<Announced>) -> Vec<Announced> {
    let carried: std::collections::HashSet<ConversationId> =
        batch.iter().filter(|a| a.kind != "conversation").map(|a| a.conversation).collect();
    let mut bare = std::collections::HashSet::new();
    batch
        .into_iter()
        .filter(|a| a.kind != "conversation" || (!carried.contains(&a.conversation) && bare.insert(a.conversation)))
        .collect()
}

/// Loads a batch of published payloads in one read transaction, each
/// conversation once, and returns the events in the order announced.
async fn load<S: Store>(store: &S, payloads: Vec<String>) -> Vec<HubEvent> {
    let wanted = coalesce(payloads.iter().filter_map(|p| announced(p)).collect());
    if wanted.is_empty() {
        return Vec::new();
    }
    let loaded = store
        .read(move |tx| {
            let mut views: HashMap<ConversationId, Option<(ConversationView, UserId)>> = HashMap::new();
            let mut out = Vec::with_capacity(wanted.len());
            for a in wanted {
                if let std::collections::hash_map::Entry::Vacant(e) = views.entry(a.conversation) {
                    let view = match tx.conversation(a.conversation)? {
                        Some(c) => Some(load_view(tx, &c)?),
                        None => None,
                    };
                    e.insert(view);
                }
                let Some(Some((view, owner))) = views.get(&a.conversation) else { continue };
                let message = match a.message_id {
                    Some(mid) => match tx.message(a.conversation, mid)? {
                        Some(m) => Some(message_view(&m)),
                        None => continue,
                    },
                    None => None,
                };
                out.push(HubEvent {
                    kind: a.kind,
                    conversation: view.clone(),
                    message,
                    side: a.side,
                    read_id: a.read_id,
                    shop_owner_id: *owner,
                });
            }
            Ok(out)
        })
        .await;
    loaded.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "hub could not load published changes");
        Vec::new()
    })
}

/// Whether `user` may see events of this conversation: its buyer, the shop's
/// owner and agents, platform staff.
pub fn may_see(user: &User, e: &HubEvent) -> bool {
    let c = &e.conversation;
    user.id.0 == c.buyer_id
        || user.role.is_platform()
        || user.id == e.shop_owner_id
        || (user.role == Role::MerchantAgent && user.shop_id.map(|s| s.0) == Some(c.shop_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_says_each_thing_once() {
        let a = |p: &str| announced(p).unwrap();
        let batch = vec![
            a(r#"{"type":"conversation","conversation_id":1}"#),
            a(r#"{"type":"message","conversation_id":1,"message_id":7}"#),
            a(r#"{"type":"conversation","conversation_id":1}"#),
            a(r#"{"type":"conversation","conversation_id":2}"#),
            a(r#"{"type":"conversation","conversation_id":2}"#),
            a(r#"{"type":"read","conversation_id":3,"side":"shop","message_id":5}"#),
        ];
        let kept: Vec<(i64, &str)> = coalesce(batch).iter().map(|a| (a.conversation.0, a.kind)).collect();
        assert_eq!(kept, vec![(1, "message"), (2, "conversation"), (3, "read")]);
        assert!(announced("not json").is_none() && announced(r#"{"type":"message"}"#).is_none());
    }
}
