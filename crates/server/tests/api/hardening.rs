//! Hostile input answers the same clear 4xx on both backends, everywhere: a
//! table-driven probe walks every operation of the OpenAPI document (so a new
//! endpoint is covered the day it is documented) and a list of page routes and
//! forms, with a NUL (`\u0000`, `%00`) and integers no row can have
//! (2147483648, 9223372036854775808, -1), as a buyer, a merchant and an admin;
//! it asserts no 5xx, NUL refused as 400 `nul_character`, and the same status
//! and code on SQLite and PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use youying_core::ports::Store;
use youying_testkit::market::{bought, card_shop};
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestDb, TestUser, http_test};

const NUL_TEXT: &str = "a\u{0}b";
const HUGE: [&str; 3] = ["2147483648", "9223372036854775808", "-1"];

/// What one backend answered to each probe, one line per probe.
type Answers = Vec<(String, u16, String)>;

/// A body to send: its content type and bytes.
type Body = Option<(&'static str, Vec<u8>)>;

/// The ids the probe fills into path parameters that are not being probed.
struct Fixture {
    users: Vec<TestUser>,
    shop: i64,
    product: i64,
    order: String,
    victim: i64,
}

async fn fixture<S: Store>(app: &TestApp<S>) -> Fixture {
    let admin = app.staff("probe_admin", "admin").await;
    let shop = card_shop(app, "probe", 950, "PK-1\nPK-2\nPK-3\n").await;
    let buyer = app.buyer("probe_buyer").await;
    app.credit(&buyer, 10_000).await;
    let order = bought(app, &buyer, shop.product).await;
    let victim = app.buyer("probe_victim").await;
    Fixture { users: vec![buyer, shop.owner, admin], shop: shop.shop, product: shop.product, order, victim: victim.id }
}

impl Fixture {
    /// A real id for a path parameter, chosen by the collection it names.
    fn id_for(&self, path: &str, param: &str) -> String {
        let before = path.split(&format!("{{{param}}}")).next().unwrap_or_default();
        let collection = before.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        match collection {
            "shops" => self.shop.to_string(),
            "products" => self.product.to_string(),
            "orders" => self.order.clone(),
            "users" => self.victim.to_string(),
            _ => "1".to_owned(),
        }
    }
}

/// Operations whose success would end the probe's own sessions.
fn skipped(method: &str, path: &str) -> bool {
    path == "/api/v1/auth/logout" || (method == "delete" && path.starts_with("/api/v1/auth/tokens"))
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// A body of the operation's schema with every string `text` and every
/// integer `int` (nested objects one level deep, arrays of one item).
fn body_of(doc: &Value, schema: &Value, text: &str, int: &Value, depth: u8) -> Value {
    let schema = resolve(doc, schema);
    let ty = schema["type"].as_str().or_else(|| schema["type"][0].as_str()).unwrap_or("object");
    match ty {
        "string" => json!(text),
        "integer" | "number" => int.clone(),
        "boolean" => json!(false),
        "array" if depth < 2 => json!([body_of(doc, &schema["items"], text, int, depth + 1)]),
        "object" if depth < 2 => {
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            let fields: Map<String, Value> =
                props.iter().map(|(k, v)| (k.clone(), body_of(doc, v, text, int, depth + 1))).collect();
            Value::Object(fields)
        }
        _ => Value::Null,
    }
}

async fn send<S: Store>(app: &TestApp<S>, method: &Method, path: &str, token: &str, body: Body) -> (u16, String) {
    let mut req = app.client.request(method.clone(), app.url(path)).bearer_auth(token);
    if let Some((content_type, bytes)) = body {
        req = req.header("content-type", content_type).body(bytes);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or_default().to_owned())
}

/// Every documented operation, probed through its path, query and body.
async fn probe_api<S: Store>(app: &TestApp<S>, f: &Fixture) -> Answers {
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut out = Answers::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operation") {
            if skipped(method, path) {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut real = path.clone();
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                real = real.replace(&format!("{{{name}}}"), &f.id_for(path, name));
            }
            let mut probes: Vec<(String, String, Body)> = Vec::new();
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                for v in std::iter::once("%00").chain(HUGE) {
                    let mut probed = path.clone();
                    for q in params.iter().filter(|q| q["in"] == "path") {
                        let other = q["name"].as_str().unwrap();
                        let value = if other == name { v.to_owned() } else { f.id_for(path, other) };
                        probed = probed.replace(&format!("{{{other}}}"), &value);
                    }
                    probes.push((format!("path {name}={v}"), probed, None));
                }
            }
            for p in params.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                for v in std::iter::once("a%00b").chain(HUGE) {
                    probes.push((format!("query {name}={v}"), format!("{real}?{name}={v}"), None));
                }
            }
            let content = &op["requestBody"]["content"];
            if let Some(schema) = content.get("application/json").map(|c| &c["schema"]) {
                let mut nul = body_of(&doc, schema, NUL_TEXT, &json!(1), 0);
                if let Some(fields) = nul.as_object_mut() {
                    // A body documented as a bare object still gets one text.
                    fields.entry("note").or_insert(json!(NUL_TEXT));
                }
                probes.push((
                    "json NUL".into(),
                    real.clone(),
                    Some(("application/json", nul.to_string().into_bytes())),
                ));
                for v in HUGE {
                    let body = body_of(&doc, schema, "probe", &serde_json::from_str(v).unwrap(), 0);
                    probes.push((
                        format!("json int={v}"),
                        real.clone(),
                        Some(("application/json", body.to_string().into_bytes())),
                    ));
                }
            }
            if content.get("text/plain").is_some() {
                probes.push(("text NUL".into(), real.clone(), Some(("text/plain", b"PK-a\0b\n".to_vec()))));
            }
            for (what, url, body) in probes {
                for (who, user) in ["buyer", "owner", "admin"].iter().zip(&f.users) {
                    let (s, code) = send(app, &m, &url, &user.token, body.clone()).await;
                    out.push((format!("{method} {path} [{what}] as {who}"), s, code));
                }
            }
        }
    }
    out
}

