-- The penalty ladder: penalties a shop earned by its breaches, and how each ended.
CREATE TABLE penalties (
    id            INTEGER PRIMARY KEY,
    shop_id       INTEGER NOT NULL REFERENCES shops (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('warning', 'downrank', 'fine', 'suspension')),
    state         TEXT    NOT NULL CHECK (state IN ('active', 'ended', 'lifted')),
    started_at    INTEGER NOT NULL,
    ends_at       INTEGER,
    breach_ids    TEXT    NOT NULL,
    amount_fen    INTEGER NOT NULL DEFAULT 0,
    shortfall_fen INTEGER NOT NULL DEFAULT 0,
    deadline_id   INTEGER REFERENCES deadlines (id),
    lifted_by     INTEGER REFERENCES users (id),
    lift_reason   TEXT,
    lifted_at     INTEGER,
    CHECK (state <> 'lifted' OR (lifted_by IS NOT NULL AND length(lift_reason) > 0))
);
CREATE INDEX penalties_shop_idx ON penalties (shop_id, state);
CREATE INDEX breaches_party_idx ON breaches (shop_id, party, at);
