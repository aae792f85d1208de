//! `draft_manifest`: a [`Plan`] plus the cluster's state (a `cluster_state` answer, view `full`)
//! into Terraform files for bpg/proxmox or Telmate/proxmox. Grounding decisions come back with
//! their reasons; what cannot be decided comes back as questions and no files. The same plan
//! and state give byte-identical files.
pub mod ground;
pub mod hclfmt;
pub mod k3s;
pub mod k8s;
pub mod terraform;

use std::collections::BTreeSet;

use provisio_plan::{Item, Plan, Problem};
use provisio_pve::ClusterState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use ground::{Decision, Question};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan itself is invalid (see `provisio check-plan`).
    #[error("the plan has {} problem(s): {}", .0.len(), .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// A plan item kind whose drafting is not built yet.
    #[error(
        "`{field}`: drafting a `{kind}` item is not built yet (`vm` and `k3s_cluster` items are)"
    )]
    NotBuilt { field: String, kind: &'static str },
    /// The HCL formatter failed on a generated file (a bug: nothing is returned rather than
    /// an empty or partial file).
    #[error("formatting the generated `{file}` failed: {message}")]
    Format { file: String, message: String },
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DraftFile {
    pub path: String,
    pub content: String,
}

/// What `draft_manifest` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Draft {
    pub plan: String,
    pub cluster: String,
    /// Terraform provider the files are for.
    pub provider: String,
    /// The files; empty when there are questions.
    pub files: Vec<DraftFile>,
    /// Every choice made, with its reason.
    pub decisions: Vec<Decision>,
    /// What the plan must settle first (then draft again).
    pub questions: Vec<Question>,
}

/// Draft the files for a plan against a cluster state.
/// A plan grounded against the cluster: the VMs fully decided, the non-Terraform files, the
/// decisions and the questions. `draft` renders it to files; `apply_plan` turns the VMs into
/// API steps.
#[derive(Debug, Clone, Default)]
pub struct Grounded {
    pub vms: Vec<ground::VmInstance>,
    pub extra: Vec<(String, String)>,
    pub decisions: Vec<Decision>,
    pub questions: Vec<Question>,
}

pub fn draft(plan: &Plan, state: &ClusterState) -> Result<Draft, Error> {
    let g = ground_plan(plan, state)?;
    let files = if g.questions.is_empty() {
        terraform::files(plan.provider, &g.vms)?
            .into_iter()
            .chain(g.extra)
            .map(|(path, content)| DraftFile { path, content })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Draft {
        plan: plan.name.clone(),
        cluster: state.cluster.clone(),
        provider: match plan.provider {
            provisio_plan::Provider::Bpg => format!("bpg/proxmox {}", terraform::BPG_VERSION),
            provisio_plan::Provider::Telmate => {
                format!("telmate/proxmox {}", terraform::TELMATE_VERSION)
            }
        },
        files,
        decisions: g.decisions,
        questions: g.questions,
    })
}

/// Ground every item of the plan against the state.
pub fn ground_plan(plan: &Plan, state: &ClusterState) -> Result<Grounded, Error> {
    let problems = provisio_plan::validate(plan);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut facts = ground::Facts::new(state);
    let (mut decisions, mut questions) = (Vec::new(), Vec::new());
    let (mut vmids, mut ips) = (BTreeSet::new(), BTreeSet::new());
    let mut vms = Vec::new();
    let mut extra: Vec<(String, String)> = Vec::new();
    for (i, item) in plan.items.iter().enumerate() {
        let field = format!("items[{i}]");
        match item {
            Item::Vm(v) => vms.extend(ground::ground_vm(
                &mut facts,
                &field,
                v,
                &mut vmids,
                &mut ips,
                &mut decisions,
                &mut questions,
            )),
            Item::K3sCluster(k) => {
                k3s::check_static(&field, k, &mut questions);
                ips.extend(k3s::reserved(k));
                let mut groups = Vec::new();
                for v in k3s::vm_items(k) {
                    groups.push(ground::ground_vm(
                        &mut facts,
                        &field,
                        &v,
                        &mut vmids,
                        &mut ips,
                        &mut decisions,
                        &mut questions,
                    ));
                }
                let masters = groups.first().cloned().unwrap_or_default();
                let workers = groups.get(1).cloned().unwrap_or_default();
                if questions.is_empty() {
                    extra.extend(k3s::inventory(k, &masters, &workers, &mut decisions));
                }
                vms.extend(masters);
                vms.extend(workers);
            }
            Item::K8sApp(a) => {
                // The MetalLB range of a k3s cluster in the same plan, if any.
                let range = plan.items.iter().find_map(|it| match it {
                    Item::K3sCluster(k) => k
                        .metallb_range
                        .as_deref()
                        .and_then(provisio_plan::validate::parse_range),
                    _ => None,
                });
                let live = state.k8s.as_ref().map(k8s::LiveLb::from_state);
                extra.extend(k8s::app_files(
                    &field,
                    a,
                    range,
                    live.as_ref(),
                    &mut decisions,
                    &mut questions,
                ));
            }
        }
    }
    Ok(Grounded {
        vms,
        extra,
        decisions,
        questions,
    })
}
