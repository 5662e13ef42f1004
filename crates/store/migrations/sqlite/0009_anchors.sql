-- Hourly anchors of the evidence chain: a Merkle root over each range of
-- events, chained. The newest anchor's hash is published; bundles prove their
-- events against it. Append-only, like the events.
CREATE TABLE anchors (
    id        INTEGER PRIMARY KEY,
    from_seq  INTEGER NOT NULL,
    to_seq    INTEGER NOT NULL,
    root      TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX anchors_to_seq_uq ON anchors (to_seq);
CREATE TRIGGER anchors_no_update BEFORE UPDATE ON anchors BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
CREATE TRIGGER anchors_no_delete BEFORE DELETE ON anchors BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
