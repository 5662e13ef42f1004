//! Grades, the shop's public figures and the platform's service report over
//! HTTP on both backends, from histories built through the API with the fake
//! clock: buyers answered in time, slowly, or never; cases settled by the shop
//! or decided by the platform; search ordered by grade; nothing public names a
//! buyer. Every test ends with the ledger and evidence audit (`http_test!`).

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_testkit::chat::say;
use youying_testkit::market::bought;
use youying_testkit::{T0, TestApp, TestUser, http_test};

const PRICE: i64 = 9_800;
const HOUR: i64 = 3_600;

async fn card_shop<S: Store>(app: &TestApp<S>, owner: &str, name: &str, keys: usize) -> (TestUser, i64, i64) {
    let (owner, shop) = app.merchant(owner, name).await;
    let product = app.product(&owner, shop, json!({ "title": "骏网一卡通 100元", "price_fen": PRICE })).await;
    let stock: String = (0..keys).map(|i| format!("{name}-{i:04}\n")).collect();
    let (s, r) = app.import(&owner, product, &stock, false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    (owner, shop, product)
}

async fn conversation<S: Store>(app: &TestApp<S>, buyer: &TestUser, shop: i64) -> i64 {
    let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert!(s.is_success(), "{c}");
    c["id"].as_i64().unwrap()
}

async fn public_shop<S: Store>(app: &TestApp<S>, shop: i64) -> Value {
    let (s, v) = app.get(&format!("/api/v1/public/shops/{shop}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn text<S: Store>(app: &TestApp<S>, path: &str) -> String {
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.text().await.unwrap()
}

/// Moves the clock to `T0 + secs` and fires what fell due on the way.
async fn at<S: Store>(app: &TestApp<S>, secs: i64) {
    let now = app.clock.now().millis_since(T0) / 1000;
    assert!(secs >= now, "the clock only moves forward");
    app.advance(secs - now).await;
}

fn assert_no_buyer(body: &str, buyers: &[TestUser]) {
    for b in buyers {
        assert!(!body.contains(&b.username), "a public page names buyer {}", b.username);
    }
}

http_test!(grades_follow_what_was_measured_and_order_search, |app| {
    let (dili, dili_shop, dili_p) = card_shop(&app, "dili_owner", "勤快点卡", 20).await;
    let (slow, slow_shop, slow_p) = card_shop(&app, "slow_owner", "慢吞吞点卡", 20).await;
    let (_gone, gone_shop, gone_p) = card_shop(&app, "gone_owner", "失联点卡", 20).await;
    let before = public_shop(&app, dili_shop).await;
    assert_eq!((before["grade"].as_str(), before["grade_label"].as_str()), (Some("new"), Some("新店")), "{before}");
    let buyers = app.crowd("guke", 20).await;
    let mut slow_orders = Vec::new();
    for b in &buyers {
        app.credit(b, 3 * PRICE).await;
        bought(&app, b, dili_p).await;
        slow_orders.push(bought(&app, b, slow_p).await);
        bought(&app, b, gone_p).await;
    }

    // Three buyers write to each shop at T0.
    let mut convs = Vec::new();
    for b in &buyers[..3] {
        let c = [dili_shop, slow_shop, gone_shop];
        let mut ids = Vec::new();
        for shop in c {
            let id = conversation(&app, b, shop).await;
            say(&app, b, id, "卡密提示无效，怎么办？").await;
            ids.push(id);
        }
        convs.push(ids);
    }
    at(&app, 30).await;
    for ids in &convs {
        say(&app, &dili, ids[0], "您好，马上处理。").await;
    }
    at(&app, 100).await;
    for ids in &convs {
        say(&app, &slow, ids[1], "您好，稍等。").await;
    }
    at(&app, 120).await; // the silent shop's three deadlines: taken over
    // One case at the slow shop, refunded by the shop at once.
    let (s, c) = app
        .post(
            &format!("/api/v1/orders/{}/cases", slow_orders[5]),
            Some(&buyers[5].token),
            json!({ "type": "other", "description": "充错账号" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    let (s, c) =
        app.post(&format!("/api/v1/cases/{case}/actions"), Some(&slow.token), json!({ "action": "refund" })).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("resolved_refunded")), "{c}");

    let out = youying_server::grades::refresh(&app.app).await.unwrap();
    assert_eq!(out.examined, 3);
    assert_eq!(youying_server::grades::refresh(&app.app).await.unwrap().examined, 0, "nothing new: nothing regraded");

    // Diligent: p90 30 s → 30; met 3/3 → 25; 0 cases → 20; no platform case → 15;
    // no review → 4.00 → 6. 96 → A.
    let d = public_shop(&app, dili_shop).await;
    assert_eq!((d["grade"].as_str(), d["points"].as_i64()), (Some("A"), Some(96)), "{d}");
    assert_eq!(
        (d["figures"]["reply_p90_secs"].as_f64(), d["figures"]["reply_p90_ms"].as_i64()),
        (Some(30.0), Some(30_000))
    );
    assert_eq!((d["figures"]["orders"].as_i64(), d["deposit_held_fen"].as_i64()), (Some(20), Some(100_000)));
    assert_eq!(d["certified_agents_share_percent"], 0.0, "nobody took the rules quiz");
    // Slow: p90 100 s → 20; met 4/4 (3 replies, 1 case) → 25; 1 case / 20 orders
    // = 5.00 → 10; platform 0 % → 15; 6. 76 → B.
    let s = public_shop(&app, slow_shop).await;
    assert_eq!((s["grade"].as_str(), s["points"].as_i64()), (Some("B"), Some(76)), "{s}");
    assert_eq!(
        (s["figures"]["deadlines_met"].as_i64(), s["figures"]["cases_per_100_orders"].as_f64()),
        (Some(4), Some(5.0))
    );
    assert_eq!(s["published_cases"], 0, "the shop settled it: not published");
    // Vanished: three messages never answered → p90 unanswered; three messages
    // are below the sample of 10 the hard rule needs → 新店 with the figures.
    let g = public_shop(&app, gone_shop).await;
    assert_eq!((g["grade"].as_str(), g["rule"].as_str()), (Some("new"), Some("sample")), "{g}");
    assert_eq!(
        (g["figures"]["unanswered"].as_i64(), g["figures"]["reply_p90_unanswered"].as_bool()),
        (Some(3), Some(true))
    );
    assert!(g["active_penalties"].as_array().unwrap().iter().any(|p| p["kind"] == "downrank"), "3rd breach: {g}");

    // Search: equally relevant goods, A above B above 新店 (product ids would say the reverse).
    let (_, found) = app.get("/api/v1/products?q=骏网", None).await;
    let ids: Vec<i64> = found["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![dili_p, slow_p, gone_p]);

    // The page shows the grade, the figures and three SVG charts; nobody's buyer is named.
    let html = text(&app, &format!("/shops/{dili_shop}")).await;
    assert!(html.contains(r#"data-grade="A""#) && html.contains("首次人工回复（p90）"));
    assert_eq!(html.matches("<svg").count(), 3, "reply times, deadlines met, cases per week");
    assert!(html.contains("<title id=\"chart-reply-title\">首次人工回复时间分布（近 30 天）</title>"));
    assert!(html.contains("viewBox=") && html.contains("当前无生效处罚"));
    for path in
        [format!("/shops/{gone_shop}"), format!("/shops/{slow_shop}"), format!("/api/v1/public/shops/{slow_shop}")]
    {
        assert_no_buyer(&text(&app, &path).await, &buyers);
    }
    let (st, e) = app.get("/api/v1/public/shops/999999", None).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let kinds = app.events_about(&format!("shop:{gone_shop}")).await;
    assert!(kinds.contains(&"grade.changed".to_owned()), "{kinds:?}");

    // 31 days later the figures have aged out: every shop is new again.
    at(&app, 31 * 24 * HOUR).await;
    let out = youying_server::grades::refresh(&app.app).await.unwrap();
    assert!(out.changed.len() >= 2, "{out:?}");
    assert_eq!(public_shop(&app, dili_shop).await["grade"], "new");
});

http_test!(the_service_report_measures_the_platform, |app| {
    let agent = app.staff("pingtai", "agent").await;
    let (_owner, shop, product) = card_shop(&app, "quiet_owner", "安静点卡", 5).await;
    let buyers = app.crowd("maijia", 3).await;
    let mut orders = Vec::new();
    for b in &buyers {
        app.credit(b, PRICE).await;
        orders.push(bought(&app, b, product).await);
    }
    let (s, d) = app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": true })).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let conv = conversation(&app, &buyers[0], shop).await;
    say(&app, &buyers[0], conv, "充值没到账").await;
    at(&app, 120).await; // the shop is silent: the platform owns it
    at(&app, 150).await;
    say(&app, &agent, conv, "平台客服为您处理。").await; // 30 s: measured
    let mut cases = Vec::new();
    for (b, no) in buyers.iter().zip(&orders).take(2) {
        let (s, c) = app
            .post(
                &format!("/api/v1/orders/{no}/cases"),
                Some(&b.token),
                json!({ "type": "other", "description": "无法登录" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        cases.push(c["id"].as_i64().unwrap());
    }
    at(&app, 90 * 60).await;
    app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": false })).await;
    at(&app, 150 + 12 * HOUR).await; // the merchant's 12 h: both cases to arbitration
    let (s, c) = app
        .post(
            &format!("/api/v1/cases/{}/actions", cases[0]),
            Some(&agent.token),
            json!({ "action": "decide", "decision": "refund", "reason": "商家未处理" }),
        )
        .await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("resolved_refunded")), "{c}");
    at(&app, 150 + 24 * HOUR).await; // the other one: the safety net, late
    at(&app, 48 * HOUR).await; // report at a whole hour after T0

    let (s, r) = app.get("/api/v1/public/service-report", None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let w7 = &r["windows"][0];
    assert_eq!((w7["days"].as_i64(), r["windows"][1]["days"].as_i64()), (Some(7), Some(30)));
    assert_eq!(
        (w7["platform_replies"].as_i64(), w7["platform_reply_p90_secs"].as_f64()),
        (Some(1), Some(30.0)),
        "{w7}"
    );
    assert_eq!((w7["arbitrations_due"].as_i64(), w7["arbitrations_in_time"].as_i64()), (Some(2), Some(1)));
    assert_eq!(w7["arbitrations_in_time_percent"].as_f64(), Some(50.0));
    // On duty T0 – T0+90 min: the hours T0 and T0+1 h of 168.
    assert_eq!((w7["hours"].as_i64(), w7["hours_on_duty"].as_i64()), (Some(168), Some(2)), "{w7}");
    // The bot took 充值没到账 as a dispute and handed over at once: nothing settled.
    assert_eq!((w7["bot"]["settled"].as_i64(), w7["bot"]["handed_over"].as_i64()), (Some(0), Some(1)), "{w7}");
    assert_eq!(w7["bot"]["settle_percent"].as_f64(), Some(0.0));
    let other = w7["cases_by_type"].as_array().unwrap().iter().find(|c| c["kind"] == "other").unwrap().clone();
    assert_eq!(
        other,
        json!({ "kind": "other", "label": "其他问题", "cases": 2, "refunds": 2, "refund_fen": 2 * PRICE })
    );
    let breach = |kind: &str, party: &str| {
        w7["breaches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == kind && b["party"] == party)
            .map(|b| b["count"].clone())
    };
    assert_eq!(breach("chat_reply", "shop"), Some(json!(1)));
    assert_eq!(breach("case_silence", "shop"), Some(json!(2)));
    assert_eq!(breach("platform_case_unresolved", "platform"), Some(json!(1)));
    assert_eq!(r["chain_head"]["hash"].as_str().map(str::len).unwrap_or(64), 64);

    let html = text(&app, "/report").await;
    assert!(html.contains("平台服务报告") && html.contains(r#"id="report-7d""#) && html.contains(r#"id="report-30d""#));
    assert!(
        html.contains("50.00 %（1/2 件）")
            && html.contains("1.20 %（2/168 小时）")
            && html.contains("p90 30.0 秒")
            && html.contains("0.00 %（0/1）：解决 0，转人工 1"),
        "{html}"
    );
    assert!(html.contains("售后 24 小时未结案（兜底退款）") && html.contains("售后超时未处理（case_silence）"));
    assert!(text(&app, "/").await.contains(r#"href="/report""#), "linked for everyone");
    let openapi = text(&app, "/api/openapi.json").await;
    assert!(openapi.contains("/api/v1/public/service-report") && openapi.contains("/api/v1/public/shops/{id}"));
    let rules = text(&app, "/grades").await;
    assert!(rules.contains("评级规则") && rules.contains(r#"id="grade-example-result">C<"#));
    for body in [html, serde_json::to_string(&r).unwrap()] {
        assert_no_buyer(&body, &buyers);
    }
});

// A brand-new shop that let one message lapse and then answered it after the
// takeover: a late reply, not "never answered" — 新店 with its measured
// figures, kept to the tenth of a second and the hundredth of a percent.
http_test!(one_late_reply_on_a_new_shop_is_new_and_figures_keep_their_precision, |app| {
    let (owner, shop, _product) = card_shop(&app, "late_owner", "迟到点卡", 1).await;
    let buyer = app.buyer("late_buyer").await;
    let conv = conversation(&app, &buyer, shop).await;
    say(&app, &buyer, conv, "卡密提示无效，怎么办？").await;
    at(&app, 120).await; // taken over: a chat_reply breach
    app.clock.advance_millis(180_400);
    say(&app, &owner, conv, "抱歉来晚了，马上补发。").await; // 300.4 s after the question
    youying_server::grades::refresh(&app.app).await.unwrap();
    let v = public_shop(&app, shop).await;
    assert_eq!((v["grade"].as_str(), v["rule"].as_str()), (Some("new"), Some("new")), "{v}");
    let f = &v["figures"];
    assert_eq!(
        (f["unanswered"].as_i64(), f["late_replies"].as_i64(), f["reply_p90_unanswered"].as_bool()),
        (Some(0), Some(1), Some(false)),
        "{v}"
    );
    assert_eq!((f["reply_p90_ms"].as_i64(), f["reply_p90_secs"].as_f64()), (Some(300_400), Some(300.4)), "{v}");
    assert_eq!(
        (f["deadlines_met"].as_i64(), f["deadlines_missed"].as_i64()),
        (Some(0), Some(1)),
        "late is not in time"
    );
    // p90 300.4 s → 5; met 0/1 → 0; no case → 20 + 15; no review → 6.
    assert_eq!(v["points"].as_i64(), Some(46), "{v}");
    let values: Vec<&str> = v["components"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert_eq!(values[..2], ["p90 300.4 秒", "0.00 %（0/1）"]);
    let html = text(&app, &format!("/shops/{shop}")).await;
    assert!(html.contains(r#"data-grade="new""#) && html.contains("p90 300.4 秒"), "{html}");
    assert!(html.contains("近 30 天订单不足 20 笔，显示为新店"));
    assert!(!html.contains("超过一成买家消息从未得到店铺回复"), "it did reply");
    let rules = text(&app, "/grades").await;
    assert!(rules.contains(r#"id="grade-unanswered-rule""#) && rules.contains("至少有 10 条买家消息"));
    assert!(rules.contains("95.24 %（20/21）") && rules.contains("精确到 0.1 秒"));
});
