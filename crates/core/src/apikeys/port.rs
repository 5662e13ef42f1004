//! What API keys and open-API orders need from persistence.

use super::model::{ApiKey, ApiKeyId, NewApiKey, OpenOrder};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{OrderId, UserId};

pub trait ApiKeyRead {
    /// Any key, active or revoked, by the id callers send.
    fn api_key_by_key_id(&mut self, key_id: &str) -> Result<Option<ApiKey>>;
    fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>>;
    /// An account's keys, newest first, revoked ones included.
    fn api_keys_of(&mut self, user: UserId) -> Result<Vec<ApiKey>>;
    fn open_order(&mut self, order: OrderId) -> Result<Option<OpenOrder>>;
    fn open_order_by_no(&mut self, key: ApiKeyId, downstream_order_no: &str) -> Result<Option<OpenOrder>>;
}

pub trait ApiKeyTx: ApiKeyRead {
    fn insert_api_key(&mut self, k: &NewApiKey) -> Result<ApiKeyId>;
    /// Active → revoked; false when it was not active.
    fn revoke_api_key(&mut self, id: ApiKeyId, at: Timestamp) -> Result<bool>;
    /// Records use, at most once a minute per key (older marks only).
    fn touch_api_key(&mut self, id: ApiKeyId, at: Timestamp) -> Result<()>;
    fn insert_open_order(&mut self, o: &OpenOrder) -> Result<()>;
}
