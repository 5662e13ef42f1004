//! Evidence bundles on both backends: exported by the buyer (and arbitration,
//! nobody else), proven against the hourly anchor, verified offline by the
//! CLI, and refused — naming the event — once one byte of one event changes.
use std::io::{Cursor, Read, Write};

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::anchor;
use youying_core::bundle::{self, Bundle};
use youying_core::ports::Store;
use youying_server::evidence::from_zip;
use youying_testkit::{TestApp, TestUser, http_test};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// A paid card-key order with a short conversation about it.
async fn bought<S: Store>(app: &TestApp<S>) -> (TestUser, TestUser, String) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({ "promises": ["instant"] })).await;
    app.import(&owner, product, "AAAA-0001\nBBBB-0002\n", false).await;
    let buyer = app.buyer("xiaoming").await;
    app.credit(&buyer, 50_000).await;
    let (s, body) = app.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product })).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let no = body["order"]["no"].as_str().unwrap().to_owned();
    let (_, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "order_no": no })).await;
    let conv = c["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(&buyer.token),
        json!({ "text": "卡密显示已使用" }),
    )
    .await;
    (owner, buyer, no)
}

async fn export<S: Store>(app: &TestApp<S>, who: &TestUser, no: &str) -> (StatusCode, Vec<u8>) {
    let r = app.client.get(app.url(&format!("/api/v1/orders/{no}/evidence.zip"))).bearer_auth(&who.token).send().await;
    let r = r.unwrap();
    let status = r.status();
    if status == StatusCode::OK {
        assert_eq!(r.headers()["content-type"], "application/zip");
    }
    (status, r.bytes().await.unwrap().to_vec())
}

