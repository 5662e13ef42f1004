//! The operator's tools: the users and shops pages (search, freeze with a
//! reason, wallet credit, deposit adjustment), their JSON equivalents, and
//! the rules form in human units with its confirmation.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::web::Web;
use youying_testkit::{PASSWORD, TestApp, http_test};

async fn page_login<S: Store>(app: &TestApp<S>, username: &str) -> (StatusCode, String) {
    let resp = app
        .client
        .post(app.url("/login"))
        .header("cookie", "yy_csrf=t")
        .form(&[("username", username), ("password", PASSWORD), ("_csrf", "t"), ("next", "/")])
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

http_test!(an_admin_finds_a_user_freezes_them_out_and_lets_them_back, |app| {
    let admin = app.staff("root", "admin").await;
    let buyer = app.buyer("dongjie").await;
    app.buyer("other_one").await;
    let mut web = Web::new(&app, &admin);
    let (s, _) = web.get("/admin/users?q=%00").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a NUL in the search is refused at the edge, no 500 on PostgreSQL");
    let (s, _) = web.get("/admin/shops?q=a%00").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, list) = web.get("/admin/users?q=DONG").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("dongjie") && !list.contains("other_one"), "{list}");
    let (_, by_id) = web.get(&format!("/admin/users?q={}", buyer.id)).await;
    assert!(by_id.contains(&format!("/admin/users/{}", buyer.id)), "{by_id}");

    let file = format!("/admin/users/{}", buyer.id);
    let (s, body) = web.get(&file).await;
    assert!(s == StatusCode::OK && body.contains("买家") && body.contains("¥0.00"), "{body}");
    let (s, _, body) = web.post(&format!("{file}/freeze"), &[("reason", "  ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请填写原因") && body.contains("freeze-form"), "{body}");
    assert_eq!(
        app.get("/api/v1/wallet", Some(&buyer.token)).await.0,
        StatusCode::OK,
        "a refused freeze changes nothing"
    );

    let (s, location, _) = web.post(&format!("{file}/freeze"), &[("reason", "盗刷嫌疑 <b>核查</b>")]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, format!("{file}?done=frozen").as_str()));
    assert_eq!(app.get("/api/v1/wallet", Some(&buyer.token)).await.0, StatusCode::UNAUTHORIZED, "signed out at once");
    let (s, login) = app.login("dongjie", PASSWORD).await;
    assert_eq!((s, login["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_frozen")));
    assert!(login["message"].as_str().unwrap().contains("账号已被冻结"), "{login}");
    let (s, body) = page_login(&app, "dongjie").await;
    assert!(s == StatusCode::FORBIDDEN && body.contains("账号已被冻结"), "{s} {body}");
    let (_, body) = web.get(&location).await;
    assert!(body.contains("已冻结") && body.contains("冻结账号：盗刷嫌疑 &#60;b&#62;核查&#60;/b&#62;"), "{body}");
    assert!(body.contains(&format!("/admin/users/{}", admin.id)), "who did it");

    let (s, _, _) = web.post(&format!("{file}/unfreeze"), &[("reason", "核查无误")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.login("dongjie", PASSWORD).await.0, StatusCode::OK);
    let events = app.events_about(&format!("user:{}", buyer.id)).await;
    assert!(events.contains(&"user.frozen".to_owned()) && events.contains(&"user.unfrozen".to_owned()), "{events:?}");
});

http_test!(a_wallet_credit_needs_a_reason_and_a_tick, |app| {
    let admin = app.staff("root", "admin").await;
    let buyer = app.buyer("maijia").await;
    let mut web = Web::new(&app, &admin);
    let file = format!("/admin/users/{}", buyer.id);
    web.get(&file).await;
    let credit = format!("{file}/credit");
    let (s, _, body) = web.post(&credit, &[("amount", "20.50"), ("reason", "补偿")]).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("请勾选确认") && body.contains("20.50"), "{body}");
    let (s, _, body) = web.post(&credit, &[("amount", "20.50"), ("reason", ""), ("confirm", "1")]).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("请填写原因"), "{body}");
    assert_eq!(app.balance(&buyer).await, 0);
    let (s, location, _) = web.post(&credit, &[("amount", "20.50"), ("reason", "补偿"), ("confirm", "1")]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, format!("{file}?done=credited").as_str()));
    assert_eq!(app.balance(&buyer).await, 2_050);
    let (_, body) = web.get(&location).await;
    assert!(body.contains("钱包入账 ¥20.50：补偿") && body.contains("¥20.50"), "{body}");
});

