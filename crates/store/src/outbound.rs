//! The outbound-HTTP outbox, in the SQL both backends share: claimed with a
//! lease (SKIP LOCKED on PostgreSQL), like the mail outbox.

use youying_core::apikeys::ApiKeyId;
use youying_core::clock::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::outbound::{NewOutbound, Outbound, OutboundKind, OutboundRead, OutboundState, OutboundTx};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const COLS: &str = "id, kind, url, body, sign_key, state, attempts, next_attempt_at, lease_until, last_status, \
                    last_error, created_at, sent_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad outbound {what}")).into()
}

fn row(r: &Row) -> Result<Outbound> {
    Ok(Outbound {
        id: r.int(0)?,
        kind: OutboundKind::parse(&r.text(1)?).ok_or_else(|| bad("kind"))?,
        url: r.text(2)?,
        body: r.text(3)?,
        sign_key: r.opt_int(4)?.map(ApiKeyId),
        state: OutboundState::parse(&r.text(5)?).ok_or_else(|| bad("state"))?,
        attempts: r.int(6)?,
        next_attempt_at: r.time(7)?,
        lease_until: r.opt_time(8)?,
        last_status: r.opt_int(9)?,
        last_error: r.opt_text(10)?,
        created_at: r.time(11)?,
        sent_at: r.opt_time(12)?,
    })
}

impl<C: Conn> OutboundRead for SqlTx<'_, C> {
    fn next_outbound_due(&mut self) -> Result<Option<Timestamp>> {
        let r = self.one(
            "SELECT next_attempt_at FROM outbound WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1",
            &[],
        )?;
        r.map(|r| r.time(0)).transpose()
    }

    fn outbound_of_key(&mut self, key: ApiKeyId, limit: usize) -> Result<Vec<Outbound>> {
        self.query(
            &format!("SELECT {COLS} FROM outbound WHERE sign_key = $1 ORDER BY id DESC LIMIT $2"),
            params![key.0, lim(limit)],
        )?
        .iter()
        .map(row)
        .collect()
    }
}

