//! The store contract: the same cases against a fresh SQLite file and a fresh
//! PostgreSQL database. Each case ends by verifying the evidence chain.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::json;
use youying_core::accounts::{NewUser, User};
use youying_core::deadline::{self, DeadlineKind, DeadlineState, NewDeadline};
use youying_core::error::{Conflict, Error, StorageError};
use youying_core::evidence::Verifier;
use youying_core::ports::Store;
use youying_core::shops::InviteState;
use youying_core::values::{Role, ShopName, Username};
use youying_core::{Timestamp, accounts, rules, shops};
use youying_store::store_test;

#[path = "contract/chain.rs"]
mod chain;

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

async fn user<S: Store>(store: &S, name: &str, role: Role) -> User {
    let name = Username::parse(name).unwrap();
    store.write(move |tx| accounts::register(tx, T0, &name, "hash".into(), role, None, None)).await.unwrap()
}

async fn verify_chain<S: Store>(store: &S) -> u64 {
    store
        .read(|tx| {
            let mut v = Verifier::default();
            loop {
                let page = tx.events_after(v.last_seq(), 500)?;
                if page.is_empty() {
                    return Ok(v.checked);
                }
                for e in &page {
                    v.check(e).map_err(|b| StorageError(b.reason.into()))?;
                }
            }
        })
        .await
        .expect("evidence chain verifies")
}

fn probe(subject: &str, due: Timestamp) -> NewDeadline {
    NewDeadline { kind: DeadlineKind::Probe, subject: subject.into(), due_at: due, created_at: T0, payload: json!({}) }
}

store_test!(levels_keep_one_default_and_level_prices_set_and_clear, |store, _db| {
    use youying_core::levels::{self, LevelInput};
    let admin = user(&store, "root", Role::Admin).await;
    let buyer = user(&store, "daili", Role::Buyer).await;
    let seeded = store.read(|tx| tx.default_level()).await.unwrap().unwrap();
    assert_eq!((seeded.name.as_str(), seeded.discount_bp), ("普通会员", 0));
    let a = admin.clone();
    let input = LevelInput {
        name: Some("代理".into()),
        discount_bp: Some(500),
        is_default: Some(true),
        ..LevelInput::default()
    };
    let agent = store.write(move |tx| levels::create(tx, T0, &a, &input)).await.unwrap();
    let all = store.read(|tx| tx.levels()).await.unwrap();
    assert_eq!(all.iter().filter(|l| l.is_default).map(|l| l.id).collect::<Vec<_>>(), [agent.id], "one default");
    // A second level of the same name is refused by the unique index.
    let (a, dup) =
        (admin.clone(), LevelInput { name: Some("代理".into()), discount_bp: Some(0), ..LevelInput::default() });
    let err = store.write(move |tx| levels::create(tx, T0, &a, &dup)).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::Duplicate)), "{err:?}");
    let (a, id, lid) = (admin.clone(), buyer.id, seeded.id);
    store.write(move |tx| levels::assign(tx, T0, &a, id, lid).map(|_| ())).await.unwrap();
    let (a, lid) = (admin.clone(), agent.id);
    store.write(move |tx| levels::assign(tx, T0, &a, id, lid).map(|_| ())).await.unwrap();
    assert_eq!(store.read(move |tx| tx.level_of(id)).await.unwrap(), Some(agent.id), "the later assignment replaces");
    let owner = user(&store, "laowang", Role::Buyer).await;
    let input = youying_core::catalogue::ProductInput {
        category: Some("game_card".into()),
        kind: Some("card_key".into()),
        title: Some("点卡 10元".into()),
        price_fen: Some(1_000),
        ..Default::default()
    };
    let spec = youying_core::catalogue::ProductSpec::parse(&input).unwrap();
    let name = ShopName::parse("等级小铺").unwrap();
    let p = store
        .write(move |tx| {
            let shop = shops::open(tx, T0, &owner, &name)?;
            tx.insert_product(shop.id, &spec, true, T0)
        })
        .await
        .unwrap();
    let lid = agent.id;
    for (set, want) in [(Some(800), Some(800)), (Some(700), Some(700)), (None, None)] {
        store.write(move |tx| tx.set_level_price(p, lid, set, T0)).await.unwrap();
        assert_eq!(store.read(move |tx| tx.level_price(p, lid)).await.unwrap(), want);
        assert_eq!(store.read(move |tx| tx.level_prices(p)).await.unwrap().len(), usize::from(want.is_some()));
    }
    assert!(verify_chain(&store).await >= 4);
});