http_test!(a_deposit_adjustment_balances_and_never_goes_below_zero, |app| {
    let admin = app.staff("root", "admin").await;
    let (_, shop) = app.merchant("laowang", "星辰点卡").await;
    let mut web = Web::new(&app, &admin);
    let (s, list) = web.get("/admin/shops?q=星辰").await;
    assert!(
        s == StatusCode::OK && list.contains("星辰点卡") && list.contains("¥1000.00") && list.contains("营业中"),
        "{list}"
    );
    let file = format!("/admin/shops/{shop}");
    web.get(&file).await;
    let deposit = format!("{file}/deposit");
    let (s, _, body) = web.post(&deposit, &[("direction", "deduct"), ("amount", "1000.01"), ("reason", "误充")]).await;
    assert!(
        s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("不能低于 ¥0.00") && body.contains("1000.01"),
        "{body}"
    );
    let (s, _, body) = web.post(&deposit, &[("direction", "deduct"), ("amount", "300"), ("reason", " ")]).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("请填写原因"), "{body}");
    let (s, location, _) =
        web.post(&deposit, &[("direction", "deduct"), ("amount", "300"), ("reason", "误充退回")]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, format!("{file}?done=adjusted").as_str()));
    let (_, body) = web.get(&location).await;
    assert!(body.contains("¥700.00") && body.contains("保证金不足") && body.contains("扣减保证金 ¥300.00"), "{body}");

    let path = format!("/api/v1/admin/shops/{shop}/deposit");
    let (s, err) = app.post(&path, Some(&admin.token), json!({ "delta_fen": -70_001, "reason": "x" })).await;
    assert_eq!((s, err["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")));
    assert!(err["message"].as_str().is_some());
    let (s, view) = app.post(&path, Some(&admin.token), json!({ "delta_fen": 30_000, "reason": "补回" })).await;
    assert_eq!(
        (s, view["deposit_fen"].as_i64(), view["state"].as_str()),
        (StatusCode::OK, Some(100_000), Some("open"))
    );
});

http_test!(a_frozen_shop_is_hidden_until_unfrozen, |app| {
    let admin = app.staff("root", "admin").await;
    let (_, shop) = app.merchant("laowang", "星辰点卡").await;
    let mut web = Web::new(&app, &admin);
    let file = format!("/admin/shops/{shop}");
    web.get(&file).await;
    let (s, _, _) = web.post(&format!("{file}/freeze"), &[("reason", "售假投诉核查中")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/admin/shops?q=星辰", Some(&admin.token)).await;
    assert_eq!(list["shops"][0]["state"], "suspended", "{list}");
    let (_, body) = web.get(&file).await;
    assert!(body.contains("已冻结") && body.contains("售假投诉核查中") && body.contains("unfreeze-form"), "{body}");
    let path = format!("/api/v1/admin/shops/{shop}/unfreeze");
    let (s, view) = app.post(&path, Some(&admin.token), json!({ "reason": "核查完毕" })).await;
    assert_eq!((s, view["state"].as_str()), (StatusCode::OK, Some("open")), "{view}");
});

http_test!(only_admins_read_and_act, |app| {
    let buyer = app.buyer("maijia").await;
    let agent = app.staff("kefu", "agent").await;
    let target = app.buyer("target").await;
    assert_eq!(Web::new(&app, &buyer).get("/admin/users").await.0, StatusCode::FORBIDDEN);
    let (s, err) = app.get("/api/v1/admin/users?q=t", Some(&buyer.token)).await;
    assert_eq!((s, err["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let mut web = Web::new(&app, &agent);
    let file = format!("/admin/users/{}", target.id);
    let (s, _) = web.get(&file).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the user directory is the admin's (PRODUCT.md); agents work in cases and chat"
    );
    let (s, _, _) = web.post(&format!("{file}/freeze"), &[("reason", "x")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = web.post(&format!("{file}/freeze"), &[("reason", "x"), ("_csrf", "forged")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/admin/users?q=target", Some(&agent.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/admin/users/{}/freeze", target.id);
    assert_eq!(app.post(&path, Some(&agent.token), json!({ "reason": "x" })).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/wallet", Some(&target.token)).await.0, StatusCode::OK, "nothing changed");
});

http_test!(the_rules_form_names_the_change_and_saves_seconds, |app| {
    let admin = app.staff("root", "admin").await;
    let mut web = Web::new(&app, &admin);
    let (_, console) = web.get("/platform").await;
    assert!(console.contains("id=\"rule-chat_reply_secs\" name=\"chat_reply_secs\" value=\"2\""), "2 分钟 shown as 2");
    let (s, _, body) =
        web.post("/admin/rules/check", &[("chat_reply_secs", "10"), ("chat_reply_secs__unit", "s")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("买家消息人工回复时限：不能少于 30 秒") && body.contains("value=\"10\""), "{body}");
    let (s, location, _) =
        web.post("/admin/rules/check", &[("chat_reply_secs", "5"), ("chat_reply_secs__unit", "m")]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/admin/rules/confirm?chat_reply_secs=300"));
    let (s, confirm) = web.get(&location).await;
    assert!(s == StatusCode::OK && confirm.contains("买家消息人工回复时限：2 分钟 → 5 分钟"), "{confirm}");
    let (_, rules) = app.get("/api/v1/admin/rules", Some(&admin.token)).await;
    assert_eq!(rules["chat_reply_secs"], 120, "nothing saved before the confirmation");
    let (s, _, _) = web.post("/admin/rules", &[("chat_reply_secs", "5")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the sane minimum holds on the last step too");
    let (s, location, _) = web.post("/admin/rules", &[("chat_reply_secs", "300")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, rules) = app.get("/api/v1/admin/rules", Some(&admin.token)).await;
    assert_eq!(rules["chat_reply_secs"], 300);
    let (_, body) = web.get(&location).await;
    assert!(body.contains("规则已保存") && body.contains("当前 5 分钟"), "{body}");
});
