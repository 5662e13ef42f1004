//! Mail notifications on both backends, delivered by the real SMTP client to
//! the testkit's sink: a warning before a reply deadline lapses and a mail at
//! the breach, nothing twice (not after a restart, not with two instances),
//! retries with backoff while the server is down, and the address itself:
//! checked, one's own only, set from the API and from the account page.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::FakeClock;
use youying_core::mail::OutboxMail;
use youying_core::ports::Store;
use youying_server::mailer::MailOutcome;
use youying_testkit::chat::say;
use youying_testkit::smtp::SmtpSink;
use youying_testkit::{PASSWORD, T0, TestApp, TestDb, TestUser, http_test};

async fn set_email<S: Store>(app: &TestApp<S>, who: &TestUser, email: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, "/api/v1/me/email", Some(&who.token), Some(json!({ "email": email }))).await
}

async fn my_email<S: Store>(app: &TestApp<S>, who: &TestUser) -> Value {
    let (s, me) = app.get("/api/v1/me", Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    me["email"].clone()
}

/// A shop whose owner set an address, a buyer, and their conversation.
async fn setup<S: Store>(app: &TestApp<S>, buyer: &str) -> (TestUser, i64, TestUser, i64) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let (s, b) = set_email(app, &owner, json!("laowang@qq.com")).await;
    assert_eq!((s, b["email"].as_str()), (StatusCode::OK, Some("laowang@qq.com")), "{b}");
    let (buyer, conv) = conversation(app, buyer, shop).await;
    (owner, shop, buyer, conv)
}

async fn conversation<S: Store>(app: &TestApp<S>, buyer: &str, shop: i64) -> (TestUser, i64) {
    let buyer = app.buyer(buyer).await;
    let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (buyer, c["id"].as_i64().unwrap())
}

async fn outbox<S: Store>(app: &TestApp<S>) -> Vec<OutboxMail> {
    app.app.store.read(|tx| tx.mail_outbox(100)).await.unwrap()
}

fn sent(n: usize) -> MailOutcome {
    MailOutcome { queued: n, sent: n, failed: 0 }
}

http_test!(a_silent_shop_gets_a_warning_then_a_breach_mail_and_nothing_twice, |app| {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let (_, _, buyer, conv) = setup(&app, "xiaoming").await;
    let (other, _) = app.merchant("owner_b", "乙店").await;
    set_email(&app, &other, json!("owner_b@163.com")).await;
    say(&app, &buyer, conv, "充值没到账").await;
    assert_eq!(app.mail_step(&url).await, MailOutcome::default(), "nothing is due yet");

    assert_eq!(app.advance(90).await.fired, 1, "the warning, 30 s before the deadline");
    assert_eq!(app.mail_step(&url).await, sent(1));
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let warning = &mails[0];
    assert_eq!(warning.to, ["laowang@qq.com"], "the owner, not another shop's");
    assert_eq!(warning.from, "noreply@localhost");
    assert_eq!(warning.subject(), format!("【有应】星辰点卡：会话 #{conv} 将在 30 秒后超时"));
    let text = warning.part("text/plain");
    let link = app.url(&format!("/merchant/chat/{conv}"));
    assert!(text.contains(&format!("会话 #{conv} 将在 30 秒后超时")) && text.contains(&link), "{text}");
    assert!(text.contains(&app.url("/account")), "how to stop the mail: {text}");
    let html = warning.part("text/html");
    assert!(html.contains("星辰点卡") && html.contains(&format!("href=\"{link}\"")), "{html}");
    assert_eq!(app.mail_step(&url).await, MailOutcome::default(), "read again, not sent again");

    assert_eq!(app.advance(30).await.fired, 1, "the deadline: the platform takes over");
    assert_eq!(app.mail_step(&url).await, sent(1));
    let breach = &sink.received()[1];
    assert_eq!(breach.subject(), format!("【有应】星辰点卡：会话 #{conv} 已超时，平台客服已接管"));
    let text = breach.part("text/plain");
    assert!(text.contains(&format!("会话 #{conv} 已超时，平台客服已接管，记违约一次")), "{text}");
    assert!(text.contains("近 30 天累计违约 1 次"), "{text}");

    // The platform's own miss is the platform's breach: the shop hears nothing.
    assert_eq!(app.advance(120).await.fired, 2);
    assert_eq!(app.mail_step(&url).await, MailOutcome::default());
    // Long after, when every source has settled, a new mailer still repeats nothing.
    app.clock.advance_secs(3_600);
    assert_eq!(app.mail_step(&url).await, MailOutcome::default());
    assert_eq!(sink.received().len(), 2);
    let out = outbox(&app).await;
    assert!(out.iter().all(|m| m.state == "sent" && m.attempts == 1), "{out:?}");
});

