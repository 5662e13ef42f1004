-- Guests (issue 13 item 4): buyers without a chosen username or password.
-- `users.guest` is the flag every authorization check reads; `guests` holds
-- the contact a guest gave (an e-mail address or a mainland mobile number),
-- unique while the account is a guest and deleted when it is claimed. The
-- query password is the account's password_hash (argon2id, like any password).
ALTER TABLE users ADD COLUMN guest INTEGER NOT NULL DEFAULT 0;

CREATE TABLE guests (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    contact     TEXT    NOT NULL,
    contact_key TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX guests_contact_key_uq ON guests (contact_key);
