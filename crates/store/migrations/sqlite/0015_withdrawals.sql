-- Withdrawals (提现): money out of a shop's or a person's wallet, requested,
-- then paid or rejected by staff. `wallet` is the ledger key (`shop:3`,
-- `user:7`); the payee's account number and real name are sealed by the
-- server's master key, only the masked account is stored in the clear.
CREATE TABLE withdrawals (
    id               INTEGER PRIMARY KEY,
    wallet           TEXT    NOT NULL,
    requested_by     INTEGER NOT NULL REFERENCES users (id),
    amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
    fee_fen          INTEGER NOT NULL CHECK (fee_fen >= 0 AND fee_fen <= amount_fen),
    method           TEXT    NOT NULL CHECK (method IN ('alipay', 'wxpay', 'bank')),
    account_sealed   TEXT    NOT NULL,
    account_masked   TEXT    NOT NULL,
    real_name_sealed TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('requested', 'paid', 'rejected')),
    transfer_ref     TEXT,
    reason           TEXT,
    requested_at     INTEGER NOT NULL,
    decided_by       INTEGER REFERENCES users (id),
    decided_at       INTEGER
);
CREATE INDEX withdrawals_wallet_idx ON withdrawals (wallet, requested_at);
CREATE INDEX withdrawals_state_idx ON withdrawals (state, requested_at);
