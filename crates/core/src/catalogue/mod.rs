//! The catalogue: categories, product kinds, promises, wholesale tiers, top-up
//! input fields and declared account attributes — parsed into a [`ProductSpec`]
//! that cannot be malformed. The price a buyer pays is always computed here.

pub mod port;
mod topup_field;

pub use self::port::{CardFacts, CatalogueRead, CatalogueTx, Product};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::Fen;
use crate::rules::Rule;

/// (code, 中文名). Codes are what the API speaks.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("game_card", "游戏点卡"),
    ("software_key", "软件激活码"),
    ("membership", "会员账号"),
    ("topup", "话费/游戏直充"),
    ("game_account", "游戏账号"),
    ("gift_card", "礼品卡"),
];

pub fn category_name(code: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The fixed list of promises a listing may make; each becomes part of the
/// snapshot the buyer can hold the merchant to.
pub const PROMISES: &[(&str, &str)] = &[
    ("instant", "秒到账"),
    ("after_sales", "包售后"),
    ("auto_delivery", "自动发货"),
    ("invalid_refund", "无效包退"),
    ("lifetime_warranty", "永久质保"),
];

pub fn promise_name(code: &str) -> Option<&'static str> {
    PROMISES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The time a top-up promises: 秒到账 means the instant rule, else the
/// listing's own time, else the platform default.
pub fn topup_promise_secs(promises: &[String], own: Option<i64>, rules: &crate::rules::Rules) -> i64 {
    if promises.iter().any(|p| p == "instant") {
        rules.get(Rule::TopupInstantPromiseSecs)
    } else {
        own.unwrap_or_else(|| rules.get(Rule::TopupDefaultPromiseSecs))
    }
}

/// How long after delivery (or fulfilment) a case may be opened, per kind.
pub fn protect_secs(kind: ProductKind, rules: &crate::rules::Rules) -> i64 {
    match kind {
        ProductKind::CardKey => rules.get(Rule::ProtectCardKeySecs),
        ProductKind::DirectTopup => rules.get(Rule::ProtectTopupSecs),
        ProductKind::Account => rules.get(Rule::ProtectAccountSecs),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Delivered at once from imported stock: a code, optionally with a secret.
    CardKey,
    /// Fulfilled by the merchant to the buyer's account within a promised time.
    DirectTopup,
    /// Delivered at once from imported credentials; judged against declared attributes.
    Account,
}

impl ProductKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::CardKey => "card_key",
            ProductKind::DirectTopup => "direct_topup",
            ProductKind::Account => "account",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "card_key" => Ok(ProductKind::CardKey),
            "direct_topup" => Ok(ProductKind::DirectTopup),
            "account" => Ok(ProductKind::Account),
            _ => Err(Error::Invalid { field: "kind", reason: "unknown_kind" }),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProductKind::CardKey => "卡密",
            ProductKind::DirectTopup => "直充",
            ProductKind::Account => "账号",
        }
    }

    /// Whether units come from imported stock.
    pub fn has_stock(self) -> bool {
        !matches!(self, ProductKind::DirectTopup)
    }
}

/// Buying at least `min_qty` costs `unit_price_fen` each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_qty: i64,
    pub unit_price_fen: i64,
}

/// An input the buyer must fill for a top-up, e.g. QQ号 with a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopupField {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub pattern: Option<String>,
    /// Whether the buyer must fill it (e.g. QQ号) or may leave it blank (备注).
    /// Left out of the JSON when true, so snapshots taken before the flag
    /// existed hash the same.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_true(b: &bool) -> bool {
    *b
}

/// A declared attribute of an account listing, e.g. 等级 = 80.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAttr {
    pub name: String,
    pub value: String,
}

/// Everything a listing says, validated. Stored with the product and copied
/// whole into every order's snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSpec {
    pub category: String,
    pub kind: ProductKind,
    pub title: String,
    pub description: String,
    pub instructions: String,
    pub price_fen: i64,
    pub tiers: Vec<Tier>,
    pub promises: Vec<String>,
    /// For top-ups: the promised delivery time, seconds.
    pub topup_promise_secs: Option<i64>,
    pub topup_fields: Vec<TopupField>,
    pub account_attrs: Vec<AccountAttr>,
    pub max_per_order: i64,
}

/// What a merchant sends; every field is checked by [`ProductSpec::parse`].
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProductInput {
    pub category: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub price_fen: Option<i64>,
    pub tiers: Option<Vec<Tier>>,
    pub promises: Option<Vec<String>>,
    pub topup_promise_secs: Option<i64>,
    pub topup_fields: Option<Vec<TopupField>>,
    pub account_attrs: Option<Vec<AccountAttr>>,
    pub max_per_order: Option<i64>,
}

fn bad(field: &'static str, reason: &'static str) -> Error {
    Error::Invalid { field, reason }
}

fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(bad(field, "length"));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(bad(field, "control_characters"));
    }
    Ok(t.to_owned())
}

