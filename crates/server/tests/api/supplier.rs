//! The HTTP JSON supplier adapter against the fake supplier: every outcome,
//! and "unknown" is never mistaken for a failure.

use youying_core::FakeClock;
use youying_dock::supplier::{Outcome, Supplier};
use youying_server::fakesupplier::Mode;
use youying_server::supplier::{HttpJsonSupplier, Refusal, Topup};
use youying_testkit::T0;
use youying_testkit::fakesupplier::SupplierServer;

fn topup<'a>(no: &'a str, account: &'a str, notify_url: &'a str) -> Topup<'a> {
    Topup { out_order_no: no, sku: "QB100", quantity: 1, account, notify_url }
}

fn http() -> reqwest::Client {
    youying_server::state::tls_ready();
    reqwest::Client::new()
}

#[tokio::test]
async fn every_answer_of_the_fake_supplier_is_read_right() {
    let clock = FakeClock::at(T0);
    let sup = SupplierServer::start(clock.clone()).await;
    let a = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, &sup.secret);
    let (http, now) = (http(), T0.secs());

    let done = a.place(&http, &topup("T1", "123456", ""), now).await;
    assert!(matches!(done, Ok(Outcome::Success { ref proof, .. }) if proof.contains("S000001")), "{done:?}");
    // The same number again: the same order, not a second one.
    let again = a.place(&http, &topup("T1", "123456", ""), now).await;
    assert_eq!(again, done);
    assert_eq!(sup.fake.orders().len(), 1);
    assert_eq!(sup.fake.order("T1").map(|o| o.creates), Some(2));

    sup.fake.set_mode(Mode::Processing);
    assert_eq!(a.place(&http, &topup("T2", "123456", ""), now).await, Ok(Outcome::Unknown));
    assert_eq!(a.query(&http, "T2", now).await, Ok(Outcome::Unknown), "processing is asked again");
    sup.fake.complete("T2", "failed").await;
    assert!(matches!(a.query(&http, "T2", now).await, Ok(Outcome::Failed { .. })));
    assert_eq!(a.query(&http, "T404", now).await, Ok(Outcome::NotFound));

    sup.fake.set_mode(Mode::Refuse);
    assert_eq!(
        a.place(&http, &topup("T3", "123456", ""), now).await,
        Err(Refusal { code: 1001, message: "余额不足".into() })
    );
    assert!(sup.fake.order("T3").is_none(), "a refusal takes nothing");

    sup.fake.set_mode(Mode::TakeThenFail);
    assert_eq!(a.place(&http, &topup("T4", "123456", ""), now).await, Ok(Outcome::Unknown));
    assert!(sup.fake.order("T4").is_some(), "taken although the answer failed: unknown, not failed");

    sup.fake.set_mode(Mode::Down);
    assert_eq!(a.query(&http, "T4", now).await, Ok(Outcome::Unknown));
    let gone = HttpJsonSupplier::new("http://127.0.0.1:1", &sup.app_id, &sup.secret);
    assert_eq!(gone.place(&http, &topup("T5", "1", ""), now).await, Ok(Outcome::Unknown));

    // A request signed with another secret, or too old, is refused by the supplier.
    sup.fake.set_mode(Mode::Instant);
    let forged = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, "wrong-secret");
    assert!(matches!(forged.place(&http, &topup("T6", "1", ""), now).await, Err(Refusal { code: 401, .. })));
    assert!(matches!(a.place(&http, &topup("T7", "1", ""), now - 61).await, Err(Refusal { code: 401, .. })));
    assert!(sup.fake.order("T6").is_none() && sup.fake.order("T7").is_none());
}

#[tokio::test]
async fn completion_is_called_back_signed_unless_lost() {
    let clock = FakeClock::at(T0);
    let sup = SupplierServer::start(clock.clone()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let receiver = axum::Router::new().route(
        "/cb",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(v);
                "success"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    sup.fake.set_mode(Mode::Processing);
    let a = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, &sup.secret);
    a.place(&http(), &topup("C1", "123456", &cb), T0.secs()).await.unwrap();
    assert_eq!(sup.fake.complete("C1", "success").await, Some(200));
    let body = rx.recv().await.unwrap();
    let ours = Supplier::new(&sup.app_id, &sup.secret);
    let (no, outcome) = ours.callback(&body, T0.secs()).unwrap();
    assert_eq!(no, "C1");
    assert!(matches!(outcome, Outcome::Success { .. }));
    assert!(Supplier::new(&sup.app_id, "other").callback(&body, T0.secs()).is_err(), "signed with the shared secret");

    sup.fake.lose_callbacks(true);
    a.place(&http(), &topup("C2", "123456", &cb), T0.secs()).await.unwrap();
    assert_eq!(sup.fake.complete("C2", "success").await, None);
    assert!(matches!(a.query(&http(), "C2", T0.secs()).await, Ok(Outcome::Success { .. })), "polling finds it");
}
