//! The evidence chain as the transports and the CLI use it: an order's bundle
//! as a zip for whoever may see the order, and the walk that verifies the chain.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::bundle;
use youying_core::evidence::Verifier;
use youying_core::ports::{ReadTx, Store};

use crate::error::ApiResult;
use crate::state::App;

/// An order's evidence bundle as zip bytes (`evidence.json` + `evidence.html`);
/// the export itself is logged in the chain.
pub async fn export<S: Store>(app: &App<S>, user: User, no: String) -> ApiResult<Vec<u8>> {
    let now = app.now();
    let b = app.store.write(move |tx| bundle::for_order(tx, now, &user, &no)).await?;
    let verifier = format!("{}/verify", app.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/'));
    crate::evidence::to_zip(&b, &verifier)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    pub checked: u64,
    /// The first event that does not verify.
    pub broken_seq: Option<i64>,
    pub reason: Option<String>,
}

/// Walks the whole chain page by page.
pub fn verify_chain(tx: &mut dyn ReadTx) -> youying_core::error::Result<VerifyView> {
    let mut v = Verifier::default();
    loop {
        let page = tx.events_after(v.last_seq(), 1_000)?;
        if page.is_empty() {
            return Ok(VerifyView { ok: true, checked: v.checked, broken_seq: None, reason: None });
        }
        for e in &page {
            if let Err(b) = v.check(e) {
                return Ok(VerifyView {
                    ok: false,
                    checked: v.checked,
                    broken_seq: Some(b.seq),
                    reason: Some(b.reason.to_owned()),
                });
            }
        }
    }
}