fn entry(zip_bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The same zip with `evidence.json` replaced.
fn with_json(json: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("evidence.json", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(json.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn cli_verify(zip_bytes: &[u8], head: Option<&str>) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.zip");
    std::fs::write(&path, zip_bytes).unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["evidence", "verify"]).arg(&path);
    if let Some(h) = head {
        cmd.args(["--head", h]);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

http_test!(a_bundle_proves_the_order_against_the_published_head, |app| {
    let (owner, buyer, no) = bought(&app).await;
    // Before any anchor: every event is checked by its own hash, none anchored yet.
    let (s, early) = export(&app, &buyer, &no).await;
    assert_eq!(s, StatusCode::OK);
    let b = from_zip(&early).unwrap();
    let r = bundle::verify(&b, None);
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.anchored, 0);
    let kinds: Vec<&str> = b.events.iter().map(|e| e.kind.as_str()).collect();
    for k in ["order.created", "order.delivered", "chat.message"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(!entry(&early, "evidence.json").contains("AAAA-0001"), "never a key's plaintext");

    // The hourly anchor, then the published head.
    let now = app.app.now();
    app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().expect("an anchor");
    let (_, head) = app.get("/api/v1/public/chain-head", None).await;
    let head = head["anchor"]["hash"].as_str().unwrap().to_owned();
    let (_, zipped) = export(&app, &buyer, &no).await;
    let b = from_zip(&zipped).unwrap();
    let r = bundle::verify(&b, Some(&head));
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.anchored, r.events, "every event in it is anchored: {r:?}");
    let html = entry(&zipped, "evidence.html");
    for text in ["订单证据材料", "星辰点卡", &no, "卡密显示已使用", &head] {
        assert!(html.contains(text), "evidence.html shows {text}");
    }
    let (ok, out) = cli_verify(&zipped, Some(&head));
    assert!(ok, "{out}");
    assert!(out.contains("evidence bundle OK"), "{out}");

    // One byte of one event changed: the CLI names that event.
    let json = entry(&zipped, "evidence.json");
    let mut v: Bundle = serde_json::from_str(&json).unwrap();
    let created = v.events.iter().position(|e| e.kind == "order.created").unwrap();
    let seq = v.events[created].seq;
    let altered = v.events[created].payload.replacen("\"quantity\":1", "\"quantity\":2", 1);
    assert_ne!(altered, v.events[created].payload);
    v.events[created].payload = altered;
    let (ok, out) = cli_verify(&with_json(&serde_json::to_string(&v).unwrap()), None);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("event #{seq} (order.created)")), "{out}");

    // An altered anchor, a head the bundle does not reach, and junk.
    let mut v: Bundle = serde_json::from_str(&json).unwrap();
    v.anchors[0].to_seq += 1;
    assert!(bundle::verify(&v, None).problems.iter().any(|p| p.contains("anchor #1")));
    let v: Bundle = serde_json::from_str(&json).unwrap();
    assert!(!bundle::verify(&v, Some(&"0".repeat(64))).ok());
    let (ok, out) = cli_verify(b"not a zip", None);
    assert!(!ok, "{out}");

    // Someone else's order, or the shop: 404. Arbitration may export.
    let stranger = app.buyer("stranger").await;
    assert_eq!(export(&app, &stranger, &no).await.0, StatusCode::NOT_FOUND);
    assert_eq!(export(&app, &owner, &no).await.0, StatusCode::NOT_FOUND);
    let agent = app.staff("kefu", "agent").await;
    assert_eq!(export(&app, &agent, &no).await.0, StatusCode::OK);
    let exports = app.events_about(&format!("order:{no}")).await;
    assert_eq!(exports.iter().filter(|k| *k == "evidence.exported").count(), 3, "every export is recorded");
});

http_test!(anchors_chain_hour_after_hour, |app| {
    let (_, buyer, no) = bought(&app).await;
    let now = app.app.now();
    let first = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().unwrap();
    app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    app.clock.advance_secs(3_600);
    let now = app.app.now();
    let second = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().unwrap();
    assert_eq!((second.id, second.prev_hash.as_str()), (2, first.hash.as_str()));
    for r in &second.ranges {
        let before = first.ranges.iter().find(|f| f.part == r.part).map_or(0, |f| f.to_pseq);
        assert_eq!(r.from_pseq, before + 1, "partition {} goes on where the first anchor ended", r.part);
    }
    let none = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap();
    assert!(
        none.is_some_and(|a| a.spans().iter().map(|(_, f, t)| t - f + 1).sum::<i64>() == 1),
        "only the anchoring event itself since"
    );
    let (_, zipped) = export(&app, &buyer, &no).await;
    let b = from_zip(&zipped).unwrap();
    let r = bundle::verify(&b, None);
    assert!(r.ok(), "{:?}", r.problems);
    assert!(b.anchors.len() >= 2, "from the anchor of the oldest event to the newest");
    let order_json: Value = serde_json::from_str(&entry(&zipped, "evidence.json")).unwrap();
    assert_eq!(order_json["order"]["state"], "completed");
});

/// The visible text of an HTML document: no `<style>`/`<script>`, no tags.
fn visible(html: &str) -> String {
    let mut rest = html.to_owned();
    for tag in ["style", "script"] {
        while let Some(i) = rest.find(&format!("<{tag}")) {
            let end = rest[i..].find(&format!("</{tag}>")).map_or(rest.len(), |j| i + j + tag.len() + 3);
            rest.replace_range(i..end, "");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in rest.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Uploads `bytes` to `/verify` as a guest would: the form's token and its
/// cookie, then the multipart post. Returns status, `Location` and body.
async fn guest_verify<S: Store>(app: &TestApp<S>, bytes: &[u8]) -> (StatusCode, String, String) {
    let r = app.client.get(app.url("/verify")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .find(|c| c.starts_with("yy_csrf="))
        .expect("a guest gets a form token");
    let page = r.text().await.unwrap();
    let at = page.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let b = "----evidence-test-boundary";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").into_bytes();
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"evidence.zip\"\r\nContent-Type: application/zip\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    let r = app
        .client
        .post(app.url("/verify"))
        .header("cookie", cookie)
        .header("content-type", format!("multipart/form-data; boundary={b}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let to = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    (status, to, r.text().await.unwrap_or_default())
}

/// The report a good upload redirects to.
async fn report<S: Store>(app: &TestApp<S>, bytes: &[u8]) -> (String, String) {
    let (s, to, body) = guest_verify(app, bytes).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(to.starts_with("/verify/") && to.len() > 40, "an unguessable id: {to}");
    let r = app.client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    (to, r.text().await.unwrap())
}

async fn raw_verify<S: Store>(app: &TestApp<S>, bytes: Vec<u8>) -> (StatusCode, Value) {
    let r = app.client.post(app.url("/api/v1/public/verify")).body(bytes).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

http_test!(the_evidence_file_reads_as_words_and_the_web_verifier_names_the_altered_event, |app| {
    // A bot answer (price), the buyer's 转人工 hand-off, and a case.
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({})).await;
    app.import(&owner, product, "AAAA-0001\n", false).await;
    let buyer = app.buyer("xiaoming").await;
    app.credit(&buyer, 50_000).await;
    let (_, body) = app.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product })).await;
    let no = body["order"]["no"].as_str().unwrap().to_owned();
    let (_, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "order_no": no })).await;
    let conv = c["id"].as_i64().unwrap();
    youying_testkit::chat::say(&app, &buyer, conv, "这个多少钱").await;
    youying_testkit::chat::say(&app, &buyer, conv, "转人工").await;
    let body = json!({ "type": "key_invalid", "description": "提示卡密已被使用" });
    let (s, case) = app.post(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let now = app.app.now();
    app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().expect("an anchor");
    let (_, zipped) = export(&app, &buyer, &no).await;

    let html = entry(&zipped, "evidence.html");
    let text = visible(&html);
    assert!(!text.contains('{') && !text.contains('}'), "no data braces in the visible text:\n{text}");
    let b = from_zip(&zipped).unwrap();
    for e in &b.events {
        assert!(!text.contains(&e.kind), "no internal code {} in:\n{text}", e.kind);
    }
    for code in ["key_invalid", "asked_for_human", "系统", "\"intent\""] {
        assert!(!text.contains(code), "{code} in:\n{text}");
    }
    for words in [
        "买家付款 ¥",
        "订单卡片",
        "智能助手回答了价格问题",
        "智能助手把对话转给人工客服（买家要求转人工）",
        "买家申请售后：卡密无效/已被使用",
        "买家说：这个多少钱",
        "/verify",
    ] {
        assert!(text.contains(words), "evidence.html says {words}:\n{text}");
    }
    assert!(text.find("网页核验") < text.find("离线核验"), "the web verifier first");

    // A guest verifies the good file: every check ✓, and the report reloads.
    let (to, page) = report(&app, &zipped).await;
    let page_text = visible(&page);
    assert!(page_text.contains("✓ 证据文件完好"), "{page_text}");
    for check in ["文件完整", "哈希链连续", "锚点证明成立", "与平台公布的锚点一致"] {
        assert!(page_text.contains(check), "{check}: {page_text}");
    }
    assert!(!page_text.contains('✗') && page_text.contains("没有保存您上传的文件"), "{page_text}");
    assert!(page_text.contains(&no));

    // One chat message altered: ✗, naming that record in words.
    let json = entry(&zipped, "evidence.json");
    let mut v: Bundle = serde_json::from_str(&json).unwrap();
    let i = v.events.iter().position(|e| e.payload.contains("这个多少钱")).unwrap();
    v.events[i].payload = v.events[i].payload.replace("这个多少钱", "这个多少钱，我没收到货");
    let seq = v.events[i].seq;
    let tampered = with_json(&serde_json::to_string(&v).unwrap());
    let (_, bad) = report(&app, &tampered).await;
    let bad = visible(&bad);
    assert!(bad.contains("✗ 证据文件没有通过核验"), "{bad}");
    assert!(bad.contains(&format!("被改动的记录：第 {seq} 条")), "{bad}");
    assert!(bad.contains("买家 说：这个多少钱，我没收到货"), "{bad}");

    // The JSON endpoint for scripts says the same.
    let (s, good) = raw_verify(&app, zipped.clone()).await;
    assert_eq!((s, good["ok"].as_bool()), (StatusCode::OK, Some(true)), "{good}");
    let (s, v) = raw_verify(&app, tampered).await;
    assert_eq!((s, v["ok"].as_bool(), v["broken"]["seq"].as_i64()), (StatusCode::OK, Some(false), Some(seq)), "{v}");

    // 30 days later the report is gone; an unknown id never was.
    app.clock.advance_secs(29 * 86_400);
    assert_eq!(app.client.get(app.url(&to)).send().await.unwrap().status(), StatusCode::OK);
    app.clock.advance_secs(2 * 86_400);
    assert_eq!(app.client.get(app.url(&to)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let unknown = app.client.get(app.url(&format!("/verify/{}", "0".repeat(64)))).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
});

http_test!(a_file_that_is_not_a_bundle_gets_a_chinese_message_beside_the_field, |app| {
    let huge = vec![b'{'; 9 * 1024 * 1024];
    let nul = b"{\"format\":\"youying-evidence/1\0\"}".to_vec();
    let bomb = with_json(&" ".repeat(9 * 1024 * 1024));
    for (bytes, status, words) in [
        (Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "请选择要核验的证据文件"),
        (b"not a zip".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "无法读取这个文件"),
        (nul, StatusCode::UNPROCESSABLE_ENTITY, "无法读取这个文件"),
        (with_json("{\"format\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "无法读取这个文件"),
        (bomb, StatusCode::PAYLOAD_TOO_LARGE, "文件超过 8 MB"),
    ] {
        let (s, to, body) = guest_verify(&app, &bytes).await;
        assert_eq!((s, to.as_str()), (status, ""), "{words}");
        let text = visible(&body);
        assert!(text.contains(words) && text.contains("核验证据"), "the form again with {words}: {text}");
        assert!(body.contains("id=\"verify-error\""), "beside the field");
        if !bytes.is_empty() {
            let (s, v) = raw_verify(&app, bytes).await;
            assert_eq!(s, status, "{v}");
            assert!(v["message"].as_str().is_some_and(|m| m.contains(words)), "{v}");
        }
    }
    // Without the form's token nothing is checked.
    let r =
        app.client.post(app.url("/verify")).header("content-type", "multipart/form-data; boundary=x").body("--x--\r\n");
    assert_eq!(r.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // One address may not keep the verifier busy: 30 checks, then 429.
    let mut answers = Vec::new();
    for _ in 0..31 {
        answers.push(raw_verify(&app, b"not a zip".to_vec()).await);
    }
    let (s, v) = answers.last().unwrap();
    assert_eq!(*s, StatusCode::TOO_MANY_REQUESTS, "{answers:?}");
    assert_eq!(v["code"], "rate_limited");
    let (s, _, body) = guest_verify(&app, b"not a zip").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(visible(&body).contains("每小时最多核验 30 次"), "beside the field");
    // Last, each on a connection of its own: a body over the limit is refused
    // before it is read, and the server drops that connection.
    let (s, _, body) = guest_verify(&app, &huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(visible(&body).contains("文件超过 8 MB") && body.contains("id=\"verify-error\""));
    let r = reqwest::Client::new().post(app.url("/api/v1/public/verify")).body(huge).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().is_some_and(|m| m.contains("文件超过 8 MB")));
});

http_test!(two_anchors_at_once_never_overlap, |app| {
    bought(&app).await;
    let now = app.app.now();
    let (store_a, store_b) = (app.app.store.clone(), app.app.store.clone());
    let (a, b) = tokio::join!(
        store_a.write(move |tx| anchor::anchor_now(tx, now)),
        store_b.write(move |tx| anchor::anchor_now(tx, now))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let made: Vec<_> = [a, b].into_iter().flatten().collect();
    assert!(!made.is_empty());
    if let [first, second] = made.as_slice() {
        let (first, second) = if first.id < second.id { (first, second) } else { (second, first) };
        assert_eq!((second.id, second.prev_hash.as_str()), (first.id + 1, first.hash.as_str()));
        // The later one holds only what came since: the earlier one's own event.
        assert_eq!(second.spans().iter().map(|(_, f, t)| t - f + 1).sum::<i64>(), 1, "{second:?}");
    }
    let v = app.app.store.read(youying_server::api::verify_chain).await.unwrap();
    assert_eq!((v.ok, v.anchors), (true, made.len() as u64), "{v:?}");
});

/// `youying evidence …` against the test's database; exit code and output.
fn cli_db(args: &[&str], url: &str, data: &std::path::Path) -> std::process::Child {
    std::process::Command::new(BIN)
        .args(["evidence"])
        .args(args)
        .args(["--database-url", url, "--data-dir"])
        .arg(data)
        .env("YOUYING_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(child: std::process::Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Edits event `seq` behind the application's back.
fn tamper_db(url: &str, sqlite: Option<std::path::PathBuf>, seq: i64) {
    let edit = format!("UPDATE events SET payload = '{{\"text\":\"改过\"}}' WHERE seq = {seq};");
    match sqlite {
        Some(p) => {
            let c = rusqlite::Connection::open(p).unwrap();
            c.execute_batch(&format!("DROP TRIGGER events_no_update; {edit}")).unwrap();
        }
        None => {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("ALTER TABLE events DISABLE TRIGGER events_no_change; {edit}")).unwrap();
            })
            .join()
            .unwrap();
        }
    }
}

/// A chain whose events lie in several partitions: anchored by two
/// `youying evidence anchor` at once, the bundle proves every event, the web
/// verifier and `youying evidence verify` pass, and an event altered in a
/// partition other than 0 is named, in the bundle and in the database.
async fn partitions_verify_everywhere<S: Store>(app: TestApp<S>, db: &youying_testkit::TestDb) {
    let (_, buyer, no) = bought(&app).await;
    let (_, c) = app.get("/api/v1/conversations", Some(&buyer.token)).await;
    let conv = c["items"][0]["id"].as_i64().or_else(|| c[0]["id"].as_i64()).expect("the conversation");
    for text in ["还是不行", "请尽快处理", "我等着"] {
        let path = format!("/api/v1/conversations/{conv}/messages");
        app.post(&path, Some(&buyer.token), json!({ "text": text })).await;
    }
    let data = tempfile::tempdir().unwrap();
    let url = db.url();
    let racers = [cli_db(&["anchor"], &url, data.path()), cli_db(&["anchor"], &url, data.path())];
    for r in racers {
        let (code, out) = finished(r);
        assert!(code == 0 && (out.contains("anchor #") || out.contains("nothing to anchor")), "{code} {out}");
    }
    let v = app.app.store.read(youying_server::api::verify_chain).await.unwrap();
    assert!(v.ok && v.anchors >= 1, "{v:?}");
    let now = app.app.now();
    app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap();

    let (_, zipped) = export(&app, &buyer, &no).await;
    let b = from_zip(&zipped).unwrap();
    let parts: std::collections::BTreeSet<i64> = b.events.iter().map(|e| e.part).collect();
    assert!(parts.len() >= 2, "the order's events lie in several partitions: {parts:?}");
    let (_, head) = app.get("/api/v1/public/chain-head", None).await;
    let r = bundle::verify(&b, head["anchor"]["hash"].as_str());
    assert!(r.ok() && r.anchored == r.events, "{r:?}");
    let (s, good) = raw_verify(&app, zipped.clone()).await;
    assert_eq!((s, good["ok"].as_bool()), (StatusCode::OK, Some(true)), "{good}");
    let (code, out) = finished(cli_db(&["verify"], &url, data.path()));
    assert!(code == 0 && out.contains("evidence chain OK"), "{out}");
    app.audit().await;

    // A message in a partition other than 0, altered in the file: named.
    let mut v: Bundle = serde_json::from_str(&entry(&zipped, "evidence.json")).unwrap();
    let texts = ["卡密显示已使用", "还是不行", "请尽快处理", "我等着"];
    let i = v.events.iter().position(|e| e.part != 0 && texts.iter().any(|t| e.payload.contains(t)));
    let i = i.expect("a message outside partition 0");
    let seq = v.events[i].seq;
    for t in texts {
        v.events[i].payload = v.events[i].payload.replace(t, "问题已解决");
    }
    let (s, bad) = raw_verify(&app, with_json(&serde_json::to_string(&v).unwrap())).await;
    assert_eq!((s, bad["ok"].as_bool(), bad["broken"]["seq"].as_i64()), (StatusCode::OK, Some(false), Some(seq)));
    // The same event altered in the database: `youying evidence verify` names it.
    tamper_db(&url, db.sqlite_path(), seq);
    let (code, out) = finished(cli_db(&["verify"], &url, data.path()));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(&format!("BROKEN at event {seq} (hash_mismatch)")), "{out}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_verify_everywhere_sqlite() {
    let db = youying_testkit::TestDb::sqlite();
    partitions_verify_everywhere(TestApp::sqlite(&db).await, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_verify_everywhere_postgres() {
    let Some(db) = tokio::task::spawn_blocking(youying_testkit::TestDb::postgres).await.unwrap() else { return };
    partitions_verify_everywhere(TestApp::postgres(&db).await, &db).await;
}
