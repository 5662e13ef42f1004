//! What the rules need from persistence: the values admins stored.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::UserId;

/// Reading the stored rule values.
pub trait RulesRead {
    fn stored_rules(&mut self) -> Result<Vec<(String, i64)>>;
}

/// Changing one rule's stored value.
pub trait RulesTx: RulesRead {
    fn put_rule(&mut self, name: &str, value: i64, at: Timestamp, by: Option<UserId>) -> Result<()>;
}
