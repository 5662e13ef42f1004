-- E-mail notifications: an optional address per account, the mailer's cursors
-- over notifications and breaches, and a durable outbox drained over SMTP.
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE mail_cursors (
    source  TEXT    PRIMARY KEY,
    last_id INTEGER NOT NULL
);
-- Start after what already exists: turning mail on does not mail the past.
INSERT INTO mail_cursors (source, last_id) SELECT 'notification', COALESCE(MAX(id), 0) FROM notifications;
INSERT INTO mail_cursors (source, last_id) SELECT 'breach', COALESCE(MAX(id), 0) FROM breaches;

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL CHECK (source IN ('notification', 'breach')),
    source_id       INTEGER NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         INTEGER
);
-- One mail per source and recipient, however often the source is read again.
CREATE UNIQUE INDEX mail_outbox_source_uq ON mail_outbox (source, source_id, user_id);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE state = 'pending';
