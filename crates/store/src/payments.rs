//! The payments half of the port, in the SQL both backends share. Secrets are
//! stored exactly as the server sealed them.

use youying_core::error::{Error, Result, StorageError};
use youying_core::payments::{Channel, Gateway, GatewayKind, GatewayName, PaymentRead, PaymentTx, Sealed};
use youying_core::values::UserId;

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

const COLS: &str = "name, kind, base_url, pid, key_sealed, merchant_key_sealed, platform_key_sealed, channels, \
                    enabled, updated_by, updated_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad gateway {what}")).into()
}

fn channels(text: &str) -> Result<Vec<Channel>> {
    text.split(',').filter(|c| !c.is_empty()).map(|c| Channel::parse(c).map_err(|_| bad("channel"))).collect()
}

fn gateway(r: &Row) -> Result<Gateway> {
    Ok(Gateway {
        name: GatewayName::parse(&r.text(0)?).map_err(|_| bad("name"))?,
        kind: GatewayKind::parse(&r.text(1)?).map_err(|_| bad("kind"))?,
        base_url: r.text(2)?,
        pid: r.text(3)?,
        key: r.opt_text(4)?.map(Sealed::new),
        merchant_private_key: r.opt_text(5)?.map(Sealed::new),
        platform_public_key: r.opt_text(6)?.map(Sealed::new),
        channels: channels(&r.text(7)?)?,
        enabled: r.int(8)? != 0,
        updated_by: r.opt_int(9)?.map(UserId),
        updated_at: r.time(10)?,
    })
}

fn sealed(s: Option<&Sealed>) -> Option<&str> {
    s.map(Sealed::as_str)
}

impl<C: Conn> PaymentTx for SqlTx<'_, C> {
    fn upsert_gateway(&mut self, g: &Gateway) -> Result<()> {
        let channels = g.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",");
        self.exec(
            &format!(
                "INSERT INTO payment_gateways ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, base_url = excluded.base_url, \
                 pid = excluded.pid, key_sealed = excluded.key_sealed, \
                 merchant_key_sealed = excluded.merchant_key_sealed, \
                 platform_key_sealed = excluded.platform_key_sealed, channels = excluded.channels, \
                 enabled = excluded.enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
            ),
            params![
                g.name.as_str(),
                g.kind.as_str(),
                g.base_url.as_str(),
                g.pid.as_str(),
                sealed(g.key.as_ref()),
                sealed(g.merchant_private_key.as_ref()),
                sealed(g.platform_public_key.as_ref()),
                channels,
                g.enabled,
                g.updated_by.map(|u| u.0),
                g.updated_at
            ],
        )?;
        Ok(())
    }
}

impl<C: Conn> PaymentRead for SqlTx<'_, C> {
    fn gateways(&mut self) -> Result<Vec<Gateway>> {
        self.query(&format!("SELECT {COLS} FROM payment_gateways ORDER BY name"), params![])?
            .iter()
            .map(gateway)
            .collect()
    }

    fn gateway(&mut self, name: &GatewayName) -> Result<Option<Gateway>> {
        self.one(&format!("SELECT {COLS} FROM payment_gateways WHERE name = $1"), params![name.as_str()])?
            .as_ref()
            .map(gateway)
            .transpose()
    }
}
