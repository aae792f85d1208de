//! Hybrid search over one index generation: BM25 (tantivy) and dense (vector store) candidates
//! fused by weighted reciprocal rank fusion, filtered by source and kind, near-duplicates
//! dropped, each hit with a query-focused passage (see [`crate::focus`]), its citation and which retrievers found it. When the dense
//! side cannot run, the response says `degraded: lexical-only` and why.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chunk::{Chunk, ChunkKind};
use crate::embed::Embedder;
use crate::error::{io, Error, Result};
use crate::expand::{Glossary, Prepared};
use crate::focus::{self, count_words, FocusInput, QueryTerms};
use crate::lexical::LexicalIndex;
use crate::passage::{join_chunks, span_url, Passages, PASSAGE_TOKENS};
use crate::qdrant::{QdrantSettings, QdrantStore};
use crate::store::DenseInfo;
use crate::store::{read_manifest, DataDir, Manifest};
use crate::vector::{EdgeStore, VectorFilter, VectorStore};

fn read_json<T: serde::de::DeserializeOwned>(p: &Path) -> Result<T> {
    let bytes = std::fs::read(p).map_err(io(p))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::CorruptIndex {
        path: p.to_path_buf(),
        message: e.to_string(),
    })
}

/// How this process reaches a Qdrant server, as the operator configured it (`QDRANT_URL`,
/// `QDRANT_API_KEY`): read at the edge ([`QdrantAccess::from_env`]) and passed in, so a library
/// caller (a test) is not redirected by the environment.
#[derive(Debug, Clone, Default)]
pub struct QdrantAccess {
    /// Overrides the URL recorded at index time (another host's view of the same server).
    pub url: Option<String>,
    pub api_key: Option<String>,
}

impl QdrantAccess {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        QdrantAccess {
            url: var("QDRANT_URL"),
            api_key: var("QDRANT_API_KEY"),
        }
    }
}

/// How a server reaches the collection a generation was built into: the URL recorded at
/// index time unless `access` says otherwise, and its API key.
pub fn qdrant_settings_for(d: &DenseInfo, access: &QdrantAccess) -> QdrantSettings {
    let url = access
        .url
        .clone()
        .or_else(|| d.url.clone())
        .unwrap_or_else(|| "http://localhost:6334".into());
    let mut s = QdrantSettings::new(url);
    if let Some(c) = &d.collection {
        s.collection = c.clone();
    }
    s.api_key = access.api_key.clone();
    // A search must not hang on a dead server: fewer, shorter retries than indexing.
    s.retries = 1;
    s.timeout = std::time::Duration::from_secs(5);
    s
}

/// Which retrievers to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 and dense, fused (the default).
    #[default]
    Hybrid,
    /// Full-text BM25 only.
    Bm25,
    /// Dense vectors only.
    Dense,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hybrid" => Some(Self::Hybrid),
            "bm25" | "lexical" => Some(Self::Bm25),
            "dense" | "vector" => Some(Self::Dense),
            _ => None,
        }
    }
}

/// A search request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// The question or keywords, in the operator's words or as exact identifiers
    /// (`pm_tls_insecure`, `--cluster-init`).
    #[schemars(length(min = 1, max = 2000))]
    pub query: String,
    /// Number of hits to return (1-50, default 10).
    #[serde(default = "default_k")]
    #[schemars(range(min = 1, max = 50))]
    pub k: usize,
    /// Only these sources (folder names such as `pve-docs`, `bpg-terraform-provider-proxmox-docs`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Only these kinds of chunk: `prose`, `code`, `option`.
    #[serde(default)]
    pub kinds: Vec<ChunkKind>,
    /// Retrievers to use (default `hybrid`).
    #[serde(default)]
    pub mode: Mode,
    /// Word budget for the passage text of all hits together (20-5000, default 600). It goes
    /// where the scores are: more for the best hits, less for the rest. Each hit shows the
    /// sentences, option entries and code of its passage that match the question; read a hit's
    /// `resource` for its whole section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 20, max = 5000))]
    pub max_words: Option<usize>,
}

fn default_k() -> usize {
    DEFAULT_K
}

/// Hits a search returns by default: ten focused passages show more answers than five long
/// ones in the same words (docs/benchmarks.md, "Answers the model sees").
pub const DEFAULT_K: usize = 10;
/// Words of passage text a search returns by default.
pub const DEFAULT_MAX_WORDS: usize = 600;

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            k: default_k(),
            sources: Vec::new(),
            kinds: Vec::new(),
            mode: Mode::Hybrid,
            max_words: None,
        }
    }

    /// The word budget in force.
    pub fn budget(&self) -> usize {
        self.max_words.unwrap_or(DEFAULT_MAX_WORDS)
    }
}

