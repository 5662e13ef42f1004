//! The order snapshot: the listing as the buyer saw it when paying. Stored as
//! canonical JSON (sorted keys) and hashed; the hash is in the order's
//! evidence, so the text of a snapshot never changes once written. Readers
//! parse the stored text back into [`Snapshot`] instead of reading it by key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalogue::Product;
use crate::catalogue::{self, AccountAttr, ProductKind, Tier, TopupField};
use crate::clock::Timestamp;
use crate::evidence::canonical_json;
use crate::levels::model::PriceBasis;
use crate::money::Fen;
use crate::values::{ProductId, ShopId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub product_id: ProductId,
    pub product_version: i64,
    pub shop: ShopRef,
    pub category: Named,
    pub kind: ProductKind,
    pub title: String,
    pub description: String,
    pub instructions: String,
    pub price_fen: i64,
    pub tiers: Vec<Tier>,
    pub promises: Vec<Named>,
    pub topup_promise_secs: Option<i64>,
    pub topup_fields: Vec<TopupField>,
    pub account_attrs: Vec<AccountAttr>,
    pub paid: Paid,
    /// Milliseconds since the epoch.
    pub captured_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopRef {
    pub id: ShopId,
    pub name: String,
}

/// A catalogue code with its name at the time (`None` for a code the catalogue did not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub code: String,
    pub name: Option<String>,
}

impl Named {
    fn of(code: &str, name: Option<&str>) -> Self {
        Self { code: code.to_owned(), name: name.map(str::to_owned) }
    }
}

/// What the buyer paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paid {
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
    /// Why the unit price was lower than the listing says, when a buyer level
    /// made it so (`levels::quote`). Absent otherwise, so snapshots without a
    /// level keep the bytes (and hashes) they always had.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub basis: Option<PriceBasis>,
}

impl Snapshot {
    /// The listing as it is now, with what the buyer pays for it.
    pub fn capture(product: &Product, shop_name: &str, qty: i64, unit: Fen, total: Fen, at: Timestamp) -> Self {
        let s = &product.spec;
        Snapshot {
            product_id: product.id,
            product_version: product.version,
            shop: ShopRef { id: product.shop_id, name: shop_name.to_owned() },
            category: Named::of(&s.category, catalogue::category_name(&s.category)),
            kind: s.kind,
            title: s.title.clone(),
            description: s.description.clone(),
            instructions: s.instructions.clone(),
            price_fen: s.price_fen,
            tiers: s.tiers.clone(),
            promises: s.promises.iter().map(|p| Named::of(p, catalogue::promise_name(p))).collect(),
            topup_promise_secs: s.topup_promise_secs,
            topup_fields: s.topup_fields.clone(),
            account_attrs: s.account_attrs.clone(),
            paid: Paid { quantity: qty, unit_price_fen: unit.get(), total_fen: total.get(), basis: None },
            captured_at: at.millis(),
        }
    }

    /// This snapshot with the reason a level gave for the price paid; a
    /// list or tier price records nothing (see [`Paid::basis`]).
    pub fn priced_by(mut self, basis: &PriceBasis) -> Self {
        self.paid.basis = basis.by_level().then(|| basis.clone());
        self
    }

    /// The stored text (canonical JSON) and its SHA-256, hex.
    pub fn canonical(&self) -> (String, String) {
        let text = serde_json::to_value(self).map(|v| canonical_json(&v)).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        (text, hash)
    }

    /// A stored snapshot read back; `None` if the text is not one.
    pub fn parse(text: &str) -> Option<Snapshot> {
        serde_json::from_str(text).ok()
    }

