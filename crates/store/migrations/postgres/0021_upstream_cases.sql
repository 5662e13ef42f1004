-- A case on an order placed upstream, relayed to the upstream site as a case
-- on this shop's order there (货源对接): the step row, claimed like every
-- outbox here (SKIP LOCKED + a lease on next_attempt_at).
CREATE TABLE upstream_cases (
    case_id             BIGINT PRIMARY KEY REFERENCES cases (id),
    order_id            BIGINT NOT NULL REFERENCES orders (id),
    connection_id       BIGINT NOT NULL REFERENCES upstream_connections (id),
    downstream_order_no TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('opening', 'open', 'closed', 'failed')),
    upstream_case_id    BIGINT,
    upstream_state      TEXT,
    applied             TEXT,
    attempts            BIGINT NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT,
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX upstream_cases_due_idx ON upstream_cases (next_attempt_at);
CREATE INDEX upstream_cases_source_idx ON upstream_cases (connection_id, upstream_case_id);
