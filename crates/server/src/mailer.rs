//! Notification mail, as two steps and a thin loop. [`enqueue`] reads the
//! notices and breaches past the stored cursors and queues one rendered mail
//! per recipient; [`Mailer::send_due`] claims what is due, hands it to the SMTP
//! server and marks it sent, or schedules a retry with backoff. All that must
//! survive a restart lives in the database: a restart neither loses nor repeats
//! a mail, and instances sharing PostgreSQL split the work instead of doubling it.

use std::time::{Duration, SystemTime};

use askama::Template;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use youying_core::Timestamp;
use youying_core::chat::Owner;
use youying_core::enforcement::{BreachKind, Party};
use youying_core::error::Result;
use youying_core::mail::{MailSource, NewMail, OutboxMail};
use youying_core::ports::{Store, Tx};
use youying_core::values::ConversationId;

use crate::config::{Config, MailConfig, transport};
use crate::fmt::fmt_time;
use crate::i18n::t;
use crate::state::App;

/// Notice kinds worth a mail: a reply deadline about to lapse. Breaches are
/// read from the breaches table itself, every one of them, so a takeover is
/// mailed once — as the breach it is — whatever notice the chat adds for it.
pub const NOTICE_KINDS: &[&str] = &["chat_due_soon"];
const NOTICE: &str = "notification";
const BREACH: &str = "breach";

/// Sources read per query, and queries per pass (a backlog drains over passes).
const SOURCE_BATCH: usize = 500;
const SOURCE_PAGES: usize = 20;
/// A notice or breach younger than this is read again on the next passes, so
/// one whose transaction commits after a higher id already did is not skipped
/// (ids are handed out at insert, not at commit). The outbox's unique key makes
/// reading again harmless.
const SETTLE_SECS: i64 = 60;
/// Older than this when first read (mail was off, or down): not worth a mail.
/// A warning is about minutes; a breach stays news for a day.
const NOTICE_STALE_SECS: i64 = 600;
const BREACH_STALE_SECS: i64 = 86_400;

const SEND_BATCH: usize = 10;
/// A claimed mail is hidden from other instances this long; if its sender died
/// mid-send it is tried again after. Far above `SEND_BATCH` × `config::SMTP_TIMEOUT`.
const LEASE_SECS: i64 = 600;
/// Transient failures are retried this often before the mail is given up (~9 h).
pub const MAX_ATTEMPTS: i64 = 12;
const POLL: Duration = Duration::from_secs(5);

/// The wait after a failed attempt number `attempts`: 30 s, doubling, at most an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 10)).unwrap_or(10);
    (30_i64 << doublings).min(3_600)
}

/// What one [`Mailer::run_once`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailOutcome {
    pub queued: usize,
    pub sent: usize,
    /// Attempts that failed (retried later, or given up).
    pub failed: usize,
}

