//! A remote Qdrant (qdrant-client, gRPC) behind the [`VectorStore`] trait.
//!
//! One collection per corpus with one named dense vector (`dense`, cosine) and a payload of
//! `source`, `path`, `heading`, `kind` and `hash` (keyword indexes on `source`, `kind` and
//! `path` serve the filters). Point ids are stable across index generations (a hash of the
//! model, the chunk id and the window text, see [`point_id`]), so a reindex uploads only new
//! windows and deletes the ones whose file changed or went away.
//!
//! Requests are built as values by pure functions (tested without a server) and sent through
//! [`QdrantStore`], which retries transient failures (unavailable, deadline exceeded, resource
//! exhausted, aborted) with exponential backoff and maps the rest to errors that say what to
//! fix. The trait is synchronous; the store owns a small tokio runtime for the gRPC client and
//! works from both sync and async callers.
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use qdrant_client::qdrant::{
    points_selector::PointsSelectorOneOf, Condition, CountPoints, CreateCollection,
    CreateFieldIndexCollection, DeletePoints, Distance, FieldType, Filter, PointId, PointStruct,
    PointsIdsList, PointsSelector, Query, QueryPoints, ScrollPoints, UpsertPoints,
    VectorParamsBuilder, VectorsConfigBuilder, WithPayloadSelector, WithVectorsSelector,
};
use qdrant_client::{Payload, Qdrant, QdrantError};

use crate::error::{Error, Result};
use crate::vector::{VectorFilter, VectorPoint, VectorStore};

/// Name of the dense vector in the collection.
pub const VECTOR_NAME: &str = "dense";
/// Payload fields with a keyword index.
pub const INDEXED_FIELDS: [&str; 3] = ["source", "kind", "path"];
/// Default collection name.
pub const DEFAULT_COLLECTION: &str = "provisio-docs";

/// Where the Qdrant server is and how to talk to it.
#[derive(Clone)]
pub struct QdrantSettings {
    /// gRPC URL, e.g. `http://qdrant.internal:6334`.
    pub url: String,
    pub collection: String,
    /// From the environment (`QDRANT_API_KEY`), never from a file we write.
    pub api_key: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Points per upsert request.
    pub batch: usize,
    /// Retries after a transient failure (so `retries + 1` attempts in all).
    pub retries: u32,
    /// First backoff; doubles on every retry, capped at 5 s.
    pub backoff: Duration,
}

impl std::fmt::Debug for QdrantSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantSettings")
            .field("url", &self.url)
            .field("collection", &self.collection)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("batch", &self.batch)
            .field("retries", &self.retries)
            .finish()
    }
}

impl QdrantSettings {
    pub fn new(url: impl Into<String>) -> Self {
        QdrantSettings {
            url: url.into(),
            collection: DEFAULT_COLLECTION.into(),
            api_key: None,
            timeout: Duration::from_secs(10),
            batch: 256,
            retries: 4,
            backoff: Duration::from_millis(200),
        }
    }

    /// Check the settings before connecting; errors name the field and the fix.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |field: &'static str, message: String| Err(Error::InvalidRequest { field, message });
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return bad(
                "qdrant_url",
                format!(
                    "`{}` is not an http(s) URL; use the gRPC endpoint, e.g. http://localhost:6334",
                    self.url
                ),
            );
        }
        if self.url.contains('@') {
            return bad(
                "qdrant_url",
                "must not carry credentials; put the API key in QDRANT_API_KEY".into(),
            );
        }
        let c = &self.collection;
        if c.is_empty()
            || c.len() > 255
            || !c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
        {
            return bad(
                "qdrant_collection",
                format!("`{c}` is not a valid collection name; use letters, digits, `-`, `_`, `.`"),
            );
        }
        if self.batch == 0 || self.batch > 10_000 {
            return bad(
                "qdrant_batch",
                format!("{} is out of range; use 1 to 10000", self.batch),
            );
        }
        Ok(())
    }

    /// URL and collection for reports (no key).
    pub fn describe(&self) -> String {
        format!("{} collection {}", self.url, self.collection)
    }
}

