//! The SQLite baselines: the rows one checkout needs, in plain rusqlite, with
//! the store's pragmas (WAL, synchronous = FULL). Take a key, insert the order,
//! its unit, the ledger entry with its two postings (wallet → escrow, balances
//! moved), one chained event. `sequential`: one transaction per order, one at a
//! time. `grouped`: the same work, up to 128 orders per transaction (the
//! store's group commit size), one writer.

use std::time::Instant;

use rusqlite::{Connection, params};

use super::{BoxResult, Sale};

const SCHEMA: &str = "
PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
CREATE TABLE stock_units (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, fingerprint TEXT NOT NULL, code_enc TEXT NOT NULL);
CREATE INDEX stock_units_product_idx ON stock_units (product_id, id);
CREATE TABLE orders (id INTEGER PRIMARY KEY, no TEXT NOT NULL UNIQUE, buyer_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
  total_fen INTEGER NOT NULL, state TEXT NOT NULL, snapshot TEXT NOT NULL, created_at INTEGER NOT NULL, escrow_fen INTEGER NOT NULL);
CREATE TABLE order_units (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id), fingerprint TEXT NOT NULL, code_enc TEXT NOT NULL);
CREATE TABLE ledger_accounts (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, balance INTEGER NOT NULL CHECK (balance >= 0));
CREATE TABLE ledger_entries (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE ledger_postings (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
  account_id INTEGER NOT NULL REFERENCES ledger_accounts (id), amount INTEGER NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
";

fn open(keys: usize, buyers: usize) -> BoxResult<(tempdir::Dir, Connection)> {
    let dir = tempdir::Dir::new()?;
    let conn = Connection::open(dir.0.join("bare.db"))?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch("BEGIN")?;
    {
        let mut s = conn.prepare("INSERT INTO stock_units (product_id, fingerprint, code_enc) VALUES (1, ?1, ?2)")?;
        for i in 0..keys {
            s.execute(params![format!("fp{i:08}"), format!("enc-FLASH-{i:08}----PW{i:06}-sealed-with-a-nonce")])?;
        }
        let mut a = conn.prepare("INSERT INTO ledger_accounts (key, balance) VALUES (?1, ?2)")?;
        a.execute(params!["escrow", 0])?;
        for b in 0..buyers {
            a.execute(params![format!("user:{b}"), 10_000_000])?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok((dir, conn))
}

/// One checkout's rows; false when the stock is gone.
fn checkout(conn: &Connection, n: usize, buyer: usize, prev: &mut String) -> BoxResult<bool> {
    let unit: Option<(String, String)> = conn
        .prepare_cached(
            "DELETE FROM stock_units WHERE id IN (SELECT id FROM stock_units WHERE product_id = 1 ORDER BY id LIMIT 1) \
             RETURNING fingerprint, code_enc",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(Some)
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
    let Some((fp, enc)) = unit else { return Ok(false) };
    let no = format!("bare{n:014}");
    let at = super::now_ms();
    let snapshot =
        format!(r#"{{"title":"秒杀 Q币点卡 10元","quantity":1,"unit_fen":100,"shop":"秒杀点卡店","at":{at}}}"#);
    let order: i64 = conn
        .prepare_cached(
            "INSERT INTO orders (no, buyer_id, product_id, total_fen, state, snapshot, created_at, escrow_fen) \
             VALUES (?1, ?2, 1, 100, 'delivered', ?3, ?4, 100) RETURNING id",
        )?
        .query_row(params![no, buyer as i64, snapshot, at], |r| r.get(0))?;
    conn.prepare_cached("INSERT INTO order_units (order_id, fingerprint, code_enc) VALUES (?1, ?2, ?3)")?
        .execute(params![order, fp, enc])?;
    let subject = format!("order:{no}");
    let entry: i64 = conn
        .prepare_cached("INSERT INTO ledger_entries (kind, subject, at) VALUES ('order.pay', ?1, ?2) RETURNING id")?
        .query_row(params![subject, at], |r| r.get(0))?;
    for (key, amount) in [("escrow".to_owned(), 100), (format!("user:{buyer}"), -100)] {
        let account: i64 = conn
            .prepare_cached("UPDATE ledger_accounts SET balance = balance + ?1 WHERE key = ?2 RETURNING id")?
            .query_row(params![amount, key], |r| r.get(0))?;
        conn.prepare_cached("INSERT INTO ledger_postings (entry_id, account_id, amount) VALUES (?1, ?2, ?3)")?
            .execute(params![entry, account, amount])?;
    }
    let payload = format!(r#"{{"product_id":1,"quantity":1,"total_fen":100,"fingerprint":"{fp}"}}"#);
    let hash = format!("{:016x}", fxhash(&[prev.as_bytes(), payload.as_bytes()]));
    conn.prepare_cached(
        "INSERT INTO events (at, kind, subject, payload, prev_hash, hash) VALUES (?1, 'order.created', ?2, ?3, ?4, ?5)",
    )?
    .execute(params![at, subject, payload, prev.as_str(), hash])?;
    *prev = hash;
    Ok(true)
}

/// A cheap stand-in for the chain's hash (the bare baseline measures the
/// database, not SHA-256).
fn fxhash(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .flat_map(|p| p.iter())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// `per_tx` orders per transaction until the keys are gone.
pub(super) fn run(keys: usize, buyers: usize, per_tx: usize) -> BoxResult<Sale> {
    let (_dir, conn) = open(keys, buyers)?;
    let mut prev = String::from("genesis");
    let start = Instant::now();
    let (mut lat, mut done_at, mut n) = (Vec::with_capacity(keys), Vec::with_capacity(keys), 0usize);
    'sale: loop {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut in_tx = 0;
        while in_tx < per_tx {
            if !checkout(&conn, n, n % buyers.max(1), &mut prev)? {
                conn.execute_batch("COMMIT")?;
                break 'sale;
            }
            n += 1;
            in_tx += 1;
        }
        conn.execute_batch("COMMIT")?;
        let us = t.elapsed().as_micros() as u64;
        let end = start.elapsed().as_micros() as u64;
        for _ in 0..in_tx {
            lat.push(us);
            done_at.push(end);
        }
    }
    let mut sale =
        Sale { orders: n, refused: 1, errors: 0, wall: start.elapsed(), latencies_us: lat, done_at_us: done_at };
    sale.latencies_us.sort_unstable();
    sale.done_at_us.sort_unstable();
    Ok(sale)
}

/// A scratch directory removed on drop.
mod tempdir {
    #[derive(Debug)]
    pub(crate) struct Dir(pub(crate) std::path::PathBuf);

    impl Dir {
        pub(crate) fn new() -> std::io::Result<Self> {
            let d = std::env::temp_dir().join(format!("flash-bare-{}-{}", std::process::id(), super::super::now_ms()));
            std::fs::create_dir_all(&d)?;
            Ok(Dir(d))
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
