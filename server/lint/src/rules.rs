//! The rule table: stable codes, names, default severities and the doc behind each rule.
//! Codes never change meaning; new rules get new codes.
use schemars::JsonSchema;
use serde::Serialize;

use crate::severity::Severity;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// `provisio://docs/SOURCE/PATH` of the doc behind the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<&'static str>,
    /// The files under `server/lint/src/` that report it (a test keeps this true).
    pub checked_in: &'static [&'static str],
}

const TOFU_VARS: &str = "provisio://docs/opentofu-docs/opentofu-docs/language/values/variables.mdx";
const TOFU_SYNTAX: &str =
    "provisio://docs/opentofu-docs/opentofu-docs/language/syntax/configuration.mdx";
const TOFU_REFS: &str =
    "provisio://docs/opentofu-docs/opentofu-docs/language/expressions/references.mdx";
const TOFU_CONSTRAINTS: &str =
    "provisio://docs/opentofu-docs/opentofu-docs/language/expressions/version-constraints.mdx";
const TOFU_PROVIDERS: &str =
    "provisio://docs/opentofu-docs/opentofu-docs/language/providers/requirements.mdx";
const QM: &str = "provisio://docs/pve-docs/pve-docs/qm.adoc";
const TELMATE_VM: &str = "provisio://docs/Telmate-terraform-provider-proxmox-docs/Telmate-terraform-provider-proxmox-docs/resources/vm_qemu.md";
const STORAGE: &str = "provisio://docs/pve-docs/pve-docs/pvesm.adoc";
const SDN: &str = "provisio://docs/pve-docs/pve-docs/pvesdn.adoc";
const K8S_DEPLOY: &str = "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/workloads/controllers/deployment.md";
const K8S_SVC: &str =
    "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/services-networking/service.md";
const K8S_RES: &str = "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/configuration/manage-resources-containers.md";
const K8S_PROBES: &str =
    "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/workloads/pods/probes.md";
const K8S_CONFIGMAP: &str =
    "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/configuration/configmap.md";
const K8S_SECRET: &str =
    "provisio://docs/k8s-docs/k8s-docs/content/en/docs/concepts/configuration/secret.md";
const K3S_HA: &str = "provisio://docs/k3s-docs/k3s-docs/docs/datastore/ha-embedded.md";
const K3S_IO_ANSIBLE: &str = "provisio://docs/k3s-io-k3s-ansible/k3s-io-k3s-ansible/README.md";
const TIM_ANSIBLE: &str = "provisio://docs/techno-tim-k3s-ansible/techno-tim-k3s-ansible/README.md";
const TIM_VARS: &str =
    "provisio://docs/techno-tim-k3s-ansible/techno-tim-k3s-ansible/inventory/sample/group_vars/all.yml";
const METALLB_CONFIG: &str =
    "provisio://docs/metallb-docs/metallb-docs/website/content/configuration/_index.md";
const METALLB: &str = "provisio://docs/metallb-docs/metallb-docs/website/content/configuration/_advanced_ipaddresspool_configuration.md";

/// The registry: each `r!(CODE, name, severity, summary, doc, [files])` becomes a [`Code`] variant and
/// a [`Rule`] in [`RULES`], in the same order, so `Code::X.rule()` is an index, and a code that
/// is not in this table does not compile.
macro_rules! registry {
    ($( r!($code:ident, $name:literal, $sev:ident, $summary:literal, $doc:expr, [$($file:literal),+] $(,)?) ),* $(,)?) => {
        /// A rule's code. `Code::PV057.rule()` is its entry in [`RULES`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($code),*
        }

        /// Every rule, grouped by family.
        pub static RULES: &[Rule] = &[
            $(Rule {
                code: stringify!($code),
                name: $name,
                severity: Severity::$sev,
                summary: $summary,
                doc: $doc,
                checked_in: &[$($file),+],
            }),*
        ];

        impl Code {
            /// Every code, in the order of [`RULES`].
            pub const ALL: &[Code] = &[$(Code::$code),*];
        }
    };
}

