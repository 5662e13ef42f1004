//! Card-key and account stock: parsing an import in the formats the trade uses,
//! and the all-or-nothing import rule. The core never sees a key in the clear
//! past parsing: the server seals (encrypts and fingerprints) what it parsed.

pub mod model;
pub mod port;

pub use self::model::SealedUnit;
pub use self::port::{ClaimedUnit, StockRead, StockTx};

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::json;

use crate::accounts::port::User;
use crate::authz::ShopAction;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::shops;
use crate::values::ProductId;

/// At most this many lines per import (a larger file is split by the sender).
pub const MAX_LINES: usize = 200_000;

/// One parsed line: `code`, `code secret`, `code----secret` or `code,secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct RawUnit {
    pub line: usize,
    pub code: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for RawUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawUnit(line {}, ***)", self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    pub line: usize,
    /// `too_many_parts`, `too_long`, `control_characters`, `empty_code`.
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DupLine {
    pub line: usize,
    /// The earlier line in the same file with the same code, if any.
    pub same_as_line: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub units: Vec<RawUnit>,
    pub bad: Vec<BadLine>,
    pub duplicates: Vec<DupLine>,
    pub lines: usize,
}

fn split(line: &str) -> Vec<&str> {
    for sep in ["----", ",", "，", "\t"] {
        if line.contains(sep) {
            return line.split(sep).map(str::trim).collect();
        }
    }
    line.split_whitespace().collect()
}

/// Parses an import. Blank lines are ignored; everything else is a unit, a bad
/// line, or a duplicate of an earlier line. Line numbers are 1-based.
pub fn parse(text: &str) -> Result<Parsed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Parsed::default();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        out.lines = line;
        if line > MAX_LINES {
            return Err(Error::Invalid { field: "stock", reason: "too_many_lines" });
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let parts = split(trimmed);
        let reason = match parts.as_slice() {
            _ if trimmed.chars().any(char::is_control) && !trimmed.contains('\t') => Some("control_characters"),
            ["", ..] => Some("empty_code"),
            [_, ""] => Some("empty_secret"),
            p if p.len() > 2 => Some("too_many_parts"),
            p if p.iter().any(|s| s.chars().count() > 200) => Some("too_long"),
            _ => None,
        };
        if let Some(reason) = reason {
            out.bad.push(BadLine { line, reason });
            continue;
        }
        let code = parts[0];
        if let Some(&first) = seen.get(code) {
            out.duplicates.push(DupLine { line, same_as_line: Some(first) });
            continue;
        }
        seen.insert(code, line);
        out.units.push(RawUnit { line, code: code.to_owned(), secret: parts.get(1).map(|s| (*s).to_owned()) });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub lines: usize,
    pub imported: usize,
    pub bad_lines: Vec<BadLine>,
    pub duplicates_in_file: Vec<DupLine>,
    /// Lines whose code is already in this shop's stock or was sold by it.
    pub duplicates_existing: Vec<usize>,
    /// True when nothing was imported because of the lines above.
    pub rejected: bool,
    pub skipped_duplicates: usize,
}

/// Imports sealed units all or nothing: any bad line, or any duplicate unless
/// `skip_duplicates`, rejects the whole import and writes nothing.
pub fn import(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    product: ProductId,
    parsed: &Parsed,
    sealed: Vec<SealedUnit>,
    skip_duplicates: bool,
) -> Result<ImportReport> {
    let p = tx.product(product)?.ok_or(Error::NotFound)?;
    shops::load(tx, actor, p.shop_id, ShopAction::Manage)?;
    if !p.spec.kind.has_stock() {
        return Err(Error::Invalid { field: "product", reason: "no_stock_for_direct_topup" });
    }
    let fps: Vec<String> = sealed.iter().map(|u| u.fingerprint.clone()).collect();
    let existing: HashSet<String> = tx.existing_fingerprints(p.shop_id, &fps)?.into_iter().collect();
    let mut report = ImportReport {
        lines: parsed.lines,
        bad_lines: parsed.bad.clone(),
        duplicates_in_file: parsed.duplicates.clone(),
        duplicates_existing: sealed.iter().filter(|u| existing.contains(&u.fingerprint)).map(|u| u.line).collect(),
        ..ImportReport::default()
    };
    let dups = report.duplicates_in_file.len() + report.duplicates_existing.len();
    if !report.bad_lines.is_empty() || (dups > 0 && !skip_duplicates) || sealed.is_empty() {
        report.rejected = true;
        return Ok(report);
    }
    let fresh: Vec<SealedUnit> = sealed.into_iter().filter(|u| !existing.contains(&u.fingerprint)).collect();
    if fresh.is_empty() {
        report.rejected = true;
        return Ok(report);
    }
    tx.insert_units(p.shop_id, p.id, &fresh, now)?;
    report.imported = fresh.len();
    report.skipped_duplicates = dups;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "stock.imported",
        format!("product:{}", p.id),
        json!({ "count": report.imported, "skipped_duplicates": dups, "lines": report.lines }),
    ))?;
    Ok(report)
}

