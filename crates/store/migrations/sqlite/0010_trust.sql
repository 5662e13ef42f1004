-- The help bot in conversations, shop and platform FAQs, reviews, and the
-- publication of cases the platform had to step into.

-- A shop may switch its bot off; then every buyer message awaits a human.
ALTER TABLE shops ADD COLUMN bot_enabled INTEGER NOT NULL DEFAULT 1;

-- Where the bot stands in a conversation: 'bot' while it answers, 'human'
-- once it handed over (until the buyer's question is answered by a person).
ALTER TABLE conversations ADD COLUMN bot_state TEXT NOT NULL DEFAULT 'bot' CHECK (bot_state IN ('bot', 'human'));
ALTER TABLE conversations ADD COLUMN bot_answers_in_row INTEGER NOT NULL DEFAULT 0;
-- When a person (shop or platform) last wrote: for 30 minutes after, the
-- buyer's messages go to people, not to the bot.
ALTER TABLE conversations ADD COLUMN human_at INTEGER;

-- FAQ entries the bot may quote: the platform's (shop_id NULL) and each shop's.
CREATE TABLE faq_entries (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER REFERENCES shops (id),
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    updated_at INTEGER NOT NULL
);
CREATE INDEX faq_entries_shop_idx ON faq_entries (shop_id, id);

-- Bot outcomes per shop and day (day = days since 1970-01-01 in China time,
-- i.e. floor((ms + 8 h) / 1 day)): answers given, conversations settled by the
-- buyer's 已解决, conversations handed over to a person.
CREATE TABLE bot_days (
    day         INTEGER NOT NULL,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    answered    INTEGER NOT NULL DEFAULT 0,
    settled     INTEGER NOT NULL DEFAULT 0,
    handed_over INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, shop_id)
);

-- One review per completed order. Nobody deletes one: held reviews are
-- published or rejected (with a reason) by the platform; the shop replies once.
CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    shop_id         INTEGER NOT NULL REFERENCES shops (id),
    buyer_id        INTEGER NOT NULL REFERENCES users (id),
    stars           INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('published', 'held', 'rejected')),
    hold_reason     TEXT,
    moderated_by    INTEGER REFERENCES users (id),
    moderation_note TEXT,
    moderated_at    INTEGER,
    reply           TEXT,
    replied_by      INTEGER REFERENCES users (id),
    replied_at      INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK (state <> 'rejected' OR length(moderation_note) > 0)
);
CREATE UNIQUE INDEX reviews_order_uq ON reviews (order_id);
CREATE INDEX reviews_shop_idx ON reviews (shop_id, state, created_at);
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are never deleted'); END;

-- The shop's one public response to a published case.
ALTER TABLE cases ADD COLUMN public_response TEXT;
ALTER TABLE cases ADD COLUMN public_response_by INTEGER REFERENCES users (id);
ALTER TABLE cases ADD COLUMN public_response_at INTEGER;
