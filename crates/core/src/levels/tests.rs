//! The price rule, without a store: discount, fixed price, tiers, rounding.

use super::model::{Level, LevelId, LevelInput, LevelSpec, PriceBasis, zhe};
use super::price::resolve;
use crate::catalogue::{Product, ProductKind, ProductSpec, Tier};
use crate::clock::Timestamp;
use crate::values::{ProductId, ShopId};

fn product(price_fen: i64, tiers: Vec<Tier>) -> Product {
    Product {
        id: ProductId(1),
        shop_id: ShopId(1),
        spec: ProductSpec {
            category: "game_card".into(),
            kind: ProductKind::CardKey,
            title: "点卡".into(),
            description: String::new(),
            instructions: String::new(),
            price_fen,
            tiers,
            promises: vec![],
            topup_promise_secs: None,
            topup_fields: vec![],
            account_attrs: vec![],
            max_per_order: 100,
        },
        on_sale: true,
        source_hidden: false,
        rank: 0,
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
        version: 1,
    }
}

fn level(bp: i64) -> Level {
    Level {
        id: LevelId(3),
        name: "代理".into(),
        position: 2,
        discount_bp: bp,
        is_default: false,
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
    }
}

fn discount(bp: i64) -> PriceBasis {
    PriceBasis::LevelDiscount { level_id: LevelId(3), level_name: "代理".into(), discount_bp: bp }
}

#[test]
fn a_discount_comes_off_the_list_price() {
    let (unit, basis) = resolve(&product(1_000, vec![]), 1, &level(500), None);
    assert_eq!((unit.get(), basis), (950, discount(500)));
    let (unit, basis) = resolve(&product(1_000, vec![]), 1, &level(0), None);
    assert_eq!((unit.get(), basis), (1_000, PriceBasis::List));
}

#[test]
fn a_discount_comes_off_the_tier_the_quantity_reaches() {
    let p = product(1_000, vec![Tier { min_qty: 10, unit_price_fen: 900 }]);
    assert_eq!(resolve(&p, 9, &level(0), None), (crate::money::Fen::new(1_000).unwrap(), PriceBasis::List));
    assert_eq!(resolve(&p, 10, &level(0), None).1, PriceBasis::Tier { min_qty: 10 });
    let (unit, basis) = resolve(&p, 10, &level(500), None);
    assert_eq!((unit.get(), basis), (855, discount(500)));
}

#[test]
fn discounts_round_down_in_the_buyers_favour_but_never_below_one_fen() {
    // 999 × 0.95 = 949.05 → 949; 1 × 0.5 = 0.5 → 0 → 1 fen.
    assert_eq!(resolve(&product(999, vec![]), 1, &level(500), None).0.get(), 949);
    let (unit, basis) = resolve(&product(1, vec![]), 1, &level(5_000), None);
    assert_eq!((unit.get(), basis), (1, PriceBasis::List), "1 fen cannot get cheaper");
    assert_eq!(resolve(&product(3, vec![]), 1, &level(5_000), None).0.get(), 1);
}

#[test]
fn the_shops_fixed_price_wins_over_the_discount() {
    let fixed = PriceBasis::LevelPrice { level_id: LevelId(3), level_name: "代理".into() };
    // Even when the discount would be cheaper: the shop's own word for the level.
    let (unit, basis) = resolve(&product(1_000, vec![]), 1, &level(5_000), Some(980));
    assert_eq!((unit.get(), basis), (980, fixed.clone()));
    let (unit, basis) = resolve(&product(1_000, vec![]), 1, &level(0), Some(700));
    assert_eq!((unit.get(), basis), (700, fixed));
}

#[test]
fn a_level_price_never_exceeds_what_the_viewer_would_pay_without_it() {
    let p = product(1_000, vec![Tier { min_qty: 10, unit_price_fen: 800 }]);
    let (unit, basis) = resolve(&p, 1, &level(500), Some(1_200));
    assert_eq!((unit.get(), basis), (1_000, PriceBasis::List));
    // The fixed price beats the list price but not the tier: the tier stands.
    let (unit, basis) = resolve(&p, 10, &level(500), Some(900));
    assert_eq!((unit.get(), basis), (800, PriceBasis::Tier { min_qty: 10 }));
}

#[test]
fn levels_are_checked_and_read_as_zhe() {
    let ok = LevelInput { name: Some(" 代理 ".into()), discount_bp: Some(500), ..LevelInput::default() };
    assert_eq!(LevelSpec::parse(&ok).unwrap().name, "代理");
    for bp in [-1, 5_001, 9_000] {
        let bad = LevelInput { discount_bp: Some(bp), ..ok.clone() };
        assert!(LevelSpec::parse(&bad).is_err(), "{bp} bp");
    }
    assert!(LevelSpec::parse(&LevelInput { name: Some("  ".into()), ..ok.clone() }).is_err());
    assert_eq!(zhe(500).as_deref(), Some("95折"));
    assert_eq!(zhe(1_000).as_deref(), Some("9折"));
    assert_eq!(zhe(250).as_deref(), Some("97.5折"));
    assert_eq!(zhe(0), None);
    assert_eq!(discount(500).label(), "代理价（95折）");
}
