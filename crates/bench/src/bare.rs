//! The baseline: the fastest bare program for the same work, with no layer in
//! between. SQLite through rusqlite (same pragmas as the store: WAL,
//! synchronous = FULL), PostgreSQL through the `postgres` client (COPY in).
//! A plain deadlines table with the same partial index on pending due times;
//! the firing loop fires up to 500 due rows per transaction in one statement
//! (`UPDATE … WHERE id IN (SELECT … ORDER BY due_at, id LIMIT 500)`), commits,
//! and sleeps until the next due time. No evidence events, no handlers.
//! Runs in a child process so its memory is its own.

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use youying_store::testing::TestDb;

use crate::engine::rate;
use crate::util::{Batch, CommitMatcher, Dues, batch_stats, cpu, cpu_use, due_by, mem, now_ms, now_us, percentiles};
use crate::{Args, Backend};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const BATCH: i64 = 500;

/// What a backend needs to offer the common firing loop.
trait Bare {
    /// Fires up to [`BATCH`] rows due at `now` in one transaction; how many.
    fn fire(&mut self, now: i64) -> BoxResult<u32>;
    fn next_due(&mut self) -> BoxResult<Option<i64>>;
    /// `(due_at, fired_at)` of every row, in firing order.
    fn read_back(&mut self) -> BoxResult<Vec<(i64, i64)>>;
}

struct Sqlite(rusqlite::Connection);

const FIRE_SQL: &str = "UPDATE deadlines SET state = 'fired', fired_at = $1 WHERE id IN \
     (SELECT id FROM deadlines WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT 500) RETURNING id";
const NEXT_SQL: &str = "SELECT due_at FROM deadlines WHERE state = 'pending' ORDER BY due_at, id LIMIT 1";
const BACK_SQL: &str = "SELECT due_at, fired_at FROM deadlines ORDER BY due_at, id";

impl Bare for Sqlite {
    fn fire(&mut self, now: i64) -> BoxResult<u32> {
        let mut stmt = self.0.prepare_cached(&FIRE_SQL.replace('$', "?"))?;
        let mut rows = stmt.query([now])?;
        let mut n = 0;
        while rows.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    fn next_due(&mut self) -> BoxResult<Option<i64>> {
        let mut stmt = self.0.prepare_cached(NEXT_SQL)?;
        let mut rows = stmt.query([])?;
        Ok(match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        })
    }

    fn read_back(&mut self) -> BoxResult<Vec<(i64, i64)>> {
        let mut stmt = self.0.prepare(BACK_SQL)?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(i64::MIN))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

struct Pg(postgres::Client, Option<postgres::Statement>);

impl Bare for Pg {
    fn fire(&mut self, now: i64) -> BoxResult<u32> {
        let stmt = match &self.1 {
            Some(s) => s.clone(),
            None => {
                let s = self.0.prepare(&format!(
                    "UPDATE deadlines SET state = 'fired', fired_at = $1 WHERE id IN \
                     (SELECT id FROM deadlines WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT {BATCH} \
                     FOR UPDATE SKIP LOCKED) RETURNING id"
                ))?;
                self.1 = Some(s.clone());
                s
            }
        };
        Ok(u32::try_from(self.0.query(&stmt, &[&now])?.len())?)
    }

    fn next_due(&mut self) -> BoxResult<Option<i64>> {
        Ok(self.0.query_opt(NEXT_SQL, &[])?.map(|r| r.get(0)))
    }

    fn read_back(&mut self) -> BoxResult<Vec<(i64, i64)>> {
        Ok(self
            .0
            .query(BACK_SQL, &[])?
            .iter()
            .map(|r| (r.get(0), r.get::<_, Option<i64>>(1).unwrap_or(i64::MIN)))
            .collect())
    }
}

const SCHEMA: &str = "CREATE TABLE deadlines (
    id         {ID} PRIMARY KEY,
    kind       TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    due_at     BIGINT NOT NULL,
    state      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    fired_at   BIGINT,
    payload    TEXT   NOT NULL
);
CREATE INDEX deadlines_due_idx ON deadlines (due_at, id) WHERE state = 'pending';";

