//! bpg/proxmox: `proxmox_virtual_environment_vm`, `proxmox_virtual_environment_container` and
//! `proxmox_virtual_environment_haresource`, written from a guest's fields (import) and read
//! back into fields (drift). Defaults are the provider's documented ones
//! (docs/resources/virtual_environment_vm.md, virtual_environment_container.md).
use hcl::Block;

use crate::fields::{self, Fields, Kind, LiveGuest};
use crate::hclb::B;
use crate::implied::{strings, text, Implied};
use crate::import::Out;
use crate::manifest::Node;
use crate::slots;

pub const VM: &str = "proxmox_virtual_environment_vm";
pub const CT: &str = "proxmox_virtual_environment_container";
pub const HA: &str = "proxmox_virtual_environment_haresource";

/// The provider's defaults for what a manifest leaves out (its documentation). Import writes
/// each of these explicitly when the guest's value differs from it.
pub fn defaults(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Qemu => &[
            ("onboot", "1"),
            ("scsihw", "virtio-scsi-pci"),
            ("cpu", "qemu64"),
            ("memory", "512"),
            ("cores", "1"),
            ("sockets", "1"),
            ("bios", "seabios"),
            ("ostype", "other"),
            ("protection", "0"),
        ],
        Kind::Lxc => &[
            ("onboot", "1"),
            ("swap", "0"),
            ("cores", "1"),
            ("memory", "512"),
            ("ostype", "unmanaged"),
            ("unprivileged", "0"),
            ("protection", "0"),
        ],
    }
}

fn startup(b: &mut B, f: &Fields) {
    if let Some(v) = f.get("startup") {
        let (o, u, d) = slots::startup(v);
        b.block_if(
            B::new("startup")
                .n("order", o.as_ref())
                .n("up_delay", u.as_ref())
                .n("down_delay", d.as_ref())
                .build(),
        );
    }
}

/// The resource block's identity and metadata, shared by VMs and containers: name (VMs; a
/// container's hostname is in `initialization`), node, VMID, description, tags, pool, start at
/// boot.
fn header(rtype: &str, label: &str, g: &LiveGuest, f: &Fields, kind: Kind, out: &mut Out) -> B {
    let mut b = B::new("resource");
    b.label(rtype).label(label);
    if kind == Kind::Qemu {
        b.s("name", f.get("name"));
    }
    b.s("node_name", f.get("node"))
        .n("vm_id", f.get("vmid"))
        .s("description", f.get("description"));
    let tags = fields::raw_tags(g);
    if !tags.is_empty() {
        b.list("tags", &tags);
    }
    b.s("pool_id", f.get("pool"));
    let onboot = if kind == Kind::Qemu {
        "on_boot"
    } else {
        "start_on_boot"
    };
    out.explicit(&mut b, f, kind, "onboot", onboot, defaults(kind));
    b
}

/// [`header`] read back: node, VMID, description, tags, pool, start at boot (`onboot`, the
/// resource's argument for it), protection, template.
fn read_header(m: &mut Implied, n: &Node, onboot: &str) {
    m.text("node", n, "node_name");
    m.text("vmid", n, "vm_id");
    m.text("description", n, "description");
    m.from("tags", n, "tags", |v| {
        strings(v).map(|t| fields::tags(t.iter().map(String::as_str)))
    });
    m.text("pool", n, "pool_id");
    m.flag("onboot", n, onboot);
    m.flag("protection", n, "protection");
    m.flag("template", n, "template");
}

/// One `ip_config` block from the `{prefix}.ip/gw/ip6/gw6` fields.
fn ip_config(f: &Fields, prefix: &str) -> Block {
    let k = |p: &str| f.get(&format!("{prefix}.{p}"));
    let mut ipc = B::new("ip_config");
    if k("ip").is_some() {
        ipc.block(
            B::new("ipv4")
                .s("address", k("ip"))
                .s("gateway", k("gw"))
                .build(),
        );
    }
    if k("ip6").is_some() {
        ipc.block(
            B::new("ipv6")
                .s("address", k("ip6"))
                .s("gateway", k("gw6"))
                .build(),
        );
    }
    ipc.build()
}