/// Stable point id of one embedding window: the first 8 bytes of
/// `blake3(model \0 chunk id \0 window hash)`.
pub fn point_id(model_id: &str, chunk_id: &str, window_hash: &str) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(model_id.as_bytes());
    h.update(&[0]);
    h.update(chunk_id.as_bytes());
    h.update(&[0]);
    h.update(window_hash.as_bytes());
    let b = h.finalize();
    let mut x = [0u8; 8];
    x.copy_from_slice(&b.as_bytes()[..8]);
    u64::from_le_bytes(x)
}

// ---- requests as values -------------------------------------------------------------------

pub fn create_collection_request(collection: &str, dim: usize) -> CreateCollection {
    let mut vectors = VectorsConfigBuilder::default();
    vectors.add_named_vector_params(
        VECTOR_NAME,
        VectorParamsBuilder::new(dim as u64, Distance::Cosine),
    );
    CreateCollection {
        collection_name: collection.to_string(),
        vectors_config: Some(vectors.into()),
        ..Default::default()
    }
}

pub fn field_index_requests(collection: &str) -> Vec<CreateFieldIndexCollection> {
    INDEXED_FIELDS
        .iter()
        .map(|f| CreateFieldIndexCollection {
            collection_name: collection.to_string(),
            wait: Some(true),
            field_name: (*f).to_string(),
            field_type: Some(FieldType::Keyword as i32),
            ..Default::default()
        })
        .collect()
}

fn payload_of(p: &VectorPoint) -> Payload {
    let mut payload = Payload::new();
    payload.insert("source", p.source.clone());
    payload.insert("kind", p.kind.clone());
    payload.insert("path", p.path.clone());
    payload.insert("heading", p.heading.clone());
    payload.insert("hash", p.hash.clone());
    payload
}

/// Upserts in batches of `batch` points, waiting for each to be applied.
pub fn upsert_requests(
    collection: &str,
    points: &[VectorPoint],
    batch: usize,
) -> Vec<UpsertPoints> {
    points
        .chunks(batch.max(1))
        .map(|b| UpsertPoints {
            collection_name: collection.to_string(),
            wait: Some(true),
            points: b
                .iter()
                .map(|p| {
                    let vectors: std::collections::HashMap<String, Vec<f32>> =
                        [(VECTOR_NAME.to_string(), p.vector.clone())].into();
                    PointStruct::new(p.id, vectors, payload_of(p))
                })
                .collect(),
            ..Default::default()
        })
        .collect()
}

/// Deletes by id, in batches of `batch`.
pub fn delete_requests(collection: &str, ids: &[u64], batch: usize) -> Vec<DeletePoints> {
    ids.chunks(batch.max(1))
        .map(|b| DeletePoints {
            collection_name: collection.to_string(),
            wait: Some(true),
            points: Some(PointsSelector {
                points_selector_one_of: Some(PointsSelectorOneOf::Points(PointsIdsList {
                    ids: b.iter().map(|i| PointId::from(*i)).collect(),
                })),
            }),
            ..Default::default()
        })
        .collect()
}

/// `source IN (...) AND kind IN (...)`, or `None` without restrictions.
pub fn filter_of(f: &VectorFilter) -> Option<Filter> {
    let mut must = Vec::new();
    if !f.sources.is_empty() {
        must.push(Condition::matches("source", f.sources.clone()));
    }
    if !f.kinds.is_empty() {
        must.push(Condition::matches("kind", f.kinds.clone()));
    }
    (!must.is_empty()).then(|| Filter::must(must))
}

pub fn query_request(
    collection: &str,
    query: &[f32],
    limit: usize,
    filter: &VectorFilter,
) -> QueryPoints {
    QueryPoints {
        collection_name: collection.to_string(),
        query: Some(Query::new_nearest(query.to_vec())),
        using: Some(VECTOR_NAME.to_string()),
        filter: filter_of(filter),
        limit: Some(limit as u64),
        with_payload: Some(WithPayloadSelector::from(false)),
        with_vectors: Some(WithVectorsSelector::from(false)),
        ..Default::default()
    }
}

