//! Values Proxmox VE refuses (PV017): the VM name is not a DNS name, a VMID outside
//! 100-999999999, tags with characters PVE does not allow, enumerated settings (SCSI
//! controller, BIOS, OS type, NIC model, disk cache/discard/aio/format, VGA type) with a value
//! outside PVE's list, a disk on a slot that does not exist, two disks on one slot or a disk on
//! the cloud-init drive's slot, DNS servers or gateways that are not IP addresses, a CPU type
//! PVE does not know, a Telmate disk size it cannot read, numbers out of range (cores, sockets,
//! VLAN tag, MTU, NIC queues), memory below the minimum (or given in GiB), hugepage sizes, MAC
//! addresses that are malformed or multicast, and a balloon minimum above the memory. PV018: a
//! boot order naming a device the VM does not have. PV062: `iothread` on a SCSI disk whose
//! controller ignores it.
//!
//! The enumerations are PVE 9's (`/nodes/{node}/qemu` POST parameters);
//! `tests/provider_values.rs` checks them against the API schema when `../shared` is present.
//! Only literal values are checked (after following `var.X` defaults and `local.X`).
//!
//! Rules reported here: PV017 invalid-value, PV018 boot-device-missing, PV062 iothread-ignored.
use std::collections::BTreeMap;
use std::net::IpAddr;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;

use super::{object_entries, Decls, Lit, TfFile};
use crate::finding::{Sink, Span};
use crate::rules::Code;
use crate::severity::Severity;

pub const SCSIHW: &[&str] = &[
    "lsi",
    "lsi53c810",
    "virtio-scsi-pci",
    "virtio-scsi-single",
    "megasas",
    "pvscsi",
];
pub const BIOS: &[&str] = &["seabios", "ovmf"];
/// PVE's hotplug features (`pve-hotplug-features`; `0` disables hotplug, `1` is the default set).
pub const HOTPLUG: &[&str] = &["network", "disk", "cpu", "memory", "usb", "cloudinit"];
pub const OSTYPE: &[&str] = &[
    "other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24",
    "l26", "solaris",
];
pub const NIC_MODEL: &[&str] = &[
    "e1000",
    "e1000-82540em",
    "e1000-82544gc",
    "e1000-82545em",
    "e1000e",
    "i82551",
    "i82557b",
    "i82559er",
    "ne2k_isa",
    "ne2k_pci",
    "pcnet",
    "rtl8139",
    "virtio",
    "vmxnet3",
];
pub const CACHE: &[&str] = &["none", "writethrough", "writeback", "unsafe", "directsync"];
pub const DISCARD: &[&str] = &["ignore", "on"];
pub const AIO: &[&str] = &["native", "threads", "io_uring"];
/// Formats both providers accept (PVE also knows qcow, qed and cloop, which neither offers).
pub const DISK_FORMAT: &[&str] = &["raw", "qcow2", "vmdk"];
pub const VGA: &[&str] = &[
    "cirrus",
    "qxl",
    "qxl2",
    "qxl3",
    "qxl4",
    "none",
    "serial0",
    "serial1",
    "serial2",
    "serial3",
    "std",
    "virtio",
    "virtio-gl",
    "vmware",
];
/// QEMU's built-in CPU models that Proxmox VE 9 offers (its `reported-model` enumeration),
/// ...
pub const CPU_MODELS: &[&str] = &[
    "486",
    "Broadwell",
    "Broadwell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Cascadelake-Server",
    "Cascadelake-Server-noTSX",
    "Cascadelake-Server-v2",
    "Cascadelake-Server-v4",
    "Cascadelake-Server-v5",
    "ClearwaterForest",
    "Conroe",
    "Cooperlake",
    "Cooperlake-v2",
    "EPYC",
    "EPYC-Genoa",
    "EPYC-Genoa-v2",
    "EPYC-IBPB",
    "EPYC-Milan",
    "EPYC-Milan-v2",
    "EPYC-Milan-v3",
    "EPYC-Rome",
    "EPYC-Rome-v2",
    "EPYC-Rome-v3",
    "EPYC-Rome-v4",
    "EPYC-Rome-v5",
    "EPYC-Turin",
    "EPYC-v3",
    "EPYC-v4",
    "EPYC-v5",
    "GraniteRapids",
    "GraniteRapids-v2",
    "GraniteRapids-v3",
    "Haswell",
    "Haswell-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "Icelake-Client",
    "Icelake-Client-noTSX",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Icelake-Server-v3",
    "Icelake-Server-v4",
    "Icelake-Server-v5",
    "Icelake-Server-v6",
    "Icelake-Server-v7",
    "IvyBridge",
    "IvyBridge-IBRS",
    "KnightsMill",
    "Nehalem",
    "Nehalem-IBRS",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "Penryn",
    "SandyBridge",
    "SandyBridge-IBRS",
    "SapphireRapids",
    "SapphireRapids-v2",
    "SapphireRapids-v3",
    "SapphireRapids-v4",
    "SierraForest",
    "SierraForest-v2",
    "SierraForest-v3",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Client-v4",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Skylake-Server-v4",
    "Skylake-Server-v5",
    "Westmere",
    "Westmere-IBRS",
    "a64fx",
    "athlon",
    "core2duo",
    "coreduo",
    "cortex-a35",
    "cortex-a53",
    "cortex-a55",
    "cortex-a57",
    "cortex-a710",
    "cortex-a72",
    "cortex-a76",
    "host",
    "kvm32",
    "kvm64",
    "max",
    "neoverse-n1",
    "neoverse-n2",
    "neoverse-v1",
    "pentium",
    "pentium2",
    "pentium3",
    "phenom",
    "qemu32",
    "qemu64",
];
/// ... plus Proxmox VE's own x86-64 micro-architecture levels (admin guide, "CPU Type").
/// Custom models are `custom-<name>`.
pub const CPU_LEVELS: &[&str] = &["x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4"];

/// Disk buses and their highest slot number.
pub const BUSES: &[(&str, u32)] = &[("ide", 3), ("sata", 5), ("scsi", 30), ("virtio", 15)];

