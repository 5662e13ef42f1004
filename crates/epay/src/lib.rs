//! The 易支付 ("epay") merchant protocol, as a library: what a gateway adapter
//! needs to talk to any 彩虹易支付-compatible gateway, and nothing more.
//!
//! Pure and network-free: no HTTP client, no database, no clock. The adapter
//! (server side, behind a core port) sends what this crate builds and hands
//! back what the gateway answered.
//!
//! - [`money`]: yuan strings at the edge, integer fen inside, no floats.
//! - [`params`]: the ordered parameter list and the string every signature covers.
//! - [`sign`]: V1 (MD5 with the merchant key) and V2 (SHA256withRSA) credentials.
//! - [`submit`]: the browser pay URL `{base}/submit.php?…`.
//! - [`notify`]: parsing and checking the gateway's notify.
//! - [`query`]: the order query (V1 `api.php?act=order`, V2 `api/pay/query`) and its answer.
//!
//! Facts follow `shared/PAYMENTS.md` and the Epay panel's `PayUtils.php`.

pub mod error;
pub mod money;
pub mod notify;
pub mod params;
pub mod query;
pub mod sign;
pub mod submit;

pub use self::error::{Error, Result};
pub use self::money::{fen_to_yuan, yuan_to_fen};
pub use self::notify::{Expected, PaidNotice};
pub use self::params::Params;
pub use self::query::{QueryAnswer, QueryCall, QueryMethod, QueryRequest, QueryUrl};
pub use self::sign::{Credentials, Md5Key, MerchantKey, PlatformKey};
pub use self::submit::{BaseUrl, OutTradeNo, PayOrder};
