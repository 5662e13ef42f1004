//! The demo's shops' goods: listings of all three kinds and the shape of their stock.

use serde_json::{Value, json};

use crate::error::AppError;

/// (shop index, listing, stock pattern, units). Pattern letters: `D` a digit,
/// `A` an upper-case letter or digit; anything else is kept.
pub(super) fn goods() -> Vec<(usize, Value, &'static str, usize)> {
    vec![
        (
            0,
            json!({ "category": "game_card", "kind": "card_key", "title": "腾讯Q币点卡 100元", "price_fen": 9_850,
            "tiers": [{ "min_qty": 5, "unit_price_fen": 9_750 }, { "min_qty": 20, "unit_price_fen": 9_680 }],
            "promises": ["instant", "auto_delivery", "invalid_refund"],
            "description": "**官方正规渠道** 腾讯Q币充值卡，面值 100 元。\n\n- 付款后自动发货，卡号卡密即时可见\n- 卡密无效包退，担保期内可申请售后",
            "instructions": "打开 pay.qq.com → 充值中心 → Q币 → 使用充值卡，输入卡号和密码即可。" }),
            "DDDDDDDDDDDDDDDD----DDDDDDDD",
            40,
        ),
        (
            0,
            json!({ "category": "game_card", "kind": "card_key", "title": "网易一卡通 50元 点卡", "price_fen": 4_900,
            "promises": ["instant", "auto_delivery"], "description": "网易游戏通用点卡，梦幻西游、大话西游等均可使用。",
            "instructions": "登录网易支付中心，选择“一卡通充值”，输入卡号密码。" }),
            "AAAAAAAAAAAA DDDDDDDD",
            30,
        ),
        (
            0,
            json!({ "category": "gift_card", "kind": "card_key", "title": "Steam 钱包充值卡 $20（美区）", "price_fen": 14_500,
            "promises": ["auto_delivery", "after_sales"], "description": "Steam 美区钱包码，仅限美区账号使用，请确认账号区域后购买。",
            "instructions": "Steam 客户端 → 账户 → 充值钱包 → 兑换 Steam 钱包码。" }),
            "AAAAA-AAAAA-AAAAA",
            15,
        ),
        (
            1,
            json!({ "category": "software_key", "kind": "card_key", "title": "Windows 11 专业版 永久激活码", "price_fen": 1_990,
            "tiers": [{ "min_qty": 10, "unit_price_fen": 1_690 }], "promises": ["instant", "auto_delivery", "lifetime_warranty"],
            "description": "零售版密钥，**永久激活**，支持重装系统后再次激活。\n\n> 激活失败请联系客服，24 小时内处理。",
            "instructions": "设置 → 系统 → 激活 → 更改产品密钥，输入 25 位密钥。" }),
            "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA",
            50,
        ),
        (
            1,
            json!({ "category": "software_key", "kind": "card_key", "title": "Office 2021 专业增强版 激活码", "price_fen": 3_900,
            "promises": ["auto_delivery", "after_sales"], "description": "绑定微软账户，一码一机，可随账户转移。",
            "instructions": "访问 setup.office.com 登录微软账户后输入激活码。" }),
            "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA",
            25,
        ),
        (
            2,
            json!({ "category": "topup", "kind": "direct_topup", "title": "QQ会员 1个月 直充", "price_fen": 1_450, "promises": ["instant"],
            "description": "直接充值到您的 QQ 号，无需卡密。", "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }),
            "",
            0,
        ),
        (
            2,
            json!({ "category": "topup", "kind": "direct_topup", "title": "王者荣耀 点券 600 直充", "price_fen": 5_800, "topup_promise_secs": 1_800,
            "description": "官方渠道代充，30 分钟内到账，超时可一键退款。",
            "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }, { "name": "zone", "label": "区服" }] }),
            "",
            0,
        ),
        (
            3,
            json!({ "category": "game_account", "kind": "account", "title": "原神 60级 天空岛 双金五星 账号", "price_fen": 26_800,
            "promises": ["after_sales"], "description": "实名可改，附赠原始邮箱。请收货后第一时间修改密码。",
            "account_attrs": [{ "name": "等级", "value": "60" }, { "name": "区服", "value": "天空岛" }, { "name": "五星角色", "value": "2" }, { "name": "是否二次实名", "value": "否" }] }),
            "ys_AAAAAAAA----AAAAAAAAAA",
            3,
        ),
        (
            3,
            json!({ "category": "game_account", "kind": "account", "title": "和平精英 账号 皮肤 120 套", "price_fen": 39_900,
            "account_attrs": [{ "name": "皮肤数", "value": "120" }, { "name": "区服", "value": "QQ区" }, { "name": "是否二次实名", "value": "否" }] }),
            "hp_AAAAAAAA----AAAAAAAAAA",
            2,
        ),
    ]
}

/// A code in `pattern`'s shape from random bytes.
pub(super) fn fill(pattern: &str) -> Result<String, AppError> {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0u8; pattern.len()];
    getrandom::fill(&mut bytes).map_err(|e| youying_core::StorageError(format!("random: {e}")))?;
    Ok(pattern
        .chars()
        .zip(bytes)
        .map(|(c, b)| match c {
            'D' => char::from(b'0' + b % 10),
            'A' => char::from(ALNUM[usize::from(b) % ALNUM.len()]),
            other => other,
        })
        .collect())
}
