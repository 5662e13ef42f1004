//! The withdrawals half of the port, in the SQL both backends share. The
//! payee's account and real name are stored exactly as the server sealed them.

use youying_core::clock::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::money::Account;
use youying_core::payments::Sealed;
use youying_core::values::{ShopId, UserId};
use youying_core::withdrawals::{
    Decision, Method, NewWithdrawal, ShopFunds, Wallet, Withdrawal, WithdrawalId, WithdrawalRead, WithdrawalState,
    WithdrawalTx,
};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const COLS: &str = "id, wallet, requested_by, amount_fen, fee_fen, method, account_sealed, account_masked, \
                    real_name_sealed, state, transfer_ref, reason, requested_at, decided_by, decided_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad withdrawal {what}")).into()
}

fn withdrawal(r: &Row) -> Result<Withdrawal> {
    Ok(Withdrawal {
        id: WithdrawalId(r.int(0)?),
        wallet: Wallet::parse_key(&r.text(1)?).ok_or_else(|| bad("wallet"))?,
        requested_by: UserId(r.int(2)?),
        amount_fen: r.int(3)?,
        fee_fen: r.int(4)?,
        method: Method::parse(&r.text(5)?).map_err(|_| bad("method"))?,
        account: Sealed::new(r.text(6)?),
        account_masked: r.text(7)?,
        real_name: Sealed::new(r.text(8)?),
        state: WithdrawalState::parse(&r.text(9)?).ok_or_else(|| bad("state"))?,
        transfer_ref: r.opt_text(10)?,
        reason: r.opt_text(11)?,
        requested_at: r.time(12)?,
        decided_by: r.opt_int(13)?.map(UserId),
        decided_at: r.opt_time(14)?,
    })
}

impl<C: Conn> WithdrawalTx for SqlTx<'_, C> {
    fn insert_withdrawal(&mut self, w: &NewWithdrawal) -> Result<WithdrawalId> {
        self.insert_id(
            "INSERT INTO withdrawals (wallet, requested_by, amount_fen, fee_fen, method, account_sealed, \
             account_masked, real_name_sealed, state, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9) RETURNING id",
            params![
                w.wallet.key(),
                w.requested_by.0,
                w.amount_fen,
                w.fee_fen,
                w.method.as_str(),
                w.account.as_str(),
                w.account_masked.as_str(),
                w.real_name.as_str(),
                w.requested_at
            ],
        )
        .map(WithdrawalId)
    }

    fn decide_withdrawal(&mut self, id: WithdrawalId, d: &Decision, by: UserId, at: Timestamp) -> Result<bool> {
        let (state, transfer_ref, reason) = match d {
            Decision::Approve { transfer_ref } => (WithdrawalState::Paid, Some(transfer_ref.as_str()), None),
            Decision::Reject { reason } => (WithdrawalState::Rejected, None, Some(reason.as_str())),
        };
        // The state in the WHERE clause makes a second decision (even a
        // concurrent one, which waits for the row) change nothing.
        let n = self.exec(
            "UPDATE withdrawals SET state = $1, transfer_ref = $2, reason = $3, decided_by = $4, decided_at = $5 \
             WHERE id = $6 AND state = 'requested'",
            params![state.as_str(), transfer_ref, reason, by.0, at, id.0],
        )?;
        Ok(n == 1)
    }
}

impl<C: Conn> WithdrawalRead for SqlTx<'_, C> {
    fn withdrawal(&mut self, id: WithdrawalId) -> Result<Option<Withdrawal>> {
        self.one(&format!("SELECT {COLS} FROM withdrawals WHERE id = $1"), params![id.0])?
            .as_ref()
            .map(withdrawal)
            .transpose()
    }

    fn withdrawals_of(&mut self, wallet: Wallet, n: usize) -> Result<Vec<Withdrawal>> {
        self.query(
            &format!("SELECT {COLS} FROM withdrawals WHERE wallet = $1 ORDER BY id DESC LIMIT $2"),
            params![wallet.key(), lim(n)],
        )?
        .iter()
        .map(withdrawal)
        .collect()
    }

    fn withdrawals_for_staff(&mut self, n: usize) -> Result<Vec<Withdrawal>> {
        self.query(
            &format!(
                "SELECT {COLS} FROM withdrawals ORDER BY CASE WHEN state = 'requested' THEN 0 ELSE 1 END, \
                 CASE WHEN state = 'requested' THEN id ELSE -id END LIMIT $1"
            ),
            params![lim(n)],
        )?
        .iter()
        .map(withdrawal)
        .collect()
    }

    fn withdrawn_since(&mut self, wallet: Wallet, since: Timestamp) -> Result<i64> {
        self.one(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM withdrawals \
             WHERE wallet = $1 AND requested_at > $2 AND state <> 'rejected'",
            params![wallet.key(), since],
        )?
        .map_or(Ok(0), |r| r.int(0))
    }

    fn shop_funds(&mut self, shop: ShopId) -> Result<ShopFunds> {
        let wallet = Account::ShopWallet(shop).key();
        let sum = |rows: Vec<Row>, key: &str| -> Result<i64> {
            let mut total = 0;
            for r in &rows {
                if r.text(0)? == key {
                    total += r.int(1)?;
                }
            }
            Ok(total)
        };
        // Every posting of the release entries that paid this shop, by account.
        let released = self.query(
            "SELECT a.key, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p \
             JOIN ledger_accounts a ON a.id = p.account_id \
             WHERE p.entry_id IN (SELECT p2.entry_id FROM ledger_postings p2 \
               JOIN ledger_accounts a2 ON a2.id = p2.account_id JOIN ledger_entries e ON e.id = p2.entry_id \
               WHERE a2.key = $1 AND e.kind = 'order.release') \
             GROUP BY a.key",
            params![wallet.as_str()],
        )?;
        let refunds = self.one(
            "SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM ledger_postings p \
             JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_entries e ON e.id = p.entry_id \
             WHERE a.key = $1 AND e.kind = 'case.refund'",
            params![wallet.as_str()],
        )?;
        let escrow = self.one(
            "SELECT CAST(COALESCE(SUM(escrow_fen), 0) AS BIGINT) FROM orders WHERE shop_id = $1",
            params![shop.0],
        )?;
        let by_state = self.query(
            "SELECT state, CAST(SUM(amount_fen - CASE WHEN state = 'paid' THEN fee_fen ELSE 0 END) AS BIGINT) \
             FROM withdrawals WHERE wallet = $1 GROUP BY state",
            params![wallet.as_str()],
        )?;
        let income = sum(released.clone(), &wallet)?;
        Ok(ShopFunds {
            sales_fen: -sum(released.clone(), &Account::Escrow.key())?,
            fee_fen: sum(released.clone(), &Account::PlatformFee.key())?,
            fund_fen: sum(released, &Account::ProtectionFund.key())?,
            income_fen: income,
            refunds_fen: -refunds.map_or(Ok(0), |r| r.int(0))?,
            escrow_fen: escrow.map_or(Ok(0), |r| r.int(0))?,
            wallet_fen: self
                .one("SELECT balance FROM ledger_accounts WHERE key = $1", params![wallet.as_str()])?
                .map_or(Ok(0), |r| r.int(0))?,
            pending_fen: sum(by_state.clone(), WithdrawalState::Requested.as_str())?,
            paid_out_fen: sum(by_state, WithdrawalState::Paid.as_str())?,
        })
    }
}
