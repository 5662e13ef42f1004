-- Foundation: accounts, shops, sessions, tokens, rules, deadlines, evidence.
-- Times are integer milliseconds since the Unix epoch (UTC).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('buyer', 'merchant_agent', 'platform_agent', 'admin')),
    shop_id       INTEGER REFERENCES shops (id),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_username_key_uq ON users (username_key);
CREATE INDEX users_shop_idx ON users (shop_id) WHERE shop_id IS NOT NULL;

CREATE TABLE shops (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    owner_id   INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX shops_name_key_uq ON shops (name_key);
CREATE INDEX shops_owner_idx ON shops (owner_id);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE login_failures (
    id           INTEGER PRIMARY KEY,
    username_key TEXT    NOT NULL,
    ip           TEXT    NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (username_key, ip, at);

CREATE TABLE deadlines (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    due_at     INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    created_at INTEGER NOT NULL,
    fired_at   INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    payload    TEXT    NOT NULL
);
CREATE INDEX deadlines_due_idx ON deadlines (due_at, id) WHERE state = 'pending';
CREATE INDEX deadlines_subject_idx ON deadlines (subject);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    created_by  INTEGER NOT NULL REFERENCES users (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'expired', 'revoked')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_by INTEGER REFERENCES users (id),
    deadline_id INTEGER REFERENCES deadlines (id)
);
CREATE INDEX invites_shop_idx ON invites (shop_id);

CREATE TABLE rules (
    name       TEXT    PRIMARY KEY,
    value      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id)
);

CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     INTEGER,
    kind      TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX events_subject_idx ON events (subject, seq);

-- The evidence log is append-only: the database itself refuses edits.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