/// What a notice or breach says, before it is rendered for a shop.
struct Facts {
    /// The catalogue key part: `mail.subject.{kind}`, `mail.what.{kind}`.
    kind: &'static str,
    vars: Vec<(&'static str, String)>,
    /// The console page to act on, from the site root.
    path: String,
    breach: bool,
}

/// Queues mail for the notices and breaches past the cursors, in one transaction.
pub fn enqueue(tx: &mut dyn Tx, now: Timestamp, base_url: &str) -> Result<usize> {
    Ok(pass(tx, now, base_url, NOTICE)? + pass(tx, now, base_url, BREACH)?)
}

fn pass(tx: &mut dyn Tx, now: Timestamp, base_url: &str, source: &'static str) -> Result<usize> {
    let cursor = tx.mail_cursor(source)?;
    let settled_before = now.plus_secs(-SETTLE_SECS);
    let (mut after, mut settled_to, mut settled, mut queued) = (cursor, cursor, true, 0);
    for _ in 0..SOURCE_PAGES {
        let rows = if source == NOTICE {
            tx.shop_notices_after(after, NOTICE_KINDS, SOURCE_BATCH)?
        } else {
            tx.shop_breaches_after(after, SOURCE_BATCH)?
        };
        for row in &rows {
            queued += queue_one(tx, now, base_url, source, row)?;
            settled &= row.at <= settled_before;
            if settled {
                settled_to = row.id;
            }
            after = row.id;
        }
        if rows.len() < SOURCE_BATCH {
            break;
        }
    }
    if settled_to > cursor {
        tx.set_mail_cursor(source, settled_to)?;
    }
    Ok(queued)
}

fn queue_one(tx: &mut dyn Tx, now: Timestamp, base_url: &str, source: &'static str, row: &MailSource) -> Result<usize> {
    let stale_after = if source == NOTICE { NOTICE_STALE_SECS } else { BREACH_STALE_SECS };
    if row.at < now.plus_secs(-stale_after) {
        return Ok(0);
    }
    // Warnings go to everyone who answers for the shop; a breach is the owner's business.
    let recipients = tx.mail_recipients(row.shop_id, source == NOTICE)?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let facts = if source == NOTICE { notice_facts(tx, now, row)? } else { breach_facts(tx, row)? };
    let (Some(facts), Some(shop)) = (facts, tx.shop(row.shop_id)?) else { return Ok(0) };
    let (subject, text, html) = render(facts, &shop.name, base_url);
    let mut queued = 0;
    for (user_id, to) in recipients {
        let mail = NewMail {
            source,
            source_id: row.id,
            user_id,
            to,
            subject: subject.clone(),
            text: text.clone(),
            html: html.clone(),
            created_at: now,
        };
        queued += usize::from(tx.enqueue_mail(&mail)?);
    }
    Ok(queued)
}

fn conversation_of(subject: &str) -> Option<i64> {
    subject.strip_prefix("conversation:")?.parse().ok()
}

/// A reply deadline about to lapse. Answered, taken over or lapsed since: moot
/// (a lapse is mailed as its breach).
fn notice_facts(tx: &mut dyn Tx, now: Timestamp, n: &MailSource) -> Result<Option<Facts>> {
    if n.kind != "chat_due_soon" {
        return Ok(None);
    }
    let Some(id) = conversation_of(&n.subject) else { return Ok(None) };
    let Some(c) = tx.conversation(ConversationId(id))? else { return Ok(None) };
    let Some(due) = c.reply_due.filter(|d| c.owner == Owner::Shop && *d > now && *d > n.at) else {
        return Ok(None);
    };
    let secs = (due.millis_since(n.at) + 999) / 1000;
    Ok(Some(Facts {
        kind: "chat_due_soon",
        vars: vec![("conv", id.to_string()), ("secs", secs.to_string()), ("due", fmt_time(due))],
        path: format!("/merchant/chat/{id}"),
        breach: false,
    }))
}

/// A breach charged to the shop, with its count over the penalty window.
fn breach_facts(tx: &mut dyn Tx, b: &MailSource) -> Result<Option<Facts>> {
    let since = b.at.plus_secs(-30 * 86_400);
    let count = tx
        .breaches(Some(b.shop_id), 1_000)?
        .iter()
        .filter(|x| x.party == Party::Shop && x.id <= b.id && x.at > since)
        .count();
    let (kind, path, mut vars) = match (BreachKind::parse(&b.kind), conversation_of(&b.subject)) {
        (Some(BreachKind::ChatReply), Some(id)) => {
            ("chat_reply", format!("/merchant/chat/{id}"), vec![("conv", id.to_string())])
        }
        (Some(BreachKind::TopupLate), _) => {
            let no = b.subject.strip_prefix("order:").unwrap_or(&b.subject).to_owned();
            ("topup_late", format!("/merchant/shops/{}/orders", b.shop_id), vec![("order", no)])
        }
        _ => ("breach", "/merchant".to_owned(), vec![("kind", b.kind.clone())]),
    };
    vars.push(("count", count.to_string()));
    Ok(Some(Facts { kind, vars, path, breach: true }))
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    subject: &'a str,
    greeting: &'a str,
    lines: &'a [String],
    link: &'a str,
    action: &'a str,
    signature: &'a str,
    footer: &'a str,
    account: &'a str,
}

/// Subject, plain text and HTML (the shop's name escaped there, as everything is).
fn render(facts: Facts, shop: &str, base_url: &str) -> (String, String, String) {
    let mut vars = facts.vars;
    vars.push(("shop", shop.to_owned()));
    let say = |key: &str| fill(t(key), &vars);
    let subject = say(&format!("mail.subject.{}", facts.kind));
    let mut lines = vec![say(&format!("mail.what.{}", facts.kind))];
    if facts.breach {
        lines.push(say("mail.breach_count"));
    }
    let (greeting, action, signature, footer) =
        (say("mail.greeting"), t("mail.action"), t("mail.signature"), t("mail.footer"));
    let (link, account) = (format!("{base_url}{}", facts.path), format!("{base_url}/account"));
    let text =
        format!("{greeting}\n\n{}\n\n{action}：{link}\n\n-- \n{signature}\n{footer} {account}\n", lines.join("\n"));
    let html = MailHtml {
        subject: &subject,
        greeting: &greeting,
        lines: &lines,
        link: &link,
        action,
        signature,
        footer,
        account: &account,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "mail template failed; sending text only");
        String::new()
    });
    (subject, text, html)
}

