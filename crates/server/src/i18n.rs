//! The message catalogue. Every user-facing string of the server lives here,
//! keyed, so another locale is one more table. zh-CN is the only one today.

/// Looks a key up in the zh-CN catalogue; an unknown key shows itself, which a
/// test catches, rather than an empty string a user would.
pub fn t(key: &str) -> &'static str {
    ZH_CN.iter().find(|(k, _)| *k == key).map_or("（缺少文案）", |(_, v)| v)
}

/// Error codes (see `youying_core::Error::code`) and page strings.
pub const ZH_CN: &[(&str, &str)] = &[
    // errors
    ("invalid_input", "输入不正确，请检查后重试。"),
    ("invalid_input.username", "用户名须为 3–32 位字母、数字、下划线或汉字。"),
    ("invalid_input.name", "名称须为 2–40 个字符，不能包含尖括号。"),
    ("invalid_input.role", "角色须为 admin 或 agent。"),
    ("weak_password", "密码太弱：须为 8–128 位，同时包含字母和数字，且不能与用户名相同。"),
    ("username_taken", "该用户名已被注册。"),
    ("shop_name_taken", "该店铺名已被使用。"),
    ("bad_credentials", "用户名或密码错误。"),
    ("too_many_attempts", "尝试次数过多，请稍后再试。"),
    ("unauthenticated", "请先登录。"),
    ("forbidden", "您没有权限进行此操作。"),
    ("not_found", "找不到该页面或对象。"),
    ("conflict", "操作与当前状态冲突，请刷新后重试。"),
    ("unknown_rule", "不存在该规则。"),
    ("rule_out_of_range", "规则取值超出允许范围。"),
    ("insufficient_balance", "余额不足，未扣款。请先充值。"),
    ("out_of_stock", "库存不足，未扣款。"),
    ("idempotency_mismatch", "同一个幂等键（Idempotency-Key）已用于另一笔不同的请求。"),
    ("stock_rejected", "导入未执行：请修正报告中列出的错误行和重复行，或选择“跳过重复”。"),
    ("internal", "服务器开小差了，请稍后再试。我们已记录此问题。"),
    ("malformed_json", "请求内容不是有效的 JSON。"),
    ("invalid_json", "请求字段缺失或类型不正确。"),
    ("unsupported_media_type", "请求须为 application/json。"),
    ("payload_too_large", "请求内容过大（上限 1 MiB）。"),
    ("csrf", "页面已过期或来源不明，请刷新页面后重试。"),
    ("method_not_allowed", "不支持该请求方法。"),
    ("invite_spent", "该邀请链接已被使用、撤销或已过期，请向店主索取新的链接。"),
    // pages
    ("site.name", "有应"),
    ("site.tagline", "有求必应 · 卡密、直充、账号担保交易"),
    ("nav.home", "首页"),
    ("nav.login", "登录"),
    ("nav.register", "注册"),
    ("nav.logout", "退出"),
    ("nav.me", "我的"),
    ("nav.open_shop", "开店"),
    ("nav.merchant", "商家后台"),
    ("nav.platform", "平台客服台"),
    ("nav.admin", "管理后台"),
    ("nav.api_docs", "API 文档"),
    ("page.error.title", "出错了"),
    ("page.error.back", "返回首页"),
    // rules, as the rules page and the service promise name them
    ("rule.chat_reply_secs", "买家消息人工回复时限"),
    ("rule.warn_before_secs", "回复超时前提醒"),
    ("rule.case_resolve_secs", "售后处理完毕时限"),
    ("rule.case_merchant_secs", "商家处理售后时限"),
    ("rule.protect_card_key_secs", "卡密担保期"),
    ("rule.protect_topup_secs", "直充担保期"),
    ("rule.protect_account_secs", "账号担保期"),
    ("rule.topup_default_promise_secs", "直充默认承诺到账时间"),
    ("rule.topup_instant_promise_secs", "秒到账承诺时间"),
    ("rule.invite_ttl_secs", "客服邀请链接有效期"),
    ("rule.session_ttl_secs", "登录有效期"),
    ("rule.login_max_failures", "登录失败上限"),
    ("rule.login_window_secs", "登录失败计数窗口"),
    ("rule.platform_fee_bp", "平台服务费"),
    ("rule.protection_fund_share_bp", "服务费中计入交易保险的比例"),
    ("rule.deposit_min_fen", "商家保证金下限"),
    ("unit.secs", "秒"),
    ("unit.count", "次"),
    ("unit.fen", "分"),
    ("unit.basis_points", "基点（1/10000）"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_code_has_a_message() {
        for code in [
            "invalid_input",
            "weak_password",
            "username_taken",
            "shop_name_taken",
            "bad_credentials",
            "too_many_attempts",
            "unauthenticated",
            "forbidden",
            "not_found",
            "conflict",
            "unknown_rule",
            "rule_out_of_range",
            "internal",
        ] {
            assert_ne!(t(code), "（缺少文案）", "{code}");
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = ZH_CN.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ZH_CN.len());
    }
}
