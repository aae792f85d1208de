//! The PVE configuration of a guest as comparable fields: one name per setting, one normalized
//! text per value. Both sides of a drift check meet here: a live guest's config (`from_live`)
//! and the config a manifest implies (`manifest`). Names are PVE's config keys, with the
//! property after a dot for keys that hold a property list (`scsi0.storage`, `net0.tag`,
//! `ipconfig0.ip`), so each field can be checked against the raw config by anyone.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Field name → normalized value.
pub type Fields = BTreeMap<String, String>;

/// A VM or a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Qemu,
    Lxc,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Qemu => "qemu",
            Kind::Lxc => "lxc",
        }
    }
}

/// HA membership of a guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ha {
    pub state: String,
    pub group: Option<String>,
}

/// A guest as the cluster has it: where it is, and its config as `/config` returns it (values
/// as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveGuest {
    pub vmid: u32,
    pub node: String,
    pub kind: Kind,
    pub name: String,
    pub pool: Option<String>,
    pub ha: Option<Ha>,
    pub config: BTreeMap<String, String>,
    /// Keys with a change waiting for the next start (already applied in `config`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
}

/// `a=1,b=2` (the first item may be positional) as pairs; a positional item gets the key `""`.
pub use provisio_pve::state::parse::props;

/// A size as PVE writes it (`32G`, `512M`, `1T`; a bare number is GiB) in GiB, to 0.1 GiB, as
/// text without trailing zeros: `32`, `0.5`.
pub fn size_gib(s: &str) -> Option<String> {
    provisio_pve::state::parse::size_gib(s).map(number)
}

/// A number as text: integers without a fraction, others with up to three decimals.
pub fn number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Booleans as PVE stores them: `1` / `0`.
pub fn flag(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some("1"),
        "0" | "false" | "off" | "no" => Some("0"),
        _ => None,
    }
}

/// Tags in PVE's order-free form: split on `;`, `,` or spaces, lower-cased, sorted, unique.
pub fn tags<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<String> = items
        .into_iter()
        .flat_map(|t| t.split([';', ',', ' ']))
        .filter(|t| !t.is_empty())
        .map(|t| t.to_ascii_lowercase())
        .collect();
    v.sort();
    v.dedup();
    v.join(";")
}

