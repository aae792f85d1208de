//! Dense vector storage behind the [`VectorStore`] trait. The default is [`EdgeStore`], an
//! embedded qdrant-edge shard on disk; a remote Qdrant (qdrant-client) can implement the same
//! trait without callers changing. [`FlatStore`] is an in-memory exact store (the indexer's
//! in-memory mode and a reference for tests).
//!
//! The trait is synchronous: the embedded engine is, and async callers run searches on a
//! blocking thread. Point ids are chunk ordinals of one index generation.
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::RwLock;

use qdrant_edge::{
    AnyVariants, Condition, Distance, EdgeConfigBuilder, EdgeShard, EdgeVectorParamsBuilder,
    FieldCondition, Filter, JsonPath, Match, NamedQuery, PointId, PointInsertOperations,
    PointOperations, PointStruct, QueryEnum, SearchRequest, UpdateOperation, VectorInternal,
    WalOptions, WithPayloadInterface, WithVector,
};

use crate::error::{Error, Result};

/// A vector with the payload fields the filters use.
#[derive(Debug, Clone)]
pub struct VectorPoint {
    pub id: u64,
    pub vector: Vec<f32>,
    pub source: String,
    pub kind: String,
    /// Path relative to the corpus directory.
    pub path: String,
    /// Heading path (`A > B`).
    pub heading: String,
    /// Content hash of the window.
    pub hash: String,
}

/// Restrict a search to some sources and/or kinds (empty = no restriction).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorFilter {
    pub sources: Vec<String>,
    pub kinds: Vec<String>,
}

impl VectorFilter {
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty() && self.kinds.is_empty()
    }
    fn accepts(&self, source: &str, kind: &str) -> bool {
        (self.sources.is_empty() || self.sources.iter().any(|s| s == source))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }
}

/// Storage and nearest-neighbour search of unit vectors (cosine similarity).
pub trait VectorStore: Send + Sync {
    /// Backend name reported to users (`qdrant-edge`, `memory`, `qdrant`).
    fn backend(&self) -> &'static str;
    fn upsert(&self, points: Vec<VectorPoint>) -> Result<()>;
    fn delete(&self, ids: &[u64]) -> Result<()>;
    /// Top `limit` ids by similarity, best first.
    fn search(&self, query: &[f32], limit: usize, filter: &VectorFilter)
        -> Result<Vec<(u64, f32)>>;
    fn len(&self) -> Result<usize>;
    /// Make everything durable and build search structures.
    fn finish(&self) -> Result<()>;
}

fn verr(e: impl std::fmt::Display) -> Error {
    Error::Vector(e.to_string())
}

/// The embedded qdrant-edge shard.
pub struct EdgeStore {
    /// Always `Some` until dropped.
    shard: Option<EdgeShard>,
    dir: std::path::PathBuf,
}

impl Drop for EdgeStore {
    fn drop(&mut self) {
        let Some(shard) = self.shard.take() else {
            return;
        };
        if self.dir.exists() {
            // qdrant-edge flushes on drop and panics if that fails; a failed flush of a
            // read-only generation must not take the process down.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(shard)));
            if r.is_err() {
                tracing::warn!(dir = %self.dir.display(), "vector store flush on close failed");
            }
        } else {
            // The generation was removed under us (a newer index replaced it): flushing would
            // fail, so the handles are released without it.
            std::mem::forget(shard);
        }
    }
}

impl EdgeStore {
    fn config(dim: usize) -> qdrant_edge::EdgeConfig {
        EdgeConfigBuilder::new()
            .vector(
                "",
                EdgeVectorParamsBuilder::new(dim, Distance::Cosine).build(),
            )
            .wal_options(WalOptions {
                segment_capacity: 4 * 1024 * 1024,
                segment_queue_len: 0,
                retain_closed: NonZeroUsize::MIN,
            })
            .build()
    }

    /// Create a new shard in an empty or missing directory.
    pub fn create(dir: &Path, dim: usize) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(crate::error::io(dir))?;
        let shard = EdgeShard::new(dir, Self::config(dim)).map_err(verr)?;
        Ok(Self {
            shard: Some(shard),
            dir: dir.to_path_buf(),
        })
    }

    fn shard(&self) -> Result<&EdgeShard> {
        self.shard
            .as_ref()
            .ok_or_else(|| Error::Vector("vector store is closed".into()))
    }

    pub fn open(dir: &Path) -> Result<Self> {
        let shard = EdgeShard::load(dir, None).map_err(verr)?;
        Ok(Self {
            shard: Some(shard),
            dir: dir.to_path_buf(),
        })
    }
}