#[derive(Clone, Copy)]
enum Check {
    Enum(&'static [&'static str]),
    DnsName,
    VmId,
    /// One tag per list element (bpg) ...
    Tags,
    /// ... or a `;`/`,`/space separated string (Telmate).
    TagString,
    DiskSlot,
    /// The cloud-init drive: IDE, SATA or SCSI only.
    CloudInitSlot,
    Ip,
    /// Space-separated addresses (Telmate `nameserver`).
    IpString,
    /// A built-in CPU model, an x86-64 level or `custom-<name>` (case matters).
    CpuType,
    /// Telmate's disk size: a whole number with an optional K, M, G or T suffix.
    TelmateSize,
    /// A whole number from `.0` to `.1`; `.2` says what the number is.
    Range(i64, i64, &'static str),
    /// Memory in MiB, at least this much (PVE: 16; bpg: 64); small values are likely GiB.
    MemoryMib(u32),
    /// A unicast MAC address `XX:XX:XX:XX:XX:XX`.
    Mac,
    /// A serial port: `socket` or a host device path (`/dev/ttyS0`).
    Serial,
    /// A QEMU machine type PVE accepts (`q35`, `pc`, versioned `pc-q35-9.2+pve1`, `virt`).
    Machine,
    /// Hotplug features: `0`, `1` or a comma-separated list of `HOTPLUG` names.
    Hotplug,
}

/// Enumerations of fields PVE takes as strings.
pub const HUGEPAGES: &[&str] = &["2", "1024", "any"];
pub const EFI_TYPE: &[&str] = &["2m", "4m"];
pub const TPM_VERSION: &[&str] = &["v1.2", "v2.0"];
pub const ARCH: &[&str] = &["x86_64", "aarch64"];
pub const AGENT_TYPE: &[&str] = &["virtio", "isa"];
pub const KEYBOARD: &[&str] = &[
    "de", "de-ch", "da", "en-gb", "en-us", "es", "fi", "fr", "fr-be", "fr-ca", "fr-ch", "hu", "is",
    "it", "ja", "lt", "mk", "nl", "no", "pl", "pt", "pt-br", "sv", "sl", "tr",
];

