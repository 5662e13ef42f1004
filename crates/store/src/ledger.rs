//! The double-entry ledger over any backend: balances, statements, the audit,
//! and posting an entry line by line (escrow in parts on PostgreSQL).

use youying_core::Timestamp;
use youying_core::error::{Error, Result};
use youying_core::money::{Account, Entry};
use youying_core::money::{LedgerAudit, LedgerRead, LedgerTx};
use youying_core::orders::StatementLine;

use crate::sql::{Conn, Dialect, Row, params};
use crate::sqltx::SqlTx;

impl<C: Conn> LedgerRead for SqlTx<'_, C> {
    fn balance(&mut self, account: Account) -> Result<i64> {
        self.one(&format!("SELECT {BALANCE} FROM ledger_accounts a WHERE a.key = $1"), params![account.key()])?
            .map_or(Ok(0), |r| r.int(0))
    }

    fn statement(&mut self, account: Account, limit: usize) -> Result<Vec<StatementLine>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = "SELECT p.at, e.kind, e.subject, e.memo, p.amount FROM ledger_postings p \
                   JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id \
                   WHERE a.key = $1 ORDER BY p.id DESC LIMIT $2";
        self.query(sql, params![account.key(), limit])?
            .iter()
            .map(|r| {
                Ok(StatementLine {
                    at: r.time(0)?,
                    kind: r.text(1)?,
                    subject: r.text(2)?,
                    memo: r.text(3)?,
                    amount_fen: r.int(4)?,
                })
            })
            .collect()
    }

    fn daily_sums(
        &mut self,
        account: Account,
        from: Timestamp,
        to: Timestamp,
        offset_ms: i64,
    ) -> Result<Vec<(i64, i64)>> {
        let sql = "SELECT (p.at + $4) / 86400000 AS day, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p \
                   JOIN ledger_accounts a ON a.id = p.account_id \
                   WHERE a.key = $1 AND p.at > $2 AND p.at <= $3 GROUP BY day ORDER BY day";
        self.query(sql, params![account.key(), from, to, offset_ms])?
            .iter()
            .map(|r| Ok((r.int(0)?, r.int(1)?)))
            .collect()
    }

    fn ledger_audit(&mut self) -> Result<LedgerAudit> {
        let ints = |rows: Vec<Row>| rows.iter().map(|r| r.int(0)).collect::<Result<Vec<_>>>();
        let texts = |rows: Vec<Row>| rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>>>();
        let count = |row: Option<Row>| row.map_or(Ok(0), |r| r.int(0));
        Ok(LedgerAudit {
            unbalanced_entries: ints(self.query("SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING SUM(amount) <> 0", &[])?)?,
            drifted_accounts: texts(self.query(
                &format!(
                    "SELECT a.key FROM ledger_accounts a LEFT JOIN (SELECT account_id, SUM(amount) AS s FROM ledger_postings GROUP BY account_id) p \
                     ON p.account_id = a.id WHERE {BALANCE} <> COALESCE(p.s, 0)"
                ),
                &[],
            )?)?,
            negative_accounts: texts(self.query(
                &format!("SELECT a.key FROM ledger_accounts a WHERE {BALANCE} < 0 AND a.may_go_negative = 0"),
                &[],
            )?)?,
            escrow_balance: self.balance(Account::Escrow)?,
            escrow_held_by_orders: count(self.one("SELECT CAST(COALESCE(SUM(escrow_fen), 0) AS BIGINT) FROM orders", &[])?)?,
            // An order still being placed upstream, or refused there, has no units yet (货源对接).
            orphan_units: count(self.one(
                "SELECT (SELECT COUNT(*) FROM order_units u LEFT JOIN orders o ON o.id = u.order_id WHERE o.id IS NULL) + \
                 (SELECT COUNT(*) FROM orders o WHERE o.kind <> 'direct_topup' AND o.quantity <> (SELECT COUNT(*) FROM order_units u WHERE u.order_id = o.id) \
                 AND NOT EXISTS (SELECT 1 FROM upstream_orders s WHERE s.order_id = o.id AND s.state <> 'done'))",
                &[],
            )?)?,
            pending_withdrawals_balance: self.balance(Account::PendingWithdrawals)?,
            pending_withdrawals_requested: count(self.one(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM withdrawals WHERE state = 'requested'",
                &[],
            )?)?,
            gateway_clearing_balance: self.balance(Account::GatewayClearing)?,
            paid_in_by_attempts: count(self.one(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payment_attempts WHERE state = 'paid'",
                &[],
            )?)?,
        })
    }
}

