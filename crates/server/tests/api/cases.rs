//! After-sales cases over HTTP on both backends, with the fake clock: every
//! path of the 12 h / 24 h clock, the refund waterfall, and bad input that
//! leaves nothing behind. Each test ends with every case closed within 24 h
//! (`settle`) and the ledger and evidence audit (`http_test!`).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_testkit::images::PNG_1X1_BASE64 as PNG_1X1;
use youying_testkit::market::{self, Shop};
use youying_testkit::{TestApp, TestUser, http_test};

const HOUR: i64 = 3600;
const PRICE: i64 = 9_800;

fn png() -> Value {
    json!({ "name": "死卡截图.png", "content_base64": PNG_1X1 })
}

async fn card_shop<S: Store>(app: &TestApp<S>, name: &str, keys: &str) -> Shop {
    market::card_shop(app, name, PRICE, keys).await
}

async fn buyer_with_order<S: Store>(app: &TestApp<S>, name: &str, product: i64) -> (TestUser, String) {
    let buyer = app.buyer(name).await;
    app.credit(&buyer, 100_000).await;
    let no = market::bought(app, &buyer, product).await;
    (buyer, no)
}

async fn open<S: Store>(app: &TestApp<S>, buyer: &TestUser, no: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token), body).await
}

async fn act<S: Store>(app: &TestApp<S>, who: &TestUser, case: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{case}/actions"), Some(&who.token), body).await
}

async fn order<S: Store>(app: &TestApp<S>, who: &TestUser, no: &str) -> Value {
    app.get(&format!("/api/v1/orders/{no}"), Some(&who.token)).await.1
}

async fn shop_wallet<S: Store>(app: &TestApp<S>, s: &Shop) -> i64 {
    app.get(&format!("/api/v1/shops/{}/wallet", s.shop), Some(&s.owner.token)).await.1["balance_fen"].as_i64().unwrap()
}

/// No case outlives 24 h: a day later every case of these buyers is closed.
async fn settle<S: Store>(app: &TestApp<S>, buyers: &[&TestUser]) {
    app.advance(25 * HOUR).await;
    for b in buyers {
        let (_, list) = app.get("/api/v1/cases", Some(&b.token)).await;
        for c in list.as_array().unwrap() {
            assert_eq!(c["open"], false, "a case outlived 24 h: {c}");
            let closed = c["closed_at"].as_i64().unwrap() - c["opened_at"].as_i64().unwrap();
            assert!(closed <= 24 * HOUR * 1000, "{c}");
        }
    }
}

async fn key_case<S: Store>(app: &TestApp<S>, buyer: &TestUser, no: &str, shots: Vec<Value>) -> i64 {
    let (s, c) =
        open(app, buyer, no, json!({ "type": "key_invalid", "description": "提示卡密已被使用", "screenshots": shots }))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["state"], "awaiting_merchant");
    assert_eq!(c["merchant_due"].as_i64().unwrap() - c["opened_at"].as_i64().unwrap(), 12 * HOUR * 1000);
    c["id"].as_i64().unwrap()
}

