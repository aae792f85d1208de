//! The typed Kubernetes part of a `cluster_state` answer (serde + JSON Schema). No I/O.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the Kubernetes API of a k3s cluster reports, read with list and get only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct K8sState {
    /// The kubeconfig context that was used.
    pub context: String,
    /// The API server's URL.
    pub server: String,
    /// Kubernetes version as the API server reports it (`v1.31.4+k3s1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub nodes: Vec<K8sNode>,
    /// Namespaces; absent when they could not be listed (see `warnings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// Storage classes; absent when they could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_classes: Option<Vec<StorageClass>>,
    /// Services of type LoadBalancer; absent when Services could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    /// MetalLB pools and advertisements; absent when the MetalLB CRDs are not installed or
    /// could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metallb: Option<MetalLb>,
    /// Ingress classes; absent when they could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_classes: Option<Vec<IngressClass>>,
}

/// One Kubernetes node.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct K8sNode {
    pub name: String,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// From `node-role.kubernetes.io/*` labels (`control-plane`, `etcd`, `master`); empty
    /// for agents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_version: Option<String>,
    /// The Proxmox guest this node runs on, when one matches by name or address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<GuestMatch>,
}

/// A Proxmox guest matched to a Kubernetes node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GuestMatch {
    pub vmid: u32,
    pub name: String,
    /// Proxmox node the guest is on.
    pub node: String,
    /// `name` or `address`.
    pub matched_by: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct StorageClass {
    pub name: String,
    pub provisioner: String,
    /// Marked as the default class.
    pub default: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct IngressClass {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    pub default: bool,
}

/// A Service of type LoadBalancer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct LoadBalancer {
    pub namespace: String,
    pub name: String,
    /// Addresses assigned (`status.loadBalancer.ingress`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// Addresses asked for (`metallb.io/loadBalancerIPs`, the legacy annotation, or
    /// `spec.loadBalancerIP`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested: Vec<String>,
    /// MetalLB pool asked for (`metallb.io/address-pool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
}

impl LoadBalancer {
    /// Every address this Service holds or asks for.
    pub fn addresses(&self) -> impl Iterator<Item = &String> {
        self.ips
            .iter()
            .chain(self.requested.iter().filter(|r| !self.ips.contains(r)))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct MetalLb {
    pub pools: Vec<IpPool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub l2_advertisements: Vec<Advertisement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bgp_advertisements: Vec<Advertisement>,
}

/// A MetalLB IPAddressPool.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct IpPool {
    pub name: String,
    pub namespace: String,
    /// Ranges and CIDRs as written (`192.168.0.246-192.168.0.254`).
    pub addresses: Vec<String>,
    /// `spec.autoAssign` (default true).
    pub auto_assign: bool,
}

/// A MetalLB L2Advertisement or BGPAdvertisement.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Advertisement {
    pub name: String,
    pub namespace: String,
    /// Pools it announces (empty: all pools).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<String>,
    /// Node selectors as `key=value` (empty: all nodes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_selectors: Vec<String>,
}

impl K8sState {
    /// Compact text, one line per item.
    pub fn render(&self) -> String {
        let mut o = format!(
            "kubernetes {} (context {}){}\n",
            self.server,
            self.context,
            self.version
                .as_ref()
                .map(|v| format!("; version {v}"))
                .unwrap_or_default()
        );
        let ready = self.nodes.iter().filter(|n| n.ready).count();
        o.push_str(&format!(
            "k8s nodes ({ready}/{} Ready):\n",
            self.nodes.len()
        ));
        for n in &self.nodes {
            o.push_str(&format!(
                "  {} {} {}{}{}\n",
                n.name,
                if n.ready { "Ready" } else { "NOT READY" },
                if n.roles.is_empty() {
                    "agent".to_string()
                } else {
                    n.roles.join(",")
                },
                n.internal_ip
                    .as_ref()
                    .map(|i| format!(" {i}"))
                    .unwrap_or_default(),
                n.guest
                    .as_ref()
                    .map(|g| format!(" on guest {} ({}) @ {}", g.vmid, g.name, g.node))
                    .unwrap_or_default()
            ));
        }
        if let Some(ns) = &self.namespaces {
            o.push_str(&format!("namespaces: {}\n", ns.join(", ")));
        }
        if let Some(sc) = &self.storage_classes {
            let v: Vec<String> = sc
                .iter()
                .map(|s| {
                    format!(
                        "{}{} ({})",
                        s.name,
                        if s.default { " [default]" } else { "" },
                        s.provisioner
                    )
                })
                .collect();
            o.push_str(&format!("storage classes: {}\n", v.join(", ")));
        }
        if let Some(ic) = &self.ingress_classes {
            let v: Vec<String> = ic
                .iter()
                .map(|s| format!("{}{}", s.name, if s.default { " [default]" } else { "" }))
                .collect();
            o.push_str(&format!("ingress classes: {}\n", v.join(", ")));
        }
        if let Some(m) = &self.metallb {
            for p in &m.pools {
                o.push_str(&format!(
                    "metallb pool {}/{}: {}{}\n",
                    p.namespace,
                    p.name,
                    p.addresses.join(", "),
                    if p.auto_assign {
                        ""
                    } else {
                        " (no auto-assign)"
                    }
                ));
            }
            for (kind, ads) in [("l2", &m.l2_advertisements), ("bgp", &m.bgp_advertisements)] {
                for a in ads.iter() {
                    o.push_str(&format!(
                        "metallb {kind} advertisement {}: pools {}; nodes {}\n",
                        a.name,
                        if a.pools.is_empty() {
                            "all".to_string()
                        } else {
                            a.pools.join(",")
                        },
                        if a.node_selectors.is_empty() {
                            "all".to_string()
                        } else {
                            a.node_selectors.join(",")
                        }
                    ));
                }
            }
        }
        if let Some(lbs) = &self.load_balancers {
            o.push_str(&format!("LoadBalancer services ({}):\n", lbs.len()));
            for l in lbs {
                o.push_str(&format!(
                    "  {}/{} {}{}\n",
                    l.namespace,
                    l.name,
                    if l.ips.is_empty() {
                        "pending".to_string()
                    } else {
                        l.ips.join(",")
                    },
                    if l.requested.is_empty() {
                        String::new()
                    } else {
                        format!(" (requested {})", l.requested.join(","))
                    }
                ));
            }
        }
        o
    }
}
