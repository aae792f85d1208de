//! Existing guests and Terraform. `import` writes HCL (bpg/proxmox or Telmate/proxmox) with
//! `import` blocks for guests made by hand; `drift` compares a module's guest resources with
//! the live guests, field by field. Both meet in one model: the PVE config a guest has
//! (`fields::from_live`) and the one a manifest implies (`drift::implied`), as comparable
//! fields named after PVE's config keys.
pub mod bpg;
pub mod drift;
pub mod fields;
mod hclb;
pub mod implied;
pub mod import;
pub mod live;
pub mod manifest;
pub mod release;
mod slots;
pub mod telmate;

use std::collections::BTreeMap;
use std::path::Path;

use provisio_plan::Provider;
use provisio_pve::PveClient;

pub use drift::Report;
pub use fields::{Kind, LiveGuest};
pub use import::Import;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: names the argument or file and the fix.
    #[error("{field}: {message}")]
    Input { field: String, message: String },
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Pve(#[from] provisio_pve::Error),
    #[error(transparent)]
    Draft(#[from] provisio_draft::Error),
}

/// Read `guests` (VMIDs or names) from the cluster and write Terraform for them.
pub async fn import(
    client: &PveClient,
    guests: &[String],
    provider: Provider,
) -> Result<Import, Error> {
    if guests.is_empty() {
        return Err(Error::Input {
            field: "GUEST".into(),
            message: "name at least one guest (VMID or name); `provisio drift --unmanaged` lists the ones no manifest describes".into(),
        });
    }
    let (placements, ha) = tokio::try_join!(live::placements(client), live::ha_resources(client))?;
    let chosen = live::select(&placements, guests)?;
    let status = chosen.iter().map(|p| (p.vmid, p.status.clone())).collect();
    let read = live::read(client, &chosen, &ha).await?;
    import::files(provider, &read, status)
}

/// Compare the module at `path` with the cluster.
pub async fn drift(client: &PveClient, path: &Path, unmanaged: bool) -> Result<Report, Error> {
    let module = manifest::load(path)?;
    drift_module(client, &module, unmanaged).await
}

/// Compare a loaded module with the cluster.
pub async fn drift_module(
    client: &PveClient,
    module: &manifest::Module,
    unmanaged: bool,
) -> Result<Report, Error> {
    let reads = drift::implied(module);
    drift_reads(client, &reads, &module.skipped, unmanaged).await
}

/// Compare resource instances read from one or more modules with the cluster.
pub async fn drift_reads(
    client: &PveClient,
    reads: &[drift::Read],
    skipped: &[(String, String)],
    unmanaged: bool,
) -> Result<Report, Error> {
    let (placements, ha) = tokio::try_join!(live::placements(client), live::ha_resources(client))?;
    let wanted: Vec<&live::Placement> = {
        let ids: Vec<u32> = reads
            .iter()
            .filter_map(|r| drift::target(r, &placements).ok())
            .collect();
        placements
            .iter()
            .filter(|p| ids.contains(&p.vmid))
            .collect()
    };
    let live: BTreeMap<u32, LiveGuest> = live::read(client, &wanted, &ha)
        .await?
        .into_iter()
        .map(|g| (g.vmid, g))
        .collect();
    Ok(drift::report(reads, skipped, &placements, &live, unmanaged))
}
