//! The Qdrant backend: requests built as values, batching, retries and error mapping against
//! our own gRPC stand-in (`provisio-testkit`, in `tests/support`), the index pipeline on `--store qdrant` (same
//! results as embedded, incremental upload, migration from the embedding cache, degraded
//! search when the server is down), and, when `QDRANT_URL` names a real server, the same
//! round trip against it.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use provisio_indexer::embed::Embedder;
use provisio_indexer::qdrant::{
    self, backoff, classify, delete_requests, filter_of, point_id, query_request, upsert_requests,
    Failure, QdrantSettings, QdrantStore,
};
use provisio_indexer::vector::{FlatStore, VectorFilter, VectorPoint, VectorStore};
use provisio_indexer::{index, DataDir, Error, KnowledgeBase, Mode, SearchRequest, StoreChoice};
use provisio_testkit::HashEmbedder;
use provisio_testkit::QdrantStandIn;
use qdrant_client::QdrantError;
use tonic::Code;

mod common;
use common::*;

fn points(n: u64, dim: usize) -> Vec<VectorPoint> {
    sample_points(n as usize, dim)
}

fn settings(s: &QdrantStandIn, collection: &str) -> QdrantSettings {
    let mut q = QdrantSettings::new(s.url.clone());
    q.collection = collection.into();
    q.batch = 64;
    q.backoff = Duration::from_millis(5);
    q
}

// ---- requests as values -------------------------------------------------------------------

#[test]
fn upserts_are_batched_with_named_vectors_and_payload() {
    let ps = points(150, 8);
    let reqs = upsert_requests("docs", &ps, 64);
    assert_eq!(
        reqs.iter().map(|r| r.points.len()).collect::<Vec<_>>(),
        [64, 64, 22]
    );
    let first = &reqs[0];
    assert_eq!(first.collection_name, "docs");
    assert_eq!(first.wait, Some(true));
    let p = &first.points[3];
    let mut keys: Vec<&str> = p.payload.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["hash", "heading", "kind", "path", "source"]);
    let Some(qdrant_client::qdrant::vectors::VectorsOptions::Vectors(named)) =
        p.vectors.as_ref().and_then(|v| v.vectors_options.as_ref())
    else {
        panic!("expected named vectors: {:?}", p.vectors)
    };
    assert!(named.vectors.contains_key(qdrant::VECTOR_NAME));
    let dels = delete_requests("docs", &(0..130).collect::<Vec<_>>(), 64);
    assert_eq!(dels.len(), 3);
}

#[test]
fn filters_and_queries_are_built_from_the_request() {
    assert!(filter_of(&VectorFilter::default()).is_none());
    let f = filter_of(&VectorFilter {
        sources: vec!["pve-docs".into(), "k3s-docs".into()],
        kinds: vec!["option".into()],
    })
    .expect("filter");
    assert_eq!(f.must.len(), 2);
    let dbg = format!("{f:?}");
    assert!(dbg.contains("pve-docs") && dbg.contains("k3s-docs") && dbg.contains("option"));
    let q = query_request("docs", &[0.5, 0.5], 7, &VectorFilter::default());
    assert_eq!(q.using.as_deref(), Some("dense"));
    assert_eq!(q.limit, Some(7));
    assert!(q.filter.is_none());
}

#[test]
fn point_ids_are_stable_and_distinct() {
    let a = point_id("m", "chunk-1", "w1");
    assert_eq!(a, point_id("m", "chunk-1", "w1"));
    assert_ne!(a, point_id("m", "chunk-1", "w2"));
    assert_ne!(a, point_id("m", "chunk-2", "w1"));
    assert_ne!(a, point_id("other-model", "chunk-1", "w1"));
    // No ambiguity from concatenation.
    assert_ne!(point_id("m", "ab", "c"), point_id("m", "a", "bc"));
}

#[test]
fn backoff_doubles_is_capped_and_honours_the_server() {
    let b = Duration::from_millis(200);
    assert_eq!(backoff(b, 1, None), Duration::from_millis(200));
    assert_eq!(backoff(b, 3, None), Duration::from_millis(800));
    assert_eq!(backoff(b, 30, None), Duration::from_secs(5));
    assert_eq!(
        backoff(b, 1, Some(Duration::from_secs(2))),
        Duration::from_secs(2)
    );
}

#[test]
fn status_codes_are_classified() {
    let st = |c: Code| QdrantError::ResponseError {
        status: tonic::Status::new(c, "x"),
    };
    for c in [
        Code::Unavailable,
        Code::DeadlineExceeded,
        Code::ResourceExhausted,
        Code::Aborted,
    ] {
        assert!(
            matches!(classify(&st(c)), Failure::Transient { .. }),
            "{c:?}"
        );
    }
    for c in [
        Code::InvalidArgument,
        Code::NotFound,
        Code::Unauthenticated,
        Code::Internal,
    ] {
        assert!(
            matches!(classify(&st(c)), Failure::Permanent { .. }),
            "{c:?}"
        );
    }
}

