//! Withdrawals (提现): a shop's owner or a buyer asks, an admin pays out or
//! refuses; the ledger moves wallet → pending → paid out (fee to the
//! platform) or back, and never lets more leave than the wallet holds.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock as _;
use youying_core::money::{Account, Entry, Fen};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::{TestApp, TestUser, http_test};

const ACCOUNT: &str = "6222020200112233";

fn ask(amount_fen: i64) -> Value {
    json!({ "amount_fen": amount_fen, "method": "bank", "account": ACCOUNT, "real_name": "张三" })
}

/// Puts `fen` in the shop's wallet, as released sales would.
async fn fund_shop<S: Store>(app: &TestApp<S>, shop: i64, fen: i64) {
    let now = app.clock.now();
    app.app
        .store
        .write(move |tx| {
            let e = Entry::transfer(
                "test.sales",
                "test",
                "",
                Account::PlatformCash,
                Account::ShopWallet(ShopId(shop)),
                Fen::new(fen)?,
            )?;
            tx.post(&e, now)
        })
        .await
        .unwrap();
}

async fn balance<S: Store>(app: &TestApp<S>, account: Account) -> i64 {
    app.app.store.read(move |tx| tx.balance(account)).await.unwrap()
}

async fn shop_with<S: Store>(app: &TestApp<S>, fen: i64) -> (TestUser, i64) {
    let (owner, shop) = app.merchant_without_deposit("mer", "提现小铺").await;
    fund_shop(app, shop, fen).await;
    (owner, shop)
}

async fn request<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/shops/{shop}/withdrawals"), Some(&owner.token), body).await
}

async fn decide<S: Store>(app: &TestApp<S>, staff: &TestUser, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/platform/withdrawals/{id}/decide"), Some(&staff.token), body).await
}

http_test!(request_then_approve_pays_out_minus_the_fee, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let fee_before = balance(&app, Account::PlatformFee).await;
    let (s, w) = request(&app, &owner, shop, ask(6_000)).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert_eq!(
        (w["state"].as_str(), w["fee_fen"].as_i64(), w["net_fen"].as_i64()),
        (Some("requested"), Some(36), Some(5_964))
    );
    assert_eq!(w["account_masked"], "****2233");
    assert!(!w.to_string().contains(ACCOUNT) && !w.to_string().contains("张三"), "{w}");
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 24_000);
    assert_eq!(balance(&app, Account::PendingWithdrawals).await, 6_000);
    let id = w["id"].as_i64().unwrap();

    let (s, list) = app.get("/api/v1/platform/withdrawals", Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"].as_i64(), Some(id));
    assert!(!list.to_string().contains(ACCOUNT), "lists are masked: {list}");
    let (s, full) = app.get(&format!("/api/v1/platform/withdrawals/{id}"), Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK, "{full}");
    assert_eq!((full["account"].as_str(), full["real_name"].as_str()), (Some(ACCOUNT), Some("张三")));

    let (s, paid) = decide(&app, &admin, id, json!({ "decision": "approve", "transfer_ref": "ZZ2026120700001" })).await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!((paid["state"].as_str(), paid["transfer_ref"].as_str()), (Some("paid"), Some("ZZ2026120700001")));
    assert_eq!(balance(&app, Account::PendingWithdrawals).await, 0);
    assert_eq!(balance(&app, Account::PaidOut).await, 5_964);
    assert_eq!(balance(&app, Account::PlatformFee).await - fee_before, 36);
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 24_000);
    let (s, mine) = app.get(&format!("/api/v1/shops/{shop}/withdrawals"), Some(&owner.token)).await;
    assert_eq!((s, mine[0]["state_label"].as_str()), (StatusCode::OK, Some("已打款")));
    let subject = format!("withdrawal:{id}");
    assert_eq!(app.events_about(&subject).await, ["withdrawal.requested", "withdrawal.approved"]);
    let events = app.app.store.read(|tx| tx.events_after(0, 100_000)).await.unwrap();
    assert!(
        events.iter().all(|e| !e.payload.contains(ACCOUNT) && !e.payload.contains("张三")),
        "no personal data in evidence"
    );
});

http_test!(request_then_reject_gives_it_all_back, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let (_, w) = request(&app, &owner, shop, ask(10_000)).await;
    let id = w["id"].as_i64().unwrap();
    let (s, body) = decide(&app, &admin, id, json!({ "decision": "reject" })).await;
    assert_eq!((s, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{body}");
    let (s, r) = decide(&app, &admin, id, json!({ "decision": "reject", "reason": "户名与实名不符" })).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["state"].as_str(), r["reason"].as_str()), (Some("rejected"), Some("户名与实名不符")));
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 30_000);
    assert_eq!((balance(&app, Account::PendingWithdrawals).await, balance(&app, Account::PaidOut).await), (0, 0));
    assert_eq!(app.events_about(&format!("withdrawal:{id}")).await, ["withdrawal.requested", "withdrawal.rejected"]);
});

