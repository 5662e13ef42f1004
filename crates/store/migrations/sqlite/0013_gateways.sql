-- Payment gateways an admin configures (易支付 V1 / V2). Secrets are stored
-- sealed by the server's master key, never in the clear; channels are the
-- gateway's `type` words, comma-separated.
CREATE TABLE payment_gateways (
    name                 TEXT    PRIMARY KEY,
    kind                 TEXT    NOT NULL CHECK (kind IN ('epay_v1', 'epay_v2')),
    base_url             TEXT    NOT NULL,
    pid                  TEXT    NOT NULL,
    key_sealed           TEXT,
    merchant_key_sealed  TEXT,
    platform_key_sealed  TEXT,
    channels             TEXT    NOT NULL,
    enabled              INTEGER NOT NULL,
    updated_by           INTEGER REFERENCES users (id),
    updated_at           INTEGER NOT NULL
);
