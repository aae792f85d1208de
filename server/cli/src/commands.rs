//! `index`, `search` and `eval-retrieval`.
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use provisio_indexer::chunk::ChunkKind;
use provisio_indexer::embed::{Embedder, FastEmbedder};
use provisio_indexer::qdrant::QdrantSettings;
use provisio_indexer::sources::SourcesFile;
use provisio_indexer::store::{Progress, Stage};
use provisio_indexer::{eval, IndexOptions, KnowledgeBase, Mode, SearchRequest, StoreChoice};

use crate::paths::Paths;

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Corpus directory: one folder per source named in the sources file (default: the corpus
    /// `provisio corpus fetch` wrote into the data directory).
    #[arg(long, env = "PROVISIO_CORPUS")]
    pub corpus: Option<PathBuf>,
    /// Sources file (default: the corpus/sources.toml built into the binary).
    #[arg(long)]
    pub sources: Option<PathBuf>,
    /// Build the full-text index only (search then reports `degraded: lexical-only`).
    #[arg(long)]
    pub lexical_only: bool,
    /// Rebuild even if nothing changed.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
    /// Vector store: `embedded` (qdrant-edge in the data directory) or `qdrant` (a server).
    /// Default: `[knowledge] store` in the config file, else PROVISIO_STORE, else embedded.
    /// Switching store reuses the embedding cache: nothing is re-embedded.
    #[arg(long, value_parser = ["embedded", "qdrant"])]
    pub store: Option<String>,
    /// Qdrant gRPC URL (overrides `[knowledge] qdrant_url` and QDRANT_URL).
    #[arg(long)]
    pub qdrant_url: Option<String>,
    /// Qdrant collection (overrides `[knowledge] qdrant_collection`).
    #[arg(long)]
    pub qdrant_collection: Option<String>,
}

/// The vector store an index run writes to: flags, then the config file and environment.
pub fn store_choice(paths: &Paths, a: &IndexArgs) -> Result<StoreChoice> {
    let k = match paths.pve_config() {
        Ok(c) => c.knowledge,
        // A flag-only run must not depend on an unrelated config problem.
        Err(e) if a.store.is_some() => {
            tracing::warn!("config not used: {e}");
            provisio_pve::KnowledgeSettings::default()
        }
        Err(e) => return Err(e),
    };
    let qdrant = match a.store.as_deref() {
        Some("qdrant") => true,
        Some(_) => false,
        None => k.store == provisio_pve::StoreKind::Qdrant,
    };
    if !qdrant {
        return Ok(StoreChoice::Embedded);
    }
    let url = a
        .qdrant_url
        .clone()
        .or(k.qdrant_url.clone())
        .or_else(|| std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty()))
        .context("--store qdrant needs the server's gRPC URL: pass --qdrant-url, set QDRANT_URL, or `[knowledge] qdrant_url` in the config")?;
    let mut s = QdrantSettings::new(url);
    s.collection = a.qdrant_collection.clone().unwrap_or(k.qdrant_collection);
    s.timeout = std::time::Duration::from_secs(k.qdrant_timeout_secs);
    s.api_key = std::env::var("QDRANT_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    s.validate()?;
    Ok(StoreChoice::Qdrant(s))
}

pub fn load_sources(path: &Option<PathBuf>) -> Result<SourcesFile> {
    Ok(match path {
        Some(p) => SourcesFile::load(p)?,
        None => SourcesFile::builtin(),
    })
}

pub fn load_embedder(paths: &Paths) -> Result<Arc<dyn Embedder>> {
    Ok(Arc::new(FastEmbedder::load(&paths.model)?))
}

