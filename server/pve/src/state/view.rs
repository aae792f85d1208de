//! Fitting an answer into its byte budget, and the compact text rendering.
use super::model::*;
use crate::error::{Error, Result};

/// Size of the JSON answer in bytes.
pub fn size(s: &ClusterState) -> usize {
    serde_json::to_vec(s).map(|v| v.len()).unwrap_or(usize::MAX)
}

fn note(s: &mut ClusterState, label: &str, text: String) {
    let prefix = format!("{label}:");
    s.truncated.retain(|t| !t.starts_with(&prefix));
    s.truncated.push(format!("{prefix} {text}"));
}

/// Cut the paged list to the longest prefix that fits; moves `next_cursor` accordingly.
fn fit_page<T: Clone>(
    s: &mut ClusterState,
    max: usize,
    get: fn(&mut ClusterState) -> Option<&mut Vec<T>>,
) {
    let Some(full) = get(s).map(|v| v.clone()) else {
        return;
    };
    let Some(page) = s.page.clone() else { return };
    let set = |s: &mut ClusterState, k: usize| {
        if let Some(v) = get(s) {
            *v = full[..k].to_vec();
        }
        if let Some(p) = s.page.as_mut() {
            p.returned = k as u32;
            p.next_cursor = (page.offset + (k as u32) < page.total)
                .then(|| format!("o:{}", page.offset + k as u32));
        }
        note(
            s,
            &page.list,
            format!(
                "returned {k} of the {} requested items to stay within max_bytes; continue with the cursor `o:{}`",
                full.len(),
                page.offset + k as u32
            ),
        );
    };
    // Largest k in 1..len that fits (if even 1 does not fit, other sections must shrink too).
    let (mut lo, mut hi) = (1usize, full.len().saturating_sub(1));
    let mut best = 1;
    while lo <= hi && hi > 0 {
        let mid = (lo + hi) / 2;
        set(s, mid);
        if size(s) <= max {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    set(s, best.min(full.len()));
}

/// Halve a secondary list until the answer fits (or the list is empty).
fn shrink<T>(
    s: &mut ClusterState,
    max: usize,
    label: &str,
    get: fn(&mut ClusterState) -> Option<&mut Vec<T>>,
) {
    let total = match get(s) {
        Some(v) => v.len(),
        None => return,
    };
    while size(s) > max {
        let Some(v) = get(s) else { return };
        if v.is_empty() {
            return;
        }
        let keep = if v.len() <= 4 {
            v.len() - 1
        } else {
            v.len() / 2
        };
        v.truncate(keep);
        note(s, label, format!("kept {keep} of {total} to stay within max_bytes; ask for a narrower view or a larger max_bytes"));
    }
}

/// Make the answer fit `max_bytes`: first the paged list, then other lists, largest first.
pub fn fit(s: &mut ClusterState, max_bytes: u32) -> Result<()> {
    let max = max_bytes as usize;
    if size(s) <= max {
        return Ok(());
    }
    match s.page.as_ref().map(|p| p.list.as_str()) {
        Some("guests") => fit_page(s, max, |s| s.guests.as_mut()),
        Some("used_ipv4") => fit_page(s, max, |s| s.used_ipv4.as_mut()),
        Some("k8s.load_balancers") => fit_page(s, max, |s| {
            s.k8s.as_mut().and_then(|k| k.load_balancers.as_mut())
        }),
        _ => {}
    }
    shrink(s, max, "used_ipv4", |s| s.used_ipv4.as_mut());
    shrink(s, max, "guests", |s| s.guests.as_mut());
    shrink(s, max, "k8s.load_balancers", |s| {
        s.k8s.as_mut().and_then(|k| k.load_balancers.as_mut())
    });
    shrink(s, max, "k8s.namespaces", |s| {
        s.k8s.as_mut().and_then(|k| k.namespaces.as_mut())
    });
    shrink(s, max, "k8s.nodes", |s| {
        s.k8s.as_mut().map(|k| &mut k.nodes)
    });
    shrink(s, max, "network.vnets", |s| {
        s.network.as_mut().map(|n| &mut n.vnets)
    });
    shrink(s, max, "network.sdn_zones", |s| {
        s.network.as_mut().map(|n| &mut n.sdn_zones)
    });
    shrink(s, max, "ha.resources", |s| {
        s.ha.as_mut().map(|h| &mut h.resources)
    });
    shrink(s, max, "templates", |s| s.templates.as_mut());
    shrink(s, max, "storages", |s| s.storages.as_mut());
    shrink(s, max, "pools", |s| s.pools.as_mut());
    shrink(s, max, "network.bridges", |s| {
        s.network.as_mut().map(|n| &mut n.bridges)
    });
    shrink(s, max, "ha.groups", |s| {
        s.ha.as_mut().map(|h| &mut h.groups)
    });
    shrink(s, max, "nodes", |s| s.nodes.as_mut());
    if size(s) > max && s.warnings.len() > 1 {
        let n = s.warnings.len();
        s.warnings.truncate(1);
        note(s, "warnings", format!("kept 1 of {n}"));
    }
    let now = size(s);
    if now > max {
        return Err(Error::invalid(
            "max_bytes",
            format!("{max_bytes} bytes cannot hold even the smallest `{}` answer ({now} bytes); raise max_bytes", s.view.as_str()),
        ));
    }
    Ok(())
}

fn gib(x: Option<f64>) -> String {
    x.map(|v| format!("{v}G")).unwrap_or_else(|| "?".into())
}

/// Compact text rendering, one line per item.
pub fn render(s: &ClusterState) -> String {
    let h = &s.health;
    let mut o = format!(
        "cluster `{}` ({}) {} view; TLS: {}\n{}quorum: {}; nodes online {}/{}{}\n",
        s.cluster,
        s.endpoint,
        s.view.as_str(),
        s.tls,
        h.name
            .as_ref()
            .map(|n| format!("corosync cluster {n}; "))
            .unwrap_or_default(),
        if h.quorate { "yes" } else { "NO" },
        h.nodes_online,
        h.nodes_total,
        h.pve_version
            .as_ref()
            .map(|v| format!("; PVE {v}"))
            .unwrap_or_default()
    );
    if let Some(nodes) = &s.nodes {
        o.push_str("nodes:\n");
        for n in nodes {
            if !n.online {
                o.push_str(&format!("  {} OFFLINE\n", n.name));
                continue;
            }
            o.push_str(&format!(
                "  {} cpus {} (vcpus alloc {}) mem {}MiB free-after-alloc {}MiB guests {}/{} running; images on {}\n",
                n.name,
                n.cpus.map(|c| c.to_string()).unwrap_or("?".into()),
                n.vcpus_allocated,
                n.mem_total_mib.map(|c| c.to_string()).unwrap_or("?".into()),
                n.mem_free_mib.map(|c| c.to_string()).unwrap_or("?".into()),
                n.guests_running,
                n.guests_total,
                if n.image_storages.is_empty() { "-".into() } else { n.image_storages.join(",") }
            ));
        }
    }
    if let Some(st) = &s.storages {
        o.push_str("storages:\n");
        for x in st {
            o.push_str(&format!(
                "  {} {}{} [{}] free {} on {}\n",
                x.name,
                x.kind,
                if x.shared { " shared" } else { "" },
                x.content.join(","),
                gib(x.avail_gib),
                if x.nodes.is_empty() {
                    "-".into()
                } else {
                    x.nodes.join(",")
                }
            ));
        }
    }
    if let Some(ts) = &s.templates {
        o.push_str("templates:\n");
        for t in ts {
            o.push_str(&format!(
                "  {} {} on {}: disks {}; cloud-init {}; agent {}; linked clone to any node {}\n",
                t.vmid,
                t.name,
                t.node,
                t.disks
                    .iter()
                    .map(|d| format!("{}={}:{}", d.key, d.storage, gib(d.size_gib)))
                    .collect::<Vec<_>>()
                    .join(" "),
                yn(t.cloud_init),
                yn(t.agent),
                yn(t.linked_clone_any_node)
            ));
        }
    }
    if let Some(c) = &s.guest_counts {
        o.push_str(&format!(
            "guests: {} VMs, {} CTs, {} running, {} stopped, {} templates\n",
            c.vms, c.containers, c.running, c.stopped, c.templates
        ));
    }
    if let Some(u) = &s.used_vmids {
        o.push_str(&format!("used VMIDs: {u}\n"));
    }
    if let Some(n) = s.next_vmid {
        o.push_str(&format!("next free VMID: {n}\n"));
    }
    if let Some(gs) = &s.guests {
        for g in gs {
            o.push_str(&format!(
                "  {} {} {} on {} {}{}{}\n",
                g.vmid,
                g.name,
                g.kind,
                g.node,
                g.status,
                if g.tags.is_empty() {
                    String::new()
                } else {
                    format!(" tags {}", g.tags.join(";"))
                },
                if g.ipv4.is_empty() {
                    String::new()
                } else {
                    format!(" ip {}", g.ipv4.join(","))
                }
            ));
        }
    }
    if let Some(n) = &s.network {
        o.push_str(&format!(
            "bridges: {}\n",
            n.bridges
                .iter()
                .map(|b| format!(
                    "{}{} ({})",
                    b.name,
                    if b.vlan_aware { " vlan-aware" } else { "" },
                    b.nodes.join(",")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        for v in &n.vnets {
            o.push_str(&format!(
                "  vnet {} zone {}{} subnets {}\n",
                v.vnet,
                v.zone,
                v.tag.map(|t| format!(" tag {t}")).unwrap_or_default(),
                v.subnets
                    .iter()
                    .map(|s| s.cidr.clone())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
    }
    if let Some(ips) = &s.used_ipv4 {
        o.push_str(&format!(
            "used IPv4: {}\n",
            ips.iter()
                .map(|u| format!("{} ({})", u.ip, u.vmid))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(h) = &s.ha {
        o.push_str(&format!(
            "HA: groups {}; resources {}\n",
            h.groups
                .iter()
                .map(|g| g.group.clone())
                .collect::<Vec<_>>()
                .join(","),
            h.resources
                .iter()
                .map(|r| format!("{}={}", r.sid, r.state.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(p) = &s.pools {
        o.push_str(&format!(
            "pools: {}\n",
            p.iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(k) = &s.k8s {
        o.push_str(&k.render());
    }
    if let Some(c) = &s.ceph {
        o.push_str(&format!("ceph: {c}\n"));
    }
    if let Some(p) = &s.page {
        o.push_str(&format!(
            "page: {} {}..{} of {}{}\n",
            p.list,
            p.offset,
            p.offset + p.returned,
            p.total,
            p.next_cursor
                .as_ref()
                .map(|c| format!("; next cursor {c}"))
                .unwrap_or_default()
        ));
    }
    for t in &s.truncated {
        o.push_str(&format!("truncated: {t}\n"));
    }
    for w in &s.warnings {
        o.push_str(&format!("warning: {w}\n"));
    }
    o
}

fn yn(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
