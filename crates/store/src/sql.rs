//! The small SQL vocabulary both adapters speak. Statements are written once with
//! PostgreSQL's `$1` placeholders (SQLite is handed `?1`, its numbered form); the
//! few real dialect differences are asked of [`Dialect`]. Values cross as [`Val`]
//! so each adapter converts types in exactly one place.

use youying_core::Timestamp;
use youying_core::error::{Conflict, Error, StorageError};

/// A row limit as SQL takes it.
pub(crate) fn lim(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[derive(Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
    /// A blob (`BLOB` / `BYTEA`): chat pictures.
    Bytes(Vec<u8>),
}

/// Blobs are summarised: a 5 MiB picture in an error message helps nobody.
impl std::fmt::Debug for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Null => f.write_str("Null"),
            Val::Int(v) => write!(f, "Int({v})"),
            Val::Text(v) => write!(f, "Text({v:?})"),
            Val::Bytes(v) => write!(f, "Bytes({} bytes)", v.len()),
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Timestamp> for Val {
    fn from(v: Timestamp) -> Self {
        Val::Int(v.millis())
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Self {
        Val::Bytes(v.to_vec())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// Builds a parameter list: `params![a, b, c]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::sql::Val::from($v)),*][..] };
}
pub(crate) use params;

#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Val>);

impl Row {
    fn at(&self, i: usize) -> Result<&Val, Error> {
        self.0.get(i).ok_or_else(|| StorageError(format!("row has no column {i}")).into())
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, Error> {
        match self.at(i)? {
            Val::Int(v) => Ok(*v),
            other => Err(StorageError(format!("column {i}: expected integer, got {other:?}")).into()),
        }
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, Error> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub(crate) fn time(&self, i: usize) -> Result<Timestamp, Error> {
        self.int(i).map(Timestamp::from_millis)
    }

    pub(crate) fn opt_time(&self, i: usize) -> Result<Option<Timestamp>, Error> {
        Ok(self.opt_int(i)?.map(Timestamp::from_millis))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, Error> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, Error> {
        match self.at(i)? {
            Val::Text(v) => Ok(v.clone()),
            other => Err(StorageError(format!("column {i}: expected text, got {other:?}")).into()),
        }
    }

    /// Takes a blob out of the row (no copy of a large picture).
    pub(crate) fn take_bytes(&mut self, i: usize) -> Result<Vec<u8>, Error> {
        match self.0.get_mut(i) {
            Some(Val::Bytes(v)) => Ok(std::mem::take(v)),
            other => Err(StorageError(format!("column {i}: expected bytes, got {other:?}")).into()),
        }
    }
}

/// What a backend reported when a statement failed.
#[derive(Debug)]
pub(crate) struct DbError {
    /// The violated unique constraint: PostgreSQL's constraint name, or SQLite's
    /// `table.column` list, whichever the backend names.
    pub(crate) unique: Option<String>,
    pub(crate) message: String,
    /// Set when the database itself failed rather than the statement.
    pub(crate) fault: Option<Fault>,
}

/// A failure of the database rather than of what was asked of it: the caller
/// is told to come back later, never shown a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Connection refused or lost, the server shutting down or restarting.
    Unavailable,
    /// No space left for the database's files.
    Full,
}

impl DbError {
    /// A failure of the statement (not of the database), without a constraint.
    pub(crate) fn other(message: String) -> Self {
        DbError { unique: None, message, fault: None }
    }
}

/// The domain error of a database fault, if `e` is one.
fn fault_error(e: &DbError) -> Option<Error> {
    match e.fault? {
        Fault::Unavailable => Some(Error::Unavailable(e.message.clone())),
        Fault::Full => Some(Error::StorageFull(e.message.clone())),
    }
}

/// Maps a failed statement to a domain error. The one place constraint names
/// become meaning; every other failure is opaque storage trouble.
pub(crate) fn map_db_error(e: DbError) -> Error {
    if let Some(fault) = fault_error(&e) {
        return fault;
    }
    if let Some(data) = data_exception(&e) {
        return data;
    }
    if let Some(c) = e.unique.as_deref() {
        match c {
            "users_username_key_uq" | "users.username_key" => return Error::UsernameTaken,
            "shops_name_key_uq" | "shops.name_key" => return Error::ShopNameTaken,
            "idempotency_keys_pkey" | "idempotency_keys.user_id, idempotency_keys.key" => {
                return Error::Conflict(Conflict::IdempotencyKeyInFlight);
            }
            "stock_units_fp_uq" | "stock_units.shop_id, stock_units.fingerprint" => {
                return Error::Conflict(Conflict::DuplicateStock);
            }
            "cases_open_order_uq" | "cases.order_id" => return Error::Conflict(Conflict::CaseAlreadyOpen),
            "reviews_order_uq" | "reviews.order_id" => return Error::Conflict(Conflict::AlreadyReviewed),
            _ => return Error::Conflict(Conflict::Duplicate),
        }
    }
    StorageError(e.message).into()
}

/// PostgreSQL's class 22 (data exception: a NUL in text 22021, a number out of
/// range 22003, an untranslatable character 22P05, …) is bad input that
/// slipped past the edge, not a broken server: 422 `invalid_input`, logged so
/// the edge can learn it. The adapter reports `SQLSTATE: message`; a value the
/// client could not even bind (an i64 beyond an INT4 parameter) is the same.
fn data_exception(e: &DbError) -> Option<Error> {
    let state = e.message.split_once(": ").map_or("", |(s, _)| s);
    let is_class_22 = state.len() == 5 && state.starts_with("22") && state.bytes().all(|b| b.is_ascii_alphanumeric());
    let unbindable = e.message.starts_with("error serializing parameter");
    (is_class_22 || unbindable).then(|| {
        tracing::warn!(error = %e.message, "data exception from the database");
        Error::Invalid { field: "input", reason: "data_exception" }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row locks exist only on PostgreSQL; SQLite has one writer at a time anyway.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// One connection, as the shared transaction code sees it.
pub(crate) trait Conn {
    fn dialect(&self) -> Dialect;
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError>;
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Where each product's unclaimed stock begins, as this connection last saw
    /// it (product id → unit id): a claim starts its index scan there instead
    /// of walking the entries of units already sold (PostgreSQL keeps them until
    /// vacuum). `None`: the backend has no such entries (SQLite).
    fn claim_marks(&mut self) -> Option<&mut std::collections::HashMap<i64, i64>> {
        None
    }
}

/// `$1` → `?1`, leaving quoted text alone.
pub(crate) fn to_sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_quote = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '$' if !in_quote => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_summarised_in_debug() {
        assert_eq!(format!("{:?}", Val::from(&[1u8, 2, 3][..])), "Bytes(3 bytes)");
        assert_eq!(format!("{:?}", Val::from("a")), "Text(\"a\")");
    }

    #[test]
    fn placeholders_convert_outside_quotes() {
        assert_eq!(to_sqlite_placeholders("SELECT $1, '$x' WHERE a = $2"), "SELECT ?1, '$x' WHERE a = ?2");
    }
}

#[cfg(test)]
mod data_exception_tests {
    use super::*;

    fn failed(message: &str) -> Error {
        map_db_error(DbError { unique: None, message: message.to_owned(), fault: None })
    }

    #[test]
    fn data_exceptions_are_bad_input_not_storage_trouble() {
        for m in [
            "22021: invalid byte sequence for encoding \"UTF8\": 0x00",
            "22003: value \"2147483648\" is out of range for type integer",
            "22P05: unsupported Unicode escape sequence",
            "error serializing parameter 0: out of range integral type conversion attempted",
        ] {
            assert!(matches!(failed(m), Error::Invalid { field: "input", reason: "data_exception" }), "{m}");
        }
        assert!(matches!(failed("08006: connection failure"), Error::Storage(_)));
        assert!(matches!(failed("database is locked"), Error::Storage(_)));
    }
}
