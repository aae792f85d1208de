//! The typed `cluster_state` request and answer (serde + JSON Schema). Sections a view does not
//! include are left out of the answer.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which part of the cluster to describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// Compact overview: quorum, nodes with free capacity, storages, templates, guest counts,
    /// used VMIDs, next free VMID, bridges, pools, HA and Ceph health (default).
    #[default]
    Summary,
    /// Per node CPU/memory/disk, allocations and overcommit.
    Nodes,
    /// Storages with content types, sharing and free space per node.
    Storage,
    /// VM templates with disks, cloud-init drive, agent, linked-clone possibility.
    Templates,
    /// VMs and containers (filter by node, status, tag, name pattern; paged).
    Guests,
    /// Bridges, SDN zones/vnets/subnets and used IPv4 addresses (paged by address).
    Network,
    /// HA groups and resources.
    Ha,
    /// Everything (guests paged).
    Full,
    /// The k3s layer from the Kubernetes API: nodes (Ready, roles, the Proxmox guest each
    /// runs on), version, namespaces, storage classes, LoadBalancer Services (paged) with
    /// their IPs, MetalLB pools and advertisements, ingress classes.
    K8s,
}

impl View {
    /// Every view, in the order the docs list them.
    pub const ALL: [View; 9] = [
        View::Summary,
        View::Nodes,
        View::Storage,
        View::Templates,
        View::Guests,
        View::Network,
        View::Ha,
        View::Full,
        View::K8s,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Summary => "summary",
            View::Nodes => "nodes",
            View::Storage => "storage",
            View::Templates => "templates",
            View::Guests => "guests",
            View::Network => "network",
            View::Ha => "ha",
            View::Full => "full",
            View::K8s => "k8s",
        }
    }
}

/// Input of `cluster_state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterStateRequest {
    /// Configured cluster name; the default cluster when omitted. The answer says which was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// What to describe (default `summary`).
    #[serde(default)]
    pub view: View,
    /// Guests view: only guests on this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Guests view: only guests with this status (`running`, `stopped`, `paused`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Guests view: only guests carrying this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Guests view: only guests whose name matches this glob pattern (`worker-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Most list items to return (guests, or addresses in the network view); default 50, max 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` from a previous answer, to continue a paged list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Byte budget for the JSON answer (default 8192 for summary, 24576 otherwise; 1024..=262144).
    /// Lists are cut to fit, and `truncated` says what was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u32>,
}

impl ClusterStateRequest {
    /// Everything, as the drafting, lint and apply tools read it: view `full`, the largest
    /// page and byte budget.
    pub fn full() -> Self {
        ClusterStateRequest {
            view: View::Full,
            limit: Some(crate::state::MAX_LIMIT),
            max_bytes: Some(262144),
            ..Default::default()
        }
    }
}

/// Quorum and membership.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Corosync cluster name (absent on a standalone node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub quorate: bool,
    pub nodes_total: u32,
    pub nodes_online: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pve_version: Option<String>,
}

/// One node and its capacity after current allocations.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Node {
    pub name: String,
    pub online: bool,
    /// Physical CPU threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// Host CPU load, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_load: Option<f64>,
    /// vCPUs of running guests on this node.
    pub vcpus_allocated: u32,
    /// vcpus_allocated / cpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_overcommit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_total_mib: Option<u64>,
    /// Host memory in use now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_used_mib: Option<u64>,
    /// Configured memory of running guests on this node.
    pub mem_allocated_mib: u64,
    /// Configured memory of all guests (running or not) on this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_allocated_all_mib: Option<u64>,
    /// mem_total - mem_allocated (running guests): what a new VM can still get without overcommit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_free_mib: Option<i64>,
    /// mem_allocated / mem_total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_overcommit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs_total_gib: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs_used_gib: Option<f64>,
    pub guests_running: u32,
    pub guests_total: u32,
    /// Active storages on this node that can hold VM disk images.
    pub image_storages: Vec<String>,
}

/// Free space of a storage on one node.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct StorageOnNode {
    pub node: String,
    pub active: bool,
    pub total_gib: f64,
    pub avail_gib: f64,
}

