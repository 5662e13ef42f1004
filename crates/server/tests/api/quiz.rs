//! The rules quiz over HTTP on both backends: 10/10 and 9/10 pass and certify
//! for 90 days, 8/10 fails; the certificate expires and renews; an attempt
//! expires after 30 minutes and is submitted once; someone else's attempt is
//! 404; buyers and platform staff cannot take it; the bank (admin only) must
//! hold 10 active questions; answers never leave before submission; the shop's
//! certified share shows on its public JSON and page.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::quiz::{agent, answer_key};
use youying_testkit::{PASSWORD, T0, TestApp, TestUser, http_test};

const DAY: i64 = 86_400;

async fn start<S: Store>(app: &TestApp<S>, who: &TestUser) -> (StatusCode, Value) {
    app.post("/api/v1/quiz/attempts", Some(&who.token), json!({})).await
}

/// Answers for `attempt`: right except the first `wrong` questions.
fn answers(attempt: &Value, key: &HashMap<i64, String>, wrong: usize) -> Value {
    let list: Vec<Value> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let id = q["question_id"].as_i64().unwrap();
            let opts = q["options"].as_array().unwrap();
            let right = opts.iter().position(|o| o.as_str() == Some(key[&id].as_str())).unwrap();
            let option = if n < wrong { (right + 1) % opts.len() } else { right };
            json!({ "question_id": id, "option": option })
        })
        .collect();
    json!({ "answers": list })
}

async fn submit<S: Store>(app: &TestApp<S>, who: &TestUser, attempt: &Value, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/quiz/attempts/{}/answers", attempt["id"]), Some(&who.token), body).await
}