/// Puts `vars` into the `{name}` slots of a catalogue text, in one pass: a
/// value that itself contains `{…}` (a shop may be called that) stays as it is.
fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        let slot = tail.find('}').and_then(|end| vars.iter().find(|(k, _)| *k == &tail[..end]).map(|(_, v)| (v, end)));
        match slot {
            Some((value, end)) => {
                out.push_str(value);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('{');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Why an attempt failed, and so whether to try again.
enum Failure {
    /// The server refused for good (5xx), or the mail cannot be built.
    Permanent(String),
    /// The server said "later" (4xx).
    Transient(String),
    /// No SMTP conversation at all: the rest of the batch waits too.
    Unreachable(String),
}

/// Sends queued mail over one SMTP configuration.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).field("base_url", &self.base_url).finish()
    }
}

impl Mailer {
    /// Links point at `--public-url`, or else at the address the server binds.
    pub fn new(mail: &MailConfig, config: &Config) -> std::result::Result<Self, String> {
        let transport = transport(mail.smtp_url()).map_err(|e| e.to_string())?;
        let base_url = config.own_url(config.bind);
        Ok(Self { transport, from: mail.from().clone(), base_url })
    }

    /// Queues what is new, then sends everything due. Tests call this after
    /// moving the clock; the loop calls it every few seconds.
    pub async fn run_once<S: Store>(&self, app: &App<S>) -> Result<MailOutcome> {
        let (now, base) = (app.now(), self.base_url.clone());
        let queued = app.store.write(move |tx| enqueue(tx, now, &base)).await?;
        let mut out = MailOutcome { queued, ..MailOutcome::default() };
        while self.send_due(app, &mut out).await? == SEND_BATCH {}
        metrics::counter!("youying_mail_sent_total").increment(out.sent as u64);
        metrics::counter!("youying_mail_failures_total").increment(out.failed as u64);
        Ok(out)
    }