pub fn index(paths: &Paths, a: &IndexArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let sources = load_sources(&a.sources)?;
    let store = store_choice(paths, a)?;
    let embedder = if a.lexical_only {
        None
    } else {
        Some(load_embedder(paths).context("loading the embedding model (or pass --lexical-only)")?)
    };
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !a.json {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let cb = |p: Progress| {
        if let Some(b) = &bar {
            b.set_message(format!("{:?}", p.stage).to_lowercase());
            b.set_length(p.total as u64);
            b.set_position(p.done as u64);
        } else if p.stage == Stage::Embed
            && p.total > 0
            && (p.done.is_multiple_of(640) || p.done == p.total)
        {
            tracing::info!(done = p.done, total = p.total, "embedding");
        }
        ControlFlow::Continue(())
    };
    let opts = IndexOptions {
        data: paths.data.clone(),
        corpus: match &a.corpus {
            Some(c) => c.clone(),
            None => crate::corpus::fetched_corpus(paths).ok_or_else(|| {
                anyhow::anyhow!(
                    "no corpus: pass --corpus DIR, or download the docs first with `provisio corpus fetch` (into {})",
                    crate::corpus::default_dest(paths).display()
                )
            })?,
        },
        sources,
        embedder,
        force: a.force,
        store,
        progress: Some(&cb),
    };
    let report = provisio_indexer::index(&opts)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if a.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}: generation {} · {} files (+{} ~{} -{}) · {} chunks · embedded {} · cached {} · {} · vectors +{} -{} · {} ms",
            report.status,
            report.generation,
            report.files,
            report.files_added,
            report.files_changed,
            report.files_removed,
            report.chunks,
            report.chunks_embedded,
            report.chunks_cached,
            match &report.dense {
                Some(d) => match (&d.url, &d.collection) {
                    (Some(u), Some(c)) => format!("dense {} ({} {u} collection {c})", d.model_id, d.backend),
                    _ => format!("dense {} ({})", d.model_id, d.backend),
                },
                None => "lexical-only".to_string(),
            },
            report.vectors_uploaded,
            report.vectors_deleted,
            report.elapsed_ms
        )?;
        if !report.unknown_folders.is_empty() {
            writeln!(
                out,
                "not indexed (no source in the sources file): {}",
                report.unknown_folders.join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The question or keywords.
    pub query: String,
    /// Only this source (repeatable).
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Only this kind of chunk: prose, code, option (repeatable).
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Number of hits.
    #[arg(short, long, default_value_t = provisio_indexer::search::DEFAULT_K)]
    pub k: usize,
    /// Words of passage text for all hits together.
    #[arg(long, default_value_t = provisio_indexer::search::DEFAULT_MAX_WORDS)]
    pub max_words: usize,
    /// hybrid, bm25 or dense.
    #[arg(long, default_value = "hybrid")]
    pub mode: String,
    #[arg(long)]
    pub json: bool,
}

pub fn open_kb(paths: &Paths) -> Result<KnowledgeBase> {
    let model = paths.model.clone();
    let loader: Box<dyn Fn() -> provisio_indexer::Result<Arc<dyn Embedder>> + Send + Sync> =
        Box::new(move || Ok(Arc::new(FastEmbedder::load(&model)?) as Arc<dyn Embedder>));
    Ok(KnowledgeBase::open_with(
        &paths.data,
        Some(loader),
        &provisio_indexer::QdrantAccess::from_env(),
    )?)
}

fn parse_mode(s: &str) -> Result<Mode> {
    match Mode::parse(s) {
        Some(m) => Ok(m),
        None => bail!("--mode `{s}` is not one of hybrid, bm25, dense"),
    }
}

pub fn search(paths: &Paths, a: &SearchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let kb = open_kb(paths)?;
    let mut kinds = Vec::new();
    for k in &a.kinds {
        match ChunkKind::parse(k) {
            Some(k) => kinds.push(k),
            None => bail!("--kind `{k}` is not one of prose, code, option"),
        }
    }
    let req = SearchRequest {
        query: a.query.clone(),
        k: a.k,
        sources: a.sources.clone(),
        kinds,
        mode: parse_mode(&a.mode)?,
        max_words: Some(a.max_words),
    };
    let resp = kb.search(&req)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &resp)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} hits · retrievers: {}{}{} · {:.1} ms",
        resp.hits.len(),
        resp.retrievers.join("+"),
        if resp.expanded.is_empty() {
            String::new()
        } else {
            format!(" · also searched for: {}", resp.expanded.join(", "))
        },
        resp.degraded
            .as_ref()
            .map(|d| format!(" · degraded: {d}"))
            .unwrap_or_default(),
        resp.took_ms
    )?;
    for h in &resp.hits {
        writeln!(
            out,
            "\n{}. {} [{}] {}:{}-{}\n   {}\n   {}",
            h.rank,
            h.heading,
            h.kind.as_str(),
            h.path,
            h.start_line,
            h.end_line,
            h.url,
            h.text.replace('\n', "\n   ")
        )?;
        if !h.also_in.is_empty() {
            writeln!(out, "   (same text also in {})", h.also_in.join(", "))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Question file (JSONL).
    pub file: PathBuf,
    /// Corpus directory the gold paths are relative to (default: the indexed corpus).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// hybrid, bm25 or dense.
    #[arg(long, default_value = "hybrid")]
    pub mode: String,
    #[arg(long)]
    pub json: bool,
    /// Also print each question's rank and top hits.
    #[arg(long)]
    pub details: bool,
}

pub fn eval(paths: &Paths, a: &EvalArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let kb = open_kb(paths)?;
    let questions = eval::load_questions(&a.file)?;
    let corpus = a
        .corpus
        .clone()
        .unwrap_or_else(|| PathBuf::from(&kb.manifest.corpus_root));
    let mode = parse_mode(&a.mode)?;
    if mode != Mode::Bm25 {
        if let Err(why) = kb.embedder() {
            bail!("dense retrieval unavailable: {why}");
        }
    }
    let (summary, details) = eval::evaluate(&kb, &corpus, &questions, mode)?;
    if a.details {
        for d in &details {
            writeln!(
                out,
                "{} {:<12} rank={:<5} {:<13} top3={}",
                d.id,
                d.kind,
                d.rank.map(|r| r.to_string()).unwrap_or("-".into()),
                match (d.visible, d.rank) {
                    (true, _) => "shown",
                    (false, Some(r)) if r <= summary.k => "FOUND-HIDDEN",
                    (false, _) => "not-shown",
                },
                d.top
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" | ")
            )?;
        }
    }
    if a.json {
        serde_json::to_writer(&mut *out, &summary)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "n={} mode={:?} R@1={:.3} R@5={:.3} R@10={:.3} MRR@10={:.3} answer_visible@{}={:.3} median_words={}",
            summary.n,
            summary.mode,
            summary.recall_at_1,
            summary.recall_at_5,
            summary.recall_at_10,
            summary.mrr_at_10,
            summary.k,
            summary.answer_visible_at_k,
            summary.median_words
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct CheckPlanArgs {
    /// Plan file (JSON).
    pub file: PathBuf,
    /// Print the problems as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `provisio check-plan FILE`: parse and validate a plan.
pub fn check_plan(a: &CheckPlanArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let plan =
        provisio_plan::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let problems = provisio_plan::validate(&plan);
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &problems)?;
        writeln!(out)?;
    } else if problems.is_empty() {
        writeln!(
            out,
            "{}: plan `{}` is valid ({} items)",
            a.file.display(),
            plan.name,
            plan.items.len()
        )?;
    } else {
        for p in &problems {
            writeln!(
                out,
                "{}: {}: {}\n  fix: {}",
                a.file.display(),
                p.field,
                p.message,
                p.fix
            )?;
        }
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
