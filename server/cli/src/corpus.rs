//! `provisio corpus fetch` (the docs corpus from its pinned upstream sources) and
//! `provisio corpus digest` (the digests `corpus/sources.toml` pins).
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use provisio_indexer::fetch::{self, Event, FetchOptions};

use crate::commands::load_sources;
use crate::paths::Paths;

/// Marks a corpus directory that `corpus fetch` completed (see [`fetch::CORPUS_MARK`]).
pub const FETCHED_MARK: &str = fetch::CORPUS_MARK;

#[derive(Args, Debug)]
pub struct CorpusArgs {
    #[command(subcommand)]
    pub cmd: CorpusCmd,
}

#[derive(Subcommand, Debug)]
pub enum CorpusCmd {
    /// Download the documentation sources at their pinned commits, check each against its
    /// pinned digest, and lay them out for `provisio index` (one folder per source).
    Fetch(FetchArgs),
    /// Print each source's file count and digest for a corpus directory (for the pins in
    /// the sources file).
    Digest(DigestArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Where to put the corpus (default: DATA_DIR/corpus, which `provisio index` reads when
    /// no --corpus is given).
    #[arg(long)]
    pub dest: Option<PathBuf>,
    /// Only this source (repeatable; default: all).
    #[arg(long = "source")]
    pub sources_only: Vec<String>,
    /// A mirror with GitHub's layout: URL/OWNER/REPO/archive/COMMIT.tar.gz and
    /// URL/OWNER/REPO/raw/COMMIT/PATH (for air-gapped sites).
    #[arg(long, env = "PROVISIO_CORPUS_MIRROR")]
    pub mirror: Option<String>,
    /// Sources file (default: the corpus/sources.toml built into the binary).
    #[arg(long)]
    pub sources: Option<PathBuf>,
    /// Seconds per request.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DigestArgs {
    /// Corpus directory (one folder per source).
    pub dir: PathBuf,
    /// Sources file (default: the corpus/sources.toml built into the binary).
    #[arg(long)]
    pub sources: Option<PathBuf>,
}

/// The corpus `corpus fetch` writes by default.
pub fn default_dest(paths: &Paths) -> PathBuf {
    paths.data.root.join("corpus")
}

/// The corpus directory to index when none is given: the fetched one, if complete.
pub fn fetched_corpus(paths: &Paths) -> Option<PathBuf> {
    let d = default_dest(paths);
    d.join(FETCHED_MARK).exists().then_some(d)
}

pub fn run(paths: &Paths, a: &CorpusArgs, out: &mut dyn Write) -> Result<ExitCode> {
    match &a.cmd {
        CorpusCmd::Fetch(f) => fetch_cmd(paths, f, out),
        CorpusCmd::Digest(d) => digest_cmd(d, out),
    }
}

fn fetch_cmd(paths: &Paths, a: &FetchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let sources = load_sources(&a.sources)?;
    let dest = a.dest.clone().unwrap_or_else(|| default_dest(paths));
    let opts = FetchOptions {
        dest: dest.clone(),
        only: a.sources_only.clone(),
        mirror: a.mirror.clone(),
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
    };
    let mut show = |e: Event| match e {
        Event::UpToDate { source } => eprintln!("{source}: up to date"),
        Event::Resume { source, from } => eprintln!("{source}: resuming at byte {from}"),
        Event::Download {
            source,
            done,
            total,
            url,
        } => {
            if url.contains("/archive/") {
                match total {
                    Some(t) if t == done => eprintln!("{source}: downloaded {}", human(done)),
                    Some(t) => eprintln!("{source}: {} of {}", human(done), human(t)),
                    None => eprintln!("{source}: {}", human(done)),
                }
            } else if total.is_some_and(|t| t == done) || done.is_multiple_of(10) {
                eprintln!("{source}: {done} of {} files", total.unwrap_or(0));
            }
        }
        Event::Done {
            source,
            files,
            digest,
        } => eprintln!("{source}: {files} files, {digest} (matches the pin)"),
    };
    let done = fetch::fetch(&sources, &opts, &mut show)?;
    if a.json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"dest": dest, "sources": done}),
        )?;
        writeln!(out)?;
    } else {
        let files: usize = done.iter().map(|f| f.files).sum();
        writeln!(
            out,
            "corpus in {}: {} sources, {files} files. Next: provisio index{}",
            dest.display(),
            done.len(),
            if a.dest.is_some() {
                format!(" --corpus {}", dest.display())
            } else {
                String::new()
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", n as f64 / 1024.0)
    }
}

fn digest_cmd(a: &DigestArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let sources = load_sources(&a.sources)?;
    if !a.dir.is_dir() {
        bail!("{}: not a directory", a.dir.display());
    }
    let mut any = false;
    for s in &sources.sources {
        let dir: &Path = &a.dir.join(&s.name);
        if !dir.is_dir() {
            continue;
        }
        any = true;
        let (n, d) = fetch::folder_digest(dir, s)?;
        let pin = match &s.digest {
            Some(p) if *p == d => "matches the pin",
            Some(_) => "DIFFERS from the pin",
            None => "no pin",
        };
        writeln!(out, "{}\t{n} files\t{d}\t{pin}", s.name)?;
    }
    if !any {
        bail!(
            "{}: no folder named after a source of the sources file",
            a.dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
