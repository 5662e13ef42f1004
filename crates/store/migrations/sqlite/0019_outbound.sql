-- Outbound HTTP (callbacks to API callers, later webhooks): a durable outbox.
-- A row is queued in the transaction that causes it, claimed with a lease
-- (SKIP LOCKED on PostgreSQL), POSTed with no transaction open, and retried
-- with backoff until a 2xx or 24 hours. `body` is what the kind needs to
-- build the request; `sign_key` the API key whose secret signs it.
CREATE TABLE outbound (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    sign_key        INTEGER REFERENCES api_keys (id),
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbound_due_idx ON outbound (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbound_key_idx ON outbound (sign_key, id);