http_test!(a_down_smtp_server_is_retried_with_backoff_then_delivered, |app| {
    let sink = SmtpSink::start().await;
    let (_, _, buyer, conv) = setup(&app, "xiaoming").await;
    say(&app, &buyer, conv, "在吗？").await;
    app.advance(90).await;

    // Nothing listens: no SMTP conversation at all.
    let nobody = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("smtp://{}", l.local_addr().unwrap())
    };
    assert_eq!(app.mail_step(&nobody).await, MailOutcome { queued: 1, sent: 0, failed: 1 });
    let m = &outbox(&app).await[0];
    assert_eq!((m.state.as_str(), m.attempts, m.next_attempt_at), ("pending", 1, T0.plus_secs(90 + 30)));
    assert!(m.last_error.as_deref().is_some_and(|e| !e.is_empty()), "{m:?}");

    // The server answers but refuses (421): the next wait doubles.
    sink.set_down(true);
    let url = sink.url();
    app.clock.advance_secs(29);
    assert_eq!(app.mail_step(&url).await, MailOutcome::default(), "not before the backoff");
    assert_eq!(sink.connections(), 0);
    app.clock.advance_secs(1);
    assert_eq!(app.mail_step(&url).await, MailOutcome { queued: 0, sent: 0, failed: 1 });
    let m = &outbox(&app).await[0];
    assert_eq!((m.attempts, m.next_attempt_at), (2, T0.plus_secs(120 + 60)));
    assert!(m.last_error.as_deref().unwrap_or("").contains("421"), "{m:?}");

    assert_eq!(sink.connections(), 1);

    sink.set_down(false);
    app.clock.advance_secs(59);
    assert_eq!(app.mail_step(&url).await, MailOutcome::default());
    app.clock.advance_secs(1);
    assert_eq!(app.mail_step(&url).await, MailOutcome { queued: 0, sent: 1, failed: 0 });
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject().contains("将在 30 秒后超时"), "late, but delivered: {}", mails[0].subject());
    let m = &outbox(&app).await[0];
    assert_eq!((m.state.as_str(), m.attempts, m.sent_at), ("sent", 3, Some(T0.plus_secs(180))));
});