/// The baseline, run in this (child) process; prints nothing to stdout.
pub fn run(args: &Args) -> BoxResult<Value> {
    let count = args.count;
    let delay_ms = args.bare_delay_ms.unwrap_or(10_000);
    let mem_start = mem();
    let cpu_start = cpu();
    let mut dues = Dues::for_args(args);
    let start_ms = now_ms() + delay_ms;
    let created = now_ms();
    eprintln!("bare {:?}: inserting {count} rows, due from {delay_ms} ms after now", args.backend);
    match args.backend {
        Backend::Sqlite => {
            let db = TestDb::sqlite();
            let path = db.sqlite_path().ok_or("no path")?.with_file_name("bare.db");
            let mut c = rusqlite::Connection::open(&path)?;
            c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
            c.execute_batch(&SCHEMA.replace("{ID}", "INTEGER"))?;
            let t = Instant::now();
            let tx = c.transaction()?;
            {
                let mut ins = tx.prepare(
                    "INSERT INTO deadlines (kind, subject, due_at, state, created_at, payload) \
                     VALUES ('probe', ?1, ?2, 'pending', ?3, '{}')",
                )?;
                for i in 0..count {
                    ins.execute(rusqlite::params![format!("probe:{i}"), start_ms + dues.next_offset(), created])?;
                }
            }
            tx.commit()?;
            let took = t.elapsed();
            let out = finish(args, &mut Sqlite(c), took, start_ms, (mem_start, cpu_start));
            drop(db);
            out
        }
        Backend::Postgres => {
            let db = TestDb::postgres().ok_or("PostgreSQL unavailable")?;
            let mut c = postgres::Client::connect(&db.url(), postgres::NoTls)?;
            c.batch_execute(&SCHEMA.replace("{ID}", "BIGSERIAL"))?;
            let t = Instant::now();
            let mut w = c.copy_in("COPY deadlines (kind, subject, due_at, state, created_at, payload) FROM STDIN")?;
            let mut buf = Vec::with_capacity(1 << 20);
            for i in 0..count {
                writeln!(buf, "probe\tprobe:{i}\t{}\tpending\t{created}\t{{}}", start_ms + dues.next_offset())?;
                if buf.len() > (1 << 20) - 200 {
                    w.write_all(&buf)?;
                    buf.clear();
                }
            }
            w.write_all(&buf)?;
            w.finish()?;
            let took = t.elapsed();
            let mut conn = Pg(c, None);
            let out = finish(args, &mut conn, took, start_ms, (mem_start, cpu_start));
            drop(conn);
            drop(db);
            out
        }
    }
}

fn finish(
    args: &Args,
    conn: &mut dyn Bare,
    insert_time: Duration,
    start_ms: i64,
    (mem_start, cpu_start): (crate::util::Mem, crate::util::Cpu),
) -> BoxResult<Value> {
    let count = args.count;
    let insert_end_ms = now_ms();
    let insert_rate = rate(count, insert_time);
    let already_due = due_by(args, start_ms, insert_end_ms);
    let mem_inserted = mem();
    let cpu_inserted = cpu();
    eprintln!(
        "bare: inserted in {:.2} s ({insert_rate:.0} rows/s); {} ms to the first due time; {already_due} already due",
        insert_time.as_secs_f64(),
        start_ms - insert_end_ms
    );

    let mut batches: Vec<Batch> = Vec::with_capacity(100_000);
    loop {
        let start_us = now_us();
        let n = conn.fire(start_us / 1000)?;
        batches.push(Batch { start_us, end_us: now_us(), fired: n });
        if i64::from(n) >= BATCH {
            continue;
        }
        match conn.next_due()? {
            None => break,
            Some(due) => {
                let wait_us = due * 1000 - now_us();
                if wait_us > 0 {
                    std::thread::sleep(Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)));
                }
            }
        }
    }
    let mem_fired = mem();
    let cpu_fired = cpu();
    let last_commit_us = batches.iter().filter(|b| b.fired > 0).map(|b| b.end_us).max().unwrap_or(0);

    let rows = conn.read_back()?;
    let last_due = rows.iter().map(|(due, _)| *due).max().unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let (last_commit_ms, last_due_ms) = (last_commit_us as f64 / 1000.0, last_due as f64);
    let mut matcher = CommitMatcher::new(&batches);
    #[allow(clippy::cast_precision_loss)]
    let mut late: Vec<f64> = rows.iter().map(|(due, fired)| (fired - due) as f64).collect();
    let mut commit_late: Vec<f64> = rows.iter().filter_map(|(due, _)| matcher.next(*due)).collect();
    let unfired = rows.iter().filter(|(_, f)| *f == i64::MIN).count();
    Ok(json!({
        "impl": "bare",
        "backend": match args.backend { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" },
        "count": count,
        "spread_secs": args.spread_secs,
        "insert": {
            "secs": insert_time.as_secs_f64(),
            "rows_per_s": insert_rate,
            "margin_ms": start_ms - insert_end_ms,
            "already_due": already_due,
        },
        "order": format!("{:?}", args.order).to_lowercase(),
        "cpu": { "insert": cpu_use(cpu_start, cpu_inserted), "fire": cpu_use(cpu_inserted, cpu_fired) },
        "fired": rows.len() - unfired,
        "lateness_ms": percentiles(&mut late),
        "commit_lateness_ms": percentiles(&mut commit_late),
        "last_commit_after_last_due_ms": last_commit_ms - last_due_ms,
        "batches": batch_stats(&batches, 500),
        "mem_kib": {
            "start": mem_start.rss_kib,
            "after_insert": mem_inserted.rss_kib,
            "after_fire": mem_fired.rss_kib,
            "peak": mem_fired.hwm_kib,
        },
    }))
}
