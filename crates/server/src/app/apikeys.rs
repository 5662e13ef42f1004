//! API keys as the JSON API and the account page share them: create (the
//! secret is returned once, then only kept sealed), list, revoke, and the
//! callbacks recently sent with a key.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::Timestamp;
use youying_core::accounts::User;
use youying_core::apikeys::{self, ApiKey, ApiKeyId, KeyId, KeyName};
use youying_core::outbound::Outbound;
use youying_core::ports::Store;

use crate::error::ApiResult;
use crate::state::App;

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub key_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub active: bool,
}

pub fn view(k: &ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: k.id.0,
        key_id: k.key_id.clone(),
        name: k.name.clone(),
        created_at: k.created_at.millis(),
        last_used_at: k.last_used_at.map(Timestamp::millis),
        revoked_at: k.revoked_at.map(Timestamp::millis),
        active: k.active(),
    }
}

/// A freshly created key with its secret: the only time the secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: i64,
    pub key_id: String,
    /// Shown once; store it now. The site keeps it sealed and never shows it again.
    pub secret: String,
    pub name: String,
    pub created_at: i64,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> ApiResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| youying_core::StorageError(format!("random: {e}")))?;
    Ok(b)
}

pub async fn create<S: Store>(app: &App<S>, owner: User, name: &str) -> ApiResult<CreatedKey> {
    let name = KeyName::parse(name)?;
    let key_id = KeyId::from_random(random::<12>()?);
    // 24 random bytes, 48 hex characters: the HMAC key.
    let secret = hex::encode(random::<24>()?);
    let sealed = app.vault.seal_secret(&secret)?;
    let now = app.now();
    let k = app.store.write(move |tx| apikeys::create(tx, now, &owner, &name, key_id, sealed)).await?;
    Ok(CreatedKey { id: k.id.0, key_id: k.key_id, secret, name: k.name, created_at: k.created_at.millis() })
}

pub async fn list<S: Store>(app: &App<S>, owner: &User) -> ApiResult<Vec<ApiKeyView>> {
    let id = owner.id;
    let keys = app.store.read(move |tx| tx.api_keys_of(id)).await?;
    Ok(keys.iter().map(view).collect())
}

pub async fn revoke<S: Store>(app: &App<S>, owner: User, id: i64) -> ApiResult<ApiKeyView> {
    let now = app.now();
    let k = app.store.write(move |tx| apikeys::revoke(tx, now, &owner, ApiKeyId(id))).await?;
    Ok(view(&k))
}

/// A callback as its key's owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackView {
    pub id: i64,
    pub key_id: String,
    pub event: String,
    pub url: String,
    pub state: String,
    pub state_label: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
}

fn callback_view(key: &ApiKey, o: &Outbound) -> CallbackView {
    let pending = o.state == youying_core::outbound::OutboundState::Pending;
    CallbackView {
        id: o.id,
        key_id: key.key_id.clone(),
        event: o.kind.as_str().to_owned(),
        url: o.url.clone(),
        state: o.state.as_str().to_owned(),
        state_label: o.state.label().to_owned(),
        attempts: o.attempts,
        last_status: o.last_status,
        last_error: o.last_error.clone(),
        created_at: o.created_at.millis(),
        sent_at: o.sent_at.map(Timestamp::millis),
        next_attempt_at: pending.then(|| o.next_attempt_at.millis()),
    }
}

/// The latest callbacks of all the owner's keys, newest first.
pub async fn callbacks<S: Store>(app: &App<S>, owner: &User, limit: usize) -> ApiResult<Vec<CallbackView>> {
    let id = owner.id;
    let rows = app
        .store
        .read(move |tx| {
            let mut out = Vec::new();
            for k in tx.api_keys_of(id)? {
                for o in tx.outbound_of_key(k.id, limit)? {
                    out.push((k.clone(), o));
                }
            }
            Ok(out)
        })
        .await?;
    let mut list: Vec<CallbackView> = rows.iter().map(|(k, o)| callback_view(k, o)).collect();
    list.sort_by_key(|c| std::cmp::Reverse(c.id));
    list.truncate(limit);
    Ok(list)
}
