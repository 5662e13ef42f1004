//! Demo data for `serve --demo`: an account of every role, several shops with
//! realistic goods of all three kinds and stock, buyers with wallet balance —
//! and a month of history lived through the real use cases ([`history`],
//! [`script`]), so grades, charts, published cases and the service report show
//! real figures on the first start. Passwords are random and printed once, on
//! the run that creates them.

pub mod history;
pub mod script;

use std::sync::Arc;

use serde_json::{Value, json};
use youying_core::FakeClock;
use youying_core::accounts::User;
use youying_core::catalogue::{ProductInput, ProductSpec};
use youying_core::deposit::DepositSource;
use youying_core::money::{Account, Entry, Fen};
use youying_core::ports::Store;
use youying_core::rules::Rule;
use youying_core::shops;
use youying_core::values::{ProductId, Role, ShopName};

use crate::accounts as flows;
use crate::error::AppError;
use crate::security::{random_token, token_hash};
use crate::state::App;

/// The accounts demo mode creates: (username, role label).
pub const ACCOUNTS: &[(&str, &str)] = &[
    ("admin", "管理员 admin"),
    ("kefu", "平台客服 platform agent"),
    ("xiaoming", "买家（余额 ¥500）buyer"),
    ("xiaohong", "买家·代理 95折（余额 ¥300）buyer, reseller level"),
    ("laowang", "商家（星辰点卡店主）merchant owner"),
    ("xingchen_kf", "商家客服（星辰点卡）merchant agent"),
    ("zhangsan", "商家（正版软件小铺）merchant owner"),
    ("lisi", "商家（速充直充）merchant owner"),
    ("laotie", "商家（老铁账号行）merchant owner"),
];

/// (owner, shop name).
const SHOPS: &[(&str, &str)] =
    &[("laowang", "星辰点卡"), ("zhangsan", "正版软件小铺"), ("lisi", "速充直充"), ("laotie", "老铁账号行")];

fn password() -> Result<String, AppError> {
    // 12 hex characters plus a fixed letter-digit tail satisfy the password rule.
    Ok(format!("{}Yy1", &random_token("")?[..12]))
}