/// PVE's machine type pattern: `pc`, `q35`, `pc[-i440fx]-X.Y[+pveN][.pxe]`,
/// `pc-q35-X.Y[+pveN][.pxe]`, `virt[-X.Y][+pveN]`; options may follow a comma
/// (`q35,viommu=intel`).
pub fn machine(s: &str) -> bool {
    let t = s.split(',').next().unwrap_or(s);
    let t = t.strip_prefix("type=").unwrap_or(t);
    let version = |v: &str| {
        let v = v.strip_suffix(".pxe").unwrap_or(v);
        let (nums, pve) = match v.split_once("+pve") {
            Some((n, p)) => (n, Some(p)),
            None => (v, None),
        };
        let parts: Vec<&str> = nums.split('.').collect();
        parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && pve.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match t {
        "pc" | "q35" | "virt" => true,
        _ => {
            if let Some(v) = t.strip_prefix("pc-i440fx-") {
                version(v)
            } else if let Some(v) = t.strip_prefix("pc-q35-") {
                version(v)
            } else if let Some(v) = t.strip_prefix("virt-") {
                version(v) && !v.ends_with(".pxe")
            } else if let Some(v) = t.strip_prefix("pc-") {
                version(v)
            } else if let Some(v) = t.strip_prefix("virt+pve") {
                !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
            } else {
                false
            }
        }
    }
}

/// `path` walks blocks (`*` = any block) down to the attribute.
const BPG: &[(&[&str], Check)] = &[
    (&["machine"], Check::Machine),
    (&["agent", "type"], Check::Enum(AGENT_TYPE)),
    (&["keyboard_layout"], Check::Enum(KEYBOARD)),
    (&["efi_disk", "type"], Check::Enum(EFI_TYPE)),
    (&["tpm_state", "version"], Check::Enum(TPM_VERSION)),
    (&["cpu", "architecture"], Check::Enum(ARCH)),
    (
        &["vga", "memory"],
        Check::Range(4, 512, "VGA memory in MiB"),
    ),
    (&["serial_device", "device"], Check::Serial),
    (&["name"], Check::DnsName),
    (&["vm_id"], Check::VmId),
    (&["tags"], Check::Tags),
    (&["scsi_hardware"], Check::Enum(SCSIHW)),
    (&["bios"], Check::Enum(BIOS)),
    (&["operating_system", "type"], Check::Enum(OSTYPE)),
    (&["network_device", "model"], Check::Enum(NIC_MODEL)),
    (&["disk", "interface"], Check::DiskSlot),
    (&["disk", "cache"], Check::Enum(CACHE)),
    (&["disk", "discard"], Check::Enum(DISCARD)),
    (&["disk", "aio"], Check::Enum(AIO)),
    (&["disk", "file_format"], Check::Enum(DISK_FORMAT)),
    (&["vga", "type"], Check::Enum(VGA)),
    (&["cpu", "type"], Check::CpuType),
    (&["initialization", "interface"], Check::CloudInitSlot),
    (&["memory", "dedicated"], Check::MemoryMib(64)),
    (&["memory", "hugepages"], Check::Enum(HUGEPAGES)),
    (&["cpu", "cores"], Check::Range(1, 8192, "cores per socket")),
    (&["cpu", "sockets"], Check::Range(1, 64, "CPU sockets")),
    (
        &["network_device", "vlan_id"],
        Check::Range(0, 4094, "VLAN tag (1-4094; 0 or unset for none)"),
    ),
    (
        &["network_device", "mtu"],
        Check::Range(1, 65520, "MTU (1 = the bridge's MTU)"),
    ),
    (
        &["network_device", "queues"],
        Check::Range(0, 64, "queue count"),
    ),
    (&["network_device", "mac_address"], Check::Mac),
    (&["hotplug"], Check::Hotplug),
    (&["initialization", "dns", "servers"], Check::Ip),
    (
        &["initialization", "ip_config", "ipv4", "gateway"],
        Check::Ip,
    ),
    (
        &["initialization", "ip_config", "ipv6", "gateway"],
        Check::Ip,
    ),
];

const TELMATE: &[(&[&str], Check)] = &[
    (&["machine"], Check::Machine),
    (&["efidisk", "efitype"], Check::Enum(EFI_TYPE)),
    (&["tpm_state", "version"], Check::Enum(TPM_VERSION)),
    (
        &["vga", "memory"],
        Check::Range(4, 512, "VGA memory in MiB"),
    ),
    (&["name"], Check::DnsName),
    (&["serial", "type"], Check::Serial),
    (&["vmid"], Check::VmId),
    (&["tags"], Check::TagString),
    (&["scsihw"], Check::Enum(SCSIHW)),
    (&["bios"], Check::Enum(BIOS)),
    (&["qemu_os"], Check::Enum(OSTYPE)),
    (&["network", "model"], Check::Enum(NIC_MODEL)),
    (&["vga", "type"], Check::Enum(VGA)),
    (&["disks", "*", "*", "disk", "cache"], Check::Enum(CACHE)),
    (
        &["disks", "*", "*", "disk", "format"],
        Check::Enum(DISK_FORMAT),
    ),
    (&["disks", "*", "*", "disk", "asyncio"], Check::Enum(AIO)),
    (&["disk", "cache"], Check::Enum(CACHE)),
    (&["disk", "format"], Check::Enum(DISK_FORMAT)),
    (&["nameserver"], Check::IpString),
    (&["cpu", "type"], Check::CpuType),
    (&["disks", "*", "*", "disk", "size"], Check::TelmateSize),
    (&["disk", "size"], Check::TelmateSize),
    (&["memory"], Check::MemoryMib(16)),
    (&["cores"], Check::Range(1, 8192, "cores per socket")),
    (&["sockets"], Check::Range(1, 64, "CPU sockets")),
    (&["cpu", "cores"], Check::Range(1, 8192, "cores per socket")),
    (&["cpu", "sockets"], Check::Range(1, 64, "CPU sockets")),
    (
        &["network", "tag"],
        Check::Range(-1, 4094, "VLAN tag (1-4094; 0 or -1 for none)"),
    ),
    (
        &["network", "mtu"],
        Check::Range(0, 65520, "MTU (1 = the bridge's MTU)"),
    ),
    (&["network", "queues"], Check::Range(0, 64, "queue count")),
    (&["network", "macaddr"], Check::Mac),
    (
        &["network", "id"],
        Check::Range(0, 31, "NIC slot (net0 to net31)"),
    ),
    (
        &["serial", "id"],
        Check::Range(0, 3, "serial port (serial0 to serial3)"),
    ),
    (&["hotplug"], Check::Hotplug),
];

const BPG_CT: &[(&[&str], Check)] = &[
    (&["vm_id"], Check::VmId),
    (&["tags"], Check::Tags),
    (&["initialization", "hostname"], Check::DnsName),
    (&["initialization", "dns", "servers"], Check::Ip),
    (
        &["initialization", "ip_config", "ipv4", "gateway"],
        Check::Ip,
    ),
    (&["memory", "dedicated"], Check::MemoryMib(16)),
    (&["cpu", "cores"], Check::Range(1, 8192, "core count")),
    (&["network_interface", "mac_address"], Check::Mac),
    (
        &["network_interface", "vlan_id"],
        Check::Range(0, 4094, "VLAN tag (1-4094; 0 or unset for none)"),
    ),
];

/// Telmate's `vmid = 0` means the next free one, so it is not judged here.
const TELMATE_CT: &[(&[&str], Check)] = &[
    (&["hostname"], Check::DnsName),
    (&["tags"], Check::TagString),
    (&["nameserver"], Check::IpString),
    (&["memory"], Check::MemoryMib(16)),
    (&["cores"], Check::Range(1, 8192, "core count")),
    (&["network", "hwaddr"], Check::Mac),
    (
        &["network", "tag"],
        Check::Range(-1, 4094, "VLAN tag (1-4094; 0 or -1 for none)"),
    ),
    (&["network", "gw"], Check::Ip),
];

/// PVE's `dns-name` format: dot-separated labels of letters, digits and inner hyphens.
pub fn dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// PVE's tag format: `[a-z0-9_][a-z0-9_\-+.]*`, case-insensitive.
pub fn tag(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {}
        _ => return false,
    }
    cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.'))
}

/// A CPU type Proxmox VE knows.
pub fn cpu_type(s: &str) -> bool {
    CPU_MODELS.contains(&s)
        || CPU_LEVELS.contains(&s)
        || s.strip_prefix("custom-").is_some_and(|n| !n.is_empty())
}

