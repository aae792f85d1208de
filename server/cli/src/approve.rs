//! `provisio approve [ID] [--list] [--yes]`: the operator's out-of-band approval of a previewed
//! change set, on the server's machine (same data directory). Shows the exact steps and asks.
//! `provisio audit verify`: checks the audit log's hash chain.
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use provisio_apply::changeset::render;
use provisio_apply::Approvals;

use crate::paths::Paths;

#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The approval handle from the preview (`ap-...`).
    pub id: Option<String>,
    /// List pending change sets.
    #[arg(long)]
    pub list: bool,
    /// Approve without asking (the change set is still printed).
    #[arg(long)]
    pub yes: bool,
}

pub fn approve(paths: &Paths, a: &ApproveArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let approvals = Approvals::new(&paths.data.root, Duration::from_secs(900));
    if a.list || a.id.is_none() {
        let list = approvals.list();
        if list.is_empty() {
            writeln!(out, "no pending change sets")?;
        }
        for p in list {
            writeln!(
                out,
                "{}  expires in {} s\n{}",
                p.id,
                p.expires_unix
                    .saturating_sub(provisio_apply::approval::now_unix()),
                render(&p.change_set)
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let id = a.id.as_deref().unwrap_or_default();
    let p = approvals.pending(id).map_err(|e| anyhow::anyhow!("{e}"))?;
    write!(out, "{}", render(&p.change_set))?;
    if !a.yes {
        write!(out, "approve {id}? [y/N] ")?;
        out.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            writeln!(out, "not approved")?;
            return Ok(ExitCode::from(1));
        }
    }
    let who = format!(
        "{}@{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".into()),
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into())
    );
    approvals
        .approve(id, &who)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    provisio_apply::Audit::new(&paths.data.root).append(
        &who,
        "approved.cli",
        serde_json::json!({"handle": id, "digest": p.digest}),
    )?;
    writeln!(
        out,
        "approved {id} (digest {}) as {who}; the client can now call apply with this handle",
        &p.digest[..12]
    )?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    what: AuditCmd,
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Check the hash chain of the audit log (exit 1 when broken).
    Verify {
        /// The log (default: DATA_DIR/audit.jsonl).
        file: Option<std::path::PathBuf>,
    },
}

pub fn audit(paths: &Paths, a: &AuditArgs, out: &mut dyn Write) -> Result<ExitCode> {
    match &a.what {
        AuditCmd::Verify { file } => {
            let path = file
                .clone()
                .unwrap_or_else(|| paths.data.root.join("audit.jsonl"));
            if !path.exists() {
                bail!("no audit log at {}", path.display());
            }
            match provisio_apply::audit::verify(&path) {
                Ok(n) => {
                    writeln!(
                        out,
                        "ok: {n} records, hash chain intact ({})",
                        path.display()
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    writeln!(out, "BROKEN: {e} ({})", path.display())?;
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
