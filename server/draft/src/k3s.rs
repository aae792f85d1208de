//! k3s clusters: the master and worker VMs as `vm` items (grounded like any VM, with the API
//! VIP and the MetalLB range kept free), and the Ansible inventory for techno-tim/k3s-ansible
//! (`inventory/hosts.ini`, `inventory/group_vars/all.yml`) or k3s-io/k3s-ansible
//! (`inventory.yml`). The cluster token is read from the environment (`K3S_TOKEN`), never written.
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use provisio_plan::validate::{parse_range, Net};
use provisio_plan::{DiskSpec, InventoryFlavor, IpConfig, K3sClusterSpec, VmSpec};

use crate::ground::{Decision, Question, VmInstance};

/// The two `vm` items of a k3s cluster: masters, then workers (their static addresses follow
/// the masters').
pub fn vm_items(k: &K3sClusterSpec) -> Vec<VmSpec> {
    let mk = |role: &str, count: u32, size: &provisio_plan::NodeSize, ip: IpConfig| VmSpec {
        name: format!("{}-{role}-{{n}}", k.name),
        count,
        source: k.source.clone(),
        placement: k.placement.clone(),
        vmid: None,
        cores: size.cores,
        sockets: 1,
        memory_mib: size.memory_mib,
        disks: vec![DiskSpec {
            size_gib: size.disk_gib,
            storage: k.storage.clone(),
            interface: Default::default(),
        }],
        network: vec![k.network.clone()],
        ip: Some(ip),
        cloud_init: Some(k.cloud_init.clone()),
        tags: vec!["k3s".into(), role.into()],
        pool: None,
        ha_group: None,
        onboot: true,
        agent: true,
        description: Some(format!("k3s {role} of cluster {}", k.name)),
    };
    let worker_ip = match &k.ip {
        IpConfig::Static { cidr, gateway } => match Net::parse(cidr) {
            Some(n) => IpConfig::Static {
                cidr: format!(
                    "{}/{}",
                    Ipv4Addr::from(u32::from(n.addr) + k.masters),
                    n.prefix
                ),
                gateway: gateway.clone(),
            },
            None => k.ip.clone(),
        },
        other => other.clone(),
    };
    let mut out = vec![mk("master", k.masters, &k.master_size, k.ip.clone())];
    if k.workers > 0 {
        out.push(mk("worker", k.workers, &k.worker_size, worker_ip));
    }
    out
}

/// Addresses the nodes must not get: the API VIP and the MetalLB range.
pub fn reserved(k: &K3sClusterSpec) -> BTreeSet<Ipv4Addr> {
    let mut r = BTreeSet::new();
    if let Some(v) = k.api_vip.as_ref().and_then(|v| v.parse().ok()) {
        r.insert(v);
    }
    if let Some((a, b)) = k.metallb_range.as_deref().and_then(parse_range) {
        for x in u32::from(a)..=u32::from(b).min(u32::from(a) + 4096) {
            r.insert(Ipv4Addr::from(x));
        }
    }
    r
}

