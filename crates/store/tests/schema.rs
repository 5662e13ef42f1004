//! The two backends' schemas agree. A fresh SQLite file and a fresh PostgreSQL
//! database, each migrated by the store, must hold the same tables, the same
//! columns per table (by name and a coarse type class), the same named indexes,
//! and every unique constraint `map_db_error` (`src/sql.rs`) turns into a domain
//! error, under the name each backend reports it by. A migration written for
//! one backend only fails here rather than in production on the other.
//! Under `CI=true` a PostgreSQL half that cannot run fails (`TestDb::postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use youying_store::testing::TestDb;
use youying_store::{PgStore, SqliteStore};

/// The constraints `map_db_error` maps, as (PostgreSQL's constraint name,
/// SQLite's `table.column, table.column` spelling). Kept in step with the
/// function by [`the_mapped_names_are_the_ones_map_db_error_uses`].
const MAPPED: &[(&str, &str)] = &[
    ("users_username_key_uq", "users.username_key"),
    ("shops_name_key_uq", "shops.name_key"),
    ("idempotency_keys_pkey", "idempotency_keys.user_id, idempotency_keys.key"),
    ("stock_units_fp_uq", "stock_units.shop_id, stock_units.fingerprint"),
    ("cases_open_order_uq", "cases.order_id"),
    ("reviews_order_uq", "reviews.order_id"),
];

/// Named indexes one backend has by design and the other covers by its primary
/// key: (index, the backend that has it, why). The test checks the cover.
const STAND_INS: &[(&str, &str, &str)] = &[(
    "deadlines_id_uq",
    "SQLite",
    "SQLite keeps deadlines in due order (migration 0006: WITHOUT ROWID, keyed by (due_at, id)); \
     this index keeps ids unique, as deadlines_pkey does on PostgreSQL",
)];

/// The source of `map_db_error`, read as text: the names it matches on.
const SQL_RS: &str = include_str!("../src/sql.rs");

/// Table → column → type class.
type Columns = BTreeMap<String, BTreeMap<String, &'static str>>;

/// An index as both backends can describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
}

#[derive(Debug)]
struct Schema {
    columns: Columns,
    /// Indexes by name, with the ones a backend names itself left out
    /// (SQLite's `sqlite_autoindex_*`, PostgreSQL's constraint indexes).
    named: BTreeMap<String, Index>,
    /// Every unique index, named or not (primary keys included).
    unique: Vec<(String, Index)>,
}

/// SQLite's type affinity rules (section 3.1 of its datatype page), which
/// also sort PostgreSQL's type names into the same four classes.
fn class(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") || t == "BYTEA" {
        "blob"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") || t.contains("NUMERIC") {
        "real"
    } else {
        "other"
    }
}

fn sqlite_schema(db: &TestDb) -> Schema {
    drop(SqliteStore::open(&db.sqlite_path().unwrap(), true, 0).expect("migrate sqlite"));
    let c = rusqlite::Connection::open(db.sqlite_path().unwrap()).unwrap();
    let strings = |sql: &str, arg: &str| -> Vec<Vec<String>> {
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        st.query_map([arg], |r| (0..n).map(|i| r.get(i)).collect::<rusqlite::Result<Vec<rusqlite::types::Value>>>())
            .unwrap()
            .map(|row| row.unwrap().into_iter().map(|v| text(&v)).collect())
            .collect()
    };
    let tables = strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE ?1", "sqlite_%");
    let mut schema = Schema { columns: Columns::new(), named: BTreeMap::new(), unique: Vec::new() };
    for table in tables.into_iter().map(|mut r| r.remove(0)) {
        let cols = strings("SELECT name, type FROM pragma_table_info(?1)", &table);
        schema.columns.insert(table.clone(), cols.iter().map(|r| (r[0].clone(), class(&r[1]))).collect());
        for r in strings("SELECT name, \"unique\" FROM pragma_index_list(?1)", &table) {
            let columns = strings("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", &r[0]);
            let columns = columns.into_iter().map(|mut c| c.remove(0)).collect();
            let index = Index { table: table.clone(), columns, unique: r[1] == "1" };
            if index.unique {
                schema.unique.push((r[0].clone(), index.clone()));
            }
            if !r[0].starts_with("sqlite_autoindex_") {
                schema.named.insert(r[0].clone(), index);
            }
        }
    }
    schema
}

fn text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Text(t) => t.clone(),
        other => format!("{other:?}"),
    }
}

/// Every index of the public schema: name, table, columns in order, unique,
/// and whether it backs a constraint (primary key or `UNIQUE`).
const PG_INDEXES: &str = "
    SELECT i.relname::text, t.relname::text,
           array_to_string(ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(n, o)
                                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o), ','),
           x.indisunique, EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.contype IN ('p', 'u', 'x'))
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace s ON s.oid = t.relnamespace
    WHERE s.nspname = 'public'";