impl ProductSpec {
    /// A new listing from input; missing required fields are errors.
    pub fn parse(input: &ProductInput) -> Result<Self> {
        let spec = ProductSpec {
            category: input.category.clone().ok_or(bad("category", "required"))?,
            kind: ProductKind::parse(input.kind.as_deref().ok_or(bad("kind", "required"))?)?,
            title: input.title.clone().ok_or(bad("title", "required"))?,
            description: input.description.clone().unwrap_or_default(),
            instructions: input.instructions.clone().unwrap_or_default(),
            price_fen: input.price_fen.ok_or(bad("price_fen", "required"))?,
            tiers: input.tiers.clone().unwrap_or_default(),
            promises: input.promises.clone().unwrap_or_default(),
            topup_promise_secs: input.topup_promise_secs,
            topup_fields: input.topup_fields.clone().unwrap_or_default(),
            account_attrs: input.account_attrs.clone().unwrap_or_default(),
            max_per_order: input.max_per_order.unwrap_or(100),
        };
        spec.validated()
    }

    /// This listing with the given fields changed; the kind never changes
    /// (stock and orders depend on it).
    pub fn patched(&self, p: &ProductInput) -> Result<Self> {
        if p.kind.as_deref().is_some_and(|k| k != self.kind.as_str()) {
            return Err(bad("kind", "immutable"));
        }
        let mut s = self.clone();
        if let Some(v) = &p.category {
            s.category.clone_from(v)
        }
        if let Some(v) = &p.title {
            s.title.clone_from(v)
        }
        if let Some(v) = &p.description {
            s.description.clone_from(v)
        }
        if let Some(v) = &p.instructions {
            s.instructions.clone_from(v)
        }
        if let Some(v) = p.price_fen {
            s.price_fen = v
        }
        if let Some(v) = &p.tiers {
            s.tiers.clone_from(v)
        }
        if let Some(v) = &p.promises {
            s.promises.clone_from(v)
        }
        if p.topup_promise_secs.is_some() {
            s.topup_promise_secs = p.topup_promise_secs
        }
        if let Some(v) = &p.topup_fields {
            s.topup_fields.clone_from(v)
        }
        if let Some(v) = &p.account_attrs {
            s.account_attrs.clone_from(v)
        }
        if let Some(v) = p.max_per_order {
            s.max_per_order = v
        }
        s.validated()
    }

    fn validated(mut self) -> Result<Self> {
        if category_name(&self.category).is_none() {
            return Err(bad("category", "unknown_category"));
        }
        self.title = text("title", &self.title, 2, 80)?;
        self.description = text("description", &self.description, 0, 10_000)?;
        self.instructions = text("instructions", &self.instructions, 0, 2_000)?;
        let price = Fen::positive(self.price_fen)?;
        if !(1..=1_000).contains(&self.max_per_order) {
            return Err(bad("max_per_order", "range_1_1000"));
        }
        self.tiers.sort_by_key(|t| t.min_qty);
        let mut last = price.get();
        for t in &self.tiers {
            Fen::positive(t.unit_price_fen)?;
            if t.min_qty < 2 || t.unit_price_fen >= last || t.min_qty > self.max_per_order {
                return Err(bad("tiers", "tiers_must_lower_the_price_as_quantity_grows"));
            }
            last = t.unit_price_fen;
        }
        if self.tiers.windows(2).any(|w| w[0].min_qty == w[1].min_qty) {
            return Err(bad("tiers", "duplicate_min_qty"));
        }
        self.promises.dedup();
        if self.promises.iter().any(|p| promise_name(p).is_none()) || self.promises.len() > PROMISES.len() {
            return Err(bad("promises", "unknown_promise"));
        }
        self.validate_kind_fields()?;
        Ok(self)
    }

    fn validate_kind_fields(&mut self) -> Result<()> {
        match self.kind {
            ProductKind::DirectTopup => {
                if self.topup_fields.is_empty() || self.topup_fields.len() > 5 {
                    return Err(bad("topup_fields", "one_to_five_fields"));
                }
                for f in &self.topup_fields {
                    let ok_name = !f.name.is_empty()
                        && f.name.len() <= 32
                        && f.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !ok_name || f.label.trim().is_empty() || f.label.chars().count() > 20 {
                        return Err(bad("topup_fields", "name_or_label"));
                    }
                    if let Some(p) = &f.pattern
                        && (p.len() > 200 || regex::Regex::new(&format!("^(?:{p})$")).is_err())
                    {
                        return Err(bad("topup_fields", "bad_pattern"));
                    }
                }
                if let Some(secs) = self.topup_promise_secs
                    && !(60..=30 * 86_400).contains(&secs)
                {
                    return Err(bad("topup_promise_secs", "range"));
                }
            }
            ProductKind::CardKey | ProductKind::Account => {
                if !self.topup_fields.is_empty() || self.topup_promise_secs.is_some() {
                    return Err(bad("topup_fields", "only_for_direct_topup"));
                }
            }
        }
        if self.kind != ProductKind::Account && !self.account_attrs.is_empty() {
            return Err(bad("account_attrs", "only_for_account"));
        }
        if self.account_attrs.len() > 30
            || self
                .account_attrs
                .iter()
                .any(|a| a.name.trim().is_empty() || a.name.chars().count() > 20 || a.value.chars().count() > 100)
        {
            return Err(bad("account_attrs", "name_or_value"));
        }
        Ok(())
    }