store_test!(a_guest_is_found_by_contact_until_claimed, |store, _db| {
    use youying_core::accounts::guest::{self, GuestContact};
    let contact = GuestContact::parse("13800138000").unwrap();
    let (c, name) = (contact.clone(), guest::guest_username(7));
    let g = store.write(move |tx| guest::create(tx, T0, &name, "qhash".into(), &c)).await.unwrap();
    assert!(g.guest && g.role == Role::Buyer, "{g:?}");
    let key = contact.key();
    let found = store.read(move |tx| tx.guest_by_contact(&key)).await.unwrap().unwrap();
    assert_eq!((found.id, found.password_hash.as_str()), (g.id, "qhash"));
    // A second guest with the same contact is refused by the unique index.
    let (c, name) = (contact.clone(), guest::guest_username(8));
    let err = store.write(move |tx| guest::create(tx, T0, &name, "h".into(), &c)).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::Duplicate)), "{err:?}");
    // Claimed: a full account, no longer found by its contact, the contact free again.
    user(&store, "taken", Role::Buyer).await;
    let (g2, taken) = (g.clone(), Username::parse("TAKEN").unwrap());
    let err = store.write(move |tx| guest::claim(tx, T0, &g2, &taken, "p".into())).await.unwrap_err();
    assert!(matches!(err, Error::UsernameTaken), "{err:?}");
    let (g2, name) = (g.clone(), Username::parse("xiaoli").unwrap());
    let claimed = store.write(move |tx| guest::claim(tx, T0, &g2, &name, "phash".into())).await.unwrap();
    assert!(!claimed.guest && claimed.username == "xiaoli" && claimed.password_hash == "phash");
    let (key, id) = (contact.key(), g.id);
    let (by_contact, contact_of) =
        store.read(move |tx| Ok((tx.guest_by_contact(&key)?, tx.guest_contact(id)?))).await.unwrap();
    assert!(by_contact.is_none() && contact_of.is_none());
    let err = store.write(move |tx| guest::claim(tx, T0, &claimed, &Username::parse("again").unwrap(), "p".into()));
    assert!(matches!(err.await.unwrap_err(), Error::Forbidden), "a full account is never a guest");
    assert_eq!(verify_chain(&store).await, 3, "created, the other user registered, claimed");
});

store_test!(usernames_are_unique_without_case, |store, _db| {
    user(&store, "Alice", Role::Buyer).await;
    let again = Username::parse("alice").unwrap();
    let err = store
        .write(move |tx| accounts::register(tx, T0, &again, "h".into(), Role::Buyer, None, None))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UsernameTaken), "{err:?}");
    let found = store.read(|tx| tx.user_by_key("alice")).await.unwrap().unwrap();
    assert_eq!(found.username, "Alice");
    assert_eq!(verify_chain(&store).await, 1);
});

store_test!(a_failed_unit_of_work_leaves_nothing, |store, _db| {
    let err = store
        .write(|tx| {
            let name = Username::parse("bob").unwrap();
            tx.insert_user(&NewUser {
                username: name,
                role: Role::Buyer,
                shop_id: None,
                password_hash: "h".into(),
                created_at: T0,
            })?;
            tx.schedule(&probe("x:1", T0))?;
            tx.append(youying_core::evidence::NewEvent::new(T0, None, "test", "x:1", json!({})))?;
            Err::<(), _>(Error::Conflict(Conflict::Duplicate))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)));
    assert!(store.read(|tx| tx.user_by_key("bob")).await.unwrap().is_none());
    assert_eq!(store.read(|tx| tx.pending_deadlines()).await.unwrap(), 0);
    assert_eq!(verify_chain(&store).await, 0);
});