    /// Claims one batch of due mail and tries each; returns how many it claimed.
    pub async fn send_due<S: Store>(&self, app: &App<S>, out: &mut MailOutcome) -> Result<usize> {
        let now = app.now();
        let lease = now.plus_secs(LEASE_SECS);
        let batch = app.store.write(move |tx| tx.claim_mail(now, lease, SEND_BATCH)).await?;
        let mut unreachable: Option<String> = None;
        for m in &batch {
            let result = match &unreachable {
                Some(e) => Err(Failure::Unreachable(e.clone())),
                None => self.deliver(m, now).await,
            };
            let (id, at) = (m.id, app.now());
            let (retry_at, error) = match result {
                Ok(()) => {
                    app.store.write(move |tx| tx.mail_sent(id, at)).await?;
                    out.sent += 1;
                    continue;
                }
                Err(Failure::Permanent(e)) => (None, e),
                Err(Failure::Transient(e)) => (Some(at.plus_secs(backoff_secs(m.attempts))), e),
                Err(Failure::Unreachable(e)) => {
                    unreachable = Some(e.clone());
                    (Some(at.plus_secs(backoff_secs(m.attempts))), e)
                }
            };
            let retry_at = retry_at.filter(|_| m.attempts < MAX_ATTEMPTS);
            tracing::warn!(mail = m.id, attempts = m.attempts, retry = retry_at.is_some(), error = %error, "mail not delivered");
            app.store.write(move |tx| tx.mail_failed(id, retry_at, &error)).await?;
            out.failed += 1;
        }
        Ok(batch.len())
    }

    async fn deliver(&self, m: &OutboxMail, now: Timestamp) -> std::result::Result<(), Failure> {
        let to: Mailbox = m.to.parse().map_err(|e| Failure::Permanent(format!("address: {e}")))?;
        let date = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(now.millis()).unwrap_or(0));
        // A stable id: a relay that sees a retry of an accepted mail can tell.
        let id = format!("<youying.{}.{}.{}@{}>", m.source, m.source_id, m.user_id, self.from.email.domain());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .date(date)
            .message_id(Some(id));
        let message = if m.html.is_empty() {
            builder.singlepart(SinglePart::plain(m.text.clone()))
        } else {
            builder.multipart(MultiPart::alternative_plain_html(m.text.clone(), m.html.clone()))
        }
        .map_err(|e| Failure::Permanent(format!("message: {e}")))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                Failure::Permanent(e.to_string())
            } else if e.is_response() {
                Failure::Transient(e.to_string())
            } else {
                Failure::Unreachable(e.to_string())
            }
        })
    }
}

/// Starts the loop when mail is configured.
pub fn start<S: Store>(app: &App<S>, shutdown: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
    let cfg = app.mail.as_deref()?;
    if app.config.public_url.is_none() {
        tracing::warn!("mail links point at the bind address: set --public-url to the address people reach");
    }
    match Mailer::new(cfg, &app.config) {
        Ok(mailer) => {
            tracing::info!(smtp = %youying_store::redact_url(cfg.smtp_url()), "mail notifications on");
            Some(tokio::spawn(run(app.clone(), mailer, shutdown)))
        }
        Err(e) => {
            tracing::error!(error = %e, "mail notifications off");
            None
        }
    }
}

/// The loop: a step every few seconds until `shutdown` turns true.
pub async fn run<S: Store>(app: App<S>, mailer: Mailer, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = mailer.run_once(&app).await {
            tracing::error!(error = %e, "mail step failed");
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_once_and_backoff_doubles_to_an_hour() {
        let vars = [("shop", "{conv}店".to_owned()), ("conv", "12".to_owned())];
        assert_eq!(fill("{shop}：会话 #{conv}，{unknown} {", &vars), "{conv}店：会话 #12，{unknown} {");
        let waits: Vec<i64> = (1..=9).map(backoff_secs).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn the_html_part_escapes_the_shop_name() {
        let facts = Facts {
            kind: "chat_reply",
            vars: vec![("conv", "12".into()), ("count", "1".into())],
            path: "/merchant/chat/12".into(),
            breach: true,
        };
        let (subject, text, html) = render(facts, "A&B<店>", "https://kameng.example");
        assert!(subject.contains("A&B<店>") && subject.contains("#12"), "{subject}");
        assert!(text.contains("https://kameng.example/merchant/chat/12"), "{text}");
        assert!(html.contains("A&#38;B&#60;店&#62;") && !html.contains("<店>"), "{html}");
    }
}
