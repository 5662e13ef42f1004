//! Deposits and the penalty ladder over HTTP on both backends: listings hidden
//! below the minimum deposit and restored by a top-up; breaches 1 → 10 driving
//! warning, down-ranking, fine and suspension; an admin lift with a reason.
//! Every test ends with the ledger and evidence audit (`http_test!` runs it).

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock;
use youying_core::enforcement;
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::{DEPOSIT_MIN_FEN, TestApp, TestUser, http_test};

/// Records a breach the way the features do (here as the after-sales engine's
/// `case_silence`), one second after the previous, and lets search follow.
async fn breach<S: Store>(app: &TestApp<S>, shop: i64, n: i64) {
    app.clock.advance_secs(1);
    let now = app.clock.now();
    app.app
        .store
        .write(move |tx| {
            enforcement::record_breach(
                tx,
                now,
                ShopId(shop),
                enforcement::BreachKind::CaseSilence,
                &format!("case:{n}"),
                &json!({ "case": n }),
            )
        })
        .await
        .unwrap();
    youying_server::catalog::sync_search(&app.app).await.unwrap();
}

async fn search_ids<S: Store>(app: &TestApp<S>, q: &str) -> Vec<i64> {
    let (s, body) = app.get(&format!("/api/v1/products?q={q}"), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

async fn page<S: Store>(app: &TestApp<S>, path: &str) -> String {
    app.client.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}

async fn penalties<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64) -> Value {
    let (s, body) = app.get(&format!("/api/v1/shops/{shop}/penalties"), Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

fn kinds(p: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        p["penalties"].as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap().to_owned()).collect();
    v.reverse(); // oldest first
    v
}

async fn notices<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64) -> Vec<Value> {
    let (s, body) = app.get(&format!("/api/v1/notifications?shop_id={shop}"), Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

fn notice_of<'a>(list: &'a [Value], kind: &str) -> Option<&'a Value> {
    list.iter().find(|n| n["kind"].as_str() == Some(kind))
}

http_test!(a_deposit_below_the_minimum_hides_listings_until_topped_up, |app| {
    let (owner, shop) = app.merchant_without_deposit("laoli", "老李点卡").await;
    let product = app.product(&owner, shop, json!({ "title": "网易一卡通 50元" })).await;
    app.import(&owner, product, "NE-0001\nNE-0002\n", false).await;
    assert!(search_ids(&app, "网易").await.is_empty(), "no deposit: not in search");
    let html = page(&app, &format!("/shops/{shop}")).await;
    assert!(!html.contains("网易一卡通") && html.contains("shop-hidden"), "not on the shop page");
    let (_, listed) = app.get(&format!("/api/v1/shops/{shop}/products"), None).await;
    assert_eq!(listed, json!([]), "the public product list is empty");
    let (_, own) = app.get(&format!("/api/v1/shops/{shop}/products"), Some(&owner.token)).await;
    assert_eq!(own.as_array().unwrap().len(), 1, "the owner still sees the listing");
    let buyer = app.buyer("maijia").await;
    app.credit(&buyer, 20_000).await;
    let (s, e) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("shop_unavailable")), "{e}");
    assert_eq!(app.balance(&buyer).await, 20_000, "nothing charged");
    assert!(page(&app, &format!("/products/{product}")).await.contains("not-for-sale"), "no buy form");

    let half = app.top_up_deposit(&owner, shop, DEPOSIT_MIN_FEN / 2).await;
    assert_eq!((half["listed"].as_bool(), half["hidden_reason"].as_str()), (Some(false), Some("deposit_short")));
    assert!(search_ids(&app, "网易").await.is_empty(), "half the minimum is not enough");
    let full = app.top_up_deposit(&owner, shop, DEPOSIT_MIN_FEN / 2).await;
    assert_eq!((full["listed"].as_bool(), full["deposit_fen"].as_i64()), (Some(true), Some(DEPOSIT_MIN_FEN)));
    assert_eq!(search_ids(&app, "网易").await, vec![product], "restored to search");
    let html = page(&app, &format!("/shops/{shop}")).await;
    assert!(html.contains("网易一卡通") && !html.contains("shop-hidden"), "restored to the shop page");
    assert!(!page(&app, &format!("/products/{product}")).await.contains("not-for-sale"));
    let (s, _) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED);
});