store_test!(deadlines_fire_once_in_due_order, |store, _db| {
    let ids = store
        .write(|tx| {
            let late = tx.schedule(&probe("p:late", T0.plus_secs(20)))?;
            let early = tx.schedule(&probe("p:early", T0.plus_secs(10)))?;
            let cancelled = tx.schedule(&probe("p:cancelled", T0.plus_secs(5)))?;
            Ok((late, early, cancelled))
        })
        .await
        .unwrap();
    assert!(store.write(move |tx| tx.cancel_deadline(ids.2, T0)).await.unwrap());
    assert_eq!(store.read(|tx| tx.next_due()).await.unwrap(), Some(T0.plus_secs(10)));

    let none = store.write(|tx| deadline::run_due(tx, T0.plus_secs(9), 100)).await.unwrap();
    assert_eq!(none.fired, 0);
    let first = store.write(|tx| deadline::run_due(tx, T0.plus_millis(10_250), 100)).await.unwrap();
    assert_eq!((first.fired, first.lateness_ms.clone()), (1, vec![250]));
    let again = store.write(|tx| deadline::run_due(tx, T0.plus_millis(10_250), 100)).await.unwrap();
    assert_eq!(again.fired, 0, "a fired deadline never fires twice");

    assert!(store.write(move |tx| tx.reschedule(ids.0, T0.plus_secs(30))).await.unwrap());
    assert_eq!(store.write(|tx| deadline::run_due(tx, T0.plus_secs(29), 100)).await.unwrap().fired, 0);
    assert_eq!(store.write(|tx| deadline::run_due(tx, T0.plus_secs(31), 100)).await.unwrap().fired, 1);
    let states = store
        .read(move |tx| Ok((tx.deadline(ids.0)?.unwrap().state, tx.deadline(ids.2)?.unwrap().state)))
        .await
        .unwrap();
    assert_eq!(states, (DeadlineState::Fired, DeadlineState::Cancelled));
    assert!(!store.write(move |tx| tx.cancel_deadline(ids.0, T0)).await.unwrap(), "fired cannot be cancelled");
    assert_eq!(verify_chain(&store).await, 2);
});

store_test!(a_failing_handler_is_retried_without_undoing_others, |store, _db| {
    store
        .write(|tx| {
            tx.schedule(&probe("p:ok", T0))?;
            // An invite-expiry deadline without its invite id fails in its handler.
            tx.schedule(&NewDeadline {
                kind: DeadlineKind::InviteExpiry,
                subject: "invite:0".into(),
                due_at: T0,
                created_at: T0,
                payload: json!({}),
            })
        })
        .await
        .unwrap();
    let out = store.write(|tx| deadline::run_due(tx, T0, 100)).await.unwrap();
    assert_eq!((out.fired, out.failed), (1, 1));
    let pending = store.read(|tx| tx.pending_deadlines()).await.unwrap();
    assert_eq!(pending, 1, "the failed one stays pending for a retry");
    assert_eq!(store.read(|tx| tx.next_due()).await.unwrap(), Some(T0.plus_secs(1)));
    assert_eq!(verify_chain(&store).await, 1);
});