    /// The unit price for `qty`, from the base price and the tiers.
    pub fn unit_price(&self, qty: i64) -> Fen {
        let unit = self.tiers.iter().rev().find(|t| qty >= t.min_qty).map_or(self.price_fen, |t| t.unit_price_fen);
        Fen::new(unit).unwrap_or(Fen::ZERO)
    }

    pub fn has_promise(&self, code: &str) -> bool {
        self.promises.iter().any(|p| p == code)
    }

    /// Checks a buyer's top-up target against the declared fields; returns it
    /// normalised (trimmed, only the declared fields, in declared order).
    pub fn check_topup_target(&self, target: Option<&serde_json::Value>) -> Result<Option<serde_json::Value>> {
        if self.kind != ProductKind::DirectTopup {
            return if target.is_none_or(serde_json::Value::is_null) {
                Ok(None)
            } else {
                Err(bad("topup_target", "not_a_topup"))
            };
        }
        let obj = target.and_then(serde_json::Value::as_object).ok_or(bad("topup_target", "required"))?;
        let mut out = serde_json::Map::new();
        for f in &self.topup_fields {
            let v = obj.get(&f.name).and_then(serde_json::Value::as_str).map(str::trim).unwrap_or("");
            if v.is_empty() && !f.required {
                continue;
            }
            if v.is_empty() || v.chars().count() > 100 {
                return Err(bad("topup_target", "missing_field"));
            }
            if let Some(p) = &f.pattern {
                let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|_| bad("topup_target", "bad_pattern"))?;
                if !re.is_match(v) {
                    return Err(bad("topup_target", "pattern_mismatch"));
                }
            }
            out.insert(f.name.clone(), serde_json::Value::String(v.to_owned()));
        }
        Ok(Some(serde_json::Value::Object(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn card() -> ProductInput {
        ProductInput {
            category: Some("game_card".into()),
            kind: Some("card_key".into()),
            title: Some("腾讯Q币点卡 100元".into()),
            price_fen: Some(9_800),
            tiers: Some(vec![Tier { min_qty: 10, unit_price_fen: 9_600 }, Tier { min_qty: 50, unit_price_fen: 9_500 }]),
            promises: Some(vec!["instant".into(), "auto_delivery".into()]),
            ..ProductInput::default()
        }
    }

    #[test]
    fn tiers_set_the_price_on_the_server() {
        let s = ProductSpec::parse(&card()).unwrap();
        assert_eq!(s.unit_price(1).get(), 9_800);
        assert_eq!(s.unit_price(10).get(), 9_600);
        assert_eq!(s.unit_price(60).get(), 9_500);
        let mut bad_tiers = card();
        bad_tiers.tiers = Some(vec![Tier { min_qty: 10, unit_price_fen: 9_900 }]);
        assert!(ProductSpec::parse(&bad_tiers).is_err(), "a tier may not raise the price");
    }

    #[test]
    fn inputs_are_checked() {
        let mut i = card();
        i.category = Some("weapons".into());
        assert!(ProductSpec::parse(&i).is_err());
        let mut i = card();
        i.promises = Some(vec!["guaranteed_riches".into()]);
        assert!(ProductSpec::parse(&i).is_err());
        let mut i = card();
        i.price_fen = Some(0);
        assert!(ProductSpec::parse(&i).is_err());
        let s = ProductSpec::parse(&card()).unwrap();
        let kind_change = ProductInput { kind: Some("account".into()), ..ProductInput::default() };
        assert!(s.patched(&kind_change).is_err());
        let retitled =
            s.patched(&ProductInput { title: Some("  新标题  ".into()), ..ProductInput::default() }).unwrap();
        assert_eq!(retitled.title, "新标题");
    }

    #[test]
    fn topup_targets_follow_the_declared_fields() {
        let i = ProductInput {
            category: Some("topup".into()),
            kind: Some("direct_topup".into()),
            title: Some("QQ会员直充 1个月".into()),
            price_fen: Some(1_500),
            topup_fields: Some(vec![TopupField {
                name: "qq".into(),
                label: "QQ号".into(),
                pattern: Some("[1-9][0-9]{4,11}".into()),
                required: true,
            }]),
            ..ProductInput::default()
        };
        let s = ProductSpec::parse(&i).unwrap();
        assert_eq!(s.check_topup_target(Some(&json!({"qq": " 123456 "}))).unwrap(), Some(json!({"qq": "123456"})));
        assert!(s.check_topup_target(Some(&json!({"qq": "abc"}))).is_err());
        assert!(s.check_topup_target(None).is_err());
        let mut bad = i.clone();
        bad.topup_fields = Some(vec![TopupField {
            name: "qq".into(),
            label: "QQ号".into(),
            pattern: Some("([".into()),
            required: true,
        }]);
        assert!(ProductSpec::parse(&bad).is_err());
    }
}
