//! The change set of a plan: per VM, the API steps (clone, configure, resize, HA, start, wait)
//! with what each expects to find. Pure: built from the grounded plan and the state.
use std::collections::{BTreeMap, BTreeSet};

use provisio_draft::ground::VmInstance;
use provisio_plan::Plan;
use provisio_pve::ClusterState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Clone,
    Configure,
    Resize,
    HaAdd,
    Start,
    WaitRunning,
    Stop,
    Destroy,
}

/// One API call of the change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub kind: StepKind,
    /// The VM it is about.
    pub vm: String,
    pub vmid: u32,
    /// Node the VM is on (after a clone: the target node).
    pub node: String,
    /// One line for humans: `clone template 100 (pmox01) -> VMID 125 on pmox03, full clone`.
    pub summary: String,
    /// `POST /nodes/pmox01/qemu/100/clone`.
    pub method: String,
    pub path: String,
    /// Form parameters (values that are secrets are never here: they are read at apply time).
    pub params: Vec<(String, String)>,
}

/// What the preview expects the live state to be when apply starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum Expect {
    Quorate,
    NodeOnline {
        node: String,
    },
    Template {
        vmid: u32,
        node: String,
    },
    /// Free, or already holding this plan's VM (an interrupted apply being resumed).
    VmidFree {
        vmid: u32,
        vm: String,
    },
    /// For a cleanup: the VM exists and carries this plan's marker.
    OursExists {
        vmid: u32,
        vm: String,
    },
}

/// The preview: exact steps, expectations, digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChangeSet {
    pub plan: String,
    pub cluster: String,
    /// `apply` or `cleanup`.
    pub purpose: String,
    /// SHA-256 over the cluster, plan name, steps and expectations.
    pub digest: String,
    pub steps: Vec<Step>,
    pub expects: Vec<Expect>,
    /// VMs of this plan already present from an earlier, interrupted apply (resumed, not
    /// duplicated): name → VMID.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resumed: BTreeMap<String, u32>,
    /// Environment variables apply reads secrets from (`TF_VAR_<name>`), never their values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_env: Vec<String>,
}

/// The description marker that makes an apply idempotent: a VM carrying it belongs to this
/// plan and VM name.
pub fn marker(plan: &str, vm: &str) -> String {
    format!("provisio plan={plan} vm={vm}")
}

pub fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn digest_of(cs: &ChangeSet) -> String {
    let v = serde_json::json!({"cluster": cs.cluster, "plan": cs.plan, "purpose": cs.purpose, "steps": cs.steps, "expects": cs.expects});
    sha256_hex(v.to_string().as_bytes())
}

fn step(
    kind: StepKind,
    vm: &VmInstance,
    method: &str,
    path: String,
    params: Vec<(String, String)>,
    summary: String,
) -> Step {
    Step {
        kind,
        vm: vm.name.clone(),
        vmid: vm.vmid,
        node: vm.node.clone(),
        summary,
        method: method.into(),
        path,
        params,
    }
}

/// VMs of an earlier apply of this plan found in the cluster: name → (vmid, node).
pub type Existing = BTreeMap<String, (u32, String)>;

/// A state without this plan's own VMs, so grounding gives them the same VMIDs and addresses
/// again instead of new ones.
pub fn without_ours(state: &ClusterState, ours: &Existing) -> ClusterState {
    let mut s = state.clone();
    let ids: BTreeSet<u32> = ours.values().map(|(id, _)| *id).collect();
    if let Some(g) = s.guests.as_mut() {
        g.retain(|x| !ids.contains(&x.vmid));
    }
    if let Some(u) = s.used_ipv4.as_mut() {
        u.retain(|x| !ids.contains(&x.vmid));
    }
    if let Some(set) = s.used_vmids.as_mut() {
        for id in ids.iter() {
            set.remove(*id);
        }
    }
    if let (Some(n), Some(next)) = (s.next_vmid, ids.iter().min()) {
        s.next_vmid = Some(n.min(*next));
    }
    s
}