fn scroll_request(collection: &str, offset: Option<PointId>, page: u32) -> ScrollPoints {
    ScrollPoints {
        collection_name: collection.to_string(),
        offset,
        limit: Some(page),
        with_payload: Some(WithPayloadSelector::from(false)),
        with_vectors: Some(WithVectorsSelector::from(false)),
        ..Default::default()
    }
}

fn num_id(id: Option<PointId>) -> Option<u64> {
    use qdrant_client::qdrant::point_id::PointIdOptions;
    match id?.point_id_options? {
        PointIdOptions::Num(n) => Some(n),
        PointIdOptions::Uuid(_) => None,
    }
}

// ---- errors and retries -------------------------------------------------------------------

/// Why a call failed, reduced to what decides retrying and the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth retrying, after at least this long (server hint) or the backoff.
    Transient {
        message: String,
        after: Option<Duration>,
    },
    Permanent {
        code: tonic_code::Code,
        message: String,
    },
    Other(String),
}

/// The gRPC status codes we distinguish (a copy of tonic's, so callers need not depend on it).
pub mod tonic_code {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Code {
        NotFound,
        AlreadyExists,
        InvalidArgument,
        Unauthenticated,
        PermissionDenied,
        FailedPrecondition,
        Unimplemented,
        Other,
    }
}

pub fn classify(e: &QdrantError) -> Failure {
    use tonic::Code as C;
    match e {
        QdrantError::ResourceExhaustedError {
            status,
            retry_after_seconds,
        } => Failure::Transient {
            message: status.message().to_string(),
            after: Some(Duration::from_secs(*retry_after_seconds)),
        },
        QdrantError::ResponseError { status } => {
            let message = status.message().to_string();
            // qdrant-client reports a failed connect as INTERNAL "Failed to connect to ...".
            if matches!(status.code(), C::Internal | C::Unknown)
                && message.starts_with("Failed to connect")
            {
                return Failure::Transient {
                    message: connect_message(&message),
                    after: None,
                };
            }
            let code = match status.code() {
                C::Unavailable
                | C::DeadlineExceeded
                | C::ResourceExhausted
                | C::Aborted
                | C::Cancelled => {
                    return Failure::Transient {
                        message,
                        after: None,
                    }
                }
                C::NotFound => tonic_code::Code::NotFound,
                C::AlreadyExists => tonic_code::Code::AlreadyExists,
                C::InvalidArgument | C::OutOfRange => tonic_code::Code::InvalidArgument,
                C::Unauthenticated => tonic_code::Code::Unauthenticated,
                C::PermissionDenied => tonic_code::Code::PermissionDenied,
                C::FailedPrecondition => tonic_code::Code::FailedPrecondition,
                C::Unimplemented => tonic_code::Code::Unimplemented,
                _ => tonic_code::Code::Other,
            };
            Failure::Permanent { code, message }
        }
        other => Failure::Other(other.to_string()),
    }
}

/// `Failed to connect to URL: tonic::transport::Error(... "Connection refused" ...)` →
/// `cannot connect (Connection refused)`.
fn connect_message(m: &str) -> String {
    for why in [
        "Connection refused",
        "timed out",
        "No route to host",
        "dns error",
        "certificate",
    ] {
        if m.contains(why) {
            return format!("cannot connect ({why})");
        }
    }
    "cannot connect".to_string()
}

fn to_error(op: &'static str, s: &QdrantSettings, f: Failure, attempts: u32) -> Error {
    use tonic_code::Code;
    let (message, fix) = match f {
        Failure::Transient { message, .. } => (
            format!("{message} (gave up after {attempts} attempts)"),
            "check that Qdrant is running and reachable at qdrant_url (QDRANT_URL)".to_string(),
        ),
        Failure::Permanent { code, message } => {
            let fix = match code {
                Code::Unauthenticated | Code::PermissionDenied => {
                    "set QDRANT_API_KEY to a key with access to the collection".to_string()
                }
                Code::NotFound => format!(
                    "collection `{}` does not exist; run `provisio index --store qdrant`",
                    s.collection
                ),
                Code::InvalidArgument => format!(
                    "the collection `{}` does not fit this index (for example another vector size); \
                     use another qdrant_collection or delete it",
                    s.collection
                ),
                Code::Unimplemented => {
                    "the server does not speak Qdrant's gRPC API; point qdrant_url at the gRPC port (6334)"
                        .to_string()
                }
                _ => "see the message; rerun with RUST_LOG=provisio=debug for details".to_string(),
            };
            (message, fix)
        }
        Failure::Other(message) => (
            message,
            "check qdrant_url (the gRPC endpoint, e.g. http://localhost:6334)".to_string(),
        ),
    };
    Error::Qdrant {
        op,
        url: s.url.clone(),
        message,
        fix,
    }
}

