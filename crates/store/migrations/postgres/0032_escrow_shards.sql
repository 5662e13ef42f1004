-- Issue 17: the escrow account's balance in parts (PostgreSQL writes them; the
-- account's own row keeps what it held before). Every checkout adds to escrow:
-- on one row, each waited for the one before it to commit. A part is chosen
-- from the entry's subject; the balance is the row plus its parts, which the
-- ledger audit compares with the postings as for any other account.
CREATE TABLE ledger_balance_shards (
    account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    shard      BIGINT NOT NULL,
    balance    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, shard)
);
