//! What the cluster-aware rules know about the cluster: the live state (a `cluster_state`
//! answer, view `full`) merged with the site facts Proxmox does not hold (config
//! `[clusters.NAME.facts]`).
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use provisio_plan::net::Net;
use provisio_pve::{ClusterState, SiteFacts};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An inclusive IPv4 range (the shared one of `provisio_plan::net`).
pub use provisio_plan::net::Ipv4Range as Range;

/// An IPv4 address with prefix: `192.168.0.10/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub ip: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        Net::parse(s).map(|n| Cidr {
            ip: n.addr,
            prefix: n.prefix,
        })
    }
    fn net(&self) -> Net {
        Net {
            addr: self.ip,
            prefix: self.prefix,
        }
    }
    pub fn range(&self) -> Range {
        self.net().range()
    }
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.net().network())
    }
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.net().broadcast())
    }
}

/// A node as the cluster state has it (capacity after the running guests' allocations): the
/// state model's own type, so lint, draft and apply read one model.
pub type NodeFacts = provisio_pve::state::Node;

/// A storage as the cluster state has it (content types, nodes, files when listed).
pub type StorageFacts = provisio_pve::state::Storage;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GuestFacts {
    pub vmid: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    pub template: bool,
    /// Templates: QEMU guest agent enabled in the template.
    #[serde(default)]
    pub agent: bool,
    /// Templates: every disk on shared storage, so a linked clone can go to any node.
    #[serde(default = "yes")]
    pub linked_clone_any_node: bool,
    /// Templates: disk sizes by slot (`scsi0` → GiB); a clone's disk cannot be smaller.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disks_gib: BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct NetFacts {
    pub name: String,
    /// `bridge` or `vnet`.
    pub kind: String,
    /// Nodes where it exists (empty: all).
    pub nodes: Vec<String>,
    /// (cidr, gateway)
    pub subnets: Vec<(String, Option<String>)>,
}

/// Everything the cluster-aware rules use. Serializable so tests and the MCP tool can show
/// what the linter knew.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ClusterFacts {
    pub cluster: String,
    pub nodes: Vec<NodeFacts>,
    pub storages: Vec<StorageFacts>,
    /// Templates and guests (VMs and containers) by VMID.
    pub guests: Vec<GuestFacts>,
    /// VMIDs in use (may include guests not listed in `guests`).
    pub used_vmids: BTreeSet<u32>,
    pub networks: Vec<NetFacts>,
    /// Address → who uses it.
    pub used_ipv4: BTreeMap<String, String>,
    /// Reserved ranges with their purpose (gateways, k3s VIP, MetalLB pools, config).
    pub reserved: Vec<(String, String)>,
    /// MetalLB pools (ranges).
    pub metallb_pools: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k3s_api_vip: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// LoadBalancer addresses held or asked for by live Services: address → `namespace/name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub live_lb_ips: BTreeMap<String, String>,
    /// Storage classes of the live Kubernetes cluster (absent when not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_classes: Option<Vec<String>>,
    /// Where the live Kubernetes state and the site facts disagree (the live state is used).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

fn bad(field: String, message: impl Into<String>) -> Error {
    Error::Facts {
        field,
        message: message.into(),
    }
}

