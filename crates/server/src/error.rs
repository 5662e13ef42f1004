//! The server's one error type. JSON endpoints answer `{code, message}` with a
//! fitting status; pages render the same message in a Chinese error page. 5xx
//! causes are logged here and never sent to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use youying_core::Error;

use crate::fmt::fmt_fen;
use crate::i18n::t;

#[derive(Debug)]
pub enum AppError {
    Core(Error),
    /// A failure the HTTP layer detects itself (bad JSON, CSRF, …).
    Http {
        status: StatusCode,
        code: &'static str,
    },
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Core(e) => write!(f, "{}: {e}", e.code()),
            AppError::Http { status, code } => write!(f, "{code} ({status})"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Core(e)
    }
}

impl From<youying_core::StorageError> for AppError {
    fn from(e: youying_core::StorageError) -> Self {
        AppError::Core(e.into())
    }
}

impl AppError {
    pub fn http(status: StatusCode, code: &'static str) -> Self {
        AppError::Http { status, code }
    }

    /// An order lookup that found nothing the caller may see: an unknown
    /// order number or contact, a wrong query password, or someone else's
    /// order all answer exactly this (404 `guest_not_found`).
    pub fn guest_not_found() -> Self {
        AppError::http(StatusCode::NOT_FOUND, "guest_not_found")
    }

    /// A guest checkout with a contact a guest already holds, and not its
    /// query password (409 `guest_contact_taken`).
    pub fn guest_contact_taken() -> Self {
        AppError::http(StatusCode::CONFLICT, "guest_contact_taken")
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Http { status, .. } => *status,
            AppError::Core(e) => match e {
                Error::Invalid { .. }
                | Error::WeakPassword
                | Error::CommonPassword
                | Error::UnknownRule(_)
                | Error::RuleOutOfRange { .. }
                | Error::InsufficientFunds
                | Error::AmountOutOfRange { .. }
                | Error::DailyLimit { .. }
                | Error::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
                Error::UsernameTaken
                | Error::ShopNameTaken
                | Error::Conflict(_)
                | Error::OutOfStock
                | Error::WindowClosed { .. }
                | Error::ShopUnavailable => StatusCode::CONFLICT,
                Error::BadCredentials | Error::Unauthenticated => StatusCode::UNAUTHORIZED,
                Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                Error::Forbidden | Error::AccountFrozen => StatusCode::FORBIDDEN,
                Error::NotFound => StatusCode::NOT_FOUND,
                Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                // 507: the server cannot store what the request needs; reads still work.
                Error::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
                Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Http { code, .. } => code,
            AppError::Core(e) => e.code(),
        }
    }

    /// The Chinese message shown to people, most specific first.
    pub fn message(&self) -> String {
        match self {
            AppError::Core(Error::Invalid { field, reason }) => {
                // Field and reason first (an empty description is not a too
                // long one), then the field, then the generic words.
                let exact = t(&format!("invalid_input.{field}.{reason}"));
                let specific = if exact.starts_with('（') { t(&format!("invalid_input.{field}")) } else { exact };
                if specific.starts_with('（') { t("invalid_input").to_owned() } else { specific.to_owned() }
            }
            AppError::Core(Error::Throttled { retry_after_secs }) => {
                format!("{}（约 {}后可重试）", t("too_many_attempts"), retry_words(*retry_after_secs))
            }
            AppError::Core(Error::RuleOutOfRange { name, min, max }) => {
                format!("{}（{name}：{min}–{max}）", t("rule_out_of_range"))
            }
            AppError::Core(Error::AmountOutOfRange { min_fen, max_fen }) => {
                format!("{}（{} – {}）。", t("amount_out_of_range"), fmt_fen(*min_fen), fmt_fen(*max_fen))
            }
            AppError::Core(Error::DailyLimit { limit_fen, left_fen }) => {
                format!("{}（每日 {}，今天还可 {}）。", t("daily_limit"), fmt_fen(*limit_fen), fmt_fen(*left_fen))
            }
            AppError::Core(Error::UnknownRule(name)) => format!("{}（{name}）", t("unknown_rule")),
            AppError::Core(Error::Conflict(reason)) => {
                let specific = t(&format!("conflict.{reason}"));
                if specific.starts_with('（') { t("conflict").to_owned() } else { specific.to_owned() }
            }
            AppError::Core(Error::WindowClosed { closed_at_ms }) => format!(
                "{}{}。",
                t("case_window_closed"),
                crate::fmt::fmt_time(youying_core::Timestamp::from_millis(*closed_at_ms))
            ),
            other => t(other.code()).to_owned(),
        }
    }

