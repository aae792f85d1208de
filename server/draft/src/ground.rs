//! Grounding: a plan's VMs against the cluster's state. Resolves templates, chooses nodes,
//! allocates VMIDs, storages and IPs; each choice is a [`Decision`] with its reason, and what
//! cannot be decided is a [`Question`], never a guess.
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use provisio_plan::validate::Net;
use provisio_plan::{CloudInit, DiskInterface, IpConfig, NicSpec, Placement, Source, VmSpec};
use provisio_pve::state::VmidSet;
use provisio_pve::ClusterState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A choice `draft_manifest` made, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    /// What it is about: `web-1.node`, `web-1.vmid`, ...
    pub about: String,
    pub value: String,
    pub reason: String,
}

/// Something the plan must settle before files can be drafted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Question {
    /// Plan field it is about: `items[0].placement`.
    pub field: String,
    pub question: String,
}

/// One VM, fully decided.
#[derive(Debug, Clone, PartialEq)]
pub struct VmInstance {
    pub name: String,
    pub node: String,
    pub vmid: u32,
    /// Template VMID, its node, full clone or linked.
    pub clone: Option<(u32, String, bool)>,
    pub iso: Option<String>,
    pub cores: u32,
    pub sockets: u32,
    pub memory_mib: u32,
    /// (slot e.g. `scsi0`, storage, size GiB)
    pub disks: Vec<(String, String, u32)>,
    pub nics: Vec<NicSpec>,
    /// Static `cidr` and gateway; None with DHCP or no IP config.
    pub ipv4: Option<(String, String)>,
    pub dhcp: bool,
    pub cloud_init: Option<CloudInit>,
    /// Storage for the cloud-init drive.
    pub cloud_init_storage: Option<String>,
    pub tags: Vec<String>,
    pub pool: Option<String>,
    pub ha_group: Option<String>,
    pub onboot: bool,
    pub agent: bool,
    pub description: Option<String>,
}

/// The facts grounding needs, read from a `cluster_state` answer (view `full`).
pub struct Facts<'a> {
    pub state: &'a ClusterState,
    used_vmids: VmidSet,
    used_ips: BTreeSet<Ipv4Addr>,
    /// Memory left per online node as VMs are placed.
    free_mib: BTreeMap<String, i64>,
}

impl<'a> Facts<'a> {
    pub fn new(state: &'a ClusterState) -> Self {
        Facts {
            used_vmids: state.used_vmids.clone().unwrap_or_default(),
            used_ips: state
                .used_ipv4
                .iter()
                .flatten()
                .filter_map(|u| u.ip.parse().ok())
                .collect(),
            free_mib: state
                .nodes
                .iter()
                .flatten()
                .filter(|n| n.online)
                .filter_map(|n| Some((n.name.clone(), n.mem_free_mib?)))
                .collect(),
            state,
        }
    }

    fn node_has_bridge(&self, node: &str, nic: &NicSpec) -> bool {
        match (&nic.bridge, &nic.vnet) {
            (Some(b), _) => self.state.network.as_ref().is_some_and(|n| {
                n.bridges
                    .iter()
                    .any(|x| x.name == *b && x.nodes.iter().any(|m| m == node))
            }),
            (None, Some(v)) => self
                .state
                .network
                .as_ref()
                .is_some_and(|n| n.vnets.iter().any(|x| x.vnet == *v)),
            _ => false,
        }
    }

    fn image_storage_on(&self, node: &str, name: &str) -> bool {
        self.state
            .storages
            .iter()
            .flatten()
            .any(|s| s.name == name && s.images && s.nodes.iter().any(|n| n == node))
    }
}