/// Backoff before retry `n` (1-based): `base * 2^(n-1)`, capped at 5 s, or the server's hint.
pub fn backoff(base: Duration, n: u32, hint: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32 << (n.saturating_sub(1)).min(16));
    hint.unwrap_or(exp).min(Duration::from_secs(5))
}

// ---- the store ----------------------------------------------------------------------------

/// A collection on a Qdrant server.
pub struct QdrantStore {
    rt: Option<tokio::runtime::Runtime>,
    client: Qdrant,
    settings: QdrantSettings,
}

impl Drop for QdrantStore {
    fn drop(&mut self) {
        // Dropping a runtime inside another runtime's context panics; this never blocks.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl QdrantStore {
    /// Connect and check the server answers (health check, with retries).
    pub fn connect(settings: QdrantSettings) -> Result<Self> {
        settings.validate()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qdrant-client")
            .enable_all()
            .build()
            .map_err(|e| Error::Vector(format!("cannot start the Qdrant client runtime: {e}")))?;
        let mut cfg = Qdrant::from_url(&settings.url)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .skip_compatibility_check();
        cfg.api_key = settings.api_key.clone();
        let client = {
            let _guard = rt.enter();
            cfg.build()
                .map_err(|e| to_error("connect", &settings, classify(&e), 1))?
        };
        let store = QdrantStore {
            rt: Some(rt),
            client,
            settings,
        };
        store.call("health check", |c| async move { c.health_check().await })?;
        Ok(store)
    }

    pub fn settings(&self) -> &QdrantSettings {
        &self.settings
    }

    /// Run `fut` on our runtime and wait for it, from sync or async code alike.
    fn block<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Result<T> {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| Error::Vector("Qdrant client is closed".into()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| Error::Vector("the Qdrant client task stopped".into()))
    }

    /// One logical call with retries of transient failures.
    fn call<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(Qdrant) -> Fut + Send + 'static,
        Fut: Future<Output = std::result::Result<T, QdrantError>> + Send,
    {
        let client = self.client.clone();
        let (retries, base) = (self.settings.retries, self.settings.backoff);
        let outcome = self.block(async move {
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                match f(client.clone()).await {
                    Ok(v) => return Ok(v),
                    Err(e) => {
                        let failure = classify(&e);
                        match &failure {
                            Failure::Transient { message, after } if attempt <= retries => {
                                let wait = backoff(base, attempt, *after);
                                tracing::warn!(op, attempt, ?wait, %message, "Qdrant call failed; retrying");
                                tokio::time::sleep(wait).await;
                            }
                            _ => return Err((failure, attempt)),
                        }
                    }
                }
            }
        })?;
        outcome.map_err(|(f, attempts)| to_error(op, &self.settings, f, attempts))
    }

