//! After-sales cases (售后): opened by the buyer inside the protection window,
//! resolved within 24 hours by the merchant, the buyer's acceptance, platform
//! arbitration or — failing all of them — an automatic full refund.
//!
//! States and who moves them:
//! ```text
//! awaiting_merchant ─reissue/fulfil/partial─▶ awaiting_buyer ─accept─▶ resolved_*
//!        │ contest, or 12 h silence            │ refuse
//!        ▼                                     ▼
//!   in_arbitration ─platform decision─▶ resolved_refunded / resolved_partial / rejected
//! any open state ─merchant refund─▶ resolved_refunded;  open at 24 h ─▶ safety net
//! ```
//! Every function checks who acts and in which state; money moves only through
//! [`refund::refund`], the one waterfall every refund path uses.

mod act;
mod clock;
mod close;
mod evidence;
pub mod model;
mod open;
pub mod port;
pub mod publication;
pub mod refund;
pub mod units;

pub use act::{Action, Decision, MAX_TEXT, act, refundable};
pub(crate) use act::{FromSource, from_source};
pub use clock::{merchant_deadline, merchant_warning, resolve_deadline};
pub use evidence::{Attachment, sniff_image};
pub use model::{Case, CaseAction, CaseState, CaseType, EvidenceMeta, Side};
pub use open::{OpenCase, open};

pub(crate) use close::record;

use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::error::{Error, Result};
use crate::ports::ReadTx;
use crate::shops::port::ShopRead;
use crate::values::CaseId;

/// How `actor` relates to the case; unrelated actors get `NotFound`.
pub fn side_of(tx: &mut dyn ShopRead, actor: &User, case: &Case) -> Result<Side> {
    if case.buyer_id == actor.id {
        return Ok(Side::Buyer);
    }
    if actor.role.is_platform() {
        return Ok(Side::Platform);
    }
    let shop = tx.shop(case.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    Ok(Side::Merchant)
}

/// A case with its timeline and evidence list, for whoever may see it.
pub fn load_for(tx: &mut dyn ReadTx, actor: &User, id: CaseId) -> Result<(Case, Side)> {
    let case = tx.case(id)?.ok_or(Error::NotFound)?;
    let side = side_of(tx, actor, &case)?;
    Ok((case, side))
}
