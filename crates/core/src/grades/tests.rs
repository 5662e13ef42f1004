//! The formula on crafted figures, each total worked out by hand in a comment.

use super::*;

fn secs(v: &[i64]) -> Vec<i64> {
    v.iter().map(|s| s * 1000).collect()
}

/// 100 orders; 10 replies, sorted 20…55 s: nearest-rank p90 = 9th = 50 s → 30.
/// Met 11 (10 replies + 1 case), missed 0 → 1000 ‰ → 25.
/// 1 case / 100 orders = 1.00 → 20. Platform decided 0/1 = 0 ‰ → 15.
/// 10 reviews, 48 stars = 4.80 → 10. Total 100 → A.
fn diligent() -> Figures {
    Figures {
        orders: 100,
        reply_waits_ms: secs(&[55, 20, 25, 30, 30, 35, 40, 40, 45, 50]),
        unanswered: 0,
        late_replies: 0,
        deadlines_met: 11,
        deadlines_missed: 0,
        cases: 1,
        platform_cases: 0,
        reviews: 10,
        review_stars: 48,
        suspended: false,
    }
}

/// 40 orders; p90 of 90…400 s = 9th = 200 s → 10 (≤ 5 min).
/// Met 20, missed 1 → 20 000 / 21 = 952 ‰ → 20. 1 case / 40 orders = 2.50 → 15.
/// Platform 0/1 → 15. No reviews → 4.00 → 6. Total 66 → C.
fn slow() -> Figures {
    Figures {
        orders: 40,
        reply_waits_ms: secs(&[90, 100, 110, 115, 118, 119, 120, 130, 200, 400]),
        unanswered: 0,
        late_replies: 0,
        deadlines_met: 20,
        deadlines_missed: 1,
        cases: 1,
        platform_cases: 0,
        reviews: 0,
        review_stars: 0,
        suspended: false,
    }
}

/// 30 orders, 12 buyer messages never answered (the sample of 10 is reached):
/// p90 unanswered → 0. Met 0, missed 14 (12 chat + 2 case silences) → 0 ‰ → 0.
/// 2 cases / 30 = 6.66 → 5.
/// Platform decided 2/2 → 0. No reviews → 6. Total 11; the unanswered rule → D.
fn vanished() -> Figures {
    Figures {
        orders: 30,
        reply_waits_ms: vec![],
        unanswered: 12,
        late_replies: 0,
        deadlines_met: 0,
        deadlines_missed: 14,
        cases: 2,
        platform_cases: 2,
        reviews: 0,
        review_stars: 0,
        suspended: false,
    }
}

#[test]
fn a_diligent_shop_grades_a_with_full_points() {
    let r = grade(&diligent());
    assert_eq!(r.p90, P90::Ms(50_000));
    assert_eq!(r.components.iter().map(|c| c.points).collect::<Vec<_>>(), vec![30, 25, 20, 15, 10]);
    assert_eq!((r.grade, r.points, r.rule), (Grade::A, 100, None));
}

#[test]
fn a_slow_shop_grades_c() {
    let r = grade(&slow());
    assert_eq!(r.p90, P90::Ms(200_000));
    assert_eq!(r.deadlines_met_permille, Some(952));
    assert_eq!(r.cases_per_100_centi, Some(250));
    assert_eq!(r.components.iter().map(|c| c.points).collect::<Vec<_>>(), vec![10, 20, 15, 15, 6]);
    assert_eq!((r.grade, r.points), (Grade::C, 66));
}

#[test]
fn a_vanished_shop_grades_d_and_never_above_a_diligent_one() {
    let r = grade(&vanished());
    assert_eq!(r.p90, P90::Unanswered);
    assert_eq!(r.components.iter().map(|c| c.points).collect::<Vec<_>>(), vec![0, 0, 5, 0, 6]);
    assert_eq!((r.grade, r.points, r.rule), (Grade::D, 11, Some("unanswered")));
    // Without cases the vanished shop's points rise to 0+0+20+15+6 = 41, still D;
    // and with few orders it is not hidden behind 新店.
    for orders in [5, 19, 20, 100, 10_000] {
        for (cases, stars) in [(0, 0), (0, 50), (3, 15)] {
            let v = Figures { orders, cases, platform_cases: 0, reviews: stars / 5, review_stars: stars, ..vanished() };
            let d = Figures { orders, cases, reviews: stars / 5, review_stars: stars, ..diligent() };
            let (gv, gd) = (grade(&v).grade, grade(&d).grade);
            assert_eq!(gv, Grade::D, "{orders} {cases}");
            assert!(gv.rank_offset() <= gd.rank_offset(), "vanished {gv:?} above diligent {gd:?}");
        }
    }
}

