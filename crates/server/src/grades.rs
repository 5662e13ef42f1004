//! Keeping grades current: the core's step function, then search follows the
//! shops whose letter changed. Called by the scheduler loop about once a
//! minute, and by tests after moving the fake clock.

use youying_core::error::{Result, StorageError};
use youying_core::grades::refresh::{Refreshed, refresh_grades};
use youying_core::ports::Store;

use crate::state::App;

/// How often the scheduler loop regrades.
pub const EVERY_MS: i64 = 60_000;

pub async fn refresh<S: Store>(app: &App<S>) -> Result<Refreshed> {
    let now = app.now();
    let out = app.store.write(move |tx| refresh_grades(tx, now)).await?;
    if !out.changed.is_empty() {
        crate::catalog::sync_search(app).await.map_err(|e| StorageError(format!("search after grades: {e}")))?;
    }
    Ok(out)
}
