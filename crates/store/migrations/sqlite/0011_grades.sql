-- Merchant grades: the last computed grade of each shop with the figures
-- behind it (JSON, so the public page shows exactly what was graded), and how
-- far the refresh has looked. Indexes for the 30-day figures and the
-- platform's service report.
CREATE TABLE shop_grades (
    shop_id     INTEGER PRIMARY KEY REFERENCES shops (id),
    grade       TEXT    NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'new')),
    points      INTEGER NOT NULL,
    figures     TEXT    NOT NULL,
    computed_at INTEGER NOT NULL
);
CREATE TABLE grade_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
CREATE INDEX orders_shop_created_idx ON orders (shop_id, created_at);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX reply_measures_side_idx ON reply_measures (side, answered_at);
CREATE INDEX breaches_at_idx ON breaches (at);
CREATE INDEX cases_opened_idx ON cases (opened_at);
CREATE INDEX cases_closed_idx ON cases (closed_at);
CREATE INDEX case_actions_at_idx ON case_actions (at);
CREATE INDEX reviews_created_idx ON reviews (created_at);
