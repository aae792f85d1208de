//! `provisio bench`: reproducible performance figures.
//! - `bench index --corpus DIR`: full index into a fresh data directory (cold embedding cache),
//!   then a no-change reindex; chunks/s; peak RSS.
//! - `bench search --questions FILE`: warm search latency p50/p99 per mode over the question set.
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand};
use provisio_indexer::{eval, IndexOptions, Mode, SearchRequest};
use provisio_pve::{ClusterStateRequest, View};
use serde_json::json;

use crate::commands::{load_embedder, load_sources, open_kb};
use crate::paths::Paths;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand, Debug)]
enum What {
    /// Time a full index (fresh data dir and cache) and a no-change reindex.
    Index {
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        lexical_only: bool,
        /// Keep the built data directory here instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Warm search latency over the questions of a JSONL file, against the current index.
    Search {
        #[arg(long)]
        questions: PathBuf,
        /// Passes over the question set.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Vector store throughput: upsert N random unit vectors (batched), then timed searches
    /// (with and without a filter), on the embedded store or a Qdrant server.
    Vectors {
        /// `embedded` (qdrant-edge in a temporary directory) or `qdrant`.
        #[arg(long, default_value = "embedded", value_parser = ["embedded", "qdrant"])]
        store: String,
        /// Qdrant gRPC URL (default QDRANT_URL); a scratch collection is created and dropped.
        #[arg(long, env = "QDRANT_URL")]
        qdrant_url: Option<String>,
        #[arg(long, default_value_t = 20_000)]
        points: usize,
        #[arg(long, default_value_t = 384)]
        dim: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
        /// Points per upsert request (Qdrant).
        #[arg(long, default_value_t = 256)]
        batch: usize,
    },
    /// draft_manifest time for a plan against a saved cluster state.
    Draft {
        #[arg(long)]
        plan: PathBuf,
        #[arg(long)]
        state: PathBuf,
        #[arg(long, default_value_t = 200)]
        rounds: usize,
    },
    /// lint_manifest time per file (each file linted alone, cluster-aware rules on with
    /// `--state`), plus the first call (which builds the Kubernetes schemas).
    Lint {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A saved cluster_state answer for the cluster-aware rules.
        #[arg(long)]
        state: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// `import` of every guest of the configured cluster and `drift` of the result: warm
    /// latency of each (tests/pve/bench.sh guests runs it on fakepve with 500 guests).
    Guests {
        /// Runs of each (after one warm-up run).
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Cluster name (default: the default cluster).
        #[arg(long)]
        cluster: Option<String>,
        /// Terraform provider to write for.
        #[arg(long, default_value = "bpg", value_parser = ["bpg", "telmate"])]
        provider: String,
    },
    /// Warm `cluster_state` latency and answer size per view against the configured cluster
    /// (tests/pve/bench.sh runs it on fakepve with 3 nodes / 500 guests).
    ClusterState {
        /// Calls per view (after one warm-up call).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Cluster name (default: the default cluster).
        #[arg(long)]
        cluster: Option<String>,
    },
}

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bench_vectors(
    store: &str,
    url: Option<&str>,
    (n, dim, queries, batch): (usize, usize, usize, usize),
    out: &mut dyn Write,
) -> Result<()> {
    use provisio_indexer::qdrant::{QdrantSettings, QdrantStore};
    use provisio_indexer::vector::{EdgeStore, VectorFilter, VectorPoint, VectorStore};
    let tmp = tempfile::tempdir()?;
    // The Qdrant store is kept to drop its scratch collection at the end.
    let mut scratch: Option<std::sync::Arc<QdrantStore>> = None;
    let (s, label): (std::sync::Arc<dyn VectorStore>, String) = match store {
        "qdrant" => {
            let url = url.ok_or_else(|| {
                anyhow::anyhow!("--store qdrant needs --qdrant-url or QDRANT_URL")
            })?;
            let mut q = QdrantSettings::new(url);
            q.collection = format!("provisio-bench-{}", std::process::id());
            q.batch = batch;
            q.api_key = std::env::var("QDRANT_API_KEY")
                .ok()
                .filter(|k| !k.is_empty());
            let qs = std::sync::Arc::new(QdrantStore::connect(q.clone())?);
            qs.ensure_collection(dim)?;
            scratch = Some(qs.clone());
            (qs, format!("qdrant {}", q.describe()))
        }
        _ => (
            std::sync::Arc::new(EdgeStore::create(&tmp.path().join("v"), dim)?),
            "qdrant-edge (embedded)".to_string(),
        ),
    };
    let vecs = provisio_indexer::vector::random_units(n, dim, 42);
    let sources = ["pve-docs", "k3s-docs", "kubernetes-website"];
    let points: Vec<VectorPoint> = vecs
        .into_iter()
        .enumerate()
        .map(|(i, v)| VectorPoint {
            id: i as u64,
            vector: v,
            source: sources[i % 3].into(),
            kind: if i % 4 == 0 {
                "code".into()
            } else {
                "prose".into()
            },
            path: format!("doc/{}.md", i % 500),
            heading: String::new(),
            hash: String::new(),
        })
        .collect();
    let t = Instant::now();
    s.upsert(points)?;
    s.finish()?;
    let up = t.elapsed().as_secs_f64();
    let qs = provisio_indexer::vector::random_units(queries, dim, 7);
    let lat = |filter: &VectorFilter| -> Result<Vec<f64>> {
        let mut v = Vec::with_capacity(qs.len());
        for q in &qs {
            let t = Instant::now();
            s.search(q, 50, filter)?;
            v.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        v.sort_by(f64::total_cmp);
        Ok(v)
    };
    let plain = lat(&VectorFilter::default())?;
    let filtered = lat(&VectorFilter {
        sources: vec!["pve-docs".into()],
        kinds: vec!["prose".into()],
    })?;
    let total: f64 = plain.iter().sum::<f64>() / 1000.0;
    serde_json::to_writer_pretty(
        &mut *out,
        &json!({
            "store": label,
            "points": n,
            "dim": dim,
            "upsert_s": up,
            "upsert_points_per_s": n as f64 / up,
            "search_top50_p50_ms": pct(&plain, 0.5),
            "search_top50_p99_ms": pct(&plain, 0.99),
            "search_qps_sequential": queries as f64 / total,
            "filtered_search_p50_ms": pct(&filtered, 0.5),
            "filtered_search_p99_ms": pct(&filtered, 0.99),
        }),
    )?;
    writeln!(out)?;
    if let Some(qs) = scratch {
        qs.drop_collection()?;
    }
    Ok(())
}

pub fn run(paths: &Paths, a: &BenchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    match &a.what {
        What::Vectors {
            store,
            qdrant_url,
            points,
            dim,
            queries,
            batch,
        } => {
            bench_vectors(
                store,
                qdrant_url.as_deref(),
                (*points, *dim, *queries, *batch),
                out,
            )?;
        }
        What::Index {
            corpus,
            lexical_only,
            keep,
        } => {
            let tmp = tempfile::tempdir()?;
            let root = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
            let data = provisio_indexer::DataDir::new(root);
            let embedder = if *lexical_only {
                None
            } else {
                Some(load_embedder(paths)?)
            };
            let cont = |_p| ControlFlow::Continue(());
            let mk = || IndexOptions {
                data: data.clone(),
                corpus: corpus.clone(),
                sources: load_sources(&None)
                    .unwrap_or_else(|_| provisio_indexer::sources::SourcesFile::builtin()),
                embedder: embedder.clone(),
                force: false,
                store: Default::default(),
                progress: Some(&cont),
            };
            let t = Instant::now();
            let full = provisio_indexer::index(&mk())?;
            let full_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let again = provisio_indexer::index(&mk())?;
            let again_s = t.elapsed().as_secs_f64();
            let v = json!({
                "bench": "index",
                "files": full.files,
                "chunks": full.chunks,
                "chunks_embedded": full.chunks_embedded,
                "full_index_s": full_s,
                "chunks_per_s": full.chunks as f64 / full_s,
                "timings_ms": full.timings_ms,
                "reindex_unchanged_s": again_s,
                "reindex_status": again.status,
                "peak_rss_mb": peak_rss_mb(),
                "dense": full.dense,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        What::Search { questions, rounds } => {
            let kb = open_kb(paths)?;
            let qs = eval::load_questions(questions)?;
            let mut results = serde_json::Map::new();
            // Warm up: loads the model, touches the indexes.
            for q in qs.iter().take(3) {
                kb.search(&SearchRequest::new(q.question.clone()))?;
            }
            for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
                let mut lat = Vec::new();
                for _ in 0..*rounds {
                    for q in &qs {
                        let mut req = SearchRequest::new(q.question.clone());
                        req.mode = mode;
                        req.k = 10;
                        let t = Instant::now();
                        kb.search(&req)?;
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                lat.sort_by(|a, b| a.total_cmp(b));
                results.insert(
                    format!("{mode:?}").to_lowercase(),
                    json!({"n": lat.len(), "p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99), "max_ms": lat.last()}),
                );
            }
            // Query embedding alone, to separate model time from index time.
            if let Ok(e) = kb.embedder() {
                let mut lat = Vec::new();
                for q in &qs {
                    let t = Instant::now();
                    e.embed(&[q.question.as_str()])?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat.sort_by(|a, b| a.total_cmp(b));
                results.insert(
                    "query_embedding".into(),
                    json!({"p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99)}),
                );
            }
            results.insert("chunks".into(), json!(kb.chunks().len()));
            results.insert("peak_rss_mb".into(), json!(peak_rss_mb()));
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::Value::Object(results))?
            )?;
        }
        What::Draft {
            plan,
            state,
            rounds,
        } => {
            let plan = provisio_plan::parse(&std::fs::read_to_string(plan)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let state: provisio_pve::ClusterState =
                serde_json::from_str(&std::fs::read_to_string(state)?)?;
            let mut lat = Vec::new();
            let mut bytes = 0;
            for _ in 0..*rounds {
                let t = Instant::now();
                let d = provisio_draft::draft(&plan, &state).map_err(|e| anyhow::anyhow!("{e}"))?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                bytes = d.files.iter().map(|f| f.content.len()).sum::<usize>();
            }
            lat.sort_by(|a, b| a.total_cmp(b));
            let v = json!({"bench": "draft", "rounds": rounds, "file_bytes": bytes, "p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99)});
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        What::Lint {
            paths: files,
            state,
            rounds,
        } => {
            let mut inputs = Vec::new();
            for p in files {
                crate::lint::collect(p, &mut inputs)?;
            }
            let facts = match state {
                Some(f) => {
                    let s: provisio_pve::ClusterState =
                        serde_json::from_str(&std::fs::read_to_string(f)?)?;
                    Some(
                        provisio_lint::ClusterFacts::from_state(&s, &Default::default())
                            .map_err(|e| anyhow::anyhow!("{e}"))?,
                    )
                }
                None => None,
            };
            let t = Instant::now();
            provisio_lint::k8s::warm();
            let first_ms = t.elapsed().as_secs_f64() * 1000.0;
            let mut lat = Vec::new();
            let mut per_file: Vec<(String, f64)> = Vec::new();
            for i in &inputs {
                let mut mine = Vec::new();
                for _ in 0..*rounds {
                    let t = Instant::now();
                    let f = provisio_lint::lint(std::slice::from_ref(i), facts.as_ref());
                    std::hint::black_box(f);
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                mine.sort_by(|a, b| a.total_cmp(b));
                per_file.push((i.path.clone(), pct(&mine, 0.5)));
                lat.extend(mine);
            }
            lat.sort_by(|a, b| a.total_cmp(b));
            let slowest = per_file
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .cloned()
                .unwrap_or_default();
            let v = json!({"bench": "lint", "files": inputs.len(), "rounds": rounds, "cluster_rules": facts.is_some(),
                "k8s_schemas_first_build_ms": first_ms, "per_file_p50_ms": pct(&lat, 0.5), "per_file_p99_ms": pct(&lat, 0.99),
                "slowest_file": slowest.0, "slowest_file_p50_ms": slowest.1});
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        What::Guests {
            rounds,
            cluster,
            provider,
        } => {
            let cfg = paths.pve_config()?;
            let c = cfg
                .cluster(cluster.as_deref())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let client = provisio_pve::PveClient::connect(c).map_err(|e| anyhow::anyhow!("{e}"))?;
            let provider = if provider == "telmate" {
                provisio_plan::Provider::Telmate
            } else {
                provisio_plan::Provider::Bpg
            };
            let rt = crate::mcp::runtime()?;
            let all: Vec<String> = rt
                .block_on(provisio_guest::live::placements(&client))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .iter()
                .map(|p| p.vmid.to_string())
                .collect();
            let dir = tempfile::tempdir()?;
            let (mut imp_ms, mut drift_ms) = (Vec::new(), Vec::new());
            let mut last = None;
            for round in 0..=*rounds {
                let t = Instant::now();
                let imp = rt
                    .block_on(provisio_guest::import(&client, &all, provider))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                for f in &imp.files {
                    std::fs::write(dir.path().join(&f.path), &f.content)?;
                }
                let i_ms = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                let rep = rt
                    .block_on(provisio_guest::drift(&client, dir.path(), false))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let d_ms = t.elapsed().as_secs_f64() * 1000.0;
                if round > 0 {
                    imp_ms.push(i_ms);
                    drift_ms.push(d_ms);
                }
                last = Some(rep);
            }
            imp_ms.sort_by(|a, b| a.total_cmp(b));
            drift_ms.sort_by(|a, b| a.total_cmp(b));
            let rep = last.unwrap_or_default();
            let v = json!({"bench": "guests", "guests": all.len(), "rounds": rounds,
                "import_p50_ms": pct(&imp_ms, 0.5), "import_max_ms": imp_ms.last(),
                "drift_p50_ms": pct(&drift_ms, 0.5), "drift_max_ms": drift_ms.last(),
                "in_sync": rep.in_sync, "drifted": rep.drifted, "missing": rep.missing});
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        What::ClusterState { rounds, cluster } => {
            let cfg = paths.pve_config()?;
            let c = cfg
                .cluster(cluster.as_deref())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let client = provisio_pve::PveClient::connect(c).map_err(|e| anyhow::anyhow!("{e}"))?;
            let rt = crate::mcp::runtime()?;
            let mut results = serde_json::Map::new();
            for view in View::ALL {
                if view == View::K8s && c.kube.is_none() {
                    results.insert(
                        view.as_str().into(),
                        json!("skipped: the cluster's config names no kubeconfig"),
                    );
                    continue;
                }
                let req = ClusterStateRequest {
                    view,
                    ..Default::default()
                };
                let first = Instant::now();
                let s = rt
                    .block_on(provisio_pve::cluster_state(&client, &req))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let cold_ms = first.elapsed().as_secs_f64() * 1000.0;
                let mut lat = Vec::new();
                for _ in 0..*rounds {
                    let t = Instant::now();
                    rt.block_on(provisio_pve::cluster_state(&client, &req))
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat.sort_by(|a, b| a.total_cmp(b));
                results.insert(
                    view.as_str().into(),
                    json!({
                        "bytes": serde_json::to_vec(&s)?.len(),
                        "text_bytes": provisio_pve::state::view::render(&s).len(),
                        "guests_total": s.guest_counts.as_ref().map(|g| g.vms + g.containers),
                        "truncated": s.truncated.len(),
                        "first_ms": cold_ms,
                        "p50_ms": pct(&lat, 0.5),
                        "p99_ms": pct(&lat, 0.99),
                    }),
                );
            }
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::Value::Object(results))?
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
