//! Demo data for `serve --demo`: an account of every role, several shops with
//! realistic goods of all three kinds and stock, buyers with wallet balance —
//! and a month of history lived through the real use cases ([`history`],
//! [`script`]), so grades, charts, published cases and the service report show
//! real figures on the first start. Passwords are random and printed once, on
//! the run that creates them.

mod goods;
pub mod history;
pub mod script;

use std::sync::Arc;

use serde_json::Value;
use youying_core::accounts::User;
use youying_core::catalogue::{ProductInput, ProductSpec};
use youying_core::deposit::DepositSource;
use youying_core::money::{Account, Entry, Fen};
use youying_core::ports::{Store, Tx};
use youying_core::rules::Rule;
use youying_core::shops;
use youying_core::values::{ProductId, Role, ShopName, UserId};
use youying_core::{FakeClock, Timestamp};

use self::goods::{fill, goods};
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
    tracing::debug!(ms = began.elapsed().as_millis(), "demo: accounts, shops and goods made");
    history::live(&past, cast.clone(), start, events).await?;
    tracing::debug!(ms = began.elapsed().as_millis(), "demo: the month lived");
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
    app.store.write(move |tx| credit(tx, now, id, fen)).await?;
    Ok(())
}

/// The demo faucet: `fen` from the platform's cash into `user`'s wallet.
pub(crate) fn credit(tx: &mut dyn Tx, now: Timestamp, user: UserId, fen: i64) -> youying_core::error::Result<()> {
    let e = Entry::transfer(
        "wallet.credit",
        format!("user:{user}"),
        "演示充值",
        Account::PlatformCash,
        Account::UserWallet(user),
        Fen::new(fen)?,
    )?;
    tx.post(&e, now)
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