store_test!(invites_expire_through_the_engine, |store, _db| {
    let owner = user(&store, "owner1", Role::Buyer).await;
    let o = owner.clone();
    let shop = store.write(move |tx| shops::open(tx, T0, &o, &ShopName::parse("星辰点卡").unwrap())).await.unwrap();
    let o = owner.clone();
    let invite = store.write(move |tx| shops::invite_agent(tx, T0, &o, shop.id, "tokhash")).await.unwrap();
    assert_eq!(invite.expires_at, T0.plus_secs(7 * 86_400));
    let out = store.write(move |tx| deadline::run_due(tx, invite.expires_at, 10)).await.unwrap();
    assert_eq!(out.fired, 1);
    let after = store.read(move |tx| tx.invite(invite.id)).await.unwrap().unwrap();
    assert_eq!(after.state, InviteState::Expired);
    let name = Username::parse("agent1").unwrap();
    let late = store
        .write(move |tx| shops::accept_invite(tx, T0.plus_secs(8 * 86_400), "tokhash", &name, "h".into()))
        .await
        .unwrap_err();
    assert!(matches!(late, Error::Conflict(_)));
    // shop.opened, invite_created, invite_expired, deadlines.fired + the owner's registration
    assert_eq!(verify_chain(&store).await, 5);
});

store_test!(an_accepted_invite_cancels_its_deadline, |store, _db| {
    let owner = user(&store, "owner2", Role::Buyer).await;
    let o = owner.clone();
    let shop = store.write(move |tx| shops::open(tx, T0, &o, &ShopName::parse("shop two").unwrap())).await.unwrap();
    let o = owner.clone();
    let invite = store.write(move |tx| shops::invite_agent(tx, T0, &o, shop.id, "tok2")).await.unwrap();
    let name = Username::parse("agent2").unwrap();
    let agent =
        store.write(move |tx| shops::accept_invite(tx, T0.plus_secs(60), "tok2", &name, "h".into())).await.unwrap();
    assert_eq!((agent.role, agent.shop_id), (Role::MerchantAgent, Some(shop.id)));
    let d = store.read(move |tx| tx.deadline(invite.deadline_id.unwrap())).await.unwrap().unwrap();
    assert_eq!(d.state, DeadlineState::Cancelled);
    let agents = store.read(move |tx| tx.shop_agents(shop.id)).await.unwrap();
    assert_eq!(agents.len(), 1);
    let taken =
        store.write(move |tx| shops::open(tx, T0, &owner, &ShopName::parse("SHOP TWO").unwrap())).await.unwrap_err();
    assert!(matches!(taken, Error::ShopNameTaken));
    verify_chain(&store).await;
});

store_test!(sessions_expire_and_logins_throttle, |store, _db| {
    let u = user(&store, "carol", Role::Buyer).await;
    let u2 = u.clone();
    store.write(move |tx| accounts::login_succeeded(tx, T0, &u2, "1.2.3.4", "sess", "csrf")).await.unwrap();
    let live = store.read(|tx| tx.session("sess", T0.plus_secs(60))).await.unwrap();
    assert_eq!(live.map(|s| s.user.id), Some(u.id));
    let expired = store.read(|tx| tx.session("sess", T0.plus_secs(31 * 86_400))).await.unwrap();
    assert!(expired.is_none());

    for i in 0..5 {
        store.write(move |tx| accounts::login_failed(tx, T0.plus_secs(i), "carol", "1.2.3.4")).await.unwrap();
    }
    let err = store.read(|tx| accounts::check_throttle(tx, T0.plus_secs(10), "carol", "1.2.3.4")).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { retry_after_secs: 890 }), "{err:?}");
    assert!(
        store.read(|tx| accounts::check_throttle(tx, T0.plus_secs(10), "carol", "5.6.7.8")).await.is_ok(),
        "per address"
    );
    assert!(
        store.read(|tx| accounts::check_throttle(tx, T0.plus_secs(901), "carol", "1.2.3.4")).await.is_ok(),
        "window passes"
    );
    verify_chain(&store).await;
});

