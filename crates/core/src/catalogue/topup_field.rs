//! One top-up field on its own, so a form can put the error beside the field
//! the buyer got wrong rather than above the whole form.

use super::TopupField;

impl TopupField {
    /// Whether `value` as typed passes this field in
    /// [`ProductSpec::check_topup_target`](super::ProductSpec::check_topup_target):
    /// trimmed, 1–100 characters, matching the declared pattern if any; an
    /// optional field may also stay empty.
    pub fn accepts(&self, value: &str) -> bool {
        let v = value.trim();
        if v.is_empty() && !self.required {
            return true;
        }
        if v.is_empty() || v.chars().count() > 100 {
            return false;
        }
        self.pattern.as_ref().is_none_or(|p| regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_accepts_what_the_target_check_accepts() {
        let qq = TopupField {
            name: "qq".into(),
            label: "QQ号".into(),
            pattern: Some("[1-9][0-9]{4,11}".into()),
            required: true,
        };
        assert!(qq.accepts(" 123456 "));
        assert!(!qq.accepts("abc") && !qq.accepts("") && !qq.accepts("0123"));
        let free = TopupField { name: "area".into(), label: "区服".into(), pattern: None, required: true };
        assert!(free.accepts("电信一区") && !free.accepts("  ") && !free.accepts(&"x".repeat(101)));
        let optional = TopupField { required: false, ..free };
        assert!(optional.accepts("  ") && !optional.accepts(&"x".repeat(101)));
    }
}
