//! The fake 易支付 gateway, driven with our own epay crate as a merchant would:
//! pay URLs open its cashier, paying notifies a tiny receiver with notifies
//! `notify::check` accepts, queries answer what `parse_answer` reads, and each
//! scripted fault does what it says. No database: the fake knows none.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use reqwest::StatusCode;
use youying_core::FakeClock;
use youying_epay::notify::{self, Expected};
use youying_epay::query::{QueryAnswer, QueryCall, QueryMethod, parse_answer};
use youying_epay::{BaseUrl, Credentials, Error, Md5Key, MerchantKey, OutTradeNo, Params, PayOrder, PlatformKey};
use youying_server::fakepay::{self, QueryFault, keys};
use youying_testkit::T0;
use youying_testkit::fakepay::FakeGateway;

/// A notify receiver: records every query string, answers the scripted bodies
/// in turn and `success` once they run out.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
    answers: Arc<Mutex<VecDeque<&'static str>>>,
}

impl Receiver {
    async fn start(answers: &[&'static str]) -> (Self, String) {
        let receiver = Self { answers: Arc::new(Mutex::new(answers.iter().copied().collect())), ..Self::default() };
        let app = Router::new().route("/notify", get(Self::notify)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    async fn notify(State(r): State<Self>, RawQuery(q): RawQuery) -> &'static str {
        r.got.lock().unwrap().push(q.unwrap_or_default());
        r.answers.lock().unwrap().pop_front().unwrap_or("success")
    }

    fn got(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }
}

fn creds(gw: &FakeGateway) -> Credentials {
    match (&gw.key, &gw.merchant_private_pem, &gw.platform_public_pem) {
        (Some(key), _, _) => Credentials::V1 { key: Md5Key::new(key.as_str()).unwrap() },
        (None, Some(private), Some(public)) => Credentials::V2 {
            merchant: MerchantKey::from_pem(private).unwrap(),
            platform: PlatformKey::from_pem(public).unwrap(),
        },
        _ => unreachable!("a gateway has a key or a key pair"),
    }
}

const RETURN_URL: &str = "http://127.0.0.1:9/pay/return?from=fake";

/// A signed pay URL for `no` (¥12.50 by Alipay), notifying `notify_url`.
fn pay_url(gw: &FakeGateway, no: &str, notify_url: &str, amount_fen: i64) -> String {
    let no = OutTradeNo::parse(no).unwrap();
    let order = PayOrder {
        pid: &gw.pid,
        channel: "alipay",
        out_trade_no: &no,
        notify_url,
        return_url: RETURN_URL,
        name: "会员 <b>充值</b>",
        amount_fen,
        sitename: Some("有应"),
        param: Some("attempt-7"),
    };
    order.pay_url(&BaseUrl::parse(&gw.base_url()).unwrap(), &creds(gw)).unwrap()
}

fn http() -> reqwest::Client {
    youying_server::state::tls_ready();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn open(url: &str) -> (StatusCode, String) {
    let resp = http().get(url).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

fn check(gw: &FakeGateway, query: &str, no: &str) -> Result<notify::PaidNotice, Error> {
    let no = OutTradeNo::parse(no).unwrap();
    notify::check(
        &notify::parse(query).unwrap(),
        &creds(gw),
        &Expected { pid: &gw.pid, out_trade_no: &no, amount_fen: 1250 },
    )
}

/// Sends the query our adapter would send and parses the answer.
async fn query(gw: &FakeGateway, as_merchant: &Credentials, no: &str) -> Result<QueryAnswer, String> {
    let no = OutTradeNo::parse(no).unwrap();
    let call = QueryCall::new(&BaseUrl::parse(&gw.base_url()).unwrap(), &gw.pid, as_merchant, &no, 1_796_641_230)
        .map_err(|e| e.to_string())?;
    let request = match call.method() {
        QueryMethod::Get => http().get(call.url()),
        QueryMethod::Post => http()
            .post(call.url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(call.form_body().unwrap()),
    };
    let resp = request.send().await.unwrap();
    if resp.status() != StatusCode::OK {
        return Err(format!("HTTP {}", resp.status()));
    }
    parse_answer(&resp.text().await.unwrap(), &creds(gw), &gw.pid, &no).map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_signed_pay_url_opens_the_cashier_and_a_resubmit_the_same_order() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        let (s, page) = open(&pay_url(&gw, "T1", "http://127.0.0.1:9/n", 1250)).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for text in ["易支付收银台", "¥12.50", "支付宝", "支付成功", "支付失败", "会员 &#60;b&#62;充值"]
        {
            assert!(page.contains(text), "{text} missing in {page}");
        }
        assert!(!page.contains("<b>"), "the name is escaped");
        let order = gw.fake.order("T1").unwrap();
        assert_eq!((order.amount_fen, order.param.as_deref(), order.paid), (1250, Some("attempt-7"), None));
        assert_eq!(order.trade_no.len(), 19, "{}", order.trade_no);
        assert!(page.contains(&format!(r#"action="cashier/{}/pay""#, order.trade_no)), "relative links");

        let (s, _) = open(&pay_url(&gw, "T1", "http://127.0.0.1:9/n", 1250)).await;
        assert_eq!((s, gw.fake.orders().len()), (StatusCode::OK, 1), "the same order again");
        let (s, page) = open(&pay_url(&gw, "T1", "http://127.0.0.1:9/n", 1300)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("金额不同"), "{page}");
    }
}

#[tokio::test]
async fn a_tampered_pay_url_is_refused() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        let url = pay_url(&gw, "T2", "http://127.0.0.1:9/n", 1250);
        for tampered in [url.replace("money=12.50", "money=0.01"), format!("{url}&extra=1")] {
            let (s, page) = open(&tampered).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{tampered}");
            assert!(page.contains("签名校验失败"), "{page}");
        }
        let (s, page) = open(&url.replace("pid=1001", "pid=1002")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("商户不存在"), "{page}");
        assert!(gw.fake.orders().is_empty());
    }
}

#[tokio::test]
async fn paying_notifies_and_returns_with_the_signed_parameters() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        let (receiver, notify_url) = Receiver::start(&[]).await;
        open(&pay_url(&gw, "T3", &notify_url, 1250)).await;
        let trade_no = gw.fake.order("T3").unwrap().trade_no;
        let pay = format!("{}/cashier/{trade_no}/pay", gw.base_url());
        assert_eq!(http().get(&pay).send().await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);

        let resp = http().post(&pay).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        let back = location.strip_prefix(&format!("{RETURN_URL}&")).expect("appended with &");
        let notice = check(&gw, back, "T3").unwrap();
        assert_eq!((notice.trade_no.as_str(), notice.param.as_deref()), (trade_no.as_str(), Some("attempt-7")));

        let got = receiver.got();
        assert_eq!(got.len(), 1, "{got:?}");
        let notice = check(&gw, &got[0], "T3").unwrap();
        assert_eq!((notice.amount_fen, notice.channel.as_deref()), (1250, Some("alipay")));
        let fields = Params::parse_query(&got[0]).unwrap();
        let v2_fields = ["api_trade_no", "addtime", "endtime", "buyer", "timestamp"];
        assert_eq!(v2_fields.iter().all(|k| fields.get(k).is_some()), gw.key.is_none(), "{fields:?}");
        assert!(gw.fake.order("T3").unwrap().paid.is_some() && gw.fake.order("T3").unwrap().notified);
        let deliveries = gw.fake.deliveries();
        assert_eq!((deliveries.len(), deliveries[0].delivered, deliveries[0].status), (1, true, Some(200)));
    }
}

#[tokio::test]
async fn the_fail_button_leaves_the_order_unpaid_even_under_a_prefix() {
    // Mounted under a prefix, as the demo does: the cashier's relative links still land.
    let fake = fakepay::FakeEpay::demo();
    let app = Router::new().nest("/fake-epay", fakepay::router(fake.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fake-epay", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let key = Credentials::V1 { key: Md5Key::new(fakepay::DEMO_KEY).unwrap() };
    let no = OutTradeNo::parse("T4").unwrap();
    let order = PayOrder {
        pid: fakepay::DEMO_PID,
        channel: "wxpay",
        out_trade_no: &no,
        notify_url: "http://127.0.0.1:9/n",
        return_url: RETURN_URL,
        name: "x",
        amount_fen: 1,
        sitename: None,
        param: None,
    };
    let (s, page) = open(&order.pay_url(&BaseUrl::parse(&base).unwrap(), &key).unwrap()).await;
    assert!(s == StatusCode::OK && page.contains("微信支付") && page.contains("¥0.01"), "{page}");
    let trade_no = fake.order("T4").unwrap().trade_no;
    let resp = http().post(format!("{base}/cashier/{trade_no}/fail")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(page.contains("支付失败"), "{page}");
    assert!(page.contains(r#"href="http://127.0.0.1:9/pay/return?from=fake""#), "{page}");
    assert_eq!(fake.order("T4").unwrap().paid, None);
    assert!(fake.deliveries().is_empty());
}

#[tokio::test]
async fn the_query_answers_paid_unpaid_not_found_and_bad_key_v1_and_v2() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        open(&pay_url(&gw, "T5", "http://127.0.0.1:9/n", 1250)).await;
        let me = creds(&gw);
        assert_eq!(query(&gw, &me, "T5").await, Ok(QueryAnswer::Unpaid));
        assert!(gw.fake.mark_paid("T5"));
        let trade_no = gw.fake.order("T5").unwrap().trade_no;
        assert_eq!(query(&gw, &me, "T5").await, Ok(QueryAnswer::Paid { trade_no, amount_fen: 1250 }));
        assert_eq!(query(&gw, &me, "T404").await, Ok(QueryAnswer::NotFound));

        let stranger = match &me {
            Credentials::V1 { .. } => Credentials::V1 { key: Md5Key::new("not-the-key").unwrap() },
            Credentials::V2 { .. } => Credentials::V2 {
                // Signing with the platform's key instead of the merchant's: the gateway refuses it.
                merchant: MerchantKey::from_pem(keys::PLATFORM_PRIVATE_PEM).unwrap(),
                platform: PlatformKey::from_pem(keys::PLATFORM_PUBLIC_PEM).unwrap(),
            },
        };
        let refused = query(&gw, &stranger, "T5").await.unwrap();
        assert!(matches!(refused, QueryAnswer::Refused { code: -2, .. }), "{refused:?}");
    }
}

#[tokio::test]
async fn each_query_fault_does_what_it_says() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        open(&pay_url(&gw, "T6", "http://127.0.0.1:9/n", 1250)).await;
        gw.fake.mark_paid("T6");
        let me = creds(&gw);
        gw.fake.set_query_fault(QueryFault::Unreachable);
        assert_eq!(query(&gw, &me, "T6").await, Err("HTTP 503 Service Unavailable".into()));
        gw.fake.set_query_fault(QueryFault::SaysUnpaid);
        assert_eq!(query(&gw, &me, "T6").await, Ok(QueryAnswer::Unpaid));
        gw.fake.set_query_fault(QueryFault::NotFound);
        assert_eq!(query(&gw, &me, "T6").await, Ok(QueryAnswer::NotFound));
        gw.fake.set_query_fault(QueryFault::WrongMoney(1));
        assert!(matches!(query(&gw, &me, "T6").await, Ok(QueryAnswer::Paid { amount_fen: 1, .. })));
        gw.fake.set_query_fault(QueryFault::BadSignature);
        let bad = query(&gw, &me, "T6").await;
        match me {
            Credentials::V1 { .. } => assert!(matches!(bad, Ok(QueryAnswer::Refused { code: -2, .. })), "{bad:?}"),
            Credentials::V2 { .. } => assert_eq!(bad, Err(Error::BadSignature.to_string())),
        }
        gw.fake.set_query_fault(QueryFault::None);
        assert!(matches!(query(&gw, &me, "T6").await, Ok(QueryAnswer::Paid { amount_fen: 1250, .. })));
    }
}

#[tokio::test]
async fn notify_faults_copies_held_and_lying_about_the_amount() {
    let gw = FakeGateway::start_v2().await;
    gw.fake.set_clock(FakeClock::at(T0));
    let (receiver, notify_url) = Receiver::start(&[]).await;
    for no in ["C1", "C2", "C3"] {
        open(&pay_url(&gw, no, &notify_url, 1250)).await;
    }
    gw.fake.set_notify_copies(3);
    let deliveries = gw.fake.pay("C1").await;
    assert_eq!(deliveries.iter().filter(|d| d.delivered).count(), 3, "{deliveries:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|q| check(&gw, q, "C1").is_ok()));
    let fields = Params::parse_query(&got[0]).unwrap();
    let times = (fields.get("timestamp"), fields.get("addtime"), fields.get("endtime"));
    let t0 = T0.secs().to_string();
    assert_eq!(
        times,
        (Some(t0.as_str()), Some("2026-11-25 08:00:00"), Some("2026-11-25 08:00:00")),
        "the fake's clock"
    );

    gw.fake.set_notify_copies(1);
    gw.fake.hold_notifies(true);
    assert!(gw.fake.pay("C2").await.is_empty());
    assert!(gw.fake.order("C2").unwrap().paid.is_some(), "paid, but nobody was told");
    assert_eq!(receiver.got().len(), 3);

    gw.fake.hold_notifies(false);
    gw.fake.set_notify_money(Some(1));
    assert_eq!(gw.fake.pay("C3").await.len(), 1);
    let lie = receiver.got().pop().unwrap();
    assert_eq!(check(&gw, &lie, "C3"), Err(Error::AmountMismatch { expected_fen: 1250, got_fen: 1 }));
}

#[tokio::test]
async fn signed_and_forged_notifies_for_the_tests_to_send() {
    for gw in [FakeGateway::start_v1().await, FakeGateway::start_v2().await] {
        open(&pay_url(&gw, "S1", "http://127.0.0.1:9/n", 1250)).await;
        let fake = &gw.fake;
        assert!(check(&gw, &fake.notify_query("S1").unwrap(), "S1").is_ok());
        let money = fake.signed_notify("S1", &[("money", "0.01")], &[]).unwrap();
        assert_eq!(check(&gw, &money, "S1"), Err(Error::AmountMismatch { expected_fen: 1250, got_fen: 1 }));
        let status = fake.signed_notify("S1", &[("trade_status", "WAIT_BUYER_PAY")], &[]).unwrap();
        assert_eq!(check(&gw, &status, "S1"), Err(Error::NotSuccess("WAIT_BUYER_PAY".into())));
        let pid = fake.signed_notify("S1", &[("pid", "7")], &[]).unwrap();
        assert_eq!(check(&gw, &pid, "S1"), Err(Error::WrongPid { got: "7".into() }));
        let dropped = fake.signed_notify("S1", &[], &["trade_status"]).unwrap();
        assert_eq!(check(&gw, &dropped, "S1"), Err(Error::Missing("trade_status")));
        let forged = fake.forged_notify("S1", &[], &[]).unwrap();
        assert_eq!(check(&gw, &forged, "S1"), Err(Error::BadSignature));
        assert_eq!(fake.notify_query("nope"), None);
    }
}

#[tokio::test]
async fn an_unacknowledged_notify_is_retried_until_success() {
    let gw = FakeGateway::start_v1().await;
    let (receiver, notify_url) = Receiver::start(&["fail", "<html>500</html>"]).await;
    open(&pay_url(&gw, "R1", &notify_url, 1250)).await;
    let first = gw.fake.pay("R1").await;
    assert_eq!((first.len(), first[0].delivered, first[0].body.as_str()), (1, false, "fail"));
    // The retries run on the testkit's short schedule; a real delivery is involved, so poll with a bound.
    for _ in 0..200 {
        if gw.fake.order("R1").unwrap().notified {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let attempts: Vec<_> = gw.fake.deliveries().iter().map(|d| (d.attempt, d.delivered)).collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);
    assert_eq!(receiver.got().len(), 3);

    // Retries off: one attempt, and that is all.
    gw.fake.set_retry_delays(Vec::new());
    let (_, refusing) = Receiver::start(&["fail"; 5]).await;
    open(&pay_url(&gw, "R2", &refusing, 1250)).await;
    assert!(!gw.fake.pay("R2").await[0].delivered);
    assert_eq!(gw.fake.deliveries().iter().filter(|d| d.out_trade_no == "R2").count(), 1);
}