/// Page routes (GET) with impossible ids and NUL queries, and forms posted with
/// a NUL in a field, as the shop's owner and as the buyer.
async fn probe_pages<S: Store>(app: &TestApp<S>, f: &Fixture) -> Answers {
    let (shop, product, order) = (f.shop, f.product, f.order.clone());
    let mut gets: Vec<String> = Vec::new();
    for v in HUGE {
        for p in [
            "/orders/{}",
            "/shops/{}",
            "/cases/{}",
            "/chat/{}",
            "/admin/users/{}",
            "/admin/shops/{}",
            "/merchant/shops/{}/orders",
            "/merchant/products/{}/edit",
            "/merchant/products/{}/stock",
            "/platform/withdrawals/{}",
            "/wallet/topups/{}",
            "/quiz/attempts/{}",
            "/platform/quiz/{}",
            "/verify/{}",
            "/merchant/chat/{}",
            "/platform/chat/{}",
            "/invite/{}",
        ] {
            gets.push(p.replace("{}", v));
        }
        for q in ["/search?shop_id={}", "/search?page={}", "/cases?page={}", "/grades?page={}", "/orders?page={}"] {
            gets.push(q.replace("{}", v));
        }
    }
    for q in
        ["/search?q=a%00b", "/orders?q=%00", "/admin/users?q=%00", "/admin/shops?q=%00", "/orders/%00", "/shops/%00"]
    {
        gets.push(q.to_owned());
    }
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/merchant/shops/{shop}/faq"), vec![("question", NUL_TEXT), ("answer", "答")]),
        ("/account/tokens".into(), vec![("name", NUL_TEXT)]),
        (format!("/merchant/shops/{shop}/products/new"), vec![("title", NUL_TEXT), ("price", "9.50")]),
        (format!("/merchant/products/{product}/edit"), vec![("title", NUL_TEXT), ("price", "9.50")]),
        (format!("/merchant/products/{product}/stock"), vec![("text", NUL_TEXT)]),
        (format!("/orders/{order}/cases"), vec![("type", "not_working"), ("description", NUL_TEXT)]),
        ("/chat/1/messages".into(), vec![("text", NUL_TEXT)]),
        ("/orders/lookup".into(), vec![("contact", NUL_TEXT), ("query_password", "123456")]),
        ("/shops/new".into(), vec![("name", NUL_TEXT)]),
        ("/account/email".into(), vec![("email", NUL_TEXT)]),
    ];
    let mut out = Answers::new();
    for (who, user) in ["buyer", "owner"].iter().zip(&f.users) {
        let mut web = Web::new(app, user);
        web.get("/account").await;
        for path in &gets {
            let (s, page) = web.get(path).await;
            out.push((format!("GET {path} as {who}"), s.as_u16(), page_code(&page)));
        }
        for (path, fields) in &forms {
            let (s, _, page) = web.post(path, fields).await;
            let path = path.replace(&f.order, "{no}");
            out.push((format!("POST {path} as {who}"), s.as_u16(), page_code(&page)));
            assert!(page.contains("空字符"), "POST {path}: the page says why, in Chinese");
        }
        let (s, _, page) = web
            .multipart(
                &format!("/merchant/products/{product}/stock"),
                &[],
                &[("file", "k.txt", "text/plain", b"PK-\0")],
            )
            .await;
        // Multipart is its handler's: the stock page names the line (merchant_tools).
        out.push((format!("MULTIPART stock file as {who}"), s.as_u16(), page_code(&page)));
    }
    out
}

