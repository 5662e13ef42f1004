//! The one error type of this crate.

use thiserror::Error;

/// Why an index operation failed.
///
/// User query text never produces an error: it is only segmented into words, never parsed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The underlying index failed (I/O, corruption, lock held by another writer, …).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The on-disk directory could not be opened or created.
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// Creating the index directory failed.
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}