registry! {
    // Syntax and provider schema.
    r!(
        PV001,
        "hcl-syntax-error",
        Error,
        "The file is not valid HCL",
        Some(TOFU_SYNTAX),
        ["terraform/mod.rs"],
    ),
    r!(
        PV002,
        "yaml-syntax-error",
        Error,
        "The file is not valid YAML",
        None,
        ["k3s.rs", "k8s.rs"],
    ),
    r!(
        PV003,
        "yaml-duplicate-key",
        Error,
        "A key written twice in one YAML mapping (kubectl refuses the file)",
        None,
        ["k8s_values.rs"],
    ),
    r!(
        PV004,
        "invalid-version-constraint",
        Error,
        "A version constraint Terraform/OpenTofu cannot parse (`=>`, `^1.2`, `~1.2`, letters)",
        Some(TOFU_CONSTRAINTS),
        ["terraform/providers.rs"],
    ),
    r!(
        PV005,
        "provider-endpoint",
        Error,
        "The provider's API URL is not one the provider can use: not https, bpg's endpoint with /api2/json, Telmate's pm_api_url without it",
        None,
        ["terraform/providers.rs"],
    ),
    r!(
        PV006,
        "provider-version-unchecked",
        Warning,
        "The provider version constraint selects no release provisio has schemas for (bpg 0.40.0 to 0.111.1, Telmate 2.9.0 to 3.0.2-rc09): outside that range, or a prerelease named with a range operator (`~> 3.0.1-rc4`), which Terraform never selects (it installs a prerelease only when the constraint names it exactly). The module's arguments are then judged against the nearest release, as warnings",
        Some(TOFU_PROVIDERS),
        ["terraform/providers.rs"],
    ),
    r!(
        PV010,
        "unknown-argument",
        Error,
        "Argument or block not in the provider's schema",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV011,
        "missing-required-argument",
        Error,
        "A required argument or block is missing",
        None,
        ["terraform/cluster.rs", "terraform/mod.rs"],
    ),
    r!(
        PV012,
        "wrong-type",
        Error,
        "Value of the wrong type (or a block written as an argument, or the reverse)",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV013,
        "deprecated-argument",
        Warning,
        "Deprecated argument or resource type",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV014,
        "read-only-argument",
        Error,
        "Computed (read-only) attribute set in configuration",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV015,
        "too-many-blocks",
        Error,
        "A block given more often than the schema allows",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV016,
        "unknown-resource-type",
        Warning,
        "Resource type not in the provider's schema kept by provisio",
        None,
        ["terraform/mod.rs"],
    ),
    r!(
        PV017,
        "invalid-value",
        Error,
        "A value Proxmox VE refuses: VM name not a DNS name, VMID below 100, bad tag, unknown enumerated setting, missing or doubly used disk slot, address that is not an IP",
        Some(QM),
        ["terraform/values.rs"],
    ),
    r!(
        PV018,
        "boot-device-missing",
        Warning,
        "The boot order names a disk, CD-ROM or NIC the VM does not have (a typo, or a disk on another bus)",
        Some(QM),
        ["terraform/values.rs"],
    ),
    r!(
        PV019,
        "provider-mismatch",
        Error,
        "The provider a resource needs is not the one the module requires (a misspelt or missing source, or a resource type of the other Proxmox provider)",
        Some(TOFU_PROVIDERS),
        ["terraform/providers.rs"],
    ),
    // References.
    r!(
        PV020,
        "undefined-variable",
        Error,
        "Reference to an undeclared input variable",
        Some(TOFU_VARS),
        ["terraform/mod.rs", "terraform/refs.rs"],
    ),
    r!(
        PV021,
        "undefined-local",
        Error,
        "Reference to an undeclared local value",
        Some(TOFU_REFS),
        ["terraform/refs.rs"],
    ),
    r!(
        PV022,
        "undefined-resource",
        Error,
        "Reference to an undeclared resource, data source or module",
        Some(TOFU_REFS),
        ["terraform/refs.rs"],
    ),
    r!(
        PV023,
        "duplicate-name",
        Error,
        "Two blocks declare the same resource, variable, local or output",
        Some(TOFU_SYNTAX),
        ["terraform/mod.rs"],
    ),
    r!(
        PV024,
        "variable-validation-fails",
        Error,
        "A variable's default, or the value terraform.tfvars / *.auto.tfvars give it, fails one of its validation conditions (evaluated when every part of the condition is a literal, the variable, an operator or a simple function)",
        Some(TOFU_VARS),
        ["terraform/validation.rs"],
    ),
    // Security.
    r!(
        PV030,
        "plaintext-secret",
        Error,
        "A secret written as a literal (provider credentials, passwords, cloud-init)",
        Some(TOFU_VARS),
        ["terraform/mod.rs", "terraform/security.rs"],
    ),
    r!(
        PV031,
        "tls-verification-disabled",
        Warning,
        "TLS certificate verification of the Proxmox API is disabled",
        None,
        ["terraform/security.rs"],
    ),
    r!(
        PV032,
        "secret-variable-not-sensitive",
        Warning,
        "A variable carrying a secret is not marked sensitive = true",
        Some(TOFU_VARS),
        ["terraform/security.rs"],
    ),
    // Cluster-aware.
    r!(
        PV040,
        "clone-source-not-found",
        Error,
        "The clone source VMID/name does not exist (or is on another node)",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV041,
        "clone-source-not-template",
        Warning,
        "The clone source is a VM, not a template",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV042,
        "unknown-node",
        Error,
        "Target node does not exist (or is offline)",
        None,
        ["terraform/cluster.rs"],
    ),
    r!(
        PV043,
        "unknown-storage",
        Error,
        "Storage does not exist",
        Some(STORAGE),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV044,
        "storage-content-mismatch",
        Error,
        "Storage cannot hold VM images, or is not available on the node",
        Some(STORAGE),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV045,
        "unknown-bridge",
        Error,
        "Bridge or SDN vnet does not exist on the node",
        Some(SDN),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV046,
        "vmid-collision",
        Error,
        "VMID already in use (or used twice in these manifests)",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV047,
        "exceeds-node-capacity",
        Error,
        "Memory or vCPUs beyond what the node has",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV048,
        "node-overcommit",
        Warning,
        "Memory beyond what the node has left after running guests",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV049,
        "ip-outside-subnet",
        Error,
        "Static IP or gateway outside the vnet's subnet",
        Some(SDN),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV050,
        "ip-reserved-collision",
        Error,
        "Static IP is a gateway, the k3s VIP, in the MetalLB pool or reserved",
        None,
        ["terraform/cluster.rs"],
    ),
    r!(
        PV051,
        "ip-in-use",
        Error,
        "Static IP already used by a guest (or twice in these manifests)",
        None,
        ["terraform/cluster.rs"],
    ),
    r!(
        PV052,
        "ip-prefix-mismatch",
        Warning,
        "Static IP prefix or gateway differs from the vnet's subnet",
        Some(SDN),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV053,
        "disk-smaller-than-template",
        Error,
        "A clone's disk is smaller than the template's disk on the same slot (PVE cannot shrink)",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV054,
        "disk-format-unsupported",
        Error,
        "A qcow2/vmdk disk on a block storage (RBD, LVM, ZFS, iSCSI) that holds raw volumes only",
        Some("provisio://docs/pve-docs/pve-docs/pvesm.adoc"),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV055,
        "ip-config-invalid",
        Error,
        "A guest IP setting Proxmox VE refuses or that leaves the guest without a default route: an address without prefix, a gateway without an address, outside the address's subnet or of the other family, an unknown ipconfig key; a gateway beside dhcp is a warning",
        Some("provisio://docs/pve-docs/pve-docs/qm-cloud-init.adoc"),
        ["terraform/network.rs"],
    ),
    r!(
        PV056,
        "linked-clone-storage",
        Error,
        "A linked clone given a target datastore, which Proxmox VE refuses (linked clones stay on the template's storage)",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV057,
        "volume-not-found",
        Error,
        "A volume ID (`cephfs:snippets/user.yml`, `local:iso/x.iso`) names a file the storage does not hold",
        Some(STORAGE),
        ["terraform/cluster.rs"],
    ),
    // Best practice.
    r!(
        PV060,
        "missing-qemu-agent",
        Warning,
        "QEMU guest agent disabled",
        Some(QM),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV062,
        "iothread-ignored",
        Warning,
        "`iothread` on a SCSI disk whose controller is not virtio-scsi-single: Proxmox VE ignores it",
        Some(QM),
        ["terraform/values.rs"],
    ),
    r!(
        PV061,
        "clone-without-cloud-init",
        Warning,
        "Template clone without cloud-init settings",
        Some("provisio://docs/pve-docs/pve-docs/qm-cloud-init.adoc"),
        ["terraform/cluster.rs"],
    ),
    r!(
        PV063,
        "cloud-init-drive-missing",
        Warning,
        "A Telmate VM whose `disks` block lists no `cloudinit` drive while it sets cloud-init values (`ipconfig0`, `ciuser`, `sshkeys`, ...): the VM gets no cloud-init drive, so the values never reach the guest",
        Some(TELMATE_VM),
        ["terraform/cluster.rs"],
    ),
    // Kubernetes.
    r!(
        PV100,
        "k8s-schema",
        Error,
        "Kubernetes object does not match its schema (unknown field, wrong type, missing field)",
        None,
        ["k8s.rs", "k8s_metallb.rs"],
    ),
    r!(
        PV101,
        "k8s-api-version",
        Error,
        "A kind under an apiVersion Kubernetes 1.37 does not serve it as",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV102,
        "k8s-unknown-kind",
        Info,
        "Kind without a schema kept by provisio (CRD, List, rare built-in): not schema-checked",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV103,
        "k8s-kind-typo",
        Error,
        "A kind the apiVersion does not serve, close to one it does (`Deployement`, `configmap`)",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV104,
        "k8s-invalid-value",
        Error,
        "A value the API server refuses: object, container or port name, label, ConfigMap/Secret key, resource quantity, enumerated field (imagePullPolicy, protocol, restartPolicy, Service type, ...)",
        None,
        ["k8s_values.rs"],
    ),
    r!(
        PV105,
        "rwo-volume-shared",
        Warning,
        "Several replicas of a Deployment share a ReadWriteOnce (or ReadWriteOncePod) claim: replicas on other nodes cannot mount it",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV106,
        "implausible-quantity",
        Warning,
        "A container's memory or storage given in bytes so small it was meant in Mi (`memory: 128`), or hundreds of CPUs meant as millicores (`cpu: 500`)",
        Some(K8S_RES),
        ["k8s.rs"],
    ),
    r!(
        PV107,
        "statefulset-service",
        Warning,
        "A StatefulSet's governing Service (`serviceName`) is not headless, or is not among the Services these manifests define in its namespace: its pods get no stable DNS names",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV108,
        "local-path-access-mode",
        Warning,
        "A claim on k3s's local-path storage class asks for ReadWriteMany or ReadOnlyMany, which that node-local provisioner cannot provide: the claim stays Pending",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV109,
        "storage-class-not-found",
        Error,
        "A claim asks for a storage class the live Kubernetes cluster does not have (and these manifests do not create): it stays Pending",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV110,
        "image-latest-tag",
        Warning,
        "Container image without a pinned tag (`:latest` or none)",
        Some(K8S_DEPLOY),
        ["k8s.rs"],
    ),
    r!(
        PV111,
        "missing-resources",
        Warning,
        "Container without resource requests/limits",
        Some(K8S_RES),
        ["k8s.rs"],
    ),
    r!(
        PV112,
        "missing-readiness-probe",
        Warning,
        "Serving container without a readiness probe",
        Some(K8S_PROBES),
        ["k8s.rs"],
    ),
    r!(
        PV113,
        "selector-mismatch",
        Error,
        "Workload selector does not match its pod template labels",
        Some(K8S_DEPLOY),
        ["k8s.rs"],
    ),
    r!(
        PV114,
        "service-selects-nothing",
        Warning,
        "Service selector matches no pod template in these manifests",
        Some(K8S_SVC),
        ["k8s.rs"],
    ),
    r!(
        PV115,
        "lb-ip-outside-pool",
        Error,
        "LoadBalancer IP outside the MetalLB pools (or colliding)",
        Some(METALLB),
        ["k8s.rs"],
    ),
    r!(
        PV116,
        "deprecated-lb-field",
        Warning,
        "spec.loadBalancerIP / legacy MetalLB annotation",
        Some(METALLB),
        ["k8s.rs"],
    ),
    r!(
        PV118,
        "namespace-unknown",
        Warning,
        "Namespace neither in the cluster's known namespaces nor created in these manifests",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV117,
        "port-name-unknown",
        Error,
        "Service targetPort or probe port names no container port",
        Some(K8S_SVC),
        ["k8s.rs"],
    ),
    r!(
        PV119,
        "k8s-secret-literal",
        Error,
        "A password, token or key written as a literal env value or ConfigMap entry",
        Some(K8S_SECRET),
        ["k8s.rs"],
    ),
    r!(
        PV120,
        "requests-exceed-limits",
        Error,
        "Container resource request above its limit (the API server rejects it)",
        Some(K8S_RES),
        ["k8s.rs"],
    ),
    r!(
        PV121,
        "privileged-container",
        Warning,
        "Privileged container (full access to the node)",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV122,
        "target-port-undeclared",
        Warning,
        "Service targetPort number that no selected container declares",
        Some(K8S_SVC),
        ["k8s.rs"],
    ),
    r!(
        PV123,
        "probe-port-undeclared",
        Warning,
        "Probe on a port number the container does not declare (when it declares some)",
        Some(K8S_PROBES),
        ["k8s.rs"],
    ),
    r!(
        PV124,
        "config-ref-missing",
        Error,
        "A pod references a ConfigMap or Secret key that does not exist, or one defined in another namespace (warning: a ConfigMap these manifests do not define)",
        Some(K8S_CONFIGMAP),
        ["k8s_refs.rs"],
    ),
    r!(
        PV125,
        "pod-security-baseline",
        Warning,
        "A pod the Pod Security Standards' baseline profile forbids: host network/PID/IPC, hostPath volumes, added capabilities beyond the baseline set, unmasked /proc, unconfined seccomp, unsafe sysctls",
        None,
        ["k8s_pss.rs"],
    ),
    r!(
        PV127,
        "ingress-backend-missing",
        Error,
        "An Ingress routes to a Service port these manifests do not define (or to a Service of another namespace); a Service they do not define is a warning",
        Some(K8S_SVC),
        ["k8s.rs"],
    ),
    r!(
        PV128,
        "hpa-target",
        Error,
        "A HorizontalPodAutoscaler scales a workload of another namespace, or on the utilization of a resource its containers do not request; a workload these manifests do not define is a warning",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV129,
        "pdb-blocks-drain",
        Warning,
        "A PodDisruptionBudget that selects none of these pods, or allows no voluntary eviction (minAvailable at the replica count or 100%, maxUnavailable 0), so kubectl drain blocks",
        None,
        ["k8s.rs"],
    ),
    r!(
        PV126,
        "runs-as-root",
        Warning,
        "A pod or container set to run as root (runAsUser: 0) or to allow privilege escalation, which the restricted Pod Security profile forbids",
        None,
        ["k8s_pss.rs"],
    ),
    // k3s-ansible inventories.
    r!(
        PV130,
        "k3s-inventory-groups",
        Error,
        "The server group is empty, or `k3s_cluster` does not hold the server and agent groups",
        Some(TIM_ANSIBLE),
        ["k3s.rs"],
    ),
    r!(
        PV131,
        "k3s-even-servers",
        Warning,
        "An even number of servers with embedded etcd (quorum needs an odd number)",
        Some(K3S_HA),
        ["k3s.rs"],
    ),
    r!(
        PV132,
        "k3s-literal-secret",
        Error,
        "Cluster token, agent token or datastore password written as a literal",
        Some(K3S_IO_ANSIBLE),
        ["k3s.rs"],
    ),
    r!(
        PV133,
        "k3s-version-format",
        Error,
        "k3s_version is not a k3s release name (v1.31.4+k3s1)",
        Some(K3S_IO_ANSIBLE),
        ["k3s.rs"],
    ),
    r!(
        PV134,
        "k3s-address-conflict",
        Error,
        "API VIP, node addresses and the MetalLB range overlap, or a host is in both groups",
        Some(TIM_VARS),
        ["k3s.rs"],
    ),
    r!(
        PV135,
        "k3s-missing-variable",
        Warning,
        "A variable the playbook needs is not set in the inventory files given",
        Some(TIM_VARS),
        ["k3s.rs"],
    ),
    r!(
        PV136,
        "k3s-site-mismatch",
        Warning,
        "API VIP or MetalLB range differs from the cluster's site facts",
        None,
        ["k3s.rs"],
    ),
    r!(
        PV137,
        "k3s-invalid-value",
        Error,
        "Not a valid address, range or setting (metal_lb_type, metal_lb_mode)",
        Some(TIM_VARS),
        ["k3s.rs"],
    ),
    r!(
        PV138,
        "k3s-server-args",
        Warning,
        "Server arguments miss `--disable servicelb` next to MetalLB, or `--tls-san` for the VIP",
        Some(TIM_VARS),
        ["k3s.rs"],
    ),
    // MetalLB.
    r!(
        PV140,
        "metallb-invalid",
        Error,
        "MetalLB resource its controller refuses: an address that is neither a CIDR nor a range, a reversed or mixed-family range, a pool without addresses, overlapping pools, a pool named twice, an aggregation length beyond the address size",
        Some(METALLB_CONFIG),
        ["k8s_metallb.rs"],
    ),
    r!(
        PV141,
        "metallb-address-collision",
        Error,
        "A MetalLB pool holds the k3s API VIP, a reserved address or gateway, or an address a guest uses",
        Some(METALLB_CONFIG),
        ["k8s_metallb.rs"],
    ),
    r!(
        PV142,
        "metallb-config",
        Warning,
        "MetalLB configuration that does not do what it says: outside MetalLB's namespace, a pool not announced or not defined, outside the site's MetalLB ranges, pre-0.13 forms",
        Some(METALLB_CONFIG),
        ["k8s.rs", "k8s_metallb.rs"],
    ),
    // General.
    r!(
        PV900,
        "not-checked",
        Info,
        "File type not linted",
        None,
        ["lib.rs"],
    ),
}

