//! The `youying` binary itself: version, migrate, admin create from stdin,
//! evidence verify, the help bot, and clear errors for bad database URLs.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("YOUYING_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn youying");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn version_is_printed() {
    let (code, out) = run(&["--version"], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("youying 0."), "{out}");
}

#[test]
fn bad_database_urls_are_clear_errors_not_new_databases() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let url = format!("sqlite://{}", missing.display());
    let (code, out) = run(&["migrate", "--database-url", &url], None);
    assert_ne!(code, 0);
    assert!(out.contains("does not exist"), "{out}");
    assert!(!missing.exists(), "no empty database was created");
    let (code, out) = run(&["migrate", "--database-url", "mysql://root@localhost/x"], None);
    assert_ne!(code, 0);
    assert!(out.contains("unknown database URL scheme"), "{out}");
    let (code, out) = run(&["migrate", "--database-url", "postgres://nobody:secret-pw@127.0.0.1:1/none"], None);
    assert_ne!(code, 0);
    assert!(!out.contains("secret-pw"), "passwords never reach the output: {out}");
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_verify_catches_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (code, out) = run(&["migrate", "--data-dir", data], None);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(
        &["admin", "create", "--username", "root", "--role", "admin", "--password-stdin", "--data-dir", data],
        Some("s3cret-pass\n"),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("created admin root"), "{out}");
    let (code, out) = run(
        &["admin", "create", "--username", "kf", "--role", "buyer", "--password-stdin", "--data-dir", data],
        Some("s3cret-pass"),
    );
    assert_ne!(code, 0, "only admin or agent: {out}");
    let (code, out) = run(
        &["admin", "create", "--username", "weak", "--role", "agent", "--password-stdin", "--data-dir", data],
        Some("short"),
    );
    assert_ne!(code, 0);
    assert!(out.contains("weak_password"), "{out}");
    let (code, out) = run(
        &["admin", "create", "--username", "kefu", "--role", "agent", "--password-stdin", "--data-dir", data],
        Some("s3cret-pass"),
    );
    assert_eq!(code, 0, "{out}");

    let (code, out) = run(&["evidence", "verify", "--data-dir", data], None);
    assert_eq!((code, out.contains("evidence chain OK: 2 events verified")), (0, true), "{out}");

    tamper(&dir.path().join("youying.db"));
    let (code, out) = run(&["evidence", "verify", "--data-dir", data], None);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("BROKEN at event 1"), "{out}");
}

/// Edits the first event behind the application's back, as someone with
/// access to the database file could.
fn tamper(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("DROP TRIGGER events_no_update; UPDATE events SET payload = '{\"role\":\"buyer\"}' WHERE seq = 1;")
        .unwrap();
}

#[test]
fn stock_import_from_the_command_line_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (code, out) = run(&["migrate", "--data-dir", data], None);
    assert_eq!(code, 0, "{out}");
    seed_product(&dir.path().join("youying.db"));
    let good = dir.path().join("good.txt");
    std::fs::write(&good, (0..2_000).map(|i| format!("CLI-{i:05}----pw{i}\n")).collect::<String>()).unwrap();
    let (code, out) = run(&["stock", "import", "--product", "1", "--data-dir", data, good.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2000 lines read, 2000 imported"), "{out}");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "CLI-00001\nNEW-1\nx y z\n").unwrap();
    let (code, out) = run(&["stock", "import", "--product", "1", "--data-dir", data, bad.to_str().unwrap()], None);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 3: too_many_parts") && out.contains("nothing imported"), "{out}");
    assert!(!out.contains("CLI-00001"), "keys never echoed: {out}");
    let (code, out) = run(&["stock", "import", "--product", "99", "--data-dir", data, good.to_str().unwrap()], None);
    assert_ne!(code, 0, "{out}");
    let (code, out) = run(&["evidence", "verify", "--data-dir", data], None);
    assert_eq!(code, 0, "{out}");
}

/// A shop with one card-key product, written straight into a fresh database.
fn seed_product(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "INSERT INTO users (id, username, username_key, role, password_hash, created_at) VALUES (1, 'owner', 'owner', 'buyer', 'x', 0);
         INSERT INTO shops (id, name, name_key, owner_id, created_at) VALUES (1, 'CLI店', 'cli店', 1, 0);
         INSERT INTO products (id, shop_id, category, kind, title, price_fen, spec, on_sale, created_at, updated_at)
         VALUES (1, 1, 'game_card', 'card_key', '点卡', 100,
           '{\"category\":\"game_card\",\"kind\":\"card_key\",\"title\":\"点卡\",\"description\":\"\",\"instructions\":\"\",\"price_fen\":100,\"tiers\":[],\"promises\":[],\"topup_promise_secs\":null,\"topup_fields\":[],\"account_attrs\":[],\"max_per_order\":100}',
           1, 0, 0);",
    )
    .unwrap();
}