http_test!(below_the_minimum_above_the_balance_or_the_daily_limit_changes_nothing, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let (s, body) = request(&app, &owner, shop, ask(999)).await;
    assert_eq!(
        (s, body["code"].as_str(), body["min_fen"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_out_of_range"), Some(1_000))
    );
    let (s, body) = request(&app, &owner, shop, ask(30_001)).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")), "{body}");
    let (s, body) = app.put("/api/v1/admin/rules", Some(&admin.token), json!({ "withdraw_daily_fen": 10_000 })).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(request(&app, &owner, shop, ask(6_000)).await.0, StatusCode::CREATED);
    let (s, body) = request(&app, &owner, shop, ask(6_000)).await;
    assert_eq!(
        (s, body["code"].as_str(), body["left_fen"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("daily_limit"), Some(4_000))
    );
    assert!(body["message"].as_str().unwrap().contains("¥40.00"), "{body}");
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 24_000, "only the first one left");
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/withdrawals"), Some(&owner.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // 24 hours later the window has moved on.
    app.clock.advance_secs(24 * 3600);
    assert_eq!(request(&app, &owner, shop, ask(6_000)).await.0, StatusCode::CREATED);
});

http_test!(only_the_owner_withdraws_and_only_an_admin_decides, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let agent = youying_testkit::quiz::agent(&app, &owner, shop, "kefu1").await;
    let stranger = app.buyer("stranger").await;
    let support = app.staff("helper", "agent").await;
    assert_eq!(request(&app, &agent, shop, ask(5_000)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(request(&app, &stranger, shop, ask(5_000)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/shops/{shop}/withdrawals"), Some(&stranger.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.post("/api/v1/wallet/withdrawals", Some(&agent.token), ask(5_000)).await.0, StatusCode::FORBIDDEN);
    let (_, w) = request(&app, &owner, shop, ask(5_000)).await;
    let id = w["id"].as_i64().unwrap();
    let approve = json!({ "decision": "approve", "transfer_ref": "T1" });
    for who in [&owner, &support] {
        assert_eq!(decide(&app, who, id, approve.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&format!("/api/v1/platform/withdrawals/{id}"), Some(&who.token)).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(app.get("/api/v1/platform/withdrawals", Some(&support.token)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(balance(&app, Account::PendingWithdrawals).await, 5_000);
});

http_test!(deciding_twice_is_a_conflict_and_posts_nothing, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let (_, w) = request(&app, &owner, shop, ask(10_000)).await;
    let id = w["id"].as_i64().unwrap();
    let approve = json!({ "decision": "approve", "transfer_ref": "T-1" });
    assert_eq!(decide(&app, &admin, id, approve.clone()).await.0, StatusCode::OK);
    let (s, body) = decide(&app, &admin, id, approve).await;
    assert_eq!((s, body["reason"].as_str()), (StatusCode::CONFLICT, Some("withdrawal_decided")), "{body}");
    let (s, _) = decide(&app, &admin, id, json!({ "decision": "reject", "reason": "晚了" })).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(balance(&app, Account::PaidOut).await, 9_940);
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 20_000);
    assert_eq!(
        decide(&app, &admin, 999_999, json!({ "decision": "reject", "reason": "x" })).await.0,
        StatusCode::NOT_FOUND
    );
});

http_test!(concurrent_requests_only_take_what_exists, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, url, token) =
            (app.client.clone(), app.url(&format!("/api/v1/shops/{shop}/withdrawals")), owner.token.clone());
        tasks.push(tokio::spawn(async move {
            client.post(url).bearer_auth(token).json(&ask(6_000)).send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    assert_eq!(created, 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 0);
    assert_eq!(balance(&app, Account::PendingWithdrawals).await, 30_000);
});

http_test!(nul_and_oversized_personal_data_are_refused, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let big = "账".repeat(10 * 1024 / 3);
    for (field, value) in [
        ("account", "6222\u{0}0202"),
        ("account", big.as_str()),
        ("real_name", "张\u{0}三"),
        ("real_name", big.as_str()),
        ("method", "qqpay"),
    ] {
        let mut body = ask(5_000);
        body[field] = json!(value);
        let (s, r) = request(&app, &owner, shop, body).await;
        // A NUL is refused at the edge (400 `nul_character`), still naming the field.
        let status = if value.contains('\0') { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
        assert_eq!((s, r["field"].as_str()), (status, Some(field)), "{r}");
    }
    assert_eq!(balance(&app, Account::ShopWallet(ShopId(shop))).await, 30_000);
    let (_, w) = request(&app, &owner, shop, ask(5_000)).await;
    let id = w["id"].as_i64().unwrap();
    for (body, status) in [
        (json!({ "decision": "approve", "transfer_ref": "T\u{0}1" }), StatusCode::BAD_REQUEST),
        (json!({ "decision": "reject", "reason": big }), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({ "decision": "maybe" }), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        assert_eq!(decide(&app, &admin, id, body).await.0, status);
    }
});

http_test!(a_buyer_withdraws_their_own_wallet, |app| {
    let buyer = app.buyer("maijia").await;
    let admin = app.staff("root", "admin").await;
    app.credit(&buyer, 10_000).await;
    let (s, w) = app
        .post(
            "/api/v1/wallet/withdrawals",
            Some(&buyer.token),
            json!({ "amount_fen": 5_000, "method": "alipay", "account": "maijia@example.com", "real_name": "李四" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert_eq!(
        (w["wallet"].as_str(), w["method_label"].as_str()),
        (Some(format!("user:{}", buyer.id).as_str()), Some("支付宝"))
    );
    assert_eq!(app.balance(&buyer).await, 5_000);
    let (s, list) = app.get("/api/v1/wallet/withdrawals", Some(&buyer.token)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let id = w["id"].as_i64().unwrap();
    assert_eq!(
        decide(&app, &admin, id, json!({ "decision": "approve", "transfer_ref": "ALI-778" })).await.0,
        StatusCode::OK
    );
    assert_eq!((app.balance(&buyer).await, balance(&app, Account::PaidOut).await), (5_000, 4_970));
});

http_test!(the_withdrawal_routes_are_documented, |app| {
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/v1/shops/{id}/withdrawals",
        "/api/v1/wallet/withdrawals",
        "/api/v1/platform/withdrawals",
        "/api/v1/platform/withdrawals/{id}",
        "/api/v1/platform/withdrawals/{id}/decide",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} in the OpenAPI document");
    }
    assert!(doc["paths"]["/api/v1/shops/{id}/withdrawals"]["post"].is_object());
});
