//! The `youying` binary itself: version, migrate, admin create from stdin,
//! evidence verify, and clear errors for bad database URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
