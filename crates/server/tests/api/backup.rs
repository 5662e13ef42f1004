//! `youying backup` and `youying restore` on real processes: a backup taken
//! while a shop sells restores into a fresh place, verifies, and serves the
//! orders and their keys again (the master key came along); the scheduled
//! backup is "yesterday's backup" — restored, the later orders are absent —
//! and keeps only the newest N; and every damaged or wrong input is refused
//! with nothing written.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_testkit::site::Site;
use youying_testkit::{PASSWORD, TestDb, TestUser};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// Runs the binary with `args`; returns its exit code and output.
fn youying(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("YOUYING_LOG", "warn")
        .env_remove("YOUYING_MASTER_KEY")
        .env_remove("YOUYING_DATABASE_URL")
        .env_remove("YOUYING_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn youying");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

async fn youying_async(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || youying(&args.iter().map(String::as_str).collect::<Vec<_>>(), ""))
        .await
        .unwrap()
}

/// Where a restore goes: a fresh data dir, and for PostgreSQL a new, empty database.
struct Fresh {
    data: PathBuf,
    db: Option<TestDb>,
}

impl Fresh {
    async fn like(db: &TestDb, dir: &Path) -> Self {
        let data = dir.join("restored");
        match db {
            TestDb::Sqlite { .. } => Fresh { data, db: None },
            TestDb::Postgres { .. } => {
                let db = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap().expect("a second database");
                Fresh { data, db: Some(db) }
            }
        }
    }

    fn url(&self) -> String {
        match &self.db {
            Some(db) => db.url(),
            None => format!("sqlite://{}", self.data.join("youying.db").display()),
        }
    }

    async fn restore(&self, file: &Path) -> (i32, String) {
        let mut args = vec!["restore".into(), "--from".into(), file.display().to_string()];
        args.extend(["--data-dir".into(), self.data.display().to_string()]);
        if let Some(db) = &self.db {
            args.extend(["--database-url".into(), db.url()]);
        }
        youying_async(args).await
    }
}

/// A shop with `keys` card keys at 1 yuan and a buyer who can buy them all.
async fn shop(site: &Site, keys: usize) -> (TestUser, i64) {
    let (owner, shop) = site.merchant("bk_owner", "备份测试店").await;
    let list: String = (1..=keys).map(|i| format!("BK-{i:04} SECRET-{i:04}\n")).collect();
    let product = site.card_product(&owner, shop, "备份测试卡", 100, &list).await;
    let buyer = site.buyer("bk_buyer").await;
    site.credit(&buyer, 100 * keys as i64).await;
    (buyer, product)
}

async fn buy(site: &Site, buyer: &TestUser, product: i64) -> String {
    let (s, o) = site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product })).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["order"]["no"].as_str().unwrap().to_owned()
}