#[test]
fn settings_are_validated_and_the_key_never_printed() {
    let mut s = QdrantSettings::new("localhost:6334");
    let e = s.validate().expect_err("no scheme").to_string();
    assert!(e.contains("qdrant_url"), "{e}");
    s.url = "http://user:pw@qdrant:6334".into();
    assert!(s
        .validate()
        .expect_err("creds")
        .to_string()
        .contains("QDRANT_API_KEY"));
    s.url = "http://qdrant:6334".into();
    s.collection = "bad name!".into();
    assert!(s
        .validate()
        .expect_err("name")
        .to_string()
        .contains("qdrant_collection"));
    s.collection = "provisio-docs".into();
    s.api_key = Some("sekret-key-123".into());
    s.validate().expect("valid");
    assert!(!format!("{s:?}").contains("sekret-key-123"));
}

// ---- against the stand-in ------------------------------------------------------------------

#[test]
fn store_round_trip_matches_exact_search() {
    let si = QdrantStandIn::start().expect("stand-in");
    let store = QdrantStore::connect(settings(&si, "rt")).expect("connect");
    store.ensure_collection(16).expect("collection");
    assert_eq!(si.indexes("rt"), ["kind", "path", "source"]);
    // Idempotent.
    store.ensure_collection(16).expect("again");

    let ps = points(300, 16);
    let flat = FlatStore::default();
    flat.upsert(ps.clone()).expect("flat");
    si.clear_calls();
    store.upsert(ps.clone()).expect("upsert");
    let sizes: Vec<usize> = si
        .calls()
        .iter()
        .filter(|c| c.method == "upsert")
        .map(|c| c.items)
        .collect();
    assert_eq!(sizes, [64, 64, 64, 64, 44]);
    assert_eq!(store.len().expect("len"), 300);
    assert_eq!(si.payload("rt", 7, "path").as_deref(), Some("a/f0.md"));

    for (i, f) in sample_filters().iter().enumerate() {
        let q = &ps[i * 17].vector;
        let want: Vec<u64> = flat
            .search(q, 10, f)
            .expect("flat")
            .iter()
            .map(|x| x.0)
            .collect();
        let got: Vec<u64> = store
            .search(q, 10, f)
            .expect("qdrant")
            .iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(got, want, "filter {f:?}");
    }

    store.delete(&(0..100).collect::<Vec<_>>()).expect("delete");
    assert_eq!(store.len().expect("len"), 200);
    let ids = store.ids().expect("ids");
    assert_eq!(ids.len(), 200);
    assert!(!ids.contains(&5) && ids.contains(&150));
}

#[test]
fn transient_failures_are_retried_then_reported() {
    let si = QdrantStandIn::start().expect("stand-in");
    let store = QdrantStore::connect(settings(&si, "retry")).expect("connect");
    store.ensure_collection(8).expect("collection");
    let ps = points(10, 8);

    // DeadlineExceeded: qdrant-client itself reconnects once on Unavailable/Internal, which
    // would double the attempts counted here.
    si.clear_calls();
    si.fail_next("upsert", Code::DeadlineExceeded, 2);
    store.upsert(ps.clone()).expect("retried into success");
    let attempts = si.calls().iter().filter(|c| c.method == "upsert").count();
    assert_eq!(attempts, 3);
    assert_eq!(store.len().expect("len"), 10);

    si.clear_calls();
    si.fail_next("query", Code::DeadlineExceeded, 100);
    let e = store
        .search(&ps[0].vector, 3, &VectorFilter::default())
        .expect_err("gives up");
    let attempts = si.calls().iter().filter(|c| c.method == "query").count();
    assert_eq!(attempts, 5, "4 retries + the first attempt");
    let msg = e.to_string();
    assert!(
        msg.contains("gave up after 5 attempts") && msg.contains("Fix:"),
        "{msg}"
    );

    // Permanent errors are not retried.
    si.clear_calls();
    si.fail_next("delete", Code::InvalidArgument, 1);
    let e = store.delete(&[1]).expect_err("invalid");
    assert_eq!(
        si.calls().iter().filter(|c| c.method == "delete").count(),
        1
    );
    assert!(matches!(e, Error::Qdrant { op: "delete", .. }), "{e:?}");
}

