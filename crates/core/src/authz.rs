//! Who may do what, decided in one place. A denial for an object the actor has
//! no relation to is reported as `NotFound`, so ids cannot be probed.

use crate::accounts::port::{ApiToken, User};
use crate::error::{Error, Result};
use crate::shops::port::Shop;
use crate::values::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopAction {
    /// Change the shop, invite agents, see its staff.
    Manage,
    /// Answer buyers and handle the shop's cases: the owner and its agents.
    Serve,
}

pub fn shop(actor: &User, action: ShopAction, shop: &Shop) -> Result<()> {
    let owner = actor.id == shop.owner_id;
    let agent = actor.role == Role::MerchantAgent && actor.shop_id == Some(shop.id);
    let ok = match action {
        ShopAction::Manage => owner || actor.role == Role::Admin,
        ShopAction::Serve => owner || agent || actor.role == Role::Admin,
    };
    if ok { Ok(()) } else { Err(Error::NotFound) }
}

pub fn api_token(actor: &User, token: &ApiToken) -> Result<()> {
    if token.user_id == actor.id { Ok(()) } else { Err(Error::NotFound) }
}

/// Opening a shop: any full buyer account. Sub-accounts and platform staff do
/// not trade; a guest first sets a username and password (`full_account`).
pub fn open_shop(actor: &User) -> Result<()> {
    full_account(actor)?;
    if actor.role == Role::Buyer { Ok(()) } else { Err(Error::Forbidden) }
}

/// What only a registered account may do (open a shop, withdraw, API tokens):
/// a guest bought with a contact and a query password, and proves no more.
pub fn full_account(actor: &User) -> Result<()> {
    if actor.guest { Err(Error::Forbidden) } else { Ok(()) }
}

pub fn admin(actor: &User) -> Result<()> {
    if actor.role == Role::Admin { Ok(()) } else { Err(Error::Forbidden) }
}

pub fn platform_staff(actor: &User) -> Result<()> {
    if actor.role.is_platform() { Ok(()) } else { Err(Error::Forbidden) }
}

/// Taking money out of a shop's wallet: its owner only. An agent serves the
/// shop but the money is not theirs (`Forbidden`); a stranger sees `NotFound`.
pub fn withdraw_from_shop(actor: &User, shop: &Shop) -> Result<()> {
    self::shop(actor, ShopAction::Serve, shop)?;
    if actor.id == shop.owner_id { Ok(()) } else { Err(Error::Forbidden) }
}

/// Taking money out of one's own wallet: buyers (shop owners are buyers).
/// Agents' and staff's accounts do not trade, so hold nothing to withdraw.
pub fn withdraw_own(actor: &User) -> Result<()> {
    if actor.role == Role::Buyer { Ok(()) } else { Err(Error::Forbidden) }
}

/// Paying out or refusing a withdrawal moves platform money: admins only,
/// like credits and gateways.
pub fn decide_withdrawal(actor: &User) -> Result<()> {
    admin(actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::values::{ShopId, UserId};

    fn user(id: i64, role: Role, shop_id: Option<i64>) -> User {
        User {
            id: UserId(id),
            username: format!("u{id}"),
            role,
            shop_id: shop_id.map(ShopId),
            password_hash: String::new(),
            created_at: Timestamp::from_millis(0),
            disabled: false,
            guest: false,
        }
    }

    #[test]
    fn shop_access_follows_ownership_and_scope() {
        let s = Shop { id: ShopId(9), name: "s".into(), owner_id: UserId(1), created_at: Timestamp::from_millis(0) };
        assert!(shop(&user(1, Role::Buyer, None), ShopAction::Manage, &s).is_ok());
        assert!(matches!(shop(&user(2, Role::Buyer, None), ShopAction::Manage, &s), Err(Error::NotFound)));
        assert!(shop(&user(3, Role::MerchantAgent, Some(9)), ShopAction::Serve, &s).is_ok());
        assert!(shop(&user(3, Role::MerchantAgent, Some(9)), ShopAction::Manage, &s).is_err());
        assert!(shop(&user(4, Role::MerchantAgent, Some(8)), ShopAction::Serve, &s).is_err());
        assert!(shop(&user(5, Role::Admin, None), ShopAction::Manage, &s).is_ok());
        assert!(open_shop(&user(3, Role::MerchantAgent, Some(9))).is_err());
        let guest = User { guest: true, ..user(6, Role::Buyer, None) };
        assert!(matches!(open_shop(&guest), Err(Error::Forbidden)));
        assert!(open_shop(&user(7, Role::Buyer, None)).is_ok());
    }

    #[test]
    fn only_the_owner_withdraws_from_a_shop_and_only_admins_decide() {
        let s = Shop { id: ShopId(9), name: "s".into(), owner_id: UserId(1), created_at: Timestamp::from_millis(0) };
        assert!(withdraw_from_shop(&user(1, Role::Buyer, None), &s).is_ok());
        assert!(matches!(withdraw_from_shop(&user(3, Role::MerchantAgent, Some(9)), &s), Err(Error::Forbidden)));
        assert!(matches!(withdraw_from_shop(&user(2, Role::Buyer, None), &s), Err(Error::NotFound)));
        assert!(matches!(withdraw_from_shop(&user(5, Role::Admin, None), &s), Err(Error::Forbidden)));
        assert!(withdraw_own(&user(2, Role::Buyer, None)).is_ok());
        assert!(withdraw_own(&user(3, Role::MerchantAgent, Some(9))).is_err());
        assert!(decide_withdrawal(&user(5, Role::Admin, None)).is_ok());
        assert!(decide_withdrawal(&user(6, Role::PlatformAgent, None)).is_err());
    }
}
