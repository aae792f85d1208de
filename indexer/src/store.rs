//! Index generations on disk and the (re)index pipeline.
//!
//! Layout under the data directory:
//! ```text
//! index/CURRENT              name of the serving generation (replaced atomically)
//! index/gen-<n>/             manifest.json, chunks.json, tantivy/, vectors/
//! index/.build-<...>/        a generation being built; renamed to gen-<n> when complete
//! cache/embeddings/<model>.bin   embedding cache keyed by chunk content hash
//! ```
//! A reindex never touches the serving generation: it builds beside it and swaps `CURRENT`
//! (write temp file, fsync, rename). A crash at any point leaves the old generation serving;
//! leftover `.build-*` folders are removed by the next run. Unchanged corpus (same file hashes,
//! chunker version and model) is detected up front and costs only the hashing.
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chunk::{chunk_document, embedding_windows, Chunk};
use crate::corpus::Corpus;
use crate::embed::{Embedder, EmbeddingCache};
use crate::error::{io, Error, Result};
use crate::qdrant::{point_id, QdrantSettings, QdrantStore};
use crate::sources::SourcesFile;
use crate::vector::{EdgeStore, VectorPoint, VectorStore};

/// Bumped whenever chunking or the stored layout changes (forces a rebuild).
pub const LAYOUT_VERSION: u32 = 6;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct DenseInfo {
    pub model_id: String,
    pub dim: usize,
    /// `qdrant-edge` (embedded, in the generation folder) or `qdrant` (a remote server).
    pub backend: String,
    /// The Qdrant server's gRPC URL (backend `qdrant` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The Qdrant collection (backend `qdrant` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
}

/// Where the dense vectors go.
#[derive(Debug, Clone, Default)]
pub enum StoreChoice {
    /// qdrant-edge inside the generation folder.
    #[default]
    Embedded,
    /// A collection on a Qdrant server; the generation keeps the point ids.
    Qdrant(QdrantSettings),
}

impl StoreChoice {
    pub fn name(&self) -> &'static str {
        match self {
            StoreChoice::Embedded => "embedded",
            StoreChoice::Qdrant(_) => "qdrant",
        }
    }
}

/// What a generation holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub layout_version: u32,
    pub generation: u64,
    pub created_unix: u64,
    pub corpus_root: String,
    pub sources: Vec<String>,
    pub files: BTreeMap<String, String>,
    pub chunks: usize,
    #[serde(default)]
    pub windows: usize,
    pub dense: Option<DenseInfo>,
    /// Source → the words that name it in a question (from `sources.toml`).
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
}

/// Stages reported to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Load,
    Chunk,
    Embed,
    WriteChunks,
    Lexical,
    Vectors,
    Swap,
}

/// Progress event: stage, done, total.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// The outcome of `index`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IndexReport {
    /// `unchanged` (nothing to do) or `built` (a new generation is serving).
    pub status: String,
    pub generation: u64,
    pub files: usize,
    pub files_added: usize,
    pub files_changed: usize,
    pub files_removed: usize,
    pub chunks: usize,
    /// Chunks embedded in this run (not found in the cache).
    pub chunks_embedded: usize,
    /// Chunks whose vectors came from the cache.
    pub chunks_cached: usize,
    /// Embedding windows (a chunk longer than one window has several).
    pub windows: usize,
    /// Windows embedded in this run.
    pub windows_embedded: usize,
    /// Vectors sent to the store in this run (on Qdrant only those the collection lacked).
    pub vectors_uploaded: usize,
    /// Vectors deleted from a Qdrant collection (windows of changed or removed files).
    pub vectors_deleted: usize,
    pub dense: Option<DenseInfo>,
    pub unknown_folders: Vec<String>,
    pub elapsed_ms: u64,
    pub timings_ms: BTreeMap<String, u64>,
}

/// What the vector side of a run sent.
#[derive(Debug, Default)]
struct VectorSync {
    uploaded: usize,
    deleted: usize,
}