/// One storage (as configured, with free space).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Storage {
    pub name: String,
    /// Plugin type: dir, lvmthin, rbd, cephfs, nfs, zfspool, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Shared across nodes (linked clones and live migration without copying).
    pub shared: bool,
    /// Content types: images, rootdir, iso, vztmpl, backup, snippets, import.
    pub content: Vec<String>,
    /// Can hold VM disk images.
    pub images: bool,
    /// Nodes where it is active.
    pub nodes: Vec<String>,
    /// Free space: for a shared storage the cluster figure, for a local one the smallest among
    /// its nodes (see the storage view for each node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avail_gib: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_gib: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_node: Option<Vec<StorageOnNode>>,
    /// Files by content type (`iso`, `snippets`, `vztmpl`, `import`), as listed on one node
    /// where the storage is active (storage and full views). A type with more than 100 files
    /// is left out, so the list of a type that is present is complete. Absent when not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<BTreeMap<String, Vec<String>>>,
}

/// A disk of a template.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Disk {
    /// Config key: scsi0, virtio0, efidisk0, ...
    pub key: String,
    pub storage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gib: Option<f64>,
    pub shared: bool,
}

/// A VM template.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Template {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ostype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    pub disks: Vec<Disk>,
    /// A cloud-init drive is attached (ipconfig/user/ssh keys can be set on clones).
    pub cloud_init: bool,
    /// QEMU guest agent enabled.
    pub agent: bool,
    /// Bridges of its NICs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bridges: Vec<String>,
    /// All disks on shared storage: a linked clone can target any node.
    pub linked_clone_any_node: bool,
}

/// A VM or container.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Guest {
    pub vmid: u32,
    pub name: String,
    /// qemu or lxc.
    #[serde(rename = "type")]
    pub kind: String,
    pub node: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// IPv4 addresses from cloud-init ipconfig or the guest agent (guests view fetches them
    /// for the returned page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv4: Vec<String>,
}

/// Guest totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GuestCounts {
    pub vms: u32,
    pub containers: u32,
    pub running: u32,
    pub stopped: u32,
    pub templates: u32,
}

/// A Linux bridge (or OVS bridge) across nodes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Bridge {
    pub name: String,
    pub nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vlan_aware: bool,
    /// Host addresses on the bridge, `node=cidr`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SdnZone {
    pub zone: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Subnet {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Vnet {
    pub vnet: String,
    pub zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<Subnet>,
}

/// An IPv4 address known to be in use.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct IpUse {
    pub ip: String,
    pub vmid: u32,
    pub name: String,
    /// `cloud-init` (ipconfigN), `lxc` (container netN) or `agent` (guest agent report).
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Network {
    pub bridges: Vec<Bridge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sdn_zones: Vec<SdnZone>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vnets: Vec<Vnet>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct HaGroup {
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct HaResource {
    pub sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Ha {
    pub groups: Vec<HaGroup>,
    pub resources: Vec<HaResource>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Pool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub guests: u32,
}

/// Where a paged list stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Page {
    /// Which list is paged: `guests` or `used_ipv4`.
    pub list: String,
    /// Items matching the filters.
    pub total: u32,
    pub offset: u32,
    pub returned: u32,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Output of `cluster_state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ClusterState {
    /// The configured cluster this answer is about.
    pub cluster: String,
    pub endpoint: String,
    /// How the server's certificate was checked; starts with `INSECURE` when it was not.
    pub tls: String,
    pub view: View,
    pub health: Health,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<Node>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storages: Option<Vec<Storage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<Template>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_counts: Option<GuestCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guests: Option<Vec<Guest>>,
    /// VMIDs in use (guests and templates), as ranges: `100-101,103,111-113`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_vmids: Option<super::VmidSet>,
    /// The next free VMID (PVE's `/cluster/nextid`, checked against the VMIDs in use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_vmid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_ipv4: Option<Vec<IpUse>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<Ha>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<Vec<Pool>>,
    /// Ceph health (`HEALTH_OK`, `HEALTH_WARN`, ...) where Ceph storages exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceph: Option<String>,
    /// The k3s layer (view `k8s`; also summary and full when the cluster has a `kubeconfig`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<provisio_k8s::K8sState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
    /// What was cut to stay within `max_bytes` or `limit`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<String>,
    /// Parts that could not be read (offline node, missing privilege), with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
