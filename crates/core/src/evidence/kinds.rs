//! Every kind of evidence event and its title in Chinese. A kind recorded
//! anywhere in the code without a title here fails the test below, which
//! walks the source for the kinds the code appends.

/// The title of event `kind`, as a sentence without its facts (in two
/// halves, alphabetically, to keep each table short).
pub fn title(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "api_key.created" => "创建了接口密钥",
        "api_key.revoked" => "停用了接口密钥",
        "auth.login" => "登录",
        "auth.login_failed" => "登录失败",
        "auth.logout" => "退出登录",
        "auth.password_changed" => "修改了登录密码",
        "auth.token_created" => "创建了登录令牌",
        "auth.token_revoked" => "停用了登录令牌",
        "bot.disabled" => "关闭了智能助手",
        "bot.enabled" => "开启了智能助手",
        "breach.recorded" => "平台记录了一次违约",
        "case.opened" => "买家申请售后",
        "case.reissued" => "商家补发了卡密",
        "case.fulfilled" => "商家表示已补充值",
        "case.partial_proposed" => "商家提议部分退款",
        "case.escalated" => "售后转平台仲裁",
        "case.closed" => "售后结束",
        "case.refund_paid" => "售后退款已退给买家",
        "case.relaying" => "平台把售后转给上游货源",
        "case.public_response" => "商家公开回应了售后",
        "case.upstream_opened" => "上游货源受理了这次售后",
        "case.upstream_refused" => "上游货源拒绝了这次售后",
        "case.upstream_recovered" => "上游货源已为这次售后退款",
        "case.upstream_changed" => "上游货源那边的售后有了新进展",
        "chain.anchored" => "平台公布了证据链的整点锚定",
        "chat.answered" => "回复了买家",
        "chat.assigned" => "对话被分配给一位客服",
        "chat.bot_settled" => "买家确认智能助手已解决问题",
        "chat.handed_over" => "智能助手把对话转给人工客服",
        "chat.message" => "发送了一条消息",
        "chat.opened" => "买家发起了对话",
        "chat.read" => "已读消息",
        "chat.taken_over" => "平台客服接管了对话",
        "deadline.graced" => "平台停机，期限已顺延",
        "deadlines.fired" => "平台处理了到期的时限",
        "deposit.topped_up" => "商家补充了保证金",
        "deposit.adjusted" => "平台调整了店铺保证金",
        "duty.off" => "平台客服下班",
        "duty.on" => "平台客服上班",
        "evidence.exported" => "导出了证据材料",
        "faq.added" => "商家添加了常见问题",
        "faq.changed" => "商家修改了常见问题",
        "faq.removed" => "商家删除了常见问题",
        "gateway.put" => "平台设置了支付通道",
        "grade.changed" => "店铺评级变化",
        "level.assigned" => "商家调整了会员等级",
        "level.created" => "商家新建了会员等级",
        "level.updated" => "商家修改了会员等级",
        "platform.outage" => "平台停机，期间到期的时限已顺延",
        "order.case_opened" => "买家就本订单申请售后",
        "order.completed" => "担保期结束，货款结算给商家",
        "order.created" => "买家付款，货款由平台担保",
        "order.delivered" => "平台自动发货",
        "order.fulfilled" => "商家报告已完成直充",
        "order.key_revealed" => "查看了卡密",
        "order.refunded" => "订单退款给买家",
        "order.reissued" => "商家补发了新的卡密",
        "order.source_late" => "上游货源回复过晚",
        "order.sourced" => "上游货源已接单",
        "order.sourcing" => "平台向上游货源下单",
        "order.topup_overdue" => "直充超过承诺时间",
        _ => return later(kind),
    })
}

