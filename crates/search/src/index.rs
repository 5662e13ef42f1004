//! [`SearchIndex`]: one tantivy index, one writer behind a mutex, a reader reloaded after every
//! commit so that a write is visible to searches as soon as the call returns.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::ranking::RankedRelevance;
use crate::schema::{Fields, TOKENIZER};
use crate::segment::{self, JiebaTokenizer};
use crate::{Hits, ProductDoc, SearchError, SearchQuery, query};

/// The writer's memory budget. One indexing thread; tantivy's minimum is 15 MB. Kept modest since
/// several indexes may live in one process (tests), and a product catalogue is small.
const WRITER_MEMORY_BYTES: usize = 32 * 1024 * 1024;

/// Results past this many are not ranked: deeper pages come back empty (with the right `total`),
/// which bounds the memory a request for page 10⁹ can ask for.
const MAX_RANKED: usize = 10_000;

/// The product search index. Cheap to clone; clones share one index. `Send + Sync`: searches run
/// concurrently, writes are serialised.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex").field("num_docs", &self.num_docs()).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// A fresh index in memory; gone when the last clone drops.
    ///
    /// # Errors
    /// When tantivy cannot set up the writer or reader.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = Fields::schema();
        Self::from_index(&Index::create_in_ram(schema), fields)
    }

    /// Opens the index in `dir`, creating the directory and an empty index if needed.
    ///
    /// # Errors
    /// When the directory cannot be created or opened, another writer holds its lock, or it holds
    /// an index with a different schema (an older version of this crate): delete it and rebuild
    /// from the products.
    pub fn open_or_create(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = Fields::schema();
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        Self::from_index(&index, fields)
    }

    fn from_index(index: &Index, fields: Fields) -> Result<Self, SearchError> {
        // Tokenizers are not persisted with an index: register ours on every open.
        index.tokenizers().register(TOKENIZER, JiebaTokenizer);
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { inner: Arc::new(Inner { fields, reader, writer: Mutex::new(writer) }) })
    }

    /// Adds `doc`, replacing any product with the same id. Visible to searches on return.
    ///
    /// # Errors
    /// When tantivy fails to index or commit, in which case the index is left as before the call;
    /// or, after a successful commit, when reloading the reader fails (an I/O error).
    pub fn upsert(&self, doc: &ProductDoc) -> Result<(), SearchError> {
        self.upsert_many(std::slice::from_ref(doc))
    }

    /// [`upsert`](Self::upsert) for many products in one commit (a rebuild, a shop's catalogue).
    /// If an id repeats, the last one wins.
    ///
    /// # Errors
    /// As [`upsert`](Self::upsert); none of `docs` is applied then.
    pub fn upsert_many(&self, docs: &[ProductDoc]) -> Result<(), SearchError> {
        let fields = self.inner.fields;
        self.write(|writer| {
            for doc in docs {
                writer.delete_term(Term::from_field_i64(fields.id, doc.id));
                writer.add_document(fields.document(doc))?;
            }
            Ok(())
        })
    }

    /// Removes the product with this id, if indexed.
    ///
    /// # Errors
    /// When tantivy fails to commit.
    pub fn remove(&self, id: i64) -> Result<(), SearchError> {
        let fields = self.inner.fields;
        self.write(|writer| {
            writer.delete_term(Term::from_field_i64(fields.id, id));
            Ok(())
        })
    }

    /// Removes every product (before a rebuild).
    ///
    /// # Errors
    /// When tantivy fails to commit.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.write(|writer| writer.delete_all_documents().map(drop))
    }

    /// How many products are indexed, on sale or not.
    #[must_use]
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// One page of on-sale products matching `query`, best first. With no words in `query.q`,
    /// everything passing the filters, by rank then id (both descending).
    ///
    /// # Errors
    /// Only when tantivy fails to read the index; query text is never an error.
    pub fn search(&self, query: &SearchQuery) -> Result<Hits, SearchError> {
        let per_page = query.per_page.clamp(1, SearchQuery::MAX_PER_PAGE);
        let offset = query.page.saturating_sub(1).saturating_mul(per_page);
        let matcher = query::build(&self.inner.fields, query);
        let searcher = self.inner.reader.searcher();
        if offset >= MAX_RANKED {
            let total = searcher.search(&matcher, &Count)?;
            return Ok(Hits { ids: Vec::new(), total });
        }
        let top = TopDocs::with_limit(per_page).and_offset(offset).order_by(RankedRelevance);
        let (total, page) = searcher.search(&matcher, &(Count, top))?;
        Ok(Hits { ids: page.into_iter().map(|((_score, _rank, id), _address)| id).collect(), total })
    }

    /// The terms the index stores for `text`: jieba search-mode words, lowercased, without
    /// punctuation. For tests and debugging why something does (not) match.
    #[must_use]
    pub fn segment(text: &str) -> Vec<String> {
        segment::index_terms(text)
    }

    /// Runs `ops` on the writer, commits and reloads the reader. On failure rolls back, so a call
    /// either applies entirely or not at all.
    fn write(&self, ops: impl FnOnce(&IndexWriter) -> tantivy::Result<()>) -> Result<(), SearchError> {
        let mut writer = self.lock_writer()?;
        let outcome = ops(&writer).and_then(|()| writer.commit().map(drop));
        if let Err(error) = outcome {
            // The first error is the one worth reporting; if the rollback fails too, the writer
            // is unusable and the next call reports that.
            let _ = writer.rollback();
            return Err(error.into());
        }
        // Still under the lock, so reloads happen in commit order.
        self.inner.reader.reload()?;
        Ok(())
    }

    /// The writer. A panic in another writing thread leaves the mutex poisoned and possibly
    /// uncommitted operations behind: those are rolled back and the writer used again.
    fn lock_writer(&self) -> Result<MutexGuard<'_, IndexWriter>, SearchError> {
        match self.inner.writer.lock() {
            Ok(writer) => Ok(writer),
            Err(poisoned) => {
                let mut writer = poisoned.into_inner();
                writer.rollback()?;
                self.inner.writer.clear_poison();
                Ok(writer)
            }
        }
    }
}
