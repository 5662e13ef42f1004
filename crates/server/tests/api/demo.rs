//! `serve --demo` seeds a month of history through the real use cases: the
//! grades follow from the formula over what happened (not from seeded
//! figures), the platform's cases are published, the service report has
//! figures, reviews carry replies, and what README promises (stock, balances)
//! is still there. `http_test!` ends with the ledger and evidence audit.

use reqwest::StatusCode;
use serde_json::Value;
use youying_core::Clock;
use youying_core::accounts::User;
use youying_core::enforcement::PenaltyKind;
use youying_core::grades::Grade;
use youying_core::money::Account;
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::{TestApp, http_test};

async fn user<S: Store>(app: &TestApp<S>, name: &'static str) -> User {
    app.app.store.read(move |tx| tx.user_by_key(name)).await.unwrap().unwrap()
}

async fn shop_of<S: Store>(app: &TestApp<S>, owner: &'static str) -> ShopId {
    let id = user(app, owner).await.id;
    app.app.store.read(move |tx| tx.shops_owned_by(id)).await.unwrap()[0].id
}

async fn get<S: Store>(app: &TestApp<S>, path: &str) -> Value {
    let (s, v) = app.get(path, None).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

/// The shop's public grade, with its figures printed for whoever reads the log.
async fn grade<S: Store>(app: &TestApp<S>, shop: ShopId) -> (Grade, Value) {
    let v = get(app, &format!("/api/v1/public/shops/{}", shop.0)).await;
    let now = app.clock.now();
    let (stored, report) =
        app.app.store.read(move |tx| youying_core::grades::refresh::current(tx, now, shop)).await.unwrap();
    eprintln!("shop {}: {} {} points {:?}", shop.0, report.grade.as_str(), report.points, stored.figures);
    assert_eq!(v["grade"].as_str(), Some(stored.grade.as_str()), "{v}");
    (stored.grade, v)
}

http_test!(the_demo_has_lived_a_month, |app| {
    youying_server::demo::seed(&app.app).await.unwrap();
    let [xingchen, zhengban, suchong, laotie] = [
        shop_of(&app, "laowang").await,
        shop_of(&app, "zhangsan").await,
        shop_of(&app, "lisi").await,
        shop_of(&app, "laotie").await,
    ];

    // Grades from the formula over the month: none is 新店.
    let (g, _) = grade(&app, xingchen).await;
    assert!(matches!(g, Grade::A | Grade::B), "星辰点卡 answers within a minute: {g:?}");
    let (g, _) = grade(&app, zhengban).await;
    assert!(matches!(g, Grade::A | Grade::B | Grade::C), "正版软件小铺: {g:?}");
    let (g, _) = grade(&app, suchong).await;
    assert!(matches!(g, Grade::B | Grade::C | Grade::D), "速充直充: {g:?}");
    let (g, _) = grade(&app, laotie).await;
    assert!(matches!(g, Grade::C | Grade::D), "老铁账号行 lets chats lapse: {g:?}");
    let now = app.clock.now();
    let standing = app.app.store.read(move |tx| youying_core::deposit::standing(tx, now, laotie)).await.unwrap();
    assert!(standing.listed(), "老铁账号行 still shows its listings");

    // 老铁账号行 is on the penalty ladder (warning, down-ranking), not suspended.
    let breaches = app.app.store.read(move |tx| tx.breaches(Some(laotie), 100)).await.unwrap();
    assert_eq!(breaches.len(), 4, "{breaches:?}");
    let penalties = app.app.store.read(move |tx| tx.penalties(Some(laotie), 100)).await.unwrap();
    let kinds: Vec<PenaltyKind> = penalties.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&PenaltyKind::Warning) && kinds.contains(&PenaltyKind::Downrank), "{kinds:?}");
    assert!(!kinds.contains(&PenaltyKind::Suspension) && !kinds.contains(&PenaltyKind::Fine), "{kinds:?}");
    let active = app.app.store.read(move |tx| tx.active_penalties(laotie)).await.unwrap();
    assert!(active.iter().any(|p| p.kind == PenaltyKind::Downrank), "still down-ranked now: {active:?}");

    // Cases the platform stepped into are published, with every outcome among them.
    let mut outcomes = Vec::new();
    for shop in [xingchen, zhengban, suchong, laotie] {
        let p = get(&app, &format!("/api/v1/public/cases?shop_id={}&page=1", shop.0)).await;
        for c in p["items"].as_array().unwrap() {
            outcomes.push(c["outcome"].as_str().unwrap().to_owned());
        }
    }
    outcomes.sort();
    assert_eq!(outcomes, ["auto_refund_merchant_silent", "platform_refunded", "platform_rejected"], "{outcomes:?}");
    let states = app
        .app
        .store
        .read(move |tx| {
            let mut all = Vec::new();
            for shop in [xingchen, zhengban] {
                all.extend(tx.cases_of_shop(shop, 100)?.into_iter().map(|c| c.state.as_str().to_owned()));
            }
            Ok(all)
        })
        .await
        .unwrap();
    assert!(states.contains(&"resolved_reissued".into()) && states.contains(&"resolved_refunded".into()), "{states:?}");

    // Reviews with the merchant's replies; the insult was held and not published.
    let r = get(&app, &format!("/api/v1/public/shops/{}/reviews?page=1", xingchen.0)).await;
    let items = r["items"].as_array().unwrap();
    assert!(items.len() >= 5 && items.iter().any(|i| i["reply"].is_string()), "{r}");
    let r = get(&app, &format!("/api/v1/public/shops/{}/reviews?page=1", laotie.0)).await;
    assert!(!r.to_string().contains("骗子"), "the held insult is not public: {r}");

    // The service report measures the platform over the month.
    let report = get(&app, "/api/v1/public/service-report").await;
    let w30 = &report["windows"][1];
    assert_eq!(w30["days"].as_i64(), Some(30));
    assert_eq!(w30["platform_replies"].as_i64(), Some(3), "{w30}");
    assert_eq!(w30["platform_unanswered"].as_i64(), Some(0), "{w30}");
    assert!(w30["hours_on_duty"].as_i64().unwrap() > 300, "{w30}");
    assert_eq!((w30["arbitrations_due"].as_i64(), w30["arbitrations_in_time"].as_i64()), (Some(2), Some(2)));
    let bot = &w30["bot"];
    assert!(bot["handed_over"].as_i64().unwrap() > 0 && bot["settled"].as_i64().unwrap() > 0, "{w30}");
    let paid_out: i64 =
        w30["money_by_day"].as_array().unwrap().iter().map(|d| d["paid_out_fen"].as_i64().unwrap()).sum();
    assert!(paid_out > 0, "the shops' withdrawals were paid out: {w30}");
    eprintln!("30 days: {w30}");

    // What README and the browser tests rely on is still there.
    let xiaoming = user(&app, "xiaoming").await.id;
    let xiaohong = user(&app, "xiaohong").await.id;
    let balances = app
        .app
        .store
        .read(move |tx| Ok((tx.balance(Account::UserWallet(xiaoming))?, tx.balance(Account::UserWallet(xiaohong))?)))
        .await
        .unwrap();
    assert_eq!(balances, (50_000, 30_000));
    let stock = app
        .app
        .store
        .read(move |tx| {
            let mut out = Vec::new();
            for p in tx.products_of_shop(xingchen)? {
                out.push(tx.stock_count(p.id)?);
            }
            out.sort_unstable();
            Ok(out)
        })
        .await
        .unwrap();
    assert_eq!(stock, [15, 30, 40], "Steam, 网易, Q币 as README lists them");
    let deposit = app.app.store.read(move |tx| tx.balance(Account::ShopDeposit(laotie))).await.unwrap();
    assert_eq!(deposit, youying_testkit::DEPOSIT_MIN_FEN, "no fine: 老铁's listings still show");

    // A second start finds the data and changes nothing.
    youying_server::demo::seed(&app.app).await.unwrap();
    assert_eq!(app.app.store.read(move |tx| tx.breaches(Some(laotie), 100)).await.unwrap().len(), 4);
});
