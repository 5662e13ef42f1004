//! A ledger statement as the wallet pages list it: each line's kind in
//! Chinese, its memo, the order it belongs to and the signed amount. Shared
//! by the buyer's wallet and the shop's 货款 page.

use youying_core::orders::StatementLine;

use crate::fmt::{fmt_fen, fmt_time};
use crate::i18n;

pub(crate) struct LineRow {
    pub(crate) at: String,
    pub(crate) kind: &'static str,
    pub(crate) memo: String,
    /// The order the line belongs to, if any.
    pub(crate) order_no: Option<String>,
    pub(crate) amount: String,
    pub(crate) credit: bool,
}

pub(crate) fn row(l: StatementLine) -> LineRow {
    let kind = i18n::t(&format!("ledger.{}", l.kind));
    LineRow {
        at: fmt_time(l.at),
        kind: if kind.starts_with('（') { i18n::t("ledger.other") } else { kind },
        memo: l.memo,
        order_no: l.subject.strip_prefix("order:").map(str::to_owned),
        amount: if l.amount_fen > 0 { format!("+{}", fmt_fen(l.amount_fen)) } else { fmt_fen(l.amount_fen) },
        credit: l.amount_fen > 0,
    }
}
