//! Exporting a listing's unsold keys: what the stock page and the API share.

use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::stock;
use youying_core::values::ProductId;

use crate::error::ApiResult;
use crate::state::App;

/// The unsold units of `product` as an import file would hold them: one per
/// line, `code` or `code----secret` (so the file imports back as it was), UTF-8.
/// The read is an evidence event (`stock::export`).
pub async fn export_stock<S: Store>(app: &App<S>, user: User, product: ProductId) -> ApiResult<String> {
    let now = app.now();
    let units = app.store.write(move |tx| stock::export(tx, now, &user, product)).await?;
    let vault = std::sync::Arc::clone(&app.vault);
    let text = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        for u in &units {
            let open = vault.open(u)?;
            out.push_str(&open.code);
            if let Some(s) = &open.secret {
                out.push_str("----");
                out.push_str(s);
            }
            out.push('\n');
        }
        Ok::<_, youying_core::Error>(out)
    })
    .await
    .map_err(|e| youying_core::StorageError(format!("open task: {e}")))??;
    Ok(text)
}

/// The download's file name: `stock-<product>.txt`.
pub fn file_name(product: ProductId) -> String {
    format!("stock-{}.txt", product.0)
}