http_test!(merchant_reissues_and_the_buyer_sees_the_new_key, |app| {
    let s = card_shop(&app, "reissue", "DEAD-0001\nGOOD-0002\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_re", s.product).await;
    let case = key_case(&app, &buyer, &no, vec![png()]).await;
    assert_eq!(order(&app, &buyer, &no).await["state"], "disputed", "escrow frozen");
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    let kinds: Vec<&str> = d["evidence"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["snapshot", "delivery_log", "key_views", "transcript", "screenshot"]);

    let (st, e) = act(&app, &buyer, case, json!({ "action": "reissue" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, c) = act(&app, &s.owner, case, json!({ "action": "reissue" })).await;
    assert_eq!(
        (st, c["state"].as_str(), c["remedy"].as_str()),
        (StatusCode::OK, Some("awaiting_buyer"), Some("reissue")),
        "{c}"
    );
    let (_, r) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(r["units"][0]["code"], "GOOD-0002", "the buyer sees the fresh key");
    let (st, c) = act(&app, &buyer, case, json!({ "action": "accept" })).await;
    assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("resolved_reissued")));
    let o = order(&app, &buyer, &no).await;
    assert_eq!(o["state"], "delivered", "the window resumes for the fresh key");
    assert_eq!(app.balance(&buyer).await, 100_000 - PRICE);
    app.advance(24 * HOUR).await;
    assert_eq!(order(&app, &buyer, &no).await["state"], "completed");
    assert_eq!(shop_wallet(&app, &s).await, PRICE - 196);
    let kinds = app.events_about(&format!("case:{case}")).await;
    assert_eq!(kinds, vec!["case.opened", "case.reissued", "case.closed"]);
    settle(&app, &[&buyer]).await;
});

http_test!(merchant_refunds_in_full, |app| {
    let s = card_shop(&app, "refund", "R-1\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_rf", s.product).await;
    let case = key_case(&app, &buyer, &no, vec![]).await;
    let (st, c) = act(&app, &s.owner, case, json!({ "action": "refund" })).await;
    assert_eq!(
        (st, c["state"].as_str(), c["refund_fen"].as_i64()),
        (StatusCode::OK, Some("resolved_refunded"), Some(PRICE))
    );
    assert_eq!(app.balance(&buyer).await, 100_000);
    let o = order(&app, &buyer, &no).await;
    assert_eq!((o["state"].as_str(), o["escrow_fen"].as_i64()), (Some("refunded"), Some(0)));
    let (st, _) = act(&app, &s.owner, case, json!({ "action": "refund" })).await;
    assert_eq!(st, StatusCode::CONFLICT, "once");
    settle(&app, &[&buyer]).await;
    assert_eq!(shop_wallet(&app, &s).await, 0, "nothing released after the refund");
});

async fn account_shop<S: Store>(app: &TestApp<S>, name: &str, n: usize) -> Shop {
    let (owner, shop) = app.merchant(&format!("{name}_owner"), &format!("{name}号店")).await;
    let product = app
        .product(
            &owner,
            shop,
            json!({ "kind": "account", "category": "game_account", "title": "原神 60级 账号", "price_fen": PRICE,
            "account_attrs": [{ "name": "等级", "value": "60" }, { "name": "区服", "value": "天空岛" }] }),
        )
        .await;
    let keys: String = (0..n).map(|i| format!("acc{i}----pw{i}\n")).collect();
    app.import(&owner, product, &keys, false).await;
    Shop { owner, shop, product }
}

