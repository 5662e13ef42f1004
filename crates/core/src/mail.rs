//! What e-mail notification needs from persistence: addresses, the mailer's
//! cursors and the outbox; part of [`Tx`](crate::ports::Tx).

use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ShopId, UserId};

/// What the mailer reads: an in-app notice for a shop's team, or a breach
/// charged to a shop. `detail` is the notice's text or the breach's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSource {
    pub id: i64,
    pub shop_id: ShopId,
    pub kind: String,
    /// What it is about: `conversation:12`, `order:…`.
    pub subject: String,
    pub detail: String,
    pub at: Timestamp,
}

/// A mail to queue: one recipient, rendered when queued, so what is sent later
/// is what was true then.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMail {
    /// `notification` or `breach`: with `source_id` and the user, what makes it unique.
    pub source: &'static str,
    pub source_id: i64,
    pub user_id: UserId,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub created_at: Timestamp,
}

/// A queued mail and how its delivery went. `state`: `pending`, `sent` or
/// `failed` (given up).
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub source: String,
    pub source_id: i64,
    pub user_id: UserId,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub state: String,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// Addresses are personal data: these print without them.
impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMail")
            .field("source", &self.source)
            .field("source_id", &self.source_id)
            .field("user_id", &self.user_id)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("source_id", &self.source_id)
            .field("user_id", &self.user_id)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// E-mail: the accounts' addresses and a durable outbox. The mailer reads
/// notices and breaches past a stored cursor, queues one mail per recipient,
/// and drains the queue over SMTP; several instances share the work.
pub trait MailTx: MailRead {
    /// The last id of `source` the mailer is done with; the row stays locked
    /// for this transaction, so instances take turns.
    fn mail_cursor(&mut self, source: &str) -> Result<i64>;
    fn set_user_email(&mut self, user: UserId, email: Option<&str>) -> Result<()>;
    fn set_mail_cursor(&mut self, source: &str, last_id: i64) -> Result<()>;
    /// Queues a mail; false (and nothing queued) when its source already
    /// queued one for this user.
    fn enqueue_mail(&mut self, mail: &NewMail) -> Result<bool>;
    /// Pending mails due at `now`, oldest first, each counted as an attempt
    /// and leased until `lease_until` (a crashed sender's mail comes back
    /// then). Rows another transaction holds are skipped, not waited for.
    fn claim_mail(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxMail>>;
    fn mail_sent(&mut self, id: i64, at: Timestamp) -> Result<()>;
    /// A failed attempt: tried again at `retry_at`, or given up on (`None`).
    fn mail_failed(&mut self, id: i64, retry_at: Option<Timestamp>, error: &str) -> Result<()>;
}

/// The query half of [`MailTx`], for read-only transactions.
pub trait MailRead {
    /// The address the account set for notifications, if any.
    fn user_email(&mut self, user: UserId) -> Result<Option<String>>;
    /// `(user, address)` of the shop's owner and, with `agents`, its merchant
    /// agents: enabled accounts that set an address, owner first.
    fn mail_recipients(&mut self, shop: ShopId, agents: bool) -> Result<Vec<(UserId, String)>>;
    /// Notices for shop teams of one of `kinds` with an id above `after`, by id.
    fn shop_notices_after(&mut self, after: i64, kinds: &[&str], limit: usize) -> Result<Vec<MailSource>>;
    /// Breaches charged to shops (not the platform's own) with an id above `after`, by id.
    fn shop_breaches_after(&mut self, after: i64, limit: usize) -> Result<Vec<MailSource>>;
    /// When the earliest pending mail is due.
    fn next_mail_due(&mut self) -> Result<Option<Timestamp>>;
    /// The most recent mails, newest first.
    fn mail_outbox(&mut self, limit: usize) -> Result<Vec<OutboxMail>>;
}
