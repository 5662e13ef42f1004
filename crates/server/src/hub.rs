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
use youying_core::chat::{Conversation, ImageRef, Message, Side, Unread};
use youying_core::ports::Store;
use youying_core::publish::Change;
use youying_core::values::{ConversationId, Role, UserId};

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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: i64,
    pub buyer_id: i64,
    pub shop_id: i64,
    pub shop_name: String,
    pub buyer_name: String,
    pub order_id: Option<i64>,
    pub product_id: Option<i64>,
    /// `shop` or `platform`: who must answer now.
    pub owner: String,
    pub assignee_id: Option<i64>,
    /// The first unanswered buyer message, ms.
    pub awaiting_since: Option<i64>,
    /// When the current owner's reply deadline falls, ms.
    pub reply_due: Option<i64>,
    pub taken_over_at: Option<i64>,
    pub last_message_id: i64,
    /// The last message id each side has seen (0: none yet).
    pub buyer_read_id: i64,
    pub shop_read_id: i64,
    pub platform_read_id: i64,
    /// Buyer messages the shop's team, and the platform's, have not read yet.
    pub unread_by_shop: i64,
    pub unread_by_platform: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub conversation_id: i64,
    pub sender_id: Option<i64>,
    /// `buyer`, `shop`, `platform` or `system`.
    pub side: String,
    /// `text`, `order_card`, `image` or `system`.
    pub kind: String,
    pub body: String,
    pub created_at: i64,
    /// For `image`: where to fetch it and its size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImageView {
    pub id: i64,
    /// `GET` it (as a participant) for the picture itself.
    pub url: String,
    /// `image/png`, `image/jpeg` or `image/webp`, as read from the bytes.
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// Bytes.
    pub size: usize,
    /// SHA-256 of the bytes, hex: what the evidence chain records.
    pub sha256: String,
}

pub fn image_url(conversation_id: i64, image_id: i64) -> String {
    format!("/api/v1/conversations/{conversation_id}/images/{image_id}")
}

fn image_view(m: &Message) -> Option<ImageView> {
    if m.kind != "image" {
        return None;
    }
    let r = ImageRef::parse(&m.body)?;
    Some(ImageView {
        id: r.image_id,
        url: image_url(m.conversation_id.0, r.image_id),
        mime: r.mime,
        width: r.width,
        height: r.height,
        size: r.size,
        sha256: r.sha256,
    })
}

pub fn conversation_view(c: &Conversation, shop_name: String, buyer_name: String, unread: Unread) -> ConversationView {
    ConversationView {
        id: c.id.0,
        buyer_id: c.buyer_id.0,
        shop_id: c.shop_id.0,
        shop_name,
        buyer_name,
        order_id: c.order_id.map(|o| o.0),
        product_id: c.product_id.map(|p| p.0),
        owner: c.owner.as_str().to_owned(),
        assignee_id: c.assignee_id.map(|u| u.0),
        awaiting_since: c.awaiting_since.map(|t| t.millis()),
        reply_due: c.reply_due.map(|t| t.millis()),
        taken_over_at: c.taken_over_at.map(|t| t.millis()),
        last_message_id: c.last_message_id,
        buyer_read_id: c.read.buyer,
        shop_read_id: c.read.shop,
        platform_read_id: c.read.platform,
        unread_by_shop: unread.shop,
        unread_by_platform: unread.platform,
    }
}

pub fn message_view(m: &Message) -> MessageView {
    MessageView {
        id: m.id,
        conversation_id: m.conversation_id.0,
        sender_id: m.sender_id.map(|u| u.0),
        side: m.side.as_str().to_owned(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        created_at: m.created_at.millis(),
        image: image_view(m),
    }
}

/// The conversation with its display names and unread counts, read in the
/// caller's transaction.
pub fn load_view(
    tx: &mut dyn youying_core::ports::ReadTx,
    c: &Conversation,
) -> youying_core::error::Result<(ConversationView, UserId)> {
    let shop = tx.shop(c.shop_id)?;
    let buyer = tx.user_by_id(c.buyer_id)?.map(|u| u.username).unwrap_or_default();
    let owner = shop.as_ref().map_or(UserId(0), |s| s.owner_id);
    let unread = tx.unread(c)?;
    Ok((conversation_view(c, shop.map(|s| s.name).unwrap_or_default(), buyer, unread), owner))
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
}

#[derive(Default)]
struct Routes {
    next: AtomicU64,
    by_route: RwLock<HashMap<Route, HashMap<u64, Arc<Socket>>>>,
}

impl Routes {
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
    pub fn start<S: Store>(store: &S) -> Self {
        let routes = Arc::new(Routes::default());
        let (payloads, mut rx) = mpsc::unbounded_channel::<String>();
        store.on_publish(Arc::new(move |p| {
            let _ = payloads.send(p);
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
        let socket = Arc::new(Socket { tx, lagged: lagged.clone() });
        if let Ok(mut map) = self.routes.by_route.write() {
            for k in &keys {
                map.entry(*k).or_default().insert(id, socket.clone());
            }
        }
        Subscription { events, lagged, id, keys, routes: self.routes.clone() }
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
        Change::Case { .. } => return None,
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