/// Questions when fixed node addresses collide with the VIP or the MetalLB range.
pub fn check_static(field: &str, k: &K3sClusterSpec, questions: &mut Vec<Question>) {
    if let IpConfig::Static { cidr, .. } = &k.ip {
        if let Some(n) = Net::parse(cidr) {
            let res = reserved(k);
            for i in 0..(k.masters + k.workers) {
                let ip = Ipv4Addr::from(u32::from(n.addr) + i);
                if res.contains(&ip) {
                    questions.push(Question {
                        field: format!("{field}.ip.cidr"),
                        question: format!("node address {ip} is the API VIP or inside the MetalLB range: start the node addresses elsewhere"),
                    });
                }
            }
        }
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn ip_of(vm: &VmInstance) -> Option<String> {
    vm.ipv4
        .as_ref()
        .map(|(cidr, _)| cidr.split('/').next().unwrap_or_default().to_string())
}

/// The inventory files for the grounded masters and workers.
pub fn inventory(
    k: &K3sClusterSpec,
    masters: &[VmInstance],
    workers: &[VmInstance],
    decisions: &mut Vec<Decision>,
) -> Vec<(String, String)> {
    let m: Vec<String> = masters.iter().filter_map(ip_of).collect();
    let w: Vec<String> = workers.iter().filter_map(ip_of).collect();
    let endpoint = k
        .api_vip
        .clone()
        .or_else(|| m.first().cloned())
        .unwrap_or_default();
    decisions.push(Decision {
        about: format!("{}.api_endpoint", k.name),
        value: endpoint.clone(),
        reason: if k.api_vip.is_some() {
            "the API VIP from the plan (kube-vip)".into()
        } else {
            "the single master's address".into()
        },
    });
    let user = k.cloud_init.user.clone().unwrap_or_else(|| "ops".into());
    let token = "{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}";
    match k.inventory {
        InventoryFlavor::TechnoTim => {
            let mut hosts = String::from("[master]\n");
            for ip in &m {
                hosts.push_str(&format!("{ip}\n"));
            }
            hosts.push_str("\n[node]\n");
            for ip in &w {
                hosts.push_str(&format!("{ip}\n"));
            }
            hosts.push_str("\n[k3s_cluster:children]\nmaster\nnode\n");
            let mut all = String::from("---\n# Generated by provisio draft. The cluster token comes from the K3S_TOKEN environment variable.\n");
            let mut kv = |k: &str, v: String| all.push_str(&format!("{k}: {v}\n"));
            kv("k3s_version", q(&k.k3s_version));
            kv("ansible_user", q(&user));
            kv("systemd_dir", q("/etc/systemd/system"));
            kv("system_timezone", q("Etc/UTC"));
            kv("flannel_iface", q("eth0"));
            kv("apiserver_endpoint", q(&endpoint));
            kv("k3s_token", q(token));
            kv(
                "k3s_node_ip",
                q("{{ ansible_facts[flannel_iface]['ipv4']['address'] }}"),
            );
            kv(
                "k3s_master_taint",
                q("{{ true if groups['node'] | default([]) | length >= 1 else false }}"),
            );
            kv(
                "extra_args",
                q("--flannel-iface={{ flannel_iface }} --node-ip={{ k3s_node_ip }}"),
            );
            kv(
                "extra_server_args",
                q("{{ extra_args }} {{ '--node-taint node-role.kubernetes.io/master=true:NoSchedule' if k3s_master_taint else '' }} --tls-san {{ apiserver_endpoint }} --disable servicelb --disable traefik"),
            );
            kv("extra_agent_args", q("{{ extra_args }}"));
            kv("kube_vip_arp", "true".into());
            if let Some(r) = &k.metallb_range {
                kv("metal_lb_type", q("native"));
                kv("metal_lb_mode", q("layer2"));
                kv("metal_lb_ip_range", q(r));
            }
            vec![
                ("inventory/hosts.ini".into(), hosts),
                ("inventory/group_vars/all.yml".into(), all),
            ]
        }
        InventoryFlavor::K3sIo => {
            let mut y = String::from("---\n# Generated by provisio draft. The cluster token comes from the K3S_TOKEN environment variable.\nk3s_cluster:\n  children:\n    server:\n      hosts:\n");
            for ip in &m {
                y.push_str(&format!("        {ip}:\n"));
            }
            if !w.is_empty() {
                y.push_str("    agent:\n      hosts:\n");
                for ip in &w {
                    y.push_str(&format!("        {ip}:\n"));
                }
            }
            y.push_str("  vars:\n    ansible_port: 22\n");
            y.push_str(&format!("    ansible_user: {}\n", q(&user)));
            y.push_str(&format!("    k3s_version: {}\n", q(&k.k3s_version)));
            y.push_str(&format!("    token: {}\n", q(token)));
            y.push_str(&format!("    api_endpoint: {}\n", q(&endpoint)));
            // k3s-io sets up neither a VIP nor MetalLB: the server certificate must still name
            // the VIP, and k3s's own service load balancer must not compete with MetalLB.
            let mut args = Vec::new();
            if let Some(vip) = &k.api_vip {
                args.push(format!("--tls-san {vip}"));
            }
            if k.metallb_range.is_some() {
                args.push("--disable servicelb".to_string());
            }
            if !args.is_empty() {
                y.push_str(&format!("    extra_server_args: {}\n", q(&args.join(" "))));
            }
            vec![("inventory.yml".into(), y)]
        }
    }
}
