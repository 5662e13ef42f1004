-- A case on an order placed upstream, relayed to the upstream site as a case
-- on this shop's order there (货源对接): the step row, claimed like every
-- outbox here (SKIP LOCKED + a lease on next_attempt_at).
CREATE TABLE upstream_cases (
    case_id             INTEGER PRIMARY KEY REFERENCES cases (id),
    order_id            INTEGER NOT NULL REFERENCES orders (id),
    connection_id       INTEGER NOT NULL REFERENCES upstream_connections (id),
    downstream_order_no TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('opening', 'open', 'closed', 'failed')),
    upstream_case_id    INTEGER,
    upstream_state      TEXT,
    applied             TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX upstream_cases_due_idx ON upstream_cases (next_attempt_at);
CREATE INDEX upstream_cases_source_idx ON upstream_cases (connection_id, upstream_case_id);
