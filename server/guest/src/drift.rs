//! `provisio drift`: each guest resource of a module against the live guest, field by field,
//! with what applying the manifest would do to the guest for each difference.
use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fields::{self, Fields, Kind, LiveGuest};
use crate::implied::Implied;
use crate::live::Placement;
use crate::manifest::{Instance, Module};
use crate::{bpg, telmate};

/// What applying the manifest would do to the guest for one difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Changed in place, the guest keeps running.
    Live,
    /// Cloud-init data: rewritten now, the guest reads it at its next boot.
    NextBoot,
    /// The change is pending until the guest restarts; the provider reboots it to apply it
    /// (bpg `reboot_after_update`, Telmate `automatic_reboot`, both on by default).
    Reboot,
    /// A disk is moved to another storage while the guest runs.
    Move,
    /// The guest moves to another node.
    Migrate,
    /// The provider destroys the guest and creates it again.
    Recreate,
    /// The provider cannot do it (a disk cannot shrink); apply fails.
    Fails,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Live => "live",
            Impact::NextBoot => "next boot",
            Impact::Reboot => "reboot",
            Impact::Move => "disk move",
            Impact::Migrate => "migrate",
            Impact::Recreate => "RE-CREATE",
            Impact::Fails => "fails",
        }
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Difference {
    pub field: String,
    /// The manifest's value; absent: the manifest does not have this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The cluster's value; absent: the guest does not have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The manifest's value is the provider's default (the manifest leaves it out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provider_default: bool,
    pub impact: Impact,
    pub why: String,
}

/// A guest resource instance and how it compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GuestDrift {
    pub address: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// in_sync, drifted, missing (not in the cluster) or unmatched (no VMID or name to find it).
    pub status: String,
    pub differences: Vec<Difference>,
    /// Fields the manifest sets that are not known here (and why): not compared.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_compared: BTreeMap<String, String>,
    /// How many fields were compared.
    pub compared: usize,
    /// The provider release the module is judged against (for what re-creates the guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Config keys with a change waiting for the guest's next start (compared as pending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
    /// The guest's fields as read from the cluster (JSON output only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cluster_fields: Fields,
}

/// A guest no manifest describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unmanaged {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub template: bool,
}

/// The drift report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub guests: Vec<GuestDrift>,
    /// Resources that could not be expanded, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Guests in the cluster that no manifest describes (when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmanaged: Option<Vec<Unmanaged>>,
    pub drifted: usize,
    pub missing: usize,
    pub in_sync: usize,
}

impl Report {
    pub fn has_drift(&self) -> bool {
        self.drifted > 0 || self.missing > 0
    }
}

/// A resource instance read for its guest: provider resource type, kind and implied fields,
/// and the provider release its module pins with the arguments that release re-creates on.
pub struct Read {
    pub instance: Instance,
    pub implied: Implied,
    pub cloned: bool,
    /// `bpg/proxmox 0.111.1 (from `~> 0.111`)`.
    pub release: Option<String>,
    pub force_new: BTreeSet<String>,
}

/// The implied fields of each guest instance of a module (HA resources merged into theirs).
pub fn implied(module: &Module) -> Vec<Read> {
    let mut out: Vec<Read> = Vec::new();
    let mut ha: Vec<(u32, Implied)> = Vec::new();
    for i in &module.instances {
        let cloned = i.body.block("clone").is_some()
            || i.body.attr("clone").is_some()
            || i.body.attr("clone_id").is_some();
        let implied = match i.rtype.as_str() {
            bpg::VM => bpg::read_vm(&i.body),
            bpg::CT => bpg::read_ct(&i.body),
            telmate::VM => telmate::read_vm(&i.body),
            telmate::CT => telmate::read_ct(&i.body),
            _ => {
                if let Some(h) = bpg::read_ha(&i.body) {
                    ha.push(h);
                }
                continue;
            }
        };
        let mut implied = implied;
        if cloned {
            // A clone inherits what the manifest leaves out from its template.
            for k in std::mem::take(&mut implied.defaulted) {
                implied.fields.remove(&k);
            }
        }
        let (release, force_new) = match crate::release::source_of(&i.rtype) {
            Some(src) => {
                let constraint = module.constraints.get(&src.to_ascii_lowercase());
                match crate::release::resolve(
                    src,
                    constraint.map(String::as_str),
                    module.lock.as_deref(),
                ) {
                    Some(r) => (
                        Some(format!("{src} {} ({})", r.version, r.why)),
                        crate::release::force_new(src, &i.rtype, &r.version),
                    ),
                    None => (None, BTreeSet::new()),
                }
            }
            None => (None, BTreeSet::new()),
        };
        out.push(Read {
            instance: i.clone(),
            implied,
            cloned,
            release,
            force_new,
        });
    }
    for (vmid, h) in ha {
        if let Some(r) = out.iter_mut().find(|r| {
            r.implied
                .fields
                .get("vmid")
                .is_some_and(|v| *v == vmid.to_string())
        }) {
            r.implied.fields.extend(h.fields);
            r.implied.defaulted.extend(h.defaulted);
            r.implied.unknown.extend(h.unknown);
        }
    }
    out
}

