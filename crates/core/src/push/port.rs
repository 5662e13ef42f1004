//! What push notification needs from persistence.

use super::model::{Channel, ChannelKind, Delivery, Note, Notice};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ShopId, UserId};

pub trait PushRead {
    /// A user's notices, newest first, below `before` (an id) when given.
    fn notices_of(&mut self, user: UserId, before: Option<i64>, limit: usize) -> Result<Vec<Notice>>;
    fn notice(&mut self, id: i64) -> Result<Option<Notice>>;
    fn unread_notices(&mut self, user: UserId) -> Result<i64>;
    /// The channels a user has set, in no particular order.
    fn push_channels(&mut self, user: UserId) -> Result<Vec<Channel>>;
    fn push_channel(&mut self, user: UserId, kind: ChannelKind) -> Result<Option<Channel>>;
    /// The shop's owner and, with `agents`, its merchant agents: enabled accounts, owner first.
    fn shop_team(&mut self, shop: ShopId, agents: bool) -> Result<Vec<UserId>>;
    /// Enabled platform agents and admins.
    fn platform_team(&mut self) -> Result<Vec<UserId>>;
    /// When the earliest pending delivery is due (leases included).
    fn next_push_due(&mut self) -> Result<Option<Timestamp>>;
    /// A user's most recent deliveries, newest first.
    fn push_deliveries_of(&mut self, user: UserId, limit: usize) -> Result<Vec<Delivery>>;
    /// The shop's low-stock threshold (0: off).
    fn low_stock_threshold(&mut self, shop: ShopId) -> Result<i64>;
}

pub trait PushTx: PushRead {
    fn insert_notice(&mut self, user: UserId, note: &Note, at: Timestamp) -> Result<i64>;
    /// Marks the user's notices read (`None`: all); returns how many changed.
    fn mark_notices_read(&mut self, user: UserId, ids: Option<&[i64]>, at: Timestamp) -> Result<u64>;
    /// Inserts or replaces the user's channel of that kind.
    fn put_push_channel(&mut self, c: &Channel) -> Result<()>;
    fn enqueue_push(&mut self, notice: &Notice, kind: ChannelKind, due: Timestamp) -> Result<i64>;
    /// Pending deliveries due at `now`, oldest first, each counted as an
    /// attempt and leased until `lease_until`. Rows another transaction holds
    /// are skipped, not waited for.
    fn claim_push(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Delivery>>;
    fn push_sent(&mut self, id: i64, at: Timestamp, status: i64) -> Result<()>;
    /// Not sent, on purpose (channel off, notice moot).
    fn push_skipped(&mut self, id: i64, why: &str) -> Result<()>;
    /// A failed attempt: tried again at `retry_at`, or given up on (`None`).
    fn push_failed(&mut self, id: i64, retry_at: Option<Timestamp>, status: Option<i64>, error: &str) -> Result<()>;
    fn set_low_stock_threshold(&mut self, shop: ShopId, threshold: i64) -> Result<()>;
}