async fn mismatch_case<S: Store>(app: &TestApp<S>, buyer: &TestUser, no: &str) -> i64 {
    let (st, c) = open(
        app,
        buyer,
        no,
        json!({ "type": "account_mismatch", "description": "等级只有 40", "mismatched_attributes": ["等级"] }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

http_test!(partial_refund_accepted_or_refused, |app| {
    let s = account_shop(&app, "partial", 2).await;
    let (buyer, no) = buyer_with_order(&app, "buyer_pa", s.product).await;
    let (st, e) = open(
        &app,
        &buyer,
        &no,
        json!({ "type": "account_mismatch", "description": "x", "mismatched_attributes": ["皮肤"] }),
    )
    .await;
    assert_eq!(
        (st, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("mismatched_attributes")),
        "judged against the snapshot"
    );
    let case = mismatch_case(&app, &buyer, &no).await;
    let (st, e) = act(&app, &s.owner, case, json!({ "action": "partial_refund", "amount_fen": PRICE + 1 })).await;
    assert_eq!((st, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_fen")), "above the price");
    let (st, c) = act(&app, &s.owner, case, json!({ "action": "partial_refund", "amount_fen": 3_000 })).await;
    assert_eq!((st, c["proposal_fen"].as_i64()), (StatusCode::OK, Some(3_000)));
    let (st, c) = act(&app, &buyer, case, json!({ "action": "accept" })).await;
    assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("resolved_partial")));
    assert_eq!(app.balance(&buyer).await, 100_000 - PRICE + 3_000);
    let o = order(&app, &buyer, &no).await;
    assert_eq!((o["state"].as_str(), o["escrow_fen"].as_i64()), (Some("completed"), Some(0)));
    assert_eq!(shop_wallet(&app, &s).await, 6_800 - 136, "the rest released, less the 2 % fee");
    let (st, e) = open(&app, &buyer, &no, json!({ "type": "other", "description": "再来一次" })).await;
    assert_eq!(
        (st, e["reason"].as_str()),
        (StatusCode::CONFLICT, Some("case_already_decided")),
        "an agreed settlement stands"
    );

    // Refused: the platform arbitrates.
    let (buyer2, no2) = buyer_with_order(&app, "buyer_pr", s.product).await;
    let case2 = mismatch_case(&app, &buyer2, &no2).await;
    act(&app, &s.owner, case2, json!({ "action": "partial_refund", "amount_fen": 1_000 })).await;
    let (st, c) = act(&app, &buyer2, case2, json!({ "action": "refuse", "reason": "太少了" })).await;
    assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("in_arbitration")));
    let agent = app.staff("agent_pr", "agent").await;
    let (_, q) = app.get("/api/v1/platform/arbitration", Some(&agent.token)).await;
    assert_eq!(q[0]["id"], case2);
    let (st, c) =
        act(&app, &agent, case2, json!({ "action": "decide", "decision": "refund", "reason": "等级不符" })).await;
    assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("resolved_refunded")));
    assert_eq!(app.balance(&buyer2).await, 100_000);
    settle(&app, &[&buyer, &buyer2]).await;
});

http_test!(merchant_contests_and_the_platform_decides_each_way, |app| {
    let s = account_shop(&app, "contest", 3).await;
    let agent = app.staff("agent_ct", "agent").await;
    let mut buyers = Vec::new();
    for (i, (decision, expect, buyer_gets)) in [
        (json!({ "decision": "refund" }), "resolved_refunded", PRICE),
        (
            json!({ "decision": "partial_refund", "amount_fen": 2_000, "account_returned": true }),
            "resolved_partial",
            2_000,
        ),
        (json!({ "decision": "reject", "reason": "截图显示等级为 60" }), "rejected", 0),
    ]
    .into_iter()
    .enumerate()
    {
        let (buyer, no) = buyer_with_order(&app, &format!("buyer_ct{i}"), s.product).await;
        let case = mismatch_case(&app, &buyer, &no).await;
        let (st, e) = act(&app, &agent, case, json!({ "action": "decide", "decision": "refund" })).await;
        assert_eq!(st, StatusCode::CONFLICT, "not in arbitration yet: {e}");
        let (st, c) = act(
            &app,
            &s.owner,
            case,
            json!({ "action": "contest", "reason": "发货时等级为 60", "screenshots": [png()] }),
        )
        .await;
        assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("in_arbitration")), "{c}");
        let mut body = decision.clone();
        body["action"] = json!("decide");
        let (st, c) = act(&app, &agent, case, body).await;
        assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some(expect)), "{c}");
        assert_eq!(app.balance(&buyer).await, 100_000 - PRICE + buyer_gets);
        let o = order(&app, &buyer, &no).await;
        assert_eq!(o["escrow_fen"], 0, "settled: {o}");
        buyers.push(buyer);
    }
    let (st, e) = act(&app, &agent, 999_999, json!({ "action": "decide", "decision": "reject", "reason": "x" })).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    settle(&app, &buyers.iter().collect::<Vec<_>>()).await;
});