/// Paths under a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("embeddings")
    }
    fn current_file(&self) -> PathBuf {
        self.index_dir().join("CURRENT")
    }
    /// The serving generation's folder, if any.
    pub fn current(&self) -> Result<Option<PathBuf>> {
        let f = self.current_file();
        match std::fs::read_to_string(&f) {
            Ok(name) => {
                let name = name.trim();
                if name.is_empty() || name.contains('/') || name.contains("..") {
                    return Err(Error::CorruptIndex {
                        path: f,
                        message: "CURRENT does not name a generation".into(),
                    });
                }
                Ok(Some(self.index_dir().join(name)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path: f, source: e }),
        }
    }
    pub fn current_manifest(&self) -> Result<Option<Manifest>> {
        match self.current()? {
            Some(dir) => read_manifest(&dir).map(Some),
            None => Ok(None),
        }
    }
}

pub fn read_manifest(gen_dir: &Path) -> Result<Manifest> {
    let p = gen_dir.join("manifest.json");
    let bytes = std::fs::read(&p).map_err(io(&p))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::CorruptIndex {
        path: p,
        message: e.to_string(),
    })
}

fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, value).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    w.flush().map_err(io(path))?;
    w.get_ref().sync_all().map_err(io(path))?;
    Ok(())
}

/// Options for one `index` run.
pub struct IndexOptions<'a> {
    pub data: DataDir,
    pub corpus: PathBuf,
    pub sources: SourcesFile,
    /// `None`: build the full-text side only (the index then serves `lexical-only`).
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Rebuild even if nothing changed.
    pub force: bool,
    /// Where the dense vectors are stored.
    pub store: StoreChoice,
    /// Called as work progresses; returning `Break` aborts the run (as a crash would), leaving
    /// the serving generation untouched.
    pub progress: Option<&'a dyn Fn(Progress) -> ControlFlow<()>>,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Aborted;

/// Run the indexer.
pub fn index(opts: &IndexOptions<'_>) -> Result<IndexReport> {
    match index_inner(opts) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(Aborted)) => Err(Error::Embedding("index run aborted".into())),
        Err(e) => Err(e),
    }
}

fn report(
    opts: &IndexOptions<'_>,
    stage: Stage,
    done: usize,
    total: usize,
) -> std::result::Result<(), Aborted> {
    if let Some(cb) = opts.progress {
        if cb(Progress { stage, done, total }).is_break() {
            return Err(Aborted);
        }
    }
    Ok(())
}

macro_rules! step {
    ($e:expr) => {
        if let Err(a) = $e {
            return Ok(Err(a));
        }
    };
}

