//! `provisio draft PLAN [--state FILE] [--out DIR]`: the same drafting as the `draft_manifest`
//! tool. Prints decisions and questions; writes the files to `--out` (never over different
//! existing files).
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use provisio_pve::ClusterState;

use crate::paths::Paths;

#[derive(Args, Debug)]
pub struct DraftArgs {
    /// Plan file (JSON).
    pub plan: PathBuf,
    /// A saved cluster_state answer (view full) instead of the live cluster.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Directory to write the files to (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the whole draft as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(paths: &Paths, a: &DraftArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.plan)
        .with_context(|| format!("cannot read {}", a.plan.display()))?;
    let plan =
        provisio_plan::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.plan.display()))?;
    let state: ClusterState = match &a.state {
        Some(f) => serde_json::from_str(
            &std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        )
        .with_context(|| format!("{} is not a cluster_state answer", f.display()))?,
        None => crate::lint::live_state(paths, plan.cluster.as_deref())?.0,
    };
    let d = provisio_draft::draft(&plan, &state).map_err(|e| anyhow::anyhow!("{e}"))?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &d)?;
        writeln!(out)?;
    } else {
        for x in &d.decisions {
            writeln!(out, "decision {} = {}: {}", x.about, x.value, x.reason)?;
        }
        for q in &d.questions {
            writeln!(out, "QUESTION {}: {}", q.field, q.question)?;
        }
    }
    if !d.questions.is_empty() {
        return Ok(ExitCode::from(1));
    }
    if let Some(dir) = &a.out {
        write_files(dir, &d.files, out, a.json)?;
    } else if !a.json {
        for f in &d.files {
            writeln!(out, "\n### {}\n{}", f.path, f.content)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write generated files into `dir` (created if missing). Checked first, written after: an
/// existing file with other content stops everything, so nothing is half-written.
pub fn write_files(
    dir: &std::path::Path,
    files: &[provisio_draft::DraftFile],
    out: &mut dyn Write,
    quiet: bool,
) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in files {
        let p = dir.join(&f.path);
        if let Ok(old) = std::fs::read_to_string(&p) {
            if old != f.content {
                bail!("{} exists and differs from the generated file; move it away or choose another --out", p.display());
            }
        }
    }
    for f in files {
        let p = dir.join(&f.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.content)?;
        if !quiet {
            writeln!(out, "wrote {}", p.display())?;
        }
    }
    Ok(())
}
