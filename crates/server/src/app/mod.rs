//! The application layer: the operations that the JSON API, the pages, the CLI,
//! the demo seeder and the websocket share, one file per feature. They take the
//! [`App`](crate::state::App) (or the store) and typed inputs and return domain
//! results or plain view structs; no extractors, no responses, no templates.
//! Transports call `app`, never each other.

pub mod admin;
pub mod apikeys;
pub mod bot;
pub mod cases;
pub mod chat;
pub mod chat_view;
pub mod evidence;
pub mod guest;
pub mod levels;
pub mod open;
pub mod open_wire;
pub mod orders;
pub mod password;
pub mod pay;
pub mod payments;
pub mod products;
pub mod public;
pub mod publication;
pub mod push;
pub mod quiz;
pub mod reviews;
pub mod shops;
pub mod sourcing;
pub mod stock_export;
pub mod suppliers;
pub mod verify;
pub mod wallet;
pub mod withdrawals;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn sources(dir: &str) -> Vec<(PathBuf, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // What the tests at the end of a file use does not count (nor this test's words).
                let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
                out.push((path, code));
            }
        }
        assert!(!out.is_empty(), "no sources under {}", dir.display());
        out
    }

    fn offenders(dir: &str, words: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        for (path, text) in sources(dir) {
            for w in words {
                if text.contains(w) {
                    found.push(format!("{} mentions {w}", path.display()));
                }
            }
        }
        found
    }

    /// The JSON API and the pages are two transports over `app`: neither calls
    /// the other, and `app` knows neither (nor HTTP or templates).
    #[test]
    fn transports_call_app_never_each_other() {
        let mut found = offenders("api", &["crate::pages"]);
        found.extend(offenders("pages", &["crate::api"]));
        found.extend(offenders("app", &["crate::api", "crate::pages", "axum", "askama"]));
        assert!(found.is_empty(), "{found:#?}");
    }
}
