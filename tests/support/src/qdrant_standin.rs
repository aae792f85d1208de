//! A local stand-in for a Qdrant server, for tests and measurements only.
//!
//! It serves the subset of Qdrant's gRPC API that [`provisio_indexer::qdrant::QdrantStore`] uses (health
//! check; collection exists/info/create/delete/list; payload index; upsert, delete, scroll,
//! count, query with keyword filters) over a real tonic server on 127.0.0.1, from memory, with
//! exact cosine search. Everything else answers `UNIMPLEMENTED`. It records every call and can
//! be told to fail the next calls of a method with a gRPC code, or to require an API key.
//!
//! It is not Qdrant: no HNSW, no persistence, no sharding. Results that claim "on Qdrant" must
//! come from a real server (`QDRANT_URL`).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use qdrant_client::qdrant::{
    self as q, collections_server::CollectionsServer, condition::ConditionOneOf,
    points_selector::PointsSelectorOneOf, points_server::PointsServer, qdrant_server::QdrantServer,
    r#match::MatchValue, value::Kind, vector_input, vectors,
};
use tonic::{Code, Request, Response, Status};

/// One recorded call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: &'static str,
    /// Points in an upsert or ids in a delete.
    pub items: usize,
    /// The `api-key` header, if any.
    pub api_key: Option<String>,
}

#[derive(Default)]
struct Collection {
    dim: u64,
    /// As created (returned by collection info).
    vectors_config: Option<q::VectorsConfig>,
    indexes: BTreeSet<String>,
    /// id → (unit vector, payload)
    points: BTreeMap<u64, (Vec<f32>, HashMap<String, q::Value>)>,
}

#[derive(Default)]
struct State {
    collections: BTreeMap<String, Collection>,
    calls: Vec<Call>,
    /// (method, code, remaining)
    faults: Vec<(String, Code, usize)>,
    api_key: Option<String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<State>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Run `f` on a collection, or answer NOT_FOUND.
    fn with<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Collection) -> Result<T, Status>,
    ) -> Result<T, Status> {
        let mut st = self.lock();
        let c = st
            .collections
            .get_mut(name)
            .ok_or_else(|| not_found(name))?;
        f(c)
    }

    /// Record the call, check the key and injected faults.
    fn enter<T>(&self, method: &'static str, req: &Request<T>, items: usize) -> Result<(), Status> {
        let key = req
            .metadata()
            .get("api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut st = self.lock();
        st.calls.push(Call {
            method,
            items,
            api_key: key.clone(),
        });
        if let Some(want) = &st.api_key {
            if key.as_deref() != Some(want.as_str()) {
                return Err(Status::unauthenticated(
                    "Must provide an API key or an Authorization bearer token",
                ));
            }
        }
        if let Some(f) = st
            .faults
            .iter_mut()
            .find(|(m, _, n)| (m == method || m == "*") && *n > 0)
        {
            f.2 -= 1;
            return Err(Status::new(f.1, format!("injected fault on {method}")));
        }
        Ok(())
    }
}

/// A running stand-in. Dropping it stops the server.
pub struct QdrantStandIn {
    pub url: String,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for QdrantStandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl QdrantStandIn {
    /// Start on an ephemeral port of 127.0.0.1 (or `addr`), on its own thread and runtime.
    pub fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0")
    }