http_test!(merchant_silent_means_an_automatic_refund_at_12_hours, |app| {
    let s = card_shop(&app, "silent", "S-1\nS-2\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_si", s.product).await;
    let case = key_case(&app, &buyer, &no, vec![png()]).await;
    app.advance(24 * HOUR / 2 - 1).await;
    assert_eq!(app.balance(&buyer).await, 100_000 - PRICE, "not a second early");
    app.advance(1).await;
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    assert_eq!(
        (d["case"]["state"].as_str(), d["case"]["outcome"].as_str()),
        (Some("resolved_refunded"), Some("auto_refund_merchant_silent"))
    );
    assert_eq!(app.balance(&buyer).await, 100_000);
    let admin = app.staff("admin_si", "admin").await;
    let (_, b) = app.get(&format!("/api/v1/breaches?shop_id={}", s.shop), Some(&admin.token)).await;
    assert_eq!((b[0]["kind"].as_str(), b[0]["party"].as_str()), (Some("case_silence"), Some("shop")), "{b}");
    settle(&app, &[&buyer]).await;
});

http_test!(arbitration_silent_means_the_safety_net_at_24_hours, |app| {
    let s = card_shop(&app, "net", "N-1\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_net", s.product).await;
    // No screenshot: the platform arbitrates rather than refunding at 12 h.
    let case = key_case(&app, &buyer, &no, vec![]).await;
    app.advance(12 * HOUR).await;
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    assert_eq!(d["case"]["state"], "in_arbitration");
    app.advance(12 * HOUR - 1).await;
    assert_eq!(app.balance(&buyer).await, 100_000 - PRICE);
    app.advance(1).await;
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    assert_eq!(
        (d["case"]["state"].as_str(), d["case"]["outcome"].as_str()),
        (Some("resolved_refunded"), Some("safety_net_refund"))
    );
    assert_eq!(app.balance(&buyer).await, 100_000);
    let admin = app.staff("admin_net", "admin").await;
    let (_, b) = app.get(&format!("/api/v1/breaches?shop_id={}", s.shop), Some(&admin.token)).await;
    let kinds: Vec<(&str, &str)> =
        b.as_array().unwrap().iter().map(|x| (x["kind"].as_str().unwrap(), x["party"].as_str().unwrap())).collect();
    assert_eq!(kinds, vec![("platform_case_unresolved", "platform"), ("case_silence", "shop")]);
    settle(&app, &[&buyer]).await;
});

/// Moves money straight through the ledger, as a withdrawal or a deposit would.
async fn post<S: Store>(
    app: &TestApp<S>,
    from: youying_core::money::Account,
    to: youying_core::money::Account,
    fen: i64,
) {
    let now = app.clock.now();
    app.app
        .store
        .write(move |tx| {
            let e = youying_core::money::Entry::transfer(
                "test.move",
                "test",
                "",
                from,
                to,
                youying_core::money::Fen::new(fen)?,
            )?;
            tx.post(&e, now)
        })
        .await
        .unwrap();
}

