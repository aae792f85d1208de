//! The numbered devices in a field set: disks, NICs, IP configs, serial ports, passthrough.
use std::collections::BTreeSet;

use crate::fields::Fields;

/// Slot keys (`scsi0`, `net1`) that have a field, in PVE's order (bus, then number).
pub fn keys(f: &Fields, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let set: BTreeSet<(String, u32)> = f
        .keys()
        .map(|k| k.split('.').next().unwrap_or(k))
        .filter(|k| pred(k))
        .filter_map(|k| {
            let bus = k.trim_end_matches(|c: char| c.is_ascii_digit());
            let n = k[bus.len()..].parse().ok()?;
            Some((bus.to_string(), n))
        })
        .collect();
    set.into_iter().map(|(b, n)| format!("{b}{n}")).collect()
}

/// Numbers of `PREFIXn` keys, ascending.
pub fn numbers(f: &Fields, prefix: &str) -> Vec<u32> {
    keys(f, |k| {
        k.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
    .iter()
    .filter_map(|k| k[prefix.len()..].parse().ok())
    .collect()
}

/// Disk slots with a storage (not cloud-init drives or CD-ROMs).
pub fn disks(f: &Fields) -> Vec<String> {
    keys(f, crate::fields::is_qemu_disk)
        .into_iter()
        .filter(|k| f.contains_key(&format!("{k}.storage")))
        .collect()
}

/// CD-ROM slots.
pub fn cdroms(f: &Fields) -> Vec<String> {
    keys(f, crate::fields::is_qemu_disk)
        .into_iter()
        .filter(|k| f.contains_key(&format!("{k}.cdrom")))
        .collect()
}

/// `order=1,up=30,down=60` as (order, up, down).
pub fn startup(v: &str) -> (Option<String>, Option<String>, Option<String>) {
    let ps = crate::fields::props(v);
    let get = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
    (get("order"), get("up"), get("down"))
}

/// Build a `startup` field value from its parts (sorted as `sorted_props` does).
pub fn startup_value(
    order: Option<String>,
    up: Option<String>,
    down: Option<String>,
) -> Option<String> {
    let mut ps = Vec::new();
    if let Some(d) = down {
        ps.push(format!("down={d}"));
    }
    if let Some(o) = order {
        ps.push(format!("order={o}"));
    }
    if let Some(u) = up {
        ps.push(format!("up={u}"));
    }
    (!ps.is_empty()).then(|| ps.join(","))
}