/// Telmate's disk size format: `40G`, `20480M`, `1T`, `40` (GiB).
pub fn telmate_size(s: &str) -> bool {
    let digits = s.trim_end_matches(['K', 'M', 'G', 'T']);
    s.len() - digits.len() <= 1
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `scsi0`, `virtio15`, ... → (bus, number) when the slot exists.
pub fn slot(s: &str) -> Option<(&'static str, u32)> {
    BUSES.iter().find_map(|(bus, max)| {
        let n: u32 = s.strip_prefix(bus)?.parse().ok()?;
        (n <= *max && !s[bus.len()..].starts_with('+')).then_some((*bus, n))
    })
}

fn slot_list() -> String {
    BUSES
        .iter()
        .map(|(b, m)| format!("{b}0-{b}{m}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// PVE's `mac-addr` format: six hex pairs separated by colons, a unicast address.
pub fn mac(s: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err("is not a MAC address (six hex pairs separated by colons)");
    }
    match u8::from_str_radix(parts[0], 16) {
        Ok(b) if b & 1 == 0 => Ok(()),
        _ => Err("is a multicast MAC address; Proxmox VE needs a unicast one (even first pair)"),
    }
}

/// The literal strings of an attribute value: one for a scalar, one per literal element for a
/// list. Computed values give nothing.
fn strings(decls: &Decls, e: &Expression) -> Vec<String> {
    match e {
        Expression::Array(a) => a
            .iter()
            .filter_map(|x| match decls.resolve(x) {
                Lit::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => match decls.resolve(e) {
            Lit::Str(s) => vec![s],
            Lit::Num(n) => vec![n.to_string()],
            _ => vec![],
        },
    }
}

/// The bodies of the nested blocks at `path` (`*` matches any block name).
fn blocks_at<'a>(body: &'a Body, path: &[&str], out: &mut Vec<&'a Body>) {
    match path {
        [] => out.push(body),
        [b, rest @ ..] => {
            for blk in body.blocks() {
                if *b == "*" || blk.ident.as_str() == *b {
                    blocks_at(&blk.body, rest, out);
                }
            }
        }
    }
}

fn bad(sink: &mut Sink, span: Span, what: &str, v: &str, why: String, fix: String) {
    sink.push(
        Code::PV017,
        span,
        format!("`{what}` = \"{v}\" {why}"),
        Some(fix),
    );
}

/// The allowed value equal to `v` ignoring case, else the nearest by edit distance.
fn nearest(v: &str, allowed: &[&str]) -> Option<String> {
    if let Some(x) = allowed.iter().find(|x| x.eq_ignore_ascii_case(v)) {
        return Some(x.to_string());
    }
    let c: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
    crate::schema::did_you_mean(v, c.iter())
}

fn check_value(sink: &mut Sink, span: Span, what: &str, v: &str, check: Check) {
    match check {
        Check::Enum(allowed) => {
            if !allowed.contains(&v) {
                let fix = match nearest(v, allowed) {
                    Some(n) => format!("use `{n}` (one of: {})", allowed.join(", ")),
                    None => format!("use one of: {}", allowed.join(", ")),
                };
                bad(sink, span, what, v, "is not a value Proxmox VE accepts".into(), fix);
            }
        }
        Check::DnsName => {
            if !dns_name(v) {
                let fixed: String = v
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
                    .collect::<String>()
                    .trim_matches('-')
                    .to_string();
                bad(
                    sink,
                    span,
                    what,
                    v,
                    "is not a DNS name: Proxmox VE refuses it (letters, digits and inner hyphens only)".into(),
                    format!("name it `{fixed}`"),
                );
            }
        }
        Check::VmId => match v.parse::<f64>() {
            Ok(n) if (100.0..=999_999_999.0).contains(&n) && n.fract() == 0.0 => {}
            _ => bad(
                sink,
                span,
                what,
                v,
                "is not a VMID: Proxmox VE takes whole numbers from 100 to 999999999 (below 100 is reserved)".into(),
                "pick a free VMID of 100 or more (cluster_state's `next_vmid`)".into(),
            ),
        },
        Check::Tags | Check::TagString => {
            let parts: Vec<&str> = if matches!(check, Check::TagString) {
                v.split([';', ',', ' ']).filter(|t| !t.is_empty()).collect()
            } else {
                vec![v]
            };
            for t in parts {
                if !tag(t) {
                    let fixed: String = t
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.') {
                                c
                            } else {
                                '-'
                            }
                        })
                        .collect();
                    bad(
                        sink,
                        span,
                        what,
                        t,
                        "is not a valid tag: Proxmox VE allows letters, digits and `_ - + .` (not first)".into(),
                        format!("use `{}`", fixed.trim_start_matches(['-', '+', '.'])),
                    );
                }
            }
        }
        Check::DiskSlot | Check::CloudInitSlot => {
            let ok = match slot(v) {
                Some(("virtio", _)) => matches!(check, Check::DiskSlot),
                Some(_) => true,
                None => false,
            };
            if !ok {
                let why = if matches!(check, Check::CloudInitSlot) && v.starts_with("virtio") {
                    "cannot hold the cloud-init drive (IDE, SATA or SCSI only)".to_string()
                } else {
                    "is not a disk slot of a QEMU VM".to_string()
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    why,
                    format!("use a slot that exists: {}", slot_list()),
                );
            }
        }
        Check::CpuType => {
            if !cpu_type(v) {
                let all: Vec<&str> = CPU_MODELS.iter().chain(CPU_LEVELS).copied().collect();
                let fix = match nearest(v, &all) {
                    Some(n) => format!("use `{n}`; common choices: host, x86-64-v2-AES, x86-64-v3, kvm64 (or `custom-<name>` for a model in cpu-models.conf)"),
                    None => "use a CPU model Proxmox VE knows: host, x86-64-v2-AES, x86-64-v3, kvm64, ... (or `custom-<name>` for a model in cpu-models.conf)".into(),
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    "is not a CPU type Proxmox VE knows (names are case-sensitive)".into(),
                    fix,
                );
            }
        }
        Check::TelmateSize => {
            if !telmate_size(v) {
                let n: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
                let unit = v[n.len()..]
                    .trim()
                    .chars()
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .filter(|c| matches!(c, 'K' | 'M' | 'G' | 'T'))
                    .unwrap_or('G');
                let fix = if n.is_empty() || n.starts_with('0') {
                    "write a whole number with an optional K, M, G or T suffix, like `40G`".into()
                } else {
                    format!("write `{n}{unit}` (a whole number with an optional K, M, G or T suffix)")
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    "is not a size the Telmate provider accepts".into(),
                    fix,
                );
            }
        }
        Check::Range(lo, hi, what_is) => {
            let Ok(n) = v.parse::<f64>() else { return };
            if n.fract() != 0.0 || n < lo as f64 || n > hi as f64 {
                bad(
                    sink,
                    span,
                    what,
                    v,
                    format!("is not a valid {what_is}: Proxmox VE takes whole numbers from {lo} to {hi}"),
                    format!("use a whole number from {lo} to {hi}"),
                );
            }
        }
        Check::MemoryMib(min) => {
            let Ok(n) = v.parse::<f64>() else { return };
            if n < f64::from(min) || n.fract() != 0.0 {
                let fix = if (1.0..=1024.0).contains(&n) && n.fract() == 0.0 {
                    format!("memory is in MiB: {n} GiB is `{}`", n as i64 * 1024)
                } else {
                    "give the memory in MiB as a whole number, like 4096 for 4 GiB".into()
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    format!("is not a memory size the provider accepts: it is in MiB, at least {min}"),
                    fix,
                );
            }
        }
        Check::Machine => {
            if !machine(v) {
                let fix = match v.to_ascii_lowercase().as_str() {
                    "i440fx" | "i440" | "pc-i440fx" => "write `pc` (the i440fx machine is called `pc`)".to_string(),
                    x if x.contains("q35") => "write `q35`, or a versioned type like `pc-q35-9.2+pve1`".to_string(),
                    _ => "write `q35` or `pc` (or a versioned type like `pc-q35-9.2+pve1`)".to_string(),
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    "is not a QEMU machine type Proxmox VE accepts".into(),
                    fix,
                );
            }
        }
        Check::Serial => {
            if v != "socket" && !(v.starts_with("/dev/") && v.len() > 5) {
                let fix = if v.eq_ignore_ascii_case("socket") || v.starts_with("sock") {
                    "write `socket` (a UNIX socket on the host, for `qm terminal` and the xterm.js console)".to_string()
                } else {
                    "write `socket`, or a host device path like `/dev/ttyS0`".to_string()
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    "is not a serial port Proxmox VE knows: `socket` or a device path under /dev/".into(),
                    fix,
                );
            }
        }
        Check::Mac => {
            if let Err(why) = mac(v) {
                bad(
                    sink,
                    span,
                    what,
                    v,
                    why.into(),
                    "write six hex pairs with colons and an even first pair (unicast), like `BC:24:11:00:00:01`, or leave it out for a generated one".into(),
                );
            }
        }
        Check::Hotplug => {
            if v == "0" || v == "1" {
                return;
            }
            for x in v.split(',').map(str::trim) {
                if HOTPLUG.contains(&x) {
                    continue;
                }
                let near = match x.to_ascii_lowercase().as_str() {
                    "ram" | "mem" | "memory" => Some("memory".to_string()),
                    "net" | "nic" | "nics" | "networks" => Some("network".to_string()),
                    "disks" | "storage" => Some("disk".to_string()),
                    "cpus" | "vcpu" | "vcpus" => Some("cpu".to_string()),
                    _ => nearest(x, HOTPLUG),
                };
                let fix = match near {
                    Some(n) => format!(
                        "write `{n}` (features: {}; `0` disables hotplug, `1` means network,disk,usb)",
                        HOTPLUG.join(", ")
                    ),
                    None => format!(
                        "list features from: {} (`0` disables hotplug, `1` means network,disk,usb)",
                        HOTPLUG.join(", ")
                    ),
                };
                bad(
                    sink,
                    span,
                    what,
                    v,
                    format!("names `{x}`, which is not a hotplug feature Proxmox VE knows"),
                    fix,
                );
            }
        }
        Check::Ip | Check::IpString => {
            for a in v.split_whitespace() {
                if a.parse::<IpAddr>().is_err() {
                    bad(
                        sink,
                        span,
                        what,
                        a,
                        "is not an IP address".into(),
                        "write a plain IPv4 or IPv6 address without a prefix, like 192.168.0.1"
                            .into(),
                    );
                }
            }
        }
    }
}

/// PV017 for one VM resource.
pub fn check(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls, version: &str) {
    // Telmate took `vmid = 0` as "the next free VMID" through 3.0.2-rc04.
    let zero_is_next_free = matches!(ty, "proxmox_vm_qemu" | "proxmox_lxc")
        && crate::versions::Version::parse(version).is_some_and(|v| {
            crate::versions::Version::parse("3.0.2-rc04").is_some_and(|last| v <= last)
        });
    let table = match ty {
        "proxmox_virtual_environment_vm" | "proxmox_virtual_environment_vm2" => BPG,
        "proxmox_vm_qemu" => TELMATE,
        "proxmox_virtual_environment_container" => BPG_CT,
        "proxmox_lxc" => TELMATE_CT,
        // Nested attributes: see `cloned_vm`.
        "proxmox_cloned_vm" | "proxmox_virtual_environment_cloned_vm" => &[],
        _ => return,
    };
    for (path, check) in table {
        let (attr, blocks) = path.split_last().expect("non-empty path");
        let mut bodies = Vec::new();
        blocks_at(&b.body, blocks, &mut bodies);
        for body in bodies {
            if let Some(a) = body.get_attribute(attr) {
                let what = path
                    .iter()
                    .filter(|p| **p != "*")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(".");
                let mut vals = strings(decls, &a.value);
                // A bool given to an enumerated string converts to "true"/"false", which
                // PVE refuses (bpg `discard = true`; the setting is `on` or `ignore`).
                if let (Check::Enum(_), Lit::Bool(b)) = (check, decls.resolve(&a.value)) {
                    vals.push(b.to_string());
                }
                for v in vals {
                    if zero_is_next_free && *attr == "vmid" && v.trim() == "0" {
                        continue;
                    }
                    check_value(sink, f.attr_span(a), &what, &v, *check);
                }
            }
        }
    }
    if matches!(
        ty,
        "proxmox_cloned_vm" | "proxmox_virtual_environment_cloned_vm"
    ) {
        cloned_vm(f, sink, b, decls);
    }
    if ty == "proxmox_virtual_environment_vm" {
        slot_conflicts(f, sink, b, decls);
    }
    if ty == "proxmox_vm_qemu" {
        telmate_ids_twice(f, sink, b, decls);
    }
    memory_hotplug_numa(f, sink, b, ty, decls);
    boot_devices(f, sink, b, ty, decls);
    balloon(f, sink, b, ty, decls);
    iothreads(f, sink, b, ty, decls);
    ssd_on_virtio(f, sink, b, ty, decls);
}

/// `proxmox_cloned_vm` writes its settings as nested attributes: `cpu = { ... }` and maps keyed
/// by slot (`disk = { scsi0 = { ... } }`, `network = { net0 = { ... } }`).
fn cloned_vm(f: &TfFile, sink: &mut Sink, b: &Block, decls: &Decls) {
    const SINGLE: &[(&str, &str, Check)] = &[
        ("cpu", "type", Check::CpuType),
        ("cpu", "cores", Check::Range(1, 8192, "cores per socket")),
        ("cpu", "sockets", Check::Range(1, 64, "CPU sockets")),
        ("memory", "size", Check::MemoryMib(16)),
        ("memory", "hugepages", Check::Enum(HUGEPAGES)),
        ("vga", "type", Check::Enum(VGA)),
    ];
    const PER_SLOT: &[(&str, &str, Check)] = &[
        ("disk", "cache", Check::Enum(CACHE)),
        ("disk", "discard", Check::Enum(DISCARD)),
        ("disk", "aio", Check::Enum(AIO)),
        ("disk", "format", Check::Enum(DISK_FORMAT)),
        ("network", "model", Check::Enum(NIC_MODEL)),
        ("network", "mac_address", Check::Mac),
        (
            "network",
            "tag",
            Check::Range(0, 4094, "VLAN tag (1-4094; 0 or unset for none)"),
        ),
        (
            "network",
            "mtu",
            Check::Range(1, 65520, "MTU (1 = the bridge's MTU)"),
        ),
        ("network", "queues", Check::Range(0, 64, "queue count")),
    ];
    let object = |k: &str| match b.body.get_attribute(k).map(|a| &a.value) {
        Some(Expression::Object(o)) => Some(o),
        _ => None,
    };
    let span_of = |e: &Expression| f.span(e.span());
    let check_field =
        |sink: &mut Sink, o: &hcl_edit::expr::Object, what: &str, field: &str, c: Check| {
            for (k, _, v) in object_entries(o) {
                if k == field {
                    for s in strings(decls, v) {
                        check_value(sink, span_of(v), &format!("{what}.{field}"), &s, c);
                    }
                }
            }
        };
    for (attr, field, c) in SINGLE {
        if let Some(o) = object(attr) {
            check_field(sink, o, attr, field, *c);
        }
    }
    if let Some(m) = object("memory") {
        let num = |k: &str| {
            object_entries(m)
                .into_iter()
                .find(|(key, _, _)| key == k)
                .and_then(|(_, _, v)| match decls.resolve(v) {
                    Lit::Num(n) => Some((n, span_of(v))),
                    _ => None,
                })
        };
        if let (Some((bal, span)), Some((size, _))) = (num("balloon"), num("size")) {
            if bal > size {
                sink.push(
                    Code::PV017,
                    span,
                    format!("`memory.balloon` = {bal} MiB is more than `memory.size` = {size} MiB; Proxmox VE refuses it (\"balloon value too large\")"),
                    Some(format!("`balloon` is the guaranteed minimum: set it at most {size} (or raise `size`)")),
                );
            }
        }
    }
    for attr in ["disk", "network", "cdrom"] {
        let Some(map) = object(attr) else { continue };
        for (slot, key, v) in object_entries(map) {
            let kspan = f.span(key.span());
            let (ok, allowed) = match attr {
                "network" => (
                    slot.strip_prefix("net")
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| n <= 31),
                    "net0-net31".to_string(),
                ),
                "cdrom" => (
                    matches!(self::slot(&slot), Some((bus, _)) if bus != "virtio"),
                    "an IDE, SATA or SCSI slot, like ide2".to_string(),
                ),
                _ => (self::slot(&slot).is_some(), slot_list()),
            };
            if !ok {
                bad(
                    sink,
                    kspan,
                    &format!("{attr} key"),
                    &slot,
                    format!("is not a slot this map takes ({allowed})"),
                    format!("key the entry by a slot: {allowed}"),
                );
            }
            let Expression::Object(o) = v else { continue };
            for (a, field, c) in PER_SLOT.iter().filter(|(a, _, _)| *a == attr) {
                check_field(sink, o, &format!("{a}.{slot}"), field, *c);
            }
        }
    }
}

