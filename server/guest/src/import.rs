//! `provisio import`: Terraform for existing guests, with `import` blocks (Terraform ≥ 1.5) so
//! the first `terraform apply` adopts them instead of creating anything. Every field of the
//! guest's config is written; what cannot be written is listed in the notes (and in a comment
//! at the top of `main.tf`), never dropped silently.
use std::collections::BTreeSet;

use hcl::{Block, Body};
use provisio_draft::terraform::{self as tf, Var};
use provisio_draft::DraftFile;
use provisio_plan::Provider;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fields::{self, Fields, Kind, LiveGuest};
use crate::hclb::B;
use crate::{bpg, telmate, Error};

/// One imported guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Imported {
    pub vmid: u32,
    pub name: String,
    /// Resource address in the written module.
    pub address: String,
    /// The provider's import ID.
    pub import_id: String,
}

/// What `import` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Import {
    pub provider: String,
    pub guests: Vec<Imported>,
    pub files: Vec<DraftFile>,
    /// Settings not written, and why.
    pub notes: Vec<String>,
}

/// Collected while rendering: notes, variables, and how the guest runs.
pub struct Out {
    pub notes: Vec<String>,
    pub vars: Vec<Var>,
    pub status: std::collections::BTreeMap<u32, String>,
}

impl Out {
    pub fn note(&mut self, g: &LiveGuest, msg: String) {
        self.notes.push(format!("{} ({}): {msg}", g.vmid, g.name));
    }

    pub fn running(&self, g: &LiveGuest) -> bool {
        self.status.get(&g.vmid).is_some_and(|s| s == "running")
    }

    fn var(&mut self, label: &str, what: &str, description: &str, sensitive: bool) -> String {
        let name = format!("{label}_{what}");
        if !self.vars.iter().any(|v| v.name == name) {
            self.vars.push(Var {
                name: name.clone(),
                description: description.into(),
                sensitive,
                example: if sensitive {
                    "CHANGE-ME".into()
                } else {
                    String::new()
                },
            });
        }
        name
    }

    /// A sensitive variable for a secret the guest has (PVE shows only that it is set).
    pub fn secret(&mut self, label: &str, what: &str, description: &str) -> String {
        self.var(label, what, description, true)
    }

    /// A variable for a value the cluster does not record.
    pub fn plain_var(&mut self, label: &str, what: &str, description: &str) -> String {
        self.var(label, what, description, false)
    }

    /// Write `attr` for `field`: the guest's value, or, when the guest leaves the key out and
    /// the provider's default differs from PVE's, PVE's default written out, so the provider
    /// keeps what the guest has.
    pub fn explicit(
        &mut self,
        b: &mut B,
        f: &Fields,
        kind: Kind,
        field: &str,
        attr: &str,
        provider_defaults: &[(&str, &str)],
    ) {
        let value = f.get(field).cloned().or_else(|| {
            provider_defaults
                .iter()
                .any(|(k, _)| *k == field)
                .then(|| fields::pve_default(kind, field).map(str::to_string))
                .flatten()
        });
        let Some(v) = value else { return };
        match field {
            "onboot" | "unprivileged" | "protection" | "numa" | "tablet" => b.b(attr, Some(&v)),
            "cores" | "sockets" | "memory" | "swap" | "balloon" | "cpulimit" | "cpuunits"
            | "vcpus" => b.n(attr, Some(&v)),
            _ => b.s(attr, Some(&v)),
        };
    }

    /// Numbered devices the provider numbers by position: a gap is noted.
    pub fn gaps(&mut self, g: &LiveGuest, f: &Fields, prefix: &str, what: &str) {
        let ns = crate::slots::numbers(f, prefix);
        if ns.iter().enumerate().any(|(i, n)| *n != i as u32) {
            let list: Vec<String> = ns.iter().map(|n| format!("{prefix}{n}")).collect();
            self.note(
                g,
                format!(
                    "{} are written as `{what}` blocks in order; the provider numbers them from {prefix}0, so drift shows the renumbering",
                    list.join(", ")
                ),
            );
        }
    }
}

/// A resource label per guest: from its name, made unique with the VMID when needed.
fn labels(guests: &[LiveGuest]) -> Vec<String> {
    let base: Vec<String> = guests
        .iter()
        .map(|g| {
            let name = if g.name.is_empty() {
                format!("guest_{}", g.vmid)
            } else {
                g.name.clone()
            };
            tf::label(&name.to_ascii_lowercase())
        })
        .collect();
    let mut seen = BTreeSet::new();
    base.iter()
        .zip(guests)
        .map(|(l, g)| {
            if base.iter().filter(|x| *x == l).count() > 1 || !seen.insert(l.clone()) {
                format!("{l}_{}", g.vmid)
            } else {
                l.clone()
            }
        })
        .collect()
}