/// The words that identify the answer on a page: NUL refused or not.
fn page_code(page: &str) -> String {
    if page.contains("空字符") { "nul_character".into() } else { String::new() }
}

async fn probe<S: Store>(app: TestApp<S>) -> Answers {
    let f = fixture(&app).await;
    let mut all = probe_api(&app, &f).await;
    all.extend(probe_pages(&app, &f).await);
    for (what, status, code) in &all {
        assert!(*status < 500, "{what}: {status} {code}");
        // Gateways and upstreams are answered in their protocol's words.
        let protocol = what.contains(" /dock/") || what.contains(" /pay/notify/");
        let nul = !protocol && (what.contains("NUL") || what.contains("%00") || what.starts_with("POST"));
        if nul {
            assert_eq!((*status, code.as_str()), (400, "nul_character"), "{what}");
        }
    }
    app.audit().await;
    app.stop().await;
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_answers_the_same_clear_4xx_on_both_backends() {
    let db = TestDb::sqlite();
    let sqlite = probe(TestApp::sqlite(&db).await).await;
    assert!(sqlite.len() > 1_000, "the probe walked {} requests", sqlite.len());
    let Some(pg_db) = tokio::task::spawn_blocking(TestDb::postgres).await.expect("db task") else { return };
    let postgres = probe(TestApp::postgres(&pg_db).await).await;
    let differ: Vec<String> = sqlite
        .iter()
        .zip(&postgres)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("{}: sqlite {} {} / postgres {} {}", a.0, a.1, a.2, b.1, b.2))
        .collect();
    assert_eq!(sqlite.len(), postgres.len());
    assert!(differ.is_empty(), "{} answers differ:\n{}", differ.len(), differ.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_s_examples_are_refused_cleanly() {
    let db = TestDb::sqlite();
    let app = TestApp::sqlite(&db).await;
    let buyer = app.buyer("nul_buyer").await;
    let (s, e) = app.post("/api/v1/auth/tokens", Some(&buyer.token), json!({ "name": "a\u{0}b" })).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("nul_character")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("空字符"));
    let (s, e) = app.get("/api/v1/public/cases?shop_id=2147483648", None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, e) = app.call(Method::GET, "/api/v1/orders/%00", Some(&buyer.token), None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("nul_character")));
    app.audit().await;
}

async fn reveal<S: Store>(app: &TestApp<S>, who: &TestUser, no: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&who.token), json!({})).await
}

