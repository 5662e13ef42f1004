-- Payment attempts (one out_trade_no sent to one gateway) and every notify a
-- gateway sent, kept raw. An attempt's check_* columns are its durable outbox
-- of order queries: a query is owed at check_due_at, claimed by moving it
-- forward (a lease), and cleared when the gateway answered.
CREATE TABLE payment_attempts (
    id              INTEGER PRIMARY KEY,
    out_trade_no    TEXT    NOT NULL,
    gateway         TEXT    NOT NULL REFERENCES payment_gateways (name),
    channel         TEXT    NOT NULL CHECK (channel IN ('alipay', 'wxpay', 'qqpay')),
    user_id         INTEGER  NOT NULL REFERENCES users (id),
    purpose         TEXT    NOT NULL CHECK (purpose IN ('top_up', 'checkout')),
    amount_fen      INTEGER  NOT NULL CHECK (amount_fen > 0),
    -- A checkout's order, as JSON, kept until the money lands; then the order
    -- placed, or the error that stopped it (the money stays in the wallet).
    checkout        TEXT,
    order_id        INTEGER  REFERENCES orders (id),
    order_error     TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'paid', 'expired')),
    trade_no        TEXT,
    created_at      INTEGER  NOT NULL,
    expires_at      INTEGER  NOT NULL,
    notified_at     INTEGER,
    paid_at         INTEGER,
    settled_by      TEXT    CHECK (settled_by IN ('query', 'hand')),
    check_due_at    INTEGER,
    check_attempts  INTEGER  NOT NULL DEFAULT 0,
    checked_at      INTEGER,
    check_error     TEXT
);
CREATE UNIQUE INDEX payment_attempts_out_trade_no_uq ON payment_attempts (out_trade_no);
CREATE INDEX payment_attempts_user ON payment_attempts (user_id, created_at);
CREATE INDEX payment_attempts_check_due ON payment_attempts (check_due_at) WHERE check_due_at IS NOT NULL;
CREATE INDEX payment_attempts_pending ON payment_attempts (created_at) WHERE state = 'pending';

-- No foreign key to payment_attempts: a notify's insert would share-lock the
-- attempt row that twin notifies lock for update, and deadlock them.
CREATE TABLE payment_notifies (
    id              INTEGER PRIMARY KEY,
    gateway         TEXT    NOT NULL,
    out_trade_no    TEXT,
    attempt_id      INTEGER,
    received_at     INTEGER  NOT NULL,
    remote          TEXT    NOT NULL,
    raw             TEXT    NOT NULL,
    verified        INTEGER  NOT NULL,
    verdict         TEXT    NOT NULL
);
CREATE INDEX payment_notifies_attempt ON payment_notifies (attempt_id);