/// A documentation section read whole (the `provisio://docs/...` resource).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Section {
    pub source: String,
    pub path: String,
    pub heading: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Citation URL of the section's first chunk.
    pub url: String,
    pub text: String,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hit {
    pub rank: usize,
    /// Fused score (higher is better; comparable within one response only).
    pub score: f32,
    pub source: String,
    /// Path relative to the corpus directory.
    pub path: String,
    /// Heading path, e.g. `QEMU/KVM Virtual Machines > Cloud-Init Support > Custom Config`.
    pub heading: String,
    pub kind: ChunkKind,
    /// First line of the hit's passage (neighbouring chunks of one section).
    pub start_line: u32,
    /// Last line of the hit's passage.
    pub end_line: u32,
    /// Citation URL (upstream repository at the pinned commit, with the passage's lines).
    pub url: String,
    /// MCP resource with the whole section (`resources/read`).
    pub resource: String,
    /// What the hit shows of its passage for this question: the matching sentences, option
    /// entries (whole) and code (short blocks whole, long ones around the match), in line
    /// order; a `…` line marks lines left out. The whole passage when it fits the budget.
    pub text: String,
    /// File line ranges (first, last) of what `text` shows.
    pub lines: Vec<[u32; 2]>,
    /// Words in `text`.
    pub words: usize,
    /// Whether `text` leaves out part of the passage (read `resource` for all of it).
    pub elided: bool,
    /// Rank in the BM25 list, if it was there.
    pub bm25_rank: Option<usize>,
    /// Rank in the dense list, if it was there.
    pub dense_rank: Option<usize>,
    /// The passage's best-matching chunk.
    pub chunk_id: String,
    /// Other places with the same text (`path:first-last`), dropped from the list as
    /// duplicates of this hit: an alias page of a renamed resource, or an option list
    /// included in several pages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
}

/// A search response.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchResponse {
    pub query: String,
    pub mode: Mode,
    /// The retrievers that actually ran (`bm25`, `dense`).
    pub retrievers: Vec<String>,
    /// Set when the requested mode could not run in full, e.g. `lexical-only: <reason>`.
    pub degraded: Option<String>,
    pub hits: Vec<Hit>,
    pub took_ms: f64,
    pub generation: u64,
    pub chunks: usize,
    /// Where the dense vectors live: `qdrant-edge (embedded)`, `qdrant <url> collection <name>`,
    /// or `none` for a lexical-only index.
    pub vector_store: String,
    /// Sources the question names by one of their aliases (`bpg`, `tofu`, `metallb`); their
    /// hits were ranked up.
    #[serde(default)]
    pub source_hints: Vec<String>,
    /// Documentation words the full-text side also searched for, from Provisio's glossary of
    /// operator phrasings (`stop managing` → `state rm`, `VIP` → `virtual ip`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expanded: Vec<String>,
    /// Words of passage text in all hits, and the budget they were cut to.
    pub words: usize,
    pub max_words: usize,
    /// How to see more than the passages show.
    pub more: String,
}

/// Tuning of candidate depth and fusion weights.
#[derive(Debug, Clone, Copy)]
pub struct Fusion {
    pub candidates: usize,
    pub rrf_k: f32,
    pub w_bm25: f32,
    pub w_dense: f32,
    /// Passage budget in estimated word-pieces (0: every chunk is its own passage).
    pub passage_tokens: usize,
    /// Bonus, in units of one first rank, for passages of a source the question names (its
    /// `aliases` in sources.toml).
    pub source_hint: f32,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            candidates: 50,
            rrf_k: 60.0,
            w_bm25: 1.0,
            w_dense: 1.0,
            passage_tokens: PASSAGE_TOKENS,
            source_hint: 0.5,
        }
    }
}

impl Fusion {
    /// Defaults, overridden by `PROVISIO_FUSION=rrf_k,w_bm25,w_dense,candidates` and
    /// `PROVISIO_PASSAGE_TOKENS`, `PROVISIO_SOURCE_HINT` (tuning runs).
    pub fn from_env() -> Self {
        let mut f = Fusion::default();
        if let Ok(v) = std::env::var("PROVISIO_FUSION") {
            let xs: Vec<f32> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            if let [k, wb, wd, c] = xs[..] {
                f = Fusion {
                    rrf_k: k,
                    w_bm25: wb,
                    w_dense: wd,
                    candidates: c as usize,
                    passage_tokens: PASSAGE_TOKENS,
                    source_hint: 0.5,
                };
            }
        }
        if let Ok(v) = std::env::var("PROVISIO_PASSAGE_TOKENS") {
            f.passage_tokens = v.parse().unwrap_or(PASSAGE_TOKENS);
        }
        if let Ok(v) = std::env::var("PROVISIO_SOURCE_HINT") {
            f.source_hint = v.parse().unwrap_or(0.5);
        }
        f
    }
}

/// The open vector store, or why there is none and when we last tried.
struct VectorSlot {
    store: Option<Arc<dyn VectorStore>>,
    error: Option<String>,
    last_try: Instant,
}

