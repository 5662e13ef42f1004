-- The evidence chain in partitions (crates/core/src/evidence.rs): each has its
-- own head, so a writing transaction links its events into whichever head is
-- free instead of all of them waiting on one row. The single chain so far
-- becomes partition 0 (pseq = seq, hashes unchanged); `seq` stays the global
-- row number, now from a sequence. `chain_head` is dropped.
CREATE TABLE chain_heads (
    part INTEGER PRIMARY KEY,
    pseq BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO chain_heads (part, pseq, hash) SELECT 0, seq, hash FROM chain_head WHERE id = 1;
INSERT INTO chain_heads (part, pseq, hash) SELECT g, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM generate_series(1, 63) AS g;
DROP TABLE chain_head;

ALTER TABLE events ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN pseq BIGINT;
ALTER TABLE events DISABLE TRIGGER events_no_change;
UPDATE events SET pseq = seq;
ALTER TABLE events ENABLE TRIGGER events_no_change;
ALTER TABLE events ALTER COLUMN pseq SET NOT NULL;
CREATE UNIQUE INDEX events_part_pseq_uq ON events (part, pseq);
CREATE SEQUENCE events_seq_seq OWNED BY events.seq;
SELECT setval('events_seq_seq', COALESCE((SELECT MAX(seq) FROM events), 0) + 1, false);
ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_seq');

-- Anchors now cover, per partition, the events since the previous anchor
-- there. form 1: an anchor of the single chain (from_seq..to_seq of partition
-- 0, its old hash form); form 2: its ranges are in anchor_ranges. Old anchors
-- get their one range too, so "which anchor covers (part, pseq)" is one query.
ALTER TABLE anchors ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
CREATE TABLE anchor_ranges (
    anchor_id BIGINT  NOT NULL REFERENCES anchors (id),
    part      INTEGER NOT NULL,
    from_pseq BIGINT  NOT NULL,
    to_pseq   BIGINT  NOT NULL CHECK (to_pseq >= from_pseq),
    head      TEXT    NOT NULL,
    PRIMARY KEY (anchor_id, part)
);
CREATE UNIQUE INDEX anchor_ranges_from_uq ON anchor_ranges (part, from_pseq);
CREATE UNIQUE INDEX anchor_ranges_to_uq ON anchor_ranges (part, to_pseq);
INSERT INTO anchor_ranges (anchor_id, part, from_pseq, to_pseq, head)
    SELECT a.id, 0, a.from_seq, a.to_seq, COALESCE((SELECT e.hash FROM events e WHERE e.seq = a.to_seq), '') FROM anchors a;
CREATE TRIGGER anchor_ranges_no_change BEFORE UPDATE OR DELETE ON anchor_ranges FOR EACH ROW EXECUTE FUNCTION anchors_append_only();
