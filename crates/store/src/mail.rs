//! The e-mail half of the port: account addresses, the mailer's cursors and
//! the outbox, in the SQL both backends share.

use youying_core::Timestamp;
use youying_core::error::Result;
use youying_core::mail::{MailRead, MailSource, MailTx, NewMail, OutboxMail};
use youying_core::values::{ShopId, UserId};

use crate::sql::{Conn, Row, Val, lim, params};
use crate::sqltx::SqlTx;

const OUTBOX_COLS: &str = "id, source, source_id, user_id, to_addr, subject, body_text, body_html, state, created_at, \
     next_attempt_at, attempts, last_error, sent_at";

fn outbox(r: &Row) -> Result<OutboxMail> {
    Ok(OutboxMail {
        id: r.int(0)?,
        source: r.text(1)?,
        source_id: r.int(2)?,
        user_id: UserId(r.int(3)?),
        to: r.text(4)?,
        subject: r.text(5)?,
        text: r.text(6)?,
        html: r.text(7)?,
        state: r.text(8)?,
        created_at: r.time(9)?,
        next_attempt_at: r.time(10)?,
        attempts: r.int(11)?,
        last_error: r.opt_text(12)?,
        sent_at: r.opt_time(13)?,
    })
}

fn source(r: &Row) -> Result<MailSource> {
    Ok(MailSource {
        id: r.int(0)?,
        shop_id: ShopId(r.int(1)?),
        kind: r.text(2)?,
        subject: r.text(3)?,
        detail: r.text(4)?,
        at: r.time(5)?,
    })
}

impl<C: Conn> MailTx for SqlTx<'_, C> {
    fn set_user_email(&mut self, user: UserId, email: Option<&str>) -> Result<()> {
        self.exec("UPDATE users SET email = $2 WHERE id = $1", params![user.0, email])?;
        Ok(())
    }

    fn mail_cursor(&mut self, source: &str) -> Result<i64> {
        let lock = self.row_lock();
        let row = self.one(&format!("SELECT last_id FROM mail_cursors WHERE source = $1{lock}"), params![source])?;
        row.map_or(Ok(0), |r| r.int(0))
    }

    fn set_mail_cursor(&mut self, source: &str, last_id: i64) -> Result<()> {
        self.exec(
            "INSERT INTO mail_cursors (source, last_id) VALUES ($1, $2) \
             ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id",
            params![source, last_id],
        )?;
        Ok(())
    }

    fn enqueue_mail(&mut self, m: &NewMail) -> Result<bool> {
        let n = self.exec(
            "INSERT INTO mail_outbox (source, source_id, user_id, to_addr, subject, body_text, body_html, state, created_at, next_attempt_at, attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, 0) ON CONFLICT DO NOTHING",
            params![m.source, m.source_id, m.user_id.0, &m.to, &m.subject, &m.text, &m.html, m.created_at],
        )?;
        Ok(n == 1)
    }

    fn claim_mail(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxMail>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {OUTBOX_COLS} FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2{skip}"
        );
        let mut claimed = self.query(&sql, params![now, lim(limit)])?.iter().map(outbox).collect::<Result<Vec<_>>>()?;
        for m in &mut claimed {
            self.exec(
                "UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1 WHERE id = $1",
                params![m.id, lease_until],
            )?;
            m.next_attempt_at = lease_until;
            m.attempts += 1;
        }
        Ok(claimed)
    }

    fn mail_sent(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE mail_outbox SET state = 'sent', sent_at = $2 WHERE id = $1 AND state = 'pending'",
            params![id, at],
        )?;
        Ok(())
    }

    fn mail_failed(&mut self, id: i64, retry_at: Option<Timestamp>, error: &str) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        match retry_at {
            Some(at) => self.exec(
                "UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND state = 'pending'",
                params![id, at, error],
            )?,
            None => self.exec(
                "UPDATE mail_outbox SET state = 'failed', last_error = $2 WHERE id = $1 AND state = 'pending'",
                params![id, error],
            )?,
        };
        Ok(())
    }
}