impl<C: Conn> LedgerTx for SqlTx<'_, C> {
    fn post(&mut self, entry: &Entry, at: Timestamp) -> Result<()> {
        let id = self.insert_id(
            "INSERT INTO ledger_entries (kind, subject, memo, at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![entry.kind, &entry.subject, &entry.memo, at],
        )?;
        // Touch accounts in key order so concurrent entries never deadlock.
        let mut lines: Vec<(String, Account, i64)> = entry.lines().iter().map(|(a, v)| (a.key(), *a, *v)).collect();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let pg = self.conn.dialect() == Dialect::Postgres;
        for (key, account, amount) in lines {
            // The account usually exists: created only when the posting finds none.
            let mut posted = post_line(self, pg, id, &key, account, amount, &entry.subject, at)?;
            if !posted {
                self.exec(
                    "INSERT INTO ledger_accounts (key, balance, may_go_negative) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
                    params![&key, account.may_go_negative()],
                )?;
                posted = post_line(self, pg, id, &key, account, amount, &entry.subject, at)?;
            }
            if !posted {
                return Err(Error::InsufficientFunds);
            }
        }
        Ok(())
    }
}

/// An account's balance (`a` is its `ledger_accounts` row): the row plus the
/// parts kept beside it (escrow on PostgreSQL, see `post_line`).
const BALANCE: &str = "CAST(a.balance + COALESCE((SELECT SUM(s.balance) FROM ledger_balance_shards s WHERE s.account_id = a.id), 0) AS BIGINT)";

/// Parts of the escrow balance on PostgreSQL: concurrent checkouts add to
/// different rows instead of queueing on one.
const ESCROW_SHARDS: u64 = 64;

/// One line of an entry: the balance moves and the posting is written. False
/// when the account does not exist or may not go that far below zero.
#[allow(clippy::too_many_arguments)]
fn post_line<C: Conn>(
    tx: &mut SqlTx<'_, C>,
    pg: bool,
    entry: i64,
    key: &str,
    account: Account,
    amount: i64,
    subject: &str,
    at: Timestamp,
) -> Result<bool> {
    if pg && account == Account::Escrow {
        // A part chosen from the subject (an order's checkout and release land
        // on the same part); a part may go below zero, the sum may not (audit).
        let shard =
            subject.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let shard = i64::try_from(shard % ESCROW_SHARDS).unwrap_or(0);
        let row = tx.one(
            "WITH a AS (SELECT id FROM ledger_accounts WHERE key = $1), \
             s AS (INSERT INTO ledger_balance_shards (account_id, shard, balance) SELECT id, $2::bigint, $3::bigint FROM a \
                   ON CONFLICT (account_id, shard) DO UPDATE SET balance = ledger_balance_shards.balance + excluded.balance RETURNING account_id) \
             INSERT INTO ledger_postings (entry_id, account_id, amount, at) SELECT $4::bigint, account_id, $3::bigint, $5::bigint FROM s RETURNING id",
            params![key, shard, amount, entry, at],
        )?;
        return Ok(row.is_some());
    }
    if pg {
        // One round trip: the balance and the posting.
        let row = tx.one(
            "WITH a AS (UPDATE ledger_accounts SET balance = balance + $1 WHERE key = $2 AND (may_go_negative = 1 OR balance + $1 >= 0) RETURNING id) \
             INSERT INTO ledger_postings (entry_id, account_id, amount, at) SELECT $3::bigint, id, $1::bigint, $4::bigint FROM a RETURNING id",
            params![amount, key, entry, at],
        )?;
        return Ok(row.is_some());
    }
    let row = tx.one(
        "UPDATE ledger_accounts SET balance = balance + $1 WHERE key = $2 AND (may_go_negative = 1 OR balance + $1 >= 0) RETURNING id",
        params![amount, key],
    )?;
    let Some(row) = row else { return Ok(false) };
    tx.exec(
        "INSERT INTO ledger_postings (entry_id, account_id, amount, at) VALUES ($1, $2, $3, $4)",
        params![entry, row.int(0)?, amount, at],
    )?;
    Ok(true)
}