impl ClusterFacts {
    /// From a `cluster_state` answer (view `full` gives everything; other views give less and
    /// the rules that need the missing parts stay quiet) and the site facts.
    pub fn from_state(state: &ClusterState, site: &SiteFacts) -> Result<ClusterFacts> {
        let mut f = ClusterFacts {
            cluster: state.cluster.clone(),
            ..Default::default()
        };
        f.nodes = state.nodes.clone().unwrap_or_default();
        f.storages = state.storages.clone().unwrap_or_default();
        for t in state.templates.iter().flatten() {
            f.guests.push(GuestFacts {
                vmid: t.vmid,
                name: t.name.clone(),
                node: t.node.clone(),
                template: true,
                agent: t.agent,
                linked_clone_any_node: t.linked_clone_any_node,
                disks_gib: t
                    .disks
                    .iter()
                    .filter_map(|d| Some((d.key.clone(), d.size_gib?)))
                    .collect(),
            });
        }
        for g in state.guests.iter().flatten() {
            if !f.guests.iter().any(|x| x.vmid == g.vmid) {
                f.guests.push(GuestFacts {
                    vmid: g.vmid,
                    name: g.name.clone(),
                    node: g.node.clone(),
                    template: false,
                    agent: false,
                    linked_clone_any_node: true,
                    disks_gib: BTreeMap::new(),
                });
            }
            for ip in &g.ipv4 {
                f.used_ipv4
                    .insert(ip.clone(), format!("{} ({})", g.name, g.vmid));
            }
        }
        f.used_vmids = state.used_vmids.iter().flat_map(|s| s.iter()).collect();
        f.used_vmids.extend(f.guests.iter().map(|g| g.vmid));
        for u in state.used_ipv4.iter().flatten() {
            f.used_ipv4
                .entry(u.ip.clone())
                .or_insert_with(|| format!("{} ({})", u.name, u.vmid));
        }
        if let Some(net) = &state.network {
            for b in &net.bridges {
                f.networks.push(NetFacts {
                    name: b.name.clone(),
                    kind: "bridge".into(),
                    nodes: b.nodes.clone(),
                    subnets: vec![],
                });
            }
            for v in &net.vnets {
                f.networks.push(NetFacts {
                    name: v.vnet.clone(),
                    kind: "vnet".into(),
                    nodes: vec![],
                    subnets: v
                        .subnets
                        .iter()
                        .map(|s| (s.cidr.clone(), s.gateway.clone()))
                        .collect(),
                });
            }
        }
        f.merge_site(site)?;
        if let Some(k) = &state.k8s {
            f.merge_k8s(k);
        }
        Ok(f)
    }

