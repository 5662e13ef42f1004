//! The public promise: `/rules` (服务承诺) prints every window, deadline,
//! remedy, penalty and fee from the rules in force, with the history of
//! changes; `/guide` (维权指南) walks a buyer through prevention, response and
//! escalation, saying at each step what Youying does by itself. Both read the
//! rules in force, so no sentence can quote a stale number.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule, Rules};

use super::layout::{Layout, Page, PageError, render};
use crate::app::public::{PublicRules, load_rules};
use crate::fmt::fmt_duration;
use crate::state::App;

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage<'a> {
    page: &'a Layout,
    r: PublicRules,
    generated: String,
}

pub async fn rules_page<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let r = load_rules(&app).await.map_err(|e| page.error(e))?;
    let generated = crate::fmt::fmt_time(youying_core::Timestamp::from_millis(r.generated_at));
    Ok(render(StatusCode::OK, &page.layout, &RulesPage { page: &page.layout, r, generated }))
}

/// One step of the guide: what the buyer does, and what Youying does for them.
pub struct Step {
    pub title: &'static str,
    pub you: String,
    pub we: String,
}

/// 预防, 出问题时 or 升级.
pub struct Stage {
    pub key: &'static str,
    pub title: &'static str,
    pub steps: Vec<Step>,
}

fn step(title: &'static str, you: impl Into<String>, we: impl Into<String>) -> Step {
    Step { title, you: you.into(), we: we.into() }
}

fn prevention(r: &Rules) -> Stage {
    let reply = fmt_duration(r.chat_reply_secs());
    Stage {
        key: "prevent",
        title: "预防：买之前",
        steps: vec![
            step(
                "看评级",
                "在店铺页看它的评级（A/B/C/D）、公示案例和保证金。评级由近 30 天实测的回复速度、按时率、售后率算出，公式公开。",
                "评级、处罚和平台介入过的售后由系统自动公示，商家删不掉。",
            ),
            step(
                "看服务承诺",
                "先读一遍「服务承诺」：担保期多长、售后多久有结果、谁来退钱。",
                "承诺页直接读取现行规则；规则每次调整都记入证据链并列在变更历史里。",
            ),
            step(
                "对话留在平台内",
                "只在有应的对话里和商家沟通，不加私人微信/QQ，不在平台外付款。",
                format!("商品页、订单页、机器人和人工客服是同一个对话；每条消息自动存证，真人须在 {reply}内回复。"),
            ),
        ],
    }
}

fn response(r: &Rules) -> Stage {
    let d = |rule: Rule| fmt_duration(r.get(rule));
    Stage {
        key: "respond",
        title: "出问题时：在担保期内",
        steps: vec![
            step(
                "在订单页申请售后",
                format!(
                    "卡密无效、充值未到账、账号与描述不符：在订单页点「申请售后」。担保期为卡密 {}、直充 {}、账号 {}。",
                    d(Rule::ProtectCardKeySecs),
                    d(Rule::ProtectTopupSecs),
                    d(Rule::ProtectAccountSecs)
                ),
                "提交即冻结货款，商家拿不走；交易快照、发货记录、卡密查看记录和聊天记录自动附上。",
            ),
            step(
                "上传截图",
                "把兑换失败、充值记录或账号信息的截图传上来，写清楚哪里不对。",
                "截图与描述写入防篡改的证据链；卡密类、直充类售后附了截图，商家超时时平台直接退款。",
            ),
            step(
                "等待，不用催",
                format!("商家须在 {}内处理：补发、补充值、退款，或提出异议。", d(Rule::CaseMerchantSecs)),
                format!("平台自动计时，页面上有倒计时；售后 {}内必有结果。", d(Rule::CaseResolveSecs)),
            ),
        ],
    }
}

fn escalation(r: &Rules) -> Stage {
    let d = |rule: Rule| fmt_duration(r.get(rule));
    Stage {
        key: "escalate",
        title: "升级：商家不理或谈不拢",
        steps: vec![
            step(
                "商家超时",
                "什么都不用做。",
                format!(
                    "商家 {}内未处理，平台自动介入：附截图的卡密、直充售后自动全额退款，其余转平台仲裁；商家记违规一次。聊天里商家 {}内不回复，会话自动转给平台客服。",
                    d(Rule::CaseMerchantSecs),
                    d(Rule::ChatReplySecs)
                ),
            ),
            step(
                "平台仲裁",
                "不接受商家的方案时点「不接受」，写明理由。",
                format!(
                    "平台客服按交易快照里的承诺逐项裁决，{}内未结束的售后自动全额退款；钱不够时从商家保证金、再从交易保险基金垫付。",
                    d(Rule::CaseResolveSecs)
                ),
            ),
            step(
                "导出证据包",
                "需要向 12315、黑猫投诉或支付渠道申诉时，在订单页点「导出证据」。",
                "证据包含可打印的说明页和机器可读的文件，每条记录都有哈希链证明，任何人都能离线验证没被改过。",
            ),
        ],
    }
}

#[derive(Template)]
#[template(path = "guide.html")]
struct GuidePage<'a> {
    page: &'a Layout,
    stages: Vec<Stage>,
}

pub async fn guide_page<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let r = app.store.read(|tx| rules::in_force(tx)).await.map_err(|e| page.error(e.into()))?;
    let t = GuidePage { page: &page.layout, stages: vec![prevention(&r), response(&r), escalation(&r)] };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/rules", routing::get(rules_page::<S>)).route("/guide", routing::get(guide_page::<S>))
}