#[test]
fn errors_name_the_fix() {
    let si = QdrantStandIn::start().expect("stand-in");
    si.require_api_key("right-key");
    let mut s = settings(&si, "auth");
    s.retries = 0;
    let e = QdrantStore::connect(s.clone())
        .err()
        .expect("no key")
        .to_string();
    assert!(e.contains("QDRANT_API_KEY"), "{e}");
    s.api_key = Some("right-key".into());
    let store = QdrantStore::connect(s.clone()).expect("with key");
    assert!(si
        .calls()
        .iter()
        .any(|c| c.api_key.as_deref() == Some("right-key")));

    // A collection of another vector size.
    store.ensure_collection(8).expect("8");
    let e = store.ensure_collection(16).expect_err("size").to_string();
    assert!(
        e.contains("size 8") && e.contains("qdrant_collection"),
        "{e}"
    );

    // A collection someone else made with an unnamed vector.
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let c = qdrant_client::Qdrant::from_url(&si.url)
            .api_key("right-key")
            .skip_compatibility_check()
            .build()
            .expect("client");
        c.create_collection(
            qdrant_client::qdrant::CreateCollectionBuilder::new("foreign").vectors_config(
                qdrant_client::qdrant::VectorParamsBuilder::new(
                    8,
                    qdrant_client::qdrant::Distance::Cosine,
                ),
            ),
        )
        .await
        .expect("create");
    });
    let mut f = s.clone();
    f.collection = "foreign".into();
    let e = QdrantStore::connect(f)
        .expect("connect")
        .ensure_collection(8)
        .expect_err("unnamed")
        .to_string();
    assert!(e.contains("no dense vector named `dense`"), "{e}");

    // Searching a collection that does not exist.
    s.collection = "missing".into();
    let store = QdrantStore::connect(s).expect("connect");
    let e = store.len().expect_err("missing").to_string();
    assert!(e.contains("provisio index --store qdrant"), "{e}");

    // Nothing listening: a clear error, quickly.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut dead = QdrantSettings::new(format!("http://127.0.0.1:{port}"));
    dead.retries = 1;
    dead.backoff = Duration::from_millis(10);
    let t = Instant::now();
    let e = QdrantStore::connect(dead).err().expect("dead").to_string();
    assert!(
        e.contains("health check") && e.contains("cannot connect (Connection refused)"),
        "{e}"
    );
    assert!(
        e.contains("gave up after 2 attempts") && e.contains("reachable at qdrant_url"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

// ---- the index pipeline on Qdrant ---------------------------------------------------------

fn qdrant_opts<'a>(
    data: &DataDir,
    corpus: &std::path::Path,
    emb: &Arc<HashEmbedder>,
    s: &QdrantSettings,
) -> provisio_indexer::IndexOptions<'a> {
    let mut o = opts(data, corpus, Some(emb.clone() as Arc<dyn Embedder>));
    o.store = StoreChoice::Qdrant(s.clone());
    o
}

fn dense_paths(kb: &KnowledgeBase, q: &str) -> Vec<(String, u32)> {
    let mut req = SearchRequest::new(q);
    req.mode = Mode::Dense;
    req.k = 8;
    let r = kb.search(&req).expect("search");
    assert!(r.degraded.is_none(), "{:?}", r.degraded);
    r.hits
        .iter()
        .map(|h| (h.path.clone(), h.start_line))
        .collect()
}