/// (shop index, listing, stock pattern, units). Pattern letters: `D` a digit,
/// `A` an upper-case letter or digit; anything else is kept.
fn goods() -> Vec<(usize, Value, &'static str, usize)> {
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
fn fill(pattern: &str) -> Result<String, AppError> {
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

pub async fn seed<S: Store>(app: &App<S>) -> Result<(), AppError> {
    if app.store.read(|tx| tx.user_by_key("admin")).await?.is_some() {
        eprintln!("demo data already present (passwords were printed when it was created)");
        return Ok(());
    }
    let began = std::time::Instant::now();
    let start = app.now().plus_millis(-script::DAYS * script::DAY);
    // The platform opened a day before the month it lives: accounts, shops
    // and goods are made on a clock set back, then the month walks it forward.
    let mut past = app.clone();
    past.clock = Arc::new(FakeClock::at(start.plus_millis(-script::DAY)));
    let events = script::month();
    let needed = history::stock_needed(&events);
    let pw: Vec<String> = ACCOUNTS.iter().map(|_| password()).collect::<Result<_, _>>()?;
    let pass = |name: &str| ACCOUNTS.iter().position(|(n, _)| *n == name).map(|i| pw[i].clone()).unwrap_or_default();
    let admin = flows::register(&past, "admin", &pass("admin"), Role::Admin, None).await?;
    // A demo runs on one machine: two demo sites may dock each other over
    // 127.0.0.1, which a real platform refuses (`allow_private_addresses`).
    let (now, a) = (past.now(), admin.clone());
    let one_machine = std::collections::BTreeMap::from([(Rule::AllowPrivateAddresses.as_str().to_owned(), 1)]);
    past.store.write(move |tx| youying_core::accounts::change_rules(tx, now, &a, &one_machine)).await?;
    flows::register(&past, "kefu", &pass("kefu"), Role::PlatformAgent, None).await?;
    for (buyer, fen) in BALANCES {
        let user = flows::register(&past, buyer, &pass(buyer), Role::Buyer, None).await?;
        fund(&past, &user, fen).await?;
        if buyer == "xiaohong" {
            seed_levels(&past, &admin, &user).await?;
        }
    }
    for name in script::EXTRA_BUYERS {
        // Buyers of the history only: nobody signs in as them, so no password is shown.
        flows::register(&past, name, &password()?, Role::Buyer, None).await?;
    }
    let shop_ids = open_shops(&past, &pass).await?;
    let products = stock_shops(&past, &shop_ids, &needed).await?;
    let cast = cast(&past, &shop_ids, products).await?;
    history::live(&past, cast.clone(), start, events).await?;
    settle(app, &cast).await?;
    let rows: Vec<String> =
        ACCOUNTS.iter().zip(&pw).map(|((name, label), p)| format!("  {name:<12} {p:<16} {label}")).collect();
    eprintln!(
        "demo accounts (shown once — note them down):\n  username     password         role\n{}",
        rows.join("\n")
    );
    tracing::info!(ms = began.elapsed().as_millis(), "demo: a month of history seeded");
    Ok(())
}

/// What xiaoming and xiaohong hold when the demo starts (README, e2e).
const BALANCES: [(&str, i64); 2] = [("xiaoming", 50_000), ("xiaohong", 30_000)];

/// Opens the four shops with their deposits; the first gets its agent and an
/// opening wallet balance.
async fn open_shops<S: Store>(
    app: &App<S>,
    pass: &dyn Fn(&str) -> String,
) -> Result<Vec<(User, youying_core::values::ShopId)>, AppError> {
    let mut shop_ids = Vec::new();
    for (owner, name) in SHOPS {
        let user = flows::register(app, owner, &pass(owner), Role::Buyer, None).await?;
        let (now, name) = (app.now(), ShopName::parse(name)?);
        let u = user.clone();
        let shop = app.store.write(move |tx| shops::open(tx, now, &u, &name)).await?;
        // Listings need the minimum deposit: the owner funds it from a demo credit.
        let min = app.store.read(|tx| Ok(youying_core::rules::in_force(tx)?.get(Rule::DepositMinFen))).await?;
        if min > 0 {
            fund(app, &user, min).await?;
            let (u, amount) = (user.clone(), Fen::new(min)?);
            app.store
                .write(move |tx| youying_core::deposit::top_up(tx, now, &u, shop.id, amount, DepositSource::Wallet))
                .await?;
        }
        shop_ids.push((user, shop.id));
    }
    let (owner, shop) = shop_ids[0].clone();
    // The first shop starts with sales money in its wallet, so 货款 and 提现 have something to show.
    fund_shop(app, shop, DEMO_SHOP_WALLET_FEN).await?;
    let token = random_token("yyi_")?;
    let (hash, now) = (token_hash(&token), app.now());
    app.store.write(move |tx| shops::invite_agent(tx, now, &owner, shop, &hash)).await?;
    crate::app::shops::accept(app, &token, "xingchen_kf", &pass("xingchen_kf")).await?;
    Ok(shop_ids)
}

/// Lists the goods with the stock promised (README) plus what the month sells.
async fn stock_shops<S: Store>(
    app: &App<S>,
    shop_ids: &[(User, youying_core::values::ShopId)],
    needed: &[usize],
) -> Result<Vec<ProductId>, AppError> {
    let mut products = Vec::new();
    for (i, (shop_index, listing, pattern, units)) in goods().into_iter().enumerate() {
        let (owner, shop) = shop_ids[shop_index].clone();
        let product = list(app, &owner, shop, listing).await?;
        import(app, &owner, product, pattern, units + needed.get(i).copied().unwrap_or(0)).await?;
        products.push(product);
    }
    Ok(products)
}

async fn import<S: Store>(
    app: &App<S>,
    owner: &User,
    product: ProductId,
    pattern: &str,
    units: usize,
) -> Result<(), AppError> {
    if units > 0 && !pattern.is_empty() {
        let lines: Vec<String> = (0..units).map(|_| fill(pattern)).collect::<Result<_, _>>()?;
        crate::app::products::import_stock(app, owner.clone(), product, &lines.join("\n"), false).await?;
    }
    Ok(())
}

async fn cast<S: Store>(
    app: &App<S>,
    shop_ids: &[(User, youying_core::values::ShopId)],
    products: Vec<ProductId>,
) -> Result<history::Cast, AppError> {
    let user = |name: &'static str| async move {
        app.store.read(move |tx| tx.user_by_key(name)).await?.ok_or(AppError::from(youying_core::Error::NotFound))
    };
    let mut payees = Vec::new();
    for (name, account) in PAYEES {
        let r = crate::app::withdrawals::WithdrawalRequest {
            amount_fen: 0,
            method: "alipay".to_owned(),
            account: account.to_owned(),
            real_name: name.to_owned(),
        };
        payees.push(crate::app::withdrawals::input(&app.vault, &r)?);
    }
    let mut buyers = Vec::new();
    for name in BALANCES.iter().map(|(n, _)| *n).chain(script::EXTRA_BUYERS.iter().copied()) {
        buyers.push(user(name).await?);
    }
    Ok(history::Cast {
        buyers,
        owners: shop_ids.iter().map(|(u, _)| u.clone()).collect(),
        shops: shop_ids.iter().map(|(_, s)| *s).collect(),
        agent: user("xingchen_kf").await?,
        kefu: user("kefu").await?,
        admin: user("admin").await?,
        payees,
        products,
    })
}

/// Where each shop's owner withdraws to (支付宝), in `SHOPS` order.
const PAYEES: [(&str, &str); 4] = [
    ("王老五", "laowang@example.com"),
    ("张三", "zhangsan@example.com"),
    ("李四", "lisi@example.com"),
    ("铁柱", "laotie@example.com"),
];

/// Back on the real clock: deadlines due since the month's last step fire,
/// stock and balances are what README promises, grades are current.
async fn settle<S: Store>(app: &App<S>, cast: &history::Cast) -> Result<(), AppError> {
    let now = app.now();
    app.store.write(move |tx| history::fire_until(tx, now)).await?;
    for (i, (shop_index, _, pattern, units)) in goods().into_iter().enumerate() {
        let id = cast.products[i];
        let have = usize::try_from(app.store.read(move |tx| tx.stock_count(id)).await?).unwrap_or(0);
        import(app, &cast.owners[shop_index], id, pattern, units.saturating_sub(have)).await?;
    }
    for (i, (_, fen)) in BALANCES.iter().enumerate() {
        let buyer = cast.buyers[i].clone();
        let id = buyer.id;
        let balance = app.store.read(move |tx| tx.balance(Account::UserWallet(id))).await?;
        if balance < *fen {
            fund(app, &buyer, fen - balance).await?;
        }
    }
    crate::grades::refresh(app).await?;
    crate::catalog::sync_search(app).await?;
    Ok(())
}

/// 高级会员 2%, 代理 5%, 总代 8% beside the seeded default 普通会员 (0); the
/// second demo buyer is a 代理, so the level price shows on every product.
async fn seed_levels<S: Store>(app: &App<S>, admin: &User, agent: &User) -> Result<(), AppError> {
    let mut agent_level = None;
    for (position, name, bp) in [(1, "高级会员", 200), (2, "代理", 500), (3, "总代", 800)] {
        let body = crate::app::levels::LevelBody {
            name: Some(name.to_owned()),
            position: Some(position),
            discount_bp: Some(bp),
            is_default: None,
        };
        let level = crate::app::levels::create(app, admin.clone(), &body).await?;
        if name == "代理" {
            agent_level = Some(level.id);
        }
    }
    if let Some(level) = agent_level {
        crate::app::levels::assign(app, admin.clone(), agent.id.0, level).await?;
    }
    Ok(())
}

async fn fund<S: Store>(app: &App<S>, user: &User, fen: i64) -> Result<(), AppError> {
    let (id, now) = (user.id, app.now());
    app.store
        .write(move |tx| {
            let e = Entry::transfer(
                "wallet.credit",
                format!("user:{id}"),
                "演示充值",
                Account::PlatformCash,
                Account::UserWallet(id),
                Fen::new(fen)?,
            )?;
            tx.post(&e, now)
        })
        .await?;
    Ok(())
}

/// What the first demo shop's wallet holds at the start (¥800).
const DEMO_SHOP_WALLET_FEN: i64 = 80_000;

async fn fund_shop<S: Store>(app: &App<S>, shop: youying_core::values::ShopId, fen: i64) -> Result<(), AppError> {
    let now = app.now();
    app.store
        .write(move |tx| {
            let e = Entry::transfer(
                "demo.shop_credit",
                format!("shop:{shop}"),
                "演示货款（期初余额）",
                Account::PlatformCash,
                Account::ShopWallet(shop),
                Fen::new(fen)?,
            )?;
            tx.post(&e, now)
        })
        .await?;
    Ok(())
}

async fn list<S: Store>(
    app: &App<S>,
    owner: &User,
    shop: youying_core::values::ShopId,
    listing: Value,
) -> Result<ProductId, AppError> {
    let input: ProductInput =
        serde_json::from_value(listing).map_err(|e| youying_core::StorageError(format!("demo listing: {e}")))?;
    let spec = ProductSpec::parse(&input)?;
    let (now, owner) = (app.now(), owner.clone());
    Ok(app.store.write(move |tx| youying_core::listings::create(tx, now, &owner, shop, &spec, true)).await?)
}

/// The demo's gateway: the fake 易支付 the same binary serves at
/// [`FAKE_GATEWAY_PATH`], configured as gateway `demo` with every channel.
/// Run at every demo start (after [`seed`]), so its address follows the port.
pub async fn use_fake_gateway<S: Store>(app: &App<S>, site: &str) -> Result<(), AppError> {
    let Some(admin) = app.store.read(|tx| tx.user_by_key("admin")).await? else { return Ok(()) };
    let request = crate::app::payments::GatewayRequest {
        kind: "epay_v1".into(),
        base_url: format!("{}{FAKE_GATEWAY_PATH}", site.trim_end_matches('/')),
        pid: crate::fakepay::DEMO_PID.into(),
        key: Some(crate::fakepay::DEMO_KEY.into()),
        merchant_private_key_pem: None,
        platform_public_key_pem: None,
        channels: vec!["alipay".into(), "wxpay".into(), "qqpay".into()],
        enabled: true,
    };
    crate::app::payments::put(app, admin, "demo", &request).await?;
    Ok(())
}

/// Where `--demo` serves the fake gateway.
pub const FAKE_GATEWAY_PATH: &str = "/fake-epay";

/// Where `--demo` serves the fake direct-top-up supplier.
pub const FAKE_SUPPLIER_PATH: &str = "/fake-supplier";

/// The demo top-up fulfilled by the fake supplier, and its SKU there.
const DEMO_TOPUP_TITLE: &str = "QQ会员 1个月 直充";
const DEMO_SKU: &str = "QQVIP-1M";

/// The demo's direct-top-up supplier (直充货源): the fake this binary serves at
/// [`FAKE_SUPPLIER_PATH`], added to the 速充直充 shop with its QQ会员 top-up
/// bound to a SKU, so a demo top-up completes by itself. Run at every demo
/// start (after [`seed`]); a supplier at an old address (another port) is
/// replaced. No signed check here: the address is this server's own.
pub async fn use_fake_supplier<S: Store>(app: &App<S>, site: &str) -> Result<(), AppError> {
    use youying_core::sourcing::supplier::{self, BindInput};
    use youying_core::sourcing::{NewConnection, Protocol};

    let Some(owner) = app.store.read(|tx| tx.user_by_key("lisi")).await? else { return Ok(()) };
    let base = format!("{}{FAKE_SUPPLIER_PATH}", site.trim_end_matches('/'));
    let secret = app.vault.seal_secret(crate::fakesupplier::DEMO_SECRET)?;
    let now = app.now();
    app.store
        .write(move |tx| {
            let Some(shop) = tx.shops_owned_by(owner.id)?.into_iter().next() else { return Ok(()) };
            let Some(product) = tx.products_of_shop(shop.id)?.into_iter().find(|p| p.spec.title == DEMO_TOPUP_TITLE)
            else {
                return Ok(());
            };
            let existing = supplier::suppliers_of(tx, &owner, shop.id)?;
            if existing.iter().any(|(c, _)| c.base_url == base) {
                return Ok(());
            }
            for (c, bound) in existing.into_iter().filter(|(c, _)| c.key_id == crate::fakesupplier::DEMO_APP_ID) {
                for b in bound {
                    supplier::unbind(tx, now, &owner, shop.id, b.product_id)?;
                }
                supplier::remove(tx, now, &owner, shop.id, c.id)?;
            }
            let new = NewConnection {
                shop_id: shop.id,
                protocol: Protocol::HttpJson,
                base_url: base,
                key_id: crate::fakesupplier::DEMO_APP_ID.to_owned(),
                secret,
                site_name: "演示直充供货商".to_owned(),
                account_name: String::new(),
                level_name: String::new(),
                balance_fen: 0,
            };
            let c = supplier::add(tx, now, &owner, &new)?;
            let input = BindInput { supplier: c.id, sku: DEMO_SKU.to_owned(), account_field: None };
            supplier::bind(tx, now, &owner, shop.id, product.id, &input).map(|_| ())
        })
        .await?;
    Ok(())
}
