//! The provider release a module pins, and what that release re-creates: each field's argument
//! path in the resource's schema (`disk.datastore_id`, `disks.scsi.scsi0.disk.storage`), looked
//! up in the schema history derived from the providers' source at every release tag
//! (`schemas/providers/history/`, `force_new`: SDKv2 `ForceNew` or a framework
//! `RequiresReplace` plan modifier).
use std::collections::BTreeSet;

use provisio_lint::schema::history;
use provisio_lint::versions::{self, Resolution};

use crate::{bpg, telmate};

/// The registry source of a resource type's provider.
pub fn source_of(rtype: &str) -> Option<&'static str> {
    match rtype {
        bpg::VM | bpg::CT | bpg::HA | "proxmox_haresource" => Some("bpg/proxmox"),
        telmate::VM | telmate::CT => Some("Telmate/proxmox"),
        _ => None,
    }
}

/// The release of `source` a module is judged against: its `.terraform.lock.hcl`, else its
/// `required_providers` constraint, else the newest stable release.
pub fn resolve(source: &str, constraint: Option<&str>, lock: Option<&str>) -> Option<Resolution> {
    let h = history::of(source)?;
    let locked = lock.and_then(|l| versions::lock_version(l, source));
    Some(versions::resolve(
        &h.versions,
        constraint,
        locked.as_deref(),
    ))
}

