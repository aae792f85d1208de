//! `cluster_state`: gather the cluster's facts in parallel (only what the view needs), derive
//! what the Analyser needs (free capacity after allocations, image-capable storages per node,
//! linked-clone possibility), then filter, page and fit the answer into its byte budget.
pub mod model;
pub mod parse;
pub mod view;
pub mod vmids;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::join_all;
use serde_json::Value;

pub use model::*;
use parse::{int, num, string, truthy};
pub use vmids::VmidSet;

use crate::client::PveClient;
use crate::error::{Error, Result};

/// What a view needs fetched.
#[derive(Debug, Clone, Copy, Default)]
struct Needs {
    storage_cfg: bool,
    nextid: bool,
    pools: bool,
    ha: bool,
    bridges: bool,
    sdn: bool,
    templates: bool,
    ceph: bool,
    /// Configs (and agent answers) of every guest, for used IPv4 addresses.
    all_guest_ips: bool,
}

fn needs(view: View) -> Needs {
    let all = Needs {
        storage_cfg: true,
        nextid: true,
        pools: true,
        ha: true,
        bridges: true,
        sdn: true,
        templates: true,
        ceph: true,
        all_guest_ips: true,
    };
    match view {
        View::Summary => Needs {
            sdn: false,
            all_guest_ips: false,
            ..all
        },
        View::Nodes | View::Storage => Needs {
            storage_cfg: true,
            ceph: view == View::Storage,
            ..Needs::default()
        },
        View::Templates => Needs {
            storage_cfg: true,
            templates: true,
            ..Needs::default()
        },
        View::Guests => Needs {
            nextid: true,
            ..Needs::default()
        },
        View::Network => Needs {
            bridges: true,
            sdn: true,
            all_guest_ips: true,
            ..Needs::default()
        },
        View::Ha => Needs {
            ha: true,
            ..Needs::default()
        },
        View::Full => all,
        // Guests (from the resources every view reads) to match Kubernetes nodes.
        View::K8s => Needs::default(),
    }
}

/// What was read from the API.
#[derive(Debug, Default)]
struct Raw {
    version: Option<String>,
    status: Vec<Value>,
    resources: Vec<Value>,
    storage_cfg: Vec<Value>,
    nextid: Option<u32>,
    pools: Vec<Value>,
    ha_groups: Vec<Value>,
    ha_resources: Vec<Value>,
    networks: Vec<(String, Vec<Value>)>,
    sdn_zones: Vec<Value>,
    vnets: Vec<Value>,
    subnets: BTreeMap<String, Vec<Value>>,
    ceph: Option<String>,
    template_cfgs: BTreeMap<u32, Value>,
    warnings: Vec<String>,
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

/// An optional part: on error, a warning instead of a failure.
fn soft(what: &str, r: Result<Value>, warnings: &mut Vec<String>) -> Option<Value> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let mut w = format!("{what}: {e}");
            if let Error::Api { hint: None, .. } = e {
            } else if let Some(h) = e.hint() {
                if !w.contains(&h) {
                    w.push_str(&format!(" (hint: {h})"));
                }
            }
            warnings.push(w);
            None
        }
    }
}

/// A guest as in /cluster/resources.
#[derive(Debug, Clone)]
struct RGuest {
    vmid: u32,
    name: String,
    kind: String,
    node: String,
    status: String,
    template: bool,
    vcpus: Option<u32>,
    maxmem: Option<u64>,
    tags: Vec<String>,
    pool: Option<String>,
    ha_state: Option<String>,
    lock: Option<String>,
}