/// A guest's tags as it has them (case and order kept; compared through [`tags`]).
pub fn raw_tags(g: &LiveGuest) -> Vec<String> {
    g.config
        .get("tags")
        .map(|t| {
            t.split([';', ',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A property list with its properties sorted (for values compared whole: `startup`,
/// `features`, `hostpci0`).
pub fn sorted_props(s: &str) -> String {
    let mut ps: Vec<String> = props(s)
        .into_iter()
        .map(|(k, v)| if k.is_empty() { v } else { format!("{k}={v}") })
        .collect();
    ps.sort();
    ps.join(",")
}

/// PVE's percent-encoding of `sshkeys`, decoded; keys one per line, trimmed.
pub fn ssh_keys(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Config keys of QEMU disk slots.
pub fn is_qemu_disk(key: &str) -> bool {
    ["scsi", "virtio", "sata", "ide"].iter().any(|bus| {
        key.strip_prefix(bus)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

fn indexed(key: &str, prefix: &str) -> Option<u32> {
    key.strip_prefix(prefix)?.parse().ok()
}

/// The storage of a volume id (`local-lvm:vm-101-disk-0` → `local-lvm`).
pub fn storage_of(volume: &str) -> Option<&str> {
    volume.split_once(':').map(|(s, _)| s)
}

/// A QEMU disk value's media: a cloud-init drive, a CD-ROM or a disk.
pub enum Media {
    CloudInit { storage: String },
    Cdrom { file: String },
    Disk,
}

pub fn media(value: &str) -> Media {
    let ps = props(value);
    let vol = ps
        .iter()
        .find(|(k, _)| k.is_empty() || k == "file")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let cdrom = ps.iter().any(|(k, v)| k == "media" && v == "cdrom");
    if vol.contains("cloudinit") {
        Media::CloudInit {
            storage: storage_of(vol).unwrap_or_default().to_string(),
        }
    } else if cdrom {
        Media::Cdrom {
            file: vol.to_string(),
        }
    } else {
        Media::Disk
    }
}

/// Disk flags compared, with PVE's value when the flag is absent.
pub const QEMU_DISK_FLAGS: &[(&str, &str)] = &[
    ("backup", "1"),
    ("cache", "none"),
    ("discard", "ignore"),
    ("iothread", "0"),
    ("ssd", "0"),
];

/// NIC properties compared, with PVE's value when absent (`tag`/`mtu` have none).
pub const NET_FLAGS: &[(&str, &str)] = &[("firewall", "0"), ("link_down", "0")];

/// The value PVE has for a key the config does not show (its documented default). Used for
/// both sides, so an explicit default and an absent key compare equal.
pub fn pve_default(kind: Kind, field: &str) -> Option<&'static str> {
    let (key, prop) = field.split_once('.').unwrap_or((field, ""));
    let bare = key.trim_end_matches(|c: char| c.is_ascii_digit());
    match (kind, bare, prop) {
        (_, "onboot" | "protection" | "template", "") => Some("0"),
        (Kind::Qemu, "cores", "") => Some("1"),
        // qemu-server's default CPU type when `cpu` is absent
        (Kind::Qemu, "cpu", "") => Some("kvm64"),
        (_, "memory", "") => Some("512"),
        (Kind::Qemu, "sockets", "") => Some("1"),
        (Kind::Qemu, "agent", "") => Some("0"),
        (Kind::Qemu, "bios", "") => Some("seabios"),
        (Kind::Qemu, "scsihw", "") => Some("lsi"),
        (Kind::Qemu, "ostype", "") => Some("other"),
        (Kind::Qemu, "numa", "") => Some("0"),
        (Kind::Qemu, "tablet", "") => Some("1"),
        (Kind::Qemu, "hotplug", "") => Some("network,disk,usb"),
        (Kind::Qemu, "vga", "type") => Some("std"),
        (_, "cpulimit", "") => Some("0"),
        (Kind::Lxc, "swap", "") => Some("512"),
        (Kind::Lxc, "unprivileged", "") => Some("0"),
        (Kind::Lxc, "arch", "") => Some("amd64"),
        (_, "net", p) => NET_FLAGS.iter().find(|(k, _)| *k == p).map(|(_, v)| *v),
        (Kind::Qemu, "scsi" | "virtio" | "sata" | "ide", p) => QEMU_DISK_FLAGS
            .iter()
            .find(|(k, _)| *k == p)
            .map(|(_, v)| *v),
        (Kind::Lxc, "mp", "backup") => Some("0"),
        (Kind::Qemu, "efidisk", "pre-enrolled-keys") => Some("0"),
        (Kind::Qemu, "efidisk", "efitype") => Some("2m"),
        (Kind::Qemu, "tpmstate", "version") => Some("v1.2"),
        _ => None,
    }
}

/// The comparable fields of a live guest.
pub fn from_live(g: &LiveGuest) -> Fields {
    let mut f = Fields::new();
    f.insert("node".into(), g.node.clone());
    f.insert("vmid".into(), g.vmid.to_string());
    if let Some(p) = &g.pool {
        f.insert("pool".into(), p.clone());
    }
    if let Some(ha) = &g.ha {
        f.insert("ha.state".into(), ha.state.clone());
        if let Some(gr) = &ha.group {
            f.insert("ha.group".into(), gr.clone());
        }
    }
    for (k, v) in &g.config {
        config_field(g.kind, k, v, &mut f);
    }
    f
}

/// One config key into fields.
pub fn config_field(kind: Kind, k: &str, v: &str, f: &mut Fields) {
    let mut put = |name: String, val: String| {
        f.insert(name, val);
    };
    match (kind, k) {
        (Kind::Qemu, "name") | (Kind::Lxc, "hostname") => put("name".into(), v.into()),
        (_, "description") => put("description".into(), v.trim_end().into()),
        (_, "tags") => put("tags".into(), tags([v])),
        (_, "onboot" | "protection" | "template" | "unprivileged" | "numa") => {
            put(k.into(), flag(v).unwrap_or(v).into())
        }
        (
            _,
            "cores" | "sockets" | "memory" | "balloon" | "swap" | "cpulimit" | "cpuunits" | "vcpus",
        ) => put(k.into(), v.trim().into()),
        (Kind::Qemu, "tablet") => put(k.into(), flag(v).unwrap_or(v).into()),
        (Kind::Qemu, "hotplug" | "args" | "affinity") => put(k.into(), v.trim().into()),
        (Kind::Qemu, "rng0" | "audio0") => {
            for (pk, pv) in props(v) {
                let pk = if pk.is_empty() {
                    "source".to_string()
                } else {
                    pk
                };
                put(format!("{k}.{pk}"), pv);
            }
        }
        (Kind::Qemu, "vga") => {
            for (pk, pv) in props(v) {
                match pk.as_str() {
                    "" | "type" => put("vga.type".into(), pv),
                    "memory" | "clipboard" => put(format!("vga.{pk}"), pv),
                    _ => {}
                }
            }
        }
        (_, "ostype" | "bios" | "machine" | "scsihw" | "arch" | "nameserver" | "searchdomain") => {
            put(k.into(), v.trim().into())
        }
        (Kind::Qemu, "ciuser") => put(k.into(), v.into()),
        (Kind::Qemu, "sshkeys") => put(k.into(), ssh_keys(v)),
        (Kind::Qemu, "cpu") => {
            for (pk, pv) in props(v) {
                if pk.is_empty() || pk == "cputype" {
                    put("cpu".into(), pv);
                }
            }
        }
        (Kind::Qemu, "agent") => {
            let on = props(v)
                .into_iter()
                .find(|(pk, _)| pk.is_empty() || pk == "enabled")
                .and_then(|(_, pv)| flag(&pv))
                .unwrap_or("0");
            put("agent".into(), on.into());
        }
        (Kind::Qemu, "boot") => {
            // `order=scsi0;net0` (legacy `cdn`/`c` letters are kept as written)
            let order = props(v)
                .into_iter()
                .find(|(pk, _)| pk == "order")
                .map(|(_, pv)| pv)
                .unwrap_or_else(|| v.to_string());
            put("boot".into(), order);
        }
        (_, "startup" | "features") => put(k.into(), sorted_props(v)),
        (Kind::Qemu, k) if is_qemu_disk(k) => match media(v) {
            Media::CloudInit { storage } => {
                put("cloudinit.slot".into(), k.into());
                put("cloudinit.storage".into(), storage);
            }
            Media::Cdrom { file } => put(format!("{k}.cdrom"), file),
            Media::Disk => {
                let ps = props(v);
                for (pk, pv) in &ps {
                    match pk.as_str() {
                        "" | "file" => {
                            if let Some(s) = storage_of(pv) {
                                put(format!("{k}.storage"), s.into());
                            }
                        }
                        "size" => {
                            if let Some(g) = size_gib(pv) {
                                put(format!("{k}.size"), g);
                            }
                        }
                        p if QEMU_DISK_FLAGS.iter().any(|(f, _)| *f == p) => {
                            let val = if p == "cache" || p == "discard" {
                                pv.clone()
                            } else {
                                flag(pv).unwrap_or(pv).to_string()
                            };
                            put(format!("{k}.{p}"), val);
                        }
                        _ => {}
                    }
                }
            }
        },
        (Kind::Qemu, "efidisk0") => {
            for (pk, pv) in props(v) {
                match pk.as_str() {
                    "" | "file" => {
                        if let Some(s) = storage_of(&pv) {
                            put("efidisk0.storage".into(), s.into());
                        }
                    }
                    "efitype" => put("efidisk0.efitype".into(), pv),
                    "pre-enrolled-keys" => put(
                        "efidisk0.pre-enrolled-keys".into(),
                        flag(&pv).unwrap_or("0").into(),
                    ),
                    _ => {}
                }
            }
        }
        (Kind::Qemu, "tpmstate0") => {
            for (pk, pv) in props(v) {
                match pk.as_str() {
                    "" | "file" => {
                        if let Some(s) = storage_of(&pv) {
                            put("tpmstate0.storage".into(), s.into());
                        }
                    }
                    "version" => put("tpmstate0.version".into(), pv),
                    _ => {}
                }
            }
        }
        (Kind::Qemu, k) if indexed(k, "ipconfig").is_some() => {
            for (pk, pv) in props(v) {
                if matches!(pk.as_str(), "ip" | "gw" | "ip6" | "gw6") {
                    put(format!("{k}.{pk}"), pv);
                }
            }
        }
        (Kind::Qemu, k) if indexed(k, "net").is_some() => {
            for (pk, pv) in props(v) {
                match pk.as_str() {
                    "" => {}
                    "bridge" | "tag" | "mtu" => put(format!("{k}.{pk}"), pv),
                    "firewall" | "link_down" => {
                        put(format!("{k}.{pk}"), flag(&pv).unwrap_or("0").into())
                    }
                    "macaddr" => put(format!("{k}.macaddr"), pv.to_ascii_uppercase()),
                    m if ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"].contains(&m) => {
                        put(format!("{k}.model"), m.into());
                        put(format!("{k}.macaddr"), pv.to_ascii_uppercase());
                    }
                    _ => {}
                }
            }
        }
        (Kind::Qemu, k) if indexed(k, "usb").is_some() => {
            // `host` is the default key: `usb0: spice` is `host=spice`
            let named: Vec<String> = props(v)
                .into_iter()
                .map(|(pk, pv)| {
                    format!("{}={pv}", if pk.is_empty() { "host" } else { pk.as_str() })
                })
                .collect();
            put(k.into(), sorted_props(&named.join(",")))
        }
        (Kind::Qemu, k) if indexed(k, "serial").is_some() || indexed(k, "hostpci").is_some() => {
            put(k.into(), sorted_props(v))
        }
        (Kind::Lxc, "rootfs") => lxc_volume("rootfs", v, f),
        (Kind::Lxc, k) if indexed(k, "mp").is_some() => lxc_volume(k, v, f),
        (Kind::Lxc, k) if indexed(k, "net").is_some() => {
            for (pk, pv) in props(v) {
                match pk.as_str() {
                    "name" | "bridge" | "ip" | "gw" | "ip6" | "gw6" | "tag" | "mtu" => {
                        put(format!("{k}.{pk}"), pv)
                    }
                    "hwaddr" => put(format!("{k}.hwaddr"), pv.to_ascii_uppercase()),
                    "firewall" | "link_down" => {
                        put(format!("{k}.{pk}"), flag(&pv).unwrap_or("0").into())
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn lxc_volume(key: &str, v: &str, f: &mut Fields) {
    for (pk, pv) in props(v) {
        match pk.as_str() {
            "" | "volume" => {
                if let Some(s) = storage_of(&pv) {
                    f.insert(format!("{key}.storage"), s.into());
                }
            }
            "size" => {
                if let Some(g) = size_gib(&pv) {
                    f.insert(format!("{key}.size"), g);
                }
            }
            "mp" => {
                f.insert(format!("{key}.mp"), pv);
            }
            "backup" => {
                f.insert(format!("{key}.backup"), flag(&pv).unwrap_or("0").into());
            }
            _ => {}
        }
    }
}

/// Config keys a live guest has that no field carries: shown as "not imported" so nothing is
/// dropped silently.
pub fn uncarried(g: &LiveGuest) -> Vec<String> {
    const IGNORED: &[&str] = &[
        "digest",
        "meta",
        "vmgenid",
        "smbios1",
        "lock",
        "parent",
        "snaptime",
        "cipassword",
        "password",
        "lxc",
    ];
    g.config
        .keys()
        .filter(|k| !IGNORED.contains(&k.as_str()) && !k.starts_with("unused"))
        .filter(|k| {
            let mut f = Fields::new();
            config_field(g.kind, k, &g.config[*k], &mut f);
            f.is_empty()
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(kind: Kind, cfg: &[(&str, &str)]) -> Fields {
        from_live(&LiveGuest {
            vmid: 1,
            node: "n".into(),
            kind,
            name: "x".into(),
            pool: None,
            ha: None,
            config: cfg
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            pending: Vec::new(),
        })
    }

    #[test]
    fn qemu_config_into_fields() {
        let f = live(
            Kind::Qemu,
            &[
                ("scsi0", "local-lvm:vm-1-disk-0,iothread=1,size=32G"),
                ("ide2", "pmoxpool01:vm-1-cloudinit,media=cdrom"),
                ("ide0", "cephfs:iso/u.iso,media=cdrom"),
                (
                    "net0",
                    "virtio=bc:24:11:00:00:01,bridge=vmbr0,tag=20,firewall=1",
                ),
                ("ipconfig0", "ip=10.0.0.5/24,gw=10.0.0.1"),
                ("sshkeys", "ssh-ed25519%20AAAA%20a%40b%0A"),
                ("tags", "web;K3s"),
                ("agent", "enabled=1,fstrim_cloned_disks=1"),
                ("boot", "order=scsi0;net0"),
                (
                    "efidisk0",
                    "local-lvm:vm-1-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
                ),
            ],
        );
        let want = [
            ("scsi0.storage", "local-lvm"),
            ("scsi0.size", "32"),
            ("scsi0.iothread", "1"),
            ("cloudinit.slot", "ide2"),
            ("cloudinit.storage", "pmoxpool01"),
            ("ide0.cdrom", "cephfs:iso/u.iso"),
            ("net0.model", "virtio"),
            ("net0.macaddr", "BC:24:11:00:00:01"),
            ("net0.tag", "20"),
            ("net0.firewall", "1"),
            ("ipconfig0.ip", "10.0.0.5/24"),
            ("ipconfig0.gw", "10.0.0.1"),
            ("sshkeys", "ssh-ed25519 AAAA a@b"),
            ("tags", "k3s;web"),
            ("agent", "1"),
            ("boot", "scsi0;net0"),
            ("efidisk0.storage", "local-lvm"),
            ("efidisk0.efitype", "4m"),
            ("efidisk0.pre-enrolled-keys", "1"),
        ];
        for (k, v) in want {
            assert_eq!(f.get(k).map(String::as_str), Some(v), "{k}");
        }
    }

    #[test]
    fn sizes_in_gib() {
        assert_eq!(size_gib("32G").as_deref(), Some("32"));
        assert_eq!(size_gib("512M").as_deref(), Some("0.5"));
        assert_eq!(size_gib("1T").as_deref(), Some("1024"));
        assert_eq!(size_gib("20").as_deref(), Some("20"));
        assert_eq!(size_gib("x"), None);
    }

    #[test]
    fn lxc_config_into_fields() {
        let f = live(
            Kind::Lxc,
            &[
                ("hostname", "ct"),
                ("rootfs", "local-lvm:vm-1-disk-0,size=8G"),
                ("mp0", "pmoxpool01:vm-1-disk-1,mp=/srv/data,size=20G,backup=1"),
                ("net0", "name=eth0,bridge=vmbr0,hwaddr=bc:24:11:aa:bb:cc,ip=10.0.0.9/24,gw=10.0.0.1,tag=30,type=veth"),
                ("features", "nesting=1,keyctl=1"),
            ],
        );
        assert_eq!(f["name"], "ct");
        assert_eq!(f["rootfs.storage"], "local-lvm");
        assert_eq!(f["mp0.mp"], "/srv/data");
        assert_eq!(f["mp0.size"], "20");
        assert_eq!(f["net0.hwaddr"], "BC:24:11:AA:BB:CC");
        assert_eq!(f["net0.tag"], "30");
        assert_eq!(f["features"], "keyctl=1,nesting=1");
    }
}
