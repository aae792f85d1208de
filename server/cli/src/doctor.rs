//! `provisio doctor`: check each configured cluster (or one) and print what to fix.
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::paths::Paths;

/// The knowledge base: the configured vector store (reachable? how many points?) and the
/// serving index. Returns false when something needs fixing.
fn knowledge(
    paths: &Paths,
    k: &provisio_pve::KnowledgeSettings,
    json: bool,
    out: &mut dyn Write,
) -> Result<bool> {
    use provisio_indexer::qdrant::{QdrantSettings, QdrantStore};
    use provisio_indexer::vector::VectorStore;
    let mut ok = true;
    let mut lines = Vec::new();
    match (k.store, &k.qdrant_url) {
        (provisio_pve::StoreKind::Qdrant, Some(url)) => {
            let mut s = QdrantSettings::new(url.clone());
            s.collection = k.qdrant_collection.clone();
            s.api_key = std::env::var("QDRANT_API_KEY")
                .ok()
                .filter(|k| !k.is_empty());
            s.retries = 1;
            let key = if s.api_key.is_some() {
                "API key from QDRANT_API_KEY"
            } else {
                "no API key"
            };
            match QdrantStore::connect(s.clone()).and_then(|q| q.len().map(|n| (q, n))) {
                Ok((_, n)) => lines.push(format!(
                    "ok    vector store: qdrant {} ({key}), {n} points",
                    s.describe()
                )),
                Err(e) => {
                    ok = false;
                    lines.push(format!(
                        "FAIL  vector store: qdrant {} ({key}): {e}",
                        s.describe()
                    ));
                }
            }
        }
        _ => lines.push(format!(
            "ok    vector store: embedded (qdrant-edge) in {}",
            paths.data.index_dir().display()
        )),
    }
    match provisio_indexer::KnowledgeBase::open_with(
        &paths.data,
        None,
        &provisio_indexer::QdrantAccess::from_env(),
    ) {
        Ok(kb) => {
            let m = &kb.manifest;
            lines.push(format!(
                "ok    index: generation {}, {} chunks, vectors: {}",
                m.generation,
                m.chunks,
                kb.vector_store()
            ));
            if let Some(e) = kb.vector_error() {
                ok = false;
                lines.push(format!(
                    "FAIL  index vectors unreachable (search runs lexical-only): {e}"
                ));
            }
        }
        Err(e) => lines.push(format!("warn  index: {e}")),
    }
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"knowledge": lines, "ok": ok}),
        )?;
        writeln!(out)?;
    } else {
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(ok)
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Cluster name from the config (default: the default cluster; `--all` for every one).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Check every configured cluster.
    #[arg(long)]
    pub all: bool,
    /// Also check the privileges `apply_plan` needs.
    #[arg(long)]
    pub apply: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(paths: &Paths, a: &DoctorArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let cfg = paths.pve_config()?;
    writeln!(
        out,
        "config: {}",
        cfg.source
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "no file (PROVISIO_PVE_* variables only)".into())
    )?;
    let mut ok = knowledge(paths, &cfg.knowledge, a.json, out)?;
    let names: Vec<String> = if a.all {
        cfg.clusters.keys().cloned().collect()
    } else {
        vec![cfg
            .cluster(a.cluster.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .name
            .clone()]
    };
    if names.is_empty() {
        bail!("no clusters configured");
    }
    let rt = crate::mcp::runtime()?;
    for n in names {
        let c = cfg.cluster(Some(&n)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let report = rt.block_on(provisio_pve::doctor::doctor(c, a.apply));
        ok &= report.ok;
        if a.json {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", report.render())?;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