fn import_block(address: &str, id: &str) -> Block {
    B::new("import")
        .expr("to", tf::raw(address))
        .s("id", Some(&id.to_string()))
        .build()
}

/// Why each `ignore_changes` is there, as a comment above its `lifecycle` block (hcl-rs writes
/// no comments).
fn explain_ignores(text: &str) -> String {
    const WHY: &[(&str, &str)] = &[
        (
            "ignore_changes = [operating_system[0].template_file_id]",
            "PVE does not record the OS template a container was created from, and bpg re-creates the container when template_file_id changes: never diff it.",
        ),
        (
            "ignore_changes = [ostemplate]",
            "PVE does not record the OS template a container was created from, and Telmate re-creates the container when ostemplate changes: never diff it.",
        ),
    ];
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + 256);
    for (i, l) in lines.iter().enumerate() {
        if l.trim() == "lifecycle {" {
            if let Some((_, why)) = lines
                .get(i + 1)
                .and_then(|next| WHY.iter().find(|(k, _)| next.trim() == *k))
            {
                let indent = &l[..l.len() - l.trim_start().len()];
                out.push_str(&format!("{indent}# {why}\n"));
            }
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The files for `guests` (read from the cluster) and the provider.
pub fn files(
    provider: Provider,
    guests: &[LiveGuest],
    status: std::collections::BTreeMap<u32, String>,
) -> Result<Import, Error> {
    let mut out = Out {
        notes: Vec::new(),
        vars: tf::provider_variables(provider),
        status,
    };
    let mut main = Body::builder();
    let mut imports = Body::builder();
    let mut imported = Vec::new();
    for (g, label) in guests.iter().zip(labels(guests)) {
        let f = fields::from_live(g);
        for k in fields::uncarried(g) {
            out.note(g, format!("`{k}` is not written (no mapping for it yet)"));
        }
        let (rtype, block, id) = match (provider, g.kind) {
            (Provider::Bpg, Kind::Qemu) => (
                bpg::VM,
                bpg::render_vm(&label, g, &f, &mut out),
                format!("{}/{}", g.node, g.vmid),
            ),
            (Provider::Bpg, Kind::Lxc) => (
                bpg::CT,
                bpg::render_ct(&label, g, &f, &mut out),
                format!("{}/{}", g.node, g.vmid),
            ),
            (Provider::Telmate, Kind::Qemu) => (
                telmate::VM,
                telmate::render_vm(&label, g, &f, &mut out),
                format!("{}/qemu/{}", g.node, g.vmid),
            ),
            (Provider::Telmate, Kind::Lxc) => (
                telmate::CT,
                telmate::render_ct(&label, g, &f, &mut out),
                format!("{}/lxc/{}", g.node, g.vmid),
            ),
        };
        let address = format!("{rtype}.{label}");
        main = main.add_block(block);
        imports = imports.add_block(import_block(&address, &id));
        if provider == Provider::Bpg {
            if let Some(ha) = bpg::render_ha(&label, g) {
                main = main.add_block(ha);
                let sid = format!(
                    "{}:{}",
                    if g.kind == Kind::Qemu { "vm" } else { "ct" },
                    g.vmid
                );
                imports = imports.add_block(import_block(&format!("{}.{label}", bpg::HA), &sid));
            }
        }
        imported.push(Imported {
            vmid: g.vmid,
            name: g.name.clone(),
            address,
            import_id: id,
        });
    }
    let mut main_tf = String::from(
        "# Written by `provisio import` from the guests' live config. Check with `provisio drift .`.\n",
    );
    for n in &out.notes {
        main_tf.push_str(&format!("# not carried: {n}\n"));
    }
    main_tf.push('\n');
    main_tf.push_str(&explain_ignores(&tf::render("main.tf", main.build())?));
    let files = vec![
        ("providers.tf".to_string(), tf::providers_tf(provider)?),
        ("variables.tf".to_string(), tf::variables_tf(&out.vars)?),
        ("main.tf".to_string(), main_tf),
        (
            "imports.tf".to_string(),
            tf::render("imports.tf", imports.build())?,
        ),
        (
            "terraform.tfvars.example".to_string(),
            tf::tfvars_example(&out.vars),
        ),
    ];
    Ok(Import {
        provider: match provider {
            Provider::Bpg => "bpg/proxmox",
            Provider::Telmate => "telmate/proxmox",
        }
        .into(),
        guests: imported,
        files: files
            .into_iter()
            .map(|(path, content)| DraftFile { path, content })
            .collect(),
        notes: out.notes,
    })
}
