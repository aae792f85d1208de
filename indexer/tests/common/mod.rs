//! Helpers shared by the knowledge-base tests: the fixture corpus, index options, the
//! deterministic embedder.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::Arc;

use provisio_indexer::embed::Embedder;
use provisio_indexer::sources::SourcesFile;
use provisio_indexer::vector::{random_units, VectorFilter, VectorPoint};
use provisio_indexer::{index, DataDir, IndexOptions};
use provisio_testkit::HashEmbedder;

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

/// `n` random unit vectors with sources `a`/`b` (every third `a`) and kinds prose/code.
pub fn sample_points(n: usize, dim: usize) -> Vec<VectorPoint> {
    random_units(n, dim, 7)
        .into_iter()
        .enumerate()
        .map(|(i, v)| VectorPoint {
            id: i as u64,
            vector: v,
            source: if i % 3 == 0 { "a".into() } else { "b".into() },
            kind: if i % 2 == 0 {
                "prose".into()
            } else {
                "code".into()
            },
            path: format!("a/f{}.md", i % 7),
            heading: "H > I".into(),
            hash: format!("h{i}"),
        })
        .collect()
}

/// No filter, one source, one source and one kind.
pub fn sample_filters() -> [VectorFilter; 3] {
    [
        VectorFilter::default(),
        VectorFilter {
            sources: vec!["a".into()],
            kinds: vec![],
        },
        VectorFilter {
            sources: vec!["b".into()],
            kinds: vec!["code".into()],
        },
    ]
}