fn filter_of(f: &VectorFilter) -> Option<Filter> {
    if f.is_empty() {
        return None;
    }
    let mut must = Vec::new();
    for (key, values) in [("source", &f.sources), ("kind", &f.kinds)] {
        if values.is_empty() {
            continue;
        }
        let any = AnyVariants::Strings(values.iter().cloned().collect());
        let path: JsonPath = key
            .parse()
            .map_err(|_| Error::Vector(format!("bad payload key {key}")))
            .ok()?;
        must.push(Condition::Field(FieldCondition::new_match(
            path,
            Match::from(any),
        )));
    }
    Some(Filter {
        should: None,
        min_should: None,
        must: Some(must),
        must_not: None,
    })
}

impl VectorStore for EdgeStore {
    fn backend(&self) -> &'static str {
        "qdrant-edge"
    }

    fn upsert(&self, points: Vec<VectorPoint>) -> Result<()> {
        for batch in points.chunks(512) {
            let list = batch
                .iter()
                .map(|p| {
                    PointStruct::new(
                        p.id,
                        p.vector.clone(),
                        serde_json::json!({"source": p.source, "kind": p.kind}),
                    )
                    .into()
                })
                .collect();
            self.shard()?
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(list)),
                ))
                .map_err(verr)?;
        }
        Ok(())
    }

    fn delete(&self, ids: &[u64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.shard()?
            .update(UpdateOperation::PointOperation(
                PointOperations::DeletePoints {
                    ids: ids.iter().map(|i| PointId::from(*i)).collect(),
                },
            ))
            .map_err(verr)
    }

    fn search(
        &self,
        query: &[f32],
        limit: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<(u64, f32)>> {
        let req = SearchRequest {
            query: QueryEnum::Nearest(NamedQuery::new(VectorInternal::Dense(query.to_vec()), "")),
            filter: filter_of(filter),
            params: None,
            limit,
            offset: 0,
            with_payload: Some(WithPayloadInterface::Bool(false)),
            with_vector: Some(WithVector::Bool(false)),
            score_threshold: None,
        };
        let points = self.shard()?.search(req).map_err(verr)?;
        Ok(points
            .into_iter()
            .filter_map(|p| match p.id {
                PointId::NumId(n) => Some((n, p.score)),
                _ => None,
            })
            .collect())
    }

    fn len(&self) -> Result<usize> {
        Ok(self.shard()?.info().points_count)
    }

    fn finish(&self) -> Result<()> {
        self.shard()?.optimize().map_err(verr)?;
        self.shard()?.flush();
        Ok(())
    }
}

/// Exact in-memory store.
#[derive(Default)]
pub struct FlatStore {
    points: RwLock<Vec<VectorPoint>>,
}

impl VectorStore for FlatStore {
    fn backend(&self) -> &'static str {
        "memory"
    }
    fn upsert(&self, points: Vec<VectorPoint>) -> Result<()> {
        let mut all = self.points.write().map_err(verr_lock)?;
        for p in points {
            match all.iter_mut().find(|x| x.id == p.id) {
                Some(x) => *x = p,
                None => all.push(p),
            }
        }
        Ok(())
    }
    fn delete(&self, ids: &[u64]) -> Result<()> {
        self.points
            .write()
            .map_err(verr_lock)?
            .retain(|p| !ids.contains(&p.id));
        Ok(())
    }
    fn search(
        &self,
        query: &[f32],
        limit: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<(u64, f32)>> {
        let all = self.points.read().map_err(verr_lock)?;
        let mut scored: Vec<(u64, f32)> = all
            .iter()
            .filter(|p| filter.accepts(&p.source, &p.kind))
            .map(|p| (p.id, dot(query, &p.vector)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        Ok(scored)
    }
    fn len(&self) -> Result<usize> {
        Ok(self.points.read().map_err(verr_lock)?.len())
    }
    fn finish(&self) -> Result<()> {
        Ok(())
    }
}

fn verr_lock<T>(_: T) -> Error {
    Error::Vector("vector store lock poisoned".into())
}

/// Deterministic pseudo-random unit vectors (an LCG), for benchmarks and tests.
pub fn random_units(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    (0..n)
        .map(|_| {
            let mut v: Vec<f32> = (0..dim).map(|_| next()).collect();
            crate::embed::normalize(&mut v);
            v
        })
        .collect()
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
