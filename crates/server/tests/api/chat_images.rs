//! Pictures in conversations on both backends: checked by their bytes (PNG,
//! JPEG, WebP up to 5 MiB), stored and served back byte-identical only to the
//! parties, refused ones writing nothing, and a buyer's picture starting the
//! reply clock like a text.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::chat::{breaches, conversation, setup};
use youying_testkit::images::PNG_3X2_HEX as PNG;
use youying_testkit::{T0, TestApp, TestUser, http_test};

/// A 16×8 baseline JPEG and 1×1 WebP files (lossy, lossless, extended), with
/// the testkit's 3×2 PNG: whole, valid files, as a browser would send them.
const JPEG: &str = "ffd8ffdb00430001010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101ffc0000b080008001001011100ffc40014000100000000000000000000000000000000ffc40014100100000000000000000000000000000000ffda0008010100003f000fffd9";
const WEBP_LOSSY: &str = "52494646220000005745425056503820160000003001009d012a010001000ec0fe25a400037000000000";
const WEBP_LOSSLESS: &str = "524946461a000000574542505650384c0d0000002f00000010071011118888fe0700";
const WEBP_EXTENDED: &str = "524946464a00000057454250565038580a00000010000000000000000000414c50480c00000011071011fd0f4444ff03000056503820180000001401009d012a010001000000fe00000dc000fee6b5000000";

fn bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text).unwrap()
}

/// Posts raw bytes to `…/images` (no token: anonymous).
async fn upload<S: Store>(
    app: &TestApp<S>,
    who: Option<&TestUser>,
    conv: i64,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url(&format!("/api/v1/conversations/{conv}/images"))).body(body);
    if let Some(u) = who {
        req = req.bearer_auth(&u.token);
    }
    let resp = req.header("content-type", content_type).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn fetch<S: Store>(app: &TestApp<S>, who: Option<&TestUser>, path: &str) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(u) = who {
        req = req.bearer_auth(&u.token);
    }
    req.send().await.unwrap()
}

/// Stored pictures of a conversation, probed through the port (ids are
/// small in a fresh database; PostgreSQL may skip ids a rollback used).
async fn stored_images<S: Store>(app: &TestApp<S>, conv: i64) -> usize {
    let id = youying_core::values::ConversationId(conv);
    app.app
        .store
        .read(move |tx| {
            let mut n = 0;
            for image in 1..=40 {
                n += usize::from(tx.image(id, image)?.is_some());
            }
            Ok(n)
        })
        .await
        .unwrap()
}

/// (pictures stored, messages, evidence events) of a conversation: what
/// "nothing written" compares.
async fn written<S: Store>(app: &TestApp<S>, conv: i64) -> (usize, usize, usize) {
    let id = youying_core::values::ConversationId(conv);
    let messages = app.app.store.read(move |tx| tx.messages_after(id, 0, 10_000)).await.unwrap().len();
    let events = app.events_about(&format!("conversation:{conv}")).await.len();
    (stored_images(app, conv).await, messages, events)
}

http_test!(pictures_go_in_and_come_back_byte_identical, |app| {
    let (owner, _, buyer, conv) = setup(&app).await;
    let cases = [
        (PNG, "image/png", 3, 2),
        (JPEG, "image/jpeg", 16, 8),
        (WEBP_LOSSY, "image/webp", 1, 1),
        (WEBP_LOSSLESS, "image/webp", 1, 1),
        (WEBP_EXTENDED, "image/webp", 1, 1),
    ];
    for (hex_text, mime, width, height) in cases {
        let sent = bytes(hex_text);
        let (s, m) = upload(&app, Some(&buyer), conv, mime, sent.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{mime}: {m}");
        assert_eq!((m["kind"].as_str(), m["side"].as_str()), (Some("image"), Some("buyer")));
        let image = &m["image"];
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&sent));
        assert_eq!(
            (image["mime"].as_str(), image["width"].as_i64(), image["height"].as_i64(), image["size"].as_u64()),
            (Some(mime), Some(width), Some(height), Some(sent.len() as u64))
        );
        assert_eq!(image["sha256"].as_str(), Some(sha.as_str()));
        let url = image["url"].as_str().unwrap().to_owned();
        // The buyer and the shop's owner both get the very bytes back.
        for who in [&buyer, &owner] {
            let r = fetch(&app, Some(who), &url).await;
            assert_eq!(r.status(), StatusCode::OK);
            let h = r.headers().clone();
            assert_eq!(h["content-type"], mime);
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert!(h["content-disposition"].to_str().unwrap().starts_with("inline"));
            assert!(h["cache-control"].to_str().unwrap().starts_with("private"));
            assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox", "the image's own policy");
            assert_eq!(r.bytes().await.unwrap().to_vec(), sent, "{mime} byte-identical");
        }
    }
    // The evidence records what was sent (hash, type, size, dimensions), never the bytes.
    let events = app.app.store.read(|tx| tx.events_after(0, 1_000_000)).await.unwrap();
    let last = events.iter().rfind(|e| e.kind == "chat.message").unwrap();
    let payload: Value = serde_json::from_str(&last.payload).unwrap();
    let body: Value = serde_json::from_str(payload["body"].as_str().unwrap()).unwrap();
    assert_eq!((body["mime"].as_str(), body["width"].as_i64()), (Some("image/webp"), Some(1)));
    assert!(body["sha256"].as_str().is_some_and(|s| s.len() == 64) && body.get("bytes").is_none());
    let (_, list) = app.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&owner.token)).await;
    assert_eq!(list.as_array().unwrap().iter().filter(|m| m["kind"] == "image").count(), cases.len());
    // The shop answers with a picture too.
    let (s, m) = upload(&app, Some(&owner), conv, "image/png", bytes(PNG)).await;
    assert_eq!((s, m["side"].as_str()), (StatusCode::CREATED, Some("shop")));
});

