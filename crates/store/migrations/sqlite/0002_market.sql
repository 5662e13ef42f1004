-- Marketplace: ledger, catalogue, stock, orders, idempotency, breaches.
CREATE TABLE ledger_accounts (
    id              INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,
    balance         INTEGER NOT NULL DEFAULT 0,
    may_go_negative INTEGER NOT NULL DEFAULT 0,
    CHECK (may_go_negative = 1 OR balance >= 0)
);
CREATE TABLE ledger_entries (
    id      INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    memo    TEXT    NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX ledger_entries_subject_idx ON ledger_entries (subject);
CREATE TABLE ledger_postings (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES ledger_entries (id),
    account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount     INTEGER NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_entry_idx ON ledger_postings (entry_id);

CREATE TABLE products (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    category   TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('card_key', 'direct_topup', 'account')),
    title      TEXT    NOT NULL,
    price_fen  INTEGER NOT NULL CHECK (price_fen > 0),
    spec       TEXT    NOT NULL,
    on_sale    INTEGER NOT NULL DEFAULT 1,
    rank       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX products_shop_idx ON products (shop_id, id);
CREATE INDEX products_updated_idx ON products (updated_at, id);

-- Unsold units only: a sale moves the unit into order_units.
CREATE TABLE stock_units (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    fingerprint TEXT    NOT NULL,
    code_enc    TEXT    NOT NULL,
    secret_enc  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX stock_units_fp_uq ON stock_units (shop_id, fingerprint);
CREATE INDEX stock_units_product_idx ON stock_units (product_id, id);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    no             TEXT    NOT NULL UNIQUE,
    buyer_id       INTEGER NOT NULL REFERENCES users (id),
    shop_id        INTEGER NOT NULL REFERENCES shops (id),
    product_id     INTEGER NOT NULL REFERENCES products (id),
    kind           TEXT    NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_fen INTEGER NOT NULL,
    total_fen      INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    snapshot       TEXT    NOT NULL,
    snapshot_hash  TEXT    NOT NULL,
    topup_target   TEXT,
    fulfil_note    TEXT,
    created_at     INTEGER NOT NULL,
    promise_due    INTEGER,
    topup_overdue  INTEGER NOT NULL DEFAULT 0,
    fulfilled_at   INTEGER,
    protect_until  INTEGER,
    closed_at      INTEGER,
    escrow_fen     INTEGER NOT NULL CHECK (escrow_fen >= 0),
    deadline_id    INTEGER REFERENCES deadlines (id)
);
CREATE INDEX orders_buyer_idx ON orders (buyer_id, id);
CREATE INDEX orders_shop_idx ON orders (shop_id, id);

CREATE TABLE order_units (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    fingerprint TEXT    NOT NULL,
    code_enc    TEXT    NOT NULL,
    secret_enc  TEXT
);
CREATE INDEX order_units_order_idx ON order_units (order_id);
CREATE UNIQUE INDEX order_units_fp_uq ON order_units (shop_id, fingerprint);

CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    order_id     INTEGER REFERENCES orders (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE breaches (
    id      INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX breaches_shop_idx ON breaches (shop_id, at);
