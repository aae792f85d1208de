//! `provisio import GUEST...` and `provisio drift PATH`: existing guests into Terraform, and
//! manifests against the live guests.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use provisio_plan::Provider;

use crate::paths::Paths;

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ProviderArg {
    Bpg,
    Telmate,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Guests to import: VMIDs or names.
    #[arg(required = true)]
    pub guests: Vec<String>,
    /// Terraform provider to write for.
    #[arg(long, value_enum, default_value = "bpg")]
    pub provider: ProviderArg,
    /// Directory to write the module to (created if missing; an existing file with other
    /// content stops it). Without it the files are printed.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Configured cluster (default: the default cluster).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DriftArgs {
    /// A Terraform module directory (its .tf files, terraform.tfvars and *.auto.tfvars) or one
    /// .tf file.
    pub path: PathBuf,
    /// Configured cluster (default: the default cluster).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Also list the guests in the cluster that no manifest describes.
    #[arg(long)]
    pub unmanaged: bool,
    /// Print the report as JSON (with each guest's fields as read from the cluster).
    #[arg(long)]
    pub json: bool,
}

fn client(paths: &Paths, cluster: Option<&str>) -> Result<provisio_pve::PveClient> {
    let cfg = paths.pve_config()?;
    let c = cfg.cluster(cluster).map_err(|e| anyhow::anyhow!("{e}"))?;
    provisio_pve::PveClient::connect(c).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn import(paths: &Paths, a: &ImportArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let client = client(paths, a.cluster.as_deref())?;
    let provider = match a.provider {
        ProviderArg::Bpg => Provider::Bpg,
        ProviderArg::Telmate => Provider::Telmate,
    };
    let rt = crate::mcp::runtime()?;
    let imp = rt
        .block_on(provisio_guest::import(&client, &a.guests, provider))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &imp)?;
        writeln!(out)?;
    } else {
        for g in &imp.guests {
            writeln!(
                out,
                "import {} {} as {} (id {})",
                g.vmid, g.name, g.address, g.import_id
            )?;
        }
        for n in &imp.notes {
            writeln!(out, "not carried: {n}")?;
        }
    }
    match &a.out {
        Some(dir) => crate::draft::write_files(dir, &imp.files, out, a.json)?,
        None if !a.json => {
            for f in &imp.files {
                writeln!(out, "\n### {}\n{}", f.path, f.content)?;
            }
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit 0: no drift; 1: drift (a difference, or a guest the cluster does not have); 2: error.
pub fn drift(paths: &Paths, a: &DriftArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let client = client(paths, a.cluster.as_deref())?;
    let rt = crate::mcp::runtime()?;
    let rep = rt
        .block_on(provisio_guest::drift(&client, &a.path, a.unmanaged))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &rep)?;
        writeln!(out)?;
    } else {
        out.write_all(provisio_guest::drift::render(&rep).as_bytes())?;
    }
    Ok(if rep.has_drift() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