    /// Create the collection (named dense vector of `dim`, cosine) and its payload indexes if
    /// missing; an existing collection must have the same vector size.
    pub fn ensure_collection(&self, dim: usize) -> Result<()> {
        let name = self.settings.collection.clone();
        let n = name.clone();
        let exists = self.call("collection exists", move |c| {
            let n = n.clone();
            async move { c.collection_exists(n).await }
        })?;
        if exists {
            let n = name.clone();
            let info = self.call("collection info", move |c| {
                let n = n.clone();
                async move { c.collection_info(n).await }
            })?;
            let bad = |message: String| Error::Qdrant {
                op: "check collection",
                url: self.settings.url.clone(),
                message,
                fix: "use another qdrant_collection for this index, or delete the collection"
                    .into(),
            };
            match vector_size(&info) {
                Some(have) if have == dim as u64 => {}
                Some(have) => {
                    return Err(bad(format!(
                        "collection `{name}` holds `{VECTOR_NAME}` vectors of size {have}, the model gives {dim}"
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "collection `{name}` has no dense vector named `{VECTOR_NAME}` (it was not made by provisio)"
                    )))
                }
            }
        } else {
            let req = create_collection_request(&name, dim);
            let created = self.call("create collection", move |c| {
                let req = req.clone();
                async move { c.create_collection(req).await }
            });
            // Another indexer may have created it meanwhile.
            if let Err(e) = created {
                if !matches!(&e, Error::Qdrant { message, .. } if message.contains("already exists"))
                {
                    return Err(e);
                }
            }
        }
        for req in field_index_requests(&name) {
            self.call("create payload index", move |c| {
                let req = req.clone();
                async move { c.create_field_index(req).await }
            })?;
        }
        Ok(())
    }

    /// Delete the whole collection (benchmarks and tests clean up with it).
    pub fn drop_collection(&self) -> Result<()> {
        let n = self.settings.collection.clone();
        self.call("delete collection", move |c| {
            let n = n.clone();
            async move { c.delete_collection(n).await }
        })
        .map(|_| ())
    }

    /// Every point id in the collection (numeric ids only).
    pub fn ids(&self) -> Result<HashSet<u64>> {
        let mut all = HashSet::new();
        let mut offset: Option<PointId> = None;
        loop {
            let req = scroll_request(&self.settings.collection, offset.clone(), 4096);
            let page = self.call("scroll", move |c| {
                let req = req.clone();
                async move { c.scroll(req).await }
            })?;
            all.extend(page.result.into_iter().filter_map(|p| num_id(p.id)));
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(all),
            }
        }
    }
}

fn vector_size(info: &qdrant_client::qdrant::GetCollectionInfoResponse) -> Option<u64> {
    use qdrant_client::qdrant::vectors_config::Config;
    let cfg = info
        .result
        .as_ref()?
        .config
        .as_ref()?
        .params
        .as_ref()?
        .vectors_config
        .as_ref()?
        .config
        .as_ref()?;
    match cfg {
        // An unnamed vector: not ours.
        Config::Params(_) => None,
        Config::ParamsMap(m) => m.map.get(VECTOR_NAME).map(|p| p.size),
    }
}

impl VectorStore for QdrantStore {
    fn backend(&self) -> &'static str {
        "qdrant"
    }

    fn upsert(&self, points: Vec<VectorPoint>) -> Result<()> {
        for req in upsert_requests(&self.settings.collection, &points, self.settings.batch) {
            self.call("upsert", move |c| {
                let req = req.clone();
                async move { c.upsert_points(req).await }
            })?;
        }
        Ok(())
    }

    fn delete(&self, ids: &[u64]) -> Result<()> {
        for req in delete_requests(&self.settings.collection, ids, self.settings.batch * 4) {
            self.call("delete", move |c| {
                let req = req.clone();
                async move { c.delete_points(req).await }
            })?;
        }
        Ok(())
    }

    fn search(
        &self,
        query: &[f32],
        limit: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<(u64, f32)>> {
        let req = query_request(&self.settings.collection, query, limit, filter);
        let res = self.call("query", move |c| {
            let req = req.clone();
            async move { c.query(req).await }
        })?;
        Ok(res
            .result
            .into_iter()
            .filter_map(|p| num_id(p.id).map(|id| (id, p.score)))
            .collect())
    }

    fn len(&self) -> Result<usize> {
        let req = CountPoints {
            collection_name: self.settings.collection.clone(),
            exact: Some(true),
            ..Default::default()
        };
        let res = self.call("count", move |c| {
            let req = req.clone();
            async move { c.count(req).await }
        })?;
        Ok(res.result.map(|r| r.count as usize).unwrap_or(0))
    }

    fn finish(&self) -> Result<()> {
        Ok(())
    }
}
