//! Helpers shared by the knowledge-base tests: the fixture corpus, index options, the
//! deterministic embedder.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::Arc;

use provisio_indexer::embed::{Embedder, HashEmbedder};
use provisio_indexer::sources::SourcesFile;
use provisio_indexer::{index, DataDir, IndexOptions};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/fixtures")
}

pub fn sources() -> SourcesFile {
    SourcesFile::load(&fixtures().join("sources.toml")).expect("fixture sources")
}

/// A private copy of the fixture corpus the test may modify.
pub fn corpus_copy(dir: &Path) -> PathBuf {
    let dst = dir.join("corpus");
    for e in walkdir::WalkDir::new(fixtures().join("corpus")) {
        let e = e.expect("walk");
        let rel = e
            .path()
            .strip_prefix(fixtures().join("corpus"))
            .expect("rel");
        let to = dst.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
    dst
}

pub fn opts<'a>(data: &DataDir, corpus: &Path, emb: Option<Arc<dyn Embedder>>) -> IndexOptions<'a> {
    IndexOptions {
        data: data.clone(),
        corpus: corpus.to_path_buf(),
        sources: sources(),
        embedder: emb,
        force: false,
        store: Default::default(),
        progress: None,
    }
}

pub fn hash_loader(
    e: Arc<HashEmbedder>,
) -> Option<Box<dyn Fn() -> provisio_indexer::Result<Arc<dyn Embedder>> + Send + Sync>> {
    Some(Box::new(move || Ok(e.clone() as Arc<dyn Embedder>)))
}

pub fn built(tmp: &Path) -> (DataDir, PathBuf, Arc<HashEmbedder>) {
    let corpus = corpus_copy(tmp);
    let data = DataDir::new(tmp.join("data"));
    let emb = Arc::new(HashEmbedder::new(64));
    index(&opts(&data, &corpus, Some(emb.clone()))).expect("index");
    (data, corpus, emb)
}
