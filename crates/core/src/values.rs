//! Domain values that cannot be built malformed: parse, don't validate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(UserId);
id_type!(ShopId);
id_type!(DeadlineId);
id_type!(TokenId);
id_type!(InviteId);
id_type!(ProductId);
id_type!(OrderId);
id_type!(ConversationId);
id_type!(CaseId);
id_type!(ReviewId);

/// 3–32 characters of letters, digits, `_` or CJK ideographs; compared without case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(Error::Invalid { field: "username", reason: "length_3_32" });
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || is_cjk(c)) {
            return Err(Error::Invalid { field: "username", reason: "charset" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness is decided on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// A password that passed the strength rule. Its text never appears in `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The rule, as shown to users when a password is refused.
    pub const RULE: &'static str = "8–128 characters, with at least one letter and one digit, not the username";

    pub fn parse(raw: &str, username: &str) -> Result<Self> {
        let len = raw.chars().count();
        let has_letter = raw.chars().any(char::is_alphabetic);
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        let same_as_name = raw.to_lowercase() == username.trim().to_lowercase();
        if !(8..=128).contains(&len) || !has_letter || !has_digit || same_as_name {
            return Err(Error::WeakPassword);
        }
        if crate::accounts::common::is_common(raw) {
            return Err(Error::CommonPassword);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// 2–40 visible characters, no control characters or angle brackets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ShopName(String);

impl ShopName {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(2..=40).contains(&len) {
            return Err(Error::Invalid { field: "name", reason: "length_2_40" });
        }
        if s.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            return Err(Error::Invalid { field: "name", reason: "charset" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The account's place on the platform. Shop ownership is a relation, not a role:
/// any buyer may open shops; a merchant agent is a sub-account bound to one shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    MerchantAgent,
    PlatformAgent,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::MerchantAgent => "merchant_agent",
            Role::PlatformAgent => "platform_agent",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "buyer" => Ok(Role::Buyer),
            "merchant_agent" => Ok(Role::MerchantAgent),
            "platform_agent" | "agent" => Ok(Role::PlatformAgent),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::Invalid { field: "role", reason: "unknown_role" }),
        }
    }

    pub fn is_platform(self) -> bool {
        matches!(self, Role::PlatformAgent | Role::Admin)
    }
}

/// An address notifications are mailed to. Parsed to the dot-atom form people
/// actually use: 6–254 bytes, one `@`, a local part of at most 64 ASCII letters,
/// digits and ``!#$%&'*+-/=?^_`{|}~.`` (no leading, trailing or doubled dot), and
/// a domain of at least two labels of letters, digits and `-`. Nothing that could
/// break out of a mail header (spaces, line breaks, `<>,;:"`) gets through. The
/// address is personal data: `Debug` shows only [`Email::masked`].
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = |reason| Error::Invalid { field: "email", reason };
        let s = raw.trim();
        if !(6..=254).contains(&s.len()) {
            return Err(bad("length_6_254"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("charset"));
        }
        let mut halves = s.split('@');
        let (Some(local), Some(domain), None) = (halves.next(), halves.next(), halves.next()) else {
            return Err(bad("one_at"));
        };
        let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
        if local.is_empty()
            || local.len() > 64
            || !local.chars().all(atom)
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(bad("local_part"));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
            return Err(bad("domain"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `l***@qq.com`: enough for the owner to recognise the address, too little
    /// to learn someone else's. Evidence events and logs carry this form.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("小明_2024").is_ok());
        assert_eq!(Username::parse("  Alice ").unwrap().as_str(), "Alice");
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse(&"x".repeat(33)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("hunter2hunter", "bob").is_ok());
        assert!(matches!(Password::parse("short1", "bob"), Err(Error::WeakPassword)));
        assert!(Password::parse("onlyletters", "bob").is_err());
        assert!(Password::parse("12345678", "bob").is_err());
        assert!(Password::parse("alice123", "Alice123").is_err());
        assert!(matches!(Password::parse("Password123", "bob"), Err(Error::CommonPassword)));
        assert_eq!(format!("{:?}", Password::parse("hunter2hunter", "x").unwrap()), "Password(***)");
    }

    #[test]
    fn shop_names() {
        assert!(ShopName::parse("星辰点卡").is_ok());
        assert!(ShopName::parse("x").is_err());
        assert!(ShopName::parse("a<b>c").is_err());
    }

    #[test]
    fn emails() {
        for ok in ["laowang@qq.com", "  a.b+shop@mail.example.cn ", "12345678@qq.com", "kf@例子.中国"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Email::parse(" x1@163.com ").unwrap().as_str(), "x1@163.com");
        let reason = |raw: &str| match Email::parse(raw) {
            Err(Error::Invalid { field: "email", reason }) => reason,
            other => panic!("{raw}: {other:?}"),
        };
        assert_eq!(reason("a@b.c"), "length_6_254");
        assert_eq!(reason(&format!("{}@qq.com", "x".repeat(250))), "length_6_254");
        assert_eq!(reason("laowang.qq.com"), "one_at");
        assert_eq!(reason("lao@wang@qq.com"), "one_at");
        assert_eq!(reason(&format!("{}@qq.com", "x".repeat(65))), "local_part");
        for bad in ["lao wang@qq.com", "laowang@qq.com\r\nBcc: x@y.z", "laowang@q q.com", "tab\t@qq.com"] {
            assert_eq!(reason(bad), "charset", "{bad}");
        }
        for bad in ["<a@qq.com>", "a,b@qq.com", ".a@qq.com", "a..b@qq.com", "老王@qq.com", "@qq.com"] {
            assert_eq!(reason(bad), "local_part", "{bad}");
        }
        for bad in ["laowang@localhost", "laowang@qq..com", "laowang@-qq.com", "laowang@qq.com.", "laowang@qq.com>"] {
            assert_eq!(reason(bad), "domain", "{bad}");
        }
        let e = Email::parse("laowang@qq.com").unwrap();
        assert_eq!(e.masked(), "l***@qq.com");
        assert_eq!(format!("{e:?}"), "Email(l***@qq.com)");
    }
}