fn index_inner(opts: &IndexOptions<'_>) -> Result<std::result::Result<IndexReport, Aborted>> {
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let index_dir = opts.data.index_dir();
    std::fs::create_dir_all(&index_dir).map_err(io(&index_dir))?;
    // One indexer at a time per data directory.
    let lock_path = index_dir.join(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    if lock.try_lock().is_err() {
        return Err(Error::Io {
            path: lock_path,
            source: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "another `provisio index` is running on this data directory",
            ),
        });
    }
    clean_stale_builds(&index_dir);

    step!(report(opts, Stage::Load, 0, 1));
    let corpus = Corpus::load(&opts.corpus, &opts.sources)?;
    let hashes = corpus.file_hashes();
    timings.insert("load".into(), t0.elapsed().as_millis() as u64);

    let dense_wanted = opts.embedder.as_ref().map(|e| {
        let (backend, url, collection) = match &opts.store {
            StoreChoice::Embedded => ("qdrant-edge", None, None),
            StoreChoice::Qdrant(q) => ("qdrant", Some(q.url.clone()), Some(q.collection.clone())),
        };
        DenseInfo {
            model_id: e.model_id().to_string(),
            dim: e.dim(),
            backend: backend.into(),
            url,
            collection,
        }
    });
    let aliases_wanted = source_aliases(&corpus, opts);
    let old = opts.data.current_manifest().ok().flatten();
    let (added, changed, removed) = match &old {
        Some(m) => diff(&m.files, &hashes),
        None => (hashes.len(), 0, 0),
    };
    if let Some(m) = &old {
        if !opts.force
            && m.layout_version == LAYOUT_VERSION
            && m.files == hashes
            && m.dense == dense_wanted
            && m.aliases == aliases_wanted
        {
            return Ok(Ok(IndexReport {
                status: "unchanged".into(),
                generation: m.generation,
                files: hashes.len(),
                files_added: 0,
                files_changed: 0,
                files_removed: 0,
                chunks: m.chunks,
                chunks_embedded: 0,
                chunks_cached: if m.dense.is_some() { m.chunks } else { 0 },
                windows: m.windows,
                windows_embedded: 0,
                vectors_uploaded: 0,
                vectors_deleted: 0,
                dense: m.dense.clone(),
                unknown_folders: corpus.unknown_folders.clone(),
                elapsed_ms: t0.elapsed().as_millis() as u64,
                timings_ms: timings,
            }));
        }
    }

    // Chunk.
    let t = Instant::now();
    let mut chunks: Vec<Chunk> = Vec::new();
    let nfiles = corpus.files.len();
    for (i, f) in corpus.files.iter().enumerate() {
        let Some(src) = opts.sources.get(&f.source) else {
            continue;
        };
        chunks.extend(chunk_document(src, &f.rel, &f.text));
        if i % 50 == 0 {
            step!(report(opts, Stage::Chunk, i, nfiles));
        }
    }
    timings.insert("chunk".into(), t.elapsed().as_millis() as u64);

    // Embed what the cache lacks, window by window (see `chunk::embedding_windows`).
    let t = Instant::now();
    let mut embedded = 0usize;
    let mut cached = 0usize;
    let mut windows_embedded = 0usize;
    let mut windows: Vec<(u32, String)> = Vec::new(); // (chunk ordinal, window hash)
    let mut vectors: Vec<Vec<f32>> = Vec::new();
    if let Some(emb) = &opts.embedder {
        let mut cache = EmbeddingCache::open(&opts.data.cache_dir(), emb.model_id(), emb.dim())?;
        let mut missing: Vec<(String, String)> = Vec::new(); // (hash, text)
        let mut seen = HashSet::new();
        for (ord, c) in chunks.iter().enumerate() {
            let mut chunk_missing = false;
            for w in embedding_windows(&c.search_text) {
                let h = if w == c.search_text {
                    c.hash.clone()
                } else {
                    blake3::hash(w.as_bytes()).to_hex().to_string()
                };
                if cache.get(&h).is_none() {
                    chunk_missing = true;
                    if seen.insert(h.clone()) {
                        missing.push((h.clone(), w));
                    }
                }
                windows.push((ord as u32, h));
            }
            if chunk_missing {
                embedded += 1;
            } else {
                cached += 1;
            }
        }
        let total = missing.len();
        step!(report(opts, Stage::Embed, 0, total));
        for batch in missing.chunks(64) {
            let texts: Vec<&str> = batch.iter().map(|(_, w)| w.as_str()).collect();
            let vecs = emb.embed(&texts)?;
            if vecs.len() != batch.len() {
                return Err(Error::Embedding(format!(
                    "model returned {} vectors for {} texts",
                    vecs.len(),
                    batch.len()
                )));
            }
            cache.put_all(batch.iter().map(|(h, _)| h.clone()).zip(vecs).collect())?;
            windows_embedded += batch.len();
            step!(report(opts, Stage::Embed, windows_embedded, total));
        }
        for (ord, h) in &windows {
            match cache.get(h) {
                Some(v) => vectors.push(v.clone()),
                None => {
                    return Err(Error::Embedding(format!(
                        "no vector for a window of chunk {}",
                        chunks[*ord as usize].id
                    )));
                }
            }
        }
    }
    timings.insert("embed".into(), t.elapsed().as_millis() as u64);

    // Write the new generation beside the serving one.
    let generation = old.as_ref().map(|m| m.generation + 1).unwrap_or(1);
    let build = index_dir.join(format!(
        ".build-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&build).map_err(io(&build))?;
    let window_chunks: Vec<u32> = windows.iter().map(|(o, _)| *o).collect();
    let window_hashes: Vec<&str> = windows.iter().map(|(_, h)| h.as_str()).collect();
    let mut sync = VectorSync::default();
    let result = write_generation(
        opts,
        &build,
        generation,
        &chunks,
        (&window_chunks, &window_hashes, vectors),
        &dense_wanted,
        &corpus,
        &hashes,
        &mut timings,
        &mut sync,
    );
    // A clean failure or abort removes its half-built generation (a crash leaves it for the
    // next run to remove).
    match result {
        Ok(Ok(())) => {}
        Ok(Err(aborted)) => {
            let _ = std::fs::remove_dir_all(&build);
            return Ok(Err(aborted));
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&build);
            return Err(e);
        }
    }
    Ok(Ok(IndexReport {
        status: "built".into(),
        generation,
        files: hashes.len(),
        files_added: added,
        files_changed: changed,
        files_removed: removed,
        chunks: chunks.len(),
        chunks_embedded: if dense_wanted.is_some() { embedded } else { 0 },
        chunks_cached: if dense_wanted.is_some() { cached } else { 0 },
        windows: window_chunks.len(),
        windows_embedded,
        vectors_uploaded: sync.uploaded,
        vectors_deleted: sync.deleted,
        dense: dense_wanted,
        unknown_folders: corpus.unknown_folders,
        elapsed_ms: t0.elapsed().as_millis() as u64,
        timings_ms: timings,
    }))
}

#[allow(clippy::too_many_arguments)]
fn write_generation(
    opts: &IndexOptions<'_>,
    build: &Path,
    generation: u64,
    chunks: &[Chunk],
    (window_chunks, window_hashes, vectors): (&[u32], &[&str], Vec<Vec<f32>>),
    dense_wanted: &Option<DenseInfo>,
    corpus: &Corpus,
    hashes: &BTreeMap<String, String>,
    timings: &mut BTreeMap<String, u64>,
    sync: &mut VectorSync,
) -> Result<std::result::Result<(), Aborted>> {
    let index_dir = opts.data.index_dir();

    let t = Instant::now();
    step!(report(opts, Stage::WriteChunks, 0, chunks.len()));
    write_json(&build.join("chunks.json"), chunks)?;
    timings.insert("write_chunks".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    step!(report(opts, Stage::Lexical, 0, chunks.len()));
    crate::lexical::build(&build.join("tantivy"), chunks)?;
    timings.insert("lexical".into(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    // Points of a remote collection that no generation from now on refers to.
    let mut stale: Option<(QdrantStore, Vec<u64>)> = None;
    if let Some(info) = dense_wanted {
        step!(report(opts, Stage::Vectors, 0, chunks.len()));
        write_json(&build.join("windows.json"), window_chunks)?;
        let point = |i: usize, id: u64, v: Vec<f32>| {
            let c = &chunks[window_chunks[i] as usize];
            VectorPoint {
                id,
                vector: v,
                source: c.source.clone(),
                kind: c.kind.as_str().to_string(),
                path: c.path.clone(),
                heading: c.heading_display(),
                hash: window_hashes[i].to_string(),
            }
        };
        match &opts.store {
            StoreChoice::Embedded => {
                let store = EdgeStore::create(&build.join("vectors"), info.dim)?;
                sync.uploaded = vectors.len();
                let points = vectors
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| point(i, i as u64, v))
                    .collect();
                store.upsert(points)?;
                store.finish()?;
                drop(store);
            }
            StoreChoice::Qdrant(settings) => {
                let ids: Vec<u64> = (0..window_chunks.len())
                    .map(|i| {
                        let c = &chunks[window_chunks[i] as usize];
                        point_id(&info.model_id, &c.id, window_hashes[i])
                    })
                    .collect();
                let store = QdrantStore::connect(settings.clone())?;
                store.ensure_collection(info.dim)?;
                let existing = store.ids()?;
                // Only windows the collection lacks are sent (ids are stable across runs).
                let points: Vec<VectorPoint> = vectors
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !existing.contains(&ids[*i]))
                    .map(|(i, v)| point(i, ids[i], v))
                    .collect();
                let total = points.len();
                for (n, batch) in points.chunks(settings.batch * 4).enumerate() {
                    store.upsert(batch.to_vec())?;
                    step!(report(
                        opts,
                        Stage::Vectors,
                        (n * settings.batch * 4 + batch.len()).min(total),
                        total
                    ));
                }
                sync.uploaded = total;
                write_json(&build.join("points.json"), &ids)?;
                let keep: HashSet<u64> = ids.iter().copied().collect();
                let gone: Vec<u64> = existing.difference(&keep).copied().collect();
                stale = Some((store, gone));
            }
        }
    }
    timings.insert("vectors".into(), t.elapsed().as_millis() as u64);

    let manifest = Manifest {
        layout_version: LAYOUT_VERSION,
        generation,
        created_unix: now_unix(),
        corpus_root: opts.corpus.to_string_lossy().into_owned(),
        sources: corpus.sources.clone(),
        files: hashes.clone(),
        chunks: chunks.len(),
        windows: window_chunks.len(),
        dense: dense_wanted.clone(),
        aliases: source_aliases(corpus, opts),
    };
    write_json(&build.join("manifest.json"), &manifest)?;

    // Swap.
    step!(report(opts, Stage::Swap, 0, 1));
    let name = format!("gen-{generation:06}");
    let final_dir = index_dir.join(&name);
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(io(&final_dir))?;
    }
    std::fs::rename(build, &final_dir).map_err(io(&final_dir))?;
    let tmp = index_dir.join("CURRENT.tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(name.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, opts.data.current_file()).map_err(io(&tmp))?;
    if let Ok(d) = std::fs::File::open(&index_dir) {
        let _ = d.sync_all();
    }
    // The new generation serves: windows of changed or removed files leave the collection.
    // A failure here leaves extra points that no generation maps, which searches skip; the
    // next run deletes them.
    if let Some((store, gone)) = stale {
        if let Err(e) = store.delete(&gone) {
            tracing::warn!("could not delete {} stale Qdrant points: {e}", gone.len());
        } else {
            sync.deleted = gone.len();
        }
    }
    // Generations older than the previous one are no longer served; the previous one stays
    // so a server that still has it open keeps answering until it reopens.
    let previous = format!("gen-{:06}", generation.saturating_sub(1));
    if let Ok(rd) = std::fs::read_dir(&index_dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("gen-") && n != name && n != previous {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(Ok(()))
}

/// Source → aliases, for the sources of `corpus` that have any.
fn source_aliases(corpus: &Corpus, opts: &IndexOptions<'_>) -> BTreeMap<String, Vec<String>> {
    corpus
        .sources
        .iter()
        .filter_map(|name| opts.sources.get(name))
        .filter(|s| !s.aliases.is_empty())
        .map(|s| (s.name.clone(), s.aliases.clone()))
        .collect()
}

fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> (usize, usize, usize) {
    let added = new.keys().filter(|k| !old.contains_key(*k)).count();
    let removed = old.keys().filter(|k| !new.contains_key(*k)).count();
    let changed = new
        .iter()
        .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
        .count();
    (added, changed, removed)
}

fn clean_stale_builds(index_dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(index_dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let stale = n.starts_with(".build-")
                && n.split('-')
                    .nth(1)
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_none_or(|pid| pid != std::process::id() && !pid_alive(pid));
            if stale {
                tracing::info!(dir = %e.path().display(), "removing an interrupted build");
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