store_test!(rule_changes_are_validated_and_recorded, |store, _db| {
    let admin = user(&store, "admin1", Role::Admin).await;
    let buyer = user(&store, "buyer1", Role::Buyer).await;
    let mut changes = BTreeMap::new();
    changes.insert("chat_reply_secs".to_owned(), 2);
    let c = changes.clone();
    let denied = store.write(move |tx| accounts::change_rules(tx, T0, &buyer, &c)).await.unwrap_err();
    assert!(matches!(denied, Error::Forbidden));
    changes.insert("no_such_rule".to_owned(), 1);
    let (a, c) = (admin.clone(), changes.clone());
    assert!(store.write(move |tx| accounts::change_rules(tx, T0, &a, &c)).await.is_err());
    assert_eq!(store.read(|tx| rules::in_force(tx)).await.unwrap().chat_reply_secs(), 120, "all or nothing");
    changes.remove("no_such_rule");
    let rules = store.write(move |tx| accounts::change_rules(tx, T0, &admin, &changes)).await.unwrap();
    assert_eq!(rules.chat_reply_secs(), 2);
    assert_eq!(verify_chain(&store).await, 3);
});

store_test!(concurrent_writers_keep_one_unbroken_chain, |store, _db| {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { user(&s, &format!("user{i}"), Role::Buyer).await }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(verify_chain(&store).await, 40);
});

store_test!(verify_names_the_first_tampered_event, |store, db| {
    for i in 0..3 {
        user(&store, &format!("tamper{i}"), Role::Buyer).await;
    }
    tamper(&db, 2).await;
    let broken = store
        .read(|tx| {
            let mut v = Verifier::default();
            Ok(tx.events_after(0, 100)?.iter().find_map(|e| v.check(e).err()))
        })
        .await
        .unwrap();
    assert_eq!(broken.map(|b| (b.seq, b.reason)), Some((2, "hash_mismatch")));
});

store_test!(gateways_round_trip_and_keep_omitted_secrets, |store, _db| {
    use youying_core::payments::{self, Channel, GatewayInput, GatewayKind, GatewayName, Sealed};
    let admin = user(&store, "root", Role::Admin).await;
    let name = GatewayName::parse("main").unwrap();
    let input = GatewayInput {
        name: name.clone(),
        kind: GatewayKind::EpayV1,
        base_url: "https://pay.example.com/".into(),
        pid: "1001".into(),
        key: Some(Sealed::new("sealed-1".into())),
        merchant_private_key: None,
        platform_public_key: None,
        channels: vec![Channel::Wxpay, Channel::Alipay],
        enabled: true,
    };
    let (a, first) = (admin.clone(), input.clone());
    store.write(move |tx| payments::put_gateway(tx, T0, &a, first)).await.unwrap();
    let again = GatewayInput { key: None, enabled: false, ..input };
    store.write(move |tx| payments::put_gateway(tx, T0, &admin, again)).await.unwrap();
    let all = store.read(|tx| tx.gateways()).await.unwrap();
    assert_eq!(all.len(), 1);
    let g = &all[0];
    assert_eq!((g.name.as_str(), g.kind, g.pid.as_str()), ("main", GatewayKind::EpayV1, "1001"));
    assert_eq!(g.key.as_ref().map(Sealed::as_str), Some("sealed-1"));
    assert_eq!(g.channels, vec![Channel::Alipay, Channel::Wxpay]);
    assert!(!g.enabled);
    assert_eq!(store.read(move |tx| tx.gateway(&name)).await.unwrap().as_ref(), Some(g));
    assert_eq!(verify_chain(&store).await, 3);
});