    pub fn start_on(addr: &str) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let shared = Shared::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("qdrant-standin".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!("stand-in runtime: {e}");
                        return;
                    }
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let incoming = tonic::transport::server::TcpIncoming::from(listener)
                        .with_nodelay(Some(true));
                    let svc = Svc(s);
                    let r = tonic::transport::Server::builder()
                        .add_service(QdrantServer::new(svc.clone()))
                        .add_service(CollectionsServer::new(svc.clone()))
                        .add_service(PointsServer::new(svc))
                        .serve_with_incoming_shutdown(incoming, async {
                            let _ = rx.await;
                        })
                        .await;
                    if let Err(e) = r {
                        tracing::error!("stand-in server: {e}");
                    }
                });
            })?;
        Ok(QdrantStandIn {
            url: format!("http://{local}"),
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Fail the next `times` calls of `method` (`"*"`: any) with `code`.
    pub fn fail_next(&self, method: &str, code: Code, times: usize) {
        self.shared
            .lock()
            .faults
            .push((method.to_string(), code, times));
    }

    /// Require this API key from now on.
    pub fn require_api_key(&self, key: &str) {
        self.shared.lock().api_key = Some(key.to_string());
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.shared.lock().calls.clear();
    }

    /// Points in a collection (None if it does not exist).
    pub fn points(&self, collection: &str) -> Option<usize> {
        self.shared
            .lock()
            .collections
            .get(collection)
            .map(|c| c.points.len())
    }

    /// Payload indexes of a collection.
    pub fn indexes(&self, collection: &str) -> Vec<String> {
        self.shared
            .lock()
            .collections
            .get(collection)
            .map(|c| c.indexes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A payload string field of a point.
    pub fn payload(&self, collection: &str, id: u64, key: &str) -> Option<String> {
        let st = self.shared.lock();
        let v = st
            .collections
            .get(collection)?
            .points
            .get(&id)?
            .1
            .get(key)?;
        match &v.kind {
            Some(Kind::StringValue(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

#[derive(Clone)]
struct Svc(Shared);

fn not_found(c: &str) -> Status {
    Status::not_found(format!("Not found: Collection `{c}` doesn't exist!"))
}

fn num(id: &Option<q::PointId>) -> Result<u64, Status> {
    match id.as_ref().and_then(|p| p.point_id_options.as_ref()) {
        Some(q::point_id::PointIdOptions::Num(n)) => Ok(*n),
        _ => Err(Status::invalid_argument(
            "the stand-in supports numeric point ids only",
        )),
    }
}

fn dense_of(v: &q::Vector) -> Option<Vec<f32>> {
    #[allow(deprecated)]
    match &v.vector {
        Some(q::vector::Vector::Dense(d)) => Some(d.data.clone()),
        None if !v.data.is_empty() => Some(v.data.clone()),
        _ => None,
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

fn str_of(v: Option<&q::Value>) -> Option<&str> {
    match v.and_then(|v| v.kind.as_ref()) {
        Some(Kind::StringValue(s)) => Some(s),
        _ => None,
    }
}

/// Evaluate the filter subset we support: `must` of keyword matches.
fn accepts(
    filter: &Option<q::Filter>,
    payload: &HashMap<String, q::Value>,
) -> Result<bool, Status> {
    let Some(f) = filter else { return Ok(true) };
    if !f.should.is_empty() || !f.must_not.is_empty() || f.min_should.is_some() {
        return Err(Status::invalid_argument(
            "the stand-in supports `must` filters only",
        ));
    }
    for c in &f.must {
        let Some(ConditionOneOf::Field(fc)) = &c.condition_one_of else {
            return Err(Status::invalid_argument(
                "the stand-in supports field conditions only",
            ));
        };
        let have = str_of(payload.get(&fc.key));
        let ok = match fc.r#match.as_ref().and_then(|m| m.match_value.as_ref()) {
            Some(MatchValue::Keyword(k)) => have == Some(k.as_str()),
            Some(MatchValue::Keywords(ks)) => {
                have.is_some_and(|h| ks.strings.iter().any(|k| k == h))
            }
            _ => {
                return Err(Status::invalid_argument(
                    "the stand-in supports keyword matches only",
                ))
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn op_ok() -> q::PointsOperationResponse {
    q::PointsOperationResponse {
        result: Some(q::UpdateResult {
            operation_id: Some(0),
            status: q::UpdateStatus::Completed as i32,
        }),
        time: 0.0,
        usage: None,
    }
}

fn dim_of(cfg: &Option<q::VectorsConfig>) -> Result<u64, Status> {
    use q::vectors_config::Config;
    match cfg.as_ref().and_then(|c| c.config.as_ref()) {
        Some(Config::Params(p)) => Ok(p.size),
        Some(Config::ParamsMap(m)) => m
            .map
            .values()
            .next()
            .map(|p| p.size)
            .ok_or_else(|| Status::invalid_argument("empty vectors config")),
        None => Err(Status::invalid_argument("vectors_config is required")),
    }
}

macro_rules! service {
    ($trait:path, { $($done:tt)* }, $($name:ident($req:ident) -> $resp:ident;)*) => {
        #[tonic::async_trait]
        impl $trait for Svc {
            $($done)*
            $(
                async fn $name(&self, _r: Request<q::$req>) -> Result<Response<q::$resp>, Status> {
                    Err(Status::unimplemented(concat!(
                        "the Qdrant stand-in does not implement ",
                        stringify!($name)
                    )))
                }
            )*
        }
    };
}

service!(q::qdrant_server::Qdrant, {
    async fn health_check(
        &self,
        r: Request<q::HealthCheckRequest>,
    ) -> Result<Response<q::HealthCheckReply>, Status> {
        self.0.enter("health_check", &r, 0)?;
        Ok(Response::new(q::HealthCheckReply {
            title: "provisio qdrant stand-in".into(),
            version: "1.16.0".into(),
            commit: None,
        }))
    }
},);

service!(q::collections_server::Collections, {
    async fn get(
        &self,
        r: Request<q::GetCollectionInfoRequest>,
    ) -> Result<Response<q::GetCollectionInfoResponse>, Status> {
        self.0.enter("collection_info", &r, 0)?;
        let name = &r.get_ref().collection_name;
        self.0.with(name, |c| {
            Ok(Response::new(q::GetCollectionInfoResponse {
                result: Some(q::CollectionInfo {
                    status: q::CollectionStatus::Green as i32,
                    points_count: Some(c.points.len() as u64),
                    config: Some(q::CollectionConfig {
                        params: Some(q::CollectionParams {
                            vectors_config: c.vectors_config.clone(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                time: 0.0,
            }))
        })
    }
    async fn list(
        &self,
        r: Request<q::ListCollectionsRequest>,
    ) -> Result<Response<q::ListCollectionsResponse>, Status> {
        self.0.enter("list_collections", &r, 0)?;
        let st = self.0.lock();
        Ok(Response::new(q::ListCollectionsResponse {
            collections: st
                .collections
                .keys()
                .map(|name| q::CollectionDescription { name: name.clone() })
                .collect(),
            time: 0.0,
        }))
    }
    async fn create(
        &self,
        r: Request<q::CreateCollection>,
    ) -> Result<Response<q::CollectionOperationResponse>, Status> {
        self.0.enter("create_collection", &r, 0)?;
        let req = r.into_inner();
        let dim = dim_of(&req.vectors_config)?;
        let mut st = self.0.lock();
        if st.collections.contains_key(&req.collection_name) {
            return Err(Status::already_exists(format!(
                "Wrong input: Collection `{}` already exists!",
                req.collection_name
            )));
        }
        st.collections.insert(
            req.collection_name,
            Collection {
                dim,
                vectors_config: req.vectors_config,
                ..Default::default()
            },
        );
        Ok(Response::new(q::CollectionOperationResponse { result: true, time: 0.0 }))
    }
    async fn delete(
        &self,
        r: Request<q::DeleteCollection>,
    ) -> Result<Response<q::CollectionOperationResponse>, Status> {
        self.0.enter("delete_collection", &r, 0)?;
        let removed = self.0.lock().collections.remove(&r.get_ref().collection_name).is_some();
        Ok(Response::new(q::CollectionOperationResponse { result: removed, time: 0.0 }))
    }
    async fn collection_exists(
        &self,
        r: Request<q::CollectionExistsRequest>,
    ) -> Result<Response<q::CollectionExistsResponse>, Status> {
        self.0.enter("collection_exists", &r, 0)?;
        let exists = self.0.lock().collections.contains_key(&r.get_ref().collection_name);
        Ok(Response::new(q::CollectionExistsResponse {
            result: Some(q::CollectionExists { exists }),
            time: 0.0,
        }))
    }
},
    update(UpdateCollection) -> CollectionOperationResponse;
    update_aliases(ChangeAliases) -> CollectionOperationResponse;
    list_collection_aliases(ListCollectionAliasesRequest) -> ListAliasesResponse;
    list_aliases(ListAliasesRequest) -> ListAliasesResponse;
    collection_cluster_info(CollectionClusterInfoRequest) -> CollectionClusterInfoResponse;
    update_collection_cluster_setup(UpdateCollectionClusterSetupRequest) -> UpdateCollectionClusterSetupResponse;
    create_shard_key(CreateShardKeyRequest) -> CreateShardKeyResponse;
    delete_shard_key(DeleteShardKeyRequest) -> DeleteShardKeyResponse;
    list_shard_keys(ListShardKeysRequest) -> ListShardKeysResponse;
);

service!(q::points_server::Points, {
    async fn upsert(
        &self,
        r: Request<q::UpsertPoints>,
    ) -> Result<Response<q::PointsOperationResponse>, Status> {
        self.0.enter("upsert", &r, r.get_ref().points.len())?;
        let req = r.into_inner();
        self.0.with(&req.collection_name, |c| {
            // Validate the whole batch first: a bad point rejects it without applying any.
            let mut batch = Vec::with_capacity(req.points.len());
            for p in req.points {
                let id = num(&p.id)?;
                let v = match p.vectors.and_then(|v| v.vectors_options) {
                    Some(vectors::VectorsOptions::Vectors(named)) => named
                        .vectors
                        .get(provisio_indexer::qdrant::VECTOR_NAME)
                        .and_then(dense_of),
                    Some(vectors::VectorsOptions::Vector(v)) => dense_of(&v),
                    None => None,
                }
                .ok_or_else(|| Status::invalid_argument(format!("point {id}: no dense vector `dense`")))?;
                if v.len() as u64 != c.dim {
                    return Err(Status::invalid_argument(format!(
                        "Wrong input: Vector dimension error: expected dim: {}, got {}",
                        c.dim,
                        v.len()
                    )));
                }
                batch.push((id, unit(v), p.payload));
            }
            for (id, v, payload) in batch {
                c.points.insert(id, (v, payload));
            }
            Ok(Response::new(op_ok()))
        })
    }
    async fn delete(
        &self,
        r: Request<q::DeletePoints>,
    ) -> Result<Response<q::PointsOperationResponse>, Status> {
        let ids = match r
            .get_ref()
            .points
            .as_ref()
            .and_then(|s| s.points_selector_one_of.as_ref())
        {
            Some(PointsSelectorOneOf::Points(list)) => list.ids.clone(),
            _ => return Err(Status::invalid_argument("the stand-in deletes by id list only")),
        };
        self.0.enter("delete", &r, ids.len())?;
        let name = &r.get_ref().collection_name;
        self.0.with(name, |c| {
            for id in ids {
                c.points.remove(&num(&Some(id))?);
            }
            Ok(Response::new(op_ok()))
        })
    }
    async fn create_field_index(
        &self,
        r: Request<q::CreateFieldIndexCollection>,
    ) -> Result<Response<q::PointsOperationResponse>, Status> {
        self.0.enter("create_field_index", &r, 0)?;
        let req = r.into_inner();
        if req.field_type != Some(q::FieldType::Keyword as i32) {
            return Err(Status::invalid_argument("the stand-in indexes keyword fields only"));
        }
        self.0.with(&req.collection_name, |c| {
            c.indexes.insert(req.field_name);
            Ok(Response::new(op_ok()))
        })
    }
    async fn scroll(
        &self,
        r: Request<q::ScrollPoints>,
    ) -> Result<Response<q::ScrollResponse>, Status> {
        self.0.enter("scroll", &r, 0)?;
        let req = r.into_inner();
        self.0.with(&req.collection_name, |c| {
            let from = match &req.offset {
                Some(_) => num(&req.offset)?,
                None => 0,
            };
            let limit = req.limit.unwrap_or(10) as usize;
            let mut result = Vec::new();
            let mut next = None;
            for (id, (_, payload)) in c.points.range(from..) {
                if !accepts(&req.filter, payload)? {
                    continue;
                }
                if result.len() == limit {
                    next = Some(q::PointId::from(*id));
                    break;
                }
                result.push(q::RetrievedPoint {
                    id: Some(q::PointId::from(*id)),
                    ..Default::default()
                });
            }
            Ok(Response::new(q::ScrollResponse {
                next_page_offset: next,
                result,
                time: 0.0,
                usage: None,
            }))
        })
    }
    async fn count(
        &self,
        r: Request<q::CountPoints>,
    ) -> Result<Response<q::CountResponse>, Status> {
        self.0.enter("count", &r, 0)?;
        let req = r.into_inner();
        self.0.with(&req.collection_name, |c| {
            let mut count = 0u64;
            for (_, payload) in c.points.values() {
                if accepts(&req.filter, payload)? {
                    count += 1;
                }
            }
            Ok(Response::new(q::CountResponse {
                result: Some(q::CountResult { count }),
                time: 0.0,
                usage: None,
            }))
        })
    }
    async fn query(
        &self,
        r: Request<q::QueryPoints>,
    ) -> Result<Response<q::QueryResponse>, Status> {
        self.0.enter("query", &r, 0)?;
        let req = r.into_inner();
        let v = match req.query.and_then(|q| q.variant) {
            Some(q::query::Variant::Nearest(q::VectorInput {
                variant: Some(vector_input::Variant::Dense(d)),
            })) => d.data,
            _ => return Err(Status::invalid_argument("the stand-in supports nearest(dense) queries only")),
        };
        self.0.with(&req.collection_name, |c| {
            if v.len() as u64 != c.dim {
                return Err(Status::invalid_argument(format!(
                    "Wrong input: Vector dimension error: expected dim: {}, got {}",
                    c.dim,
                    v.len()
                )));
            }
            let v = unit(v);
            let mut scored = Vec::new();
            for (id, (pv, payload)) in &c.points {
                if accepts(&req.filter, payload)? {
                    scored.push((*id, provisio_indexer::vector::dot(&v, pv)));
                }
            }
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            scored.truncate(req.limit.unwrap_or(10) as usize);
            Ok(Response::new(q::QueryResponse {
                result: scored
                    .into_iter()
                    .map(|(id, score)| q::ScoredPoint {
                        id: Some(q::PointId::from(id)),
                        score,
                        ..Default::default()
                    })
                    .collect(),
                time: 0.0,
                usage: None,
            }))
        })
    }
},
    get(GetPoints) -> GetResponse;
    update_vectors(UpdatePointVectors) -> PointsOperationResponse;
    delete_vectors(DeletePointVectors) -> PointsOperationResponse;
    set_payload(SetPayloadPoints) -> PointsOperationResponse;
    overwrite_payload(SetPayloadPoints) -> PointsOperationResponse;
    delete_payload(DeletePayloadPoints) -> PointsOperationResponse;
    clear_payload(ClearPayloadPoints) -> PointsOperationResponse;
    delete_field_index(DeleteFieldIndexCollection) -> PointsOperationResponse;
    create_vector_name(CreateVectorNameRequest) -> PointsOperationResponse;
    delete_vector_name(DeleteVectorNameRequest) -> PointsOperationResponse;
    search(SearchPoints) -> SearchResponse;
    search_batch(SearchBatchPoints) -> SearchBatchResponse;
    search_groups(SearchPointGroups) -> SearchGroupsResponse;
    recommend(RecommendPoints) -> RecommendResponse;
    recommend_batch(RecommendBatchPoints) -> RecommendBatchResponse;
    recommend_groups(RecommendPointGroups) -> RecommendGroupsResponse;
    discover(DiscoverPoints) -> DiscoverResponse;
    discover_batch(DiscoverBatchPoints) -> DiscoverBatchResponse;
    update_batch(UpdateBatchPoints) -> UpdateBatchResponse;
    query_batch(QueryBatchPoints) -> QueryBatchResponse;
    query_groups(QueryPointGroups) -> QueryGroupsResponse;
    facet(FacetCounts) -> FacetResponse;
    search_matrix_pairs(SearchMatrixPoints) -> SearchMatrixPairsResponse;
    search_matrix_offsets(SearchMatrixPoints) -> SearchMatrixOffsetsResponse;
);