/// The `dns` block of `initialization`, when the guest has a name server or search domain.
fn dns(f: &Fields) -> Option<Block> {
    if f.get("nameserver").is_none() && f.get("searchdomain").is_none() {
        return None;
    }
    let servers: Vec<String> = f
        .get("nameserver")
        .map(|n| n.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let mut dns = B::new("dns");
    dns.s("domain", f.get("searchdomain"));
    if !servers.is_empty() {
        dns.list("servers", &servers);
    }
    Some(dns.build())
}

/// `ip_config` blocks and `dns` of an `initialization` block back into fields (`{prefix}N.ip`).
fn read_init_network(m: &mut Implied, i: &Node, prefix: &str) {
    for (idx, ip) in i.blocks("ip_config").enumerate() {
        if let Some(v4) = ip.block("ipv4") {
            m.text(&format!("{prefix}{idx}.ip"), v4, "address");
            m.text(&format!("{prefix}{idx}.gw"), v4, "gateway");
        }
        if let Some(v6) = ip.block("ipv6") {
            m.text(&format!("{prefix}{idx}.ip6"), v6, "address");
            m.text(&format!("{prefix}{idx}.gw6"), v6, "gateway");
        }
    }
    if let Some(d) = i.block("dns") {
        m.text("searchdomain", d, "domain");
        m.text("nameserver", d, "server");
        m.from("nameserver", d, "servers", |v| {
            strings(v).map(|s| s.join(" "))
        });
    }
}

/// The resource blocks of a VM.
pub fn render_vm(label: &str, g: &LiveGuest, f: &Fields, out: &mut Out) -> Block {
    let get = |k: &str| f.get(k);
    let mut b = header(VM, label, g, f, Kind::Qemu, out);
    if get("protection").is_some_and(|v| v == "1") {
        b.b("protection", get("protection"));
    }
    if get("template").is_some_and(|v| v == "1") {
        b.b("template", get("template"));
    }
    // A stopped guest stays stopped (the provider starts it by default).
    b.expr("started", hcl::Expression::from(out.running(g)));
    b.s("bios", get("bios")).s("machine", get("machine"));
    out.explicit(
        &mut b,
        f,
        Kind::Qemu,
        "scsihw",
        "scsi_hardware",
        defaults(Kind::Qemu),
    );
    if let Some(order) = get("boot") {
        if order.contains(';') || fields::is_qemu_disk(order) || order.starts_with("net") {
            let items: Vec<String> = order.split(';').map(str::to_string).collect();
            b.list("boot_order", &items);
        } else {
            out.note(
                g,
                format!("boot `{order}` (legacy letters) is not written; bpg takes device names"),
            );
        }
    }
    b.block(
        B::new("agent")
            .b(
                "enabled",
                Some(&get("agent").cloned().unwrap_or_else(|| "0".into())),
            )
            .build(),
    );
    let cpu_type = get("cpu")
        .cloned()
        .or_else(|| fields::pve_default(Kind::Qemu, "cpu").map(str::to_string));
    b.block(
        B::new("cpu")
            .n("cores", get("cores"))
            .n("sockets", get("sockets"))
            .s("type", cpu_type.as_ref())
            .b("numa", get("numa"))
            .n("limit", get("cpulimit"))
            .n("units", get("cpuunits"))
            .n("hotplugged", get("vcpus"))
            .s("affinity", get("affinity"))
            .build(),
    );
    b.b("tablet_device", get("tablet"))
        .s("hotplug", get("hotplug"))
        .s("kvm_arguments", get("args"));
    if get("rng0.source").is_some() {
        b.block(
            B::new("rng")
                .s("source", get("rng0.source"))
                .n("max_bytes", get("rng0.max_bytes"))
                .n("period", get("rng0.period"))
                .build(),
        );
    }
    if get("audio0.device").is_some() {
        b.block(
            B::new("audio_device")
                .s("device", get("audio0.device"))
                .s("driver", get("audio0.driver"))
                .build(),
        );
    }
    if get("vga.type").is_some() || get("vga.memory").is_some() {
        b.block(
            B::new("vga")
                .s("type", get("vga.type"))
                .n("memory", get("vga.memory"))
                .s("clipboard", get("vga.clipboard"))
                .build(),
        );
    }
    b.block(
        B::new("memory")
            .n("dedicated", get("memory"))
            .n("floating", get("balloon"))
            .build(),
    );
    if let Some(t) = get("ostype") {
        b.block(B::new("operating_system").s("type", Some(t)).build());
    }
    for slot in slots::disks(f) {
        let k = |p: &str| f.get(&format!("{slot}.{p}"));
        let mut d = B::new("disk");
        d.s("interface", Some(&slot))
            .s("datastore_id", k("storage"));
        match k("size") {
            Some(s) if s.parse::<u64>().is_ok() => {
                d.n("size", Some(s));
            }
            Some(s) => out.note(g, format!("{slot}: size {s} GiB is not a whole number of GiB; bpg sizes are whole GiB, left out")),
            None => {}
        }
        d.s("cache", k("cache"))
            .s("discard", k("discard"))
            .b("iothread", k("iothread"))
            .b("ssd", k("ssd"))
            .b("backup", k("backup"));
        b.block(d.build());
    }
    for slot in slots::cdroms(f) {
        b.block(
            B::new("cdrom")
                .s("interface", Some(&slot))
                .s("file_id", f.get(&format!("{slot}.cdrom")))
                .build(),
        );
    }
    if get("efidisk0.storage").is_some() {
        b.block(
            B::new("efi_disk")
                .s("datastore_id", get("efidisk0.storage"))
                .s("type", get("efidisk0.efitype"))
                .b("pre_enrolled_keys", get("efidisk0.pre-enrolled-keys"))
                .build(),
        );
    }
    if get("tpmstate0.storage").is_some() {
        b.block(
            B::new("tpm_state")
                .s("datastore_id", get("tpmstate0.storage"))
                .s(
                    "version",
                    Some(
                        &get("tpmstate0.version")
                            .cloned()
                            .unwrap_or_else(|| "v1.2".into()),
                    ),
                )
                .build(),
        );
    }
    let ips = slots::numbers(f, "ipconfig");
    if get("cloudinit.storage").is_some() || !ips.is_empty() {
        let mut init = B::new("initialization");
        init.s("datastore_id", get("cloudinit.storage"))
            .s("interface", get("cloudinit.slot"));
        let last = ips.last().copied();
        for i in 0..=last.unwrap_or(0) {
            if last.is_none() {
                break;
            }
            init.block(ip_config(f, &format!("ipconfig{i}")));
        }
        if let Some(d) = dns(f) {
            init.block(d);
        }
        let mut ua = B::new("user_account");
        ua.s("username", get("ciuser"));
        if let Some(k) = get("sshkeys") {
            let keys: Vec<String> = k.lines().map(str::to_string).collect();
            ua.list("keys", &keys);
        }
        if g.config.contains_key("cipassword") {
            let var = out.secret(label, "cipassword", "Password of the cloud-init user");
            ua.expr(
                "password",
                provisio_draft::terraform::raw(&format!("var.{var}")),
            );
        }
        init.block_if(ua.build());
        b.block(init.build());
    }
    for n in slots::numbers(f, "net") {
        let k = |p: &str| f.get(&format!("net{n}.{p}"));
        b.block(
            B::new("network_device")
                .s("bridge", k("bridge"))
                .s("model", k("model"))
                .s("mac_address", k("macaddr"))
                .n("vlan_id", k("tag"))
                .b("firewall", k("firewall"))
                .n("mtu", k("mtu"))
                .b("disconnected", k("link_down"))
                .build(),
        );
    }
    out.gaps(g, f, "net", "network_device");
    out.gaps(g, f, "ipconfig", "initialization.ip_config");
    for n in slots::numbers(f, "serial") {
        b.block(
            B::new("serial_device")
                .s("device", f.get(&format!("serial{n}")))
                .build(),
        );
    }
    out.gaps(g, f, "serial", "serial_device");
    for n in slots::numbers(f, "hostpci") {
        let v = &f[&format!("hostpci{n}")];
        let ps = fields::props(v);
        let p = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
        let id = p("").or_else(|| p("host"));
        let mut h = B::new("hostpci");
        h.s("device", Some(&format!("hostpci{n}")))
            .s("id", id.as_ref())
            .s("mapping", p("mapping").as_ref())
            .b("pcie", p("pcie").as_ref())
            .b("rombar", p("rombar").as_ref())
            .b("xvga", p("x-vga").as_ref());
        b.block(h.build());
    }
    for n in slots::numbers(f, "usb") {
        let v = &f[&format!("usb{n}")];
        let ps = fields::props(v);
        let p = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
        b.block(
            B::new("usb")
                .s("host", p("host").as_ref())
                .s("mapping", p("mapping").as_ref())
                .b("usb3", p("usb3").as_ref())
                .build(),
        );
    }
    out.gaps(g, f, "usb", "usb");
    startup(&mut b, f);
    b.build()
}

/// The fields a `proxmox_virtual_environment_vm` instance implies.
pub fn read_vm(n: &Node) -> Implied {
    let mut m = Implied::new(Kind::Qemu);
    m.text("name", n, "name");
    read_header(&mut m, n, "on_boot");
    m.text("bios", n, "bios");
    m.text("machine", n, "machine");
    m.text("scsihw", n, "scsi_hardware");
    m.from("boot", n, "boot_order", |v| strings(v).map(|x| x.join(";")));
    if let Some(a) = n.block("agent") {
        m.flag("agent", a, "enabled");
        m.default("agent", "0");
    }
    if let Some(c) = n.block("cpu") {
        m.text("cores", c, "cores");
        m.text("sockets", c, "sockets");
        m.text("cpu", c, "type");
        m.flag("numa", c, "numa");
        m.text("cpulimit", c, "limit");
        m.text("cpuunits", c, "units");
        m.text("vcpus", c, "hotplugged");
        m.text("affinity", c, "affinity");
    }
    m.flag("tablet", n, "tablet_device");
    m.text("hotplug", n, "hotplug");
    m.text("args", n, "kvm_arguments");
    if let Some(v) = n.block("vga") {
        m.text("vga.type", v, "type");
        m.text("vga.memory", v, "memory");
        m.text("vga.clipboard", v, "clipboard");
    }
    if let Some(r) = n.block("rng") {
        m.text("rng0.source", r, "source");
        m.text("rng0.max_bytes", r, "max_bytes");
        m.text("rng0.period", r, "period");
    }
    if let Some(a) = n.block("audio_device") {
        m.text("audio0.device", a, "device");
        m.default("audio0.device", "intel-hda");
        m.text("audio0.driver", a, "driver");
        m.default("audio0.driver", "spice");
    }
    if let Some(c) = n.block("memory") {
        m.text("memory", c, "dedicated");
        m.text("balloon", c, "floating");
    }
    if let Some(o) = n.block("operating_system") {
        m.text("ostype", o, "type");
    }
    for d in n.blocks("disk") {
        let slot = Implied::key(d, "interface").unwrap_or_else(|| "scsi0".into());
        let f = |p: &str| format!("{slot}.{p}");
        m.text(&f("storage"), d, "datastore_id");
        m.default(&f("storage"), "local-lvm");
        m.text(&f("size"), d, "size");
        m.default(&f("size"), "8");
        m.text(&f("cache"), d, "cache");
        m.text(&f("discard"), d, "discard");
        m.flag(&f("iothread"), d, "iothread");
        m.flag(&f("ssd"), d, "ssd");
        m.flag(&f("backup"), d, "backup");
    }
    for c in n.blocks("cdrom") {
        let slot = Implied::key(c, "interface").unwrap_or_else(|| "ide3".into());
        m.text(&format!("{slot}.cdrom"), c, "file_id");
        m.default(&format!("{slot}.cdrom"), "none");
    }
    if let Some(e) = n.block("efi_disk") {
        m.text("efidisk0.storage", e, "datastore_id");
        m.default("efidisk0.storage", "local-lvm");
        m.text("efidisk0.efitype", e, "type");
        m.default("efidisk0.efitype", "2m");
        m.flag("efidisk0.pre-enrolled-keys", e, "pre_enrolled_keys");
        m.default("efidisk0.pre-enrolled-keys", "0");
    }
    if let Some(t) = n.block("tpm_state") {
        m.text("tpmstate0.storage", t, "datastore_id");
        m.default("tpmstate0.storage", "local-lvm");
        m.text("tpmstate0.version", t, "version");
        m.default("tpmstate0.version", "v2.0");
    }
    if let Some(i) = n.block("initialization") {
        m.text("cloudinit.storage", i, "datastore_id");
        m.default("cloudinit.storage", "local-lvm");
        m.text("cloudinit.slot", i, "interface");
        m.default("cloudinit.slot", "ide2");
        read_init_network(&mut m, i, "ipconfig");
        if let Some(u) = i.block("user_account") {
            m.text("ciuser", u, "username");
            m.from("sshkeys", u, "keys", |v| {
                strings(v).map(|k| fields::ssh_keys(&k.join("\n")))
            });
        }
    }
    for (idx, d) in n.blocks("network_device").enumerate() {
        let f = |p: &str| format!("net{idx}.{p}");
        m.text(&f("bridge"), d, "bridge");
        m.default(&f("bridge"), "vmbr0");
        m.text(&f("model"), d, "model");
        m.default(&f("model"), "virtio");
        m.from(&f("macaddr"), d, "mac_address", |v| {
            text(v).map(|t| t.to_ascii_uppercase())
        });
        m.from(&f("tag"), d, "vlan_id", |v| text(v).filter(|t| t != "0"));
        m.flag(&f("firewall"), d, "firewall");
        m.text(&f("mtu"), d, "mtu");
        m.flag(&f("link_down"), d, "disconnected");
    }
    for (idx, s) in n.blocks("serial_device").enumerate() {
        m.text(&format!("serial{idx}"), s, "device");
        m.default(&format!("serial{idx}"), "socket");
    }
    for h in n.blocks("hostpci") {
        let Some(dev) = Implied::key(h, "device") else {
            continue;
        };
        let mut ps = Vec::new();
        if let Some(id) = Implied::key(h, "id") {
            ps.push(id);
        }
        if let Some(mp) = Implied::key(h, "mapping") {
            ps.push(format!("mapping={mp}"));
        }
        for (attr, key) in [("pcie", "pcie"), ("rombar", "rombar"), ("xvga", "x-vga")] {
            if let Some(v) = Implied::key(h, attr) {
                ps.push(format!("{key}={v}"));
            }
        }
        m.set(&dev, fields::sorted_props(&ps.join(",")));
    }
    for (idx, u) in n.blocks("usb").enumerate() {
        let mut ps = Vec::new();
        if let Some(h) = Implied::key(u, "host") {
            ps.push(format!("host={h}"));
        }
        if let Some(mp) = Implied::key(u, "mapping") {
            ps.push(format!("mapping={mp}"));
        }
        if let Some(v) = Implied::key(u, "usb3") {
            ps.push(format!("usb3={v}"));
        }
        m.set(&format!("usb{idx}"), fields::sorted_props(&ps.join(",")));
    }
    if let Some(s) = n.block("startup") {
        let v = slots::startup_value(
            Implied::key(s, "order"),
            Implied::key(s, "up_delay"),
            Implied::key(s, "down_delay"),
        );
        if let Some(v) = v {
            m.set("startup", v);
        }
    }
    for (k, v) in defaults(Kind::Qemu) {
        m.default(k, v);
    }
    m
}

/// The resource block of a container.
pub fn render_ct(label: &str, g: &LiveGuest, f: &Fields, out: &mut Out) -> Block {
    let get = |k: &str| f.get(k);
    let mut b = header(CT, label, g, f, Kind::Lxc, out);
    b.b(
        "unprivileged",
        Some(&get("unprivileged").cloned().unwrap_or_else(|| "0".into())),
    );
    if get("protection").is_some_and(|v| v == "1") {
        b.b("protection", get("protection"));
    }
    if get("template").is_some_and(|v| v == "1") {
        b.b("template", get("template"));
    }
    b.expr("started", hcl::Expression::from(out.running(g)));
    if get("cores").is_none() {
        out.note(g, "no `cores` (the container may use every host core); bpg's cpu.cores defaults to 1, so drift shows it".into());
    }
    let mut cpu = B::new("cpu");
    cpu.s("architecture", get("arch"))
        .n("limit", get("cpulimit"))
        .n("units", get("cpuunits"));
    out.explicit(
        &mut cpu,
        f,
        Kind::Lxc,
        "cores",
        "cores",
        defaults(Kind::Lxc),
    );
    b.block_if(cpu.build());
    let mut mem = B::new("memory");
    mem.n("dedicated", get("memory"));
    out.explicit(&mut mem, f, Kind::Lxc, "swap", "swap", defaults(Kind::Lxc));
    b.block(mem.build());
    b.block(
        B::new("disk")
            .s("datastore_id", get("rootfs.storage"))
            .n("size", get("rootfs.size"))
            .build(),
    );
    for n in slots::numbers(f, "mp") {
        let k = |p: &str| f.get(&format!("mp{n}.{p}"));
        let size = k("size").map(|s| format!("{s}G"));
        b.block(
            B::new("mount_point")
                .s("volume", k("storage"))
                .s("path", k("mp"))
                .s("size", size.as_ref())
                .b("backup", k("backup"))
                .build(),
        );
    }
    out.gaps(g, f, "mp", "mount_point");
    let nets = slots::numbers(f, "net");
    let mut init = B::new("initialization");
    init.s("hostname", get("name"));
    for n in &nets {
        init.block(ip_config(f, &format!("net{n}")));
    }
    if let Some(d) = dns(f) {
        init.block(d);
    }
    b.block(init.build());
    for n in &nets {
        let k = |p: &str| f.get(&format!("net{n}.{p}"));
        b.block(
            B::new("network_interface")
                .s("name", k("name"))
                .s("bridge", k("bridge"))
                .s("mac_address", k("hwaddr"))
                .n("vlan_id", k("tag"))
                .b("firewall", k("firewall"))
                .n("mtu", k("mtu"))
                .build(),
        );
    }
    out.gaps(g, f, "net", "network_interface");
    // The OS template a container was made from is not in its config: a variable, and
    // ignore_changes, because the provider re-creates the container when it changes.
    let var = out.plain_var(
        label,
        "template_file_id",
        "OS template the container was created from (volume id, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst); PVE does not record it",
    );
    b.block(
        B::new("operating_system")
            .expr(
                "template_file_id",
                provisio_draft::terraform::raw(&format!("var.{var}")),
            )
            .s(
                "type",
                Some(&get("ostype").cloned().unwrap_or_else(|| "unmanaged".into())),
            )
            .build(),
    );
    if let Some(v) = get("features") {
        let ps = fields::props(v);
        let mut fb = B::new("features");
        for (pk, pv) in &ps {
            if ["nesting", "keyctl", "fuse", "mknod"].contains(&pk.as_str()) {
                fb.b(pk, Some(&fields::flag(pv).unwrap_or("0").to_string()));
            } else if pk == "mount" {
                // `mount=nfs;cifs`: the file systems the container may mount
                let kinds: Vec<String> = pv.split(';').map(str::to_string).collect();
                fb.list("mount", &kinds);
            } else {
                out.note(
                    g,
                    format!("feature `{pk}={pv}` is not written (bpg has no argument for it here)"),
                );
            }
        }
        b.block_if(fb.build());
    }
    startup(&mut b, f);
    b.block(
        B::new("lifecycle")
            .expr(
                "ignore_changes",
                hcl::Expression::Array(vec![hcl::Expression::from(
                    hcl::expr::Traversal::builder(hcl::expr::Variable::unchecked(
                        "operating_system",
                    ))
                    .index(0u64)
                    .attr("template_file_id")
                    .build(),
                )]),
            )
            .build(),
    );
    b.build()
}

/// The fields a `proxmox_virtual_environment_container` instance implies.
pub fn read_ct(n: &Node) -> Implied {
    let mut m = Implied::new(Kind::Lxc);
    read_header(&mut m, n, "start_on_boot");
    m.flag("unprivileged", n, "unprivileged");
    if let Some(c) = n.block("cpu") {
        m.text("arch", c, "architecture");
        m.text("cores", c, "cores");
        m.text("cpulimit", c, "limit");
        m.text("cpuunits", c, "units");
    }
    if let Some(c) = n.block("memory") {
        m.text("memory", c, "dedicated");
        m.text("swap", c, "swap");
    }
    if let Some(d) = n.block("disk") {
        m.text("rootfs.storage", d, "datastore_id");
        m.text("rootfs.size", d, "size");
    }
    m.default("rootfs.storage", "local");
    m.default("rootfs.size", "4");
    for (idx, mp) in n.blocks("mount_point").enumerate() {
        let f = |p: &str| format!("mp{idx}.{p}");
        m.from(&f("storage"), mp, "volume", |v| {
            text(v).map(|t| fields::storage_of(&t).unwrap_or(&t).to_string())
        });
        m.text(&f("mp"), mp, "path");
        m.from(&f("size"), mp, "size", |v| {
            text(v).and_then(|t| fields::size_gib(&t))
        });
        m.flag(&f("backup"), mp, "backup");
    }
    let nets: Vec<&Node> = n.blocks("network_interface").collect();
    for (idx, d) in nets.iter().enumerate() {
        let f = |p: &str| format!("net{idx}.{p}");
        m.text(&f("name"), d, "name");
        m.text(&f("bridge"), d, "bridge");
        m.default(&f("bridge"), "vmbr0");
        m.from(&f("hwaddr"), d, "mac_address", |v| {
            text(v).map(|t| t.to_ascii_uppercase())
        });
        m.from(&f("tag"), d, "vlan_id", |v| text(v).filter(|t| t != "0"));
        m.flag(&f("firewall"), d, "firewall");
        m.text(&f("mtu"), d, "mtu");
    }
    if let Some(i) = n.block("initialization") {
        m.text("name", i, "hostname");
        read_init_network(&mut m, i, "net");
    }
    if let Some(o) = n.block("operating_system") {
        m.text("ostype", o, "type");
    }
    if let Some(fb) = n.block("features") {
        let mut ps = Vec::new();
        for k in ["nesting", "keyctl", "fuse", "mknod"] {
            if let Some(v) = Implied::key(fb, k) {
                ps.push(format!("{k}={}", fields::flag(&v).unwrap_or("0")));
            }
        }
        if let Some(crate::manifest::Val::Known(v)) = fb.attr("mount") {
            if let Some(kinds) = strings(v) {
                ps.push(format!("mount={}", kinds.join(";")));
            }
        }
        m.set("features", fields::sorted_props(&ps.join(",")));
    }
    if let Some(s) = n.block("startup") {
        if let Some(v) = slots::startup_value(
            Implied::key(s, "order"),
            Implied::key(s, "up_delay"),
            Implied::key(s, "down_delay"),
        ) {
            m.set("startup", v);
        }
    }
    for (k, v) in defaults(Kind::Lxc) {
        m.default(k, v);
    }
    m
}

/// The HA resource of a guest.
pub fn render_ha(label: &str, g: &LiveGuest) -> Option<Block> {
    let ha = g.ha.as_ref()?;
    let sid = format!(
        "{}:{}",
        if g.kind == Kind::Qemu { "vm" } else { "ct" },
        g.vmid
    );
    Some(
        B::new("resource")
            .label(HA)
            .label(label)
            .s("resource_id", Some(&sid))
            .s("state", Some(&ha.state))
            .s("group", ha.group.as_ref())
            .build(),
    )
}

/// `(vmid, state, group)` of an HA resource instance.
pub fn read_ha(n: &Node) -> Option<(u32, Implied)> {
    let sid = Implied::key(n, "resource_id")?;
    let vmid = sid.rsplit(':').next()?.parse().ok()?;
    let mut m = Implied::new(Kind::Qemu);
    m.text("ha.state", n, "state");
    m.default("ha.state", "started");
    m.text("ha.group", n, "group");
    Some((vmid, m))
}
