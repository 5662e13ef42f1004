//! The notification centre and channel forms as pages: the badge in the
//! navigation, live over the websocket; the account page's 通知渠道 forms with
//! CSRF, errors beside the field and the typed values kept; 发送测试.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use youying_core::ports::Store;
use youying_testkit::chat::{say, setup};
use youying_testkit::{PASSWORD, TestApp, TestUser, http_test};

/// A signed-in browser: the session cookie and its CSRF token.
async fn browser<S: Store>(app: &TestApp<S>, who: &TestUser) -> (String, String) {
    let (_, login) = app.login(&who.username, PASSWORD).await;
    (format!("yy_session={}", login["token"].as_str().unwrap()), login["csrf_token"].as_str().unwrap().to_owned())
}

async fn page<S: Store>(app: &TestApp<S>, cookie: &str, path: &str) -> String {
    let r = app.client.get(app.url(path)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

http_test!(the_badge_counts_unread_and_the_centre_marks_them_read, |app| {
    let (owner, _, buyer, conv) = setup(&app).await;
    let (cookie, csrf) = browser(&app, &buyer).await;
    let home = page(&app, &cookie, "/").await;
    assert!(home.contains(r#"data-unread="0""#) && home.contains("/static/notices.js"), "{home}");
    say(&app, &buyer, conv, "在吗").await;
    say(&app, &owner, conv, "在的，<b>请讲</b>").await;
    let home = page(&app, &cookie, "/").await;
    assert!(home.contains(r#"id="notice-badge" class="badge unread-badge" data-unread="1">1<"#), "{home}");
    let list = page(&app, &cookie, "/notifications").await;
    assert!(list.contains("客服回复") && list.contains(&format!("href=\"/chat/{conv}\"")), "{list}");
    assert!(list.contains("&#60;b&#62;请讲") && !list.contains("<b>请讲"), "escaped: {list}");
    let post = |form: Vec<(&'static str, String)>| {
        app.client.post(app.url("/notifications/read")).header("cookie", &cookie).form(&form).send()
    };
    assert_eq!(post(vec![]).await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = post(vec![("_csrf", csrf)]).await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/notifications"));
    let home = page(&app, &cookie, "/").await;
    assert!(home.contains(r#"data-unread="0" hidden"#), "{home}");
    let anon = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!anon.contains("notice-badge"), "no badge signed out");
});

http_test!(a_notice_reaches_the_socket_live, |app| {
    let (owner, _, buyer, conv) = setup(&app).await;
    let mut req = format!("ws://{}/api/v1/ws", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", owner.token).parse().unwrap());
    let mut ws = tokio_tungstenite::connect_async(req).await.unwrap().0;
    say(&app, &buyer, conv, "充值没到账").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.expect("notice in time").unwrap().unwrap();
        if let Ws::Text(t) = frame
            && serde_json::from_str::<Value>(&t).unwrap()["type"] == "notice"
        {
            break;
        }
    }
});

http_test!(channel_forms_keep_values_show_errors_and_send_a_test, |app| {
    let owner = app.buyer("laowang").await;
    let (cookie, csrf) = browser(&app, &owner).await;
    let account = page(&app, &cookie, "/account").await;
    assert!(account.contains("通知渠道") && account.contains(r#"action="/account/channels/telegram""#), "{account}");
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        app.client.post(app.url(path)).header("cookie", &cookie).form(&form).send()
    };
    let tg = |chat: &str| {
        vec![("enabled", "on".to_owned()), ("chat_id", chat.to_owned()), ("bot_token", "123:abc_DEF".to_owned())]
    };
    assert_eq!(post("/account/channels/telegram", tg("-100")).await.unwrap().status(), StatusCode::FORBIDDEN);
    let mut bad = tg("no chat");
    bad.push(("_csrf", csrf.clone()));
    let r = post("/account/channels/telegram", bad).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Chat ID 须为数字") && body.contains(r#"value="no chat""#), "{body}");
    let (_, got) = app.get("/api/v1/me/channels", Some(&owner.token)).await;
    assert_eq!(got["channels"][1]["enabled"], false, "nothing stored");
    let mut good = tg("-100200");
    good.push(("_csrf", csrf.clone()));
    let r = post("/account/channels/telegram", good).await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/account#channel-telegram")
    );
    let account = page(&app, &cookie, "/account").await;
    assert!(account.contains("已设置 ••••_DEF") && !account.contains("123:abc_DEF"), "hint only: {account}");
    let r = post("/account/channels/telegram/test", vec![("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = app.get("/api/v1/notifications", Some(&owner.token)).await;
    assert_eq!(inbox["items"][0]["event"], "test", "{inbox}");
    let r = post("/account/channels/wecom/test", vec![("_csrf", csrf)]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a channel that is off");
    assert!(r.text().await.unwrap().contains("该渠道未开启"));
});