http_test!(staff_see_a_buyer_s_keys_only_while_arbitrating_and_each_view_is_evidence, |app| {
    let shop = card_shop(&app, "arb", 950, "ARB-KEY-0001\n").await;
    let buyer = app.buyer("arb_buyer").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, shop.product).await;
    let admin = app.staff("arb_admin", "admin").await;
    let agent = app.staff("arb_agent", "agent").await;
    for staff in [&admin, &agent] {
        let (s, e) = reveal(&app, staff, &no).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "no case: {e}");
    }
    let (s, _) = reveal(&app, &shop.owner, &no).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the merchant never opens a sold unit");
    let png = youying_testkit::images::PNG_1X1_BASE64;
    let (s, c) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "key_invalid", "description": "提示卡密已被使用", "screenshots": [{ "name": "a.png", "content_base64": png }] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    let (s, _) = reveal(&app, &admin, &no).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the merchant's turn, not arbitration yet");
    let shot = json!([{ "name": "b.png", "content_base64": png }]);
    let (s, c) = app
        .post(
            &format!("/api/v1/cases/{case}/actions"),
            Some(&shop.owner.token),
            json!({ "action": "contest", "reason": "发货时卡密有效", "screenshots": shot }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (_, c) = app.get(&format!("/api/v1/cases/{case}"), Some(&agent.token)).await;
    assert_eq!(c["case"]["state"], "in_arbitration", "{c}");
    let (s, units) = reveal(&app, &agent, &no).await;
    assert_eq!((s, units["units"][0]["code"].as_str()), (StatusCode::OK, Some("ARB-KEY-0001")), "{units}");
    let (s, _) = reveal(&app, &buyer, &no).await;
    assert_eq!(s, StatusCode::OK, "the buyer always may");
    let kinds = app.events_about(&format!("order:{no}")).await;
    assert_eq!(kinds.iter().filter(|k| *k == "units.viewed_by_staff").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "order.key_revealed").count(), 1, "{kinds:?}");
});

fn cache_control(resp: &reqwest::Response) -> String {
    resp.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

http_test!(personal_answers_say_no_store_and_public_pages_keep_their_caching, |app| {
    let shop = card_shop(&app, "cache", 950, "CC-KEY-0001\n").await;
    let buyer = app.buyer("cache_buyer").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, shop.product).await;
    let bearer = |path: &str| app.client.get(app.url(path)).bearer_auth(&buyer.token);
    let cookie = |path: &str| app.client.get(app.url(path)).header("cookie", format!("yy_session={}", buyer.token));
    for req in [
        bearer("/api/v1/me"),
        bearer("/api/v1/wallet"),
        bearer(&format!("/api/v1/orders/{no}")),
        bearer("/api/v1/orders"),
        cookie(&format!("/orders/{no}")),
        cookie("/wallet"),
        cookie("/account"),
        cookie("/"),
        app.client.post(app.url(&format!("/api/v1/orders/{no}/reveal"))).bearer_auth(&buyer.token).json(&json!({})),
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": "cache_buyer", "password": youying_testkit::PASSWORD })),
    ] {
        let resp = req.send().await.unwrap();
        let url = resp.url().to_string();
        assert!(resp.status().is_success(), "{url}: {}", resp.status());
        assert!(cache_control(&resp).contains("no-store"), "{url}: {}", cache_control(&resp));
    }
    // (A page that hands a visitor the CSRF cookie is not cached either: a
    // shared cache must not hand one visitor's cookie to the next.)
    for path in ["/api/v1/public/rules", "/api/v1/public/cases", "/static/app.css"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert!(resp.status().is_success(), "{path}");
        assert!(!cache_control(&resp).contains("no-store"), "{path}: public, nobody's data");
    }
    let resp = app.client.get(app.url("/static/app.css")).bearer_auth(&buyer.token).send().await.unwrap();
    assert!(cache_control(&resp).starts_with("public"), "a handler's own caching stays: {}", cache_control(&resp));
});