impl<C: Conn> MailRead for SqlTx<'_, C> {
    fn user_email(&mut self, user: UserId) -> Result<Option<String>> {
        Ok(self
            .one("SELECT email FROM users WHERE id = $1", params![user.0])?
            .map(|r| r.opt_text(0))
            .transpose()?
            .flatten())
    }

    fn mail_recipients(&mut self, shop: ShopId, agents: bool) -> Result<Vec<(UserId, String)>> {
        let mut rows = self.query(
            "SELECT u.id, u.email FROM shops s JOIN users u ON u.id = s.owner_id \
             WHERE s.id = $1 AND u.email IS NOT NULL AND u.disabled = 0",
            params![shop.0],
        )?;
        if agents {
            rows.extend(self.query(
                "SELECT id, email FROM users WHERE shop_id = $1 AND role = 'merchant_agent' AND email IS NOT NULL \
                 AND disabled = 0 ORDER BY id",
                params![shop.0],
            )?);
        }
        rows.iter().map(|r| Ok((UserId(r.int(0)?), r.text(1)?))).collect()
    }

    fn shop_notices_after(&mut self, after: i64, kinds: &[&str], limit: usize) -> Result<Vec<MailSource>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let list = (3..3 + kinds.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT id, shop_id, kind, subject, body, created_at FROM notifications \
             WHERE id > $1 AND audience = 'shop' AND kind IN ({list}) ORDER BY id LIMIT $2"
        );
        let mut p: Vec<Val> = vec![after.into(), lim(limit).into()];
        p.extend(kinds.iter().map(|k| Val::from(*k)));
        self.query(&sql, &p)?.iter().map(source).collect()
    }

    fn shop_breaches_after(&mut self, after: i64, limit: usize) -> Result<Vec<MailSource>> {
        self.query(
            "SELECT id, shop_id, kind, subject, detail, at FROM breaches WHERE id > $1 AND party = 'shop' ORDER BY id LIMIT $2",
            params![after, lim(limit)],
        )?
        .iter()
        .map(source)
        .collect()
    }

    fn next_mail_due(&mut self) -> Result<Option<Timestamp>> {
        let row = self.one(
            "SELECT next_attempt_at FROM mail_outbox WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1",
            &[],
        )?;
        row.map(|r| r.time(0)).transpose()
    }

    fn mail_outbox(&mut self, limit: usize) -> Result<Vec<OutboxMail>> {
        self.query(&format!("SELECT {OUTBOX_COLS} FROM mail_outbox ORDER BY id DESC LIMIT $1"), params![lim(limit)])?
            .iter()
            .map(outbox)
            .collect()
    }
}

#[cfg(test)]
mod tests {

    use youying_core::accounts;
    use youying_core::mail::NewMail;
    use youying_core::ports::Store;
    use youying_core::values::{Email, Role, ShopName, UserId, Username};
    use youying_core::{Timestamp, shops};

    use crate::store_test;

    const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn mail(source_id: i64, user: UserId) -> NewMail {
        NewMail {
            source: "breach",
            source_id,
            user_id: user,
            to: "laowang@qq.com".into(),
            subject: "主题".into(),
            text: "正文".into(),
            html: "<p>正文</p>".into(),
            created_at: T0,
        }
    }

    store_test!(addresses_cursors_and_the_outbox, |store, _db| {
        let (owner, shop) = store
            .write(|tx| {
                let name = Username::parse("laowang").unwrap();
                let owner = accounts::register(tx, T0, &name, "h".into(), Role::Buyer, None, None)?;
                let shop = shops::open(tx, T0, &owner, &ShopName::parse("星辰点卡").unwrap())?;
                Ok((owner, shop))
            })
            .await
            .unwrap();
        let (o, id) = (owner.clone(), shop.id);
        let found = store
            .write(move |tx| {
                assert!(tx.mail_recipients(id, true)?.is_empty(), "no address, no recipient");
                let email = Email::parse("laowang@qq.com")?;
                accounts::set_email(tx, T0, &o, Some(&email))?;
                accounts::set_email(tx, T0, &o, Some(&email))?;
                tx.mail_recipients(id, true)
            })
            .await
            .unwrap();
        assert_eq!(found, vec![(owner.id, "laowang@qq.com".to_owned())]);
        let changes = store
            .read(|tx| Ok(tx.events_after(0, 100)?.into_iter().filter(|e| e.kind == "user.email_changed").count()))
            .await
            .unwrap();
        assert_eq!(changes, 1, "setting the same address again records nothing");

        let uid = owner.id;
        let (first, again, cursor) = store
            .write(move |tx| {
                let first = tx.enqueue_mail(&mail(7, uid))?;
                let again = tx.enqueue_mail(&mail(7, uid))?;
                tx.set_mail_cursor("breach", 7)?;
                Ok((first, again, tx.mail_cursor("breach")?))
            })
            .await
            .unwrap();
        assert_eq!((first, again, cursor), (true, false, 7), "one mail per source and recipient");

        let lease = T0.plus_secs(600);
        let claimed = store.write(move |tx| tx.claim_mail(T0, lease, 10)).await.unwrap();
        assert_eq!((claimed.len(), claimed[0].attempts, claimed[0].next_attempt_at), (1, 1, lease));
        let id = claimed[0].id;
        let leased = store.write(move |tx| tx.claim_mail(T0.plus_secs(599), lease, 10)).await.unwrap();
        assert!(leased.is_empty(), "a leased mail is nobody else's");
        store.write(move |tx| tx.mail_failed(id, Some(T0.plus_secs(30)), "421 down")).await.unwrap();
        assert_eq!(store.read(|tx| tx.next_mail_due()).await.unwrap(), Some(T0.plus_secs(30)));
        let retried = store.write(move |tx| tx.claim_mail(T0.plus_secs(30), lease, 10)).await.unwrap();
        assert_eq!(retried.len(), 1);
        store.write(move |tx| tx.mail_sent(id, T0.plus_secs(31))).await.unwrap();
        let out = store.read(|tx| tx.mail_outbox(10)).await.unwrap();
        assert_eq!(
            (out[0].state.as_str(), out[0].attempts, out[0].last_error.as_deref(), out[0].sent_at),
            ("sent", 2, Some("421 down"), Some(T0.plus_secs(31)))
        );
        assert_eq!(store.read(|tx| tx.next_mail_due()).await.unwrap(), None);
        assert!(!format!("{:?}", out[0]).contains("laowang@"), "no address in Debug");
    });
}
