-- The web verifier's results: what a check of an uploaded evidence bundle
-- found, in words, under a random id for a reloadable report. The uploaded
-- file is not kept; results older than 30 days are no longer shown.
CREATE TABLE verifications (
    id            TEXT PRIMARY KEY,
    checked_at    BIGINT NOT NULL,
    order_no      TEXT NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    ok            BIGINT NOT NULL,
    result        TEXT NOT NULL
);
CREATE INDEX verifications_checked_idx ON verifications (checked_at);
