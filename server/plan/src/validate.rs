//! Checks a plan can be drafted: each problem names the field (`items[0].ip.gateway`) and the fix.
//! Cluster facts (does template 100 exist, is the IP taken) are `draft_manifest`'s job; this is
//! what the plan alone can tell.
use std::net::Ipv4Addr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::*;

/// One problem in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// Where: `items[1].ip.cidr`.
    pub field: String,
    pub message: String,
    pub fix: String,
}

pub use crate::net::Net;

/// `FIRST-LAST` IPv4 range.
pub fn parse_range(s: &str) -> Option<(Ipv4Addr, Ipv4Addr)> {
    crate::net::Ipv4Range::parse_dash(s).map(|r| (r.first, r.last))
}

struct Ctx {
    out: Vec<Problem>,
}

impl Ctx {
    fn push(
        &mut self,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.out.push(Problem {
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn check_source(c: &mut Ctx, f: &str, s: &Source) {
    match s {
        Source::Template { vmid, name, .. } => match (vmid, name) {
            (None, None) | (Some(_), Some(_)) => c.push(
                format!("{f}.source"),
                "a template source needs exactly one of `vmid` and `name`",
                "give the template's VMID (e.g. 100) or its name (e.g. \"k3s-template\"); cluster_state view `templates` lists them",
            ),
            (Some(v), None) if !(100..=999_999_999).contains(v) => c.push(
                format!("{f}.source.vmid"),
                format!("{v} is not a VMID (100..=999999999)"),
                "use a template VMID from cluster_state",
            ),
            (None, Some(n)) if n.trim().is_empty() => {
                c.push(format!("{f}.source.name"), "empty template name", "give the template's name")
            }
            _ => {}
        },
        Source::Iso { file } => {
            if !file.contains(":iso/") || !file.ends_with(".iso") {
                c.push(
                    format!("{f}.source.file"),
                    format!("`{file}` is not an ISO volume id"),
                    "use STORAGE:iso/FILE.iso, e.g. local:iso/debian-13.iso",
                );
            }
        }
    }
}

fn check_nic(c: &mut Ctx, f: &str, n: &NicSpec) {
    match (&n.bridge, &n.vnet) {
        (Some(_), Some(_)) | (None, None) => c.push(
            f,
            "a NIC needs exactly one of `bridge` and `vnet`",
            "name a bridge (e.g. vmbr0) or an SDN vnet from cluster_state view `network`",
        ),
        _ => {}
    }
    if let Some(v) = n.vlan {
        if !(1..=4094).contains(&v) {
            c.push(
                format!("{f}.vlan"),
                format!("VLAN {v} is out of range"),
                "use 1..=4094",
            );
        }
    }
}

/// Check the IP config; returns the subnet when known.
fn check_ip(c: &mut Ctx, f: &str, ip: &IpConfig, count: u32) -> Option<Net> {
    match ip {
        IpConfig::Dhcp => None,
        IpConfig::Static { cidr, gateway } => {
            let Some(net) = Net::parse(cidr) else {
                c.push(
                    format!("{f}.cidr"),
                    format!("`{cidr}` is not an IPv4 address with prefix"),
                    "write it like 192.168.1.50/24",
                );
                return None;
            };
            if !net.contains_host(net.addr) {
                c.push(
                    format!("{f}.cidr"),
                    format!(
                        "{} is the network or broadcast address of /{}",
                        net.addr, net.prefix
                    ),
                    "pick a host address inside the subnet",
                );
            }
            let last = u32::from(net.addr).saturating_add(count.saturating_sub(1));
            if count > 1 && !net.contains_host(Ipv4Addr::from(last)) {
                c.push(
                    format!("{f}.cidr"),
                    format!(
                        "{count} consecutive addresses from {} leave the subnet",
                        net.addr
                    ),
                    "start lower, or use mode `auto` with the subnet",
                );
            }
            check_gateway(c, f, gateway, &net);
            if let Ok(g) = gateway.parse::<Ipv4Addr>() {
                let (a, b) = (u32::from(net.addr), last);
                if (a..=b).contains(&u32::from(g)) {
                    c.push(
                        format!("{f}.gateway"),
                        format!("the gateway {g} is one of the VM addresses"),
                        "use addresses that avoid the gateway",
                    );
                }
            }
            Some(net)
        }
        IpConfig::Auto { subnet, gateway } => {
            let Some(net) = Net::parse(subnet) else {
                c.push(
                    format!("{f}.subnet"),
                    format!("`{subnet}` is not an IPv4 subnet"),
                    "write it like 192.168.1.0/24",
                );
                return None;
            };
            check_gateway(c, f, gateway, &net);
            Some(net)
        }
    }
}

fn check_gateway(c: &mut Ctx, f: &str, gateway: &str, net: &Net) {
    match gateway.parse::<Ipv4Addr>() {
        Ok(g) if net.contains_host(g) => {}
        Ok(g) => c.push(
            format!("{f}.gateway"),
            format!(
                "gateway {g} is not a host of {}/{}",
                Ipv4Addr::from(net.network()),
                net.prefix
            ),
            "use the subnet's router address",
        ),
        Err(_) => c.push(
            format!("{f}.gateway"),
            format!("`{gateway}` is not an IPv4 address"),
            "write it like 192.168.1.1",
        ),
    }
}

fn check_cloud_init(c: &mut Ctx, f: &str, ci: &CloudInit) {
    for (i, k) in ci.ssh_keys.iter().enumerate() {
        let kind = k.split_whitespace().next().unwrap_or("");
        if !(kind.starts_with("ssh-") || kind.starts_with("ecdsa-") || kind.starts_with("sk-"))
            || k.split_whitespace().count() < 2
        {
            c.push(format!("{f}.ssh_keys[{i}]"), "not an SSH public key", "paste the public key line, e.g. `ssh-ed25519 AAAA... me@host` (never a private key)");
        }
        if k.contains("PRIVATE KEY") {
            c.push(
                format!("{f}.ssh_keys[{i}]"),
                "this is a PRIVATE key",
                "remove it at once and use the .pub file's content",
            );
        }
    }
    if let Some(v) = &ci.password_variable {
        if !is_ident(v) {
            c.push(
                format!("{f}.password_variable"),
                format!("`{v}` is not a Terraform variable name"),
                "use a name like vm_password; the value goes in terraform.tfvars, not in the plan",
            );
        }
    }
    if let Some(u) = &ci.user {
        if u.is_empty() || u.contains(char::is_whitespace) || u == "root" {
            c.push(
                format!("{f}.user"),
                format!("`{u}` is not a good cloud-init user"),
                "use a non-root login name, e.g. ops",
            );
        }
    }
}

fn check_size(c: &mut Ctx, f: &str, cores: u32, memory_mib: u32) {
    if !(1..=128).contains(&cores) {
        c.push(
            format!("{f}.cores"),
            format!("{cores} cores is out of range"),
            "use 1..=128",
        );
    }
    if memory_mib < 64 {
        c.push(
            format!("{f}.memory_mib"),
            format!("{memory_mib} MiB is too little memory"),
            "give at least 512 MiB for a Linux VM",
        );
    }
}

fn check_vm(c: &mut Ctx, f: &str, v: &VmSpec) {
    if !(1..=100).contains(&v.count) {
        c.push(
            format!("{f}.count"),
            format!("count {} is out of range", v.count),
            "use 1..=100",
        );
    }
    let sample = v.name.replace("{n}", "1");
    if !is_dns_label(&sample) {
        c.push(
            format!("{f}.name"),
            format!("`{}` is not a valid VM name", v.name),
            "use lowercase letters, digits and `-` (a DNS label)",
        );
    }
    if v.count > 1 && !v.name.contains("{n}") {
        c.push(
            format!("{f}.name"),
            format!("{} VMs cannot all be named `{}`", v.count, v.name),
            "put `{n}` in the name, e.g. web-{n}",
        );
    }
    check_source(c, f, &v.source);
    if let Placement::Node { node } = &v.placement {
        if node.trim().is_empty() {
            c.push(
                format!("{f}.placement.node"),
                "empty node name",
                "name a node from cluster_state, or use mode `auto`",
            );
        }
    }
    if let Some(id) = v.vmid {
        if !(100..=999_999_999).contains(&id) {
            c.push(
                format!("{f}.vmid"),
                format!("{id} is not a VMID"),
                "use 100..=999999999 or omit it to allocate one",
            );
        }
    }
    check_size(c, f, v.cores, v.memory_mib);
    if !(1..=4).contains(&v.sockets) {
        c.push(
            format!("{f}.sockets"),
            format!("{} sockets is out of range", v.sockets),
            "use 1..=4",
        );
    }
    for (i, d) in v.disks.iter().enumerate() {
        if !(1..=65536).contains(&d.size_gib) {
            c.push(
                format!("{f}.disks[{i}].size_gib"),
                format!("{} GiB is out of range", d.size_gib),
                "use 1..=65536",
            );
        }
    }
    for (i, n) in v.network.iter().enumerate() {
        check_nic(c, &format!("{f}.network[{i}]"), n);
    }
    if let Some(ip) = &v.ip {
        if v.network.is_empty() {
            c.push(
                format!("{f}.ip"),
                "an IP config without a NIC",
                "add a `network` entry (e.g. bridge vmbr0)",
            );
        }
        check_ip(c, &format!("{f}.ip"), ip, v.count);
        if matches!(v.source, Source::Iso { .. }) {
            c.push(
                format!("{f}.ip"),
                "an ISO install has no cloud-init to set the IP",
                "clone a cloud-init template instead, or drop `ip`",
            );
        }
    }
    if let Some(ci) = &v.cloud_init {
        check_cloud_init(c, &format!("{f}.cloud_init"), ci);
    }
    for (i, t) in v.tags.iter().enumerate() {
        if t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b))
        {
            c.push(
                format!("{f}.tags[{i}]"),
                format!("`{t}` is not a PVE tag"),
                "use letters, digits, - _ . +",
            );
        }
    }
}

fn check_k3s(c: &mut Ctx, f: &str, k: &K3sClusterSpec) {
    if !is_dns_label(&k.name) {
        c.push(
            format!("{f}.name"),
            format!("`{}` is not a valid name", k.name),
            "use a DNS label, e.g. k3s",
        );
    }
    if k.masters == 0 || (k.masters > 1 && k.masters.is_multiple_of(2)) {
        c.push(
            format!("{f}.masters"),
            format!("{} masters cannot keep etcd quorum", k.masters),
            "use 1, or an odd number ≥ 3 for HA with embedded etcd",
        );
    }
    if k.workers > 50 {
        c.push(
            format!("{f}.workers"),
            format!("{} workers is more than this tool plans at once", k.workers),
            "use at most 50",
        );
    }
    check_size(
        c,
        &format!("{f}.master_size"),
        k.master_size.cores,
        k.master_size.memory_mib,
    );
    check_size(
        c,
        &format!("{f}.worker_size"),
        k.worker_size.cores,
        k.worker_size.memory_mib,
    );
    if k.master_size.memory_mib < 1024 {
        c.push(
            format!("{f}.master_size.memory_mib"),
            "k3s servers need at least 1 GiB (2 GiB recommended)",
            "give 2048 MiB or more",
        );
    }
    check_source(c, f, &k.source);
    check_nic(c, &format!("{f}.network"), &k.network);
    let total = k.masters + k.workers;
    let net = check_ip(c, &format!("{f}.ip"), &k.ip, total);
    if matches!(k.ip, IpConfig::Dhcp) {
        c.push(
            format!("{f}.ip"),
            "k3s nodes need stable addresses for the inventory",
            "use mode `static` or `auto`",
        );
    }
    check_cloud_init(c, &format!("{f}.cloud_init"), &k.cloud_init);
    if k.cloud_init.ssh_keys.is_empty() {
        c.push(
            format!("{f}.cloud_init.ssh_keys"),
            "Ansible needs SSH access to the nodes",
            "add the operator's SSH public key",
        );
    }
    let vip = match &k.api_vip {
        Some(v) => match v.parse::<Ipv4Addr>() {
            Ok(ip) => {
                if let Some(n) = net {
                    if !n.contains_host(ip) {
                        c.push(
                            format!("{f}.api_vip"),
                            format!("VIP {ip} is outside the nodes' subnet"),
                            "pick a free address in the nodes' subnet",
                        );
                    }
                }
                Some(ip)
            }
            Err(_) => {
                c.push(
                    format!("{f}.api_vip"),
                    format!("`{v}` is not an IPv4 address"),
                    "write it like 192.168.1.200",
                );
                None
            }
        },
        None => {
            if k.masters > 1 {
                c.push(
                    format!("{f}.api_vip"),
                    "several masters need a virtual IP for the API",
                    "add api_vip: a free address in the nodes' subnet",
                );
            }
            None
        }
    };
    if let Some(r) = &k.metallb_range {
        match parse_range(r) {
            Some((a, b)) => {
                if let Some(n) = net {
                    if !n.contains_host(a) || !n.contains_host(b) {
                        c.push(
                            format!("{f}.metallb_range"),
                            format!("{r} is not inside the nodes' subnet"),
                            "pick a free range in the nodes' subnet (L2 mode)",
                        );
                    }
                }
                if let Some(v) = vip {
                    if (u32::from(a)..=u32::from(b)).contains(&u32::from(v)) {
                        c.push(
                            format!("{f}.metallb_range"),
                            format!("the range {r} includes the API VIP {v}"),
                            "move the VIP or the range so they do not overlap",
                        );
                    }
                }
            }
            None => c.push(
                format!("{f}.metallb_range"),
                format!("`{r}` is not a range FIRST-LAST"),
                "write it like 192.168.1.220-192.168.1.239",
            ),
        }
    }
    let v = k.k3s_version.strip_prefix('v').unwrap_or("");
    let ok = v.split_once("+k3s").is_some_and(|(ver, rel)| {
        ver.split('.').count() == 3
            && ver.split('.').all(|p| p.parse::<u32>().is_ok())
            && rel.parse::<u32>().is_ok()
    });
    if !ok {
        c.push(
            format!("{f}.k3s_version"),
            format!("`{}` is not a k3s release", k.k3s_version),
            "use a release tag like v1.31.4+k3s1",
        );
    }
}

fn quantity_ok(q: &str, memory: bool) -> bool {
    let units: &[&str] = if memory {
        &["Ki", "Mi", "Gi", "Ti", "K", "M", "G", "T", ""]
    } else {
        &["m", ""]
    };
    units.iter().any(|u| {
        q.strip_suffix(u)
            .is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok_and(|x| x > 0.0))
    })
}

fn check_app(c: &mut Ctx, f: &str, a: &K8sAppSpec) {
    if !is_dns_label(&a.name) || a.name.starts_with(|ch: char| ch.is_ascii_digit()) {
        c.push(
            format!("{f}.name"),
            format!("`{}` is not a DNS-1035 label", a.name),
            "use lowercase letters, digits and `-`, starting with a letter",
        );
    }
    if !is_dns_label(&a.namespace) {
        c.push(
            format!("{f}.namespace"),
            format!("`{}` is not a namespace name", a.namespace),
            "use a DNS label, e.g. default",
        );
    }
    let last = a.image.rsplit('/').next().unwrap_or("");
    if a.image.is_empty() || !(last.contains(':') || a.image.contains('@')) {
        c.push(
            format!("{f}.image"),
            format!("`{}` has no tag", a.image),
            "pin a version, e.g. nginx:1.27",
        );
    } else if last.ends_with(":latest") {
        c.push(
            format!("{f}.image"),
            "`:latest` is not reproducible",
            "pin a version, e.g. nginx:1.27",
        );
    }
    if a.replicas > 100 {
        c.push(
            format!("{f}.replicas"),
            format!("{} replicas", a.replicas),
            "use at most 100",
        );
    }
    if a.ports.is_empty() {
        c.push(
            format!("{f}.ports"),
            "no ports",
            "add the container's port, e.g. {name: http, port: 80}",
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in a.ports.iter().enumerate() {
        if p.name.len() > 15 || !is_dns_label(&p.name) {
            c.push(
                format!("{f}.ports[{i}].name"),
                format!("`{}` is not a port name", p.name),
                "use ≤ 15 lowercase letters, digits, `-`",
            );
        }
        if p.port == 0 || !seen.insert(p.port) {
            c.push(
                format!("{f}.ports[{i}].port"),
                format!("port {} is zero or repeated", p.port),
                "give each port once",
            );
        }
    }
    if let Some(ip) = &a.service.load_balancer_ip {
        if a.service.kind != ServiceType::LoadBalancer {
            c.push(
                format!("{f}.service.load_balancer_ip"),
                "a fixed IP needs service type LoadBalancer",
                "set service.type to LoadBalancer or drop the IP",
            );
        }
        if ip.parse::<Ipv4Addr>().is_err() {
            c.push(
                format!("{f}.service.load_balancer_ip"),
                format!("`{ip}` is not an IPv4 address"),
                "use an address from the MetalLB range",
            );
        }
    }
    for (name, q, mem) in [
        ("cpu_request", &a.resources.cpu_request, false),
        ("cpu_limit", &a.resources.cpu_limit, false),
        ("memory_request", &a.resources.memory_request, true),
        ("memory_limit", &a.resources.memory_limit, true),
    ] {
        if let Some(q) = q {
            if !quantity_ok(q, mem) {
                c.push(
                    format!("{f}.resources.{name}"),
                    format!("`{q}` is not a quantity"),
                    if mem {
                        "write it like 128Mi or 1Gi"
                    } else {
                        "write it like 250m or 1"
                    },
                );
            }
        }
    }
    for k in a.env.keys() {
        if !is_ident(k) {
            c.push(
                format!("{f}.env.{k}"),
                "not an environment variable name",
                "use letters, digits and _",
            );
        }
        let up = k.to_ascii_uppercase();
        if up.contains("PASSWORD") || up.contains("SECRET") || up.contains("TOKEN") {
            c.push(
                format!("{f}.env.{k}"),
                "a secret in plain env",
                "keep secrets in a Kubernetes Secret, not in the plan",
            );
        }
    }
}

/// Every problem the plan alone shows; empty when it can be drafted.
pub fn validate(p: &Plan) -> Vec<Problem> {
    let mut c = Ctx { out: Vec::new() };
    if p.version != 1 {
        c.push(
            "version",
            format!("plan version {} is not supported", p.version),
            "use version 1",
        );
    }
    if p.name.is_empty() || p.name.len() > 40 || !is_dns_label(&p.name) {
        c.push(
            "name",
            format!("`{}` is not a plan name", p.name),
            "use 1-40 lowercase letters, digits and `-`",
        );
    }
    if p.items.is_empty() {
        c.push(
            "items",
            "the plan creates nothing",
            "add at least one item (kind vm, k3s_cluster or k8s_app)",
        );
    }
    for (i, it) in p.items.iter().enumerate() {
        let f = format!("items[{i}]");
        match it {
            Item::Vm(v) => check_vm(&mut c, &f, v),
            Item::K3sCluster(k) => check_k3s(&mut c, &f, k),
            Item::K8sApp(a) => check_app(&mut c, &f, a),
        }
    }
    c.out
}
