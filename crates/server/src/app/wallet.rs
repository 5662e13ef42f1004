//! The demo faucet, shared by the API and the wallet page.

use youying_core::Error;
use youying_core::money::{Account, Fen};
use youying_core::ports::Store;

use crate::error::ApiResult;
use crate::state::App;

/// Demo mode only: ¥500 of play money for whoever asks.
pub const FAUCET_FEN: i64 = 50_000;

/// Demo mode only: credits a buyer ¥500 of play money; returns the new balance.
/// Shared by the API and the wallet page. Outside demo mode there is no faucet.
pub async fn faucet_credit<S: Store>(app: &App<S>, user: &youying_core::accounts::User) -> ApiResult<i64> {
    if !app.config.demo {
        return Err(Error::NotFound.into());
    }
    let now = app.now();
    let id = user.id;
    let balance = app
        .store
        .write(move |tx| {
            let entry = youying_core::money::Entry::transfer(
                "wallet.credit",
                format!("user:{id}"),
                "演示充值",
                Account::PlatformCash,
                Account::UserWallet(id),
                Fen::new(FAUCET_FEN)?,
            )?;
            tx.post(&entry, now)?;
            tx.balance(Account::UserWallet(id))
        })
        .await?;
    Ok(balance)
}