#[test]
fn one_unanswered_in_ten_is_tolerated_two_are_not() {
    // 9 answered + 1 unanswered: n = 10, rank 9 → the 9th answer (9 s).
    let waits: Vec<i64> = (1..=9).map(|s| s * 1000).collect();
    assert_eq!(p90(&waits, 1), P90::Ms(9_000));
    // 8 answered + 2 unanswered: rank 9 falls on an unanswered message.
    assert_eq!(p90(&waits[..8], 2), P90::Unanswered);
    assert_eq!(p90(&[], 0), P90::NoData);
    // 11 values: rank ceil(9.9) = 10.
    let eleven: Vec<i64> = (1..=11).collect();
    assert_eq!(p90(&eleven, 0), P90::Ms(10));
}

#[test]
fn a_new_shop_is_new_and_a_suspended_one_is_d() {
    // 12 orders: 1 case / 12 = 8.33 per 100 → 5 instead of 20, total 85 (A on
    // points) — but 12 < 20 orders → 新店.
    let r = grade(&Figures { orders: 12, ..diligent() });
    assert_eq!((r.grade, r.points, r.rule), (Grade::New, 85, Some("new")));
    assert_eq!(r.grade.label(), "新店");
    let r = grade(&Figures { suspended: true, ..diligent() });
    assert_eq!((r.grade, r.rule), (Grade::D, Some("suspended")));
}

#[test]
fn bands_and_neutral_values() {
    // Nobody wrote, no deadline, no case, no review: 20 + 25 + 20 + 15 + 6 = 86 → A.
    let quiet = Figures { orders: 25, ..Figures::default() };
    let r = grade(&quiet);
    assert_eq!((r.grade, r.points), (Grade::A, 86));
    // One reply of 2 min 1 s: p90 121 s → 10 instead of 30, total 80 → B.
    let b = grade(&Figures { reply_waits_ms: vec![121_000], ..diligent() });
    assert_eq!((b.grade, b.points), (Grade::B, 80));
    assert!(Grade::A.rank_offset() > Grade::B.rank_offset());
    assert!(Grade::B.rank_offset() > Grade::C.rank_offset());
    assert!(Grade::C.rank_offset() > Grade::D.rank_offset());
    for g in [Grade::A, Grade::B, Grade::C, Grade::D, Grade::New] {
        assert_eq!(Grade::parse(g.as_str()), Some(g));
    }
}

#[test]
fn reply_times_fall_into_their_buckets() {
    let b = history::reply_histogram(&secs(&[10, 30, 31, 120, 4000]), 2);
    let counts: Vec<i64> = b.iter().map(|x| x.count).collect();
    assert_eq!(counts, vec![2, 1, 1, 0, 0, 1, 2]);
    assert_eq!(b.last().map(|x| x.label.as_str()), Some("未回复"));
}

fn reply(asked_s: i64, answered_s: i64, in_time: bool, after_takeover: bool) -> port::ReplyMark {
    port::ReplyMark {
        asked_at: crate::Timestamp::from_millis(asked_s * 1000),
        answered_at: crate::Timestamp::from_millis(answered_s * 1000),
        in_time,
        after_takeover,
    }
}

#[test]
fn a_late_reply_is_answered_not_never_answered() {
    // The shop let the 2 minutes pass (a `chat_reply` breach, the platform
    // took over), then answered after 5 min 0.4 s: answered, late.
    let late = [reply(0, 300, true, true)];
    assert_eq!(port::never_answered(1, &late), 0);
    assert!(!late[0].met(), "a reply after the takeover is never in time, whatever the platform's clock said");
    // A takeover the shop never followed up stays unanswered.
    assert_eq!(port::never_answered(2, &late), 1);
    assert_eq!(port::never_answered(1, &[reply(0, 30, true, false)]), 1);
}