    /// The title a stored snapshot shows; empty if unreadable.
    pub fn title_of(text: &str) -> String {
        Self::parse(text).map(|s| s.title).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ProductSpec;

    fn product() -> Product {
        Product {
            id: ProductId(12),
            shop_id: ShopId(3),
            spec: ProductSpec {
                category: "topup".into(),
                kind: ProductKind::DirectTopup,
                title: "腾讯 \"Q币\" 直充".into(),
                description: "到账快\n支持**全区**".into(),
                instructions: "填写 QQ 号".into(),
                price_fen: 1_000,
                tiers: vec![Tier { min_qty: 10, unit_price_fen: 950 }],
                promises: vec!["instant".into(), "no_such_promise".into()],
                topup_promise_secs: Some(600),
                topup_fields: vec![
                    TopupField {
                        name: "qq".into(),
                        label: "QQ号".into(),
                        pattern: Some("^[0-9]{5,11}$".into()),
                        required: true,
                    },
                    TopupField { name: "note".into(), label: "备注".into(), pattern: None, required: true },
                ],
                account_attrs: vec![AccountAttr { name: "等级".into(), value: "80".into() }],
                max_per_order: 50,
            },
            on_sale: true,
            source_hidden: false,
            rank: 0,
            created_at: Timestamp::from_millis(1),
            updated_at: Timestamp::from_millis(2),
            version: 4,
        }
    }

    /// The bytes the order code wrote before the struct existed (by hand with
    /// `json!`, then canonicalised): existing rows, their hashes and evidence
    /// bundles stay valid only while this holds.
    const EARLIER: &str = concat!(
        r#"{"account_attrs":[{"name":"等级","value":"80"}],"captured_at":1764000000000,"#,
        r#""category":{"code":"topup","name":"话费/游戏直充"},"description":"到账快\n支持**全区**","#,
        r#""instructions":"填写 QQ 号","kind":"direct_topup","#,
        r#""paid":{"quantity":12,"total_fen":11400,"unit_price_fen":950},"price_fen":1000,"#,
        r#""product_id":12,"product_version":4,"#,
        r#""promises":[{"code":"instant","name":"秒到账"},{"code":"no_such_promise","name":null}],"#,
        r#""shop":{"id":3,"name":"星辰点卡"},"tiers":[{"min_qty":10,"unit_price_fen":950}],"#,
        r#""title":"腾讯 \"Q币\" 直充","topup_fields":[{"label":"QQ号","name":"qq","pattern":"^[0-9]{5,11}$"},"#,
        r#"{"label":"备注","name":"note","pattern":null}],"topup_promise_secs":600}"#,
    );

    #[test]
    fn the_stored_text_is_what_earlier_versions_wrote() {
        let at = Timestamp::from_millis(1_764_000_000_000);
        let snap = Snapshot::capture(&product(), "星辰点卡", 12, Fen::new(950).unwrap(), Fen::new(11_400).unwrap(), at);
        let (text, hash) = snap.canonical();
        assert_eq!(text, EARLIER);
        assert_eq!(hash, hex::encode(Sha256::digest(EARLIER.as_bytes())));
        assert_eq!(Snapshot::parse(&text), Some(snap.clone()));
        assert_eq!(Snapshot::title_of(&text), "腾讯 \"Q币\" 直充");
        assert_eq!(Snapshot::title_of("not json"), "");
        let tiered = snap.priced_by(&PriceBasis::Tier { min_qty: 10 });
        assert_eq!(tiered.canonical().0, EARLIER, "a tier price records no basis");
    }

    #[test]
    fn a_level_price_records_why() {
        let at = Timestamp::from_millis(1_764_000_000_000);
        let basis = PriceBasis::LevelDiscount {
            level_id: crate::levels::LevelId(3),
            level_name: "代理".into(),
            discount_bp: 500,
        };
        let snap = Snapshot::capture(&product(), "星辰点卡", 1, Fen::new(950).unwrap(), Fen::new(950).unwrap(), at)
            .priced_by(&basis);
        let (text, _) = snap.canonical();
        assert!(
            text.contains(r#""paid":{"basis":{"discount_bp":500,"kind":"level_discount","level_id":3,"level_name":"代理"},"quantity":1"#),
            "{text}"
        );
        assert_eq!(Snapshot::parse(&text).unwrap().paid.basis, Some(basis));
    }
}