/// Which guest an instance describes: its VMID, else its name.
pub fn target(r: &Read, placements: &[Placement]) -> Result<u32, String> {
    // VMID 0 asks the provider for the next free one (Telmate): found by name, like no VMID.
    if let Some(v) = r.implied.fields.get("vmid").filter(|v| *v != "0") {
        return v.parse().map_err(|_| format!("VMID `{v}` is not a number"));
    }
    if let Some(why) = r.implied.unknown.get("vmid") {
        return Err(format!("the VMID is not known here ({why})"));
    }
    let kind = r.implied.kind;
    let Some(name) = r.implied.fields.get("name") else {
        return Err("no VMID and no name to find the guest by".into());
    };
    let hits: Vec<&Placement> = placements
        .iter()
        .filter(|p| p.kind == kind && p.name == *name)
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.vmid),
        [] => Err(format!(
            "no VMID, and no {} named `{name}` in the cluster",
            kind.as_str()
        )),
        many => Err(format!(
            "no VMID, and {} guests are named `{name}`",
            many.len()
        )),
    }
}

fn device_of(field: &str) -> &str {
    field.split('.').next().unwrap_or(field)
}

/// Devices (disks, NICs, mount points, ...) whose presence is compared: a device the guest has
/// and the manifest does not would be removed or renumbered by the provider.
fn is_device(kind: Kind, dev: &str) -> bool {
    let n = |p: &str| {
        dev.strip_prefix(p)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    match kind {
        Kind::Qemu => {
            fields::is_qemu_disk(dev)
                || n("net")
                || n("serial")
                || n("hostpci")
                || n("usb")
                || dev == "efidisk0"
                || dev == "tpmstate0"
                || dev == "cloudinit"
        }
        Kind::Lxc => n("mp") || n("net"),
    }
}

/// What PVE hot-plugs for a VM: its `hotplug` option (default `network,disk,usb`; `1` all,
/// `0` none).
pub fn hotplug(config: &BTreeMap<String, String>) -> BTreeSet<String> {
    let v = config
        .get("hotplug")
        .map(String::as_str)
        .unwrap_or("network,disk,usb");
    match v.trim() {
        "1" => ["network", "disk", "usb", "memory", "cpu", "cloudinit"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "0" | "" => BTreeSet::new(),
        list => list.split(',').map(|s| s.trim().to_string()).collect(),
    }
}

/// What the provider does to a guest for a difference in `field` (`hot`: what the guest
/// hot-plugs, see [`hotplug`]).
pub fn impact(
    rtype: &str,
    kind: Kind,
    field: &str,
    manifest: Option<&str>,
    cluster: Option<&str>,
    hot: &BTreeSet<String>,
) -> (Impact, &'static str) {
    let (dev, prop) = field.split_once('.').unwrap_or((field, ""));
    let bare = dev.trim_end_matches(|c: char| c.is_ascii_digit());
    let bpg = rtype.starts_with("proxmox_virtual_environment");
    match (kind, bare, prop) {
        (_, "vmid", _) => (Impact::Recreate, "the VMID is ForceNew in both providers"),
        (Kind::Qemu, "node", _) if bpg => (
            Impact::Recreate,
            "bpg re-creates the VM on another node_name unless `migrate = true`",
        ),
        (Kind::Qemu, "node", _) => (
            Impact::Migrate,
            "Telmate migrates the VM to the new target_node",
        ),
        (Kind::Lxc, "node", _) => (
            Impact::Recreate,
            "a container's node is ForceNew in both providers",
        ),
        (Kind::Lxc, "rootfs", "storage") => (
            Impact::Recreate,
            "the root disk's storage is ForceNew for containers",
        ),
        (Kind::Lxc, "unprivileged" | "ostype" | "arch", _) => {
            (Impact::Recreate, "ForceNew for containers")
        }
        (
            _,
            "name" | "description" | "tags" | "pool" | "onboot" | "protection" | "startup" | "ha",
            _,
        ) => (Impact::Live, "metadata, changed in place"),
        (Kind::Qemu, "ipconfig" | "nameserver" | "searchdomain" | "ciuser" | "sshkeys", _) => (
            Impact::NextBoot,
            "cloud-init data is regenerated; the guest reads it at its next boot",
        ),
        (Kind::Qemu, "scsi" | "virtio" | "sata" | "ide", "size")
        | (Kind::Lxc, "rootfs" | "mp", "size") => {
            let shrink = match (
                manifest.and_then(|m| m.parse::<f64>().ok()),
                cluster.and_then(|c| c.parse::<f64>().ok()),
            ) {
                (Some(m), Some(c)) => m < c,
                _ => false,
            };
            if shrink {
                (Impact::Fails, "a disk cannot shrink; apply fails")
            } else {
                (Impact::Live, "the disk grows while the guest runs")
            }
        }
        (Kind::Qemu, "scsi" | "virtio" | "sata" | "ide", "storage")
            if cluster.is_some() && manifest.is_some() =>
        {
            (Impact::Move, "the disk is moved to the other storage")
        }
        (Kind::Lxc, "cores" | "memory" | "swap", _) => {
            (Impact::Live, "a container's CPU and memory change in place")
        }
        (_, "cpulimit" | "cpuunits", _) => (Impact::Live, "CPU limit and weight change in place"),
        (Kind::Qemu, "memory", "") if hot.contains("memory") => {
            (Impact::Live, "memory hotplug is on for this VM")
        }
        (Kind::Qemu, "cores" | "sockets", "") if hot.contains("cpu") => {
            (Impact::Live, "CPU hotplug is on for this VM")
        }
        (Kind::Qemu, "net", "bridge" | "tag" | "firewall" | "link_down" | "mtu")
            if hot.contains("network") =>
        {
            (
                Impact::Live,
                "network hotplug (on by default) changes the NIC in place",
            )
        }
        (Kind::Qemu, "usb", _) if hot.contains("usb") => {
            (Impact::Live, "USB hotplug (on by default)")
        }
        (Kind::Lxc, "net", _) => (Impact::Live, "a container's NIC is changed in place"),
        (Kind::Lxc, _, _) => (Impact::Reboot, "the container restarts to apply it"),
        (Kind::Qemu, _, _) => (
            Impact::Reboot,
            "a pending hardware change: the provider reboots a running VM to apply it",
        ),
    }
}

/// Compare one instance with its guest.
pub fn compare(r: &Read, live: &LiveGuest) -> GuestDrift {
    let want = &r.implied.fields;
    let have = fields::from_live(live);
    let kind = live.kind;
    let rtype = r.instance.rtype.as_str();
    let hot = hotplug(&live.config);
    let mut diffs = Vec::new();
    let mut compared = 0;
    for (k, mv) in want {
        if k == "vmid" {
            continue;
        }
        compared += 1;
        let lv = have
            .get(k)
            .map(String::as_str)
            .or_else(|| fields::pve_default(kind, k));
        if lv == Some(mv.as_str()) {
            continue;
        }
        let (impact, why) = match crate::release::schema_path(rtype, k)
            .as_deref()
            .and_then(|p| crate::release::forces_new(p, &r.force_new))
        {
            Some(p) => (
                Impact::Recreate,
                format!(
                    "`{p}` forces a new resource in {}",
                    r.release.as_deref().unwrap_or("this release")
                ),
            ),
            None => {
                let (i, w) = impact(rtype, kind, k, Some(mv), lv, &hot);
                (i, w.to_string())
            }
        };
        diffs.push(Difference {
            field: k.clone(),
            manifest: Some(mv.clone()),
            cluster: lv.map(str::to_string),
            provider_default: r.implied.defaulted.contains(k),
            impact,
            why,
        });
    }
    // Devices the guest has that the manifest does not describe.
    let described: BTreeSet<&str> = want
        .keys()
        .chain(r.implied.unknown.keys())
        .map(|k| device_of(k))
        .collect();
    let opaque = r.implied.unknown.keys().any(|k| k == "*");
    let mut seen = BTreeSet::new();
    for (k, v) in &have {
        let dev = device_of(k);
        if !is_device(kind, dev) || described.contains(dev) || opaque || !seen.insert(dev) {
            continue;
        }
        if r.cloned {
            // a clone's devices come from its template; the manifest may leave them out
            continue;
        }
        let summary: Vec<String> = have
            .iter()
            .filter(|(hk, _)| device_of(hk) == dev)
            .map(|(hk, hv)| {
                let p = hk.split_once('.').map(|(_, p)| p).unwrap_or("");
                if p.is_empty() {
                    hv.clone()
                } else {
                    format!("{p}={hv}")
                }
            })
            .collect();
        let _ = v;
        diffs.push(Difference {
            field: dev.to_string(),
            manifest: None,
            cluster: Some(summary.join(",")),
            provider_default: false,
            impact: {
                let bare = dev.trim_end_matches(|c: char| c.is_ascii_digit());
                match (kind, bare) {
                    (Kind::Qemu, "net") if hot.contains("network") => Impact::Live,
                    (Kind::Qemu, "usb") if hot.contains("usb") => Impact::Live,
                    (Kind::Qemu, _) if fields::is_qemu_disk(dev) && hot.contains("disk") => {
                        Impact::Live
                    }
                    (Kind::Lxc, "net") => Impact::Live,
                    _ => Impact::Reboot,
                }
            },
            why: "the guest has this device and the manifest does not: the provider removes or renumbers it".into(),
        });
    }
    GuestDrift {
        address: r.instance.address.clone(),
        file: r.instance.file.clone(),
        vmid: Some(live.vmid),
        name: Some(live.name.clone()),
        status: if diffs.is_empty() {
            "in_sync"
        } else {
            "drifted"
        }
        .into(),
        differences: diffs,
        not_compared: r.implied.unknown.clone(),
        compared,
        release: r.release.clone(),
        pending: live.pending.clone(),
        cluster_fields: have,
    }
}

/// The whole report: each instance against its guest (`live` by VMID), and optionally the
/// guests no instance describes.
pub fn report(
    reads: &[Read],
    skipped: &[(String, String)],
    placements: &[Placement],
    live: &BTreeMap<u32, LiveGuest>,
    unmanaged: bool,
) -> Report {
    let mut rep = Report {
        skipped: skipped
            .iter()
            .map(|(a, why)| format!("{a}: {why}"))
            .collect(),
        ..Default::default()
    };
    let mut managed = BTreeSet::new();
    for r in reads {
        let base = |status: &str, why: String| GuestDrift {
            address: r.instance.address.clone(),
            file: r.instance.file.clone(),
            vmid: r
                .implied
                .fields
                .get("vmid")
                .and_then(|v| v.parse().ok())
                .filter(|v| *v != 0),
            name: r.implied.fields.get("name").cloned(),
            status: status.into(),
            differences: Vec::new(),
            not_compared: BTreeMap::from([("guest".to_string(), why)]),
            compared: 0,
            release: r.release.clone(),
            pending: Vec::new(),
            cluster_fields: Fields::new(),
        };
        match target(r, placements) {
            Ok(vmid) => {
                managed.insert(vmid);
                match live.get(&vmid) {
                    Some(g) if g.kind == r.implied.kind => {
                        let d = compare(r, g);
                        if d.differences.is_empty() {
                            rep.in_sync += 1;
                        } else {
                            rep.drifted += 1;
                        }
                        rep.guests.push(d);
                    }
                    Some(g) => {
                        rep.drifted += 1;
                        let mut d = base(
                            "drifted",
                            format!("VMID {vmid} is a {} in the cluster", g.kind.as_str()),
                        );
                        d.differences.push(Difference {
                            field: "type".into(),
                            manifest: Some(r.implied.kind.as_str().into()),
                            cluster: Some(g.kind.as_str().into()),
                            provider_default: false,
                            impact: Impact::Recreate,
                            why: "a VM and a container cannot be turned into each other".into(),
                        });
                        rep.guests.push(d);
                    }
                    None => {
                        rep.missing += 1;
                        rep.guests.push(base(
                            "missing",
                            format!(
                                "no guest with VMID {vmid} in the cluster: apply would create it"
                            ),
                        ));
                    }
                }
            }
            Err(why) => {
                // Not found by name: the provider would create it.
                rep.missing += 1;
                rep.guests.push(base("unmatched", why));
            }
        }
    }
    if unmanaged {
        rep.unmanaged = Some(
            placements
                .iter()
                .filter(|p| !managed.contains(&p.vmid))
                .map(|p| Unmanaged {
                    vmid: p.vmid,
                    name: p.name.clone(),
                    node: p.node.clone(),
                    kind: p.kind.as_str().into(),
                    template: p.template,
                })
                .collect(),
        );
    }
    rep
}

/// The report as text: one line per guest, one per difference.
pub fn render(rep: &Report) -> String {
    let mut out = String::new();
    for g in &rep.guests {
        let who = match (g.vmid, &g.name) {
            (Some(v), Some(n)) => format!("{v} {n}"),
            (Some(v), None) => v.to_string(),
            (None, Some(n)) => n.clone(),
            (None, None) => "?".into(),
        };
        match g.status.as_str() {
            "in_sync" => out.push_str(&format!(
                "{} ({}) → {who}: no drift ({} fields)\n",
                g.address, g.file, g.compared
            )),
            "drifted" => {
                out.push_str(&format!(
                    "{} ({}) → {who}: {} difference(s)\n",
                    g.address,
                    g.file,
                    g.differences.len()
                ));
                for d in &g.differences {
                    let m = match (&d.manifest, d.provider_default) {
                        (Some(m), true) => format!("{m} (provider default)"),
                        (Some(m), false) => m.clone(),
                        (None, _) => "(not described)".into(),
                    };
                    let c = d.cluster.clone().unwrap_or_else(|| "(not set)".into());
                    out.push_str(&format!(
                        "  {}: manifest: {m}, cluster: {c}  [{}: {}]\n",
                        d.field,
                        d.impact.as_str(),
                        d.why
                    ));
                }
            }
            _ => {
                let why = g.not_compared.get("guest").cloned().unwrap_or_default();
                out.push_str(&format!(
                    "{} ({}): {}: {why}\n",
                    g.address, g.file, g.status
                ));
            }
        }
        if !g.pending.is_empty() {
            out.push_str(&format!(
                "  pending until the guest's next start (compared as pending): {}\n",
                g.pending.join(", ")
            ));
        }
        for (k, why) in g.not_compared.iter().filter(|(k, _)| *k != "guest") {
            out.push_str(&format!("  not compared: {k}: {why}\n"));
        }
    }
    for s in &rep.skipped {
        out.push_str(&format!("skipped: {s}\n"));
    }
    if let Some(u) = &rep.unmanaged {
        if u.is_empty() {
            out.push_str("unmanaged: none (every guest is described)\n");
        } else {
            out.push_str(&format!(
                "unmanaged ({}; `provisio import` writes Terraform for them):\n",
                u.len()
            ));
            for g in u {
                out.push_str(&format!(
                    "  {} {} ({} on {}{})\n",
                    g.vmid,
                    g.name,
                    g.kind,
                    g.node,
                    if g.template { ", template" } else { "" }
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} guest resource(s): {} in sync, {} drifted, {} missing\n",
        rep.guests.len(),
        rep.in_sync,
        rep.drifted,
        rep.missing
    ));
    out
}