/// Starts and submits an attempt with `wrong` wrong answers; returns the result.
async fn take<S: Store>(app: &TestApp<S>, who: &TestUser, key: &HashMap<i64, String>, wrong: usize) -> Value {
    let (s, a) = start(app, who).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, r) = submit(app, who, &a, answers(&a, key, wrong)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

async fn certificate<S: Store>(app: &TestApp<S>, who: &TestUser) -> Value {
    let (s, c) = app.get("/api/v1/quiz/certificate", Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

fn now_ms<S: Store>(app: &TestApp<S>) -> i64 {
    youying_core::Clock::now(&app.clock).millis()
}

http_test!(ten_and_nine_right_pass_for_ninety_days_eight_fail, |app| {
    let admin = app.staff("quiz_admin", "admin").await;
    let key = answer_key(&app, &admin).await;
    let (owner, shop) = app.merchant("quiz_owner", "答题小店").await;
    let kf = agent(&app, &owner, shop, "quiz_kf").await;
    let kf2 = agent(&app, &owner, shop, "quiz_kf2").await;

    let r = take(&app, &kf, &key, 0).await;
    assert_eq!(
        (r["score"].as_i64(), r["total"].as_i64(), r["passed"].as_bool()),
        (Some(10), Some(10), Some(true)),
        "{r}"
    );
    let until = T0.millis() + 90 * DAY * 1000;
    assert_eq!(r["valid_until"].as_i64(), Some(until));
    assert!(r["results"].as_array().unwrap().iter().all(|q| q["right"] == true && q["explanation"].is_string()), "{r}");
    let c = certificate(&app, &kf).await;
    assert_eq!((c["certified"].as_bool(), c["valid_until"].as_i64()), (Some(true), Some(until)));

    let r = take(&app, &owner, &key, 1).await;
    assert_eq!((r["score"].as_i64(), r["percent"].as_i64(), r["passed"].as_bool()), (Some(9), Some(90), Some(true)));
    assert_eq!(r["results"][0]["right"], false, "the wrong one is marked: {r}");
    assert!(r["results"][0]["explanation"].is_string());
    assert_eq!(certificate(&app, &owner).await["certified"], true, "owners answer buyers too");

    let r = take(&app, &kf2, &key, 2).await;
    assert_eq!((r["score"].as_i64(), r["passed"].as_bool()), (Some(8), Some(false)), "{r}");
    assert!(r["valid_until"].is_null());
    let c = certificate(&app, &kf2).await;
    assert_eq!((c["certified"].as_bool(), c["valid_until"].is_null()), (Some(false), true), "{c}");

    let kinds = app.events_about(&format!("quiz:user:{}", kf2.id)).await;
    assert_eq!(kinds, ["quiz.started", "quiz.failed"]);
    assert!(app.events_about(&format!("quiz:user:{}", kf.id)).await.contains(&"quiz.passed".to_owned()));
});

http_test!(a_certificate_expires_after_ninety_days_and_a_new_pass_renews_it, |app| {
    let admin = app.staff("quiz_admin", "admin").await;
    let key = answer_key(&app, &admin).await;
    let (owner, shop) = app.merchant("renew_owner", "续期小店").await;
    let kf = agent(&app, &owner, shop, "renew_kf").await;
    let share = |d: &Value| d["certified_agents_share_percent"].as_f64();

    take(&app, &kf, &key, 0).await;
    let (_, d) = app.get(&format!("/api/v1/public/shops/{shop}"), None).await;
    assert_eq!(share(&d), Some(50.0), "one of owner + agent: {d}");

    app.advance(90 * DAY - 1).await;
    // Sessions last 30 days: sign in again after the jump.
    let kf = app.signed_in("renew_kf", PASSWORD).await;
    assert_eq!(certificate(&app, &kf).await["certified"], true, "still valid a second before the end");
    app.advance(1).await;
    let c = certificate(&app, &kf).await;
    assert_eq!(
        (c["certified"].as_bool(), c["valid_until"].as_i64()),
        (Some(false), Some(T0.millis() + 90 * DAY * 1000))
    );
    let (_, d) = app.get(&format!("/api/v1/public/shops/{shop}"), None).await;
    assert_eq!(share(&d), Some(0.0), "an expired certificate does not count");

    let r = take(&app, &kf, &key, 0).await;
    let renewed = now_ms(&app) + 90 * DAY * 1000;
    assert_eq!(r["valid_until"].as_i64(), Some(renewed));
    assert_eq!(certificate(&app, &kf).await["valid_until"].as_i64(), Some(renewed));
    let owner = app.signed_in("renew_owner", PASSWORD).await;
    take(&app, &owner, &key, 0).await;
    let (_, d) = app.get(&format!("/api/v1/public/shops/{shop}"), None).await;
    assert_eq!(share(&d), Some(100.0));
    let (s, page) = app.call(reqwest::Method::GET, &format!("/shops/{shop}"), None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.as_str().unwrap_or_default().contains("持证客服占比 100.00 %（2/2 人持证）"),
        "the shop page shows it"
    );
});

http_test!(an_attempt_expires_after_thirty_minutes_and_is_submitted_once, |app| {
    let admin = app.staff("quiz_admin", "admin").await;
    let key = answer_key(&app, &admin).await;
    let (owner, _) = app.merchant("once_owner", "一次小店").await;
    let (other, _) = app.merchant("other_owner", "别家小店").await;

    let (_, a) = start(&app, &owner).await;
    app.advance(30 * 60).await;
    let (s, e) = submit(&app, &owner, &a, answers(&a, &key, 0)).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("attempt_expired")), "{e}");
    assert_eq!(certificate(&app, &owner).await["certified"], false);

    let (_, a) = start(&app, &owner).await;
    app.advance(30 * 60 - 1).await;
    let (s, e) = submit(&app, &other, &a, answers(&a, &key, 0)).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "someone else's attempt: {e}");
    let mut partial = answers(&a, &key, 0);
    partial["answers"].as_array_mut().unwrap().pop();
    let (s, e) = submit(&app, &owner, &a, partial).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("answers")), "all or nothing: {e}");
    let (s, r) = submit(&app, &owner, &a, answers(&a, &key, 0)).await;
    assert_eq!((s, r["passed"].as_bool()), (StatusCode::OK, Some(true)), "bad input changed nothing: {r}");
    let (s, e) = submit(&app, &owner, &a, answers(&a, &key, 3)).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("attempt_finished")), "{e}");
    assert_eq!(certificate(&app, &owner).await["certified"], true, "the resubmission changed nothing");
    let (s, _) = app.post("/api/v1/quiz/attempts/999999/answers", Some(&owner.token), json!({ "answers": [] })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

http_test!(attempts_never_carry_answers_and_only_shop_staff_take_them, |app| {
    let (owner, _) = app.merchant("shape_owner", "形状小店").await;
    let (s, a) = start(&app, &owner).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let qs = a["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 10);
    for q in qs {
        let keys: Vec<&String> = q.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["options", "question_id", "text"], "no answer, no explanation");
    }
    let text = a.to_string();
    assert!(!text.contains("correct") && !text.contains("explanation"), "{text}");

    let buyer = app.buyer("plain_buyer").await;
    let (s, e) = start(&app, &buyer).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    for role in ["admin", "agent"] {
        let staff = app.staff(&format!("plat_{role}"), role).await;
        let (s, _) = start(&app, &staff).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "platform {role}");
    }
    let (s, _) = app.post("/api/v1/quiz/attempts", None, json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

http_test!(only_the_admin_edits_the_bank_and_a_small_bank_refuses_attempts, |app| {
    let admin = app.staff("bank_admin", "admin").await;
    let (owner, shop) = app.merchant("bank_owner", "题库小店").await;
    let kf = agent(&app, &owner, shop, "bank_kf").await;
    let q = json!({ "text": "新题：买家要求加微信怎么办？", "options": ["拒绝，平台内沟通", "同意"], "correct": 0, "explanation": "不得引导平台外联系。" });
    for who in [&kf, &owner] {
        let (s, _) = app.get("/api/v1/admin/quiz/questions", Some(&who.token)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.post("/api/v1/admin/quiz/questions", Some(&who.token), q.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.put("/api/v1/admin/quiz/questions/1", Some(&who.token), q.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.post("/api/v1/admin/quiz/questions/1/retire", Some(&who.token), json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, added) = app.post("/api/v1/admin/quiz/questions", Some(&admin.token), q.clone()).await;
    assert_eq!((s, added["active"].as_bool()), (StatusCode::CREATED, Some(true)), "{added}");
    let id = added["id"].as_i64().unwrap();
    let bad = json!({ "text": "q", "options": ["只有一个"], "correct": 0 });
    let (s, e) = app.post("/api/v1/admin/quiz/questions", Some(&admin.token), bad).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("options")), "{e}");
    let edit = json!({ "text": "改过的题", "options": ["甲", "乙", "丙"], "correct": 2 });
    let (s, e) = app.put(&format!("/api/v1/admin/quiz/questions/{id}"), Some(&admin.token), edit).await;
    assert_eq!((s, e["correct"].as_i64(), e["explanation"].is_null()), (StatusCode::OK, Some(2), true), "{e}");
    let (s, _) = app.put("/api/v1/admin/quiz/questions/999999", Some(&admin.token), q.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Retire until 9 remain active: attempts are refused, nothing is deleted.
    let (_, bank) = app.get("/api/v1/admin/quiz/questions", Some(&admin.token)).await;
    let ids: Vec<i64> = bank.as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
    let total = ids.len();
    for id in &ids[..total - 9] {
        let (s, r) =
            app.post(&format!("/api/v1/admin/quiz/questions/{id}/retire"), Some(&admin.token), json!({})).await;
        assert_eq!((s, r["active"].as_bool()), (StatusCode::OK, Some(false)), "{r}");
    }
    let (s, e) =
        app.post(&format!("/api/v1/admin/quiz/questions/{}/retire", ids[0]), Some(&admin.token), json!({})).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("question_retired")));
    let (s, e) = start(&app, &kf).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("quiz_bank_too_small")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("不足 10"), "{e}");
    let (_, bank) = app.get("/api/v1/admin/quiz/questions", Some(&admin.token)).await;
    assert_eq!(bank.as_array().unwrap().len(), total, "retired, not deleted");
    let kinds = app.events_about("quiz:bank").await;
    assert_eq!(kinds.iter().filter(|k| *k == "quiz.question_retired").count(), total - 9);
    assert_eq!(kinds[..2], ["quiz.question_added", "quiz.question_changed"]);
});

http_test!(a_concurrent_double_submit_is_scored_once, |app| {
    let admin = app.staff("race_admin", "admin").await;
    let key = answer_key(&app, &admin).await;
    let (owner, _) = app.merchant("race_owner", "并发小店").await;
    let (_, a) = start(&app, &owner).await;
    let (one, two) =
        tokio::join!(submit(&app, &owner, &a, answers(&a, &key, 0)), submit(&app, &owner, &a, answers(&a, &key, 0)));
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} {}", one.1, two.1);
    let kinds = app.events_about(&format!("quiz:user:{}", owner.id)).await;
    assert_eq!(kinds, ["quiz.started", "quiz.passed"], "one pass recorded");
});
