//! 10,000 products in one `upsert_many`, then queries. Prints timings (run with `--nocapture`);
//! asserts only on results, never on time.

mod common;

use std::time::Instant;

use common::product;
use youying_search::{ProductDoc, SearchIndex, SearchQuery};

const GAMES: [&str; 8] = ["王者荣耀", "原神", "和平精英", "英雄联盟", "穿越火线", "Steam", "网易云音乐", "腾讯视频"];
const ITEMS: [&str; 8] = ["点卡", "月卡", "周卡", "会员", "激活码", "账号", "皮肤", "点券"];
const PROMISES: [&str; 4] = ["秒到账", "自动发货", "包售后", "不到账包退"];
const KINDS: [&str; 3] = ["card_key", "direct_topup", "account"];

fn generated(count: i64) -> Vec<ProductDoc> {
    (0..count)
        .map(|id| {
            // Independent digits of `id`, so every game meets every item and promise.
            let pick = |n: usize, divisor: i64| usize::try_from(id / divisor).unwrap_or(0) % n;
            let game = GAMES[pick(GAMES.len(), 1)];
            let item = ITEMS[pick(ITEMS.len(), 8)];
            let promise = PROMISES[pick(PROMISES.len(), 64)];
            ProductDoc {
                description: format!("{game} {item}，{promise}，编号 {id}，全区全服可用，请核对区服后下单。"),
                category: format!("{game}专区"),
                shop_name: format!("第{}号店", id % 97),
                kind: KINDS[pick(KINDS.len(), 3)].to_owned(),
                price_fen: 100 + (id * 37) % 50_000,
                on_sale: id % 10 != 0,
                rank: if id % 50 == 0 { -100 } else { id % 7 },
                ..product(id, &format!("{game} {item} {promise} {id}元"))
            }
        })
        .collect()
}

#[test]
fn ten_thousand_products() {
    let docs = generated(10_000);
    let index = SearchIndex::in_memory().expect("index");
    let _ = SearchIndex::segment("预热"); // load jieba's dictionary outside the timing
    let started = Instant::now();
    index.upsert_many(&docs).expect("upsert_many");
    let indexed = started.elapsed();
    assert_eq!(index.num_docs(), 10_000);

    let queries = ["原神 月卡", "激活码", "steam 秒到账", "王者荣耀 点券 包售后", "和平精英账号"];
    let started = Instant::now();
    let mut totals = Vec::new();
    for q in queries {
        let hits = index.search(&SearchQuery::text(q)).expect("search");
        assert!(hits.total > 0 && !hits.ids.is_empty(), "{q} found nothing");
        totals.push(hits.total);
    }
    let filtered = SearchQuery {
        kind: Some("card_key".into()),
        min_price_fen: Some(1_000),
        max_price_fen: Some(20_000),
        ..SearchQuery::text("点卡")
    };
    let hits = index.search(&filtered).expect("filtered search");
    assert!(hits.total > 0);
    let searched = started.elapsed();
    eprintln!(
        "indexed 10000 products in {indexed:?}; {} queries in {searched:?} ({:?} each); totals {totals:?}",
        queries.len() + 1,
        searched / u32::try_from(queries.len() + 1).unwrap_or(1),
    );
}
