//! The notification centre and push channels, shared by the API and the
//! pages: the user's notices and unread count, marking them read, the
//! channels as shown (secrets only as hints), and a typed channel checked,
//! sealed and saved all or nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::push::{self, ChannelKind, ChannelSetting, PushEvent};
use youying_core::rules::{self, Rule};

use crate::error::{ApiResult, AppError};
use crate::state::App;

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxNotice {
    pub id: i64,
    /// `chat.waiting`, `chat.reply`, `case.opened`, … (see the webhook's `event`).
    pub event: String,
    pub label: String,
    pub subject: String,
    pub text: String,
    /// The page to act on, from the site root.
    pub url: String,
    pub at: i64,
    pub read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<InboxNotice>,
}

pub async fn inbox<S: Store>(app: &App<S>, user: &User, before: Option<i64>, limit: usize) -> ApiResult<Inbox> {
    let id = user.id;
    let (unread, list) =
        app.store.read(move |tx| Ok((tx.unread_notices(id)?, tx.notices_of(id, before, limit)?))).await?;
    let items = list
        .into_iter()
        .map(|n| InboxNotice {
            id: n.id,
            event: n.event.as_str().to_owned(),
            label: n.event.label().to_owned(),
            subject: n.subject,
            text: n.text,
            url: n.url,
            at: n.created_at.millis(),
            read: n.read_at.is_some(),
        })
        .collect();
    Ok(Inbox { unread, items })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResult {
    pub marked: u64,
    pub unread: i64,
}

pub async fn read_notices<S: Store>(app: &App<S>, user: &User, ids: Option<Vec<i64>>) -> ApiResult<ReadResult> {
    let (id, now) = (user.id, app.now());
    let ids: Option<Vec<i64>> = ids.map(|v| v.into_iter().take(500).collect());
    let (marked, unread) = app
        .store
        .write(move |tx| {
            let marked = tx.mark_notices_read(id, ids.as_deref(), now)?;
            if marked > 0 {
                tx.publish(&youying_core::publish::Change::Notice { user_id: id })?;
            }
            Ok((marked, tx.unread_notices(id)?))
        })
        .await?;
    Ok(ReadResult { marked, unread })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    /// `webhook`, `telegram`, `wecom`, `serverchan` or `email`.
    pub kind: String,
    pub label: String,
    pub enabled: bool,
    /// The webhook URL, the Telegram chat id, or the e-mail address.
    pub target: Option<String>,
    /// What may be shown of the secret (`••••a1b2`); the secret itself never is.
    pub hint: Option<String>,
    /// The events chosen; empty: all.
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channels {
    pub channels: Vec<ChannelView>,
}

pub async fn channels<S: Store>(app: &App<S>, user: &User) -> ApiResult<Channels> {
    let id = user.id;
    let (stored, email) = app.store.read(move |tx| Ok((tx.push_channels(id)?, tx.user_email(id)?))).await?;
    let channels = ChannelKind::ALL
        .into_iter()
        .map(|kind| {
            let c = stored.iter().find(|c| c.kind == kind);
            let (enabled, target) = match kind {
                ChannelKind::Email => (email.is_some(), email.clone()),
                _ => (c.is_some_and(|c| c.enabled), c.and_then(|c| c.target.clone())),
            };
            ChannelView {
                kind: kind.as_str().to_owned(),
                label: kind.label().to_owned(),
                enabled,
                target,
                hint: c.and_then(|c| c.hint.clone()),
                events: c.map(|c| c.events.iter().map(|e| e.as_str().to_owned()).collect()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Channels { channels })
}

/// One channel as typed: only the fields its kind uses; a secret left out keeps the stored one.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ChannelInput {
    /// `webhook`, `telegram`, `wecom` or `serverchan` (e-mail is the account's notification address).
    pub kind: String,
    pub enabled: bool,
    /// Webhook: where to POST.
    pub url: Option<String>,
    /// Webhook: the HMAC-SHA256 key, 16–128 characters.
    pub signing_secret: Option<String>,
    /// Telegram: the chat to write to.
    pub chat_id: Option<String>,
    /// Telegram: the bot's token.
    pub bot_token: Option<String>,
    /// 企业微信: the group robot's key.
    pub robot_key: Option<String>,
    /// Server酱: the SendKey.
    pub sendkey: Option<String>,
    /// Events to send; omitted or empty: all.
    pub events: Option<Vec<String>>,
}

fn given(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Checks one typed channel and seals its secret; nothing is stored here.
pub async fn setting<S: Store>(app: &App<S>, input: &ChannelInput) -> Result<ChannelSetting, AppError> {
    let invalid = |field, reason| AppError::Core(Error::Invalid { field, reason });
    let kind = ChannelKind::parse(&input.kind).ok_or(invalid("push_channel", "unknown"))?;
    let (target, secret) = match kind {
        ChannelKind::Webhook => (given(input.url.as_ref()), given(input.signing_secret.as_ref())),
        ChannelKind::Telegram => (given(input.chat_id.as_ref()), given(input.bot_token.as_ref())),
        ChannelKind::Wecom => (None, given(input.robot_key.as_ref())),
        ChannelKind::ServerChan => (None, given(input.sendkey.as_ref())),
        ChannelKind::Email => return Err(invalid("push_channel", "email_on_account")),
    };
    if let Some(t) = &target {
        if kind == ChannelKind::Telegram {
            push::check_chat_id(t)?;
        } else {
            let allow_private =
                app.store.read(|tx| Ok(rules::in_force(tx)?.get(Rule::AllowPrivateAddresses) == 1)).await?;
            crate::egress::check(t, allow_private).await.map_err(|e| invalid("url", e.reason()))?;
        }
    }
    let secret = match secret {
        Some(s) => {
            push::check_secret(kind, &s)?;
            Some((app.vault.seal_secret(&s)?, push::hint_of(&s)))
        }
        None => None,
    };
    let mut events = Vec::new();
    for e in input.events.iter().flatten() {
        events.push(PushEvent::parse(e).ok_or(invalid("events", "unknown"))?);
    }
    Ok(ChannelSetting { kind, enabled: input.enabled, target, secret, events })
}

pub async fn save<S: Store>(app: &App<S>, user: &User, inputs: &[ChannelInput]) -> ApiResult<()> {
    let mut settings = Vec::with_capacity(inputs.len());
    for i in inputs.iter().take(10) {
        settings.push(setting(app, i).await?);
    }
    let (id, now) = (user.id, app.now());
    app.store.write(move |tx| push::save_channels(tx, now, id, &settings)).await?;
    Ok(())
}

pub async fn queue_test<S: Store>(app: &App<S>, user: &User, kind: &str) -> ApiResult<i64> {
    let kind = ChannelKind::parse(kind).ok_or(Error::NotFound)?;
    let (id, now) = (user.id, app.now());
    Ok(app.store.write(move |tx| push::test_channel(tx, now, id, kind)).await?)
}
