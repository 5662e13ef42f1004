-- Hourly anchors of the evidence chain: a Merkle root over each range of
-- events, chained. The newest anchor's hash is published; bundles prove their
-- events against it. Append-only, like the events.
CREATE TABLE anchors (
    id        BIGINT PRIMARY KEY,
    from_seq  BIGINT NOT NULL,
    to_seq    BIGINT NOT NULL,
    root      TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX anchors_to_seq_uq ON anchors (to_seq);
CREATE FUNCTION anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'anchors are append-only'; END $$;
CREATE TRIGGER anchors_no_change BEFORE UPDATE OR DELETE ON anchors FOR EACH ROW EXECUTE FUNCTION anchors_append_only();
