//! The deadline scheduler loop against real servers: deadlines that fell due
//! while no server ran fire right after start, and two instances sharing one
//! PostgreSQL database fire each deadline exactly once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use youying_core::FakeClock;
use youying_core::deadline::{DeadlineKind, NewDeadline};
use youying_core::ports::Store;
use youying_testkit::{T0, TestApp, TestDb};

/// Polls (never a fixed sleep) until no deadline is pending, for up to 20 s.
async fn until_none_pending<S: Store>(app: &TestApp<S>) {
    for _ in 0..400 {
        if app.app.store.read(|tx| tx.pending_deadlines()).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deadlines still pending after 20 s");
}

async fn fires_after_restart<S: Store>(first: S, second: S) {
    let before = TestApp::start(first, FakeClock::at(T0), false).await;
    let (owner, shop) = before.merchant("owner_restart", "重启店").await;
    let (s, _) = before.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    before.stop().await;

    // Eight days pass with no server running; the new one starts with its loop on.
    let after = TestApp::start(second, FakeClock::at(T0.plus_secs(8 * 86_400)), true).await;
    until_none_pending(&after).await;
    let kinds = after.events_about(&format!("shop:{shop}")).await;
    assert_eq!(kinds.iter().filter(|k| *k == "shop.invite_expired").count(), 1, "{kinds:?}");
    after.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_deadlines_fire_right_after_start_sqlite() {
    let db = TestDb::sqlite();
    fires_after_restart(db.open_sqlite().unwrap(), db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_deadlines_fire_right_after_start_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    fires_after_restart(db.open_postgres(4).await.unwrap(), db.open_postgres(4).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_fire_each_deadline_once() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let clock = FakeClock::at(T0);
    let a = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), true).await;
    let b = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), true).await;
    const N: i64 = 2_000;
    a.app
        .store
        .write(|tx| {
            for i in 0..N {
                let d = NewDeadline {
                    kind: DeadlineKind::Probe,
                    subject: format!("probe:{i}"),
                    due_at: T0.plus_secs(60),
                    created_at: T0,
                    payload: json!({}),
                };
                tx.schedule(&d)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    // A shop invite too, so a real handler runs under the same contention.
    let (owner, shop) = b.merchant("owner_pg2", "双实例店").await;
    b.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    clock.advance_secs(8 * 86_400);
    until_none_pending(&a).await;
    let fired = a
        .app
        .store
        .read(|tx| {
            let mut ids = Vec::new();
            for e in tx.events_after(0, 1_000_000)? {
                ids.extend(youying_core::deadline::fired_records(&e.kind, &e.payload)?.into_iter().map(|r| r.id));
            }
            let all = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), all, "no deadline recorded as fired twice");
            Ok(all)
        })
        .await
        .unwrap();
    assert_eq!(fired, N as usize + 1, "every deadline fired exactly once across both instances");
    let kinds = b.events_about(&format!("shop:{shop}")).await;
    assert_eq!(kinds.iter().filter(|k| *k == "shop.invite_expired").count(), 1);
    a.audit().await;
}
