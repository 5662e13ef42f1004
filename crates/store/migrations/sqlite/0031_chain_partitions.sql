-- The evidence chain in partitions (crates/core/src/evidence.rs): each has its
-- own head. SQLite has one writer, which rotates through them so every
-- partition is exercised. The single chain so far becomes partition 0
-- (pseq = seq, hashes unchanged); `seq` stays the global row number (the
-- rowid). `chain_head` is dropped.
CREATE TABLE chain_heads (
    part INTEGER PRIMARY KEY,
    pseq INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO chain_heads (part, pseq, hash) SELECT 0, seq, hash FROM chain_head WHERE id = 1;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 63)
    INSERT INTO chain_heads (part, pseq, hash) SELECT n, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM g;
DROP TABLE chain_head;

ALTER TABLE events ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN pseq INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER events_no_update;
UPDATE events SET pseq = seq;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE UNIQUE INDEX events_part_pseq_uq ON events (part, pseq);

-- Anchors now cover, per partition, the events since the previous anchor
-- there. form 1: an anchor of the single chain (from_seq..to_seq of partition
-- 0, its old hash form); form 2: its ranges are in anchor_ranges. Old anchors
-- get their one range too, so "which anchor covers (part, pseq)" is one query.
ALTER TABLE anchors ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
CREATE TABLE anchor_ranges (
    anchor_id INTEGER NOT NULL REFERENCES anchors (id),
    part      INTEGER NOT NULL,
    from_pseq INTEGER NOT NULL,
    to_pseq   INTEGER NOT NULL CHECK (to_pseq >= from_pseq),
    head      TEXT    NOT NULL,
    PRIMARY KEY (anchor_id, part)
);
CREATE UNIQUE INDEX anchor_ranges_from_uq ON anchor_ranges (part, from_pseq);
CREATE UNIQUE INDEX anchor_ranges_to_uq ON anchor_ranges (part, to_pseq);
INSERT INTO anchor_ranges (anchor_id, part, from_pseq, to_pseq, head)
    SELECT a.id, 0, a.from_seq, a.to_seq, COALESCE((SELECT e.hash FROM events e WHERE e.seq = a.to_seq), '') FROM anchors a;
CREATE TRIGGER anchor_ranges_no_update BEFORE UPDATE ON anchor_ranges BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
CREATE TRIGGER anchor_ranges_no_delete BEFORE DELETE ON anchor_ranges BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
