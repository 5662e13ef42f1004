-- 直充货源 (direct-top-up suppliers): a supplier is an upstream connection of
-- another protocol — `http_json` (key_id = the supplier's app id, site_name =
-- the merchant's name for it), never synced — so `upstream_orders.connection_id`
-- serves both. A shop's own direct-top-up product is bound to one supplier SKU;
-- its orders' step rows carry that SKU and the account sent.
ALTER TABLE upstream_connections ADD COLUMN protocol TEXT NOT NULL DEFAULT 'youying'
    CHECK (protocol IN ('youying', 'http_json'));

CREATE TABLE supplier_bindings (
    product_id    BIGINT PRIMARY KEY REFERENCES products (id),
    connection_id BIGINT NOT NULL REFERENCES upstream_connections (id),
    shop_id       BIGINT NOT NULL REFERENCES shops (id),
    sku           TEXT   NOT NULL,
    account_field TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX supplier_bindings_connection_idx ON supplier_bindings (connection_id);

ALTER TABLE upstream_orders ADD COLUMN sku TEXT;
ALTER TABLE upstream_orders ADD COLUMN account TEXT;

-- A removed connection stays on file (orders refer to it) but no longer
-- stands in the way of connecting the same address and key again.
DROP INDEX upstream_connections_uq;
CREATE UNIQUE INDEX upstream_connections_uq ON upstream_connections (shop_id, base_url, key_id) WHERE removed_at IS NULL;
