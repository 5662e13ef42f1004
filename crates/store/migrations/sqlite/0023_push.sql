-- Push channels and the notification centre. A notice is written once per
-- recipient into `user_notices` (the centre: list, unread badge, mark read)
-- and, in the same transaction, one delivery per enabled channel of that user
-- is queued in `push_deliveries`: claimed with a lease (SKIP LOCKED on
-- PostgreSQL), sent with no transaction open, retried with backoff.
CREATE TABLE user_notices (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    event       TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    text        TEXT   NOT NULL,
    url         TEXT   NOT NULL,
    -- What the notice points at inside its subject (a chat message id), if anything.
    ref_id      INTEGER,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX user_notices_user_idx ON user_notices (user_id, id);
CREATE INDEX user_notices_unread_idx ON user_notices (user_id) WHERE read_at IS NULL;

-- One row per user and channel kind. `secret` is sealed with the master key
-- (webhook secret, Telegram bot token, 企业微信 key, Server酱 SendKey); `hint`
-- is what may be shown of it. `events`: comma-separated; empty: all.
CREATE TABLE push_channels (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT   NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    target      TEXT,
    secret      TEXT,
    hint        TEXT,
    events      TEXT   NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE push_deliveries (
    id              INTEGER PRIMARY KEY,
    notice_id       INTEGER NOT NULL REFERENCES user_notices (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    kind            TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    UNIQUE (notice_id, kind)
);
CREATE INDEX push_deliveries_due_idx ON push_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX push_deliveries_user_idx ON push_deliveries (user_id, id);

-- Stock below this many unsold keys notifies the shop's team once per crossing; 0: off.
ALTER TABLE shops ADD COLUMN low_stock_threshold INTEGER NOT NULL DEFAULT 0;
