-- After-sales cases: the case, its timeline, its evidence, and the units a
-- reissue took off an order (kept on file: they are the buyer's proof).
CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id),
    order_no           TEXT    NOT NULL,
    buyer_id           INTEGER NOT NULL REFERENCES users (id),
    shop_id            INTEGER NOT NULL REFERENCES shops (id),
    type               TEXT    NOT NULL CHECK (type IN ('key_invalid', 'topup_missing', 'account_mismatch', 'other')),
    state              TEXT    NOT NULL,
    description        TEXT    NOT NULL,
    mismatched         TEXT    NOT NULL,
    opened_at          INTEGER NOT NULL,
    merchant_due       INTEGER NOT NULL,
    resolve_due        INTEGER NOT NULL,
    merchant_deadline  INTEGER REFERENCES deadlines (id),
    resolve_deadline   INTEGER REFERENCES deadlines (id),
    screenshots        INTEGER NOT NULL DEFAULT 0,
    remedy             TEXT,
    proposal_fen       INTEGER,
    order_state_before TEXT    NOT NULL,
    outcome            TEXT,
    refund_fen         INTEGER NOT NULL DEFAULT 0 CHECK (refund_fen >= 0),
    closed_at          INTEGER,
    decided_by         INTEGER REFERENCES users (id),
    decision_reason    TEXT
);
-- One open case per order, enforced by the database as well as the core.
CREATE UNIQUE INDEX cases_open_order_uq ON cases (order_id) WHERE state IN ('awaiting_merchant', 'awaiting_buyer', 'in_arbitration');
CREATE INDEX cases_order_idx ON cases (order_id);
CREATE INDEX cases_buyer_idx ON cases (buyer_id, id);
CREATE INDEX cases_shop_idx ON cases (shop_id, resolve_due);
CREATE INDEX cases_state_idx ON cases (state, resolve_due);

CREATE TABLE case_actions (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    at       INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    side     TEXT    NOT NULL CHECK (side IN ('buyer', 'merchant', 'platform', 'system')),
    kind     TEXT    NOT NULL,
    detail   TEXT    NOT NULL
);
CREATE INDEX case_actions_case_idx ON case_actions (case_id, id);

-- Bodies as hex text: the shared SQL vocabulary has no byte type yet.
CREATE TABLE case_evidence (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    body_hex     TEXT    NOT NULL,
    added_by     INTEGER REFERENCES users (id),
    at           INTEGER NOT NULL
);
CREATE INDEX case_evidence_case_idx ON case_evidence (case_id, id);

CREATE TABLE case_replaced_units (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    fingerprint TEXT    NOT NULL,
    code_enc    TEXT    NOT NULL,
    secret_enc  TEXT,
    replaced_at INTEGER NOT NULL
);
CREATE INDEX case_replaced_units_order_idx ON case_replaced_units (order_id);