/// PV017: the balloon minimum above the VM's memory ("balloon value too large (must be
/// smaller than assigned memory)").
fn balloon(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    let (mem_body, mem_attr, bal_attr, default) = match ty {
        "proxmox_vm_qemu" => (Some(&b.body), "memory", "balloon", 512.0),
        "proxmox_virtual_environment_vm" => (
            b.body.get_blocks("memory").next().map(|m| &m.body),
            "dedicated",
            "floating",
            512.0,
        ),
        _ => return,
    };
    let Some(body) = mem_body else { return };
    let Some(a) = body.get_attribute(bal_attr) else {
        return;
    };
    let Lit::Num(bal) = decls.resolve(&a.value) else {
        return;
    };
    let mem = match body.get_attribute(mem_attr) {
        Some(m) => match decls.resolve(&m.value) {
            Lit::Num(n) => n,
            _ => return,
        },
        // A clone keeps the template's memory unless told otherwise.
        None if b.body.get_blocks("clone").next().is_some() => return,
        None => default,
    };
    if bal > mem {
        sink.push(
            Code::PV017,
            f.attr_span(a),
            format!("`{bal_attr}` = {bal} MiB is more than the VM's memory ({mem_attr} = {mem} MiB); Proxmox VE refuses it (\"balloon value too large\")"),
            Some(format!("`{bal_attr}` is the balloon's minimum: set it at most {mem} (or raise `{mem_attr}`)")),
        );
    }
}