fn guests_of(resources: &[Value]) -> Vec<RGuest> {
    let mut out: Vec<RGuest> = resources
        .iter()
        .filter(|r| matches!(r["type"].as_str(), Some("qemu" | "lxc")))
        .filter_map(|r| {
            Some(RGuest {
                vmid: int(&r["vmid"])? as u32,
                name: string(&r["name"]).unwrap_or_default(),
                kind: r["type"].as_str()?.to_string(),
                node: string(&r["node"]).unwrap_or_default(),
                status: string(&r["status"]).unwrap_or_else(|| "unknown".into()),
                template: truthy(&r["template"]),
                vcpus: int(&r["maxcpu"]).map(|x| x as u32),
                maxmem: int(&r["maxmem"]),
                tags: string(&r["tags"])
                    .map(|t| {
                        t.split([';', ',', ' '])
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                pool: string(&r["pool"]),
                ha_state: string(&r["hastate"]),
                lock: string(&r["lock"]),
            })
        })
        .collect();
    out.sort_by_key(|g| g.vmid);
    out
}

/// The IPv4 addresses of a guest from its config (cloud-init ipconfigN or LXC netN).
fn config_ips(kind: &str, cfg: &Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(m) = cfg.as_object() {
        for (k, v) in m {
            let Some(s) = v.as_str() else { continue };
            let key_base = k.trim_end_matches(|c: char| c.is_ascii_digit());
            if kind == "qemu" && key_base == "ipconfig" {
                if let Some(ip) = parse::static_ipv4(s) {
                    out.push((ip, "cloud-init"));
                }
            } else if kind == "lxc" && key_base == "net" {
                if let Some(ip) = parse::static_ipv4(s) {
                    out.push((ip, "lxc"));
                }
            }
        }
    }
    out
}

fn agent_ips(v: &Value) -> Vec<String> {
    let ifaces = v.get("result").cloned().unwrap_or_else(|| v.clone());
    let mut out = Vec::new();
    for i in list(ifaces) {
        for a in i["ip-addresses"].as_array().cloned().unwrap_or_default() {
            if a["ip-address-type"].as_str() == Some("ipv4") {
                if let Some(ip) = a["ip-address"].as_str() {
                    if !ip.starts_with("127.") {
                        out.push(ip.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Read the IPv4 addresses of these guests: config first, then the guest agent for running
/// VMs that have it enabled. At most 16 requests in flight.
async fn guest_ips(
    client: &PveClient,
    guests: &[RGuest],
    offline: &BTreeSet<String>,
) -> (BTreeMap<u32, Vec<(String, String)>>, Vec<String>) {
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let futs = guests
        .iter()
        .filter(|g| !offline.contains(&g.node))
        .map(|g| {
            let sem = sem.clone();
            async move {
                let _p = sem.acquire().await;
                let path = format!("/nodes/{}/{}/{}/config", g.node, g.kind, g.vmid);
                let cfg = client.call(&crate::ApiRequest::get(path)).await;
                let mut ips: Vec<(String, String)> = Vec::new();
                let mut warn = None;
                match cfg {
                    Ok(cfg) => {
                        ips.extend(
                            config_ips(&g.kind, &cfg)
                                .into_iter()
                                .map(|(ip, s)| (ip, s.to_string())),
                        );
                        if g.kind == "qemu"
                            && g.status == "running"
                            && parse::agent_enabled(&cfg["agent"])
                        {
                            let path = format!(
                                "/nodes/{}/qemu/{}/agent/network-get-interfaces",
                                g.node, g.vmid
                            );
                            if let Ok(v) = client.call(&crate::ApiRequest::get(path)).await {
                                for ip in agent_ips(&v) {
                                    if !ips.iter().any(|(i, _)| *i == ip) {
                                        ips.push((ip, "agent".into()));
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => warn = Some(format!("config of {} {}: {e}", g.kind, g.vmid)),
                }
                (g.vmid, ips, warn)
            }
        });
    let mut map = BTreeMap::new();
    let mut warnings = Vec::new();
    for (vmid, ips, w) in join_all(futs).await {
        map.insert(vmid, ips);
        warnings.extend(w);
    }
    if warnings.len() > 3 {
        let n = warnings.len();
        warnings.truncate(3);
        warnings.push(format!(
            "... and {} more guest configs could not be read",
            n - 3
        ));
    }
    (map, warnings)
}

async fn gather(client: &PveClient, n: Needs) -> Result<Raw> {
    let get = |p: &'static str| async move { client.call(&crate::ApiRequest::get(p)).await };
    let maybe = |on: bool, p: &'static str| async move {
        if on {
            Some(client.call(&crate::ApiRequest::get(p)).await)
        } else {
            None
        }
    };
    let (version, status, resources, storage_cfg, nextid, pools, ha_groups, ha_res, zones, vnets) = tokio::join!(
        get("/version"),
        get("/cluster/status"),
        get("/cluster/resources"),
        maybe(n.storage_cfg || n.templates, "/storage"),
        maybe(n.nextid, "/cluster/nextid"),
        maybe(n.pools, "/pools"),
        maybe(n.ha, "/cluster/ha/groups"),
        maybe(n.ha, "/cluster/ha/resources"),
        maybe(n.sdn, "/cluster/sdn/zones"),
        maybe(n.sdn, "/cluster/sdn/vnets"),
    );
    let mut raw = Raw::default();
    let w = &mut raw.warnings;
    // The resources list is the backbone: without it there is no answer.
    raw.resources = list(resources?);
    raw.status = soft("cluster status", status, w)
        .map(list)
        .unwrap_or_default();
    raw.version = soft("version", version, w).and_then(|v| string(&v["version"]));
    raw.storage_cfg = storage_cfg
        .and_then(|r| soft("storage config", r, w))
        .map(list)
        .unwrap_or_default();
    raw.nextid = nextid
        .and_then(|r| soft("next VMID", r, w))
        .and_then(|v| int(&v))
        .map(|x| x as u32);
    raw.pools = pools
        .and_then(|r| soft("pools", r, w))
        .map(list)
        .unwrap_or_default();
    // PVE 9 replaced HA groups by rules; a missing endpoint is not a problem.
    raw.ha_groups = match ha_groups {
        Some(Err(Error::Api {
            status: 404 | 501, ..
        }))
        | None => Vec::new(),
        Some(r) => soft("HA groups", r, w).map(list).unwrap_or_default(),
    };
    raw.ha_resources = ha_res
        .and_then(|r| soft("HA resources", r, w))
        .map(list)
        .unwrap_or_default();
    raw.sdn_zones = zones
        .and_then(|r| soft("SDN zones", r, w))
        .map(list)
        .unwrap_or_default();
    raw.vnets = vnets
        .and_then(|r| soft("SDN vnets", r, w))
        .map(list)
        .unwrap_or_default();

    // Second stage: what depends on the first.
    let nodes = node_names(&raw);
    let online: Vec<String> = nodes
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n.clone())
        .collect();
    for (name, on) in &nodes {
        if !on {
            raw.warnings.push(format!(
                "node {name} is offline: its guests show status `unknown`{}",
                if n.bridges || n.all_guest_ips {
                    "; its network and guest configs were not read"
                } else {
                    ""
                }
            ));
        }
    }
    let nets = join_all(online.iter().filter(|_| n.bridges).map(|node| async move {
        let r = client
            .call(&crate::ApiRequest::get(format!("/nodes/{node}/network")))
            .await;
        (node.clone(), r)
    }));
    let templates: Vec<RGuest> = if n.templates {
        guests_of(&raw.resources)
            .into_iter()
            .filter(|g| g.template && g.kind == "qemu" && online.contains(&g.node))
            .collect()
    } else {
        Vec::new()
    };
    let tcfgs = join_all(templates.iter().map(|t| async move {
        let r = client
            .call(&crate::ApiRequest::get(format!(
                "/nodes/{}/qemu/{}/config",
                t.node, t.vmid
            )))
            .await;
        (t.vmid, r)
    }));
    let vnet_names: Vec<String> = raw
        .vnets
        .iter()
        .filter_map(|v| string(&v["vnet"]))
        .collect();
    let subnets = join_all(vnet_names.iter().map(|v| async move {
        let r = client
            .call(&crate::ApiRequest::get(format!(
                "/cluster/sdn/vnets/{v}/subnets"
            )))
            .await;
        (v.clone(), r)
    }));
    let has_ceph = raw.resources.iter().chain(raw.storage_cfg.iter()).any(|s| {
        matches!(
            s["plugintype"].as_str().or(s["type"].as_str()),
            Some("rbd" | "cephfs")
        )
    });
    let ceph = async {
        if n.ceph && has_ceph {
            Some(get("/cluster/ceph/status").await)
        } else {
            None
        }
    };
    let (nets, tcfgs, subnets, ceph) = tokio::join!(nets, tcfgs, subnets, ceph);
    for (node, r) in nets {
        if let Some(v) = soft(&format!("network of node {node}"), r, &mut raw.warnings) {
            raw.networks.push((node, list(v)));
        }
    }
    for (vmid, r) in tcfgs {
        if let Some(v) = soft(&format!("config of template {vmid}"), r, &mut raw.warnings) {
            raw.template_cfgs.insert(vmid, v);
        }
    }
    for (vnet, r) in subnets {
        match r {
            Ok(v) => {
                raw.subnets.insert(vnet, list(v));
            }
            Err(Error::Api {
                status: 404 | 501, ..
            }) => {}
            Err(e) => raw.warnings.push(format!("subnets of vnet {vnet}: {e}")),
        }
    }
    raw.ceph = match ceph {
        Some(Ok(v)) => {
            string(&v["health"]["status"]).or_else(|| string(&v["health"]["overall_status"]))
        }
        Some(Err(e)) => Some(format!("unreachable: {}", first_line(&e.to_string()))),
        None => None,
    };
    Ok(raw)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(160).collect()
}

/// Node names and whether each is online, from cluster status and resources.
fn node_names(raw: &Raw) -> Vec<(String, bool)> {
    let mut m: BTreeMap<String, bool> = BTreeMap::new();
    for s in &raw.status {
        if s["type"].as_str() == Some("node") {
            if let Some(n) = string(&s["name"]) {
                m.insert(n, truthy(&s["online"]));
            }
        }
    }
    for r in &raw.resources {
        if r["type"].as_str() == Some("node") {
            if let Some(n) = string(&r["node"]) {
                let on = r["status"].as_str() == Some("online");
                m.entry(n).and_modify(|o| *o = *o && on).or_insert(on);
            }
        }
    }
    m.into_iter().collect()
}

fn health(raw: &Raw) -> Health {
    let nodes = node_names(raw);
    let cluster = raw
        .status
        .iter()
        .find(|s| s["type"].as_str() == Some("cluster"));
    Health {
        name: cluster.and_then(|c| string(&c["name"])),
        // A standalone node has no cluster entry and is always quorate.
        quorate: cluster.map(|c| truthy(&c["quorate"])).unwrap_or(true),
        nodes_total: nodes.len() as u32,
        nodes_online: nodes.iter().filter(|(_, on)| *on).count() as u32,
        pve_version: raw.version.clone(),
    }
}

fn storages(raw: &Raw, detailed: bool) -> Vec<Storage> {
    let cfg: BTreeMap<String, &Value> = raw
        .storage_cfg
        .iter()
        .filter_map(|s| Some((string(&s["storage"])?, s)))
        .collect();
    let mut by: BTreeMap<String, Storage> = BTreeMap::new();
    for r in raw
        .resources
        .iter()
        .filter(|r| r["type"].as_str() == Some("storage"))
    {
        let Some(name) = string(&r["storage"]) else {
            continue;
        };
        let c = cfg.get(&name);
        let content: Vec<String> = string(&r["content"])
            .or_else(|| c.and_then(|c| string(&c["content"])))
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let e = by.entry(name.clone()).or_insert_with(|| Storage {
            name: name.clone(),
            kind: string(&r["plugintype"])
                .or_else(|| c.and_then(|c| string(&c["type"])))
                .unwrap_or_default(),
            shared: truthy(&r["shared"]) || c.is_some_and(|c| truthy(&c["shared"])),
            images: content.iter().any(|x| x == "images"),
            content,
            per_node: Some(Vec::new()),
            ..Default::default()
        });
        let total = int(&r["maxdisk"]).unwrap_or(0);
        let used = int(&r["disk"]).unwrap_or(0);
        let active = r["status"].as_str() == Some("available");
        let node = string(&r["node"]).unwrap_or_default();
        if active {
            e.nodes.push(node.clone());
        }
        if let Some(p) = e.per_node.as_mut() {
            p.push(StorageOnNode {
                node,
                active,
                total_gib: parse::gib(total),
                avail_gib: parse::gib(total.saturating_sub(used)),
            });
        }
    }
    // Configured storages PVE reported nowhere (disabled, or restricted to offline nodes).
    for (name, c) in &cfg {
        by.entry(name.clone()).or_insert_with(|| {
            let content: Vec<String> = string(&c["content"])
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            Storage {
                name: name.clone(),
                kind: string(&c["type"]).unwrap_or_default(),
                shared: truthy(&c["shared"]),
                images: content.iter().any(|x| x == "images"),
                content,
                per_node: Some(Vec::new()),
                ..Default::default()
            }
        });
    }
    by.into_values()
        .map(|mut s| {
            let active: Vec<&StorageOnNode> =
                s.per_node.iter().flatten().filter(|p| p.active).collect();
            if !active.is_empty() {
                let pick = active
                    .iter()
                    .min_by(|a, b| a.avail_gib.total_cmp(&b.avail_gib))
                    .copied();
                s.avail_gib = pick.map(|p| p.avail_gib);
                s.total_gib = pick.map(|p| p.total_gib);
            }
            if !detailed || s.shared {
                s.per_node = None;
            }
            if !detailed {
                s.total_gib = None;
            }
            s
        })
        .collect()
}

fn nodes(raw: &Raw, guests: &[RGuest], stores: &[Storage], detailed: bool) -> Vec<Node> {
    let names = node_names(raw);
    names
        .into_iter()
        .map(|(name, online)| {
            let r = raw
                .resources
                .iter()
                .find(|r| r["type"].as_str() == Some("node") && r["node"].as_str() == Some(&name));
            let on_node: Vec<&RGuest> = guests
                .iter()
                .filter(|g| g.node == name && !g.template)
                .collect();
            let running: Vec<&&RGuest> = on_node.iter().filter(|g| g.status == "running").collect();
            let vcpus: u32 = running.iter().filter_map(|g| g.vcpus).sum();
            let mem_alloc: u64 = running.iter().filter_map(|g| g.maxmem).sum::<u64>();
            let mem_all: u64 = on_node.iter().filter_map(|g| g.maxmem).sum::<u64>();
            let cpus = r
                .and_then(|r| int(&r["maxcpu"]))
                .map(|x| x as u32)
                .filter(|x| *x > 0);
            let mem_total = r.and_then(|r| int(&r["maxmem"])).filter(|x| *x > 0);
            let round2 = |x: f64| (x * 100.0).round() / 100.0;
            Node {
                cpus,
                cpu_load: if detailed {
                    r.and_then(|r| num(&r["cpu"])).map(round2)
                } else {
                    None
                },
                vcpus_allocated: vcpus,
                cpu_overcommit: if detailed {
                    cpus.map(|c| round2(vcpus as f64 / c as f64))
                } else {
                    None
                },
                mem_total_mib: mem_total.map(parse::mib),
                mem_used_mib: if detailed {
                    r.and_then(|r| int(&r["mem"])).map(parse::mib)
                } else {
                    None
                },
                mem_allocated_mib: parse::mib(mem_alloc),
                mem_allocated_all_mib: detailed.then_some(parse::mib(mem_all)),
                mem_free_mib: mem_total
                    .map(|t| parse::mib(t) as i64 - parse::mib(mem_alloc) as i64),
                mem_overcommit: if detailed {
                    mem_total.map(|t| round2(mem_alloc as f64 / t as f64))
                } else {
                    None
                },
                rootfs_total_gib: if detailed {
                    r.and_then(|r| int(&r["maxdisk"])).map(parse::gib)
                } else {
                    None
                },
                rootfs_used_gib: if detailed {
                    r.and_then(|r| int(&r["disk"])).map(parse::gib)
                } else {
                    None
                },
                guests_running: running.len() as u32,
                guests_total: on_node.len() as u32,
                image_storages: stores
                    .iter()
                    .filter(|s| s.images && s.nodes.contains(&name))
                    .map(|s| s.name.clone())
                    .collect(),
                online,
                name,
            }
        })
        .collect()
}

fn templates(raw: &Raw, guests: &[RGuest], stores: &[Storage]) -> Vec<Template> {
    let shared: BTreeSet<&str> = stores
        .iter()
        .filter(|s| s.shared)
        .map(|s| s.name.as_str())
        .collect();
    guests
        .iter()
        .filter(|g| g.template && g.kind == "qemu")
        .map(|g| {
            let cfg = raw.template_cfgs.get(&g.vmid);
            let mut t = Template {
                vmid: g.vmid,
                name: g.name.clone(),
                node: g.node.clone(),
                cores: g.vcpus,
                memory_mib: g.maxmem.map(parse::mib),
                ..Default::default()
            };
            if let Some(cfg) = cfg.and_then(|c| c.as_object()) {
                t.ostype = cfg.get("ostype").and_then(string);
                t.agent = cfg.get("agent").is_some_and(parse::agent_enabled);
                let cores = cfg.get("cores").and_then(int).unwrap_or(1);
                let sockets = cfg.get("sockets").and_then(int).unwrap_or(1);
                t.cores = Some((cores * sockets) as u32);
                t.memory_mib = cfg
                    .get("memory")
                    .and_then(string)
                    .and_then(|m| m.rsplit('=').next().and_then(|x| x.parse().ok()))
                    .or(t.memory_mib);
                for (k, v) in cfg {
                    let Some(s) = v.as_str() else { continue };
                    if parse::is_disk_key(k) {
                        if let Some((storage, size, ci, cdrom)) = parse::disk(s) {
                            if ci {
                                t.cloud_init = true;
                            } else if !cdrom {
                                t.disks.push(Disk {
                                    key: k.clone(),
                                    shared: shared.contains(storage.as_str()),
                                    storage,
                                    size_gib: size,
                                });
                            }
                        }
                    } else if k.starts_with("net") && k[3..].chars().all(|c| c.is_ascii_digit()) {
                        if let Some(b) = parse::bridge(s) {
                            if !t.bridges.contains(&b) {
                                t.bridges.push(b);
                            }
                        }
                    }
                }
                t.disks.sort_by(|a, b| a.key.cmp(&b.key));
                t.linked_clone_any_node = !t.disks.is_empty() && t.disks.iter().all(|d| d.shared);
            }
            t
        })
        .collect()
}

fn network(raw: &Raw, with_sdn: bool, detailed: bool) -> Network {
    let mut bridges: BTreeMap<String, Bridge> = BTreeMap::new();
    for (node, ifaces) in &raw.networks {
        for i in ifaces {
            if !matches!(i["type"].as_str(), Some("bridge" | "OVSBridge")) {
                continue;
            }
            let Some(name) = string(&i["iface"]) else {
                continue;
            };
            let b = bridges.entry(name.clone()).or_insert_with(|| Bridge {
                name,
                ..Default::default()
            });
            b.nodes.push(node.clone());
            b.vlan_aware |= truthy(&i["bridge_vlan_aware"]);
            if detailed {
                if let Some(c) = string(&i["cidr"]) {
                    b.cidrs.push(format!("{node}={c}"));
                }
                if let Some(g) = string(&i["gateway"]) {
                    if !b.gateways.contains(&g) {
                        b.gateways.push(g);
                    }
                }
            }
        }
    }
    let mut net = Network {
        bridges: bridges.into_values().collect(),
        ..Default::default()
    };
    if with_sdn {
        net.sdn_zones = raw
            .sdn_zones
            .iter()
            .filter_map(|z| {
                Some(SdnZone {
                    zone: string(&z["zone"])?,
                    kind: string(&z["type"]).unwrap_or_default(),
                })
            })
            .collect();
        net.vnets = raw
            .vnets
            .iter()
            .filter_map(|v| {
                let vnet = string(&v["vnet"])?;
                let subnets = raw
                    .subnets
                    .get(&vnet)
                    .map(|s| {
                        s.iter()
                            .filter_map(|s| {
                                Some(Subnet {
                                    cidr: string(&s["cidr"]).or_else(|| {
                                        string(&s["subnet"]).map(|x| {
                                            // "zone-10.0.0.0-24" -> "10.0.0.0/24"
                                            let parts: Vec<&str> = x.rsplitn(3, '-').collect();
                                            if parts.len() == 3 {
                                                format!("{}/{}", parts[1], parts[0])
                                            } else {
                                                x
                                            }
                                        })
                                    })?,
                                    gateway: string(&s["gateway"]),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Vnet {
                    zone: string(&v["zone"]).unwrap_or_default(),
                    tag: int(&v["tag"]).map(|x| x as u32),
                    vnet,
                    subnets,
                })
            })
            .collect();
    }
    net
}

fn ha(raw: &Raw) -> Ha {
    Ha {
        groups: raw
            .ha_groups
            .iter()
            .filter_map(|g| {
                Some(HaGroup {
                    group: string(&g["group"])?,
                    nodes: string(&g["nodes"]),
                })
            })
            .collect(),
        resources: raw
            .ha_resources
            .iter()
            .filter_map(|r| {
                Some(HaResource {
                    sid: string(&r["sid"])?,
                    state: string(&r["state"]),
                    group: string(&r["group"]),
                })
            })
            .collect(),
    }
}

fn to_guest(g: &RGuest) -> Guest {
    Guest {
        vmid: g.vmid,
        name: g.name.clone(),
        kind: g.kind.clone(),
        node: g.node.clone(),
        status: g.status.clone(),
        vcpus: g.vcpus,
        memory_mib: g.maxmem.map(parse::mib),
        tags: g.tags.clone(),
        pool: g.pool.clone(),
        ha_state: g.ha_state.clone(),
        lock: g.lock.clone(),
        ipv4: Vec::new(),
    }
}

/// Check the guest filters and compile the name pattern.
fn guest_filter(req: &ClusterStateRequest) -> Result<impl Fn(&RGuest) -> bool + '_> {
    let pattern = match &req.name {
        Some(p) => Some(
            globset::GlobBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| {
                    Error::invalid(
                        "name",
                        format!("`{p}` is not a glob pattern: {e}; use e.g. `worker-*`"),
                    )
                })?
                .compile_matcher(),
        ),
        None => None,
    };
    if let Some(s) = &req.status {
        if !matches!(s.as_str(), "running" | "stopped" | "paused" | "unknown") {
            return Err(Error::invalid(
                "status",
                format!("`{s}` is not one of running, stopped, paused, unknown"),
            ));
        }
    }
    Ok(move |g: &RGuest| {
        !g.template
            && req.node.as_ref().is_none_or(|n| g.node == *n)
            && req.status.as_ref().is_none_or(|s| g.status == *s)
            && req
                .tag
                .as_ref()
                .is_none_or(|t| g.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            && pattern.as_ref().is_none_or(|p| p.is_match(&g.name))
    })
}

pub const MAX_LIMIT: u32 = 500;

fn parse_cursor(c: &Option<String>) -> Result<u32> {
    match c {
        None => Ok(0),
        Some(s) => s
            .strip_prefix("o:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Error::invalid("cursor", format!("`{s}` is not a cursor from a previous answer (they look like `o:50`); omit it to start at the first page"))),
    }
}

/// Content types whose files manifests reference by volume ID (`cephfs:snippets/x.yml`).
const FILE_CONTENT: [&str; 4] = ["iso", "snippets", "vztmpl", "import"];
const MAX_FILES: usize = 100;

/// The files of each storage that holds ISO images, snippets, container templates or import
/// sources, read on one node where it is active. A storage that cannot be read keeps `files`
/// unset and adds a warning.
async fn storage_files(client: &PveClient, stores: &mut [Storage], warnings: &mut Vec<String>) {
    let futs = stores.iter().enumerate().filter_map(|(i, s)| {
        let wanted = s.content.iter().any(|c| FILE_CONTENT.contains(&c.as_str()));
        let node = s.nodes.first()?.clone();
        wanted.then(|| {
            let path = format!("/nodes/{node}/storage/{}/content", s.name);
            async move { (i, client.call(&crate::ApiRequest::get(path)).await) }
        })
    });
    for (i, r) in join_all(futs).await {
        let s = &mut stores[i];
        match r {
            Ok(v) => {
                let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for item in list(v) {
                    let Some(content) = string(&item["content"]) else {
                        continue;
                    };
                    if !FILE_CONTENT.contains(&content.as_str()) {
                        continue;
                    }
                    let Some(volid) = string(&item["volid"]) else {
                        continue;
                    };
                    if let Some(name) = parse::volume_file(&volid) {
                        files.entry(content).or_default().push(name);
                    }
                }
                // Every type the storage may hold is listed, an empty one included.
                for c in s
                    .content
                    .iter()
                    .filter(|c| FILE_CONTENT.contains(&c.as_str()))
                {
                    files.entry(c.clone()).or_default();
                }
                for names in files.values_mut() {
                    names.sort();
                    names.dedup();
                }
                // A partial list would make every file past the cut look missing: a type
                // with more files than that is left out (unknown, so not judged).
                files.retain(|_, names| names.len() <= MAX_FILES);
                s.files = Some(files);
            }
            Err(e) => warnings.push(format!("files of storage {}: {e}", s.name)),
        }
    }
}

/// Read the cluster and answer a `cluster_state` request.
pub async fn cluster_state(client: &PveClient, req: &ClusterStateRequest) -> Result<ClusterState> {
    let limit = req.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::invalid(
            "limit",
            format!("{limit} is out of range: use 1..={MAX_LIMIT}"),
        ));
    }
    let max_bytes = req.max_bytes.unwrap_or(if req.view == View::Summary {
        8192
    } else {
        24576
    });
    if !(1024..=262144).contains(&max_bytes) {
        return Err(Error::invalid(
            "max_bytes",
            format!("{max_bytes} is out of range: use 1024..=262144"),
        ));
    }
    let offset = parse_cursor(&req.cursor)?;
    let filter = guest_filter(req)?;
    let view = req.view;
    let n = needs(view);
    // The k8s view does not need Proxmox: without it, nodes are not matched to guests.
    let (raw, pve_ok) = match gather(client, n).await {
        Ok(r) => (r, true),
        Err(e) if view == View::K8s => {
            let mut r = Raw::default();
            r.warnings.push(format!(
                "Proxmox not read, so Kubernetes nodes are not matched to guests: {e}"
            ));
            (r, false)
        }
        Err(e) => return Err(e),
    };
    let cluster = client.cluster();
    let mut out = ClusterState {
        cluster: cluster.name.clone(),
        endpoint: cluster.url.clone(),
        tls: cluster.tls.describe(),
        view,
        health: health(&raw),
        warnings: raw.warnings.clone(),
        ..Default::default()
    };
    if pve_ok && !out.health.quorate {
        out.warnings.insert(0, "the cluster has NO QUORUM: configuration changes and VM actions will fail until it returns".into());
    }
    let guests = guests_of(&raw.resources);
    let detailed = view != View::Summary;
    let stores = storages(&raw, detailed);
    let offline: BTreeSet<String> = node_names(&raw)
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(n, _)| n)
        .collect();

    if matches!(view, View::Summary | View::Nodes | View::Full) {
        out.nodes = Some(nodes(&raw, &guests, &stores, detailed));
    }
    if matches!(view, View::Summary | View::Storage | View::Full) {
        let mut listed = stores.clone();
        if view != View::Summary {
            storage_files(client, &mut listed, &mut out.warnings).await;
        }
        out.storages = Some(listed);
    }
    if matches!(view, View::Summary | View::Templates | View::Full) {
        let mut t = templates(&raw, &guests, &stores);
        if view == View::Summary {
            for t in &mut t {
                t.disks
                    .retain(|d| d.key != "efidisk0" && d.key != "tpmstate0");
            }
        }
        out.templates = Some(t);
    }
    if matches!(view, View::Summary | View::Guests | View::Full) {
        let real: Vec<&RGuest> = guests.iter().filter(|g| !g.template).collect();
        out.guest_counts = Some(GuestCounts {
            vms: real.iter().filter(|g| g.kind == "qemu").count() as u32,
            containers: real.iter().filter(|g| g.kind == "lxc").count() as u32,
            running: real.iter().filter(|g| g.status == "running").count() as u32,
            stopped: real.iter().filter(|g| g.status == "stopped").count() as u32,
            templates: guests.iter().filter(|g| g.template).count() as u32,
        });
        let ids: Vec<u32> = guests.iter().map(|g| g.vmid).collect();
        out.used_vmids = Some(ids.iter().copied().collect());
        out.next_vmid = next_vmid(raw.nextid, &ids, &mut out.warnings);
    }
    if matches!(view, View::Guests | View::Full) {
        let matching: Vec<&RGuest> = guests.iter().filter(|g| filter(g)).collect();
        let total = matching.len() as u32;
        let page: Vec<RGuest> = matching
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect();
        let (ips, w) = guest_ips(client, &page, &offline).await;
        out.warnings.extend(w);
        let list: Vec<Guest> = page
            .iter()
            .map(|g| {
                let mut x = to_guest(g);
                x.ipv4 = ips
                    .get(&g.vmid)
                    .map(|v| v.iter().map(|(ip, _)| ip.clone()).collect())
                    .unwrap_or_default();
                x
            })
            .collect();
        let returned = list.len() as u32;
        out.page = Some(Page {
            list: "guests".into(),
            total,
            offset,
            returned,
            next_cursor: (offset + returned < total).then(|| format!("o:{}", offset + returned)),
        });
        out.guests = Some(list);
    }
    if matches!(view, View::Summary | View::Network | View::Full) {
        out.network = Some(network(&raw, view != View::Summary, detailed));
    }
    if n.all_guest_ips {
        let scope: Vec<RGuest> = guests.iter().filter(|g| !g.template).cloned().collect();
        let (ips, w) = guest_ips(client, &scope, &offline).await;
        out.warnings.extend(w);
        let names: BTreeMap<u32, &str> = guests.iter().map(|g| (g.vmid, g.name.as_str())).collect();
        let mut all: Vec<IpUse> = ips
            .into_iter()
            .flat_map(|(vmid, v)| {
                let name = names.get(&vmid).copied().unwrap_or("").to_string();
                v.into_iter().map(move |(ip, source)| IpUse {
                    ip,
                    vmid,
                    name: name.clone(),
                    source,
                })
            })
            .collect();
        all.sort_by_key(|u| {
            u.ip.parse::<std::net::Ipv4Addr>()
                .map(u32::from)
                .unwrap_or(0)
        });
        if view == View::Network {
            let (items, page) = page_of(all, "used_ipv4", offset, limit);
            out.page = Some(page);
            out.used_ipv4 = Some(items);
        } else {
            out.used_ipv4 = Some(all);
        }
    }
    if n.ha {
        let h = ha(&raw);
        if view == View::Summary {
            // Summary: counts only, as resources list entries would be long.
            out.ha = Some(Ha {
                groups: h.groups,
                resources: Vec::new(),
            });
            let ha_count = h.resources.len();
            if ha_count > 0 {
                out.truncated.push(format!("ha.resources: {ha_count} HA resources not listed in the summary (view `ha` lists them)"));
            }
        } else {
            out.ha = Some(h);
        }
    }
    if n.pools {
        let mut members: BTreeMap<&str, u32> = BTreeMap::new();
        for g in &guests {
            if let Some(p) = &g.pool {
                *members.entry(p.as_str()).or_default() += 1;
            }
        }
        out.pools = Some(
            raw.pools
                .iter()
                .filter_map(|p| {
                    let name = string(&p["poolid"])?;
                    Some(Pool {
                        guests: members.get(name.as_str()).copied().unwrap_or(0),
                        comment: string(&p["comment"]).filter(|c| !c.is_empty()),
                        name,
                    })
                })
                .collect(),
        );
    }
    if n.ceph {
        out.ceph = raw.ceph.clone();
    }
    // The k3s layer: always in the k8s view (kubeconfig from the cluster's config, else
    // KUBECONFIG or ~/.kube/config); in summary and full when the cluster names a kubeconfig.
    let target = match (view, &cluster.kube) {
        (View::K8s, t) => Some(t.clone().unwrap_or_default()),
        (View::Summary | View::Full, Some(t)) => Some(t.clone()),
        _ => None,
    };
    if let Some(t) = target {
        match read_k8s(client, &t, &guests, &offline).await {
            Ok((mut k, warnings)) => {
                out.warnings
                    .extend(warnings.into_iter().map(|w| format!("kubernetes: {w}")));
                if let Some(lbs) = k.load_balancers.take_if(|_| view == View::K8s) {
                    let (items, page) = page_of(lbs, "k8s.load_balancers", offset, limit);
                    out.page = Some(page);
                    k.load_balancers = Some(items);
                }
                out.k8s = Some(k);
            }
            Err(e) if view == View::K8s => return Err(e),
            Err(e) => out.warnings.push(format!(
                "kubernetes: {e}{}",
                e.hint().map(|h| format!(" (fix: {h})")).unwrap_or_default()
            )),
        }
    }
    view::fit(&mut out, max_bytes)?;
    Ok(out)
}

/// One page of a list (`limit` items from `offset`) and its `page` record.
fn page_of<T>(all: Vec<T>, list: &str, offset: u32, limit: u32) -> (Vec<T>, Page) {
    let total = all.len() as u32;
    let items: Vec<T> = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let returned = items.len() as u32;
    let page = Page {
        list: list.into(),
        total,
        offset,
        returned,
        next_cursor: (offset + returned < total).then(|| format!("o:{}", offset + returned)),
    };
    (items, page)
}

/// Read the Kubernetes API and match its nodes to Proxmox guests: by name, else (for the
/// nodes left) by the node's InternalIP among the guests' addresses.
async fn read_k8s(
    client: &PveClient,
    target: &provisio_k8s::Target,
    guests: &[RGuest],
    offline: &BTreeSet<String>,
) -> Result<(provisio_k8s::K8sState, Vec<String>)> {
    let conn = provisio_k8s::connect(target).await?;
    let (mut k, mut warnings) = provisio_k8s::read(&conn).await?;
    let real: Vec<&RGuest> = guests.iter().filter(|g| !g.template).collect();
    let matched = |g: &RGuest, by: &str| provisio_k8s::GuestMatch {
        vmid: g.vmid,
        name: g.name.clone(),
        node: g.node.clone(),
        matched_by: by.into(),
    };
    for n in &mut k.nodes {
        if let Some(g) = real.iter().find(|g| g.name == n.name) {
            n.guest = Some(matched(g, "name"));
        }
    }
    if k.nodes
        .iter()
        .any(|n| n.guest.is_none() && n.internal_ip.is_some())
        && !real.is_empty()
    {
        let scope: Vec<RGuest> = real.iter().map(|g| (*g).clone()).collect();
        let (ips, w) = guest_ips(client, &scope, offline).await;
        warnings.extend(w);
        for n in &mut k.nodes {
            let Some(ip) = n.internal_ip.clone().filter(|_| n.guest.is_none()) else {
                continue;
            };
            if let Some((vmid, _)) = ips.iter().find(|(_, v)| v.iter().any(|(a, _)| *a == ip)) {
                if let Some(g) = real.iter().find(|g| g.vmid == *vmid) {
                    n.guest = Some(matched(g, "address"));
                }
            }
        }
    }
    Ok((k, warnings))
}

/// PVE's next free VMID, unless it is taken (then the smallest free one above it).
fn next_vmid(api: Option<u32>, used: &[u32], warnings: &mut Vec<String>) -> Option<u32> {
    let used: BTreeSet<u32> = used.iter().copied().collect();
    let mut id = api.unwrap_or(100).max(100);
    let start = id;
    while used.contains(&id) {
        id += 1;
    }
    if api.is_some() && id != start {
        warnings.push(format!(
            "PVE's /cluster/nextid said {start}, which is in use; {id} is the next free VMID"
        ));
    }
    Some(id)
}