fn postgres_schema(db: &TestDb) -> Schema {
    drop(PgStore::open(&db.url(), 1, 0).expect("migrate postgres"));
    let mut c = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
    let mut schema = Schema { columns: Columns::new(), named: BTreeMap::new(), unique: Vec::new() };
    let tables =
        c.query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", &[]).unwrap();
    for t in tables {
        schema.columns.insert(t.get(0), BTreeMap::new());
    }
    let columns = "SELECT table_name::text, column_name::text, data_type::text
                   FROM information_schema.columns WHERE table_schema = 'public'";
    for r in c.query(columns, &[]).unwrap() {
        let (table, column, ty): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        schema.columns.entry(table).or_default().insert(column, class(&ty));
    }
    for r in c.query(PG_INDEXES, &[]).unwrap() {
        let (name, table, columns): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        let (unique, backs_constraint): (bool, bool) = (r.get(3), r.get(4));
        let index = Index { table, columns: columns.split(',').map(str::to_owned).collect(), unique };
        if unique {
            schema.unique.push((name.clone(), index.clone()));
        }
        if !backs_constraint {
            schema.named.insert(name, index);
        }
    }
    schema
}

/// Both backends, migrated afresh; `None` when PostgreSQL is not there (a
/// failure instead under `CI=true`).
fn schemas() -> Option<(Schema, Schema)> {
    let pg = TestDb::postgres()?;
    Some((sqlite_schema(&TestDb::sqlite()), postgres_schema(&pg)))
}

#[test]
fn both_backends_have_the_same_tables_columns_and_indexes() {
    let Some((lite, pg)) = schemas() else { return };
    let (lite_tables, pg_tables): (BTreeSet<_>, BTreeSet<_>) =
        (lite.columns.keys().collect(), pg.columns.keys().collect());
    assert_eq!(lite_tables, pg_tables, "tables (SQLite left, PostgreSQL right)");
    for (table, columns) in &lite.columns {
        assert_eq!(columns, &pg.columns[table], "columns of {table} and their type class (SQLite left)");
    }
    let (mut lite_named, mut pg_named) = (lite.named.clone(), pg.named.clone());
    for (name, side, why) in STAND_INS {
        let (has, other) = if *side == "SQLite" { (&mut lite_named, &pg) } else { (&mut pg_named, &lite) };
        let index = has.remove(*name).unwrap_or_else(|| panic!("{side} has {name} ({why})"));
        assert!(other.unique.iter().any(|(_, i)| *i == index), "{name} is covered on the other backend: {why}");
    }
    let (lite_names, pg_names): (BTreeSet<_>, BTreeSet<_>) = (lite_named.keys().collect(), pg_named.keys().collect());
    assert_eq!(lite_names, pg_names, "named indexes (SQLite left, PostgreSQL right)");
    for (name, index) in &lite_named {
        assert_eq!(index, &pg_named[name], "index {name} (SQLite left)");
    }
}

#[test]
fn every_constraint_map_db_error_maps_exists_on_both_backends() {
    let Some((lite, pg)) = schemas() else { return };
    for (pg_name, lite_spelling) in MAPPED {
        // SQLite names the violated columns, `table.a, table.b`, in index order.
        let (table, columns) = lite_columns(lite_spelling);
        let wanted = Index { table, columns, unique: true };
        let found = pg.unique.iter().find(|(n, _)| n == pg_name).map(|(_, i)| i);
        assert_eq!(found, Some(&wanted), "PostgreSQL's unique constraint {pg_name}");
        assert!(
            lite.unique.iter().any(|(_, i)| *i == wanted),
            "SQLite reports {lite_spelling} for a unique index of exactly these columns: {:?}",
            lite.unique
        );
    }
}

/// `"t.a, t.b"` → (`t`, [`a`, `b`]).
fn lite_columns(spelling: &str) -> (String, Vec<String>) {
    let parts: Vec<(&str, &str)> = spelling.split(", ").map(|p| p.split_once('.').expect("table.column")).collect();
    let table = parts[0].0;
    assert!(parts.iter().all(|(t, _)| *t == table), "one table in {spelling}");
    (table.to_owned(), parts.iter().map(|(_, c)| (*c).to_owned()).collect())
}

#[test]
fn the_mapped_names_are_the_ones_map_db_error_uses() {
    let start = SQL_RS.find("fn map_db_error").expect("map_db_error in src/sql.rs");
    let body = &SQL_RS[start..];
    let body = &body[..body.find("\n}\n").expect("the function's end")];
    let literals: BTreeSet<&str> = body.split('"').skip(1).step_by(2).collect();
    for (pg_name, lite_spelling) in MAPPED {
        assert!(literals.contains(pg_name) && literals.contains(lite_spelling), "{pg_name} / {lite_spelling}");
    }
    // A constraint name: a PostgreSQL index or key name, or SQLite's `table.column`.
    let names = literals.iter().filter(|l| l.contains('.') || l.ends_with("_uq") || l.ends_with("_pkey"));
    for name in names {
        assert!(MAPPED.iter().any(|(p, s)| p == name || s == name), "map_db_error maps {name}: add it to MAPPED");
    }
}
