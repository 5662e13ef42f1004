//! The disputed units as the case page shows them to everyone on the case,
//! platform agents included. Only the buyer (and platform staff arbitrating the
//! case, logged) may open a
//! unit in full (`orders::reveal`); everyone else gets a mask that tells units
//! apart and ties them to the evidence without giving the key away.

/// `AB**********89`: the first and last two characters of a code of at least
/// eight, one of each from four to seven, nothing of a shorter one. A mask
/// keeps the code's length so two units of different length look different.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let keep = match chars.len() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let hidden = chars.len() - 2 * keep;
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(hidden))
}

/// A unit's keyed fingerprint, shortened for a page: enough to match the
/// evidence bundle's full fingerprint by eye.
pub fn short_fingerprint(fp: &str) -> &str {
    fp.get(..12).unwrap_or(fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_shows_at_most_two_characters_at_each_end() {
        assert_eq!(mask_code("ABCD-EFGH-1289"), "AB**********89");
        assert_eq!(mask_code("abc12"), "a***2");
        assert_eq!(mask_code("xyz"), "***");
        assert_eq!(mask_code(""), "");
        assert_eq!(mask_code("账号名字很长的人"), "账号****的人", "characters, not bytes");
        assert_eq!(short_fingerprint("0123456789abcdef"), "0123456789ab");
    }
}
