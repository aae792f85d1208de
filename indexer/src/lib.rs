//! Provisio's knowledge base: load a documentation corpus, chunk it section-aware, embed it
//! (fastembed + ONNX Runtime, all-MiniLM-L6-v2), store it in a BM25 index (tantivy) and an
//! embedded vector store (qdrant-edge), and answer hybrid searches with citations.
//!
//! I/O lives at the edges: chunking and fusion are pure; [`store::index`] and
//! [`search::KnowledgeBase`] own the files.
pub mod alias;
pub mod chunk;
pub mod corpus;
pub mod embed;
pub mod error;
pub mod eval;
pub mod expand;
pub mod fetch;
pub mod focus;
pub mod lexical;
pub mod passage;
pub mod qdrant;
pub mod search;
pub mod sources;
pub mod store;
pub mod text;
pub mod uri;
pub mod vector;

pub use error::{Error, Result};
pub use search::{Hit, KnowledgeBase, Mode, QdrantAccess, SearchRequest, SearchResponse, Section};
pub use store::{index, DataDir, IndexOptions, IndexReport, StoreChoice};
