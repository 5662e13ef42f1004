//! Passwords too common to protect anyone: the 20,000 most common passwords
//! from breach corpora, as Django ships them (origin and licence at the head of
//! `common_passwords.txt`, the licence in full in `common_passwords.LICENSE`).
//! Only the entries the length-letter-digit rule would otherwise accept are
//! kept; a password is compared lowercased and trimmed, as Django does.

use std::collections::HashSet;
use std::sync::OnceLock;

static LIST: &str = include_str!("common_passwords.txt");

fn list() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| LIST.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect())
}

/// Whether `password` is on the list (ignoring case and surrounding spaces).
pub fn is_common(password: &str) -> bool {
    list().contains(password.trim().to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_refuses_the_usual_suspects_and_lets_a_real_one_through() {
        assert!(list().len() > 4_000, "{}", list().len());
        for p in ["password1", "Password1", " qwerty123 ", "1qaz2wsx", "abc12345", "iloveyou1"] {
            assert!(is_common(p), "{p}");
        }
        for p in ["correct1horse", "Kx8vq-Lamp-Tide7", "demo-马上-2026x"] {
            assert!(!is_common(p), "{p}");
        }
    }
}
