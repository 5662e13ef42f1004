//! 对接 between two real `youying serve` processes: site B offers its goods
//! through the open API, site A docks B and sells them under its own shop.

use reqwest::StatusCode;
use youying_testkit::TestDb;
use youying_testkit::site::{self, Site};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// The harness itself: a site survives SIGKILL with what it committed, on
/// the same address, and its database audits clean afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_survives_kill_9_on_the_same_address() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut b = Site::start(BIN, &db, dir.path());
    let buyer = b.buyer("kill9buyer").await;
    b.credit(&buyer, 5_000).await;
    let addr = b.addr.clone();
    b.restart();
    assert_eq!(b.addr, addr, "same port after a restart");
    let again = b.signed_in("kill9buyer").await;
    assert_eq!(b.balance(&again).await, 5_000);
    let (s, _) = b.get("/api/v1/wallet", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "sessions are in the database");
    b.kill();
    site::audit(&db).await;
}
