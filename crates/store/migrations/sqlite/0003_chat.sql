-- Conversations with reply deadlines, measured replies, notifications, and
-- breaches that may be the platform's own.
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    buyer_id        INTEGER NOT NULL REFERENCES users (id),
    shop_id         INTEGER NOT NULL REFERENCES shops (id),
    order_id        INTEGER REFERENCES orders (id),
    product_id      INTEGER REFERENCES products (id),
    owner           TEXT    NOT NULL CHECK (owner IN ('shop', 'platform')),
    assignee_id     INTEGER REFERENCES users (id),
    awaiting_since  INTEGER,
    reply_due       INTEGER,
    deadline_id     INTEGER REFERENCES deadlines (id),
    taken_over_at   INTEGER,
    created_at      INTEGER NOT NULL,
    last_message_id INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX conversations_pair_uq ON conversations (buyer_id, shop_id);
CREATE INDEX conversations_shop_idx ON conversations (shop_id, reply_due);
CREATE INDEX conversations_owner_idx ON conversations (owner, reply_due);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    sender_id       INTEGER REFERENCES users (id),
    side            TEXT    NOT NULL CHECK (side IN ('buyer', 'shop', 'platform', 'system')),
    kind            TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

CREATE TABLE reply_measures (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    shop_id         INTEGER NOT NULL REFERENCES shops (id),
    side            TEXT    NOT NULL,
    asked_at        INTEGER NOT NULL,
    answered_at     INTEGER NOT NULL,
    answered_by     INTEGER NOT NULL REFERENCES users (id),
    in_time         INTEGER NOT NULL
);
CREATE INDEX reply_measures_shop_idx ON reply_measures (shop_id, answered_at);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    audience   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_shop_idx ON notifications (shop_id, id);

ALTER TABLE breaches ADD COLUMN party TEXT NOT NULL DEFAULT 'shop';

CREATE TABLE duty_intervals (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER
);
CREATE INDEX duty_intervals_user_idx ON duty_intervals (user_id, ended_at);
CREATE INDEX duty_intervals_time_idx ON duty_intervals (started_at);
