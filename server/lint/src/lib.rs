//! `lint_manifest`: Terraform for the bpg and Telmate Proxmox providers, Kubernetes YAML and
//! k3s-ansible inventories.
//! Findings are data ([`Finding`]) with stable rule codes ([`rules::RULES`]); cluster-aware
//! rules use [`ClusterFacts`] (live state merged with site facts from the config).
//!
//! Rules reported here: PV900 not-checked.
pub mod error;
pub mod facts;
pub mod finding;
pub mod k3s;
pub mod k8s;
pub mod k8s_metallb;
pub mod k8s_obj;
pub mod k8s_pss;
pub mod k8s_refs;
pub mod k8s_values;
pub mod rules;
pub mod sarif;
pub mod schema;
pub mod severity;
pub mod terraform;
pub mod versions;
pub mod yaml;

use std::collections::BTreeMap;

use crate::rules::Code;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use error::{Error, Result};
pub use facts::ClusterFacts;
pub use finding::{Finding, Severity};

/// One file to lint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Path as the user knows it (relative paths group Terraform modules by directory).
    pub path: String,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Terraform,
    /// `.tfvars` (HCL) and `.tfvars.json`: `terraform.tfvars`, `*.auto.tfvars` and their JSON
    /// forms also give their module's variables their values.
    TfVars,
    Kubernetes,
    /// k3s-ansible inventory (INI or YAML) or its `group_vars`.
    K3sInventory(k3s::Shape),
    /// `.terraform.lock.hcl`: the provider releases `init` selected for its module.
    LockFile,
    Other,
}

/// What kind of file this is: `.tf` is Terraform; `.yaml`/`.yml` with `apiVersion` and `kind`
/// is Kubernetes; k3s-ansible inventories and their group variables are recognised by their
/// groups and variables ([`k3s::shape`]); anything else is not linted.
pub fn kind_of(path: &str, content: &str) -> Kind {
    let p = path.to_ascii_lowercase();
    if p.ends_with(".tf") {
        Kind::Terraform
    } else if p == ".terraform.lock.hcl" || p.ends_with("/.terraform.lock.hcl") {
        Kind::LockFile
    } else if p.ends_with(".tfvars")
        || p.ends_with(".tfvars.json")
        || p.ends_with(".tfvars.example")
    {
        Kind::TfVars
    } else if (p.ends_with(".yaml") || p.ends_with(".yml"))
        && content.contains("apiVersion")
        && content.contains("kind")
    {
        Kind::Kubernetes
    } else if let Some(s) = k3s::shape(path, content) {
        Kind::K3sInventory(s)
    } else {
        Kind::Other
    }
}

/// Counts of a lint run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    pub files: u32,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
}

pub fn counts(files: usize, findings: &[Finding]) -> Counts {
    let n = |s| findings.iter().filter(|f| f.severity == s).count() as u32;
    Counts {
        files: files as u32,
        errors: n(Severity::Error),
        warnings: n(Severity::Warning),
        infos: n(Severity::Info),
    }
}

/// The directory part of a path (`""` for a bare file name): one Terraform module.
fn dir_of(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// Lint files together: `.tf` files of one directory form a module; all Kubernetes files are
/// one set (Services are matched against workloads across them). Sorted by file, line, column.
pub fn lint(inputs: &[Input], facts: Option<&ClusterFacts>) -> Vec<Finding> {
    let mut modules: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    let mut yaml: Vec<(&str, &str)> = Vec::new();
    let mut inventories: Vec<(&str, &str, k3s::Shape)> = Vec::new();
    // Variable files Terraform loads by itself, per directory.
    let mut tfvars: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    let mut locks: BTreeMap<String, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for i in inputs {
        match kind_of(&i.path, &i.content) {
            Kind::Terraform => {
                modules
                    .entry(dir_of(&i.path))
                    .or_default()
                    .push((&i.path, &i.content));
            }
            Kind::LockFile => {
                locks.insert(dir_of(&i.path), &i.content);
            }
            Kind::Kubernetes => yaml.push((&i.path, &i.content)),
            Kind::K3sInventory(s) => inventories.push((&i.path, &i.content, s)),
            Kind::TfVars if terraform::auto_loaded(&i.path) => {
                tfvars
                    .entry(dir_of(&i.path))
                    .or_default()
                    .push((&i.path, &i.content));
            }
            Kind::TfVars => out.extend(terraform::syntax_only(&i.path, &i.content)),
            Kind::Other => {
                let mut s = finding::Sink::new(&i.path);
                s.push(
                    Code::PV900,
                    (1, 1, 1, 1),
                    "not a Terraform (.tf), Kubernetes YAML or k3s-ansible inventory file: not linted",
                    None,
                );
                out.extend(s.out);
            }
        }
    }
    for (dir, files) in &modules {
        let vars = tfvars.remove(dir).unwrap_or_default();
        let lock = locks.get(dir).copied();
        out.extend(terraform::lint_module(files, &vars, lock, facts));
    }
    // Variable files without a module beside them: syntax only.
    for (path, text) in tfvars.into_values().flatten() {
        out.extend(terraform::syntax_only(path, text));
    }
    if !yaml.is_empty() {
        out.extend(k8s::lint(&yaml, facts));
    }
    if !inventories.is_empty() {
        out.extend(k3s::lint(&inventories, facts));
    }
    out.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.code).cmp(&(&b.file, b.line, b.column, &b.code))
    });
    out.dedup();
    out
}

/// One line per finding, like compilers and ruff print them.
pub fn render_text(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&format!(
            "{}:{}:{}: {} {} [{}] {}\n",
            f.file,
            f.line,
            f.column,
            f.severity.as_str(),
            f.code,
            f.rule,
            f.message
        ));
        if let Some(fix) = &f.fix {
            s.push_str(&format!("    fix: {fix}\n"));
        }
    }
    s
}
