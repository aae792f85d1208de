//! `provisio lint PATH... [--format text|json|sarif]`: the same linting as the `lint_manifest`
//! tool. Cluster-aware rules use the configured cluster (live state + its `facts` section),
//! or `--state FILE`, or are skipped with `--no-cluster`. Exit 1 when any error is found.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use provisio_lint::{ClusterFacts, Input};
use provisio_pve::{ClusterState, ClusterStateRequest, SiteFacts};

use crate::paths::Paths;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// With `--rules`: the rule table as Markdown (docs/lint-rules.md is this output).
    Markdown,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories (.tf, .tfvars, .tfvars.json, Kubernetes .yaml/.yml, k3s-ansible
    /// inventories).
    #[arg(required_unless_present = "rules")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Configured cluster for the cluster-aware rules (default: the default cluster).
    #[arg(long, conflicts_with = "no_cluster")]
    pub cluster: Option<String>,
    /// A saved cluster_state answer (view full) instead of the live cluster; the site facts of
    /// the configured cluster of the same name are merged in.
    #[arg(long, conflicts_with = "no_cluster")]
    pub state: Option<PathBuf>,
    /// Skip the cluster-aware rules.
    #[arg(long)]
    pub no_cluster: bool,
    /// Treat every file as its own module (a directory of standalone examples).
    #[arg(long)]
    pub per_file: bool,
    /// List the rules and exit.
    #[arg(long)]
    pub rules: bool,
}

/// The live cluster's full state and its site facts.
pub fn live_state(paths: &Paths, cluster: Option<&str>) -> Result<(ClusterState, SiteFacts)> {
    let cfg = paths.pve_config()?;
    let c = cfg.cluster(cluster).map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = provisio_pve::PveClient::connect(c).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = crate::mcp::runtime()?;
    let req = ClusterStateRequest::full();
    let state = rt
        .block_on(provisio_pve::cluster_state(&client, &req))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((state, c.facts.clone()))
}

/// The lintable files under a path (files as given; directories walked, dot-dirs skipped).
pub fn collect(path: &Path, out: &mut Vec<Input>) -> Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == ".terraform.lock.hcl" && p.is_file() {
                // the provider releases `init` selected: the module is judged against them
                collect(&p, out)?;
                continue;
            }
            if name.starts_with('.') {
                continue; // .terraform, .git
            }
            if p.is_dir()
                || [".tf", ".tfvars", ".tfvars.json", ".yaml", ".yml"]
                    .iter()
                    .any(|x| name.ends_with(x))
            {
                collect(&p, out)?;
            } else if name.ends_with(".ini") || name == "hosts" {
                // Ansible INI inventories, when they are k3s-ansible ones.
                let content = std::fs::read_to_string(&p).unwrap_or_default();
                let path = p.display().to_string();
                if provisio_lint::k3s::shape(&path, &content).is_some() {
                    out.push(Input { path, content });
                }
            }
        }
        return Ok(());
    }
    let content =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    out.push(Input {
        path: path.display().to_string(),
        content,
    });
    Ok(())
}

fn facts(paths: &Paths, a: &LintArgs) -> Result<Option<ClusterFacts>> {
    if a.no_cluster {
        return Ok(None);
    }
    let (state, site) = match &a.state {
        Some(f) => {
            let state: ClusterState = serde_json::from_str(
                &std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
            )
            .with_context(|| format!("{} is not a cluster_state answer", f.display()))?;
            let cfg = paths.pve_config()?;
            let name = a.cluster.clone().unwrap_or_else(|| state.cluster.clone());
            let site = cfg
                .clusters
                .get(&name)
                .map(|c| c.facts.clone())
                .unwrap_or_default();
            (state, site)
        }
        None => {
            let cfg = paths.pve_config()?;
            if cfg.clusters.is_empty() {
                eprintln!("note: no cluster configured: cluster-aware rules skipped (use --state FILE, configure a cluster, or pass --no-cluster)");
                return Ok(None);
            }
            live_state(paths, a.cluster.as_deref()).context(
                "reading the cluster for the cluster-aware rules (pass --no-cluster to skip them)",
            )?
        }
    };
    Ok(Some(
        ClusterFacts::from_state(&state, &site).map_err(|e| anyhow::anyhow!("config: {e}"))?,
    ))
}