/// PV062: `iothread` on a SCSI disk whose controller is not `virtio-scsi-single` is ignored by
/// Proxmox VE (admin guide, "IO Thread"); VirtIO block disks take it on any controller.
fn iothreads(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    let (hw_attr, default) = match ty {
        "proxmox_vm_qemu" => ("scsihw", "lsi"),
        "proxmox_virtual_environment_vm" => ("scsi_hardware", "virtio-scsi-pci"),
        _ => return,
    };
    let hw = match b.body.get_attribute(hw_attr) {
        Some(a) => match decls.resolve(&a.value) {
            Lit::Str(s) => s,
            _ => return,
        },
        // bpg clones may keep the template's controller.
        None if ty != "proxmox_vm_qemu" && b.body.get_blocks("clone").next().is_some() => return,
        None => default.to_string(),
    };
    // An unknown controller is PV017's finding.
    if hw == "virtio-scsi-single" || !SCSIHW.contains(&hw.as_str()) {
        return;
    }
    let mut disks: Vec<(String, &Body)> = Vec::new();
    if ty == "proxmox_vm_qemu" {
        for ds in b.body.get_blocks("disks") {
            for bus in ds.body.get_blocks("scsi") {
                for slot in bus.body.blocks() {
                    for d in slot.body.get_blocks("disk") {
                        disks.push((slot.ident.as_str().to_string(), &d.body));
                    }
                }
            }
        }
    } else {
        for d in b.body.get_blocks("disk") {
            if let Some(i) = attr_str(&d.body, "interface", decls) {
                if i.starts_with("scsi") {
                    disks.push((i, &d.body));
                }
            }
        }
    }
    for (slot, body) in disks {
        let Some(a) = body.get_attribute("iothread") else {
            continue;
        };
        if !matches!(decls.resolve(&a.value), Lit::Bool(true)) {
            continue;
        }
        let set = if b.body.has_attribute(hw_attr) {
            "is"
        } else {
            "defaults to"
        };
        sink.push(
            Code::PV062,
            f.attr_span(a),
            format!("`iothread` on {slot} has no effect: the SCSI controller (`{hw_attr}`) {set} `{hw}`, and Proxmox VE uses IO threads on SCSI disks only with `virtio-scsi-single`"),
            Some(format!("set `{hw_attr} = \"virtio-scsi-single\"` (one controller per disk), or put the disk on a virtio slot")),
        );
    }
}