http_test!(a_released_order_is_refunded_from_wallet_then_deposit_then_fund, |app| {
    use youying_core::money::Account;
    use youying_core::values::ShopId;
    let s = card_shop(&app, "fall", "F-1\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_fa", s.product).await;
    let (st, _) = app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let shop = ShopId(s.shop);
    assert_eq!(shop_wallet(&app, &s).await, PRICE - 196);
    post(&app, Account::ShopWallet(shop), Account::PlatformCash, PRICE - 196 - 5_000).await; // withdrew all but ¥50
    // The shop's ¥1000 deposit (the testkit's merchant holds the minimum), all but ¥30 withdrawn.
    post(&app, Account::ShopDeposit(shop), Account::PlatformCash, youying_testkit::DEPOSIT_MIN_FEN - 3_000).await;
    post(&app, Account::PlatformCash, Account::ProtectionFund, 10_000).await;
    let fund_before = app.app.store.read(|tx| tx.balance(Account::ProtectionFund)).await.unwrap();

    let case = key_case(&app, &buyer, &no, vec![png()]).await;
    assert_eq!(order(&app, &buyer, &no).await["state"], "completed", "nothing left to freeze");
    app.advance(12 * HOUR).await;
    assert_eq!(app.balance(&buyer).await, 100_000, "made whole");
    let (deposit, fund) = app
        .app
        .store
        .read(move |tx| Ok((tx.balance(Account::ShopDeposit(shop))?, tx.balance(Account::ProtectionFund)?)))
        .await
        .unwrap();
    assert_eq!((shop_wallet(&app, &s).await, deposit, fund_before - fund), (0, 0, PRICE - 5_000 - 3_000));
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    let closed = d["timeline"].as_array().unwrap().iter().find(|t| t["kind"] == "case.closed").unwrap();
    assert_eq!(
        closed["detail"]["sources"],
        json!({ "escrow": 0, "shop_wallet": 5_000, "deposit": 3_000, "protection_fund": 1_800, "platform": 0 })
    );
    assert_eq!(order(&app, &buyer, &no).await["state"], "refunded");
    settle(&app, &[&buyer]).await;
});