impl<C: Conn> OutboundTx for SqlTx<'_, C> {
    fn enqueue_outbound(&mut self, o: &NewOutbound) -> Result<i64> {
        self.insert_id(
            "INSERT INTO outbound (kind, url, body, sign_key, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) RETURNING id",
            params![o.kind.as_str(), &o.url, &o.body, o.sign_key.map(|k| k.0), o.created_at],
        )
    }

    fn claim_outbound(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Outbound>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {COLS} FROM outbound WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2{skip}"
        );
        let mut claimed = self.query(&sql, params![now, lim(limit)])?.iter().map(row).collect::<Result<Vec<_>>>()?;
        for o in &mut claimed {
            // The lease is the next attempt time: a sender that dies leaves
            // the row due again when the lease runs out.
            self.exec(
                "UPDATE outbound SET next_attempt_at = $2, lease_until = $2, attempts = attempts + 1 WHERE id = $1",
                params![o.id, lease_until],
            )?;
            o.next_attempt_at = lease_until;
            o.lease_until = Some(lease_until);
            o.attempts += 1;
        }
        Ok(claimed)
    }

    fn outbound_sent(&mut self, id: i64, at: Timestamp, status: i64) -> Result<()> {
        self.exec(
            "UPDATE outbound SET state = 'sent', sent_at = $2, last_status = $3, lease_until = NULL \
             WHERE id = $1 AND state = 'pending'",
            params![id, at, status],
        )?;
        Ok(())
    }

    fn outbound_failed(
        &mut self,
        id: i64,
        retry_at: Option<Timestamp>,
        status: Option<i64>,
        error: &str,
    ) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        match retry_at {
            Some(at) => self.exec(
                "UPDATE outbound SET next_attempt_at = $2, last_status = $3, last_error = $4, lease_until = NULL \
                 WHERE id = $1 AND state = 'pending'",
                params![id, at, status, error],
            )?,
            None => self.exec(
                "UPDATE outbound SET state = 'failed', last_status = $2, last_error = $3, lease_until = NULL \
                 WHERE id = $1 AND state = 'pending'",
                params![id, status, error],
            )?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use youying_core::Timestamp;
    use youying_core::accounts;
    use youying_core::apikeys::{ApiKeyId, KeyId, KeyName, NewApiKey};
    use youying_core::outbound::{NewOutbound, OutboundKind, OutboundState};
    use youying_core::payments::Sealed;
    use youying_core::ports::Store;
    use youying_core::values::{Role, Username};

    use crate::store_test;

    const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    store_test!(outbound_rows_are_leased_retried_and_sent_once, |store, _db| {
        let key = store
            .write(|tx| {
                let user =
                    accounts::register(tx, T0, &Username::parse("reseller")?, "h".into(), Role::Buyer, None, None)?;
                tx.insert_api_key(&NewApiKey {
                    user_id: user.id,
                    key_id: KeyId::from_random([7; 12]),
                    name: KeyName::parse("站")?,
                    secret: Sealed::new("00".into()),
                    created_at: T0,
                })
            })
            .await
            .unwrap();
        let row = move |at| NewOutbound {
            kind: OutboundKind::OrderUpdated,
            url: "https://example.com/cb".into(),
            body: r#"{"order_id":1}"#.into(),
            sign_key: Some(key),
            created_at: at,
        };
        let id = store.write(move |tx| tx.enqueue_outbound(&row(T0))).await.unwrap();
        let lease = T0.plus_secs(600);
        let claimed = store.write(move |tx| tx.claim_outbound(T0, lease, 10)).await.unwrap();
        assert_eq!((claimed.len(), claimed[0].attempts, claimed[0].lease_until), (1, 1, Some(lease)));
        let leased = store.write(move |tx| tx.claim_outbound(T0.plus_secs(599), lease, 10)).await.unwrap();
        assert!(leased.is_empty(), "a leased row is nobody else's");
        store.write(move |tx| tx.outbound_failed(id, Some(T0.plus_secs(15)), Some(503), "HTTP 503")).await.unwrap();
        assert_eq!(store.read(|tx| tx.next_outbound_due()).await.unwrap(), Some(T0.plus_secs(15)));
        let again = store.write(move |tx| tx.claim_outbound(T0.plus_secs(15), lease, 10)).await.unwrap();
        assert_eq!(again.len(), 1);
        store.write(move |tx| tx.outbound_sent(id, T0.plus_secs(16), 200)).await.unwrap();
        store.write(move |tx| tx.outbound_failed(id, None, None, "late")).await.unwrap();
        let list = store.read(move |tx| tx.outbound_of_key(key, 10)).await.unwrap();
        assert_eq!(
            (list[0].state, list[0].attempts, list[0].last_status, list[0].last_error.as_deref()),
            (OutboundState::Sent, 2, Some(200), Some("HTTP 503")),
            "a sent row stays sent"
        );
        assert_eq!(store.read(|tx| tx.next_outbound_due()).await.unwrap(), None);
        assert!(store.read(|tx| tx.outbound_of_key(ApiKeyId(999), 10)).await.unwrap().is_empty());
        // Use is written at most once a minute.
        store.write(move |tx| tx.touch_api_key(key, T0.plus_secs(1))).await.unwrap();
        store.write(move |tx| tx.touch_api_key(key, T0.plus_secs(30))).await.unwrap();
        let k = store.read(move |tx| tx.api_key(key)).await.unwrap().unwrap();
        assert_eq!(k.last_used_at, Some(T0.plus_secs(1)));
        store.write(move |tx| tx.touch_api_key(key, T0.plus_secs(61))).await.unwrap();
        let k = store.read(move |tx| tx.api_key(key)).await.unwrap().unwrap();
        assert_eq!(k.last_used_at, Some(T0.plus_secs(61)));
    });
}
