//! Small pieces several pages share: a product kind's label and the 联系商家
//! button. They live here, not in a feature's file, so that market, orders,
//! stock and the consoles need not import each other.

use youying_core::accounts::User;
use youying_core::catalogue::ProductKind;
use youying_core::shops::Shop;
use youying_core::values::Role;

/// The Chinese label of a product kind (`""` for an unknown code).
pub fn kind_label(kind: &str) -> &'static str {
    ProductKind::parse(kind).map_or("", ProductKind::label)
}

/// The 联系商家 button of a product, order or shop page: a form for a buyer,
/// a sign-in link for a visitor, nothing for the shop's own team or staff.
pub struct Contact {
    pub mode: &'static str,
    pub shop_id: i64,
    pub product_id: Option<i64>,
    pub order_no: Option<String>,
    /// Where sign-in comes back to.
    pub next: String,
}

impl Contact {
    pub fn new(viewer: Option<&User>, shop: &Shop, next: String) -> Self {
        let mode = match viewer {
            None => "login",
            Some(u) if u.role == Role::Buyer && u.id != shop.owner_id => "form",
            Some(_) => "",
        };
        Self { mode, shop_id: shop.id.0, product_id: None, order_no: None, next }
    }
}
