//! API keys and open-API order links, in the SQL both backends share. The
//! secret is stored exactly as the server sealed it (migration 0018 says why).

use youying_core::apikeys::{ApiKey, ApiKeyId, ApiKeyRead, ApiKeyTx, NewApiKey, OpenOrder};
use youying_core::clock::Timestamp;
use youying_core::error::Result;
use youying_core::payments::Sealed;
use youying_core::values::{OrderId, UserId};

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

const COLS: &str = "id, user_id, key_id, name, secret_sealed, created_at, last_used_at, revoked_at";
const LINK_COLS: &str = "order_id, api_key_id, downstream_order_no, callback_url, created_at";

fn key(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(r.int(0)?),
        user_id: UserId(r.int(1)?),
        key_id: r.text(2)?,
        name: r.text(3)?,
        secret: Sealed::new(r.text(4)?),
        created_at: r.time(5)?,
        last_used_at: r.opt_time(6)?,
        revoked_at: r.opt_time(7)?,
    })
}

fn link(r: &Row) -> Result<OpenOrder> {
    Ok(OpenOrder {
        order_id: OrderId(r.int(0)?),
        api_key_id: ApiKeyId(r.int(1)?),
        downstream_order_no: r.text(2)?,
        callback_url: r.opt_text(3)?,
        created_at: r.time(4)?,
    })
}

impl<C: Conn> ApiKeyRead for SqlTx<'_, C> {
    fn api_key_by_key_id(&mut self, key_id: &str) -> Result<Option<ApiKey>> {
        self.one(&format!("SELECT {COLS} FROM api_keys WHERE key_id = $1"), params![key_id])?
            .map(|r| key(&r))
            .transpose()
    }

    fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>> {
        self.one(&format!("SELECT {COLS} FROM api_keys WHERE id = $1"), params![id.0])?.map(|r| key(&r)).transpose()
    }

    fn api_keys_of(&mut self, user: UserId) -> Result<Vec<ApiKey>> {
        self.query(&format!("SELECT {COLS} FROM api_keys WHERE user_id = $1 ORDER BY id DESC"), params![user.0])?
            .iter()
            .map(key)
            .collect()
    }

    fn open_order(&mut self, order: OrderId) -> Result<Option<OpenOrder>> {
        self.one(&format!("SELECT {LINK_COLS} FROM open_orders WHERE order_id = $1"), params![order.0])?
            .map(|r| link(&r))
            .transpose()
    }

    fn open_order_by_no(&mut self, key: ApiKeyId, downstream_order_no: &str) -> Result<Option<OpenOrder>> {
        self.one(
            &format!("SELECT {LINK_COLS} FROM open_orders WHERE api_key_id = $1 AND downstream_order_no = $2"),
            params![key.0, downstream_order_no],
        )?
        .map(|r| link(&r))
        .transpose()
    }
}

impl<C: Conn> ApiKeyTx for SqlTx<'_, C> {
    fn insert_api_key(&mut self, k: &NewApiKey) -> Result<ApiKeyId> {
        self.insert_id(
            "INSERT INTO api_keys (user_id, key_id, name, secret_sealed, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![k.user_id.0, k.key_id.as_str(), k.name.as_str(), k.secret.as_str(), k.created_at],
        )
        .map(ApiKeyId)
    }

    fn revoke_api_key(&mut self, id: ApiKeyId, at: Timestamp) -> Result<bool> {
        let n =
            self.exec("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", params![id.0, at])?;
        Ok(n == 1)
    }

    fn touch_api_key(&mut self, id: ApiKeyId, at: Timestamp) -> Result<()> {
        let before = at.plus_millis(-youying_core::apikeys::TOUCH_EVERY_MS);
        self.exec(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
            params![id.0, at, before],
        )?;
        Ok(())
    }

    fn insert_open_order(&mut self, o: &OpenOrder) -> Result<()> {
        self.exec(
            "INSERT INTO open_orders (order_id, api_key_id, downstream_order_no, callback_url, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            params![o.order_id.0, o.api_key_id.0, &o.downstream_order_no, o.callback_url.as_deref(), o.created_at],
        )?;
        Ok(())
    }
}
