//! The OpenAPI description, generated from the API handlers' annotations:
//! served as JSON by the API and rendered by the docs page.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::admin;
use crate::api::apikeys;
use crate::api::auth;
use crate::api::bot;
use crate::api::cases;
use crate::api::chat;
use crate::api::enforcement;
use crate::api::evidence;
use crate::api::guest;
use crate::api::levels;
use crate::api::open;
use crate::api::orders;
use crate::api::pay;
use crate::api::payments;
use crate::api::products;
use crate::api::public;
use crate::api::publication;
use crate::api::push;
use crate::api::quiz;
use crate::api::reviews;
use crate::api::shops;
use crate::api::sourcing;
use crate::api::suppliers;
use crate::api::wallet;
use crate::api::withdrawals;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "有应 Youying API", description = "卡盟担保交易平台的 JSON API。错误一律为 `{code, message}`。路径、查询或请求体（JSON、表单、文本）中含空字符（NUL，`\\u0000` 或 `%00`）一律 400 `nul_character`；带登录凭据的应答一律 `Cache-Control: private, no-store`。"),
    paths(
        auth::register, auth::login, auth::logout, auth::me, auth::put_email, auth::change_password, auth::create_token, auth::list_tokens, auth::revoke_token,
        shops::open, shops::get, shops::agents, shops::invite, shops::invites, shops::revoke_invite, shops::accept_invite,
        admin::get_rules, admin::put_rules, admin::verify_evidence, admin::users, admin::freeze_user, admin::shops, admin::adjust_deposit, admin::freeze_shop,
        payments::list_gateways, payments::put_gateway,
        pay::start_top_up, pay::my_top_ups, pay::get_top_up, pay::list_top_ups, pay::confirm_top_up,
        products::create, products::patch, products::get, products::search, products::of_shop, products::import, products::withdraw, products::export,
        guest::checkout, guest::lookup, guest::claim,
        levels::list, levels::create, levels::update, levels::assign, levels::prices, levels::set_prices,
        orders::create, orders::get, orders::list, orders::snapshot, orders::reveal, orders::confirm, orders::fulfil, orders::cancel,
        chat::open, chat::list, chat::messages, chat::post, chat::upload_image, chat::image, chat::read, chat::assign, chat::set_duty, chat::get_duty,
        push::notifications, push::mark_read, push::get_channels, push::put_channels, push::test, push::set_low_stock,
        cases::open, cases::of_order, cases::list, cases::get, cases::act, cases::evidence, cases::arbitration,
        publication::list, publication::get, publication::respond,
        reviews::create, reviews::edit, reviews::of_order, reviews::reply, reviews::queue, reviews::moderate, reviews::of_shop,
        wallet::mine, wallet::of_shop, wallet::credit, wallet::faucet, wallet::breaches, wallet::audit,
        withdrawals::request_for_shop, withdrawals::of_shop, withdrawals::request_own, withdrawals::mine, withdrawals::for_staff, withdrawals::detail, withdrawals::decide,
        sourcing::connect, sourcing::list, sourcing::get, sourcing::remove, sourcing::catalogue, sourcing::map, sourcing::mappings, sourcing::mapping, sourcing::remap, sourcing::unmap, sourcing::callback,
        suppliers::add, suppliers::list, suppliers::remove, suppliers::bind, suppliers::binding, suppliers::unbind, suppliers::callback,
        evidence::api_export, evidence::chain_head, evidence::verify,
        enforcement::get_deposit, enforcement::top_up, enforcement::of_shop, enforcement::list, enforcement::lift,
        bot::ask, bot::feedback, bot::get_shop_bot, bot::put_shop_bot, bot::list_faq, bot::add_faq, bot::edit_faq, bot::delete_faq,
        public::shop, public::service_report, public::rules,
        quiz::start, quiz::submit, quiz::certificate, quiz::questions, quiz::add, quiz::edit, quiz::retire,
        apikeys::create, apikeys::list, apikeys::revoke, apikeys::callbacks,
        open::ping, open::products, open::product, open::place, open::order, open::open_case, open::case,
    ),
    modifiers(&Security),
    tags((name = "auth", description = "账号与登录"), (name = "shops", description = "店铺与客服子账号"), (name = "admin", description = "平台管理：仅管理员。平台客服与其他角色读写一律 403 `forbidden`；平台客服的工作在售后仲裁（cases）与平台会话（chat）下"), (name = "products", description = "商品、库存与搜索"), (name = "levels", description = "会员等级：等级折扣与店铺等级价，商品与下单都按买家等级计价"), (name = "orders", description = "下单、发货与担保"), (name = "wallet", description = "钱包与账本"), (name = "chat", description = "对话：人工回复时限内必有真人回复，超时平台接管（时限见 GET /api/v1/public/rules）"), (name = "notifications", description = "通知中心与推送渠道（Webhook、Telegram、企业微信、Server酱、邮件）；Webhook 带 X-Youying-Signature = hex(HMAC-SHA256(secret, body))"), (name = "cases", description = "售后：商家时限内处理，售后时限内必有结果（时限见 GET /api/v1/public/rules）"), (name = "evidence", description = "证据包与公开链头"), (name = "bot", description = "智能助手：先答常见问题，随时一键转人工"), (name = "reviews", description = "评价：每个已完成订单一条，含威胁、辱骂、联系方式的先审核；买家匿名展示"), (name = "quiz", description = "客服认证：规则答题（随机 10 题，30 分钟内交卷，90 分及格），证书 90 天有效；题库由管理员维护"), (name = "sourcing", description = "货源对接：接入上游站点、映射商品、同步价格库存、订单自动向上游下单；直充货源：接入供货商、绑定直充商品到供货商 SKU，回调与轮询完成充值"), (name = "public", description = "公开数据：店铺评级与其依据、平台服务报告、服务承诺（现行规则与变更历史）（无需登录，不含买家信息）"), (name = "open", description = "开放接口（对接）：API 密钥，及 /api/open/v1 下的签名请求。每个请求带 X-Youying-Key、X-Youying-Timestamp（Unix 秒，与服务器相差不超过 60 秒）、X-Youying-Signature = hex(HMAC-SHA256(secret, METHOD\\nPATH_AND_QUERY\\nTIMESTAMP\\nhex(SHA-256(body))))；错误为 `{code, message}`，说明见 /docs/open-api"))
)]
pub struct ApiDoc;

#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
            c.add_security_scheme("cookie", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("yy_session"))));
            // The open API: the key id in this header, with X-Youying-Timestamp
            // and X-Youying-Signature beside it (see the `open` tag).
            c.add_security_scheme(
                "open_signature",
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                    "X-Youying-Key",
                    "API 密钥 ID；同时必须带 X-Youying-Timestamp 与 X-Youying-Signature（HMAC-SHA256，见 /docs/open-api）",
                ))),
            );
        }
    }
}

pub async fn json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