/// PV017 (warning): bpg's `ssd = true` on a VirtIO Block disk. Proxmox VE's virtio drives
/// have no `ssd` option (the admin guide and bpg's docs: SSD emulation is not supported on
/// VirtIO Block drives), so the guest never sees an SSD.
fn ssd_on_virtio(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    if ty != "proxmox_virtual_environment_vm" {
        return;
    }
    for d in b.body.get_blocks("disk") {
        let Some(i) = attr_str(&d.body, "interface", decls) else {
            continue;
        };
        let Some(a) = d.body.get_attribute("ssd") else {
            continue;
        };
        if !i.starts_with("virtio") || !matches!(decls.resolve(&a.value), Lit::Bool(true)) {
            continue;
        }
        sink.push_as(
            Severity::Warning,
            Code::PV017,
            f.attr_span(a),
            format!("`ssd = true` on {i}: SSD emulation is not supported on VirtIO Block drives (Proxmox VE's virtio drive options have no `ssd`), so the guest never sees an SSD"),
            Some(format!("remove `ssd`, or put the disk on a SCSI slot (`interface = \"scsi{}\"`) to emulate an SSD", i.trim_start_matches("virtio"))),
        );
    }
}

/// The literal string of an attribute, if it has one.
fn attr_str(body: &Body, name: &str, decls: &Decls) -> Option<String> {
    body.get_attribute(name)
        .and_then(|a| strings(decls, &a.value).into_iter().next())
}

/// The devices a VM resource defines (disks, CD-ROMs, the cloud-init drive, NICs), or None
/// when they cannot all be known statically (dynamic blocks, computed slots, legacy layouts).
fn devices(b: &Block, ty: &str, decls: &Decls) -> Option<Vec<String>> {
    if b.body.get_blocks("dynamic").next().is_some() {
        return None;
    }
    let mut out = Vec::new();
    if ty == "proxmox_vm_qemu" {
        // Legacy `disk` blocks, or no `disks` at all (a clone keeping the template's).
        if b.body.get_blocks("disk").next().is_some()
            || b.body.get_blocks("disks").next().is_none()
            || b.body.get_attribute("cloudinit_cdrom_storage").is_some()
        {
            return None;
        }
        for disks in b.body.get_blocks("disks") {
            for bus in disks.body.blocks() {
                for slot in bus.body.blocks() {
                    out.push(slot.ident.as_str().to_string());
                }
            }
        }
        for n in b.body.get_blocks("network") {
            out.push(format!("net{}", attr_str(&n.body, "id", decls)?));
        }
    } else {
        for d in b.body.get_blocks("disk") {
            out.push(attr_str(&d.body, "interface", decls)?);
        }
        for c in b.body.get_blocks("cdrom") {
            out.push(attr_str(&c.body, "interface", decls).unwrap_or_else(|| "ide3".into()));
        }
        for i in b.body.get_blocks("initialization") {
            out.push(attr_str(&i.body, "interface", decls).unwrap_or_else(|| "ide2".into()));
        }
        for (n, _) in b.body.get_blocks("network_device").enumerate() {
            out.push(format!("net{n}"));
        }
    }
    Some(out)
}

