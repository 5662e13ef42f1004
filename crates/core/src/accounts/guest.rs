//! Guests: a visitor who buys without registering. A guest is a real buyer
//! account with a generated username, the `guest` flag, the contact it gave
//! (an e-mail address or a mainland mobile number) and its query password as
//! the account's password hash — so every buyer feature (the order page, the
//! key, chat, cases, evidence) works unchanged, behind the same owner checks.
//!
//! ```text
//!   guest checkout ──▶ guest (contact + query password) ──claim──▶ full account
//!        ▲                   │  (username + password chosen; orders kept)
//!        └── /orders/lookup ─┘  order number or contact + query password
//! ```
//!
//! A registered account is never a guest; a claimed guest is never one again.

use std::fmt;

use serde_json::json;

use super::port::User;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::{Email, Role, Username};

/// How a guest can be reached: a checked e-mail address or a mainland mobile
/// number (11 digits from 13–19, `+86` and separators dropped). Personal data:
/// `Debug` shows only [`GuestContact::masked`].
#[derive(Clone, PartialEq, Eq)]
pub struct GuestContact(String);

impl GuestContact {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        if s.contains('@') {
            let email = Email::parse(s).map_err(|_| Error::Invalid { field: "contact", reason: "email" })?;
            return Ok(Self(email.as_str().to_lowercase()));
        }
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits);
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit) {
            return Ok(Self(digits.to_owned()));
        }
        Err(Error::Invalid { field: "contact", reason: "email_or_mobile" })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key a contact is unique on (e-mail addresses compare without case).
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// `1***@qq.com` or `138****5678`.
    pub fn masked(&self) -> String {
        if self.0.contains('@') {
            return Email::parse(&self.0).map(|e| e.masked()).unwrap_or_else(|_| "***".into());
        }
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// The sign-in throttle's key for this contact (never a username: those
    /// have no `:`), so guesses at a guest are counted like guesses at a login.
    pub fn throttle_key(&self) -> String {
        format!("guest:{}", self.key())
    }
}

impl fmt::Debug for GuestContact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestContact({})", self.masked())
    }
}

/// The password a guest looks its orders up with: 6–128 characters, no
/// control characters. Shorter than an account password on purpose (it is
/// typed once on a phone), and throttled like a login.
#[derive(Clone)]
pub struct QueryPassword(String);

impl QueryPassword {
    pub const MIN: usize = 6;

    pub fn parse(raw: &str) -> Result<Self> {
        let n = raw.chars().count();
        if !(Self::MIN..=128).contains(&n) || raw.chars().any(char::is_control) {
            return Err(Error::Invalid { field: "query_password", reason: "length_6_128" });
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for QueryPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueryPassword(***)")
    }
}

/// A guest's generated username: `guest_` and 12 hex digits of `random`.
pub fn guest_username(random: u64) -> Username {
    let name = format!("guest_{:012x}", random & 0xffff_ffff_ffff);
    Username::parse(&name).unwrap_or_else(|_| unreachable!("guest_ + hex is a valid username"))
}

/// Whether a lookup's text is an order number (18 digits) rather than a contact.
pub fn is_order_no(text: &str) -> bool {
    let t = text.trim();
    t.len() == 18 && t.bytes().all(|b| b.is_ascii_digit())
}

/// Creates the guest account; `query_hash` is the query password's argon2id hash.
/// A contact already used by a guest is refused (`Conflict::Duplicate` from the
/// unique index): the caller signs that guest in instead, with its password.
pub fn create(
    tx: &mut dyn Tx,
    now: Timestamp,
    username: &Username,
    query_hash: String,
    contact: &GuestContact,
) -> Result<User> {
    let new = super::port::NewUser {
        username: username.clone(),
        role: Role::Buyer,
        shop_id: None,
        password_hash: query_hash,
        created_at: now,
    };
    let id = tx.insert_user(&new)?;
    tx.insert_guest(id, contact.as_str(), &contact.key(), now)?;
    tx.append(NewEvent::new(
        now,
        Some(id),
        "user.guest_created",
        format!("user:{id}"),
        json!({ "username": username.as_str(), "contact": contact.masked() }),
    ))?;
    tx.user_by_id(id)?.ok_or(Error::NotFound)
}

/// 设置用户名和密码: the guest becomes a normal account; its orders stay its own.
/// Only a guest may claim; the new username's uniqueness is the store's to decide.
pub fn claim(
    tx: &mut dyn Tx,
    now: Timestamp,
    guest: &User,
    username: &Username,
    password_hash: String,
) -> Result<User> {
    if !guest.guest {
        return Err(Error::Forbidden);
    }
    tx.claim_guest(guest.id, username, &password_hash)?;
    tx.append(NewEvent::new(
        now,
        Some(guest.id),
        "user.guest_claimed",
        format!("user:{}", guest.id),
        json!({ "from": guest.username, "username": username.as_str() }),
    ))?;
    tx.user_by_id(guest.id)?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_an_email_or_a_mainland_mobile() {
        assert_eq!(GuestContact::parse(" +86 138-0013-8000 ").unwrap().as_str(), "13800138000");
        assert_eq!(GuestContact::parse("13800138000").unwrap().masked(), "138****8000");
        assert_eq!(GuestContact::parse("Li@QQ.com").unwrap().key(), "li@qq.com");
        assert_eq!(GuestContact::parse("li@qq.com").unwrap().masked(), "l***@qq.com");
        for bad in ["", "12800138000", "1380013800", "138001380001", "li@", "abc", "1380013800a"] {
            assert!(GuestContact::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_passwords_have_six_characters_or_more() {
        assert!(QueryPassword::parse("12345").is_err());
        assert!(QueryPassword::parse("123456").is_ok());
        assert!(QueryPassword::parse("查询密码六位").is_ok());
        assert!(QueryPassword::parse("abc\n123").is_err());
        assert_eq!(format!("{:?}", QueryPassword::parse("secret1").unwrap()), "QueryPassword(***)");
    }

    #[test]
    fn guest_names_and_order_numbers() {
        assert_eq!(guest_username(0xabc).as_str(), "guest_000000000abc");
        assert!(is_order_no("202612070123456789"));
        assert!(!is_order_no("13800138000"));
    }
}
