//! The plan types. Every field is documented: the doc comments become the JSON Schema
//! descriptions the Analyser reads.
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A provisioning plan: what the Analyser produces, what `draft_manifest` turns into files and
/// what `apply_plan` executes after a human approved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Plan format version; this is version 1.
    #[serde(default = "one")]
    pub version: u32,
    /// Short name for the change (`[a-z0-9-]`, 1-40 chars): used in file names, tags and the audit log.
    pub name: String,
    /// Configured cluster this plan targets; the default cluster when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Terraform provider for the VMs: `bpg` (bpg/proxmox, default) or `telmate` (Telmate/proxmox).
    #[serde(default)]
    pub provider: Provider,
    /// What to create, in order.
    pub items: Vec<Item>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// bpg/proxmox, resource `proxmox_virtual_environment_vm`.
    #[default]
    Bpg,
    /// Telmate/proxmox, resource `proxmox_vm_qemu`.
    Telmate,
}

/// One thing to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// One VM, or `count` VMs named from a pattern.
    Vm(VmSpec),
    /// A k3s cluster: master and worker VMs plus the Ansible inventory.
    K3sCluster(K3sClusterSpec),
    /// A Kubernetes application: Deployment + Service.
    K8sApp(K8sAppSpec),
}

/// Where a VM's disk image comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// Clone a VM template, by VMID or by name (one of the two).
    Template {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vmid: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Linked clone (fast, needs the template's disks on storage reachable from the target
        /// node) instead of a full clone.
        #[serde(default)]
        linked: bool,
    },
    /// Install from an ISO image (`storage:iso/file.iso`).
    Iso { file: String },
}

/// Which node a VM goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Placement {
    /// This node.
    Node { node: String },
    /// Chosen by `draft_manifest` from free memory/CPU; `spread` puts the VMs of this item on
    /// different nodes (anti-affinity) when there are enough nodes.
    Auto {
        #[serde(default = "yes")]
        spread: bool,
    },
}

fn yes() -> bool {
    true
}

impl Default for Placement {
    fn default() -> Self {
        Placement::Auto { spread: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiskInterface {
    #[default]
    Scsi,
    Virtio,
    Sata,
    Ide,
}

/// A disk. The first disk of a clone resizes the template's disk (never smaller).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskSpec {
    /// Size in GiB (1-65536).
    pub size_gib: u32,
    /// Storage that holds VM images on the target node; chosen from the cluster when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    #[serde(default)]
    pub interface: DiskInterface,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NicModel {
    #[default]
    Virtio,
    E1000,
    Vmxnet3,
}

/// A network interface: a Linux bridge or an SDN vnet (one of the two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NicSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet: Option<String>,
    /// VLAN tag (1-4094) on a VLAN-aware bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    #[serde(default)]
    pub model: NicModel,
}

/// IPv4 configuration of the first NIC (cloud-init `ipconfig0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum IpConfig {
    Dhcp,
    /// A fixed address. With `count` > 1, consecutive addresses from this one.
    Static {
        /// Address with prefix, e.g. `192.168.1.50/24`.
        cidr: String,
        gateway: String,
    },
    /// Free addresses allocated by `draft_manifest` from this subnet (not the gateway, not in
    /// use, not the k3s VIP, not the MetalLB range, not reserved in the cluster config).
    Auto {
        /// Subnet, e.g. `192.168.1.0/24`.
        subnet: String,
        gateway: String,
    },
}

/// Cloud-init settings. Passwords are never literals: name a Terraform variable.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudInit {
    /// Login user created by cloud-init.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// SSH public keys (`ssh-ed25519 AAAA... comment`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_domain: Option<String>,
    /// Name of the (sensitive) Terraform variable holding the user's password, if one is wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_variable: Option<String>,
}

/// A VM, or `count` VMs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmSpec {
    /// VM name (a DNS label); with `count` > 1 a pattern with `{n}` (1-based), e.g. `web-{n}`.
    pub name: String,
    /// How many VMs (default 1, at most 100).
    #[serde(default = "one")]
    pub count: u32,
    pub source: Source,
    #[serde(default)]
    pub placement: Placement,
    /// Fixed VMID for the first VM (the next ones follow); allocated when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
    /// Cores per socket (1-128).
    pub cores: u32,
    #[serde(default = "one")]
    pub sockets: u32,
    /// Memory in MiB (at least 64).
    pub memory_mib: u32,
    /// Disks; the first is the boot disk.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disks: Vec<DiskSpec>,
    /// NICs; at least one for a reachable VM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NicSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_group: Option<String>,
    /// Start at boot of the node (default true).
    #[serde(default = "yes")]
    pub onboot: bool,
    /// Enable the QEMU guest agent (default true).
    #[serde(default = "yes")]
    pub agent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Size of one k3s node VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSize {
    pub cores: u32,
    pub memory_mib: u32,
    pub disk_gib: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InventoryFlavor {
    /// techno-tim/k3s-ansible: `hosts.ini` + `group_vars/all.yml` (kube-vip + MetalLB).
    #[default]
    TechnoTim,
    /// k3s-io/k3s-ansible: `inventory.yml`.
    K3sIo,
}

/// A k3s cluster on Proxmox VMs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct K3sClusterSpec {
    /// Cluster name (prefix of the VM names: `NAME-master-{n}`, `NAME-worker-{n}`).
    pub name: String,
    /// Server (control-plane) nodes: 1, or an odd number ≥ 3 for HA with embedded etcd.
    pub masters: u32,
    pub workers: u32,
    pub master_size: NodeSize,
    pub worker_size: NodeSize,
    /// Template to clone (a cloud-init template).
    pub source: Source,
    #[serde(default)]
    pub placement: Placement,
    pub network: NicSpec,
    /// Node addresses: `static` (consecutive from the given one) or `auto` from a subnet.
    pub ip: IpConfig,
    pub cloud_init: CloudInit,
    /// Virtual IP of the Kubernetes API (kube-vip); required with several masters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_vip: Option<String>,
    /// MetalLB address range `FIRST-LAST` for LoadBalancer services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metallb_range: Option<String>,
    /// k3s version, e.g. `v1.31.4+k3s1`.
    pub k3s_version: String,
    #[serde(default)]
    pub inventory: InventoryFlavor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Protocol {
    #[default]
    TCP,
    UDP,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortSpec {
    /// Port name (IANA_SVC_NAME: lowercase, ≤ 15 chars).
    pub name: String,
    /// Service port.
    pub port: u16,
    /// Container port (default: `port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<u16>,
    #[serde(default)]
    pub protocol: Protocol,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    #[serde(default, rename = "type")]
    pub kind: ServiceType,
    /// Fixed LoadBalancer IP, inside the MetalLB range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_ip: Option<String>,
}

/// CPU (`250m`, `1`) and memory (`128Mi`, `1Gi`) quantities.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
}

/// A probe: HTTP GET on a path, or a TCP connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Probe {
    Http { path: String, port: u16 },
    Tcp { port: u16 },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Probe>,
}

/// A Kubernetes application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct K8sAppSpec {
    /// Name (DNS-1035 label) of the Deployment and Service.
    pub name: String,
    #[serde(default = "default_ns")]
    pub namespace: String,
    /// Image with an explicit tag or digest (`nginx:1.27`), never `:latest`.
    pub image: String,
    #[serde(default = "one")]
    pub replicas: u32,
    pub ports: Vec<PortSpec>,
    #[serde(default)]
    pub service: ServiceSpec,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub probes: Probes,
    /// Environment variables (non-secret).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

fn default_ns() -> String {
    "default".into()
}