/// The argument paths of `rtype` that force a new resource at `version`.
pub fn force_new(source: &str, rtype: &str, version: &str) -> BTreeSet<String> {
    history::of(source)
        .and_then(|h| h.flat(rtype, version))
        .map(|flat| {
            flat.into_iter()
                .filter(|(_, p)| p.force_new)
                .map(|(k, _)| k.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The schema path that sets `field` in a resource of `rtype` (None: not an argument of it).
pub fn schema_path(rtype: &str, field: &str) -> Option<String> {
    let (dev, prop) = field.split_once('.').unwrap_or((field, ""));
    let bare = dev.trim_end_matches(|c: char| c.is_ascii_digit());
    let disk_bus = matches!(bare, "scsi" | "virtio" | "sata" | "ide");
    let p = match (rtype, bare, prop) {
        (_, "vmid", _) if rtype == bpg::VM || rtype == bpg::CT => "vm_id".into(),
        (_, "node", _) if rtype == bpg::VM || rtype == bpg::CT => "node_name".into(),
        (_, "node", _) => "target_node".into(),
        (_, "pool", _) if rtype == bpg::VM || rtype == bpg::CT => "pool_id".into(),
        (_, "ha", _) if rtype == telmate::VM || rtype == telmate::CT => format!("ha{prop}"),
        (bpg::VM, _, _) => match (bare, prop) {
            (_, "size" | "cache" | "discard" | "iothread" | "ssd" | "backup") if disk_bus => {
                format!("disk.{prop}")
            }
            (_, "storage") if disk_bus => "disk.datastore_id".into(),
            (_, "cdrom") if disk_bus => "cdrom.file_id".into(),
            ("efidisk", "storage") => "efi_disk.datastore_id".into(),
            ("efidisk", "efitype") => "efi_disk.type".into(),
            ("efidisk", "pre-enrolled-keys") => "efi_disk.pre_enrolled_keys".into(),
            ("tpmstate", "storage") => "tpm_state.datastore_id".into(),
            ("tpmstate", "version") => "tpm_state.version".into(),
            ("cloudinit", "storage") => "initialization.datastore_id".into(),
            ("cloudinit", "slot") => "initialization.interface".into(),
            ("ipconfig", p) if p.ends_with('6') => "initialization.ip_config.ipv6".into(),
            ("ipconfig", _) => "initialization.ip_config.ipv4".into(),
            ("nameserver", _) => "initialization.dns.servers".into(),
            ("searchdomain", _) => "initialization.dns.domain".into(),
            ("ciuser", _) => "initialization.user_account.username".into(),
            ("sshkeys", _) => "initialization.user_account.keys".into(),
            ("net", "macaddr") => "network_device.mac_address".into(),
            ("net", "tag") => "network_device.vlan_id".into(),
            ("net", "link_down") => "network_device.disconnected".into(),
            ("net", p) => format!("network_device.{p}"),
            ("memory", _) => "memory.dedicated".into(),
            ("balloon", _) => "memory.floating".into(),
            ("cores" | "sockets" | "numa", _) => format!("cpu.{bare}"),
            ("cpu", _) => "cpu.type".into(),
            ("cpulimit", _) => "cpu.limit".into(),
            ("cpuunits", _) => "cpu.units".into(),
            ("vcpus", _) => "cpu.hotplugged".into(),
            ("affinity", _) => "cpu.affinity".into(),
            ("tablet", _) => "tablet_device".into(),
            ("args", _) => "kvm_arguments".into(),
            ("vga", p) => format!("vga.{p}"),
            ("rng", "max_bytes" | "period" | "source") => format!("rng.{prop}"),
            ("audio", p) => format!("audio_device.{p}"),
            ("onboot", _) => "on_boot".into(),
            ("scsihw", _) => "scsi_hardware".into(),
            ("boot", _) => "boot_order".into(),
            ("agent", _) => "agent.enabled".into(),
            ("ostype", _) => "operating_system.type".into(),
            ("serial", _) => "serial_device.device".into(),
            ("hostpci" | "usb" | "startup", _) => bare.into(),
            (b, "") => b.into(),
            _ => return None,
        },
        (bpg::CT, _, _) => match (bare, prop) {
            ("name", _) => "initialization.hostname".into(),
            ("rootfs", "storage") => "disk.datastore_id".into(),
            ("rootfs", "size") => "disk.size".into(),
            ("mp", "storage") => "mount_point.volume".into(),
            ("mp", "mp") => "mount_point.path".into(),
            ("mp", p) => format!("mount_point.{p}"),
            ("net", "ip" | "gw") => "initialization.ip_config.ipv4".into(),
            ("net", "ip6" | "gw6") => "initialization.ip_config.ipv6".into(),
            ("net", "hwaddr") => "network_interface.mac_address".into(),
            ("net", "tag") => "network_interface.vlan_id".into(),
            ("net", p) => format!("network_interface.{p}"),
            ("cores", _) => "cpu.cores".into(),
            ("cpulimit", _) => "cpu.limit".into(),
            ("cpuunits", _) => "cpu.units".into(),
            ("arch", _) => "cpu.architecture".into(),
            ("memory", _) => "memory.dedicated".into(),
            ("swap", _) => "memory.swap".into(),
            ("ostype", _) => "operating_system.type".into(),
            ("onboot", _) => "start_on_boot".into(),
            ("nameserver", _) => "initialization.dns.servers".into(),
            ("searchdomain", _) => "initialization.dns.domain".into(),
            (b, "") => b.into(),
            _ => return None,
        },
        (telmate::VM, _, _) => match (bare, prop) {
            (_, p) if disk_bus => {
                let leaf = match p {
                    "ssd" => "disk.emulatessd".to_string(),
                    "cdrom" => "cdrom.iso".to_string(),
                    p => format!("disk.{p}"),
                };
                format!("disks.{bare}.{dev}.{leaf}")
            }
            ("efidisk", "pre-enrolled-keys") => "efidisk.pre_enrolled_keys".into(),
            ("efidisk", p) => format!("efidisk.{p}"),
            ("tpmstate", p) => format!("tpm_state.{p}"),
            ("net", p) => format!("network.{p}"),
            ("ipconfig", _) => dev.into(),
            ("cores" | "sockets" | "numa", _) => format!("cpu.{bare}"),
            ("cpu", _) => "cpu.type".into(),
            ("cpulimit", _) => "cpu.limit".into(),
            ("cpuunits", _) => "cpu.units".into(),
            ("vcpus", _) => "cpu.vcores".into(),
            ("affinity", _) => "cpu.affinity".into(),
            ("vga", p) => format!("vga.{p}"),
            ("rng", "max_bytes") => "rng.limit".into(),
            ("rng", p) => format!("rng.{p}"),
            ("onboot", _) => "start_at_node_boot".into(),
            ("ostype", _) => "qemu_os".into(),
            ("serial", _) => "serial.type".into(),
            ("hostpci", _) => "pcis".into(),
            ("usb", _) => "usbs".into(),
            ("startup", _) => "startup_shutdown".into(),
            (b, "") => b.into(),
            _ => return None,
        },
        (telmate::CT, _, _) => match (bare, prop) {
            ("name", _) => "hostname".into(),
            ("rootfs", p) => format!("rootfs.{p}"),
            ("mp", p) => format!("mountpoint.{p}"),
            ("net", p) => format!("network.{p}"),
            (b, "") => b.into(),
            _ => return None,
        },
        _ => return None,
    };
    Some(p)
}

/// The path itself or the nearest enclosing block that forces a new resource.
pub fn forces_new<'a>(path: &str, force_new: &'a BTreeSet<String>) -> Option<&'a str> {
    let mut p = path;
    loop {
        if let Some(hit) = force_new.get(p) {
            return Some(hit.as_str());
        }
        match p.rsplit_once('.') {
            Some((parent, _)) => p = parent,
            None => return None,
        }
    }
}