http_test!(refused_pictures_write_nothing, |app| {
    let (owner, _, buyer, conv) = setup(&app).await;
    let (s, first) = upload(&app, Some(&buyer), conv, "image/png", bytes(PNG)).await;
    assert_eq!(s, StatusCode::CREATED);
    let url = first["image"]["url"].as_str().unwrap().to_owned();
    let before = written(&app, conv).await;
    assert_eq!(before.0, 1);

    let png = bytes(PNG);
    let mut too_large = png.clone();
    too_large.resize(5 * 1024 * 1024 + 1, 0);
    let garbage = b"\x89PNG\r\n\x1a\nthis is text pretending to be a picture".to_vec();
    let refused = [
        ("image/png", b"GIF89a, or any text at all".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/png", garbage, StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/png", png[..png.len() - 12].to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/jpeg", png.clone(), StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/png", bytes(JPEG), StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/png", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "not_an_image"),
        ("image/png", too_large, StatusCode::PAYLOAD_TOO_LARGE, "image_too_large"),
    ];
    for (i, (mime, body, status, code)) in refused.into_iter().enumerate() {
        let (s, e) = upload(&app, Some(&buyer), conv, mime, body).await;
        assert_eq!((s, e["code"].as_str()), (status, Some(code)), "case {i}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }

    // Someone else's conversation does not exist for them, to send or to fetch.
    let stranger = app.buyer("nosy").await;
    let (s, e) = upload(&app, Some(&stranger), conv, "image/png", png.clone()).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(fetch(&app, Some(&stranger), &url).await.status(), StatusCode::NOT_FOUND);
    let (other_owner, other_shop) = app.merchant("owner_b", "乙店").await;
    assert_eq!(fetch(&app, Some(&other_owner), &url).await.status(), StatusCode::NOT_FOUND);
    // A picture asked for through another conversation (the stranger's own) is not there either.
    let (_, own) = app.post("/api/v1/conversations", Some(&stranger.token), json!({ "shop_id": other_shop })).await;
    let image_id = first["image"]["id"].as_i64().unwrap();
    let elsewhere = format!("/api/v1/conversations/{}/images/{image_id}", own["id"]);
    assert_eq!(fetch(&app, Some(&stranger), &elsewhere).await.status(), StatusCode::NOT_FOUND);
    // Signed out: nothing either way.
    let (s, e) = upload(&app, None, conv, "image/png", png.clone()).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    assert_eq!(fetch(&app, None, &url).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(written(&app, conv).await, before, "no picture, no message, no event");
    assert_eq!(fetch(&app, Some(&owner), &url).await.status(), StatusCode::OK, "the shop still may");

    // Pictures are rate limited like text.
    app.clock.advance_secs(60);
    let mut last = StatusCode::CREATED;
    for _ in 0..12 {
        last = upload(&app, Some(&buyer), conv, "image/png", png.clone()).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
});

http_test!(a_picture_from_the_buyer_starts_the_reply_clock, |app| {
    app.staff("root", "admin").await;
    let (owner, _, buyer, conv) = setup(&app).await;
    let (s, _) = upload(&app, Some(&buyer), conv, "image/jpeg", bytes(JPEG)).await;
    assert_eq!(s, StatusCode::CREATED);
    let c = conversation(&app, &buyer, conv).await;
    assert_eq!((c["owner"].as_str(), c["reply_due"].as_i64()), (Some("shop"), Some(T0.millis() + 120_000)));
    // A picture from the shop answers it, like a text.
    app.clock.advance_secs(30);
    let (s, _) = upload(&app, Some(&owner), conv, "image/png", bytes(PNG)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(conversation(&app, &buyer, conv).await["reply_due"].is_null());
    assert_eq!(app.advance(600).await.fired, 0);
    // Unanswered, a picture is taken over at the deadline like a text.
    let (s, _) = upload(&app, Some(&buyer), conv, "image/webp", bytes(WEBP_LOSSY)).await;
    assert_eq!(s, StatusCode::CREATED);
    app.advance(120).await;
    assert_eq!(conversation(&app, &buyer, conv).await["owner"], "platform");
    assert_eq!(breaches(&app).await.len(), 1);
});