    /// The live Kubernetes state: its MetalLB pools and namespaces replace the site facts'
    /// (each disagreement is noted in `conflicts`), its LoadBalancer addresses are taken.
    pub fn merge_k8s(&mut self, k: &provisio_pve::K8sState) {
        if let Some(m) = &k.metallb {
            let live: Vec<String> = m.pools.iter().flat_map(|p| p.addresses.clone()).collect();
            if !live.is_empty() {
                if !self.metallb_pools.is_empty() && self.metallb_pools != live {
                    self.conflicts.push(format!(
                        "MetalLB pools: the site facts say {}, the cluster has {}; the cluster's are used",
                        self.metallb_pools.join(", "),
                        live.join(", ")
                    ));
                }
                let old: Vec<String> = std::mem::take(&mut self.metallb_pools);
                self.reserved.retain(|(a, _)| !old.contains(a));
                for p in &m.pools {
                    for a in &p.addresses {
                        if Range::parse(a).is_some() {
                            self.metallb_pools.push(a.clone());
                            self.reserved.push((
                                a.clone(),
                                format!(
                                    "the MetalLB address pool `{}` (LoadBalancer services only)",
                                    p.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(ns) = &k.namespaces {
            let missing: Vec<&String> =
                self.namespaces.iter().filter(|n| !ns.contains(n)).collect();
            if !missing.is_empty() {
                self.conflicts.push(format!(
                    "namespaces: the site facts list {} which the cluster does not have; the cluster's are used",
                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            self.namespaces = ns.clone();
        }
        for lb in k.load_balancers.iter().flatten() {
            for ip in lb.addresses() {
                self.live_lb_ips
                    .entry(ip.clone())
                    .or_insert_with(|| format!("{}/{}", lb.namespace, lb.name));
            }
        }
        if let Some(sc) = &k.storage_classes {
            self.storage_classes = Some(sc.iter().map(|c| c.name.clone()).collect());
        }
    }

    /// Add the site facts; they are checked here so a typo in the config names its field.
    pub fn merge_site(&mut self, site: &SiteFacts) -> Result<()> {
        for (i, v) in site.vnets.iter().enumerate() {
            let mut subnets = Vec::new();
            for (j, s) in v.subnets.iter().enumerate() {
                if Cidr::parse(&s.cidr).is_none() {
                    return Err(bad(
                        format!("facts.vnets[{i}].subnets[{j}].cidr"),
                        format!("`{}` is not an IPv4 CIDR like 192.168.0.0/16", s.cidr),
                    ));
                }
                if let Some(g) = &s.gateway {
                    if g.parse::<Ipv4Addr>().is_err() {
                        return Err(bad(
                            format!("facts.vnets[{i}].subnets[{j}].gateway"),
                            format!("`{g}` is not an IPv4 address"),
                        ));
                    }
                }
                subnets.push((s.cidr.clone(), s.gateway.clone()));
            }
            match self.networks.iter_mut().find(|n| n.name == v.name) {
                Some(n) => {
                    for s in subnets {
                        if !n.subnets.contains(&s) {
                            n.subnets.push(s);
                        }
                    }
                }
                None => self.networks.push(NetFacts {
                    name: v.name.clone(),
                    kind: "vnet".into(),
                    nodes: v.nodes.clone(),
                    subnets,
                }),
            }
        }
        if let Some(vip) = &site.k3s_api_vip {
            if vip.parse::<Ipv4Addr>().is_err() {
                return Err(bad(
                    "facts.k3s_api_vip".into(),
                    format!("`{vip}` is not an IPv4 address"),
                ));
            }
            self.k3s_api_vip = Some(vip.clone());
            self.reserved
                .push((vip.clone(), "the k3s API virtual IP".into()));
        }
        for (i, p) in site.metallb_pools.iter().enumerate() {
            if Range::parse(p).is_none() {
                return Err(bad(
                    format!("facts.metallb_pools[{i}]"),
                    format!("`{p}` is not a range like 192.168.0.240-192.168.0.250 or a CIDR"),
                ));
            }
            self.metallb_pools.push(p.clone());
            self.reserved.push((
                p.clone(),
                "the MetalLB address pool (LoadBalancer services only)".into(),
            ));
        }
        for (i, r) in site.reserved_ipv4.iter().enumerate() {
            if Range::parse(&r.addresses).is_none() {
                return Err(bad(
                    format!("facts.reserved_ipv4[{i}].addresses"),
                    format!("`{}` is not an address, range or CIDR", r.addresses),
                ));
            }
            if !self.reserved.iter().any(|(a, _)| a == &r.addresses) {
                self.reserved.push((r.addresses.clone(), r.purpose.clone()));
            }
        }
        for n in &self.networks {
            for (cidr, gw) in &n.subnets {
                if let Some(g) = gw {
                    if !self.reserved.iter().any(|(a, _)| a == g) {
                        self.reserved
                            .push((g.clone(), format!("the gateway of {} ({cidr})", n.name)));
                    }
                }
            }
        }
        self.namespaces.extend(site.namespaces.iter().cloned());
        Ok(())
    }

    pub fn node(&self, name: &str) -> Option<&NodeFacts> {
        self.nodes.iter().find(|n| n.name == name)
    }
    pub fn storage(&self, name: &str) -> Option<&StorageFacts> {
        self.storages.iter().find(|s| s.name == name)
    }
    pub fn guest(&self, vmid: u32) -> Option<&GuestFacts> {
        self.guests.iter().find(|g| g.vmid == vmid)
    }
    pub fn network(&self, name: &str) -> Option<&NetFacts> {
        self.networks.iter().find(|n| n.name == name)
    }
    /// Why this address is reserved, if it is.
    pub fn reserved_for(&self, ip: Ipv4Addr) -> Option<String> {
        self.reserved
            .iter()
            .find(|(r, _)| Range::parse(r).is_some_and(|r| r.contains(ip)))
            .map(|(r, why)| {
                if r.contains('-') || r.contains('/') {
                    format!("{why}, {r}")
                } else {
                    why.clone()
                }
            })
    }
    pub fn in_metallb_pool(&self, ip: Ipv4Addr) -> bool {
        self.metallb_pools
            .iter()
            .any(|p| Range::parse(p).is_some_and(|r| r.contains(ip)))
    }
}