http_test!(bad_input_writes_nothing, |app| {
    let s = card_shop(&app, "bad", "B-1\nB-2\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_bad", s.product).await;
    let stranger = app.buyer("stranger").await;
    let body = json!({ "type": "key_invalid", "description": "死卡" });
    let (st, _) = open(&app, &stranger, &no, body.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "someone else's order");
    let exe = json!({ "name": "shot.png", "content_base64": base64::engine::general_purpose::STANDARD.encode(b"MZ\x90\0not an image") });
    let (st, e) =
        open(&app, &buyer, &no, json!({ "type": "key_invalid", "description": "死卡", "screenshots": [png(), exe] }))
            .await;
    assert_eq!(
        (st, e["field"].as_str(), e["reason"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("screenshots"), Some("not_an_image"))
    );
    let (st, e) = open(
        &app,
        &buyer,
        &no,
        json!({ "type": "key_invalid", "description": "死卡", "screenshots": [{ "content_base64": "%%%" }] }),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, e) = open(&app, &buyer, &no, json!({ "type": "topup_missing", "description": "死卡" })).await;
    assert_eq!((st, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("type")));
    let (_, list) = app.get(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token)).await;
    assert_eq!(list, json!([]), "nothing half-written");
    assert_eq!(order(&app, &buyer, &no).await["state"], "delivered");
    assert!(app.events_about("case:1").await.is_empty());

    let case = key_case(&app, &buyer, &no, vec![]).await;
    let (st, e) = open(&app, &buyer, &no, body.clone()).await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("case_already_open")));
    let (st, _) = app.get(&format!("/api/v1/cases/{case}"), Some(&stranger.token)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (other, _) = app.merchant("other_owner", "别家店").await;
    let (st, _) = act(&app, &other, case, json!({ "action": "refund" })).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another shop's case");
    let (st, e) = act(&app, &s.owner, case, json!({ "action": "partial_refund", "amount_fen": PRICE + 1 })).await;
    assert_eq!((st, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_fen")));
    let (st, _) = act(&app, &s.owner, case, json!({ "action": "fulfil", "proof": "已充" })).await;
    assert_eq!(st, StatusCode::CONFLICT, "not a top-up");
    let (st, _) = act(&app, &s.owner, case, json!({ "action": "launder" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = act(&app, &s.owner, case, json!({ "action": "refund" })).await;
    assert_eq!(st, StatusCode::OK);

    // Outside the window: refused with the date it closed.
    let (buyer2, no2) = buyer_with_order(&app, "buyer_late", s.product).await;
    let until = order(&app, &buyer2, &no2).await["protect_until"].as_i64().unwrap();
    app.advance(24 * HOUR).await;
    let (st, e) = open(&app, &buyer2, &no2, body).await;
    assert_eq!(
        (st, e["code"].as_str(), e["window_closed_at"].as_i64()),
        (StatusCode::CONFLICT, Some("case_window_closed"), Some(until)),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("2026-11-"), "{e}");
    settle(&app, &[&buyer, &buyer2]).await;
});

http_test!(a_topup_case_is_fulfilled_with_proof, |app| {
    let (owner, shop) = app.merchant("top_owner", "直充售后店").await;
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充", "price_fen": 1_500,
            "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }),
        )
        .await;
    let buyer = app.buyer("buyer_top").await;
    app.credit(&buyer, 10_000).await;
    let r = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&buyer.token)
        .json(&json!({ "product_id": topup, "topup_target": { "qq": "123456789" } }))
        .send()
        .await
        .unwrap();
    let no = r.json::<Value>().await.unwrap()["order"]["no"].as_str().unwrap().to_owned();
    let (st, e) = open(&app, &buyer, &no, json!({ "type": "topup_missing", "description": "没到账" })).await;
    assert_eq!(
        (st, e["reason"].as_str()),
        (StatusCode::CONFLICT, Some("order_not_delivered")),
        "not fulfilled yet: cancel instead"
    );
    app.post(&format!("/api/v1/orders/{no}/fulfil"), Some(&owner.token), json!({ "note": "已充值" })).await;
    let (st, c) = open(&app, &buyer, &no, json!({ "type": "topup_missing", "description": "没到账" })).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    let (st, c) = act(&app, &owner, case, json!({ "action": "fulfil", "proof": "腾讯流水号 4200001234" })).await;
    assert_eq!((st, c["state"].as_str()), (StatusCode::OK, Some("awaiting_buyer")));
    // The buyer stays silent: the delivered remedy stands at 24 h, no breach.
    app.advance(24 * HOUR).await;
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    assert_eq!(
        (d["case"]["state"].as_str(), d["case"]["outcome"].as_str()),
        (Some("resolved_fulfilled"), Some("remedy_stands_buyer_silent"))
    );
    settle(&app, &[&buyer]).await;
});

http_test!(twin_cases_an_empty_stock_and_a_second_case_after_a_reissue, |app| {
    let s = card_shop(&app, "twin", "T-1\n").await;
    let (buyer, no) = buyer_with_order(&app, "buyer_tw", s.product).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, url, token) =
            (app.client.clone(), app.url(&format!("/api/v1/orders/{no}/cases")), buyer.token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "type": "key_invalid", "description": "死卡" });
            client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
    let (_, list) = app.get(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token)).await;
    let case = list[0]["id"].as_i64().unwrap();

    // Nothing left to reissue from: refused, nothing changed.
    let (st, e) = act(&app, &s.owner, case, json!({ "action": "reissue" })).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")));
    let (_, r) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(r["units"][0]["code"], "T-1");
    app.import(&s.owner, s.product, "T-2\n", false).await;
    let (st, _) = act(&app, &s.owner, case, json!({ "action": "reissue" })).await;
    assert_eq!(st, StatusCode::OK);
    act(&app, &buyer, case, json!({ "action": "accept" })).await;

    // The fresh key fails too: a second case inside the window, refunded in full.
    app.advance(HOUR).await;
    let case2 = key_case(&app, &buyer, &no, vec![]).await;
    let (st, c) = act(&app, &s.owner, case2, json!({ "action": "refund" })).await;
    assert_eq!((st, c["refund_fen"].as_i64()), (StatusCode::OK, Some(PRICE)));
    assert_eq!(app.balance(&buyer).await, 100_000);
    assert_eq!(order(&app, &buyer, &no).await["state"], "refunded");
    let (_, p) = app.get(&format!("/api/v1/products/{}", s.product), None).await;
    assert_eq!(p["stock"], 0, "the dead key never returns to stock");
    settle(&app, &[&buyer]).await;
});
