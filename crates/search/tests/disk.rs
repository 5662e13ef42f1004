//! The on-disk index survives a reopen and refuses a second writer.

mod common;

use common::{ids, product};
use youying_search::SearchIndex;

#[test]
fn reopen_keeps_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open_or_create(&path).expect("create");
        index.upsert_many(&[product(1, "Windows 11 永久激活码"), product(2, "腾讯Q币点卡")]).expect("upsert");
        index.remove(2).expect("remove");
    }
    let index = SearchIndex::open_or_create(&path).expect("reopen");
    assert_eq!(index.num_docs(), 1);
    assert_eq!(ids(&index, "激活码 永久"), [1]);
    assert!(ids(&index, "点卡").is_empty());
    index.upsert(&product(3, "原神 月卡")).expect("write after reopen");
    assert_eq!(ids(&index, "月卡"), [3]);
}

#[test]
fn a_second_open_of_a_live_index_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = SearchIndex::open_or_create(dir.path()).expect("first");
    assert!(SearchIndex::open_or_create(dir.path()).is_err());
}
