//! A use case over one narrow port needs no database: [`load`] runs here
//! against a fake that holds a few shops in a vector.

use super::*;
use crate::values::UserId;

/// Just enough of [`ShopRead`]: shops in memory, no invites, no agents.
struct FakeShops(Vec<Shop>);

impl ShopRead for FakeShops {
    fn shop(&mut self, id: ShopId) -> Result<Option<Shop>> {
        Ok(self.0.iter().find(|s| s.id == id).cloned())
    }

    fn search_shops(&mut self, _q: &str, _offset: usize, _limit: usize) -> Result<Vec<Shop>> {
        Ok(self.0.clone())
    }

    fn shops_owned_by(&mut self, owner: UserId) -> Result<Vec<Shop>> {
        Ok(self.0.iter().filter(|s| s.owner_id == owner).cloned().collect())
    }

    fn shop_agents(&mut self, _shop: ShopId) -> Result<Vec<User>> {
        Ok(Vec::new())
    }

    fn invite(&mut self, _id: InviteId) -> Result<Option<Invite>> {
        Ok(None)
    }

    fn invite_by_token(&mut self, _token_hash: &str) -> Result<Option<Invite>> {
        Ok(None)
    }

    fn invites_of_shop(&mut self, _shop: ShopId) -> Result<Vec<Invite>> {
        Ok(Vec::new())
    }
}

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

fn fake() -> FakeShops {
    let at = Timestamp::from_millis(0);
    FakeShops(vec![
        Shop { id: ShopId(9), name: "九号店".into(), owner_id: UserId(1), created_at: at },
        Shop { id: ShopId(10), name: "十号店".into(), owner_id: UserId(2), created_at: at },
    ])
}

#[test]
fn load_finds_a_shop_for_those_who_may_act_on_it() {
    let mut tx = fake();
    let owner = user(1, Role::Buyer, None);
    assert_eq!(load(&mut tx, &owner, ShopId(9), ShopAction::Manage).unwrap().name, "九号店");
    let agent = user(3, Role::MerchantAgent, Some(9));
    assert_eq!(load(&mut tx, &agent, ShopId(9), ShopAction::Serve).unwrap().id, ShopId(9));
}

#[test]
fn load_hides_other_shops_and_missing_ones_alike() {
    let mut tx = fake();
    let owner = user(1, Role::Buyer, None);
    assert!(matches!(load(&mut tx, &owner, ShopId(10), ShopAction::Manage), Err(Error::NotFound)));
    assert!(matches!(load(&mut tx, &owner, ShopId(11), ShopAction::Manage), Err(Error::NotFound)));
    let agent = user(3, Role::MerchantAgent, Some(9));
    assert!(matches!(load(&mut tx, &agent, ShopId(9), ShopAction::Manage), Err(Error::NotFound)));
}