/// Build the change set of a plan against a state. `existing` are this plan's VMs already in
/// the cluster (found by their marker); they keep their VMID and node, and their clone step is
/// skipped at apply time.
pub fn preview(plan: &Plan, state: &ClusterState, existing: &Existing) -> Result<ChangeSet> {
    let base = without_ours(state, existing);
    let g = provisio_draft::ground_plan(plan, &base).map_err(|e| Error::Plan(e.to_string()))?;
    if !g.questions.is_empty() {
        return Err(Error::Plan(format!(
            "the plan has open questions (draft it first): {}",
            g.questions
                .iter()
                .map(|q| format!("{}: {}", q.field, q.question))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    if g.vms.is_empty() {
        return Err(Error::Plan("the plan has no VMs to create (k8s_app items are applied with kubectl, not apply_plan)".into()));
    }
    let templates: BTreeMap<u32, &provisio_pve::state::model::Template> = state
        .templates
        .iter()
        .flatten()
        .map(|t| (t.vmid, t))
        .collect();
    let mut cs = ChangeSet {
        plan: plan.name.clone(),
        cluster: state.cluster.clone(),
        purpose: "apply".into(),
        digest: String::new(),
        steps: vec![],
        expects: vec![Expect::Quorate],
        resumed: BTreeMap::new(),
        secret_env: vec![],
    };
    let mut nodes = BTreeSet::new();
    for vm0 in &g.vms {
        let mut vm = vm0.clone();
        if let Some((id, node)) = existing.get(&vm.name) {
            vm.vmid = *id;
            vm.node = node.clone();
            cs.resumed.insert(vm.name.clone(), *id);
        }
        let vm = &vm;
        nodes.insert(vm.node.clone());
        cs.expects.push(Expect::VmidFree {
            vmid: vm.vmid,
            vm: vm.name.clone(),
        });
        let Some((tid, tnode, full)) = &vm.clone else {
            return Err(Error::Plan(format!("{}: apply_plan creates VMs by cloning a template; ISO installs are drafted for Terraform only", vm.name)));
        };
        nodes.insert(tnode.clone());
        cs.expects.push(Expect::Template {
            vmid: *tid,
            node: tnode.clone(),
        });
        let tmpl = templates.get(tid);
        let mut p = vec![
            ("newid".to_string(), vm.vmid.to_string()),
            ("name".into(), vm.name.clone()),
        ];
        if *tnode != vm.node {
            p.push(("target".into(), vm.node.clone()));
        }
        p.push(("full".into(), if *full { "1" } else { "0" }.into()));
        if *full {
            if let Some((_, storage, _)) = vm.disks.first() {
                p.push(("storage".into(), storage.clone()));
            }
        }
        if let Some(pool) = &vm.pool {
            p.push(("pool".into(), pool.clone()));
        }
        p.push(("description".into(), marker(&plan.name, &vm.name)));
        cs.steps.push(step(
            StepKind::Clone,
            vm,
            "POST",
            format!("/nodes/{tnode}/qemu/{tid}/clone"),
            p,
            format!(
                "clone template {tid} ({tnode}) -> VMID {} `{}` on {}, {} clone",
                vm.vmid,
                vm.name,
                vm.node,
                if *full { "full" } else { "linked" }
            ),
        ));

        // Configure: sizes, NICs, cloud-init, agent, boot, tags, marker.
        let mut c = vec![
            ("cores".to_string(), vm.cores.to_string()),
            ("sockets".into(), vm.sockets.to_string()),
            ("memory".into(), vm.memory_mib.to_string()),
        ];
        for (i, nic) in vm.nics.iter().enumerate() {
            let model = serde_json::to_value(nic.model)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "virtio".into());
            let bridge = nic
                .bridge
                .clone()
                .or_else(|| nic.vnet.clone())
                .unwrap_or_else(|| "vmbr0".into());
            let mut v = format!("{model},bridge={bridge}");
            if let Some(tag) = nic.vlan {
                v.push_str(&format!(",tag={tag}"));
            }
            c.push((format!("net{i}"), v));
        }
        if let Some((cidr, gw)) = &vm.ipv4 {
            c.push(("ipconfig0".into(), format!("ip={cidr},gw={gw}")));
        } else if vm.dhcp {
            c.push(("ipconfig0".into(), "ip=dhcp".into()));
        }
        if let Some(ci) = &vm.cloud_init {
            if let Some(u) = &ci.user {
                c.push(("ciuser".into(), u.clone()));
            }
            if !ci.ssh_keys.is_empty() {
                c.push((
                    "sshkeys".into(),
                    provisio_pve::client::form_encode(&ci.ssh_keys.join("\n")),
                ));
            }
            if !ci.dns_servers.is_empty() {
                c.push(("nameserver".into(), ci.dns_servers.join(" ")));
            }
            if let Some(d) = &ci.search_domain {
                c.push(("searchdomain".into(), d.clone()));
            }
            if let Some(var) = &ci.password_variable {
                let env = format!("TF_VAR_{var}");
                if !cs.secret_env.contains(&env) {
                    cs.secret_env.push(env.clone());
                }
                // The value is read from the environment at apply time; only its source is here.
                c.push(("cipassword".into(), format!("${{env:{env}}}")));
            }
        }
        c.push(("agent".into(), if vm.agent { "1" } else { "0" }.into()));
        c.push(("onboot".into(), if vm.onboot { "1" } else { "0" }.into()));
        if !vm.tags.is_empty() {
            c.push(("tags".into(), vm.tags.join(";")));
        }
        let mut desc = marker(&plan.name, &vm.name);
        if let Some(d) = &vm.description {
            desc = format!("{d}\n{desc}");
        }
        c.push(("description".into(), desc));
        // Disks: grow the template's, add the others.
        let mut resizes = Vec::new();
        for (slot, storage, size) in &vm.disks {
            match tmpl.and_then(|t| t.disks.iter().find(|d| &d.key == slot)) {
                Some(d) => {
                    let have = d.size_gib.unwrap_or(0.0);
                    if (*size as f64) > have + 0.001 {
                        resizes.push((slot.clone(), *size, have));
                    }
                }
                None => c.push((slot.clone(), format!("{storage}:{size}"))),
            }
        }
        let keys: Vec<&str> = c
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "description")
            .collect();
        cs.steps.push(step(
            StepKind::Configure,
            vm,
            "POST",
            format!("/nodes/{}/qemu/{}/config", vm.node, vm.vmid),
            c.clone(),
            format!("configure {} ({})", vm.name, keys.join(", ")),
        ));
        for (slot, size, have) in resizes {
            cs.steps.push(step(
                StepKind::Resize,
                vm,
                "PUT",
                format!("/nodes/{}/qemu/{}/resize", vm.node, vm.vmid),
                vec![
                    ("disk".into(), slot.clone()),
                    ("size".into(), format!("{size}G")),
                ],
                format!("grow {} {slot} from {have} to {size} GiB", vm.name),
            ));
        }
        if let Some(group) = &vm.ha_group {
            cs.steps.push(step(
                StepKind::HaAdd,
                vm,
                "POST",
                "/cluster/ha/resources".into(),
                vec![
                    ("sid".into(), format!("vm:{}", vm.vmid)),
                    ("group".into(), group.clone()),
                    ("state".into(), "started".into()),
                ],
                format!("add {} to HA group {group}", vm.name),
            ));
        }
        cs.steps.push(step(
            StepKind::Start,
            vm,
            "POST",
            format!("/nodes/{}/qemu/{}/status/start", vm.node, vm.vmid),
            vec![],
            format!("start {}", vm.name),
        ));
        cs.steps.push(step(
            StepKind::WaitRunning,
            vm,
            "GET",
            format!("/nodes/{}/qemu/{}/status/current", vm.node, vm.vmid),
            vec![],
            format!("wait until {} runs", vm.name),
        ));
    }
    for n in nodes {
        cs.expects.insert(1, Expect::NodeOnline { node: n });
    }
    cs.digest = digest_of(&cs);
    Ok(cs)
}

/// The cleanup of a failed apply: stop and destroy the VMs this plan created (by marker).
pub fn cleanup(plan: &str, cluster: &str, created: &[(String, u32, String)]) -> ChangeSet {
    let mut cs = ChangeSet {
        plan: plan.to_string(),
        cluster: cluster.to_string(),
        purpose: "cleanup".into(),
        digest: String::new(),
        steps: vec![],
        expects: vec![Expect::Quorate],
        resumed: BTreeMap::new(),
        secret_env: vec![],
    };
    for (name, vmid, node) in created {
        cs.expects.push(Expect::OursExists {
            vmid: *vmid,
            vm: name.clone(),
        });
        let mk =
            |kind, method: &str, path: String, params: Vec<(String, String)>, summary: String| {
                Step {
                    kind,
                    vm: name.clone(),
                    vmid: *vmid,
                    node: node.clone(),
                    summary,
                    method: method.into(),
                    path,
                    params,
                }
            };
        cs.steps.push(mk(
            StepKind::Stop,
            "POST",
            format!("/nodes/{node}/qemu/{vmid}/status/stop"),
            vec![],
            format!("stop {name} (VMID {vmid}) if it runs"),
        ));
        cs.steps.push(mk(
            StepKind::Destroy,
            "DELETE",
            format!("/nodes/{node}/qemu/{vmid}"),
            vec![
                ("purge".into(), "1".into()),
                ("destroy-unreferenced-disks".into(), "1".into()),
            ],
            format!("destroy {name} (VMID {vmid}) and its disks"),
        ));
    }
    cs.digest = digest_of(&cs);
    cs
}

/// Text for humans: what will happen, in order.
pub fn render(cs: &ChangeSet) -> String {
    let mut o = format!(
        "{} of plan `{}` on cluster `{}` ({} steps, digest {})\n",
        cs.purpose,
        cs.plan,
        cs.cluster,
        cs.steps.len(),
        &cs.digest[..12.min(cs.digest.len())]
    );
    for (i, s) in cs.steps.iter().enumerate() {
        o.push_str(&format!("  {:>2}. {}\n", i + 1, s.summary));
    }
    if !cs.resumed.is_empty() {
        o.push_str(&format!(
            "  resumes an interrupted apply: {}\n",
            cs.resumed
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    o.push_str("expects: ");
    o.push_str(
        &cs.expects
            .iter()
            .map(|e| match e {
                Expect::Quorate => "cluster quorate".to_string(),
                Expect::NodeOnline { node } => format!("{node} online"),
                Expect::Template { vmid, node } => format!("template {vmid} on {node}"),
                Expect::VmidFree { vmid, .. } => format!("VMID {vmid} free"),
                Expect::OursExists { vmid, vm } => format!("VMID {vmid} is {vm} of this plan"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    o.push('\n');
    o
}
