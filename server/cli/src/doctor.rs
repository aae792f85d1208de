//! `provisio doctor`: check each configured cluster (or one) and print what to fix.
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::paths::Paths;

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
    let mut ok = true;
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
