//! Faults survived, each against a real `youying serve` under checkout load:
//!
//! - the process killed with SIGKILL mid-load (SQLite and PostgreSQL): every
//!   acknowledged order is there after the restart, whole (its key, its
//!   payment, its deadline), no key is lost, every pending protection
//!   deadline fires exactly once, the ledger audit and `evidence verify` pass;
//! - PostgreSQL restarted (`-m fast`) and stopped dead then started again
//!   under load, on a private server the test owns: every request is answered
//!   201 or a clean 503 `{code: "unavailable"}` within a bound, the server
//!   reconnects by itself and sells again, nothing acknowledged is lost;
//! - the SQLite data dir's disk full (a tmpfs the test fills): checkouts are
//!   refused with 507 `{code: "storage_full"}`, reads still work, nothing is
//!   corrupted, and once space returns checkouts work again, no restart.
//!
//! The clock is the real one (a real process): the protection window is set
//! to a few seconds and the test polls, with a deadline, until it has passed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_testkit::TestDb;
use youying_testkit::TestUser;
use youying_testkit::faults::{PrivatePg, Tmpfs};
use youying_testkit::site::{self, Site};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// A request that takes longer than this is a hang, whatever it answers.
const ANSWER_BOUND: Duration = Duration::from_secs(10);

const PRICE_FEN: i64 = 100;

/// One shop selling one card-key product, and funded buyers.
struct Market {
    shop: i64,
    product: i64,
    keys: i64,
    buyers: Vec<TestUser>,
}

async fn market(site: &Site, tag: &str, keys: i64, buyers: usize) -> Market {
    let (owner, shop) = site.merchant(&format!("{tag}_owner"), &format!("{tag}故障店")).await;
    let text: String = (0..keys).map(|i| format!("{tag}-KEY-{i:06}\n")).collect();
    let product = site.card_product(&owner, shop, "故障测试卡", PRICE_FEN, &text).await;
    let mut list = Vec::new();
    for i in 0..buyers {
        let b = site.buyer(&format!("{tag}_buyer{i}")).await;
        site.credit(&b, PRICE_FEN * keys).await;
        list.push(b);
    }
    Market { shop, product, keys, buyers: list }
}

/// What one checkout got: the status, the body, how long it took; or the
/// transport error (the process gone).
#[derive(Debug)]
enum Answer {
    Got(StatusCode, Value, Duration),
    Lost(String),
}

/// Buyers checking out as fast as they can, each on its own task, until told
/// to stop (or, with `stop_on_loss`, until the process is gone).
struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    answers: Arc<Mutex<Vec<Answer>>>,
    /// 2xx answers so far, for "after N acknowledged".
    ok: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(site: &Site, m: &Market, per_buyer: usize, stop_on_loss: bool) -> Self {
        let client = reqwest::Client::builder().timeout(ANSWER_BOUND + Duration::from_secs(5)).build().unwrap();
        let load = Load {
            stop: Arc::default(),
            acked: Arc::default(),
            answers: Arc::default(),
            ok: Arc::default(),
            tasks: Vec::new(),
        };
        let mut tasks = Vec::new();
        for b in &m.buyers {
            for _ in 0..per_buyer {
                let (client, url, token, product) =
                    (client.clone(), site.url("/api/v1/orders"), b.token.clone(), m.product);
                let (stop, acked, answers, ok) =
                    (load.stop.clone(), load.acked.clone(), load.answers.clone(), load.ok.clone());
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let started = Instant::now();
                        let sent = client.post(&url).bearer_auth(&token).json(&json!({ "product_id": product })).send();
                        let answer = match sent.await {
                            Ok(r) => {
                                let status = r.status();
                                match r.text().await {
                                    Ok(t) => Answer::Got(
                                        status,
                                        serde_json::from_str(&t).unwrap_or(Value::String(t)),
                                        started.elapsed(),
                                    ),
                                    Err(e) => Answer::Lost(e.to_string()),
                                }
                            }
                            Err(e) => Answer::Lost(e.to_string()),
                        };
                        let lost = matches!(answer, Answer::Lost(_));
                        if let Answer::Got(s, body, _) = &answer
                            && s.is_success()
                        {
                            acked.lock().unwrap().push(body["order"]["no"].as_str().unwrap().to_owned());
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        answers.lock().unwrap().push(answer);
                        if lost && stop_on_loss {
                            break;
                        }
                    }
                }));
            }
        }
        Load { tasks, ..load }
    }

    /// Waits until `n` checkouts in all were acknowledged (panics after a minute).
    async fn until_acked(&self, n: usize, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.ok.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "{what}: only {} acknowledged", self.ok.load(Ordering::SeqCst));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn finish(self) -> (Vec<String>, Vec<Answer>) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            t.await.unwrap();
        }
        let acked = std::mem::take(&mut *self.acked.lock().unwrap());
        let answers = std::mem::take(&mut *self.answers.lock().unwrap());
        (acked, answers)
    }
}

