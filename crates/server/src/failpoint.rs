//! Crash points: the process dies at a named step when the environment says
//! so (`YOUYING_FAILPOINT=<name>`), as a power cut would there. Tests start a
//! real `youying serve` with one set to prove that what was committed before
//! the step is finished after a restart, exactly once. Unset, nothing happens.

use std::sync::OnceLock;

/// Aborts the process (no unwinding, no shutdown, nothing flushed) when the
/// failpoint `name` is the one set.
pub fn hit(name: &str) {
    static SET: OnceLock<Option<String>> = OnceLock::new();
    if SET.get_or_init(|| std::env::var("YOUYING_FAILPOINT").ok()).as_deref() == Some(name) {
        tracing::error!(failpoint = name, "failpoint reached: aborting the process");
        std::process::abort();
    }
}