store_test!(withdrawals_round_trip_and_are_decided_once, |store, _db| {
    use youying_core::money::{Account, Entry, Fen};
    use youying_core::payments::Sealed;
    use youying_core::withdrawals::{self, Decision, Method, Wallet, WithdrawalInput, WithdrawalState};
    let buyer = user(&store, "maijia", Role::Buyer).await;
    let wallet = Wallet::User(buyer.id);
    store
        .write(move |tx| {
            let e = Entry::transfer("t", "t", "", Account::PlatformCash, wallet.account(), Fen::new(50_000)?)?;
            tx.post(&e, T0)
        })
        .await
        .unwrap();
    let input = |amount_fen| WithdrawalInput {
        amount_fen,
        method: Method::Bank,
        account: Sealed::new("sealed-account".into()),
        account_masked: "****2233".into(),
        real_name: Sealed::new("sealed-name".into()),
    };
    let mut ids = Vec::new();
    for (i, amount) in [10_000, 20_000].into_iter().enumerate() {
        let (b, w) = (buyer.clone(), input(amount));
        let at = T0.plus_secs(i64::try_from(i).unwrap());
        ids.push(store.write(move |tx| withdrawals::request(tx, at, &b, wallet, w)).await.unwrap().id);
    }
    let (id0, id) = (ids[0], ids[1]);
    let first = store.read(move |tx| tx.withdrawal(id0)).await.unwrap().unwrap();
    assert_eq!((first.account.as_str(), first.real_name.as_str()), ("sealed-account", "sealed-name"));
    assert_eq!((first.amount_fen, first.fee_fen, first.state), (10_000, 60, WithdrawalState::Requested));
    let reject = Decision::Reject { reason: "不符".into() };
    let (r1, r2) = (reject.clone(), reject);
    assert!(store.write(move |tx| tx.decide_withdrawal(id, &r1, buyer.id, T0)).await.unwrap());
    assert!(!store.write(move |tx| tx.decide_withdrawal(id, &r2, buyer.id, T0)).await.unwrap(), "once only");
    let since = store.read(move |tx| tx.withdrawn_since(wallet, T0.plus_secs(-1))).await.unwrap();
    assert_eq!(since, 10_000, "rejected requests do not count");
    let staff = store.read(|tx| tx.withdrawals_for_staff(10)).await.unwrap();
    assert_eq!(
        staff.iter().map(|w| w.state).collect::<Vec<_>>(),
        [WithdrawalState::Requested, WithdrawalState::Rejected]
    );
    let audit = store.read(|tx| tx.ledger_audit()).await.unwrap();
    // The store call alone posted nothing back: the audit sees the mismatch a
    // decision without its ledger entry would leave.
    assert_eq!((audit.pending_withdrawals_balance, audit.pending_withdrawals_requested), (30_000, 10_000));
    assert_eq!(verify_chain(&store).await, 3);
});

store_test!(the_audit_knows_what_came_in_through_gateways, |store, _db| {
    use youying_core::money::{Account, Entry, Fen};
    let buyer = user(&store, "shoukuan", Role::Buyer).await;
    let id = buyer.id;
    // Money out of gateway clearing that no paid attempt accounts for.
    store
        .write(move |tx| {
            let e =
                Entry::transfer("pay_in", "t", "", Account::GatewayClearing, Account::UserWallet(id), Fen::new(500)?)?;
            tx.post(&e, T0)
        })
        .await
        .unwrap();
    let audit = store.read(|tx| tx.ledger_audit()).await.unwrap();
    assert_eq!((audit.gateway_clearing_balance, audit.paid_in_by_attempts), (-500, 0));
    assert!(audit.negative_accounts.is_empty(), "clearing may go negative");
});

/// Edits an event behind the application's back, as an attacker with database access would.
async fn tamper(db: &youying_store::testing::TestDb, seq: i64) {
    let url = db.url();
    let path = db.sqlite_path();
    tokio::task::spawn_blocking(move || match path {
        Some(p) => {
            let c = rusqlite_conn(&p);
            c.execute_batch(&format!("DROP TRIGGER events_no_update; UPDATE events SET payload = '{{}}' WHERE seq = {seq};")).unwrap();
        }
        None => {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("ALTER TABLE events DISABLE TRIGGER events_no_change; UPDATE events SET payload = '{{}}' WHERE seq = {seq};")).unwrap();
        }
    })
    .await
    .unwrap();
}

fn rusqlite_conn(p: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(p).unwrap()
}