/// Withdraws every unsold unit of a product (or `limit` of them); returns how many.
pub fn withdraw(tx: &mut dyn Tx, now: Timestamp, actor: &User, product: ProductId, limit: Option<i64>) -> Result<i64> {
    let p = tx.product(product)?.ok_or(Error::NotFound)?;
    shops::load(tx, actor, p.shop_id, ShopAction::Manage)?;
    let n = tx.withdraw_units(p.id, limit.unwrap_or(i64::MAX))?;
    if n > 0 {
        tx.append(NewEvent::new(
            now,
            Some(actor.id),
            "stock.withdrawn",
            format!("product:{}", p.id),
            json!({ "count": n }),
        ))?;
    }
    Ok(n)
}

/// The unsold units of a listing, still sealed, for its shop's manager to
/// download. Reading them reveals keys, so it is an evidence event (how many,
/// by whom), written in the same transaction as the read.
pub fn export(tx: &mut dyn Tx, now: Timestamp, actor: &User, product: ProductId) -> Result<Vec<ClaimedUnit>> {
    let p = tx.product(product)?.ok_or(Error::NotFound)?;
    shops::load(tx, actor, p.shop_id, ShopAction::Manage)?;
    if !p.spec.kind.has_stock() {
        return Err(Error::Invalid { field: "product", reason: "no_stock_for_direct_topup" });
    }
    let limit = i64::try_from(MAX_LINES).unwrap_or(i64::MAX);
    let units = tx.unsold_units(product, limit)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "stock.exported",
        format!("product:{product}"),
        json!({ "shop_id": p.shop_id.0, "units": units.len() }),
    ))?;
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trade_formats_parse() {
        let p = parse("\u{feff}AAAA-1111\nBBBB 2222\nCCCC----3333\nDDDD,4444\nEEEE，5555\n\n  FFFF\t6666  \n").unwrap();
        let got: Vec<_> = p.units.iter().map(|u| (u.line, u.code.as_str(), u.secret.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (1, "AAAA-1111", None),
                (2, "BBBB", Some("2222")),
                (3, "CCCC", Some("3333")),
                (4, "DDDD", Some("4444")),
                (5, "EEEE", Some("5555")),
                (7, "FFFF", Some("6666")),
            ]
        );
        assert!(p.bad.is_empty() && p.duplicates.is_empty());
    }

    #[test]
    fn bad_and_duplicate_lines_are_reported_by_number() {
        let long = "x".repeat(201);
        let p = parse(&format!("A1\nA B C\n{long}\nA1\n,secret\nB2----\nA1 other")).unwrap();
        assert_eq!(
            p.bad.iter().map(|b| (b.line, b.reason)).collect::<Vec<_>>(),
            vec![(2, "too_many_parts"), (3, "too_long"), (5, "empty_code"), (6, "empty_secret")]
        );
        assert_eq!(
            p.duplicates,
            vec![DupLine { line: 4, same_as_line: Some(1) }, DupLine { line: 7, same_as_line: Some(1) }]
        );
        assert_eq!(p.units.len(), 1);
        assert!(!format!("{:?}", p.units).contains("A1"), "Debug never shows a key");
    }
}
