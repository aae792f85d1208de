//! Small pure parsers for PVE's loosely typed JSON and its property strings
//! (`scsi0: pmoxpool01:vm-100-disk-0,size=32G`, `ipconfig0: ip=10.0.0.5/24,gw=10.0.0.1`).
use serde_json::Value;

/// A number that PVE may send as a number or as a string.
pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

pub fn int(v: &Value) -> Option<u64> {
    num(v).filter(|x| *x >= 0.0).map(|x| x as u64)
}

pub fn truthy(v: &Value) -> bool {
    num(v).is_some_and(|x| x != 0.0)
}

pub fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn gib(bytes: u64) -> f64 {
    (bytes as f64 / 1073741824.0 * 10.0).round() / 10.0
}

pub fn mib(bytes: u64) -> u64 {
    bytes / 1048576
}

/// `key=value` options of a property string (the first bare item is returned under "").
pub fn props(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (String::new(), p.trim().to_string()),
        })
        .collect()
}

pub fn prop<'a>(ps: &'a [(String, String)], key: &str) -> Option<&'a str> {
    ps.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Size strings `32G`, `512M`, `1T`, `10` (GiB) in GiB.
pub fn size_gib(s: &str) -> Option<f64> {
    let s = s.trim();
    let (n, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "G"),
    };
    let n: f64 = n.parse().ok()?;
    let f = match unit.chars().next()?.to_ascii_uppercase() {
        'K' => 1.0 / 1048576.0,
        'M' => 1.0 / 1024.0,
        'G' => 1.0,
        'T' => 1024.0,
        _ => return None,
    };
    Some((n * f * 10.0).round() / 10.0)
}

/// Is this config key a disk slot (`scsi0`, `virtio1`, `efidisk0`, ...)?
pub fn is_disk_key(k: &str) -> bool {
    let base = k.trim_end_matches(|c: char| c.is_ascii_digit());
    base.len() < k.len()
        && matches!(
            base,
            "ide" | "sata" | "scsi" | "virtio" | "efidisk" | "tpmstate" | "rootfs" | "mp"
        )
}

/// A disk slot value: `(storage, size_gib, is_cloudinit, is_cdrom)`; None for empty drives.
pub fn disk(v: &str) -> Option<(String, Option<f64>, bool, bool)> {
    let ps = props(v);
    let vol = ps
        .first()
        .map(|(k, v)| if k.is_empty() { v.as_str() } else { "" })?;
    if vol.is_empty() || vol == "none" {
        return None;
    }
    let cdrom = prop(&ps, "media") == Some("cdrom");
    let cloudinit = vol.contains("cloudinit");
    let storage = vol.split_once(':').map(|(s, _)| s.to_string())?;
    let size = prop(&ps, "size").and_then(size_gib);
    Some((storage, size, cloudinit, cdrom))
}

/// The IPv4 address (without prefix) of an `ipconfigN` or LXC `netN` value, if static.
pub fn static_ipv4(v: &str) -> Option<String> {
    let ps = props(v);
    let ip = prop(&ps, "ip")?;
    if ip == "dhcp" || ip == "manual" || ip.is_empty() {
        return None;
    }
    let addr = ip.split('/').next()?;
    addr.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|a| a.to_string())
}

/// The bridge of a `netN` value.
pub fn bridge(v: &str) -> Option<String> {
    prop(&props(v), "bridge").map(str::to_string)
}

/// The `agent` option: `1` or `enabled=1,fstrim_cloned_disks=1`.
pub fn agent_enabled(v: &Value) -> bool {
    match v {
        Value::String(s) => {
            let ps = props(s);
            prop(&ps, "enabled")
                .or_else(|| prop(&ps, ""))
                .is_some_and(|x| x == "1" || x == "true")
        }
        other => truthy(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_strings() {
        assert_eq!(
            disk("pmoxpool01:base-100-disk-0,size=32G,discard=on"),
            Some(("pmoxpool01".into(), Some(32.0), false, false))
        );
        assert_eq!(
            disk("local-lvm:vm-100-cloudinit,media=cdrom"),
            Some(("local-lvm".into(), None, true, true))
        );
        assert_eq!(disk("none,media=cdrom"), None);
        assert_eq!(
            static_ipv4("ip=10.0.0.5/24,gw=10.0.0.1").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(static_ipv4("ip=dhcp"), None);
        assert_eq!(
            bridge("virtio=AA:BB,bridge=vmbr0,tag=20").as_deref(),
            Some("vmbr0")
        );
        assert!(agent_enabled(&Value::String(
            "enabled=1,fstrim_cloned_disks=1".into()
        )));
        assert!(agent_enabled(&Value::String("1".into())));
        assert!(!agent_enabled(&Value::String("0".into())));
        assert_eq!(size_gib("512M"), Some(0.5));
        assert!(
            is_disk_key("scsi0")
                && is_disk_key("efidisk0")
                && !is_disk_key("net0")
                && !is_disk_key("scsihw")
        );
    }
}

/// The file name of a volume ID: `cephfs:snippets/user.yml` → `user.yml`,
/// `local:iso/ubuntu.iso` → `ubuntu.iso`.
pub fn volume_file(volid: &str) -> Option<String> {
    let (_, rest) = volid.split_once(':')?;
    let (_, name) = rest.split_once('/')?;
    (!name.is_empty()).then(|| name.to_string())
}
