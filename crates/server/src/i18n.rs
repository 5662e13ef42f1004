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
    ("case_window_closed", "该订单的担保期已结束，无法申请售后。担保期结束于 "),
    ("conflict.nothing_to_settle", "智能助手还没有新的回答可以确认；有问题请直接提问或点「转人工」。"),
    ("conflict.faq_full", "问答已达 200 条上限，请先删除不用的条目。"),
    ("conflict.case_already_open", "该订单已有进行中的售后，请在原售后中继续处理。"),
    ("conflict.case_closed", "该售后已结束。"),
    ("conflict.case_already_decided", "该订单的售后已有结果（退款或裁决），不能再次申请。"),
    ("conflict.case_not_awaiting_merchant", "该售后当前不在等待商家处理。"),
    ("conflict.case_not_awaiting_buyer", "该售后当前没有待您确认的方案。"),
    ("conflict.case_not_in_arbitration", "该售后不在平台仲裁中。"),
    ("conflict.order_refunded", "该订单已退款，无需申请售后。"),
    ("conflict.order_not_delivered", "订单尚未发货或充值，请等待商家处理或在超时后取消订单。"),
    ("conflict.not_a_topup", "只有直充订单可以“补充值”。"),
    ("conflict.nothing_to_reissue", "直充订单没有可补发的卡密。"),
    ("conflict.order_not_completed", "订单完成（确认收货或担保期结束）后才能评价。"),
    ("conflict.already_reviewed", "该订单已经评价过了，每个订单只能评价一次。"),
    ("conflict.already_replied", "店铺已回复过这条评价，每条评价只能回复一次。"),
    ("conflict.review_already_moderated", "这条评价已经审核过了。"),
    ("conflict.case_not_published", "只有平台介入并已结束的售后才会公示，才能发表公开回应。"),
    ("conflict.already_responded", "店铺已对该公示案例发表过回应，只能回应一次。"),
    ("conflict.quiz_bank_too_small", "题库中启用的题目不足 10 道，暂时无法开始答题，请联系平台。"),
    ("conflict.attempt_finished", "这次答题已经交卷，不能重复提交。"),
    ("conflict.attempt_expired", "这次答题已超过 30 分钟，请重新开始。"),
    ("conflict.question_retired", "这道题已经停用。"),
    ("conflict.payment_settled", "这笔支付已经到账，不能再次确认。"),
    ("invalid_input.gateway", "请选择一个已启用的支付网关。"),
    ("invalid_input.channel", "该网关不支持所选的支付方式，请换一种。"),
    ("invalid_input.trade_no", "网关交易号须为 1–64 个字符，不能含空格。"),
    ("invalid_input.answers", "请每道题都选择一个选项后再交卷。"),
    ("invalid_input.options", "选项需 2–6 个，每个 1–100 字，且不能重复。"),
    ("invalid_input.correct", "正确答案必须是其中一个选项。"),
    ("invalid_input.question_text", "题目需 1–300 字。"),
    ("invalid_input.explanation", "解析最多 500 字。"),
    ("invalid_input.stars", "请选择 1–5 星。"),
    ("invalid_input.gateway_name", "网关名称须为 1–32 位小写字母、数字、下划线或短横线。"),
    ("invalid_input.gateway_kind", "网关类型须为 epay_v1（MD5 密钥）或 epay_v2（RSA 密钥）。"),
    ("invalid_input.base_url", "网关地址须以 http:// 或 https:// 开头，不含空格、查询参数或 #。"),
    ("invalid_input.pid", "商户 ID 须为 1–64 个字符，不能含控制字符。"),
    ("invalid_input.channels", "请至少选择一种支付方式（支付宝、微信、QQ钱包）。"),
    ("invalid_input.key", "请填写商户密钥（不能含空格）。"),
    ("invalid_input.merchant_private_key_pem", "商户私钥须为有效的 RSA 私钥 PEM。"),
    ("invalid_input.platform_public_key_pem", "平台公钥须为有效的 RSA 公钥 PEM。"),
    ("invalid_input.review_body", "评价内容不能超过 500 字。"),
    ("invalid_input.reply", "回复须为 1–500 字。"),
    ("invalid_input.public_response", "公开回应须为 1–500 字。"),
    (
        "invalid_input.reply_moderation",
        "内容含有威胁、辱骂或联系方式（手机号、QQ、微信、邮箱、网址），不能公开发布，请修改后再提交。",
    ),
    ("invalid_input.moderation_note", "驳回须填写理由（1–500 字）。"),
    ("invalid_input.decision", "请选择一个有效的处理决定。"),
    ("invalid_input.state", "不支持的状态筛选。"),
    ("invalid_input.type", "请选择与商品相符的售后类型。"),
    ("invalid_input.mismatched_attributes", "请勾选交易快照中声明、但实际不符的账号属性。"),
    ("invalid_input.screenshots", "截图须为 PNG、JPEG 或 WebP 图片，每张不超过 4 MiB，最多 6 张。"),
    ("invalid_input.reason", "请填写原因，且不超过字数上限。"),
    ("invalid_input.proof", "充值凭证说明须为 1–2000 个字符。"),
    ("invalid_input.action", "不支持的售后操作。"),
    ("unknown_rule", "不存在该规则。"),
    ("rule_out_of_range", "规则取值超出允许范围。"),
    ("insufficient_balance", "余额不足，未扣款。可直接用支付宝或微信付清差额，或先到钱包充值。"),
    ("amount_out_of_range", "金额超出允许范围"),
    ("daily_limit", "已达到每日限额"),
    ("out_of_stock", "库存不足，未扣款。"),
    ("shop_unavailable", "该店铺暂停销售（保证金不足或被暂停），暂不能购买，未扣款。"),
    ("invalid_input.from", "资金来源只能是个人钱包或店铺钱包。"),
    ("idempotency_mismatch", "同一个幂等键（Idempotency-Key）已用于另一笔不同的请求。"),
    ("stock_rejected", "导入未执行：请修正报告中列出的错误行和重复行，或选择“跳过重复”。"),
    ("invalid_input.price", "价格格式不对：请填写如 12.34 的金额（元，最多两位小数）。"),
    ("invalid_input.price_filter", "价格筛选格式不对：请填写如 12.34 的金额（元）。"),
    ("invalid_input.amount_fen", "金额须大于 0 且不超过 ¥10,000,000。"),
    ("invalid_input.title", "标题须为 2–80 个字符。"),
    ("invalid_input.description", "描述不能超过 10000 个字符，且不能含控制字符。"),
    ("invalid_input.instructions", "使用说明不能超过 2000 个字符，且不能含控制字符。"),
    ("invalid_input.category", "请选择一个有效的分类。"),
    ("invalid_input.kind", "请选择有效的商品类型（卡密、直充或账号）；已有商品不能改类型。"),
    ("invalid_input.tiers", "批发价格式不对：每行“数量=单价”，数量至少为 2，数量越大单价须越低。"),
    ("invalid_input.promises", "承诺须从平台提供的列表中选择。"),
    (
        "invalid_input.topup_fields",
        "直充商品须填写 1–5 个买家输入字段：字段名为字母、数字或下划线，显示名称不超过 20 字，格式须是有效的正则。",
    ),
    ("invalid_input.topup_promise_secs", "承诺到账时间须为 1 分钟到 30 天之间的整数分钟。"),
    ("invalid_input.account_attrs", "账号属性格式不对：每行“名称=值”，最多 30 项，名称不超过 20 字，值不超过 100 字。"),
    ("invalid_input.max_per_order", "每单限购数量须在 1–1000 之间。"),
    ("invalid_input.quantity", "购买数量须为整数，且在该商品允许的范围内。"),
    ("invalid_input.topup_target", "充值信息不完整或格式不对，请按提示填写。"),
    ("invalid_input.product_id", "不能购买自己店铺的商品。"),
    ("invalid_input.idempotency_key", "下单请求已失效，请刷新页面后重试。"),
    ("invalid_input.note", "充值备注须为 1–500 个字符。"),
    ("invalid_input.text", "消息须为 1–2000 个字符，不能只有空格。"),
    ("invalid_input.shop_id", "不能联系自己的店铺。"),
    ("invalid_input.stock", "卡密文件须为 UTF-8 编码的文本，且不超过 200,000 行。"),
    ("invalid_input.product", "直充商品没有库存，无需导入。"),
    ("stock.nothing_to_import", "没有可导入的内容：请粘贴卡密或选择文件。"),
    ("stock.one_source", "请只选一种方式：粘贴卡密或上传文件，不要同时提供。"),
    ("stock_too_large", "文件过大（上限 32 MiB），请拆分后分批导入。"),
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
    ("nav.market", "商城"),
    ("nav.orders", "我的订单"),
    ("nav.wallet", "钱包"),
    ("nav.chat", "消息"),
    ("nav.merchant_chat", "客服消息"),
    ("nav.cases", "售后"),
    ("nav.merchant_cases", "售后"),
    ("nav.arbitration", "仲裁"),
    ("nav.reviews", "评价审核"),
    ("nav.quiz", "客服认证"),
    ("market.search", "搜索"),
    ("market.search_placeholder", "搜索点卡、激活码、直充、账号…"),
    ("market.empty", "暂时没有符合条件的商品。"),
    ("market.more", "查看更多商品 →"),
    ("market.stock", "库存"),
    ("market.sold_out", "缺货"),
    ("market.buy", "立即购买"),
    ("order.snapshot", "交易快照"),
    ("order.reveal", "查看卡密"),
    ("order.confirm", "确认收货"),
    ("order.cancel", "取消并退款"),
    ("wallet.faucet", "领取演示余额"),
    ("merchant.new_product", "新建商品"),
    ("merchant.stock", "导入库存"),
    ("merchant.orders", "店铺订单"),
    ("merchant.fulfil", "标记已充值"),
    // stock import report: why a line was refused
    ("stock.reason.too_many_parts", "分隔后超过两段（只允许“卡号”或“卡号 密码”）"),
    ("stock.reason.too_long", "卡号或密码超过 200 个字符"),
    ("stock.reason.control_characters", "含有不可见的控制字符"),
    ("stock.reason.empty_code", "卡号为空"),
    ("stock.reason.empty_secret", "有分隔符但密码为空"),
    // wallet statement lines
    ("ledger.wallet.credit", "充值"),
    ("ledger.pay_in", "在线充值"),
    ("ledger.order.pay", "支付订单（进入担保）"),
    ("ledger.order.refund", "退款"),
    ("ledger.order.release", "订单结算"),
    ("ledger.deposit.top_up", "保证金充值"),
    ("ledger.penalty.fine", "违规罚款（从保证金扣除）"),
    ("ledger.penalty.refund", "罚款撤销退回保证金"),
    ("ledger.other", "资金变动"),
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
    ("rule.penalty_window_secs", "违规计数窗口"),
    ("rule.penalty_warn_at", "第几次违规警告"),
    ("rule.penalty_downrank_at", "第几次违规降权"),
    ("rule.penalty_downrank_secs", "降权时长"),
    ("rule.penalty_fine_at", "第几次违规罚款"),
    ("rule.penalty_fine_fen", "罚款金额（从保证金扣）"),
    ("rule.penalty_suspend_at", "第几次违规封店待审"),
    ("rule.pay_in_min_fen", "单笔在线支付下限"),
    ("rule.pay_in_max_fen", "单笔在线支付上限"),
    ("rule.pay_in_daily_fen", "每人每日在线支付上限"),
    ("rule.payment_expiry_secs", "支付单有效期"),
    ("rule.withdraw_min_fen", "单笔提现下限"),
    ("rule.withdraw_fee_bp", "提现手续费率"),
    ("rule.withdraw_daily_fen", "每个钱包每日提现上限"),
    ("unit.secs", "秒"),
    ("unit.count", "次"),
    ("unit.fen", "分"),
    ("unit.basis_points", "基点（1/10000）"),
    // e-mail notifications
    ("invalid_input.email", "邮箱格式不正确：请填写如 name@example.com 的地址，不能含空格。"),
    ("account.email_saved", "通知邮箱已保存。"),
    ("account.email_cleared", "通知邮箱已清除，将不再收到邮件。"),
    ("mail.subject.chat_due_soon", "【有应】{shop}：会话 #{conv} 将在 {secs} 秒后超时"),
    ("mail.subject.chat_reply", "【有应】{shop}：会话 #{conv} 已超时，平台客服已接管"),
    ("mail.subject.topup_late", "【有应】{shop}：订单 {order} 直充超时，记违约一次"),
    ("mail.subject.breach", "【有应】{shop}：店铺记违约一次"),
    (
        "mail.what.chat_due_soon",
        "会话 #{conv} 将在 {secs} 秒后超时（截止 {due}，北京时间）。买家正在等待人工回复；超时后会话将自动转交平台客服，并记店铺违约一次。",
    ),
    ("mail.what.chat_reply", "会话 #{conv} 已超时，平台客服已接管，记违约一次。"),
    ("mail.what.topup_late", "订单 {order} 的直充未在承诺时间内完成，记违约一次。买家可申请取消并立即退款。"),
    ("mail.what.breach", "店铺记违约一次（{kind}）。"),
    ("mail.breach_count", "近 30 天累计违约 {count} 次。"),
    ("mail.greeting", "「{shop}」您好："),
    ("mail.action", "前往处理"),
    ("mail.signature", "有应 · 有求必应"),
    ("mail.footer", "此邮件由系统自动发送，请勿直接回复。不想再收到邮件，可在账号页清除通知邮箱："),
    // chat pictures and read receipts
    ("not_an_image", "不是有效的图片：只支持完整的 PNG、JPEG 或 WebP 文件，且文件类型须与内容一致。"),
    ("image_too_large", "图片过大：不能超过 5 MiB。"),
    ("image_too_many_pixels", "图片尺寸过大：宽和高都不能超过 16384 像素。"),
    ("invalid_input.message_id", "该消息不属于这个对话。"),
    // guest orders
    ("guest_not_found", "没有找到订单：请核对订单号或联系方式，以及查询密码。"),
    ("guest_contact_taken", "该联系方式已用于游客购买：请填写当时设置的查询密码，或先到「订单查询」找回订单。"),
    ("invalid_input.contact", "联系方式须为邮箱（如 name@example.com）或 11 位大陆手机号。"),
    ("invalid_input.query_password", "查询密码须为 6–128 个字符。"),
    ("nav.lookup", "订单查询"),
    ("nav.claim", "设置用户名和密码"),
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
            "insufficient_balance",
            "amount_out_of_range",
            "daily_limit",
            "out_of_stock",
            "shop_unavailable",
            "internal",
        ] {
            assert_ne!(t(code), "（缺少文案）", "{code}");
        }
    }

    #[test]
    fn every_key_a_page_or_report_uses_has_a_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("page.t(\"").skip(1) {
                let key = &piece[..piece.find('"').unwrap()];
                assert_ne!(t(key), "（缺少文案）", "{key} in {}", path.display());
            }
        }
        let reasons = ["too_many_parts", "too_long", "control_characters", "empty_code", "empty_secret"];
        for key in reasons.map(|r| format!("stock.reason.{r}")) {
            assert_ne!(t(&key), "（缺少文案）", "{key}");
        }
        for kind in ["wallet.credit", "order.pay", "order.refund", "order.release"] {
            assert_ne!(t(&format!("ledger.{kind}")), "（缺少文案）", "{kind}");
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
