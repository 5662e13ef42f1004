//! Demo data for `serve --demo`: one account of every role, a shop with an
//! agent, so a newcomer can click through at once. Passwords are random and
//! printed once, on the run that creates them.

use youying_core::ports::Store;
use youying_core::shops;
use youying_core::values::{Role, ShopName};

use crate::accounts as flows;
use crate::error::AppError;
use crate::security::{random_token, token_hash};
use crate::state::App;

/// The accounts demo mode creates: (username, role label).
pub const ACCOUNTS: &[(&str, &str)] = &[
    ("admin", "管理员 admin"),
    ("kefu", "平台客服 platform agent"),
    ("xiaoming", "买家 buyer"),
    ("laowang", "商家（星辰点卡店主）merchant owner"),
    ("xingchen_kf", "商家客服（星辰点卡）merchant agent"),
];

fn password() -> Result<String, AppError> {
    // 12 hex characters plus a fixed letter-digit tail satisfy the password rule.
    Ok(format!("{}Yy1", &random_token("")?[..12]))
}

pub async fn seed<S: Store>(app: &App<S>) -> Result<(), AppError> {
    if app.store.read(|tx| tx.user_by_key("admin")).await?.is_some() {
        eprintln!("demo data already present (passwords were printed when it was created)");
        return Ok(());
    }
    let mut printed = Vec::new();
    let mut pw = Vec::new();
    for _ in ACCOUNTS {
        pw.push(password()?);
    }
    flows::register(app, "admin", &pw[0], Role::Admin, None).await?;
    flows::register(app, "kefu", &pw[1], Role::PlatformAgent, None).await?;
    flows::register(app, "xiaoming", &pw[2], Role::Buyer, None).await?;
    let owner = flows::register(app, "laowang", &pw[3], Role::Buyer, None).await?;
    let now = app.now();
    let o = owner.clone();
    let name = ShopName::parse("星辰点卡")?;
    let shop = app.store.write(move |tx| shops::open(tx, now, &o, &name)).await?;
    let token = random_token("yyi_")?;
    let hash = token_hash(&token);
    app.store.write(move |tx| shops::invite_agent(tx, now, &owner, shop.id, &hash)).await?;
    crate::api::accept_invite(app, &token, "xingchen_kf", &pw[4]).await?;
    for ((name, label), p) in ACCOUNTS.iter().zip(&pw) {
        printed.push(format!("  {name:<12} {p:<16} {label}"));
    }
    eprintln!(
        "demo accounts (shown once — note them down):\n  username     password         role\n{}",
        printed.join("\n")
    );
    Ok(())
}
