-- 货源对接 (docking an upstream site): a shop's connections to upstream Youying
-- sites, the upstream products it maps into its own shop, and the durable step
-- row of every order placed upstream. The connection's secret is sealed by the
-- server's master key. `sync_due_at` and `next_attempt_at` are the outbox
-- clocks: claimed with SKIP LOCKED and moved forward by a lease, so a crashed
-- instance's claim comes back by itself.
CREATE TABLE upstream_connections (
    id               INTEGER PRIMARY KEY,
    shop_id          INTEGER NOT NULL REFERENCES shops (id),
    base_url         TEXT    NOT NULL,
    key_id           TEXT    NOT NULL,
    secret_sealed    TEXT    NOT NULL,
    site_name        TEXT    NOT NULL,
    account_name     TEXT    NOT NULL,
    level_name       TEXT    NOT NULL,
    balance_fen      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    sync_due_at      INTEGER NOT NULL,
    last_sync_at     INTEGER,
    last_ok_at       INTEGER,
    failures         INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_error       TEXT,
    removed_at       INTEGER
);
CREATE UNIQUE INDEX upstream_connections_uq ON upstream_connections (shop_id, base_url, key_id);
CREATE INDEX upstream_connections_due_idx ON upstream_connections (sync_due_at);

-- One mapped product: a normal product row of the shop, priced by the rule
-- from the upstream's cost. `hidden_reason` NULL = shown; otherwise why the
-- source hides it (unreachable, off_sale, sold_out, above_cap, below_cost).
CREATE TABLE upstream_mappings (
    id                  INTEGER PRIMARY KEY,
    connection_id       INTEGER NOT NULL REFERENCES upstream_connections (id),
    shop_id             INTEGER NOT NULL REFERENCES shops (id),
    product_id          INTEGER NOT NULL REFERENCES products (id),
    upstream_product_id INTEGER NOT NULL,
    rule_kind           TEXT    NOT NULL CHECK (rule_kind IN ('same', 'percent', 'fixed_add', 'fixed_price')),
    rule_value          INTEGER NOT NULL,
    floor_fen           INTEGER,
    cap_fen             INTEGER,
    allow_below_cost    INTEGER NOT NULL DEFAULT 0,
    cost_fen            INTEGER NOT NULL CHECK (cost_fen > 0),
    stock_count         INTEGER,
    hidden_reason       TEXT,
    synced_at           INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX upstream_mappings_product_uq ON upstream_mappings (product_id);
CREATE UNIQUE INDEX upstream_mappings_source_uq ON upstream_mappings (connection_id, upstream_product_id);

-- Hidden by the source: separate from the merchant's own on_sale switch.
ALTER TABLE products ADD COLUMN source_hidden INTEGER NOT NULL DEFAULT 0;

-- An order placed upstream: `placing` until the upstream's answer is known,
-- `awaiting` while an upstream top-up is being done, then `done` or `failed`.
CREATE TABLE upstream_orders (
    order_id            INTEGER PRIMARY KEY REFERENCES orders (id),
    connection_id       INTEGER NOT NULL REFERENCES upstream_connections (id),
    upstream_product_id INTEGER NOT NULL,
    downstream_order_no TEXT    NOT NULL,
    quantity            INTEGER NOT NULL CHECK (quantity > 0),
    max_unit_price_fen  INTEGER NOT NULL CHECK (max_unit_price_fen > 0),
    topup_target        TEXT,
    state               TEXT    NOT NULL CHECK (state IN ('placing', 'awaiting', 'done', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER,
    upstream_order_no   TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX upstream_orders_due_idx ON upstream_orders (next_attempt_at);