http_test!(platform_agents_get_403_on_every_admin_route_as_the_openapi_says, |app| {
    let f = fixture(&app).await;
    let agent = app.staff("walk_agent", "agent").await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let tag = doc["tags"].as_array().unwrap().iter().find(|t| t["name"] == "admin").unwrap();
    assert!(tag["description"].as_str().unwrap().contains("仅管理员"), "{tag}");
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !op["tags"].as_array().is_some_and(|t| t.contains(&json!("admin"))) {
                continue;
            }
            let mut real = path.clone();
            for p in op["parameters"].as_array().cloned().unwrap_or_default().iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                let value = if name == "action" { "freeze".to_owned() } else { f.id_for(path, name) };
                real = real.replace(&format!("{{{name}}}"), &value);
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = match op["requestBody"]["content"].get("application/json") {
                Some(c) => Some(body_of(&doc, &c["schema"], "agent probe", &json!(100), 0)),
                None => (m != Method::GET).then(|| json!({})),
            };
            let (s, e) = app.call(m, &real, Some(&agent.token), body).await;
            assert_eq!(
                (s, e["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{method} {real} as an agent: {e}"
            );
            walked += 1;
        }
    }
    assert!(walked >= 15, "walked {walked} admin routes");
    let mut web = Web::new(&app, &agent);
    for page in [
        "/admin/users",
        "/admin/shops",
        &format!("/admin/users/{}", f.victim),
        &format!("/admin/shops/{}", f.shop),
        "/platform/penalties",
    ] {
        assert_eq!(web.get(page).await.0, StatusCode::FORBIDDEN, "{page}");
    }
    let (_, console) = web.get("/platform").await;
    assert!(
        !console.contains("users-link") && !console.contains("penalties-link"),
        "no links to what agents cannot open"
    );
    let (s, rules) = app.get("/api/v1/public/rules", Some(&agent.token)).await;
    assert_eq!(s, StatusCode::OK, "the rules in force are public: {rules}");
});

fn is_common_refusal(s: StatusCode, e: &Value) -> bool {
    s == StatusCode::UNPROCESSABLE_ENTITY
        && e["code"] == "common_password"
        && e["message"].as_str().is_some_and(|m| m.contains("密码太常见"))
}

http_test!(common_and_breached_passwords_are_refused_wherever_a_password_is_set, |app| {
    let (s, e) = app.register("common_pw", "Password123").await;
    assert!(is_common_refusal(s, &e), "registration: {s} {e}");
    let (s, e) = app.register("common_pw", "qwerty123").await;
    assert!(is_common_refusal(s, &e), "any case: {s} {e}");
    let buyer = app.buyer("common_pw").await;
    let body = json!({ "current_password": youying_testkit::PASSWORD, "new_password": "iloveyou1" });
    let (s, e) = app.post("/api/v1/me/password", Some(&buyer.token), body).await;
    assert!(is_common_refusal(s, &e), "password change: {s} {e}");
    assert_eq!(e["field"], Value::Null, "{e}");
    let err = youying_server::cli::admin_create(&app.app, "common_admin", "admin", "abc12345").await.unwrap_err();
    assert!(err.to_string().contains("common_password"), "admin create: {err}");
    let (owner, shop) = app.merchant("common_owner", "常见密码店").await;
    let (_, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    let accept = json!({ "token": inv["token"], "username": "common_kf", "password": "1qaz2wsx3edc" });
    let (s, e) = app.post("/api/v1/invites/accept", None, accept).await;
    assert!(is_common_refusal(s, &e), "invite acceptance: {s} {e}");
    // The page says it beside the password field, in Chinese.
    let blank = app.client.get(app.url("/register")).send().await.unwrap();
    let cookie = blank.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = blank.text().await.unwrap();
    let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_owned();
    let form = [("username", "common_page"), ("password", "password1"), ("_csrf", csrf.as_str())];
    let resp = app.client.post(app.url("/register")).header("cookie", cookie).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("密码太常见"));
    let (s, _) = app.login("common_pw", "iloveyou1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "nothing changed");
});
