//! Behaviour of one index: segmentation, matching, filters, order, pages, writes.

mod common;

use common::{ids, index_with, product, search};
use youying_search::{ProductDoc, SearchIndex, SearchQuery};

fn catalogue() -> Vec<ProductDoc> {
    vec![
        ProductDoc { category: "软件激活".into(), ..product(1, "Windows 11 专业版 永久激活码") },
        ProductDoc { category: "软件激活".into(), ..product(2, "Office 2021 激活码 一年") },
        ProductDoc { category: "游戏点卡".into(), ..product(3, "腾讯Q币点卡 100元") },
        ProductDoc { kind: "direct_topup".into(), ..product(4, "Steam 钱包 充值 秒到账") },
        ProductDoc { kind: "account".into(), ..product(5, "和平精英账号 带稀有皮肤") },
        ProductDoc { description: "激活码 永久有效，自动发货".into(), ..product(6, "Adobe 全家桶") },
    ]
}

#[test]
fn trade_words_stay_whole() {
    assert_eq!(SearchIndex::segment("卡密"), ["卡密"]);
    assert_eq!(SearchIndex::segment("点卡"), ["点卡"]);
    let compound = SearchIndex::segment("永久激活码");
    assert!(compound.contains(&"永久激活码".to_owned()), "{compound:?}");
    // Search mode also indexes the words inside, so each part finds it too.
    assert!(compound.contains(&"永久".to_owned()) && compound.contains(&"激活码".to_owned()), "{compound:?}");
    let title = SearchIndex::segment("Windows 11 专业版 永久激活码 自动发货");
    for word in ["windows", "11", "专业版", "永久激活码", "自动发货"] {
        assert!(title.contains(&word.to_owned()), "{word} missing from {title:?}");
    }
}

#[test]
fn compound_and_its_parts_find_each_other() {
    let index = index_with(&catalogue());
    // The compound finds the title holding it, and the description holding its parts (6).
    assert_eq!(ids(&index, "永久激活码"), [1, 6]);
    // The parts, in any order, find the compound.
    let parts = ids(&index, "激活码 永久");
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts.contains(&1) && parts.contains(&6), "{parts:?}");
    assert_eq!(ids(&index, "点卡"), [3]);
    let keys = ids(&index, "激活码");
    assert_eq!(keys.len(), 3, "{keys:?}");
}

#[test]
fn ascii_and_full_width_match_case_insensitively() {
    let index = index_with(&catalogue());
    for q in ["steam", "STEAM", "Steam", "ｓｔｅａｍ"] {
        assert_eq!(ids(&index, q), [4], "query {q}");
    }
    assert_eq!(ids(&index, "q币"), [3]);
    assert_eq!(ids(&index, "windows"), [1]);
}

#[test]
fn most_words_must_match() {
    let index = index_with(&[
        product(1, "王者荣耀 月卡"),
        product(2, "王者荣耀 点券 直充"),
        product(3, "原神 创世结晶"),
        product(4, "原神 空月祝福 月卡"),
    ]);
    // Two words: both required.
    assert_eq!(ids(&index, "原神 月卡"), [4]);
    // Three words: two of them are enough, one is not.
    assert_eq!(ids(&index, "王者荣耀 月卡 周卡"), [1]);
    assert!(ids(&index, "和平精英 皮肤").is_empty());
}

#[test]
fn title_outweighs_description() {
    let index = index_with(&[
        ProductDoc { description: "支持自动发货".into(), ..product(1, "腾讯视频 会员 月卡") },
        product(2, "自动发货 腾讯视频 会员 月卡"),
    ]);
    assert_eq!(ids(&index, "自动发货"), [2, 1]);
}

#[test]
fn user_text_is_never_query_syntax() {
    let index = index_with(&catalogue());
    let long = "点卡".repeat(5_000);
    for q in ["\"unbalanced", "title:点卡 AND (", "[* TO *]", "^~!!", "！！！", "   ", "", long.as_str()] {
        assert!(index.search(&SearchQuery::text(q)).is_ok(), "query {q:?}");
    }
    // Punctuation only has no words: it lists like an empty query.
    assert_eq!(search(&index, SearchQuery::text("！！！")).total, 6);
}

#[test]
fn filters_combine_with_text_and_without() {
    let index = index_with(&catalogue());
    let in_category = |category: &str, q: &str| {
        let mut ids = search(&index, SearchQuery { category: Some(category.into()), ..SearchQuery::text(q) }).ids;
        ids.sort_unstable();
        ids
    };
    assert_eq!(in_category("软件激活", "激活码"), [1, 2]);
    assert_eq!(in_category("游戏点卡", "激活码"), Vec::<i64>::new());
    assert_eq!(in_category("软件", ""), Vec::<i64>::new(), "category is exact");

    let of_kind = |kind: &str| search(&index, SearchQuery { kind: Some(kind.into()), ..SearchQuery::default() }).ids;
    assert_eq!(of_kind("direct_topup"), [4]);
    assert_eq!(of_kind("account"), [5]);
}

#[test]
fn price_range_is_inclusive() {
    let docs: Vec<ProductDoc> =
        (1..=5).map(|i| ProductDoc { price_fen: i * 100, ..product(i, "Steam 充值卡") }).collect();
    let index = index_with(&docs);
    let priced = |min: Option<i64>, max: Option<i64>| {
        let hits = search(&index, SearchQuery { min_price_fen: min, max_price_fen: max, ..SearchQuery::text("steam") });
        let mut ids = hits.ids;
        ids.sort_unstable();
        ids
    };
    assert_eq!(priced(Some(200), Some(400)), [2, 3, 4]);
    assert_eq!(priced(Some(400), None), [4, 5]);
    assert_eq!(priced(None, Some(100)), [1]);
    assert_eq!(priced(Some(300), Some(300)), [3]);
    assert!(priced(Some(400), Some(200)).is_empty());
}

