use super::model::{HiddenReason, Mapping, MappingId, PriceRule, SourceItem};
use super::order::backoff_secs;
use super::sync::judge;
use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::values::{ProductId, ShopId};

fn mapping(rule: PriceRule, cost: i64) -> Mapping {
    Mapping {
        id: MappingId(1),
        connection_id: super::ConnectionId(1),
        shop_id: ShopId(1),
        product_id: ProductId(1),
        upstream_product_id: 9,
        rule,
        floor_fen: None,
        cap_fen: None,
        allow_below_cost: false,
        cost_fen: cost,
        stock_count: None,
        hidden: None,
        synced_at: Timestamp::from_millis(0),
        created_at: Timestamp::from_millis(0),
    }
}

fn item(cost: i64, on_sale: bool, in_stock: bool) -> SourceItem {
    SourceItem {
        upstream_product_id: 9,
        kind: ProductKind::CardKey,
        category: "game_card".into(),
        title: "点卡".into(),
        description: String::new(),
        instructions: String::new(),
        cost_fen: cost,
        on_sale,
        in_stock,
        stock_count: Some(3),
        max_per_order: 10,
        promises: vec![],
        promise_secs: None,
        topup_fields: vec![],
    }
}

#[test]
fn rules_price_from_the_cost_and_the_floor_holds() {
    assert_eq!(PriceRule::parse("percent", 1_000).map(|r| r.apply(1_000)).ok(), Some(1_100));
    // Rounded up: 10 % of 999 is 99.9 fen.
    assert_eq!(PriceRule::Percent(1_000).apply(999), 1_099);
    assert_eq!(PriceRule::FixedAdd(50).apply(1_000), 1_050);
    assert_eq!(PriceRule::FixedPrice(800).apply(1_000), 800);
    assert_eq!(PriceRule::Same.apply(1_000), 1_000);
    assert!(PriceRule::parse("percent", -1).is_err());
    assert!(PriceRule::parse("percent", 100_001).is_err());
    assert!(PriceRule::parse("bogus", 1).is_err());
    let mut m = mapping(PriceRule::Same, 1_000);
    m.floor_fen = Some(1_200);
    assert_eq!(m.price(), 1_200);
}

#[test]
fn the_source_hides_for_each_reason_and_shows_when_well() {
    let m = mapping(PriceRule::Percent(1_000), 1_000);
    assert_eq!(judge(&m, None), Some(HiddenReason::OffSale));
    assert_eq!(judge(&m, Some(&item(1_000, false, true))), Some(HiddenReason::OffSale));
    assert_eq!(judge(&m, Some(&item(1_000, true, false))), Some(HiddenReason::SoldOut));
    assert_eq!(judge(&m, Some(&item(1_000, true, true))), None);
    let mut capped = m.clone();
    capped.cap_fen = Some(900);
    assert_eq!(judge(&capped, Some(&item(1_000, true, true))), Some(HiddenReason::AboveCap));
    let fixed = mapping(PriceRule::FixedPrice(900), 1_000);
    assert_eq!(judge(&fixed, Some(&item(1_000, true, true))), Some(HiddenReason::BelowCost));
    let mut allowed = fixed.clone();
    allowed.allow_below_cost = true;
    assert_eq!(judge(&allowed, Some(&item(1_000, true, true))), None);
}

#[test]
fn retries_back_off_to_ten_minutes() {
    assert_eq!((backoff_secs(1), backoff_secs(2), backoff_secs(3)), (10, 20, 40));
    assert_eq!(backoff_secs(50), 600);
}
