-- Buyer levels (issue 14): levels with a discount in basis points (at most
-- half off), one of them the default (a partial unique index keeps it one);
-- the level an admin put an account on (none: the default); a shop's fixed
-- unit price per level on a product. 普通会员 is seeded as the default, 0 bp.
CREATE TABLE levels (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    discount_bp INTEGER NOT NULL CHECK (discount_bp >= 0 AND discount_bp <= 5000),
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX levels_name_uq ON levels (name);
CREATE UNIQUE INDEX levels_default_uq ON levels (is_default) WHERE is_default = 1;

CREATE TABLE user_levels (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    level_id    INTEGER NOT NULL REFERENCES levels (id),
    assigned_by INTEGER NOT NULL REFERENCES users (id),
    assigned_at INTEGER NOT NULL
);

CREATE TABLE product_level_prices (
    product_id     INTEGER NOT NULL REFERENCES products (id),
    level_id       INTEGER NOT NULL REFERENCES levels (id),
    unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen > 0),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (product_id, level_id)
);

INSERT INTO levels (name, position, discount_bp, is_default, created_at, updated_at)
VALUES ('普通会员', 0, 0, 1, 0, 0);