#[test]
fn empty_query_lists_by_rank_then_id() {
    let index = index_with(&[
        ProductDoc { rank: 5, ..product(1, "a") },
        product(2, "b"),
        product(3, "c"),
        ProductDoc { rank: -100, ..product(4, "d") },
        ProductDoc { rank: 5, ..product(5, "e") },
    ]);
    assert_eq!(ids(&index, ""), [5, 1, 3, 2, 4]);
}

#[test]
fn down_ranked_sorts_below_equally_relevant() {
    // Same text: without rank the higher id (2) would come first.
    let index = index_with(&[
        product(1, "原神 月卡 秒到账"),
        ProductDoc { rank: -100, ..product(2, "原神 月卡 秒到账") },
        product(3, "原神 月卡 秒到账"),
    ]);
    assert_eq!(ids(&index, "原神 月卡"), [3, 1, 2]);
}

#[test]
fn rank_does_not_bury_a_much_better_match() {
    let index = index_with(&[
        ProductDoc { description: "也可用于原神".into(), ..product(1, "米哈游 通用 充值") },
        ProductDoc { rank: -100, ..product(2, "原神 创世结晶 直充") },
    ]);
    assert_eq!(ids(&index, "原神"), [2, 1]);
}

#[test]
fn pages_cover_all_matches_once() {
    let docs: Vec<ProductDoc> = (1..=45).map(|i| product(i, "话费 充值 秒到账")).collect();
    let index = index_with(&docs);
    let page =
        |page: usize, per_page: usize| search(&index, SearchQuery { page, per_page, ..SearchQuery::text("话费") });
    let mut seen = Vec::new();
    for (number, expected) in [(1, 20), (2, 20), (3, 5), (4, 0)] {
        let hits = page(number, 20);
        assert_eq!(hits.total, 45);
        assert_eq!(hits.ids.len(), expected, "page {number}");
        seen.extend(hits.ids);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=45).collect::<Vec<_>>());
    assert_eq!(page(0, 20).ids, page(1, 20).ids, "page 0 reads as 1");
    assert_eq!(page(1, 0).ids.len(), 1, "per_page clamps up to 1");
    let far = page(usize::MAX, usize::MAX);
    assert!(far.ids.is_empty());
    assert_eq!(far.total, 45);
}

#[test]
fn per_page_clamps_to_one_hundred() {
    let docs: Vec<ProductDoc> = (1..=150).map(|i| product(i, "点卡")).collect();
    let index = index_with(&docs);
    let hits = search(&index, SearchQuery { per_page: 1_000, ..SearchQuery::text("点卡") });
    assert_eq!((hits.ids.len(), hits.total), (100, 150));
}

#[test]
fn upsert_replaces_by_id() {
    let index = index_with(&[product(1, "Steam 充值卡")]);
    index.upsert(&product(1, "原神 月卡")).expect("upsert");
    assert!(ids(&index, "steam").is_empty(), "old title words no longer match");
    assert_eq!(ids(&index, "原神"), [1]);
    assert_eq!(index.num_docs(), 1);
}

#[test]
fn upsert_many_keeps_the_last_of_a_repeated_id() {
    let index = index_with(&[product(1, "Steam 充值卡"), product(1, "原神 月卡")]);
    assert_eq!(index.num_docs(), 1);
    assert_eq!(ids(&index, "原神"), [1]);
}

#[test]
fn remove_and_clear() {
    let index = index_with(&catalogue());
    index.remove(3).expect("remove");
    index.remove(999).expect("removing an unknown id is fine");
    assert!(ids(&index, "点卡").is_empty());
    assert_eq!(index.num_docs(), 5);
    index.clear().expect("clear");
    assert_eq!(index.num_docs(), 0);
    assert!(ids(&index, "").is_empty());
    index.upsert(&product(7, "点卡")).expect("upsert after clear");
    assert_eq!(ids(&index, "点卡"), [7]);
}

#[test]
fn off_sale_products_are_hidden() {
    let index = index_with(&[product(1, "话费 直充"), ProductDoc { on_sale: false, ..product(2, "话费 直充") }]);
    assert_eq!(ids(&index, "话费"), [1]);
    assert_eq!(ids(&index, ""), [1]);
    index.upsert(&ProductDoc { on_sale: false, ..product(1, "话费 直充") }).expect("take off sale");
    assert_eq!(search(&index, SearchQuery::text("话费")).total, 0);
}

#[test]
fn clones_share_one_index_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<SearchIndex>();

    let index = SearchIndex::in_memory().expect("index");
    std::thread::scope(|scope| {
        for worker in 0..4_i64 {
            let index = index.clone();
            scope.spawn(move || {
                for i in 0..10 {
                    let id = worker * 100 + i;
                    index.upsert(&product(id, "卡密 自动发货")).expect("upsert");
                    let all = search(&index, SearchQuery { per_page: 100, ..SearchQuery::text("卡密") });
                    assert!(all.ids.contains(&id), "own write visible on return");
                }
            });
        }
    });
    assert_eq!(search(&index, SearchQuery::text("卡密")).total, 40);
}
