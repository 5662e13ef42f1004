//! The listing form as typed: shared by 新建商品 and 编辑商品, read back into a
//! [`ProductInput`] the core checks, and prefilled from a stored listing.

use youying_core::Error;
use youying_core::catalogue::{AccountAttr, ProductInput, ProductKind, ProductSpec, Tier, TopupField};

use super::forms::{field, fields, parse_yuan, yuan_input};
use crate::error::AppError;

/// At most this many buyer fields for a top-up (the core's limit).
pub const MAX_TOPUP_FIELDS: usize = 5;

/// One buyer field of a top-up as typed: 字段名, 显示名称, 格式, 必填.
#[derive(Clone)]
pub struct FieldRow {
    pub name: String,
    pub label: String,
    pub pattern: String,
    pub required: bool,
}

impl Default for FieldRow {
    fn default() -> Self {
        Self { name: String::new(), label: String::new(), pattern: String::new(), required: true }
    }
}

/// The form as typed, kept for re-showing it with an error.
#[derive(Default)]
pub struct ProductForm {
    pub category: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub instructions: String,
    pub price: String,
    pub tiers: String,
    pub promises: Vec<String>,
    pub topup_minutes: String,
    pub topup_fields: Vec<FieldRow>,
    pub account_attrs: String,
    /// The field the error is about (`title`, `price`, `tiers`, …), to show it beside that input.
    pub error_field: &'static str,
    pub error: String,
}

impl ProductForm {
    pub fn from_pairs(f: &[(String, String)]) -> Self {
        let get = |n: &str| field(f, n).to_owned();
        // The three inputs of a row are always posted together, so the nth
        // value of each list belongs to the same row.
        // (必填 is a select, not a checkbox, so that every row posts it.)
        let (names, labels, patterns) = (fields(f, "field_name"), fields(f, "field_label"), fields(f, "field_pattern"));
        let required = fields(f, "field_required");
        let topup_fields = (0..names.len().max(labels.len()))
            .map(|i| FieldRow {
                name: names.get(i).copied().unwrap_or_default().to_owned(),
                label: labels.get(i).copied().unwrap_or_default().to_owned(),
                pattern: patterns.get(i).copied().unwrap_or_default().to_owned(),
                required: required.get(i).is_none_or(|r| *r != "0"),
            })
            .collect();
        Self {
            category: get("category"),
            kind: get("kind"),
            title: get("title"),
            description: get("description"),
            instructions: get("instructions"),
            price: get("price"),
            tiers: get("tiers"),
            promises: fields(f, "promises").into_iter().map(str::to_owned).collect(),
            topup_minutes: get("topup_minutes"),
            topup_fields,
            account_attrs: get("account_attrs"),
            ..Self::default()
        }
    }

    /// The stored listing, as the edit form shows it.
    pub fn from_spec(s: &ProductSpec) -> Self {
        let lines = |v: Vec<String>| v.join("\n");
        Self {
            category: s.category.clone(),
            kind: s.kind.as_str().to_owned(),
            title: s.title.clone(),
            description: s.description.clone(),
            instructions: s.instructions.clone(),
            price: yuan_input(s.price_fen),
            tiers: lines(s.tiers.iter().map(|t| format!("{}={}", t.min_qty, yuan_input(t.unit_price_fen))).collect()),
            promises: s.promises.clone(),
            topup_minutes: s.topup_promise_secs.map(|x| (x / 60).to_string()).unwrap_or_default(),
            topup_fields: s
                .topup_fields
                .iter()
                .map(|f| FieldRow {
                    name: f.name.clone(),
                    label: f.label.clone(),
                    pattern: f.pattern.clone().unwrap_or_default(),
                    required: f.required,
                })
                .collect(),
            account_attrs: lines(s.account_attrs.iter().map(|a| format!("{}={}", a.name, a.value)).collect()),
            ..Self::default()
        }
    }

    /// The rows the form shows: those typed plus blank ones, at least two, at most five.
    pub fn field_rows(&self) -> Vec<FieldRow> {
        let mut rows: Vec<FieldRow> = self.topup_fields.clone();
        rows.truncate(MAX_TOPUP_FIELDS);
        let want = (rows.len() + 1).clamp(2, MAX_TOPUP_FIELDS);
        rows.resize(want, FieldRow::default());
        rows
    }

    /// Remembers `e` beside its field (a form-wide message when it names none).
    pub fn with_error(mut self, e: &AppError) -> Self {
        self.error = e.message();
        self.error_field = match e {
            AppError::Core(Error::Invalid { field, .. }) => match *field {
                "price_fen" | "amount_fen" => "price",
                "topup_promise_secs" => "topup_minutes",
                f => f,
            },
            _ => "",
        };
        self
    }

    /// The message if it belongs beside `name`.
    pub fn err(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }

    /// The message when it belongs to no field shown, for the top of the form.
    pub fn general_error(&self) -> &str {
        const SHOWN: &[&str] = &[
            "kind",
            "category",
            "title",
            "price",
            "tiers",
            "promises",
            "description",
            "instructions",
            "topup_minutes",
            "topup_fields",
            "account_attrs",
        ];
        if SHOWN.contains(&self.error_field) { "" } else { &self.error }
    }

    /// Lines `left=right` (an ASCII or full-width equals sign), blank lines skipped.
    fn pairs(text: &str, field: &'static str) -> Result<Vec<(String, String)>, Error> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l
                    .split_once('=')
                    .or_else(|| l.split_once('＝'))
                    .ok_or(Error::Invalid { field, reason: "format" })?;
                Ok((k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect()
    }

    fn parsed_tiers(&self) -> Result<Vec<Tier>, Error> {
        Self::pairs(&self.tiers, "tiers")?
            .into_iter()
            .map(|(q, p)| {
                let min_qty = q.parse().map_err(|_| Error::Invalid { field: "tiers", reason: "format" })?;
                Ok(Tier { min_qty, unit_price_fen: parse_yuan("tiers", &p)? })
            })
            .collect()
    }

    /// The listing input; only the fields of the chosen kind are sent, the
    /// core checks everything else.
    pub fn input(&self) -> Result<ProductInput, Error> {
        let kind = ProductKind::parse(&self.kind)?;
        let mut input = ProductInput {
            category: Some(self.category.clone()),
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            instructions: Some(self.instructions.clone()),
            price_fen: Some(parse_yuan("price", &self.price)?),
            tiers: Some(self.parsed_tiers()?),
            promises: Some(self.promises.clone()),
            ..ProductInput::default()
        };
        if kind == ProductKind::DirectTopup {
            let minutes = self.topup_minutes.trim();
            if !minutes.is_empty() {
                let m: i64 =
                    minutes.parse().map_err(|_| Error::Invalid { field: "topup_promise_secs", reason: "format" })?;
                input.topup_promise_secs = Some(m.saturating_mul(60));
            }
            // Rows left blank are the spare ones the form offers.
            let rows = self.topup_fields.iter().filter(|r| !(r.name.trim().is_empty() && r.label.trim().is_empty()));
            input.topup_fields = Some(
                rows.map(|r| {
                    let pattern = r.pattern.trim();
                    TopupField {
                        name: r.name.trim().to_owned(),
                        label: r.label.trim().to_owned(),
                        pattern: (!pattern.is_empty()).then(|| pattern.to_owned()),
                        required: r.required,
                    }
                })
                .collect(),
            );
        }
        if kind == ProductKind::Account {
            let attrs = Self::pairs(&self.account_attrs, "account_attrs")?;
            input.account_attrs = Some(attrs.into_iter().map(|(name, value)| AccountAttr { name, value }).collect());
        }
        Ok(input)
    }
}
