-- API keys (开放接口) and the orders placed through them. A key's secret is
-- the HMAC key every signed request is checked with, so it cannot be kept as
-- a one-way hash: it is sealed with the server's master key (the Vault), like
-- the gateways' credentials, and opened only to verify or sign.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    key_id        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_sealed TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE UNIQUE INDEX api_keys_key_id_uq ON api_keys (key_id);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);

-- An order placed through the open API: which key, under which of the
-- caller's own numbers, and where its changes are POSTed.
CREATE TABLE open_orders (
    order_id            INTEGER PRIMARY KEY REFERENCES orders (id),
    api_key_id          INTEGER NOT NULL REFERENCES api_keys (id),
    downstream_order_no TEXT    NOT NULL,
    callback_url        TEXT,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX open_orders_key_no_uq ON open_orders (api_key_id, downstream_order_no);