/// The kinds from `payment.` on: [`title`]'s second half.
fn later(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "payment.confirmed" => "付款已确认",
        "payment.created" => "发起了付款",
        "payment.credited" => "平台手工确认了付款",
        "payment.expired" => "付款已过期",
        "payment.notified" => "支付通道通知了付款结果",
        "payment.order_failed" => "付款后下单失败",
        "payment.order_placed" => "付款后已下单",
        "payment.queried" => "平台查询了付款结果",
        "penalty.applied" => "平台对商家作出处罚",
        "penalty.ended" => "处罚到期",
        "penalty.lifted" => "平台撤销了处罚",
        "product.created" => "商家上架了商品",
        "product.level_prices" => "商家设置了会员价",
        "product.updated" => "商家修改了商品",
        "quiz.failed" => "商家规则考试未通过",
        "quiz.passed" => "商家规则考试通过",
        "quiz.question_added" => "平台添加了考试题目",
        "quiz.question_changed" => "平台修改了考试题目",
        "quiz.question_retired" => "平台停用了考试题目",
        "quiz.started" => "商家开始规则考试",
        "review.held" => "评价待审核",
        "review.published" => "评价已公开",
        "review.rejected" => "评价未通过审核",
        "review.replied" => "商家回复了评价",
        "review.resubmitted" => "买家修改评价后重新提交审核",
        "review.written" => "买家写了评价",
        "rule.changed" => "平台修改了规则",
        "shop.agent_joined" => "店铺新增一位客服",
        "shop.frozen" => "平台冻结了店铺",
        "shop.invite_created" => "店铺发出客服邀请",
        "shop.invite_expired" => "客服邀请已过期",
        "shop.invite_revoked" => "店铺撤回了客服邀请",
        "shop.opened" => "开设了店铺",
        "shop.unfrozen" => "平台解除了店铺冻结",
        "stock.exported" => "商家导出了未售卡密",
        "stock.imported" => "商家导入了库存",
        "stock.withdrawn" => "商家撤下了库存",
        "supplier.added" => "商家接入了供货商",
        "supplier.bound" => "商家绑定了供货商",
        "supplier.removed" => "商家移除了供货商",
        "supplier.unbound" => "商家解绑了供货商",
        "units.viewed_by_staff" => "平台仲裁时查看了卡密",
        "upstream.connected" => "商家接入了上游货源",
        "upstream.mapped" => "商家对接了上游商品",
        "upstream.product_hidden" => "上游商品已下架",
        "upstream.product_shown" => "上游商品已恢复",
        "upstream.remapped" => "商家改接了上游商品",
        "upstream.removed" => "商家移除了上游货源",
        "upstream.unmapped" => "商家取消对接上游商品",
        "user.email_changed" => "修改了邮箱",
        "user.frozen" => "平台冻结了账号",
        "user.guest_claimed" => "游客账号转为正式账号",
        "user.guest_created" => "创建了游客账号",
        "user.registered" => "注册了账号",
        "user.unfrozen" => "平台解除了账号冻结",
        "wallet.credited" => "平台为钱包入账",
        "withdrawal.approved" => "平台批准了提现",
        "withdrawal.rejected" => "平台驳回了提现",
        "withdrawal.requested" => "申请提现",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::title;

    /// Kinds that reach `NewEvent::new` through a variable, with the number of
    /// such call sites: a new indirect site must add its kinds here.
    const INDIRECT: &[&str] = &[
        "case.reissued",
        "case.fulfilled",
        "case.partial_proposed",
        "upstream.connected",
        "supplier.added",
        "withdrawal.approved",
        "withdrawal.rejected",
        "level.created",
        "level.updated",
        "review.rejected",
        "user.frozen",
        "user.unfrozen",
        crate::deadline::outage::GRACED_EVENT,
        crate::deadline::outage::OUTAGE_EVENT,
        crate::deadline::FIRED_EVENT,
    ];
    const INDIRECT_SITES: usize = 9;

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The text of a call's arguments: from `(` to its matching `)`.
    fn args(text: &str) -> &str {
        let mut depth = 0;
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 1 => return &text[..i],
                ')' => depth -= 1,
                _ => {}
            }
        }
        text
    }

    /// `"word.word"` string literals.
    fn kinds(text: &str) -> Vec<&str> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                s.split_once('.').is_some_and(|(a, b)| {
                    let ok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    ok(a) && ok(b)
                })
            })
            .collect()
    }

    #[test]
    fn every_kind_the_code_records_has_words() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for c in ["core/src", "server/src"] {
            sources(&root.join(c), &mut files);
        }
        let (mut found, mut indirect) = (Vec::new(), 0);
        for f in files.iter().filter(|f| !f.ends_with("kinds.rs")) {
            let whole = std::fs::read_to_string(f).unwrap();
            // Tests record made-up kinds of their own.
            let text = whole.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in text.match_indices("NewEvent::new(") {
                let a = args(&text[i + "NewEvent::new".len()..]);
                let k = kinds(a);
                if k.is_empty() && !a.contains("\"test\"") {
                    indirect += 1;
                }
                found.extend(k.into_iter().map(str::to_owned));
            }
            // Case steps name their kind in the caller of `record`.
            for (i, _) in text.match_indices(" record(") {
                found.extend(kinds(args(&text[i + " record".len()..])).into_iter().map(str::to_owned));
            }
        }
        found.extend(INDIRECT.iter().map(|s| (*s).to_owned()));
        assert!(found.len() > 80, "the walk found only {} kinds", found.len());
        assert_eq!(indirect, INDIRECT_SITES, "a new call site records a kind through a variable: list its kinds");
        let missing: Vec<_> = found.iter().filter(|k| title(k).is_none()).collect();
        assert!(missing.is_empty(), "event kinds without words: {missing:?}");
    }
}