http_test!(a_top_up_is_the_owners_alone_and_never_overdraws, |app| {
    let (owner, shop) = app.merchant_without_deposit("laozhao", "老赵的店").await;
    app.credit(&owner, 10_000).await;
    let url = format!("/api/v1/shops/{shop}/deposit");
    let (s, e) = app.post(&url, Some(&owner.token), json!({ "amount_fen": 20_000 })).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")), "{e}");
    assert_eq!(app.balance(&owner).await, 10_000, "the wallet is untouched");
    let (_, d) = app.get(&url, Some(&owner.token)).await;
    assert_eq!(d["deposit_fen"], 0, "the deposit is untouched");
    let (s, _) = app.post(&url, Some(&owner.token), json!({ "amount_fen": 1, "from": "shop_wallet" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the shop's own wallet is empty");
    let (s, _) = app.post(&url, Some(&owner.token), json!({ "amount_fen": 0 })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // An agent of the shop may look but not pay.
    let (s, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().unwrap();
    let body = json!({ "token": token, "username": "zhao_kf", "password": youying_testkit::PASSWORD });
    let (s, _) = app.post("/api/v1/invites/accept", None, body).await;
    assert_eq!(s, StatusCode::CREATED);
    let kf = app.signed_in("zhao_kf", youying_testkit::PASSWORD).await;
    app.credit(&kf, 5_000).await;
    let (s, _) = app.post(&url, Some(&kf.token), json!({ "amount_fen": 1_000 })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an agent cannot top up");
    let (s, _) = app.get(&url, Some(&kf.token)).await;
    assert_eq!(s, StatusCode::OK, "but sees the deposit");

    let (stranger, _) = app.merchant("laosun", "老孙的店").await;
    app.credit(&stranger, 5_000).await;
    let (s, _) = app.post(&url, Some(&stranger.token), json!({ "amount_fen": 1_000 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's shop");
    let (s, _) = app.get(&format!("/api/v1/shops/{shop}/penalties"), Some(&stranger.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!((app.balance(&kf).await, app.balance(&stranger).await), (5_000, 5_000));

    let (s, d) = app.post(&url, Some(&owner.token), json!({ "amount_fen": 10_000 })).await;
    assert_eq!((s, d["deposit_fen"].as_i64()), (StatusCode::OK, Some(10_000)));
    assert_eq!(app.balance(&owner).await, 0);
});

http_test!(the_ladder_from_one_to_ten_breaches_and_a_lift, |app| {
    let (rival, rival_shop) = app.merchant("rival", "对手点卡").await;
    let theirs = app.product(&rival, rival_shop, json!({ "title": "骏网一卡通 100元" })).await;
    let (owner, shop) = app.merchant("laowang", "老王点卡").await;
    let ours = app.product(&owner, shop, json!({ "title": "骏网一卡通 100元" })).await;
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "王者荣耀点券直充", "price_fen": 1_000,
            "topup_fields": [{ "name": "uid", "label": "游戏ID" }] }),
        )
        .await;
    assert_eq!(search_ids(&app, "").await[..2], [topup, ours], "newest first while equal");

    // Breach 1, for real: a direct top-up missed its promised time.
    let buyer = app.buyer("maijia").await;
    app.credit(&buyer, 10_000).await;
    let (s, o) = app
        .post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": topup, "topup_target": { "uid": "88001" } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    app.advance(1_801).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning"]);
    assert_eq!(p["breaches"][0]["kind"], "topup_late");
    let n = notices(&app, &owner, shop).await;
    let warn = notice_of(&n, "penalty_warning").expect("the owner is warned");
    assert!(warn["body"].as_str().unwrap().contains("直充超时未到账"), "{warn}");

    breach(&app, shop, 2).await;
    assert_eq!(kinds(&penalties(&app, &owner, shop).await), ["warning"], "2nd: nothing new");
    breach(&app, shop, 3).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning", "downrank"]);
    let down = &p["penalties"][0];
    assert_eq!(down["breach_ids"].as_array().unwrap().len(), 3, "the evidence: all three");
    assert_eq!(down["ends_at"].as_i64().unwrap() - down["started_at"].as_i64().unwrap(), 7 * 86_400_000);
    assert_eq!(search_ids(&app, "骏网").await, [theirs, ours], "down-ranked below an equal rival");
    assert!(page(&app, &format!("/shops/{shop}")).await.contains("shop-downranked"), "a notice on the shop page");
    breach(&app, shop, 4).await;
    assert_eq!(kinds(&penalties(&app, &owner, shop).await).len(), 2, "4th: no second down-ranking");

    breach(&app, shop, 5).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning", "downrank", "fine"]);
    assert_eq!(
        (p["penalties"][0]["amount_fen"].as_i64(), p["penalties"][0]["shortfall_fen"].as_i64()),
        (Some(5_000), Some(0))
    );
    assert_eq!(p["standing"]["deposit_fen"], DEPOSIT_MIN_FEN - 5_000);
    assert_eq!(p["standing"]["hidden_reason"], "deposit_short", "the fine took the deposit below the minimum");
    assert!(search_ids(&app, "骏网").await == [theirs]);
    app.top_up_deposit(&owner, shop, 5_000).await;
    assert_eq!(search_ids(&app, "骏网").await, [theirs, ours], "restored, still down-ranked");

    for i in 6..=9 {
        breach(&app, shop, i).await;
    }
    assert_eq!(kinds(&penalties(&app, &owner, shop).await).len(), 3, "6th–9th: nothing new");
    breach(&app, shop, 10).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning", "downrank", "fine", "suspension"]);
    assert_eq!(p["standing"]["hidden_reason"], "suspended");
    let suspension = p["penalties"][0]["id"].as_i64().unwrap();
    assert!(search_ids(&app, "骏网").await == [theirs], "suspended: hidden from search");
    let html = page(&app, &format!("/shops/{shop}")).await;
    assert!(html.contains("shop-hidden") && !html.contains("骏网一卡通"));
    let (s, e) = app.buy(&buyer, ours, 1, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("shop_unavailable")));
    let n = notices(&app, &owner, shop).await;
    let sus = notice_of(&n, "penalty_suspension").unwrap()["body"].as_str().unwrap().to_owned();
    assert!(sus.contains("违规 10 次") && sus.contains("case:10") && sus.contains("直充超时未到账"), "{sus}");

    // Only an admin lifts, and only with a reason.
    let admin = app.staff("admin1", "admin").await;
    let lift = format!("/api/v1/admin/penalties/{suspension}/lift");
    let (s, _) = app.post(&lift, Some(&owner.token), json!({ "reason": "我改了" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.post(&lift, Some(&admin.token), json!({ "reason": "  " })).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")), "{e}");
    let (s, e) = app.post(&lift, Some(&admin.token), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(penalties(&app, &owner, shop).await["standing"]["hidden_reason"], "suspended", "still suspended");
    let (s, l) = app.post(&lift, Some(&admin.token), json!({ "reason": "复核：超时由平台故障引起" })).await;
    assert_eq!(
        (s, l["state"].as_str(), l["lift_reason"].as_str()),
        (StatusCode::OK, Some("lifted"), Some("复核：超时由平台故障引起"))
    );
    assert_eq!(l["lifted_by"], admin.id);
    let (s, _) = app.post(&lift, Some(&admin.token), json!({ "reason": "再来一次" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "only an active penalty is lifted");
    assert_eq!(search_ids(&app, "骏网").await, [theirs, ours], "the lift restores the listings");
    assert!(app.events_about(&format!("penalty:{suspension}")).await.contains(&"penalty.lifted".to_owned()));
    breach(&app, shop, 11).await;
    assert_eq!(kinds(&penalties(&app, &owner, shop).await).len(), 4, "11th: no new suspension");

    // The down-ranking ends by itself after 7 days.
    app.advance(7 * 86_400).await;
    let p = penalties(&app, &owner, shop).await;
    let down = p["penalties"].as_array().unwrap().iter().find(|x| x["kind"] == "downrank").unwrap().clone();
    assert_eq!(down["state"], "ended");
    assert_eq!(p["standing"]["downranked_until"], Value::Null);
    assert!(!page(&app, &format!("/shops/{shop}")).await.contains("shop-downranked"));
    assert_eq!(search_ids(&app, "骏网").await, [ours, theirs], "back to the natural order");
    let (s, all) = app.get(&format!("/api/v1/admin/penalties?shop_id={shop}"), Some(&admin.token)).await;
    assert_eq!((s, all.as_array().unwrap().len()), (StatusCode::OK, 4));
});

http_test!(a_fine_the_deposit_cannot_cover_takes_what_is_there, |app| {
    let admin = app.staff("admin1", "admin").await;
    let (s, r) = app
        .call(reqwest::Method::PUT, "/api/v1/admin/rules", Some(&admin.token), Some(json!({ "penalty_fine_at": 1 })))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (owner, shop) = app.merchant_without_deposit("laoqian", "老钱的店").await;
    app.top_up_deposit(&owner, shop, 3_000).await;
    breach(&app, shop, 1).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning", "fine"], "both thresholds are 1");
    let fine = &p["penalties"][0];
    assert_eq!((fine["amount_fen"].as_i64(), fine["shortfall_fen"].as_i64()), (Some(3_000), Some(2_000)));
    assert_eq!(p["standing"]["deposit_fen"], 0, "never below zero");
    let n = notices(&app, &owner, shop).await;
    assert!(notice_of(&n, "penalty_fine").unwrap()["body"].as_str().unwrap().contains("差额 ¥20.00"));
    // Lifting the fine refunds what was taken.
    let (s, _) = app
        .post(&format!("/api/v1/admin/penalties/{}/lift", fine["id"]), Some(&admin.token), json!({ "reason": "误判" }))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(penalties(&app, &owner, shop).await["standing"]["deposit_fen"], 3_000);
});

http_test!(the_platforms_own_breaches_do_not_count_for_a_shop, |app| {
    let (owner, shop) = app.merchant("laozheng", "老郑点卡").await;
    let now = app.clock.now();
    app.app
        .store
        .write(move |tx| {
            for i in 0..4 {
                tx.insert_platform_breach(
                    ShopId(shop),
                    enforcement::BreachKind::PlatformChatReply,
                    &format!("conversation:{i}"),
                    now,
                    "{}",
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    breach(&app, shop, 1).await;
    breach(&app, shop, 2).await;
    let p = penalties(&app, &owner, shop).await;
    assert_eq!(kinds(&p), ["warning"], "two shop breaches; the platform's four are its own");
    assert_eq!(p["breaches"].as_array().unwrap().len(), 2);
});
