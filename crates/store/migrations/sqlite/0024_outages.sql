-- The platform's pulse: the scheduler loop of any running instance writes the
-- one heartbeat row about once a second. An instance that starts and finds it
-- older than the outage threshold records the gap as an outage; deadlines that
-- fell due inside it are graced (the platform's breach, never a merchant's).
CREATE TABLE platform_heartbeat (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at INTEGER
);
INSERT INTO platform_heartbeat (id, beat_at) VALUES (1, NULL);

CREATE TABLE outages (
    id      INTEGER PRIMARY KEY,
    from_at INTEGER NOT NULL,
    to_at   INTEGER NOT NULL,
    CHECK (from_at <= to_at)
);
CREATE INDEX outages_to_idx ON outages (to_at);