/// Rows of a query over the test's database, every column cast to text by the
/// query itself (`CAST(x AS TEXT)`), so one reader serves both backends.
async fn rows(db: &TestDb, sql: &str) -> Vec<Vec<Option<String>>> {
    let sql = sql.to_owned();
    match db {
        TestDb::Sqlite { .. } => {
            let path = db.sqlite_path().unwrap();
            tokio::task::spawn_blocking(move || {
                let c = rusqlite::Connection::open(path).unwrap();
                let mut stmt = c.prepare(&sql).unwrap();
                let n = stmt.column_count();
                stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Option<String>>(i)).collect())
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            })
            .await
            .unwrap()
        }
        TestDb::Postgres { url, .. } => {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let out = c.query(&sql, &[]).unwrap();
                out.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect()
            })
            .await
            .unwrap()
        }
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    rows(db, sql).await[0][0].as_deref().unwrap().parse().unwrap()
}

/// Every order of the product, whole: (no, state, units, payments, releases,
/// deadlines, fired deadlines, completions, has its deadline id).
async fn orders_whole(db: &TestDb, product: i64) -> Vec<(String, String, [i64; 7])> {
    let sql = format!(
        "SELECT o.no, o.state, \
           CAST((SELECT COUNT(*) FROM order_units u WHERE u.order_id = o.id) AS TEXT), \
           CAST((SELECT COUNT(*) FROM ledger_entries e WHERE e.subject = 'order:' || o.no AND e.kind = 'order.pay') AS TEXT), \
           CAST((SELECT COUNT(*) FROM ledger_entries e WHERE e.subject = 'order:' || o.no AND e.kind = 'order.release') AS TEXT), \
           CAST((SELECT COUNT(*) FROM deadlines d WHERE d.subject = 'order:' || o.no) AS TEXT), \
           CAST((SELECT COUNT(*) FROM deadlines d WHERE d.subject = 'order:' || o.no AND d.state = 'fired') AS TEXT), \
           CAST((SELECT COUNT(*) FROM events v WHERE v.subject = 'order:' || o.no AND v.kind = 'order.completed') AS TEXT), \
           CAST((CASE WHEN o.deadline_id IS NULL THEN 0 ELSE 1 END) AS TEXT) \
         FROM orders o WHERE o.product_id = {product} ORDER BY o.id"
    );
    rows(db, &sql)
        .await
        .into_iter()
        .map(|r| {
            let n = |i: usize| r[i].as_deref().unwrap().parse::<i64>().unwrap();
            (r[0].clone().unwrap(), r[1].clone().unwrap(), [n(2), n(3), n(4), n(5), n(6), n(7), n(8)])
        })
        .collect()
}

/// One order is whole: its key, its payment, its deadline — linked while the
/// protection window runs, fired and the money released once it has ended.
fn whole(no: &str, state: &str, &[units, paid, released, deadlines, fired, completed, linked]: &[i64; 7]) {
    let expected = if state == "completed" { (1, 1, 1, 1, 1, 1, 0) } else { (1, 1, 0, 1, 0, 0, 1) };
    assert_eq!(
        (units, paid, released, deadlines, fired, completed, linked),
        expected,
        "order {no} ({state}) is half-written: units, payments, releases, deadlines, fired, completions, deadline link"
    );
}