http_test!(addresses_are_checked_and_only_ones_own, |app| {
    let alice = app.buyer("alice_1").await;
    let bob = app.buyer("bob_1").await;
    let (s, _) = app.call(Method::PUT, "/api/v1/me/email", None, Some(json!({ "email": "x@example.com" }))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(set_email(&app, &alice, json!(" alice@example.com ")).await.0, StatusCode::OK);
    assert_eq!(my_email(&app, &alice).await, "alice@example.com");
    for bad in ["not-an-address", "a b@example.com", "alice@localhost", "<alice@example.com>", "a@b@example.com", ""] {
        let (s, err) = set_email(&app, &alice, json!(bad)).await;
        assert_eq!(
            (s, err["code"].as_str(), err["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"), Some("email")),
            "{bad}: {err}"
        );
        assert!(err["message"].as_str().unwrap().contains("邮箱格式不正确"), "{err}");
    }
    let (s, err) = set_email(&app, &alice, json!(5)).await;
    assert_eq!((s, err["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_json")));
    assert_eq!(my_email(&app, &alice).await, "alice@example.com", "nothing changed");

    // Bob can only ever reach his own address.
    assert_eq!(set_email(&app, &bob, json!("bob@example.com")).await.0, StatusCode::OK);
    assert_eq!(my_email(&app, &alice).await, "alice@example.com");
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}/email", alice.id),
            Some(&bob.token),
            Some(json!({ "email": "bob@example.com" })),
        )
        .await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::METHOD_NOT_ALLOWED, "{s}");

    // A cookie session must prove its CSRF token, as for every unsafe request.
    let (_, login) = app.login("bob_1", PASSWORD).await;
    let cookie = format!("yy_session={}", login["token"].as_str().unwrap());
    let put = |csrf: Option<&str>| {
        let mut req =
            app.client.put(app.url("/api/v1/me/email")).header("cookie", &cookie).json(&json!({ "email": null }));
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.send()
    };
    assert_eq!(put(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(my_email(&app, &bob).await, "bob@example.com");
    assert_eq!(put(login["csrf_token"].as_str()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(my_email(&app, &bob).await, Value::Null, "null clears");

    // Each change is evidence, with the address masked.
    let changes = app
        .app
        .store
        .read(|tx| {
            Ok(tx.events_after(0, 10_000)?.into_iter().filter(|e| e.kind == "user.email_changed").collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 3, "alice set; bob set, then cleared");
    assert!(
        changes[0].payload.contains("a***@example.com") && !changes[0].payload.contains("alice@"),
        "{}",
        changes[0].payload
    );
});

http_test!(the_account_page_sets_and_clears_the_address_with_csrf, |app| {
    let user = app.buyer("page_mail").await;
    let (_, login) = app.login("page_mail", PASSWORD).await;
    let cookie = format!("yy_session={}", login["token"].as_str().unwrap());
    let csrf = login["csrf_token"].as_str().unwrap().to_owned();
    let get = app.client.get(app.url("/account")).header("cookie", &cookie).send().await.unwrap();
    let page = get.text().await.unwrap();
    assert!(page.contains("通知邮箱") && page.contains("action=\"/account/email\""), "{page}");
    let post = |form: Vec<(&'static str, String)>| {
        app.client.post(app.url("/account/email")).header("cookie", &cookie).form(&form).send()
    };
    let resp = post(vec![("email", "page@example.com".into())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(my_email(&app, &user).await, Value::Null);
    let resp = post(vec![("email", "bad address".into()), ("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("邮箱格式不正确"));
    let resp = post(vec![("email", "page@example.com".into()), ("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "post/redirect/get");
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    let get = |to: String| app.client.get(app.url(&to)).header("cookie", &cookie).send();
    let page = get(to).await.unwrap().text().await.unwrap();
    assert!(page.contains("通知邮箱已保存") && page.contains("value=\"page@example.com\""), "{page}");
    assert_eq!(my_email(&app, &user).await, "page@example.com");
    let resp = post(vec![("email", String::new()), ("_csrf", csrf)]).await.unwrap();
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(get(to).await.unwrap().text().await.unwrap().contains("通知邮箱已清除"));
    assert_eq!(my_email(&app, &user).await, Value::Null);
});

/// Two instances on one database step their mailers at the same moment; then
/// both stop and a third starts: every mail is delivered exactly once.
async fn two_instances_then_a_restart<S: Store>(first: S, second: S, third: S) {
    let clock = FakeClock::at(T0);
    let a = TestApp::start(first, clock.clone(), false).await;
    let b = TestApp::start(second, clock.clone(), false).await;
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let (_, shop, buyer, conv) = setup(&a, "buyer_0").await;
    say(&a, &buyer, conv, "在吗？").await;
    for i in 1..6 {
        let (buyer, conv) = conversation(&a, &format!("buyer_{i}"), shop).await;
        say(&a, &buyer, conv, "卡密无效").await;
    }
    assert_eq!(a.advance(90).await.fired, 6);
    let (x, y) = tokio::join!(a.mail_step(&url), b.mail_step(&url));
    assert_eq!((x.queued + y.queued, x.sent + y.sent, x.failed + y.failed), (6, 6, 0), "{x:?} {y:?}");
    assert_eq!(sink.received().len(), 6);
    a.stop().await;
    b.stop().await;

    clock.advance_secs(3_600);
    let c = TestApp::start(third, clock, false).await;
    assert_eq!(c.mail_step(&url).await, MailOutcome::default(), "a restart repeats nothing");
    let mut subjects: Vec<String> = sink.received().iter().map(|m| m.subject()).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 6, "six conversations, six different mails");
    c.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_a_restart_send_each_mail_once_sqlite() {
    let db = TestDb::sqlite();
    two_instances_then_a_restart(db.open_sqlite().unwrap(), db.open_sqlite().unwrap(), db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_a_restart_send_each_mail_once_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let open = || db.open_postgres(4);
    two_instances_then_a_restart(open().await.unwrap(), open().await.unwrap(), open().await.unwrap()).await;
}