pub fn run(paths: &Paths, a: &LintArgs, out: &mut dyn Write) -> Result<ExitCode> {
    if a.rules {
        match a.format {
            Format::Markdown => out.write_all(rules_markdown().as_bytes())?,
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, provisio_lint::rules::RULES)?;
                writeln!(out)?;
            }
            Format::Text | Format::Sarif => {
                for r in provisio_lint::rules::RULES {
                    writeln!(
                        out,
                        "{} {:<8} {:<32} {}",
                        r.code,
                        r.severity.as_str(),
                        r.name,
                        r.summary
                    )?;
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(a.format, Format::Markdown) {
        bail!("--format markdown goes with --rules (findings come as text, json or sarif)");
    }
    // Each path argument is linted as its own set: two repositories (or two clusters' folders)
    // in one call do not share modules, MetalLB pools or inventories.
    let mut groups: Vec<Vec<provisio_lint::Input>> = Vec::new();
    // Overlapping arguments (`dir` and `dir/sub`) name some files twice: lint each once.
    let mut seen = std::collections::HashSet::new();
    for p in &a.paths {
        let mut g = Vec::new();
        collect(p, &mut g)?;
        g.retain(|i: &provisio_lint::Input| {
            seen.insert(std::fs::canonicalize(&i.path).unwrap_or_else(|_| PathBuf::from(&i.path)))
        });
        groups.push(g);
    }
    let inputs: Vec<provisio_lint::Input> = groups.iter().flatten().cloned().collect();
    if inputs.is_empty() {
        bail!(
            "no .tf, .tfvars, .tfvars.json, .yaml or inventory files under {}",
            a.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let facts = facts(paths, a)?;
    let findings = if a.per_file {
        let mut all: Vec<_> = inputs
            .iter()
            .flat_map(|i| provisio_lint::lint(std::slice::from_ref(i), facts.as_ref()))
            .collect();
        all.sort_by(|x, y| (&x.file, x.line, x.column).cmp(&(&y.file, y.line, y.column)));
        all
    } else {
        let mut all: Vec<_> = groups
            .iter()
            .filter(|g| !g.is_empty())
            .flat_map(|g| provisio_lint::lint(g, facts.as_ref()))
            .collect();
        all.sort_by(|x, y| {
            (&x.file, x.line, x.column, &x.code).cmp(&(&y.file, y.line, y.column, &y.code))
        });
        all
    };
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &findings)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &provisio_lint::sarif::to_sarif(&findings))?;
            writeln!(out)?;
        }
        Format::Text | Format::Markdown => {
            write!(out, "{}", provisio_lint::render_text(&findings))?;
            let c = provisio_lint::counts(inputs.len(), &findings);
            let scope = match &facts {
                Some(f) if !f.conflicts.is_empty() => format!(
                    "cluster-aware rules against {}; live Kubernetes state differs from the site facts: {}",
                    f.cluster,
                    f.conflicts.join("; ")
                ),
                Some(f) => format!("cluster-aware rules against {}", f.cluster),
                None => "cluster-aware rules skipped".into(),
            };
            writeln!(
                out,
                "{} files: {} errors, {} warnings, {} infos ({scope})",
                c.files, c.errors, c.warnings, c.infos
            )?;
        }
    }
    let errors = findings
        .iter()
        .any(|f| f.severity == provisio_lint::Severity::Error);
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The rule table as Markdown, the content of docs/lint-rules.md.
pub fn rules_markdown() -> String {
    let mut t = String::from(
        "# Lint rules\n\n\
         Generated by `provisio lint --rules --format markdown` from the rule table \
         (`server/lint/src/rules.rs`); a test fails when this file is stale. What each family \
         checks in detail: [lint-checks.md](lint-checks.md).\n\n\
         | code | name | severity | what it finds | doc | checked in `server/lint/src/` |\n|---|---|---|---|---|---|\n",
    );
    for r in provisio_lint::rules::RULES {
        let doc = r
            .doc
            .map(|d| format!("`{}`", d.trim_start_matches("provisio://docs/")))
            .unwrap_or_default();
        let files = r
            .checked_in
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        t.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} |\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary.replace('|', "\\|"),
            doc,
            files
        ));
    }
    t
}