impl Code {
    /// The rule's entry in the registry.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// `PV057`.
    pub fn as_str(self) -> &'static str {
        self.rule().code
    }

    /// The code written as text (`PV057`, any case), or `None` when no rule has it.
    pub fn parse(code: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(code.trim()))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding's code (text) against a registry code.
impl PartialEq<Code> for String {
    fn eq(&self, other: &Code) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

/// The rule with this code (as text, from a finding or a user), if there is one.
pub fn rule(code: &str) -> Option<&'static Rule> {
    Code::parse(code).map(Code::rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_index_their_rules_in_order() {
        assert_eq!(Code::ALL.len(), RULES.len());
        for (i, c) in Code::ALL.iter().enumerate() {
            assert_eq!(c.rule().code, RULES[i].code);
            assert_eq!(Code::parse(RULES[i].code), Some(*c));
        }
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len(), "a code appears once");
        assert_eq!(rule("pv057").map(|r| r.code), Some("PV057"));
        assert!(rule("PV999").is_none());
    }

    /// `checked_in` names exactly the files (outside their test modules) that report the rule,
    /// so a rule is found from its code.
    #[test]
    fn each_rule_names_the_files_that_report_it() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files: Vec<(String, String)> = Vec::new();
        let mut dirs = vec![src.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("src") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("rules.rs") {
                    let text = std::fs::read_to_string(&p).expect("read");
                    let product = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
                    let rel = p.strip_prefix(&src).expect("under src");
                    files.push((rel.to_string_lossy().replace('\\', "/"), product));
                }
            }
        }
        for r in RULES {
            let needle = format!("Code::{}", r.code);
            let mut found: Vec<&str> = files
                .iter()
                .filter(|(_, t)| {
                    t.match_indices(&needle).any(|(i, _)| {
                        !t[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit())
                    })
                })
                .map(|(f, _)| f.as_str())
                .collect();
            found.sort();
            let mut listed = r.checked_in.to_vec();
            listed.sort();
            assert_eq!(listed, found, "{}: `checked_in` in rules.rs", r.code);
        }
        // Each of those files lists its rules at the top (`//! Rules reported here: CODE name,
        // ...`), so a rule is found from its code by opening the files: exactly its rules, by
        // code and name.
        for (file, text) in &files {
            let mut want: Vec<String> = RULES
                .iter()
                .filter(|r| r.checked_in.contains(&file.as_str()))
                .map(|r| format!("{} {}", r.code, r.name))
                .collect();
            let header: String = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .skip_while(|l| !l.starts_with("//! Rules reported here:"))
                .map(|l| l.trim_start_matches("//!").trim())
                .collect::<Vec<_>>()
                .join(" ");
            let mut got: Vec<String> = header
                .trim_start_matches("Rules reported here:")
                .trim_end_matches('.')
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            want.sort();
            got.sort();
            assert_eq!(
                got, want,
                "{file}: the `//! Rules reported here:` list at its top"
            );
        }
    }
}