/// PV018: each device in the boot order must be one the VM has (a typo or a disk moved to
/// another bus leaves the VM without a boot disk). Passed-through PCI and USB devices are not
/// checked.
fn boot_devices(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    let (attr, order): (_, Vec<String>) = match ty {
        "proxmox_vm_qemu" => {
            let Some(a) = b.body.get_attribute("boot") else {
                return;
            };
            let Some(v) = strings(decls, &a.value).into_iter().next() else {
                return;
            };
            let Some(list) = v.strip_prefix("order=") else {
                return;
            };
            (
                a,
                list.split([';', ','])
                    .map(|d| d.trim().to_string())
                    .collect(),
            )
        }
        "proxmox_virtual_environment_vm" | "proxmox_virtual_environment_vm2" => {
            let Some(a) = b.body.get_attribute("boot_order") else {
                return;
            };
            let Expression::Array(xs) = &a.value else {
                return;
            };
            let mut v = Vec::new();
            for x in xs.iter() {
                match decls.resolve(x) {
                    Lit::Str(s) => v.push(s),
                    _ => return,
                }
            }
            (a, v)
        }
        _ => return,
    };
    // A clone inherits the template's devices, which we do not see.
    if b.body.get_blocks("clone").next().is_some() && ty != "proxmox_vm_qemu" {
        return;
    }
    let Some(have) = devices(b, ty, decls) else {
        return;
    };
    for d in order.iter().filter(|d| !d.is_empty()) {
        if have.contains(d) || d.starts_with("hostpci") || d.starts_with("usb") {
            continue;
        }
        let disks: Vec<&str> = have
            .iter()
            .filter(|h| slot(h).is_some())
            .map(|h| h.as_str())
            .collect();
        let fix = match disks.first() {
            Some(first) => format!(
                "boot from a device the VM has: {} (e.g. `{first}` first)",
                have.join(", ")
            ),
            None => {
                "define the disk the VM should boot from, or drop it from the boot order".into()
            }
        };
        sink.push(
            Code::PV018,
            f.attr_span(attr),
            format!(
                "the boot order names `{d}`, which this VM does not have ({}); it would not boot from the intended disk",
                if have.is_empty() {
                    "it has no disks or NICs here".to_string()
                } else {
                    format!("it has {}", have.join(", "))
                }
            ),
            Some(fix),
        );
    }
}

/// bpg: two disks on one slot, or a disk on the cloud-init drive's slot (`ide2` unless
/// `initialization.interface` says otherwise).
fn slot_conflicts(f: &TfFile, sink: &mut Sink, b: &Block, decls: &Decls) {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let ci = b.body.get_blocks("initialization").next().map(|i| {
        i.body
            .get_attribute("interface")
            .and_then(|a| strings(decls, &a.value).into_iter().next())
            .unwrap_or_else(|| "ide2".to_string())
    });
    for d in b.body.get_blocks("disk") {
        let Some(a) = d.body.get_attribute("interface") else {
            continue;
        };
        let Some(v) = strings(decls, &a.value).into_iter().next() else {
            continue;
        };
        let span = f.attr_span(a);
        if let Some(line) = seen.get(&v) {
            sink.push(
                Code::PV017,
                span,
                format!("disk interface `{v}` is used twice in this VM (first at line {line})"),
                Some("give each disk its own slot (scsi1, scsi2, ...)".into()),
            );
        } else {
            seen.insert(v.clone(), span.0);
        }
        if ci.as_deref() == Some(v.as_str()) {
            sink.push(
                Code::PV017,
                span,
                format!("disk interface `{v}` is where the cloud-init drive goes (`initialization.interface`, default ide2)"),
                Some("put the disk on another slot, or move the cloud-init drive with `initialization { interface = \"ide0\" }`".into()),
            );
        }
    }
}

/// Telmate: two `network` (or `serial`) blocks with one `id` both claim the same slot (`net0`);
/// the second overwrites the first.
fn telmate_ids_twice(f: &TfFile, sink: &mut Sink, b: &Block, decls: &Decls) {
    for (block, prefix) in [("network", "net"), ("serial", "serial")] {
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for n in b.body.get_blocks(block) {
            let Some(a) = n.body.get_attribute("id") else {
                continue;
            };
            let Some(id) = strings(decls, &a.value).into_iter().next() else {
                continue;
            };
            let span = f.attr_span(a);
            if let Some(line) = seen.get(&id) {
                let free = (0..32)
                    .map(|i| i.to_string())
                    .find(|i| !seen.contains_key(i))
                    .unwrap_or_default();
                sink.push(
                    Code::PV017,
                    span,
                    format!("`{block}` id {id} is used twice in this VM (first at line {line}): both blocks are {prefix}{id}, and one replaces the other"),
                    Some(format!("give each `{block}` block its own id (e.g. `id = {free}`)")),
                );
            } else {
                seen.insert(id, span.0);
            }
        }
    }
}

/// Memory hotplug needs NUMA (bpg's docs: "Memory hotplug requires NUMA to be enabled"; Proxmox
/// VE refuses to start such a VM). Warning: the VM is created, but does not start.
fn memory_hotplug_numa(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    if !matches!(ty, "proxmox_virtual_environment_vm" | "proxmox_vm_qemu") {
        return;
    }
    let Some(a) = b.body.get_attribute("hotplug") else {
        return;
    };
    let Some(v) = strings(decls, &a.value).into_iter().next() else {
        return;
    };
    if !v.split(',').any(|x| x.trim() == "memory") {
        return;
    }
    // NUMA: `cpu { numa = true }` (both providers), Telmate's deprecated top-level `numa`.
    // Anything but a literal false counts as on (a variable may enable it).
    let mut numa = None;
    for c in b.body.get_blocks("cpu") {
        if let Some(n) = c.body.get_attribute("numa") {
            numa = Some(decls.resolve(&n.value));
        }
    }
    if let Some(n) = b.body.get_attribute("numa") {
        numa = Some(decls.resolve(&n.value));
    }
    let on = match numa {
        None | Some(Lit::Null) => false,
        Some(Lit::Bool(b)) => b,
        Some(Lit::Num(n)) => n != 0.0,
        Some(Lit::Str(s)) => !matches!(s.as_str(), "false" | "0"),
        Some(_) => true,
    };
    // bpg's `numa` blocks (the guest's NUMA topology) mean the author is configuring NUMA.
    let topology =
        ty == "proxmox_virtual_environment_vm" && b.body.get_blocks("numa").next().is_some();
    if on || topology {
        return;
    }
    sink.push_as(
        Severity::Warning,
        Code::PV017,
        f.attr_span(a),
        format!("`hotplug` = \"{v}\" includes memory, but NUMA is off: memory hotplug requires NUMA, and Proxmox VE refuses to start the VM"),
        Some("enable NUMA with `cpu { numa = true }`, or drop `memory` from `hotplug`".into()),
    );
}