/// Two instances on one database each fire what they claim; none fires twice.
async fn two_instances_fire_each_deadline_once<S: Store>(a: S, b: S) {
    const N: i64 = 300;
    a.write(|tx| {
        for i in 0..N {
            tx.schedule(&probe(&format!("p:{i}"), T0.plus_millis(i)))?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let run = |s: S| {
        tokio::spawn(async move {
            let mut fired = 0;
            loop {
                let out = s.write(|tx| deadline::run_due(tx, T0.plus_secs(1), 7)).await.unwrap();
                if out.fired == 0 {
                    return fired;
                }
                fired += out.fired;
            }
        })
    };
    let (ta, tb) = (run(a.clone()), run(b));
    let (fa, fb) = (ta.await.unwrap(), tb.await.unwrap());
    assert_eq!(fa + fb, N as usize, "a fired {fa}, b fired {fb}");
    assert_eq!(a.read(|tx| tx.pending_deadlines()).await.unwrap(), 0);
    verify_chain(&a).await;
    let mut ids = a
        .read(|tx| {
            let mut ids = Vec::new();
            for e in tx.events_after(0, 1_000_000)? {
                ids.extend(deadline::fired_records(&e.kind, &e.payload)?.into_iter().map(|r| r.id));
            }
            Ok(ids)
        })
        .await
        .unwrap();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), N as usize, "each deadline recorded as fired exactly once in the evidence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sqlite() {
    let db = youying_store::testing::TestDb::sqlite();
    two_instances_fire_each_deadline_once(db.open_sqlite().unwrap(), db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_postgres() {
    let Some(db) = tokio::task::spawn_blocking(youying_store::testing::TestDb::postgres).await.unwrap() else {
        return;
    };
    two_instances_fire_each_deadline_once(db.open_postgres(4).await.unwrap(), db.open_postgres(4).await.unwrap()).await;
}

store_test!(the_heartbeat_only_moves_forward_and_a_start_after_a_gap_records_one_outage, |store, _db| {
    use youying_core::deadline::outage::{OUTAGE_AFTER_MS, beat};
    assert_eq!(store.read(|tx| tx.last_beat()).await.unwrap(), None);
    assert_eq!(store.write(|tx| beat(tx, T0, true)).await.unwrap(), None, "no beat yet: no gap");
    let late = T0.plus_millis(OUTAGE_AFTER_MS + 1);
    // A running loop never calls a gap an outage; an older beat never moves it back.
    assert_eq!(store.write(move |tx| beat(tx, late, false)).await.unwrap(), None);
    store.write(|tx| beat(tx, T0, false)).await.unwrap();
    assert_eq!(store.read(|tx| tx.last_beat()).await.unwrap(), Some(late));
    let start = late.plus_secs(60);
    let o = store.write(move |tx| beat(tx, start, true)).await.unwrap().unwrap();
    assert_eq!((o.from, o.to), (late, start));
    assert_eq!(store.write(move |tx| beat(tx, start.plus_secs(1), true)).await.unwrap(), None, "beaten just now");
    assert_eq!(store.read(move |tx| tx.outages_since(start)).await.unwrap(), vec![o]);
    assert!(store.read(move |tx| tx.outages_since(start.plus_secs(1))).await.unwrap().is_empty());
    assert_eq!(verify_chain(&store).await, 1, "platform.outage");
});

// Issue 17 (lean checkout): a claim starts past where this connection's last
// claim began; units put back below it (a rolled-back checkout) are still sold.
store_test!(claims_find_units_put_back_below_where_the_last_claim_began, |store, _db| {
    use youying_core::catalogue::{ProductInput, ProductSpec};
    use youying_core::stock::SealedUnit;
    let owner = user(&store, "kucun", Role::Buyer).await;
    let product = store
        .write(move |tx| {
            let shop = shops::open(tx, T0, &owner, &ShopName::parse("库存店").unwrap())?;
            let input = ProductInput {
                category: Some("game_card".into()),
                kind: Some("card_key".into()),
                title: Some("点卡".into()),
                price_fen: Some(100),
                ..Default::default()
            };
            let id = tx.insert_product(shop.id, &ProductSpec::parse(&input)?, true, T0)?;
            let units: Vec<SealedUnit> = (0..10)
                .map(|i| SealedUnit {
                    line: i,
                    fingerprint: format!("fp{i}"),
                    code_enc: format!("c{i}"),
                    secret_enc: None,
                })
                .collect();
            tx.insert_units(shop.id, id, &units, T0)?;
            Ok(id)
        })
        .await
        .unwrap();
    let mut sold = Vec::new();
    for round in 0..6 {
        // Every other claim rolls back: its unit goes back below the next claim's start.
        let fail = round % 2 == 0;
        let got = store
            .write(move |tx| {
                let units = tx.claim_units(product, 2)?;
                if fail { Err(Error::OutOfStock) } else { Ok(units) }
            })
            .await;
        if let Ok(units) = got {
            sold.extend(units.into_iter().map(|u| u.fingerprint));
        }
    }
    let rest = store.write(move |tx| tx.claim_units(product, 100)).await.unwrap();
    sold.extend(rest.into_iter().map(|u| u.fingerprint));
    sold.sort();
    let all: Vec<String> = {
        let mut v: Vec<String> = (0..10).map(|i| format!("fp{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(sold, all, "every unit sold exactly once");
    assert_eq!(store.read(move |tx| tx.stock_count(product)).await.unwrap(), 0);
});

// Issue 17: escrow is moved in and out under different subjects (on PostgreSQL
// they land on different parts of its balance); the balance is their sum and
// the audit stays exact.
store_test!(escrow_in_and_out_under_different_subjects_sums_exactly, |store, _db| {
    use youying_core::money::{Account, Entry, Fen};
    let buyer = user(&store, "danbao", Role::Buyer).await;
    let id = buyer.id;
    store
        .write(move |tx| {
            let credit = Entry::transfer(
                "wallet.credit",
                "c",
                "",
                Account::PlatformCash,
                Account::UserWallet(id),
                Fen::new(10_000)?,
            )?;
            tx.post(&credit, T0)?;
            for i in 0..20 {
                let pay = Entry::transfer(
                    "order.pay",
                    format!("order:{i}"),
                    "",
                    Account::UserWallet(id),
                    Account::Escrow,
                    Fen::new(100)?,
                )?;
                tx.post(&pay, T0)?;
            }
            // Out under subjects none of the payments used.
            for i in 0..15 {
                let out = Entry::transfer(
                    "order.release",
                    format!("other:{i}"),
                    "",
                    Account::Escrow,
                    Account::PlatformFee,
                    Fen::new(100)?,
                )?;
                tx.post(&out, T0)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(store.read(|tx| tx.balance(Account::Escrow)).await.unwrap(), 500);
    let audit = store.read(|tx| tx.ledger_audit()).await.unwrap();
    assert!(audit.unbalanced_entries.is_empty() && audit.drifted_accounts.is_empty(), "{audit:?}");
    assert!(audit.negative_accounts.is_empty(), "{audit:?}");
    assert_eq!(audit.escrow_balance, 500);
    // A wallet still may not go below zero.
    let err = store
        .write(move |tx| {
            let e = Entry::transfer(
                "order.pay",
                "order:x",
                "",
                Account::UserWallet(id),
                Account::Escrow,
                Fen::new(100_000)?,
            )?;
            tx.post(&e, T0)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsufficientFunds), "{err:?}");
});

// Issue 17: the buyer's level and the shop's price for it in one statement,
// as the step-by-step reads answer.
store_test!(a_buyers_level_and_its_price_come_in_one_read, |store, _db| {
    let buyer = user(&store, "dengji", Role::Buyer).await;
    let id = buyer.id;
    let (level, fixed) = store
        .read(move |tx| tx.level_and_price(id, youying_core::values::ProductId(1)))
        .await
        .unwrap()
        .expect("the default level");
    assert!(level.is_default);
    assert_eq!(fixed, None);
});
