-- Deadlines stored in due order. A burst of firings then rewrites a few
-- neighbouring pages instead of one random page per deadline (ids and due
-- times are unrelated: a 7-day invite and a 2-minute chat reply are created
-- side by side), which is what limited how many deadlines a second the
-- engine could fire. Ids stay unique and stable; the id index is not touched
-- when a deadline fires. Run with foreign keys off (see migrate.rs).
CREATE TABLE deadlines_by_due (
    due_at     INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    created_at INTEGER NOT NULL,
    fired_at   INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    payload    TEXT    NOT NULL,
    PRIMARY KEY (due_at, id)
) WITHOUT ROWID;

INSERT INTO deadlines_by_due (due_at, id, kind, subject, state, created_at, fired_at, attempts, last_error, payload)
SELECT due_at, id, kind, subject, state, created_at, fired_at, attempts, last_error, payload FROM deadlines;

DROP TABLE deadlines;
ALTER TABLE deadlines_by_due RENAME TO deadlines;

CREATE UNIQUE INDEX deadlines_id_uq ON deadlines (id);
CREATE INDEX deadlines_due_idx ON deadlines (due_at, id) WHERE state = 'pending';
CREATE INDEX deadlines_subject_idx ON deadlines (subject);
