//! The server-rendered pages over HTTP on both backends: CSRF on every form,
//! Chinese error pages, role navigation, and escaping of user text.

use reqwest::StatusCode;
use youying_testkit::{PASSWORD, TestApp, http_test};

/// A minimal browser: keeps cookies by name (Secure ones included, as a browser
/// does on localhost) and reads the CSRF token from the last page.
struct Browser {
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl Browser {
    fn new() -> Self {
        Self { cookies: Vec::new(), csrf: String::new() }
    }

    fn header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for c in resp.headers().get_all("set-cookie") {
            let raw = c.to_str().unwrap();
            let (k, rest) = raw.split_once('=').unwrap();
            let v = rest.split(';').next().unwrap().to_owned();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_owned(), v));
            }
        }
    }

    async fn get<S: youying_core::ports::Store>(&mut self, app: &TestApp<S>, path: &str) -> (StatusCode, String) {
        let resp = app.client.get(app.url(path)).header("cookie", self.header()).send().await.unwrap();
        self.keep(&resp);
        let status = resp.status();
        let body = resp.text().await.unwrap();
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        (status, body)
    }

    async fn post<S: youying_core::ports::Store>(
        &mut self,
        app: &TestApp<S>,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let resp = app.client.post(app.url(path)).header("cookie", self.header()).form(form).send().await.unwrap();
        self.keep(&resp);
        let status = resp.status();
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        (status, location, resp.text().await.unwrap())
    }
}

http_test!(register_open_a_shop_and_see_the_merchant_navigation, |app| {
    let mut b = Browser::new();
    let (s, page) = b.get(&app, "/register").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("注册"));
    let csrf = b.csrf.clone();
    let (s, _, page) =
        b.post(&app, "/register", &[("username", "page_user"), ("password", "abc"), ("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("密码太弱") && page.contains("value=\"page_user\""), "message in Chinese, input kept");
    let (s, to, _) =
        b.post(&app, "/register", &[("username", "page_user"), ("password", PASSWORD), ("_csrf", &csrf)]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/"));
    let (_, home) = b.get(&app, "/").await;
    assert!(
        home.contains("data-nav=\"open-shop\"") && home.contains("开店") && !home.contains("data-nav=\"merchant\"")
    );
    let csrf = b.csrf.clone();
    let (s, to, _) = b.post(&app, "/shops/new", &[("name", "Tom & \"Jerry\" 点卡"), ("_csrf", &csrf)]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/merchant"));
    let (s, console) = b.get(&app, "/merchant").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        console.contains("Tom &#38; &#34;Jerry&#34; 点卡") && !console.contains("\"Jerry\""),
        "user text is escaped"
    );
    assert!(
        console.contains("data-nav=\"merchant\"")
            && console.contains("商家后台")
            && !console.contains("data-nav=\"open-shop\"")
    );
    let csrf = b.csrf.clone();
    let (s, to, _) = b.post(&app, "/logout", &[("_csrf", &csrf)]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/"));
    let (_, home) = b.get(&app, "/").await;
    assert!(home.contains("data-nav=\"login\""), "signed out");
});

http_test!(every_form_checks_csrf, |app| {
    app.buyer("csrf_user").await;
    let mut b = Browser::new();
    b.get(&app, "/login").await;
    assert!(b.cookies.iter().any(|(k, _)| k == "yy_csrf"), "anonymous forms get a double-submit cookie");
    let (s, _, page) =
        b.post(&app, "/login", &[("username", "csrf_user"), ("password", PASSWORD), ("_csrf", "forged")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(page.contains("页面已过期或来源不明"));
    let csrf = b.csrf.clone();
    let (s, _, page) =
        b.post(&app, "/login", &[("username", "csrf_user"), ("password", "wrong-pass1"), ("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(page.contains("用户名或密码错误"));
    let (s, _, _) =
        b.post(&app, "/login", &[("username", "csrf_user"), ("password", PASSWORD), ("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    b.get(&app, "/").await;
    let (s, _, _) = b.post(&app, "/shops/new", &[("name", "跨站店"), ("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the anonymous token is not the session's");
    let session_csrf = b.csrf.clone();
    assert_ne!(session_csrf, csrf);
    let (s, _, _) = b.post(&app, "/shops/new", &[("name", "正常店"), ("_csrf", &session_csrf)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
});

http_test!(error_pages_speak_chinese, |app| {
    let mut b = Browser::new();
    let (s, page) = b.get(&app, "/no-such-page").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("页面不存在") && page.contains("返回首页"));
    let (s, _) = b.get(&app, "/platform").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "sign in first");
    let buyer = app.buyer("plain_buyer").await;
    let resp = app
        .client
        .get(app.url("/platform"))
        .header("cookie", format!("yy_session={}", buyer.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("无权访问"));
    for _ in 0..5 {
        app.login("plain_buyer", "wrong-pass1").await;
    }
    b.get(&app, "/login").await;
    let csrf = b.csrf.clone();
    let resp = app
        .client
        .post(app.url("/login"))
        .header("cookie", b.header())
        .form(&[("username", "plain_buyer"), ("password", PASSWORD), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    assert!(resp.text().await.unwrap().contains("尝试次数过多"));
});

http_test!(role_navigation_for_platform_staff, |app| {
    let admin = app.staff("root", "admin").await;
    let agent = app.staff("kefu", "agent").await;
    let page = |token: String| {
        let req = app.client.get(app.url("/platform")).header("cookie", format!("yy_session={token}"));
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let admin_page = page(admin.token.clone()).await;
    assert!(admin_page.contains("data-nav=\"admin\"") && admin_page.contains("id=\"rules-form\""));
    let agent_page = page(agent.token.clone()).await;
    assert!(
        agent_page.contains("data-nav=\"platform\"")
            && !agent_page.contains("data-nav=\"admin\"")
            && !agent_page.contains("rules-form")
    );
});

http_test!(framework_errors_on_pages_are_chinese_pages_too, |app| {
    let mut b = Browser::new();
    let (s, page) = b.get(&app, "/products/not-a-number").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("请求有误") && page.contains("lang=\"zh-CN\""), "{page}");
    let resp = app.client.delete(app.url("/login")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(resp.text().await.unwrap().contains("不支持该请求方法"));
});