/// The restored site shows the order and opens its key (so the key came along).
async fn reads_order_and_key(site: &Site, no: &str) {
    let buyer = site.signed_in("bk_buyer").await;
    let (s, o) = site.get(&format!("/api/v1/orders/{no}"), Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let (s, r) = site.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let code = r["units"][0]["code"].as_str().unwrap_or_default();
    assert!(code.starts_with("BK-"), "the key opens after the restore: {r}");
    let secret = r["units"][0]["secret"].as_str().unwrap_or_default();
    assert_eq!(secret, code.replace("BK-", "SECRET-"), "{r}");
}

async fn backup_while_serving(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut site = Site::start_keyed(BIN, &db.url(), &data, &[], true);
    let (buyer, product) = shop(&site, 30).await;
    let first = buy(&site, &buyer, product).await;
    // Orders keep coming while the backup runs.
    let file = dir.path().join("shop.backup");
    let args: Vec<String> = ["backup", "--to", &file.display().to_string(), "--data-dir", &data.display().to_string()]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["--database-url".to_owned(), db.url()])
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let selling = async {
        let mut sold = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) && sold < 25 {
            buy(&site, &buyer, product).await;
            sold += 1;
        }
    };
    let backing_up = async {
        let out = youying_async(args).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        out
    };
    let ((code, out), ()) = tokio::join!(backing_up, selling);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("backup written") && out.contains("holds the master key"), "{out}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup holds the key");
    site.kill();

    let fresh = Fresh::like(&db, dir.path()).await;
    let (code, out) = fresh.restore(&file).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified") && out.contains("done"), "{out}");
    let mut restored = Site::start_keyed(BIN, &fresh.url(), &fresh.data, &[], false);
    reads_order_and_key(&restored, &first).await;
    restored.kill();
    youying_testkit::site::audit(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_verifies_and_serves_sqlite() {
    backup_while_serving(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_verifies_and_serves_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    backup_while_serving(db).await;
}

fn backups_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.retain(|n| n.starts_with("youying-") && n.ends_with(".backup"));
    names.sort();
    names
}

/// The scheduled backup: one made after an order is restored into a fresh dir
/// once more orders happened — it verifies and audits, and holds the early
/// order but not the later one. With keep=2 only the newest two remain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yesterdays_scheduled_backup_restores_without_the_later_orders_and_only_the_newest_are_kept() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let (data, backups) = (dir.path().join("data"), dir.path().join("backups"));
    let env = [
        ("YOUYING_BACKUP_DIR", backups.to_str().unwrap()),
        ("YOUYING_BACKUP_EVERY", "1s"),
        ("YOUYING_BACKUP_KEEP", "2"),
    ];
    let mut site = Site::start_keyed(BIN, &db.url(), &data, &env, true);
    let (buyer, product) = shop(&site, 5).await;
    let early = buy(&site, &buyer, product).await;
    // A backup whose tick came after the order was acknowledged holds it:
    // names carry the tick's second, so wait for a later second.
    let acked = youying_server::backup::utc_stamp(now_ms(), "", "-", "", "");
    let yesterday = dir.path().join("yesterday.backup");
    let mut seen = std::collections::BTreeSet::new();
    let copied = Site::eventually(60, || {
        let names = backups_in(&backups);
        seen.extend(names.iter().cloned());
        let later = names.iter().find(|n| n.as_str() > format!("youying-{acked}.backup").as_str()).cloned();
        let ok = later.is_some_and(|n| std::fs::copy(backups.join(n), &yesterday).is_ok());
        async move { ok }
    })
    .await;
    assert!(copied, "no scheduled backup appeared: {}", site.log());
    let late = buy(&site, &buyer, product).await;
    // Retention: after three or more backups, only the newest two remain.
    let kept = Site::eventually(60, || {
        let names = backups_in(&backups);
        seen.extend(names.iter().cloned());
        let newest: Vec<&String> = seen.iter().rev().take(2).collect();
        let ok = seen.len() >= 3 && names.len() == 2 && names.iter().rev().collect::<Vec<_>>() == newest;
        async move { ok }
    })
    .await;
    assert!(kept, "seen {seen:?}, now {:?}", backups_in(&backups));
    let metrics = reqwest::get(site.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("youying_backup_last_success_timestamp_seconds"), "{metrics}");
    assert!(metrics.contains("youying_backup_failures_total 0"), "{metrics}");
    site.kill();

    let fresh = Fresh::like(&db, dir.path()).await;
    let (code, out) = fresh.restore(&yesterday).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified") && out.contains("ledger audit OK"), "{out}");
    let mut restored = Site::start_keyed(BIN, &fresh.url(), &fresh.data, &[], false);
    reads_order_and_key(&restored, &early).await;
    let buyer = restored.signed_in("bk_buyer").await;
    let (s, o) = restored.get(&format!("/api/v1/orders/{late}"), Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the later order is not in yesterday's backup: {o}");
    restored.kill();
    youying_testkit::site::audit(&db).await;
}

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(d.as_millis()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_for_the_embedded_database_only() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (data, url) = (dir.path().join("data"), db.url());
    let backups = dir.path().join("b").display().to_string();
    let (code, out) = youying_async(
        ["serve", "--bind", "127.0.0.1:0", "--database-url", &url, "--data-dir", &data.display().to_string()]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(["--backup-dir".to_owned(), backups])
            .collect(),
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("youying backup --to FILE"), "{out}");
}

fn sh(args: &[&str]) -> (i32, String) {
    youying(args, "")
}

/// A data dir with an admin (so the chain has events) and its backup.
fn backed_up(dir: &Path, extra: &[&str]) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    let d = data.to_str().unwrap();
    let mut args =
        vec!["admin", "create", "--username", "root", "--role", "admin", "--password-stdin", "--data-dir", d];
    args.extend(extra);
    let (code, out) = youying(&args, &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{out}");
    let file = dir.join("b.backup");
    let mut args = vec!["backup", "--to", file.to_str().unwrap(), "--data-dir", d];
    args.extend(extra);
    let (code, out) = sh(&args);
    assert_eq!(code, 0, "{out}");
    (data, file)
}

#[test]
fn damaged_or_wrong_backups_and_targets_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file) = backed_up(dir.path(), &[]);
    let original = std::fs::read(&file).unwrap();
    let target = dir.path().join("target");
    let t = target.to_str().unwrap();

    let (code, out) = sh(&["backup", "--to", file.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(std::fs::read(&file).unwrap(), original, "an existing file is never overwritten");

    let (code, out) = sh(&["restore", "--from", file.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(out.contains("is not empty"), "{out}");

    // One byte changed in the database copy (the biggest member, mid-file).
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let changed = dir.path().join("changed.backup");
    std::fs::write(&changed, &bytes).unwrap();
    let (code, out) = sh(&["restore", "--from", changed.to_str().unwrap(), "--data-dir", t]);
    assert_ne!(code, 0);
    assert!(out.contains("member youying.db"), "the checksum names the member: {out}");
    assert!(!target.exists(), "nothing written");

    let truncated = dir.path().join("truncated.backup");
    std::fs::write(&truncated, &original[..original.len() / 2]).unwrap();
    let (code, out) = sh(&["restore", "--from", truncated.to_str().unwrap(), "--data-dir", t]);
    assert_ne!(code, 0);
    assert!(out.contains("truncated"), "{out}");
    assert!(!target.exists(), "nothing written");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a backup").unwrap();
    let (code, out) = sh(&["restore", "--from", text.to_str().unwrap(), "--data-dir", t]);
    assert_ne!(code, 0);
    assert!(out.contains("not a youying backup"), "{out}");
    assert!(!target.exists(), "nothing written");

    // Consistent checksums over a tampered database: the chain check after
    // the restore fails it, and what was written is removed again.
    let forged = dir.path().join("forged.backup");
    forge(&file, &forged);
    let (code, out) = sh(&["restore", "--from", forged.to_str().unwrap(), "--data-dir", t]);
    assert_ne!(code, 0);
    assert!(out.contains("evidence chain does not verify") && out.contains("nothing was left behind"), "{out}");
    assert!(!target.exists(), "the partial restore is removed");

    let (code, out) = sh(&["restore", "--from", file.to_str().unwrap(), "--data-dir", t]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified"), "{out}");
}

/// A copy of `file` whose database has its first event altered and whose
/// manifest is rewritten to match: only the evidence check can tell.
fn forge(file: &Path, out: &Path) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut manifest: Value = {
        let mut s = String::new();
        zip.by_name("manifest.json").unwrap().read_to_string(&mut s).unwrap();
        serde_json::from_str(&s).unwrap()
    };
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("youying.db");
    std::io::copy(&mut zip.by_name("youying.db").unwrap(), &mut std::fs::File::create(&db).unwrap()).unwrap();
    let mut key = Vec::new();
    zip.by_name("master.key").unwrap().read_to_end(&mut key).unwrap();
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("DROP TRIGGER events_no_update; UPDATE events SET payload = '{\"role\":\"buyer\"}' WHERE seq = 1;")
        .unwrap();
    drop(c);
    let bytes = std::fs::read(&db).unwrap();
    for m in manifest["members"].as_array_mut().unwrap() {
        let body = if m["name"] == "youying.db" { &bytes } else { &key };
        m["size"] = json!(body.len());
        m["sha256"] = json!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)));
    }
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in [
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
        ("youying.db", bytes.clone()),
        ("master.key", key.clone()),
    ] {
        w.start_file(name, opts).unwrap();
        w.write_all(&body).unwrap();
    }
    w.finish().unwrap();
}

/// A key given on the command line is not put in the file: the restore asks
/// for it, refuses a different one, and takes the same one.
#[test]
fn a_key_from_the_command_line_stays_out_of_the_backup_and_the_restore_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = "17".repeat(32);
    let (_, file) = backed_up(dir.path(), &["--master-key", &key]);
    let (f, target) = (file.to_str().unwrap(), dir.path().join("target"));
    let t = target.to_str().unwrap();
    let (code, out) = sh(&["restore", "--from", f, "--data-dir", t]);
    assert_ne!(code, 0);
    assert!(out.contains("master key is not in this backup"), "{out}");
    let (code, out) = sh(&["restore", "--from", f, "--data-dir", t, "--master-key", &"18".repeat(32)]);
    assert_ne!(code, 0);
    assert!(out.contains("not the key this backup was made with"), "{out}");
    assert!(!target.exists(), "nothing written");
    let (code, out) = sh(&["restore", "--from", f, "--data-dir", t, "--master-key", &key]);
    assert_eq!(code, 0, "{out}");
    assert!(!target.join("master.key").exists(), "the key was never in the file");
}