#[test]
fn one_late_reply_on_a_brand_new_shop_is_new_not_d() {
    // Before: the late reply's wait was measured *and* the breach counted as
    // unanswered: p90 of 2 → the unanswered one → D, 6/100 with the note
    // "超过一成买家消息从未得到店铺回复" although the shop did reply.
    let before =
        Figures { orders: 1, reply_waits_ms: vec![300_400], unanswered: 1, deadlines_missed: 1, ..Figures::default() };
    assert_eq!(
        (grade(&before).grade, grade(&before).rule),
        (Grade::New, Some("sample")),
        "even so, too small a sample for D"
    );
    // Now: one late reply, nothing unanswered. p90 = 300.4 s → 5 points
    // (≤ 15 min), met 0/1 → 0, no case → 20 + 15, no review → 6: 46;
    // 1 order < 20 → 新店, with its measured figures.
    let f = Figures {
        orders: 1,
        reply_waits_ms: vec![300_400],
        unanswered: 0,
        late_replies: 1,
        deadlines_missed: 1,
        ..Figures::default()
    };
    let r = grade(&f);
    assert_eq!(r.p90, P90::Ms(300_400));
    assert_eq!(r.components[0].value, "p90 300.4 秒");
    assert_eq!(r.components[1].value, "0.00 %（0/1）");
    assert_eq!((r.grade, r.points, r.rule), (Grade::New, 46, Some("new")));
}

#[test]
fn the_unanswered_rule_needs_ten_awaited_messages() {
    // 30 orders, otherwise diligent; only unanswered messages awaited the shop.
    let quiet =
        |unanswered: i64| Figures { unanswered, reply_waits_ms: vec![], ..Figures { orders: 30, ..diligent() } };
    for n in 1..MIN_SAMPLE_MESSAGES {
        let r = grade(&quiet(n));
        assert_eq!((r.p90, r.grade, r.rule), (P90::Unanswered, Grade::New, Some("sample")), "{n} messages");
    }
    let r = grade(&quiet(MIN_SAMPLE_MESSAGES));
    assert_eq!((r.grade, r.rule), (Grade::D, Some("unanswered")));
    // 8 answered + 2 never: 10 awaited, p90 on an unanswered one → D.
    let mixed = Figures { reply_waits_ms: secs(&[10, 10, 10, 10, 10, 10, 10, 10]), unanswered: 2, ..diligent() };
    assert_eq!(grade(&mixed).rule, Some("unanswered"));
    // 7 answered + 2 never: 9 awaited → 新店 with the figures measured.
    let few = Figures { reply_waits_ms: secs(&[10, 10, 10, 10, 10, 10, 10]), unanswered: 2, ..diligent() };
    let r = grade(&few);
    assert_eq!((r.grade, r.rule, r.components[0].value.as_str()), (Grade::New, Some("sample"), "p90 未回复"));
}

#[test]
fn figures_keep_their_precision_and_round_only_in_the_shops_favour() {
    // p90 of a single 60.09 s reply: shown 60.0 秒 and scored as ≤ 60 s (30),
    // not rounded up to 61 s (20).
    let r = grade(&Figures { reply_waits_ms: vec![60_090], ..diligent() });
    assert_eq!((r.components[0].value.as_str(), r.components[0].points), ("p90 60.0 秒", 30));
    let r = grade(&Figures { reply_waits_ms: vec![60_100], ..diligent() });
    assert_eq!((r.components[0].value.as_str(), r.components[0].points), ("p90 60.1 秒", 20));
    // 20 of 21 deadlines: 95.238… % shown 95.24 % (rounded up: more is better).
    let r = grade(&slow());
    assert_eq!(r.components[1].value, "95.24 %（20/21）");
    // 48 999 of 50 000 = 97.998 %: shown 98.00 % and scored as ≥ 98 % (25).
    let r = grade(&Figures { deadlines_met: 48_999, deadlines_missed: 1_001, ..diligent() });
    assert_eq!((r.components[1].value.as_str(), r.components[1].points), ("98.00 %（48999/50000）", 25));
    // 1 of 3 cases decided by the platform: 33.33 % (rounded down: fewer is better).
    let r = grade(&Figures { cases: 3, platform_cases: 1, ..diligent() });
    assert_eq!(r.components[3].value, "33.33 %（1/3）");
    // 4.795 stars shown 4.80 and scored as ≥ 4.8 (10).
    let r = grade(&Figures { reviews: 200, review_stars: 959, ..diligent() });
    assert_eq!((r.components[4].value.as_str(), r.components[4].points), ("4.80 星（200 条）", 10));
}
