-- Issue 17: the escrow account's balance in parts, as on PostgreSQL (where
-- concurrent checkouts write them). SQLite has one writer and keeps using the
-- account's own row; the table exists so both backends read balances alike.
CREATE TABLE ledger_balance_shards (
    account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    shard      INTEGER NOT NULL,
    balance    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, shard)
) WITHOUT ROWID;