/// Seconds between reconnect attempts to a remote store that was down
/// (PROVISIO_QDRANT_RECONNECT_SECS, default 10).
fn reconnect_interval() -> std::time::Duration {
    std::time::Duration::from_secs(
        std::env::var("PROVISIO_QDRANT_RECONNECT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    )
}

type EmbedderLoader = Box<dyn Fn() -> Result<Arc<dyn Embedder>> + Send + Sync>;

/// An opened index generation, ready to search.
pub struct KnowledgeBase {
    pub dir: PathBuf,
    pub manifest: Manifest,
    chunks: Vec<Chunk>,
    lexical: LexicalIndex,
    vectors: RwLock<VectorSlot>,
    /// How to reach a remote store again after it failed to connect.
    reconnect: Option<QdrantSettings>,
    /// `vector_store` of every response (computed once at open).
    store_label: String,
    /// Window ordinal → chunk ordinal.
    window_chunks: Vec<u32>,
    /// Point id → window ordinal, when ids are not window ordinals (Qdrant).
    point_windows: Option<HashMap<u64, u32>>,
    loader: Option<EmbedderLoader>,
    embedder: OnceLock<std::result::Result<Arc<dyn Embedder>, String>>,
    pub fusion: Fusion,
    /// What hits point at: runs of neighbouring chunks of one section.
    passages: Passages,
    /// Per passage: the sorted hashes of its distinct words (for the copy check).
    passage_words: Vec<Vec<u64>>,
    /// Operator phrasing → documentation words, for the full-text query.
    glossary: Prepared,
    /// Passage of a deprecated alias page → the passage of its replacement (see [`crate::alias`]).
    counterparts: HashMap<usize, usize>,
}

impl KnowledgeBase {
    /// Open the serving generation of a data directory. The embedder is loaded lazily on the
    /// first dense search through `loader` (pass `None` for lexical-only). A Qdrant-backed
    /// generation is reached at the URL recorded when it was built.
    pub fn open(data: &DataDir, loader: Option<EmbedderLoader>) -> Result<Self> {
        Self::open_with(data, loader, &QdrantAccess::default())
    }

    /// [`open`](Self::open), reaching Qdrant as `access` says.
    pub fn open_with(
        data: &DataDir,
        loader: Option<EmbedderLoader>,
        access: &QdrantAccess,
    ) -> Result<Self> {
        let dir = data
            .current()?
            .ok_or_else(|| Error::NoIndex(data.root.clone()))?;
        Self::open_generation_with(&dir, loader, access)
    }

    pub fn open_generation(dir: &Path, loader: Option<EmbedderLoader>) -> Result<Self> {
        Self::open_generation_with(dir, loader, &QdrantAccess::default())
    }

    pub fn open_generation_with(
        dir: &Path,
        loader: Option<EmbedderLoader>,
        access: &QdrantAccess,
    ) -> Result<Self> {
        let manifest = read_manifest(dir)?;
        let cp = dir.join("chunks.json");
        let bytes = std::fs::read(&cp).map_err(io(&cp))?;
        let chunks: Vec<Chunk> =
            serde_json::from_slice(&bytes).map_err(|e| Error::CorruptIndex {
                path: cp.clone(),
                message: e.to_string(),
            })?;
        let lexical = LexicalIndex::open(&dir.join("tantivy"))?;
        let window_chunks: Vec<u32> = if manifest.dense.is_some() {
            read_json(&dir.join("windows.json"))?
        } else {
            Vec::new()
        };
        let mut vectors: Option<Arc<dyn VectorStore>> = None;
        let mut vectors_error = None;
        let mut point_windows = None;
        let mut reconnect: Option<QdrantSettings> = None;
        match &manifest.dense {
            Some(d) if d.backend == "qdrant" => {
                let ids: Vec<u64> = read_json(&dir.join("points.json"))?;
                point_windows = Some(
                    ids.iter()
                        .enumerate()
                        .map(|(w, id)| (*id, w as u32))
                        .collect::<HashMap<u64, u32>>(),
                );
                let settings = qdrant_settings_for(d, access);
                match QdrantStore::connect(settings.clone()) {
                    Ok(s) => vectors = Some(Arc::new(s)),
                    Err(e) => {
                        tracing::warn!("dense search unavailable: {e}");
                        vectors_error = Some(e.to_string());
                    }
                }
                reconnect = Some(settings);
            }
            Some(_) => vectors = Some(Arc::new(EdgeStore::open(&dir.join("vectors"))?)),
            None => {}
        }
        let store_label = match (&manifest.dense, &reconnect) {
            (None, _) => "none".into(),
            (Some(_), Some(q)) => format!("qdrant {}", q.describe()),
            (Some(d), None) => format!("{} (embedded)", d.backend),
        };
        let fusion = Fusion::from_env();
        let glossary = Glossary::from_env()?.prepare(&|t| lexical.words(t));
        let passages = Passages::build(&chunks, fusion.passage_tokens);
        let passage_words = (0..passages.len())
            .map(|p| {
                let (first, last) = passages.members(p);
                word_hashes(chunks[first..=last].iter().map(|c| c.text.as_str()))
            })
            .collect::<Vec<_>>();
        let counterparts = crate::alias::counterparts(
            &chunks,
            &passages,
            &passage_words,
            &crate::alias::replacements(&chunks),
        );
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            lexical,
            vectors: RwLock::new(VectorSlot {
                store: vectors,
                error: vectors_error,
                last_try: Instant::now(),
            }),
            store_label,
            reconnect,
            window_chunks,
            point_windows,
            loader,
            embedder: OnceLock::new(),
            passages,
            passage_words,
            chunks,
            fusion,
            glossary,
            counterparts,
        })
    }

    /// Replace the glossary used for query expansion (tests, a site's own vocabulary).
    pub fn set_glossary(&mut self, glossary: Glossary) {
        let lexical = &self.lexical;
        self.glossary = glossary.prepare(&|t| lexical.words(t));
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The vector store this generation uses, for reports.
    pub fn vector_store(&self) -> String {
        self.store_label.clone()
    }

    /// The vector store; a remote one that was down is tried again at most every
    /// [`reconnect_interval`].
    fn vectors(&self) -> Option<Arc<dyn VectorStore>> {
        {
            let slot = self.vectors.read().unwrap_or_else(|p| p.into_inner());
            if slot.store.is_some() || self.reconnect.is_none() {
                return slot.store.clone();
            }
            if slot.last_try.elapsed() < reconnect_interval() {
                return None;
            }
        }
        let settings = self.reconnect.clone()?;
        let mut slot = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        if slot.store.is_none() && slot.last_try.elapsed() >= reconnect_interval() {
            slot.last_try = Instant::now();
            match QdrantStore::connect(settings) {
                Ok(s) => {
                    tracing::info!("vector store reachable again");
                    slot.store = Some(Arc::new(s));
                    slot.error = None;
                }
                Err(e) => slot.error = Some(e.to_string()),
            }
        }
        slot.store.clone()
    }

    /// Points in the vector store (None without one).
    pub fn vector_count(&self) -> Option<Result<usize>> {
        self.vectors().map(|v| v.len())
    }

    /// Why the vector store could not be opened, if it could not.
    pub fn vector_error(&self) -> Option<String> {
        self.vectors
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .error
            .clone()
    }

    /// A whole section: the chunks of `source`/`path` under `heading` (a heading path `A > B`,
    /// its subsections included; empty for the whole file), in line order without repeated
    /// lines. None when nothing matches.
    pub fn section(&self, source: &str, path: &str, heading: &str) -> Option<Section> {
        let sub = format!("{heading} > ");
        let mut parts: Vec<&Chunk> = self
            .chunks
            .iter()
            .filter(|c| c.source == source && c.path == path)
            .filter(|c| {
                let h = c.heading_display();
                heading.is_empty() || h == heading || h.starts_with(&sub)
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        parts.sort_by_key(|c| (c.start_line, c.end_line));
        let (text, last_end) = join_chunks(&parts);
        let first = parts[0];
        Some(Section {
            source: source.to_string(),
            path: path.to_string(),
            heading: heading.to_string(),
            start_line: first.start_line,
            end_line: last_end,
            url: first.url.clone(),
            text,
        })
    }

    pub fn chunk_by_id(&self, id: &str) -> Option<&Chunk> {
        self.chunks.iter().find(|c| c.id == id)
    }

    /// The embedder, loading it on first use; `Err` explains why dense search cannot run.
    pub fn embedder(&self) -> std::result::Result<Arc<dyn Embedder>, String> {
        self.embedder
            .get_or_init(|| {
                let Some(info) = &self.manifest.dense else {
                    return Err("the index was built without embeddings (`provisio index --lexical-only` or the model was unavailable); rerun `provisio index` with the model installed".into());
                };
                let Some(loader) = &self.loader else {
                    return Err("no embedding model configured".into());
                };
                let e = loader().map_err(|e| e.to_string())?;
                if e.model_id() != info.model_id {
                    return Err(format!(
                        "the index was built with model `{}` but `{}` is loaded; rerun `provisio index`",
                        info.model_id,
                        e.model_id()
                    ));
                }
                Ok(e)
            })
            .clone()
    }

    /// Validate a request; errors name the field and the fix.
    pub fn validate(&self, req: &SearchRequest) -> Result<()> {
        if req.query.trim().is_empty() {
            return Err(Error::InvalidRequest {
                field: "query",
                message: "must not be empty; pass the question or keywords to look up".into(),
            });
        }
        if req.query.len() > 2000 {
            return Err(Error::InvalidRequest {
                field: "query",
                message: "longer than 2000 bytes; shorten it to the question itself".into(),
            });
        }
        if req.k == 0 || req.k > 50 {
            return Err(Error::InvalidRequest {
                field: "k",
                message: format!("{} is out of range; use 1 to 50", req.k),
            });
        }
        if let Some(w) = req.max_words {
            if !(20..=5000).contains(&w) {
                return Err(Error::InvalidRequest {
                    field: "max_words",
                    message: format!(
                        "{w} is out of range; use 20 to 5000 (default {DEFAULT_MAX_WORDS})"
                    ),
                });
            }
        }
        for s in &req.sources {
            if !self.manifest.sources.contains(s) {
                return Err(Error::InvalidRequest {
                    field: "sources",
                    message: format!(
                        "unknown source `{s}`; known sources: {}",
                        self.manifest.sources.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// Ranked chunk ordinals with per-retriever ranks, before passages are focused. Used by `search` and
    /// by the retrieval evaluation.
    pub fn retrieve(&self, req: &SearchRequest) -> Result<Retrieved> {
        self.validate(req)?;
        let kinds: Vec<String> = req.kinds.iter().map(|k| k.as_str().to_string()).collect();
        let n = self.fusion.candidates.max(req.k);
        let mut retrievers = Vec::new();
        let mut degraded = None;

        // Dense alone does not expand; its BM25 fallback (dense unavailable) expands lazily.
        let expand = || self.glossary.expand(&req.query, &|t| self.lexical.words(t));
        let expansion = match req.mode {
            Mode::Dense => Default::default(),
            _ => expand(),
        };
        let lexical = || {
            self.lexical
                .search(&req.query, &expansion.added, n, &req.sources, &kinds)
        };
        std::thread::scope(|scope| {
            // In hybrid mode BM25 runs on its own thread while the question is embedded.
            let bm25_job = (req.mode == Mode::Hybrid).then(|| scope.spawn(lexical));
            if req.mode != Mode::Dense {
                retrievers.push("bm25".to_string());
            }
            let dense = if req.mode != Mode::Bm25 {
                match (self.embedder(), self.vectors()) {
                    (Ok(e), Some(store)) => {
                        let q = e.embed(&[req.query.as_str()])?;
                        let filter = VectorFilter {
                            sources: req.sources.clone(),
                            kinds: kinds.clone(),
                        };
                        // Windows → chunks, best window first (max-sim per chunk).
                        let mut seen = HashSet::new();
                        match store.search(&q[0], n * 2, &filter) {
                            Ok(found) => {
                                retrievers.push("dense".to_string());
                                found
                                    .into_iter()
                                    .filter_map(|(p, s)| {
                                        let w = match &self.point_windows {
                                            Some(m) => *m.get(&p)? as usize,
                                            None => p as usize,
                                        };
                                        self.window_chunks.get(w).map(|c| (*c as u64, s))
                                    })
                                    .filter(|(c, _)| seen.insert(*c))
                                    .take(n)
                                    .collect()
                            }
                            Err(e) => {
                                degraded = Some(format!(
                                    "lexical-only: the {} vector store failed: {e}",
                                    store.backend()
                                ));
                                Vec::new()
                            }
                        }
                    }
                    (Err(why), _) => {
                        degraded = Some(format!("lexical-only: {why}"));
                        Vec::new()
                    }
                    (Ok(_), None) => {
                        degraded = Some(match self.vector_error() {
                            Some(e) => format!("lexical-only: {e}"),
                            None => "lexical-only: the index has no vector store".into(),
                        });
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let bm25 = match bm25_job {
                Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?,
                None if req.mode == Mode::Bm25 => lexical()?,
                None => Vec::new(),
            };
            if req.mode == Mode::Dense && degraded.is_some() {
                // Dense was asked for explicitly and cannot run: answer with BM25 and say so.
                retrievers.push("bm25".to_string());
                let fallback = expand();
                let b =
                    self.lexical
                        .search(&req.query, &fallback.added, n, &req.sources, &kinds)?;
                let mut r = self.fuse(req, b, Vec::new(), retrievers, degraded);
                r.expanded = fallback.added;
                return Ok(r);
            }
            let mut r = self.fuse(req, bm25, dense, retrievers, degraded);
            if req.mode != Mode::Dense {
                r.expanded = expansion.added.clone();
            }
            Ok(r)
        })
    }

    /// Fuse the two chunk lists at the passage level: each list collapses to passages (a
    /// passage takes the rank of its best chunk in that list), passages are scored by weighted
    /// reciprocal rank fusion, and each keeps its best chunk (which focusing favours).
    fn fuse(
        &self,
        req: &SearchRequest,
        bm25: Vec<(u64, f32)>,
        dense: Vec<(u64, f32)>,
        retrievers: Vec<String>,
        degraded: Option<String>,
    ) -> Retrieved {
        let f = self.fusion;
        let collapse = |list: &[(u64, f32)]| -> Vec<(usize, usize, f32)> {
            let mut seen = HashSet::new();
            list.iter()
                .filter(|(ord, _)| (*ord as usize) < self.chunks.len())
                .map(|(ord, s)| (self.passages.of(*ord as usize), *ord as usize, *s))
                .filter(|(p, _, _)| seen.insert(*p))
                .collect()
        };
        let (pb, pd) = (collapse(&bm25), collapse(&dense));
        // Passage → fused score, BM25 rank, dense rank, best chunk and that chunk's share.
        let mut scores: HashMap<usize, Cand> = HashMap::new();
        for (list, bm25_side) in [(&pb, true), (&pd, false)] {
            for (r, (p, ord, _)) in list.iter().enumerate() {
                let add = match bm25_side {
                    true => f.w_bm25 / (f.rrf_k + r as f32 + 1.0),
                    false => f.w_dense / (f.rrf_k + r as f32 + 1.0),
                };
                let e = scores.entry(*p).or_insert(Cand {
                    score: 0.0,
                    bm25_rank: None,
                    dense_rank: None,
                    best: *ord,
                    best_add: 0.0,
                });
                e.score += add;
                if bm25_side {
                    e.bm25_rank = Some(r + 1);
                } else {
                    e.dense_rank = Some(r + 1);
                }
                if add > e.best_add {
                    e.best = *ord;
                    e.best_add = add;
                }
            }
        }
        // A deprecated alias page's passage counts as its replacement's: one hit, shown as the
        // current page, ranked by the better rank of the two in each list.
        let mut aliases: HashMap<usize, Vec<Folded>> = HashMap::new();
        let mut olds: Vec<usize> = scores
            .keys()
            .filter(|p| self.counterparts.contains_key(p))
            .copied()
            .collect();
        olds.sort_unstable();
        for p in olds {
            let q = self.counterparts[&p];
            let Some(old_best) = scores.get(&p).map(|c| c.best) else {
                continue;
            };
            // Under a kind filter the replacement must offer a chunk of a wanted kind.
            let best = match scores.get(&q) {
                Some(c) => c.best,
                None => self.closest_member(q, old_best),
            };
            if !req.kinds.is_empty() && !req.kinds.contains(&self.chunks[best].kind) {
                continue;
            }
            let Some(old) = scores.remove(&p) else {
                continue;
            };
            aliases
                .entry(q)
                .or_default()
                .push((old.best, self.passages.members(p)));
            let min = |a: Option<usize>, b: Option<usize>| match (a, b) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            let e = scores.entry(q).or_insert_with(|| Cand {
                score: 0.0,
                bm25_rank: None,
                dense_rank: None,
                best,
                best_add: 0.0,
            });
            e.bm25_rank = min(e.bm25_rank, old.bm25_rank);
            e.dense_rank = min(e.dense_rank, old.dense_rank);
            e.score = e.bm25_rank.map_or(0.0, |r| f.w_bm25 / (f.rrf_k + r as f32))
                + e.dense_rank
                    .map_or(0.0, |r| f.w_dense / (f.rrf_k + r as f32));
        }
        let mut ranked: Vec<(usize, Cand)> = scores.into_iter().collect();
        // Exact identifiers in the query (`pm_tls_insecure`, `--cluster-init`): a passage that
        // contains them verbatim counts as if it were first in one more list.
        let ids: Vec<String> = crate::text::identifiers(&req.query)
            .into_iter()
            .filter(|i| i.contains('_') || i.starts_with("--") || i.contains('='))
            .collect();
        if !ids.is_empty() {
            for (p, c) in &mut ranked {
                let (first, last) = self.passages.members(*p);
                let lower: Vec<String> = self.chunks[first..=last]
                    .iter()
                    .map(|c| c.search_text.to_lowercase())
                    .collect();
                let found = ids
                    .iter()
                    .filter(|i| lower.iter().any(|t| t.contains(i.as_str())))
                    .count();
                c.score += (0.5 * f.w_bm25.max(f.w_dense) / (f.rrf_k + 1.0)) * found as f32
                    / ids.len() as f32;
            }
        }
        // The question names a source (`with the bpg provider`, `tofu`, `MetalLB`): its passages
        // count as if they were first in part of one more list.
        let hints = source_hints(&req.query, &self.manifest.aliases);
        if !hints.is_empty() && f.source_hint > 0.0 {
            let bonus = f.source_hint * f.w_bm25.max(f.w_dense) / (f.rrf_k + 1.0);
            for (_, c) in &mut ranked {
                if hints.contains(&self.chunks[c.best].source) {
                    c.score += bonus;
                }
            }
        }
        ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        // Drop near-duplicates of better hits (alias pages, repeated sections, generated option
        // lists included in several pages); the better hit names where the same text also is.
        let mut kept: Vec<RankedChunk> = Vec::new();
        let mut kept_hash: Vec<&str> = Vec::new();
        let mut kept_sets: Vec<HashSet<&str>> = Vec::new();
        let mut kept_passages: Vec<usize> = Vec::new();
        for (p, c) in ranked {
            let best = &self.chunks[c.best];
            let members = self.passages.members(p);
            let set = word_set(&best.text);
            let dup_of = (0..kept.len()).find(|&i| {
                kept_hash[i] == best.hash
                    || jaccard(&kept_sets[i], &set) >= NEAR_DUPLICATE_JACCARD
                    || contained(
                        &self.passage_words[p],
                        &self.passage_words[kept_passages[i]],
                    )
            });
            let alias_of = aliases.remove(&p).unwrap_or_default();
            if let Some(i) = dup_of {
                kept[i].duplicates.push((c.best, members));
                kept[i].duplicates.extend(alias_of);
                continue;
            }
            kept_hash.push(best.hash.as_str());
            kept_sets.push(set);
            kept_passages.push(p);
            kept.push(RankedChunk {
                ord: c.best,
                members,
                score: c.score,
                bm25_rank: c.bm25_rank,
                dense_rank: c.dense_rank,
                duplicates: alias_of,
            });
            if kept.len() >= req.k.max(10) {
                break;
            }
        }
        Retrieved {
            ranked: kept,
            retrievers,
            degraded,
            source_hints: hints,
            expanded: Vec::new(),
        }
    }

    /// The chunk of passage `p` whose words overlap most with chunk `like`'s.
    fn closest_member(&self, p: usize, like: usize) -> usize {
        let (first, last) = self.passages.members(p);
        let want = word_set(&self.chunks[like].text);
        (first..=last)
            .max_by(|&a, &b| {
                let sa = jaccard(&word_set(&self.chunks[a].text), &want);
                let sb = jaccard(&word_set(&self.chunks[b].text), &want);
                sa.total_cmp(&sb).then(b.cmp(&a))
            })
            .unwrap_or(first)
    }

    /// The chunks of a hit's passage, in line order.
    pub fn passage_chunks(&self, rc: &RankedChunk) -> Vec<&Chunk> {
        let (first, last) = rc.members;
        let mut parts: Vec<&Chunk> = self.chunks[first..=last].iter().collect();
        parts.sort_by_key(|c| (c.start_line, c.end_line));
        parts
    }

    /// The question's terms for focusing passages: analysed as the full-text index does, each
    /// weighted by its IDF over the chunks (glossary words at the expansion weight), plus the
    /// identifiers it names verbatim.
    pub fn focus_terms(&self, query: &str, expanded: &[String]) -> QueryTerms {
        let mut words: Vec<(String, f32)> = Vec::new();
        for t in self.lexical.analyze(query) {
            words.push((t, 1.0));
        }
        let ew = self.lexical.boosts.expansion;
        for phrase in expanded {
            for t in self.lexical.analyze(phrase) {
                if !words.iter().any(|(x, _)| *x == t) {
                    words.push((t, ew));
                }
            }
        }
        let names: Vec<&str> = words.iter().map(|(t, _)| t.as_str()).collect();
        let (n, dfs) = self.lexical.doc_freqs(&names);
        let n = n.max(1) as f32;
        let terms: Vec<(String, f32)> = words
            .into_iter()
            .zip(dfs)
            .map(|((t, w), df)| {
                let df = df as f32;
                (t, w * (1.0 + (n - df + 0.5) / (df + 0.5)).ln())
            })
            .collect();
        let top = terms.iter().map(|(_, w)| *w).fold(1.0f32, f32::max);
        let identifiers = crate::text::identifiers(query)
            .into_iter()
            .map(|id| (id.to_lowercase(), top))
            .collect();
        QueryTerms { terms, identifiers }
    }

    /// Search and render hits with query-focused passages within the word budget.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        let t = Instant::now();
        let r = self.retrieve(req)?;
        let qt = self.focus_terms(&req.query, &r.expanded);
        let stems: Vec<String> = qt.terms.iter().map(|(t, _)| t.clone()).collect();
        let analyze = |text: &str| focus::matching_terms(text, &stems);
        let top: Vec<&RankedChunk> = r.ranked.iter().take(req.k).collect();
        // Each hit's passage as numbered lines (overlapping chunks joined once).
        let passages: Vec<Vec<(u32, &str)>> = top
            .iter()
            .map(|rc| passage_lines(&self.passage_chunks(rc)))
            .collect();
        let needs: Vec<usize> = passages
            .iter()
            .map(|p| p.iter().map(|(_, l)| count_words(l)).sum())
            .collect();
        // Each hit's weight: 1/rank, times how well its best unit matches the question
        // against the best match of all hits, so a low-ranked passage that holds a strong
        // match still gets words.
        let prepared: Vec<focus::Prepared> = top
            .iter()
            .enumerate()
            .map(|(i, rc)| {
                let c = &self.chunks[rc.ord];
                let input = FocusInput {
                    lines: &passages[i],
                    best: (c.start_line, c.end_line),
                    budget: 0,
                };
                focus::Prepared::new(&input, &qt, &analyze)
            })
            .collect();
        let best: Vec<f32> = prepared.iter().map(focus::Prepared::best).collect();
        let top_match = best.iter().copied().fold(0.0f32, f32::max).max(1e-6);
        let weights: Vec<f32> = (0..top.len())
            .map(|i| best[i] / top_match / (i + 1) as f32)
            .collect();
        let budget = req.budget();
        let shares = focus::allocate(budget, &weights, &needs);
        let hits: Vec<Hit> = top
            .iter()
            .enumerate()
            .map(|(i, rc)| {
                let c = &self.chunks[rc.ord];
                let lines = &passages[i];
                let start_line = lines.first().map(|l| l.0).unwrap_or(c.start_line);
                let end_line = lines.last().map(|l| l.0).unwrap_or(c.end_line);
                let f = focus::focus_prepared(
                    &FocusInput {
                        lines,
                        best: (c.start_line, c.end_line),
                        budget: shares[i],
                    },
                    &prepared[i],
                    &qt,
                    &analyze,
                );
                Hit {
                    rank: i + 1,
                    score: rc.score,
                    source: c.source.clone(),
                    path: c.path.clone(),
                    heading: c.heading_display(),
                    kind: c.kind,
                    start_line,
                    end_line,
                    url: span_url(c, start_line, end_line),
                    resource: crate::uri::doc_uri(&c.source, &c.path, &c.heading_display()),
                    text: f.text,
                    lines: f.lines,
                    words: f.words,
                    elided: f.elided,
                    bm25_rank: rc.bm25_rank,
                    dense_rank: rc.dense_rank,
                    chunk_id: c.id.clone(),
                    also_in: rc
                        .duplicates
                        .iter()
                        .map(|&(ord, (first, last))| {
                            let parts = &self.chunks[first..=last];
                            let start = parts.iter().map(|c| c.start_line).min().unwrap_or(1);
                            let end = parts.iter().map(|c| c.end_line).max().unwrap_or(start);
                            format!("{}:{start}-{end}", self.chunks[ord].path)
                        })
                        .collect(),
                }
            })
            .collect();
        let words = hits.iter().map(|h| h.words).sum();
        let more = if hits.iter().any(|h| h.elided) {
            "Hits marked elided show only the lines that match (`…` marks the rest): read a hit's `resource` for its whole section, or search again with a larger `max_words` or more specific words.".to_string()
        } else {
            "Each hit shows its whole passage; a hit's `resource` holds its whole section."
                .to_string()
        };
        Ok(SearchResponse {
            query: req.query.clone(),
            mode: req.mode,
            retrievers: r.retrievers,
            degraded: r.degraded,
            hits,
            took_ms: t.elapsed().as_secs_f64() * 1000.0,
            generation: self.manifest.generation,
            chunks: self.chunks.len(),
            vector_store: self.vector_store(),
            source_hints: r.source_hints,
            expanded: r.expanded,
            words,
            max_words: budget,
            more,
        })
    }
}

/// The lines of a passage's chunks with their file line numbers, each line once.
fn passage_lines<'a>(parts: &[&'a Chunk]) -> Vec<(u32, &'a str)> {
    let mut out: Vec<(u32, &str)> = Vec::new();
    for c in parts {
        for (i, l) in c.text.lines().enumerate() {
            let n = c.start_line + i as u32;
            if out.last().is_some_and(|(last, _)| n <= *last) {
                continue;
            }
            out.push((n, l));
        }
    }
    out
}

/// A fused result list.
#[derive(Debug, Clone)]
pub struct Retrieved {
    pub ranked: Vec<RankedChunk>,
    pub retrievers: Vec<String>,
    pub degraded: Option<String>,
    /// Sources the question names (see [`source_hints`]).
    pub source_hints: Vec<String>,
    /// Glossary phrases the full-text query was expanded with.
    pub expanded: Vec<String>,
}

/// A fused hit: a passage and its best chunk.
#[derive(Debug, Clone)]
pub struct RankedChunk {
    /// The passage's best-matching chunk.
    pub ord: usize,
    /// First and last chunk ordinal of the passage (contains `ord`).
    pub members: (usize, usize),
    pub score: f32,
    pub bm25_rank: Option<usize>,
    pub dense_rank: Option<usize>,
    /// Lower-ranked passages with the same text, dropped from the list: (best chunk, members).
    pub duplicates: Vec<Folded>,
}

/// Sources whose aliases occur in `query` as whole words (any case; a word boundary is
/// anything but a letter, a digit, `-` or `_`), in name order.
pub fn source_hints(
    query: &str,
    aliases: &std::collections::BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let q = query.to_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let has = |alias: &str| {
        let a = alias.to_lowercase();
        if a.is_empty() {
            return false;
        }
        q.match_indices(&a).any(|(i, m)| {
            let before = q[..i].chars().next_back();
            let after = q[i + m.len()..].chars().next();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
    };
    aliases
        .iter()
        .filter(|(_, al)| al.iter().any(|a| has(a)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Smallest and largest value (`(MAX, MIN)` for none).
/// A passage during fusion.
/// A passage folded into a better hit: its best chunk and its first and last chunk.
pub type Folded = (usize, (usize, usize));

struct Cand {
    score: f32,
    bm25_rank: Option<usize>,
    dense_rank: Option<usize>,
    /// The chunk that contributed the most.
    best: usize,
    best_add: f32,
}

fn word_set(text: &str) -> HashSet<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .collect()
}

/// Two best chunks whose word sets overlap this much (Jaccard) are the same text.
const NEAR_DUPLICATE_JACCARD: f32 = 0.9;
/// The smaller of two passages is a copy of the larger when this share of its words is in the
/// larger: an alias page that adds a deprecation note, or an option list that a larger page
/// includes. Measured on the shared corpus: such copies score 0.988-1.0, while distinct
/// sections built from one template score 0.95-0.96 (a Disk block and a Passthrough block;
/// the Import sections of two storage resources).
const CONTAINED_SHARE: f32 = 0.97;
/// Passages with fewer distinct words than this are never called copies by containment.
const CONTAINED_MIN_WORDS: usize = 20;

/// The sorted, distinct hashes of the words of `texts` (as in [`word_set`]).
fn word_hashes<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut v: Vec<u64> = texts
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.len() > 2)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether the smaller of two sorted word-hash sets is (nearly) contained in the larger.
fn contained(a: &[u64], b: &[u64]) -> bool {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.len() >= CONTAINED_MIN_WORDS && crate::alias::share(small, large) >= CONTAINED_SHARE
}

fn jaccard(a: &HashSet<&str>, b: &HashSet<&str>) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f32 / (a.len() + b.len() - inter) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn qdrant_is_reached_at_the_recorded_url_unless_the_caller_says_otherwise() {
        let d = crate::store::DenseInfo {
            model_id: "m".into(),
            dim: 4,
            backend: "qdrant".into(),
            url: Some("http://recorded:6334".into()),
            collection: Some("docs".into()),
        };
        // The library does not read QDRANT_URL: a test that indexed into its own server is
        // not redirected by the environment.
        let s = qdrant_settings_for(&d, &QdrantAccess::default());
        assert_eq!(s.url, "http://recorded:6334");
        assert_eq!(s.collection, "docs");
        assert!(s.api_key.is_none());
        let s = qdrant_settings_for(
            &d,
            &QdrantAccess {
                url: Some("http://other-view:6334".into()),
                api_key: Some("k".into()),
            },
        );
        assert_eq!(s.url, "http://other-view:6334");
        assert_eq!(s.api_key.as_deref(), Some("k"));
    }

    fn aliases() -> BTreeMap<String, Vec<String>> {
        let mut m = BTreeMap::new();
        m.insert("bpg".to_string(), vec!["bpg".to_string()]);
        m.insert("k3s".to_string(), vec!["k3s".to_string()]);
        m.insert(
            "k3s-io".to_string(),
            vec!["k3s-io".to_string(), "k3s-ansible".to_string()],
        );
        m.insert(
            "pve".to_string(),
            vec!["proxmox ve".to_string(), "qm".to_string()],
        );
        m
    }

    #[test]
    fn source_hints_match_whole_words_in_any_case() {
        let a = aliases();
        assert_eq!(source_hints("With the BPG provider?", &a), vec!["bpg"]);
        assert_eq!(source_hints("Run `qm set` on Proxmox VE", &a), vec!["pve"]);
        // `k3s-io` is one word: it names k3s-io, not k3s.
        assert_eq!(source_hints("the k3s-io playbook", &a), vec!["k3s-io"]);
        assert_eq!(
            source_hints("k3s nodes and the k3s-ansible roles", &a),
            vec!["k3s", "k3s-io"]
        );
        // Parts of other words do not count.
        assert!(source_hints("bpgx, qmp, k3s_token, mk3s", &a).is_empty());
        assert!(source_hints("", &a).is_empty());
        assert!(source_hints("bpg", &BTreeMap::new()).is_empty());
    }
}