/// Ground every VM of one plan item; pushes decisions and questions.
pub fn ground_vm(
    f: &mut Facts,
    field: &str,
    v: &VmSpec,
    taken_vmids: &mut BTreeSet<u32>,
    taken_ips: &mut BTreeSet<Ipv4Addr>,
    decisions: &mut Vec<Decision>,
    questions: &mut Vec<Question>,
) -> Vec<VmInstance> {
    let q0 = questions.len();
    let mut ask = |field: String, q: String| questions.push(Question { field, question: q });
    let names: Vec<String> = (1..=v.count)
        .map(|n| v.name.replace("{n}", &n.to_string()))
        .collect();
    let st = f.state;

    // The template.
    let mut template = None;
    if let Source::Template { vmid, name, linked } = &v.source {
        let templates = st.templates.as_deref().unwrap_or_default();
        let found: Vec<_> = templates
            .iter()
            .filter(|t| {
                vmid.is_some_and(|x| x == t.vmid) || name.as_ref().is_some_and(|x| *x == t.name)
            })
            .collect();
        match found.as_slice() {
            [t] => {
                decisions.push(Decision {
                    about: format!("{}.source", v.name),
                    value: format!("template {} `{}` on {}", t.vmid, t.name, t.node),
                    reason: format!(
                        "{}; cloud-init drive {}, agent {}",
                        if vmid.is_some() {
                            "given by VMID"
                        } else {
                            "resolved from its name"
                        },
                        if t.cloud_init { "present" } else { "MISSING" },
                        if t.agent { "enabled" } else { "off" }
                    ),
                });
                if v.ip.is_some() && !t.cloud_init {
                    ask(format!("{field}.source"), format!("template {} has no cloud-init drive, so `ip` and `cloud_init` cannot be applied: use a cloud-init template or add a cloud-init drive to it", t.vmid));
                }
                template = Some(((*t).clone(), *linked));
            }
            [] => ask(
                format!("{field}.source"),
                format!(
                    "no template {} in the cluster; templates: {}",
                    vmid.map(|x| x.to_string())
                        .or(name.clone())
                        .unwrap_or_default(),
                    templates
                        .iter()
                        .map(|t| format!("{} `{}`", t.vmid, t.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            many => ask(
                format!("{field}.source.name"),
                format!(
                    "several templates are named `{}` (VMIDs {}): which one?",
                    name.clone().unwrap_or_default(),
                    many.iter()
                        .map(|t| t.vmid.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }

    // Candidate nodes: online, with the NICs' bridges, an image storage, and for a linked clone
    // of a template on local storage, the template's node.
    let nodes: Vec<&provisio_pve::state::Node> =
        st.nodes.iter().flatten().filter(|n| n.online).collect();
    let linked_local = template
        .as_ref()
        .is_some_and(|(t, linked)| *linked && !t.linked_clone_any_node);
    let fits = |n: &provisio_pve::state::Node| {
        v.network.iter().all(|nic| f.node_has_bridge(&n.name, nic))
            && !n.image_storages.is_empty()
            && (!linked_local || template.as_ref().is_some_and(|(t, _)| t.node == n.name))
    };
    let mut placed: Vec<String> = Vec::new();
    match &v.placement {
        Placement::Node { node } => match nodes.iter().find(|n| n.name == *node) {
            Some(n) if fits(n) => {
                for nm in &names {
                    decisions.push(Decision {
                        about: format!("{nm}.node"),
                        value: node.clone(),
                        reason: "given in the plan".into(),
                    });
                    placed.push(node.clone());
                }
            }
            Some(_) => ask(
                format!("{field}.placement.node"),
                format!(
                    "node {node} lacks what this VM needs ({}): choose another node or `auto`",
                    if linked_local {
                        "a linked clone of a template on local storage must stay on the template's node"
                    } else {
                        "the bridge or an image storage"
                    }
                ),
            ),
            None => ask(
                format!("{field}.placement.node"),
                format!(
                    "node {node} is not an online node of this cluster; online: {}",
                    nodes
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        },
        Placement::Auto { spread } => {
            let cand: Vec<&provisio_pve::state::Node> =
                nodes.iter().copied().filter(|n| fits(n)).collect();
            if cand.is_empty() {
                ask(format!("{field}.placement"), "no online node has the bridge(s), an image storage and (for a linked clone) the template: which node should it go to?".into());
            } else {
                for nm in &names {
                    // Most free memory first; with spread, nodes not yet used by this item first.
                    let best = cand
                        .iter()
                        .filter(|n| {
                            f.free_mib.get(&n.name).copied().unwrap_or(0) >= v.memory_mib as i64
                        })
                        .max_by_key(|n| {
                            (
                                !(*spread && placed.contains(&n.name)),
                                f.free_mib.get(&n.name).copied().unwrap_or(0),
                                std::cmp::Reverse(n.name.clone()),
                            )
                        });
                    match best {
                        Some(n) => {
                            let free = f.free_mib.get(&n.name).copied().unwrap_or(0);
                            decisions.push(Decision {
                                about: format!("{nm}.node"),
                                value: n.name.clone(),
                                reason: format!(
                                    "{} MiB free after running guests' allocations (needs {}){}",
                                    free,
                                    v.memory_mib,
                                    if *spread && v.count > 1 {
                                        "; spread across nodes"
                                    } else {
                                        ""
                                    }
                                ),
                            });
                            *f.free_mib.entry(n.name.clone()).or_default() -= v.memory_mib as i64;
                            placed.push(n.name.clone());
                        }
                        None => {
                            ask(format!("{field}.placement"), format!("no node has {} MiB free for {nm} without overcommitting memory: pick a node (overcommit) or a smaller size", v.memory_mib));
                            break;
                        }
                    }
                }
            }
        }
    }

    // VMIDs.
    let mut vmids = Vec::new();
    let mut next = v.vmid.or(st.next_vmid).unwrap_or(100).max(100);
    for (i, nm) in names.iter().enumerate() {
        if v.vmid.is_some() {
            let id = next + i as u32;
            if f.used_vmids.contains(&id) || taken_vmids.contains(&id) {
                ask(
                    format!("{field}.vmid"),
                    format!("VMID {id} is already in use: choose another or omit `vmid`"),
                );
            } else {
                decisions.push(Decision {
                    about: format!("{nm}.vmid"),
                    value: id.to_string(),
                    reason: "given in the plan".into(),
                });
            }
            vmids.push(id);
        } else {
            while f.used_vmids.contains(&next) || taken_vmids.contains(&next) {
                next += 1;
            }
            decisions.push(Decision {
                about: format!("{nm}.vmid"),
                value: next.to_string(),
                reason: "lowest free VMID from the cluster's next ID, skipping VMIDs in use".into(),
            });
            vmids.push(next);
            next += 1;
        }
    }
    taken_vmids.extend(vmids.iter().copied());

    // IPs.
    let mut ips: Vec<Option<(String, String)>> = vec![None; names.len()];
    match &v.ip {
        Some(IpConfig::Static { cidr, gateway }) => {
            if let Some(net) = Net::parse(cidr) {
                for (i, nm) in names.iter().enumerate() {
                    let ip = Ipv4Addr::from(u32::from(net.addr) + i as u32);
                    if f.used_ips.contains(&ip) || taken_ips.contains(&ip) {
                        ask(format!("{field}.ip.cidr"), format!("{ip} (for {nm}) is already in use in the cluster: choose another address or mode `auto`"));
                    }
                    taken_ips.insert(ip);
                    ips[i] = Some((format!("{ip}/{}", net.prefix), gateway.clone()));
                    decisions.push(Decision {
                        about: format!("{nm}.ipv4"),
                        value: format!("{ip}/{}", net.prefix),
                        reason: "given in the plan".into(),
                    });
                }
            }
        }
        Some(IpConfig::Auto { subnet, gateway }) => {
            if st.used_ipv4.is_none() || st.truncated.iter().any(|t| t.starts_with("used_ipv4")) {
                ask(format!("{field}.ip"), "the cluster state has no used IPv4 addresses (read it with cluster_state view `full` or `network`): cannot allocate addresses safely".into());
            } else if let Some(net) = Net::parse(subnet) {
                let gw: Option<Ipv4Addr> = gateway.parse().ok();
                let mut cur = net.network() + 1;
                for (i, nm) in names.iter().enumerate() {
                    while cur < net.broadcast()
                        && (Some(Ipv4Addr::from(cur)) == gw
                            || f.used_ips.contains(&Ipv4Addr::from(cur))
                            || taken_ips.contains(&Ipv4Addr::from(cur)))
                    {
                        cur += 1;
                    }
                    if cur >= net.broadcast() {
                        ask(
                            format!("{field}.ip.subnet"),
                            format!("no free address left in {subnet} for {nm}"),
                        );
                        break;
                    }
                    let ip = Ipv4Addr::from(cur);
                    taken_ips.insert(ip);
                    ips[i] = Some((format!("{ip}/{}", net.prefix), gateway.clone()));
                    decisions.push(Decision {
                        about: format!("{nm}.ipv4"),
                        value: format!("{ip}/{}", net.prefix),
                        reason: format!(
                            "lowest free host address in {subnet} (not the gateway, not in use)"
                        ),
                    });
                    cur += 1;
                }
            }
        }
        _ => {}
    }

    if questions.len() > q0 {
        return Vec::new();
    }

    // Storages and the instances.
    let mut out = Vec::new();
    for (i, nm) in names.iter().enumerate() {
        let node = placed.get(i).cloned().unwrap_or_default();
        let tdisk = template
            .as_ref()
            .and_then(|(t, _)| t.disks.first().map(|d| d.storage.clone()));
        let default_storage = || -> Option<String> {
            if let Some(s) = &tdisk {
                if f.image_storage_on(&node, s) {
                    return Some(s.clone());
                }
            }
            let on_node = nodes.iter().find(|n| n.name == node)?;
            let shared = on_node.image_storages.iter().find(|s| {
                st.storages
                    .iter()
                    .flatten()
                    .any(|x| x.name == **s && x.shared)
            });
            shared.or(on_node.image_storages.first()).cloned()
        };
        let mut disks = Vec::new();
        let mut counters: BTreeMap<&str, u32> = BTreeMap::new();
        for (d_i, d) in v.disks.iter().enumerate() {
            let prefix = match d.interface {
                DiskInterface::Scsi => "scsi",
                DiskInterface::Virtio => "virtio",
                DiskInterface::Sata => "sata",
                DiskInterface::Ide => "ide",
            };
            let c = counters.entry(prefix).or_default();
            let slot = format!("{prefix}{c}");
            *c += 1;
            let storage = match &d.storage {
                Some(s) if f.image_storage_on(&node, s) => s.clone(),
                Some(s) => {
                    questions.push(Question {
                        field: format!("{field}.disks[{d_i}].storage"),
                        question: format!(
                            "storage {s} cannot hold VM images on {node}: choose one of {}",
                            nodes
                                .iter()
                                .find(|n| n.name == node)
                                .map(|n| n.image_storages.join(", "))
                                .unwrap_or_default()
                        ),
                    });
                    continue;
                }
                None => match default_storage() {
                    Some(s) => {
                        decisions.push(Decision {
                            about: format!("{nm}.{slot}.storage"),
                            value: s.clone(),
                            reason: if tdisk.as_deref() == Some(s.as_str()) {
                                "the template's disk storage, which holds images on this node"
                                    .into()
                            } else {
                                "an image storage on this node (shared preferred)".into()
                            },
                        });
                        s
                    }
                    None => {
                        questions.push(Question {
                            field: format!("{field}.disks[{d_i}].storage"),
                            question: format!("no image storage on {node}: which storage?"),
                        });
                        continue;
                    }
                },
            };
            if let Some((t, _)) = &template {
                if d_i == 0 {
                    if let Some(ts) = t.disks.first().and_then(|x| x.size_gib) {
                        if (d.size_gib as f64) < ts {
                            questions.push(Question { field: format!("{field}.disks[0].size_gib"), question: format!("the template's disk is {ts} GiB; a clone's disk cannot shrink to {} GiB", d.size_gib) });
                        }
                    }
                }
            }
            disks.push((slot, storage, d.size_gib));
        }
        let cloud_init_storage = if v.cloud_init.is_some() || v.ip.is_some() {
            default_storage()
        } else {
            None
        };
        out.push(VmInstance {
            name: nm.clone(),
            node: node.clone(),
            vmid: vmids[i],
            clone: template
                .as_ref()
                .map(|(t, linked)| (t.vmid, t.node.clone(), !linked)),
            iso: match &v.source {
                Source::Iso { file } => Some(file.clone()),
                _ => None,
            },
            cores: v.cores,
            sockets: v.sockets,
            memory_mib: v.memory_mib,
            disks,
            nics: v.network.clone(),
            ipv4: ips[i].clone(),
            dhcp: matches!(v.ip, Some(IpConfig::Dhcp)),
            cloud_init: v.cloud_init.clone(),
            cloud_init_storage,
            tags: v.tags.clone(),
            pool: v.pool.clone(),
            ha_group: v.ha_group.clone(),
            onboot: v.onboot,
            agent: v.agent,
            description: v.description.clone(),
        });
    }
    if questions.len() > q0 {
        return Vec::new();
    }
    out
}
