//! The indexer's one error type.
use std::path::PathBuf;

/// Everything that can go wrong while loading, indexing or searching the corpus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid sources file {path}: {message}")]
    Sources { path: PathBuf, message: String },
    #[error("corpus directory {0} has no folder matching any source in the sources file")]
    EmptyCorpus(PathBuf),
    #[error("embedding model unavailable: {what}. Fix: {fix}")]
    ModelUnavailable { what: String, fix: String },
    #[error("embedding failed: {0}")]
    Embedding(String),
    #[error("full-text index error: {0}")]
    Lexical(#[from] tantivy::TantivyError),
    #[error("full-text query error: {0}")]
    Query(#[from] tantivy::query::QueryParserError),
    #[error("vector store error: {0}")]
    Vector(String),
    #[error("Qdrant {op} failed at {url}: {message}. Fix: {fix}")]
    Qdrant {
        op: &'static str,
        url: String,
        message: String,
        fix: String,
    },
    #[error("no index in {0}. Fix: run `provisio index --corpus DIR` first")]
    NoIndex(PathBuf),
    #[error("index in {path} is unreadable: {message}. Fix: rerun `provisio index`")]
    CorruptIndex { path: PathBuf, message: String },
    #[error("invalid request: field `{field}`: {message}")]
    InvalidRequest {
        field: &'static str,
        message: String,
    },
    #[error(
        "invalid glossary: {0}. Fix: correct the entry (see corpus/glossary.toml for the format)"
    )]
    Glossary(String),
    #[error("JSON error in {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach a path to an `io::Error`.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