#[test]
fn index_on_qdrant_matches_embedded_and_syncs_incrementally() {
    let si = QdrantStandIn::start().expect("stand-in");
    let s = settings(&si, "corpus");
    let tmp = tempfile::tempdir().expect("tmp");
    // Embedded first: the reference, and it fills the embedding cache.
    let (data, corpus, emb) = built(tmp.path());
    let embedded = KnowledgeBase::open(&data, hash_loader(emb.clone())).expect("open");
    let queries = [
        "linked clone",
        "cluster init token",
        "provider api token",
        "cloud-init",
    ];
    let reference: Vec<_> = queries.iter().map(|q| dense_paths(&embedded, q)).collect();
    drop(embedded);

    // Migration: the same corpus onto Qdrant re-embeds nothing.
    let calls = emb.calls.load(Ordering::SeqCst);
    let r = index(&qdrant_opts(&data, &corpus, &emb, &s)).expect("index qdrant");
    assert_eq!(r.status, "built");
    assert_eq!(r.windows_embedded, 0);
    assert_eq!(emb.calls.load(Ordering::SeqCst), calls);
    assert_eq!(r.vectors_uploaded, r.windows);
    assert_eq!(si.points("corpus"), Some(r.windows));
    let dense = r.dense.as_ref().expect("dense");
    assert_eq!(dense.backend, "qdrant");
    assert_eq!(dense.collection.as_deref(), Some("corpus"));

    let kb = KnowledgeBase::open(&data, hash_loader(emb.clone())).expect("open");
    assert!(
        kb.vector_store().starts_with("qdrant http://127.0.0.1:"),
        "{}",
        kb.vector_store()
    );
    for (q, want) in queries.iter().zip(&reference) {
        // Same hits and the same best hit; equal scores may order differently (ties break
        // on point ids, which differ between the stores).
        let got = dense_paths(&kb, q);
        assert_eq!(got[0], want[0], "{q}");
        let (mut a, mut b) = (got.clone(), want.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{q}: same dense hits on embedded and on Qdrant");
    }
    let mut req = SearchRequest::new("linked clone");
    req.sources = vec!["lab-pve".into()];
    let r = kb.search(&req).expect("filtered");
    assert!(r.hits.iter().all(|h| h.source == "lab-pve"));
    assert!(r.retrievers.contains(&"dense".to_string()));
    drop(kb);

    // Unchanged corpus: nothing sent.
    si.clear_calls();
    let r = index(&qdrant_opts(&data, &corpus, &emb, &s)).expect("noop");
    assert_eq!(r.status, "unchanged");
    assert!(si.calls().iter().all(|c| c.method != "upsert"));

    // One file changes: only its new windows go up, its old ones are deleted.
    let total_before = si.points("corpus").expect("points");
    let f = corpus.join("lab-k3s/server.md");
    let text = std::fs::read_to_string(&f).expect("read");
    std::fs::write(
        &f,
        text.replace("same token", "same token from the first server"),
    )
    .expect("write");
    let r = index(&qdrant_opts(&data, &corpus, &emb, &s)).expect("reindex");
    assert_eq!(r.files_changed, 1);
    assert!(r.vectors_uploaded >= 1 && r.vectors_uploaded <= 3, "{r:?}");
    assert_eq!(r.vectors_deleted, r.vectors_uploaded, "{r:?}");
    assert_eq!(si.points("corpus"), Some(total_before));
    let kb = KnowledgeBase::open(&data, hash_loader(emb.clone())).expect("open");
    let mut req = SearchRequest::new("same token from the first server");
    req.mode = Mode::Dense;
    assert_eq!(
        kb.search(&req).expect("search").hits[0].path,
        "lab-k3s/server.md"
    );
    drop(kb);

    // Server gone: search degrades to lexical-only and says why.
    drop(si);
    let kb = KnowledgeBase::open(&data, hash_loader(emb)).expect("open without server");
    let r = kb
        .search(&SearchRequest::new("linked clone"))
        .expect("search");
    let why = r.degraded.expect("degraded");
    assert!(
        why.starts_with("lexical-only") && why.contains("Qdrant"),
        "{why}"
    );
    assert!(!r.hits.is_empty());
}

/// Against a real Qdrant when `QDRANT_URL` (gRPC, e.g. http://localhost:6334) is set.
#[test]
fn real_qdrant_round_trip() {
    let Some(url) = std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("SKIPPED real_qdrant_round_trip: QDRANT_URL is not set (no Qdrant server here)");
        return;
    };
    let mut s = QdrantSettings::new(url);
    s.collection = format!("provisio-test-{}", std::process::id());
    s.api_key = std::env::var("QDRANT_API_KEY").ok();
    let store = QdrantStore::connect(s.clone()).expect("connect");
    store.ensure_collection(16).expect("collection");
    // The scratch collection goes away however the test ends.
    struct Scratch<'a>(&'a QdrantStore);
    impl Drop for Scratch<'_> {
        fn drop(&mut self) {
            if let Err(e) = self.0.drop_collection() {
                eprintln!("could not drop the scratch collection: {e}");
            }
        }
    }
    let _scratch = Scratch(&store);
    let ps = points(500, 16);
    let flat = FlatStore::default();
    flat.upsert(ps.clone()).expect("flat");
    store.upsert(ps.clone()).expect("upsert");
    assert_eq!(store.len().expect("len"), 500);
    let f = VectorFilter {
        sources: vec!["b".into()],
        kinds: vec!["code".into()],
    };
    let want: Vec<u64> = flat
        .search(&ps[3].vector, 10, &f)
        .expect("flat")
        .iter()
        .map(|x| x.0)
        .collect();
    let got: Vec<u64> = store
        .search(&ps[3].vector, 10, &f)
        .expect("q")
        .iter()
        .map(|x| x.0)
        .collect();
    let overlap = got.iter().filter(|i| want.contains(i)).count();
    assert!(overlap >= 9, "HNSW recall@10 {overlap}/10");
    store.delete(&(0..500).collect::<Vec<_>>()).expect("delete");
    assert_eq!(store.len().expect("len"), 0);
}