    pub fn retry_after(&self) -> Option<i64> {
        match self {
            AppError::Core(Error::Throttled { retry_after_secs }) => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// A database that is down or a disk that is full: the request did
    /// nothing, and trying again shortly may work (`Retry-After`, in seconds).
    pub fn transient_retry(&self) -> Option<i64> {
        match self {
            AppError::Core(Error::Unavailable(_)) => Some(2),
            AppError::Core(Error::StorageFull(_)) => Some(30),
            _ => None,
        }
    }

    /// Logs server-side failures once, where they are turned into responses.
    pub fn log(&self) {
        if self.transient_retry().is_some() {
            tracing::warn!(error = %self, "request refused");
        } else if self.status().is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut body = json!({ "code": self.code(), "message": self.message() });
        if let AppError::Core(Error::Invalid { field, reason }) = &self {
            body["field"] = json!(field);
            body["reason"] = json!(reason);
        }
        if let AppError::Core(Error::Conflict(reason)) = &self {
            body["reason"] = json!(reason.as_str());
        }
        if let AppError::Core(Error::WindowClosed { closed_at_ms }) = &self {
            body["window_closed_at"] = json!(closed_at_ms);
        }
        if let AppError::Core(Error::AmountOutOfRange { min_fen, max_fen }) = &self {
            body["min_fen"] = json!(min_fen);
            body["max_fen"] = json!(max_fen);
        }
        if let AppError::Core(Error::DailyLimit { limit_fen, left_fen }) = &self {
            body["limit_fen"] = json!(limit_fen);
            body["left_fen"] = json!(left_fen);
        }
        if let Some(secs) = self.retry_after() {
            body["retry_after"] = json!(secs);
        }
        let mut resp = (self.status(), Json(body)).into_response();
        set_retry_after(&mut resp, self.retry_after().or_else(|| self.transient_retry()));
        resp
    }
}

pub type ApiResult<T> = Result<T, AppError>;

/// Tells a throttled client when to come back.
pub fn set_retry_after(resp: &mut Response, secs: Option<i64>) {
    if let Some(v) = secs.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// `Json<T>` whose rejections speak our error format.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> AppError {
    match r {
        JsonRejection::JsonDataError(_) => AppError::http(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        JsonRejection::JsonSyntaxError(_) => AppError::http(StatusCode::BAD_REQUEST, "malformed_json"),
        JsonRejection::MissingJsonContentType(_) => {
            AppError::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        }
        _ => AppError::http(StatusCode::BAD_REQUEST, "malformed_json"),
    }
}

/// A refused picture says why in its own code: `image_too_large` (413),
/// `not_an_image` or `image_too_many_pixels` (422).
pub fn image_error(e: Error) -> AppError {
    match e {
        Error::Invalid { field: "image", reason: "image_too_large" } => too_large(),
        Error::Invalid { field: "image", reason } => AppError::http(StatusCode::UNPROCESSABLE_ENTITY, reason),
        other => other.into(),
    }
}

pub fn too_large() -> AppError {
    AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "image_too_large")
}

/// A wait as people read it: seconds under a minute, else whole minutes
/// rounded up (`约 15 分钟后`, never `约 898 秒后`).
fn retry_words(secs: i64) -> String {
    let secs = secs.max(1);
    let rounded = if secs < 60 { secs } else { (secs + 59) / 60 * 60 };
    format!("{} ", youying_core::rules::words::duration(rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_down_is_503_and_a_full_disk_507_in_chinese_with_retry_after() {
        let down = AppError::Core(Error::Unavailable("connection refused".into()));
        assert_eq!((down.status(), down.code()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
        assert!(down.message().contains("数据库暂时无法连接"), "{}", down.message());
        let resp = down.into_response();
        assert_eq!(resp.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap()), Some("2"));
        let full = AppError::Core(Error::StorageFull("database or disk is full".into()));
        assert_eq!((full.status(), full.code()), (StatusCode::INSUFFICIENT_STORAGE, "storage_full"));
        assert!(full.message().contains("存储空间已满"), "{}", full.message());
        assert!(!full.message().contains("disk"), "the cause stays in the log");
    }

    #[test]
    fn a_lockout_reads_in_minutes_not_hundreds_of_seconds() {
        let m = AppError::Core(Error::Throttled { retry_after_secs: 898 }).message();
        assert!(m.ends_with("（约 15 分钟 后可重试）"), "{m}");
        let m = AppError::Core(Error::Throttled { retry_after_secs: 30 }).message();
        assert!(m.ends_with("（约 30 秒 后可重试）"), "{m}");
        let m = AppError::Core(Error::Throttled { retry_after_secs: 3_600 }).message();
        assert!(m.ends_with("（约 1 小时 后可重试）"), "{m}");
    }
}
