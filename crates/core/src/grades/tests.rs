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
        deadlines_met: 20,
        deadlines_missed: 1,
        cases: 1,
        platform_cases: 0,
        reviews: 0,
        review_stars: 0,
        suspended: false,
    }
}

/// 30 orders, 8 buyer messages never answered: p90 unanswered → 0.
/// Met 0, missed 10 (8 chat + 2 case silences) → 0 ‰ → 0. 2 cases / 30 = 6.66 → 5.
/// Platform decided 2/2 → 0. No reviews → 6. Total 11; the unanswered rule → D.
fn vanished() -> Figures {
    Figures {
        orders: 30,
        reply_waits_ms: vec![],
        unanswered: 8,
        deadlines_met: 0,
        deadlines_missed: 10,
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
    let at = |s: i64| port::ReplyMark {
        asked_at: crate::Timestamp::from_millis(0),
        answered_at: crate::Timestamp::from_millis(s * 1000),
        in_time: s <= 120,
    };
    let b = history::reply_histogram(&[at(10), at(30), at(31), at(120), at(4000)], 2);
    let counts: Vec<i64> = b.iter().map(|x| x.count).collect();
    assert_eq!(counts, vec![2, 1, 1, 0, 0, 1, 2]);
    assert_eq!(b.last().map(|x| x.label.as_str()), Some("未回复"));
}