/// Keys on sale now, as the shop's product list says.
async fn stock_left(site: &Site, m: &Market) -> i64 {
    let (s, list) = site.get(&format!("/api/v1/shops/{}/products", m.shop), None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let p = list.as_array().unwrap().iter().find(|p| p["id"] == m.product).cloned().unwrap();
    p["stock"].as_i64().unwrap()
}

/// Every acknowledged order is in the database; every order there has its key,
/// its payment and its deadline; no key was claimed outside an order.
async fn nothing_lost_nothing_half(db: &TestDb, site: &Site, m: &Market, acked: &[String]) {
    let orders = orders_whole(db, m.product).await;
    let present: std::collections::HashSet<&str> = orders.iter().map(|(no, _, _)| no.as_str()).collect();
    for no in acked {
        assert!(present.contains(no.as_str()), "acknowledged order {no} is missing after the fault");
    }
    for (no, state, counts) in &orders {
        whole(no, state, counts);
    }
    let sold = i64::try_from(orders.len()).unwrap();
    assert_eq!(stock_left(site, m).await + sold, m.keys, "keys on sale + keys in orders = keys imported");
}

/// The end state: the evidence chain verifies (the CLI, as an operator runs
/// it) and the ledger balances.
async fn verified(db: &TestDb, site: &Site) {
    let out = site.cli(&["evidence", "verify"], "");
    assert!(out.contains("evidence chain OK"), "{out}");
    site::audit(db).await;
}

async fn killed_under_checkout_load(db: &TestDb, tag: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site::start(BIN, db, dir.path());
    // The protection window, whose deadline every card-key order schedules:
    // long enough to be pending at the kill, short enough to wait for.
    const PROTECT_SECS: u64 = 4;
    site.rules(json!({ "protect_card_key_secs": PROTECT_SECS })).await;
    let m = market(&site, tag, 400, 4).await;
    let load = Load::start(&site, &m, 3, true);
    load.until_acked(60, "before the kill").await;
    site.kill();
    let killed = Instant::now();
    let (acked, answers) = load.finish().await;
    assert!(acked.len() >= 60, "{}", acked.len());
    let lost: Vec<&str> =
        answers.iter().filter_map(|a| if let Answer::Lost(e) = a { Some(e.as_str()) } else { None }).collect();
    assert!(!lost.is_empty() && lost.len() <= 12, "each buyer task lost its last request: {lost:?}");
    for a in &answers {
        if let Answer::Got(s, body, _) = a {
            assert!(s.is_success(), "before the kill every checkout succeeds: {s} {body}");
        }
    }
    let pending = count(
        db,
        &format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM deadlines d JOIN orders o ON d.id = o.deadline_id \
             WHERE o.product_id = {} AND d.state = 'pending'",
            m.product
        ),
    )
    .await;
    assert!(pending > 0, "some protection deadlines were pending at the kill");
    site.restart();
    // Right after the restart, before any deadline could have fired twice: whole.
    nothing_lost_nothing_half(db, &site, &m, &acked).await;
    // Every protection window ends on its own: each deadline fires once, the
    // order completes once, the money is released once.
    let done = Site::eventually(30 + PROTECT_SECS, || async {
        orders_whole(db, m.product).await.iter().all(|(_, state, _)| state == "completed")
    })
    .await;
    assert!(done, "protection deadlines did not all fire {:?} after the kill: {}", killed.elapsed(), site.log());
    for (no, _, [_, _, released, _, fired, completed, _]) in orders_whole(db, m.product).await {
        assert_eq!((fired, completed, released), (1, 1, 1), "order {no}: fired, completed, released exactly once");
    }
    nothing_lost_nothing_half(db, &site, &m, &acked).await;
    site.kill();
    verified(db, &site).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_checkout_load_loses_no_acknowledged_order_sqlite() {
    killed_under_checkout_load(&TestDb::sqlite(), "kills").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_checkout_load_loses_no_acknowledged_order_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    killed_under_checkout_load(&db, "killp").await;
}

/// A GET that must be answered within [`ANSWER_BOUND`] (a hang fails the test
/// with the process's log rather than blocking it).
async fn bounded_get(site: &Site, path: &str) -> (StatusCode, String) {
    let client = reqwest::Client::builder().timeout(ANSWER_BOUND).build().unwrap();
    match client.get(site.url(path)).send().await {
        Ok(r) => (r.status(), r.text().await.unwrap_or_default()),
        Err(e) => panic!("GET {path} was not answered within {ANSWER_BOUND:?}: {e}\n{}", site.log()),
    }
}

/// Every answer is a 201 or a clean 503 `{code: "unavailable", message}`, in
/// bounded time; the process never went away. Returns how many were 503.
fn clean_answers(answers: &[Answer], phase: &str) -> usize {
    let mut unavailable = 0;
    for a in answers {
        match a {
            Answer::Got(s, _, took) if s.is_success() => assert!(*took < ANSWER_BOUND, "{phase}: a 201 took {took:?}"),
            Answer::Got(StatusCode::SERVICE_UNAVAILABLE, body, took) => {
                assert!(*took < ANSWER_BOUND, "{phase}: a 503 took {took:?} (a hang)");
                assert_eq!(body["code"], "unavailable", "{phase}: {body}");
                let message = body["message"].as_str().unwrap_or_default();
                assert!(message.contains("数据库暂时无法连接"), "{phase}: {body}");
                unavailable += 1;
            }
            other => panic!("{phase}: neither a 201 nor a clean 503: {other:?}"),
        }
    }
    unavailable
}

/// Waits until every buyer's task got a 201 after `since` answers had been
/// given: service resumed for all, without restarting youying.
async fn resumed(load: &Load, since: usize, phase: &str, site: &Site) {
    let need = since + 2 * load.tasks.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok_after = load.answers.lock().unwrap()[since..]
            .iter()
            .filter(|a| matches!(a, Answer::Got(s, ..) if s.is_success()))
            .count();
        if ok_after >= need - since {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{phase}: service did not resume ({ok_after} checkouts since): {:?}\n{}",
            load.answers.lock().unwrap().last(),
            site.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_checkout_load_answers_503_reconnects_and_loses_nothing() {
    let Some(pg) = tokio::task::spawn_blocking(PrivatePg::start).await.unwrap() else { return };
    let pg = Arc::new(pg);
    let db = pg.database("faults");
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site::start(BIN, &db, dir.path());
    let m = market(&site, "pgre", 2_000, 3).await;
    let load = Load::start(&site, &m, 2, false);
    load.until_acked(30, "before the restart").await;

    // 1. `pg_ctl restart -m fast` while buyers check out.
    let before = load.answers.lock().unwrap().len();
    let p = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || p.restart_fast()).await.unwrap();
    resumed(&load, before, "restart -m fast", &site).await;

    // 2. Stopped dead (no checkpoint, as in a crash), down until buyers were
    //    told so, then started again (crash recovery).
    let p = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || p.stop_immediate()).await.unwrap();
    let down_from = load.answers.lock().unwrap().len();
    let told = Site::eventually(20, || async {
        load.answers.lock().unwrap()[down_from..]
            .iter()
            .filter(|a| matches!(a, Answer::Got(StatusCode::SERVICE_UNAVAILABLE, ..)))
            .count()
            >= 3
    })
    .await;
    assert!(told, "no 503 while PostgreSQL was down: {:?}", &load.answers.lock().unwrap()[down_from..]);
    // The health check and a page say so too, in bounded time.
    let (s, h) = bounded_get(&site, "/healthz").await;
    let h: Value = serde_json::from_str(&h).unwrap_or(Value::String(h));
    assert_eq!(
        (s, h["code"].as_str(), h["database"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"), Some("down")),
        "{h}"
    );
    let (s, page) = bounded_get(&site, &format!("/products/{}", m.product)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(page.contains("服务暂时不可用") && page.contains("数据库暂时无法连接"), "{page}");
    let p = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || p.start_again()).await.unwrap();
    let since = load.answers.lock().unwrap().len();
    resumed(&load, since, "stop -m immediate, start", &site).await;
    let (s, h) = bounded_get(&site, "/healthz").await;
    assert_eq!(s, StatusCode::OK, "{h}");

    let (acked, answers) = load.finish().await;
    let unavailable = clean_answers(&answers, "PostgreSQL restarted under load");
    assert!(unavailable >= 3, "{unavailable}");
    nothing_lost_nothing_half(&db, &site, &m, &acked).await;
    site.kill();
    verified(&db, &site).await;
    eprintln!(
        "postgres restarted under load: {} checkouts acknowledged, {unavailable} answered 503, none lost",
        acked.len()
    );
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_checkouts_keeps_reads_and_recovers_sqlite() {
    let db = TestDb::sqlite();
    let data = db.sqlite_path().unwrap().parent().unwrap().to_owned();
    // Declared after `db`: unmounted before the directory is removed.
    let disk = match Tmpfs::mount(&data, 32 << 20) {
        Ok(d) => d,
        Err(why) => {
            assert!(!youying_store::testing::pg_required(), "CI=true: the disk-full test cannot run: {why}");
            eprintln!("SKIPPED (loudly): the disk-full test needs to mount a tmpfs: {why}");
            return;
        }
    };
    let mut site = Site::start(BIN, &db, &data);
    let m = market(&site, "full", 300, 1).await;
    let buyer = &m.buyers[0];
    let mut acked = Vec::new();
    for _ in 0..3 {
        let (s, o) = site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": m.product })).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        acked.push(o["order"]["no"].as_str().unwrap().to_owned());
    }
    let balance = site.balance(buyer).await;

    let filler = disk.fill();
    // Writes until the database needs a page it cannot have: refused whole.
    let mut refused = None;
    for _ in 0..200 {
        let (s, o) = site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": m.product })).await;
        match s {
            StatusCode::CREATED => acked.push(o["order"]["no"].as_str().unwrap().to_owned()),
            StatusCode::INSUFFICIENT_STORAGE => {
                refused = Some(o);
                break;
            }
            other => panic!("a full disk answered {other}: {o}\n{}", site.log()),
        }
    }
    let refused = refused.unwrap_or_else(|| panic!("200 checkouts on a full disk were all accepted"));
    assert_eq!(refused["code"], "storage_full", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("存储空间已满"), "{refused}");
    // Reads keep working: the wallet (nothing taken for the refused order),
    // the orders, the shop.
    let paid = i64::try_from(acked.len()).unwrap() * PRICE_FEN;
    assert_eq!(site.balance(buyer).await, balance - (paid - 3 * PRICE_FEN), "the refusal took no money");
    let (s, list) = site.get("/api/v1/orders", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let (s, one) = site.get(&format!("/api/v1/orders/{}", acked[0]), Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(stock_left(&site, &m).await, m.keys - i64::try_from(acked.len()).unwrap());

    // Space returns: checkouts work again, the same process.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, o) = site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": m.product })).await;
        if s == StatusCode::CREATED {
            acked.push(o["order"]["no"].as_str().unwrap().to_owned());
            break;
        }
        assert_eq!(s, StatusCode::INSUFFICIENT_STORAGE, "{o}");
        assert!(Instant::now() < deadline, "checkouts did not resume after the disk was freed: {}", site.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    site.kill();

    // Nothing corrupted.
    let path = db.sqlite_path().unwrap();
    let check: String =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let orders = orders_whole(&db, m.product).await;
    for no in &acked {
        assert!(orders.iter().any(|(n, _, _)| n == no), "acknowledged order {no} missing");
    }
    for (no, state, counts) in &orders {
        whole(no, state, counts);
    }
    verified(&db, &site).await;
    drop(site);
    drop(disk);
}
