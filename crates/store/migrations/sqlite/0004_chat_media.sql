-- Pictures sent in conversations, kept in the database itself so a backup of
-- the database backs them up; and how far each side of a conversation has read.
CREATE TABLE chat_images (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    uploader_id     INTEGER NOT NULL REFERENCES users (id),
    sha256          TEXT    NOT NULL,
    mime            TEXT    NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp')),
    width           INTEGER NOT NULL CHECK (width > 0),
    height          INTEGER NOT NULL CHECK (height > 0),
    size            INTEGER NOT NULL CHECK (size > 0),
    bytes           BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX chat_images_conversation_idx ON chat_images (conversation_id, id);

-- The last message id each side has seen; only ever moves forward.
ALTER TABLE conversations ADD COLUMN buyer_read_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN shop_read_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN platform_read_id INTEGER NOT NULL DEFAULT 0;

-- Unread counts: a conversation's buyer messages past a position.
CREATE INDEX messages_side_idx ON messages (conversation_id, side, id);
