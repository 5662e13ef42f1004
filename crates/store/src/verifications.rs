//! The web verifier's results (`verifications`), in the SQL both backends share.

use youying_core::Timestamp;
use youying_core::bundle::port::{Verification, VerificationRead, VerificationTx};
use youying_core::error::Result;

use crate::sql::{Conn, params};
use crate::sqltx::SqlTx;

impl<C: Conn> VerificationTx for SqlTx<'_, C> {
    fn insert_verification(&mut self, v: &Verification) -> Result<()> {
        self.exec(
            "INSERT INTO verifications (id, checked_at, order_no, bundle_sha256, ok, result) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![&v.id, v.checked_at, &v.order_no, &v.bundle_sha256, i64::from(v.ok), &v.result],
        )?;
        Ok(())
    }
}

impl<C: Conn> VerificationRead for SqlTx<'_, C> {
    fn verification(&mut self, id: &str, since: Timestamp) -> Result<Option<Verification>> {
        let row = self.one(
            "SELECT id, checked_at, order_no, bundle_sha256, ok, result FROM verifications \
             WHERE id = $1 AND checked_at >= $2",
            params![id, since],
        )?;
        row.map(|r| {
            Ok(Verification {
                id: r.text(0)?,
                checked_at: r.time(1)?,
                order_no: r.text(2)?,
                bundle_sha256: r.text(3)?,
                ok: r.int(4)? != 0,
                result: r.text(5)?,
            })
        })
        .transpose()
    }
}