#[test]
fn smtp_settings_are_checked_at_start_and_their_password_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let serve = |url: &str, from: &str| {
        run(&["serve", "--bind", "127.0.0.1:0", "--data-dir", data, "--smtp-url", url, "--mail-from", from], None)
    };
    let (code, out) = serve("ftp://kf:secret-pw@mail.example.com", "有应 <noreply@localhost>");
    assert_ne!(code, 0);
    assert!(out.contains("smtp://") && out.contains("kf:***@") && !out.contains("secret-pw"), "{out}");
    let (code, out) = serve("smtp://kf:secret-pw@mail.example.com?tls=sometimes", "有应 <noreply@localhost>");
    assert_ne!(code, 0);
    assert!(!out.contains("secret-pw"), "{out}");
    let (code, out) = serve("smtp://kf:secret-pw@mail.example.com", "not an address");
    assert_ne!(code, 0);
    assert!(out.contains("--mail-from") && !out.contains("secret-pw"), "{out}");
}

/// A good configuration starts the mail loop and logs where mail goes, with
/// the password hidden.
#[test]
fn a_configured_mailer_logs_its_server_without_the_password() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()])
        .env("YOUYING_LOG", "info")
        .env("YOUYING_SMTP_URL", "smtp://kf:secret-pw@127.0.0.1:1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn youying");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !seen.iter().any(|l: &String| l.contains("mail notifications on")) && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let out = seen.join("\n");
    assert!(out.contains("mail notifications on") && out.contains("smtp://kf:***@127.0.0.1:1"), "{out}");
    assert!(!out.contains("secret-pw"), "{out}");
}

#[test]
fn bot_eval_reports_the_held_back_split_and_ask_answers_in_json() {
    let split = concat!(env!("CARGO_MANIFEST_DIR"), "/../bot/data/test.tsv");
    let (code, out) = run(&["bot", "eval", split], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("accuracy:") && out.contains("hand-off recall, human: 100.0 %"), "{out}");
    assert!(out.contains("| key_invalid |") && out.contains("confusion"), "{out}");

    let (code, out) = run(&["bot", "ask", "转人工"], None);
    assert_eq!(code, 0, "{out}");
    let reply: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!((reply["intent"].as_str(), reply["handoff"].as_bool()), (Some("human"), Some(true)), "{out}");
    assert_eq!(reply["buttons"], serde_json::json!(["已解决", "转人工"]));

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (code, out) = run(&["migrate", "--data-dir", data], None);
    assert_eq!(code, 0, "{out}");
    seed_product(&dir.path().join("youying.db"));
    let (code, out) = run(&["bot", "ask", "这个多少钱", "--product", "1", "--data-dir", data], None);
    assert_eq!(code, 0, "{out}");
    let reply: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(reply["intent"], "price", "{out}");
    assert!(reply["answer"].as_str().unwrap().contains("¥1.00"), "the listed price: {out}");
    let (code, out) = run(&["bot", "ask", "多少钱"], None);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('¥'), "no product, no number: {out}");
}
