//! Telmate/proxmox (3.x): `proxmox_vm_qemu` and `proxmox_lxc`, written from a guest's fields
//! (import) and read back into fields (drift). Defaults are the provider's documented ones
//! (docs/resources/vm_qemu.md, lxc.md).
use hcl::Block;

use crate::fields::{self, Fields, Kind, LiveGuest};
use crate::hclb::B;
use crate::implied::{text, Implied};
use crate::import::Out;
use crate::manifest::Node;
use crate::slots;

pub const VM: &str = "proxmox_vm_qemu";
pub const CT: &str = "proxmox_lxc";

/// The provider's defaults for what a manifest leaves out (its documentation). Import writes
/// each of these explicitly when the guest's value differs from it.
pub fn defaults(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Qemu => &[
            ("cpu", "host"),
            ("ostype", "l26"),
            ("memory", "512"),
            ("cores", "1"),
            ("sockets", "1"),
            ("onboot", "0"),
            ("agent", "0"),
            ("bios", "seabios"),
            ("scsihw", "lsi"),
            ("protection", "0"),
        ],
        Kind::Lxc => &[
            ("memory", "512"),
            ("swap", "512"),
            ("onboot", "0"),
            ("unprivileged", "0"),
            ("protection", "0"),
            ("arch", "amd64"),
        ],
    }
}

fn ha(b: &mut B, g: &LiveGuest) {
    if let Some(h) = &g.ha {
        b.s("hastate", Some(&h.state))
            .s("hagroup", h.group.as_ref());
    }
}

fn read_ha(m: &mut Implied, n: &Node) {
    m.text("ha.state", n, "hastate");
    m.text("ha.group", n, "hagroup");
}

/// What both resources name alike: node, VMID, description, tags, pool, `onboot`, protection
/// (a later setting of the same field, e.g. `start_at_node_boot`, wins).
fn read_common(m: &mut Implied, n: &Node) {
    m.text("node", n, "target_node");
    m.text("vmid", n, "vmid");
    m.text("description", n, "description");
    m.from("tags", n, "tags", |v| {
        text(v).map(|t| fields::tags([t.as_str()]))
    });
    m.text("pool", n, "pool");
    m.flag("onboot", n, "onboot");
    m.flag("protection", n, "protection");
}

fn bus_of(slot: &str) -> &str {
    slot.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The resource block of a VM.
pub fn render_vm(label: &str, g: &LiveGuest, f: &Fields, out: &mut Out) -> Block {
    let get = |k: &str| f.get(k);
    let mut b = B::new("resource");
    b.label(VM).label(label);
    b.s("name", get("name"))
        .s("target_node", get("node"))
        .n("vmid", get("vmid"))
        .s("description", get("description"))
        .s(
            "tags",
            Some(&fields::raw_tags(g).join(";")).filter(|t| !t.is_empty()),
        )
        .s("pool", get("pool"))
        .b(
            "start_at_node_boot",
            Some(&get("onboot").cloned().unwrap_or_else(|| "0".into())),
        );
    if get("protection").is_some_and(|v| v == "1") {
        b.b("protection", get("protection"));
    }
    b.s(
        "power_state",
        Some(&(if out.running(g) { "running" } else { "stopped" }).to_string()),
    );
    b.s("bios", get("bios"))
        .s("machine", get("machine"))
        .s("scsihw", get("scsihw"));
    if let Some(order) = get("boot") {
        b.s("boot", Some(&format!("order={order}")));
    }
    b.n(
        "agent",
        Some(&get("agent").cloned().unwrap_or_else(|| "0".into())),
    );
    out.explicit(
        &mut b,
        f,
        Kind::Qemu,
        "ostype",
        "qemu_os",
        defaults(Kind::Qemu),
    );
    b.n("memory", get("memory")).n("balloon", get("balloon"));
    ha(&mut b, g);
    let mut cpu = B::new("cpu");
    cpu.n("cores", get("cores")).n("sockets", get("sockets"));
    out.explicit(&mut cpu, f, Kind::Qemu, "cpu", "type", defaults(Kind::Qemu));
    cpu.b("numa", get("numa"))
        .n("limit", get("cpulimit"))
        .n("units", get("cpuunits"))
        .n("vcores", get("vcpus"))
        .s("affinity", get("affinity"));
    b.block(cpu.build());
    b.b("tablet", get("tablet"))
        .s("hotplug", get("hotplug"))
        .s("args", get("args"));
    if get("vga.type").is_some() || get("vga.memory").is_some() {
        b.block(
            B::new("vga")
                .s("type", get("vga.type"))
                .n("memory", get("vga.memory"))
                .build(),
        );
    }
    if get("rng0.source").is_some() {
        b.block(
            B::new("rng")
                .s("source", get("rng0.source"))
                .n("limit", get("rng0.max_bytes"))
                .n("period", get("rng0.period"))
                .build(),
        );
    }
    if get("audio0.device").is_some() {
        out.note(
            g,
            "audio0 is not written (Telmate has no audio device argument)".into(),
        );
    }
    if get("vga.clipboard").is_some() {
        out.note(
            g,
            "vga clipboard is not written (Telmate's vga block has no clipboard)".into(),
        );
    }
    // disks { BUS { SLOT { disk | cdrom | cloudinit } } }
    let mut by_bus: std::collections::BTreeMap<String, Vec<Block>> = Default::default();
    for slot in slots::disks(f) {
        let k = |p: &str| f.get(&format!("{slot}.{p}"));
        let size = k("size").map(|s| format!("{s}G"));
        let discard = k("discard").map(|d| {
            if d == "on" {
                "1".to_string()
            } else {
                "0".to_string()
            }
        });
        let mut d = B::new("disk");
        d.s("storage", k("storage"))
            .s("size", size.as_ref())
            .s("cache", k("cache"))
            .b("discard", discard.as_ref())
            .b("backup", k("backup"));
        if bus_of(&slot) != "sata" && bus_of(&slot) != "ide" {
            d.b("iothread", k("iothread"));
        }
        if bus_of(&slot) != "virtio" {
            d.b("emulatessd", k("ssd"));
        }
        by_bus
            .entry(bus_of(&slot).to_string())
            .or_default()
            .push(B::new(&slot).block(d.build()).build());
    }
    for slot in slots::cdroms(f) {
        let file = &f[&format!("{slot}.cdrom")];
        let mut c = B::new("cdrom");
        if file != "none" {
            c.s("iso", Some(file));
        }
        by_bus
            .entry(bus_of(&slot).to_string())
            .or_default()
            .push(B::new(&slot).block(c.build()).build());
    }
    if let (Some(slot), Some(storage)) = (get("cloudinit.slot"), get("cloudinit.storage")) {
        by_bus.entry(bus_of(slot).to_string()).or_default().push(
            B::new(slot)
                .block(B::new("cloudinit").s("storage", Some(storage)).build())
                .build(),
        );
    }
    if !by_bus.is_empty() {
        let mut disks = B::new("disks");
        for (bus, blocks) in by_bus {
            let mut bb = B::new(&bus);
            for s in blocks {
                bb.block(s);
            }
            disks.block(bb.build());
        }
        b.block(disks.build());
    }
    if get("efidisk0.storage").is_some() {
        b.block(
            B::new("efidisk")
                .s("storage", get("efidisk0.storage"))
                .s("efitype", get("efidisk0.efitype"))
                .b("pre_enrolled_keys", get("efidisk0.pre-enrolled-keys"))
                .build(),
        );
    }
    if get("tpmstate0.storage").is_some() {
        b.block(
            B::new("tpm_state")
                .s("storage", get("tpmstate0.storage"))
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
    for n in slots::numbers(f, "net") {
        let k = |p: &str| f.get(&format!("net{n}.{p}"));
        b.block(
            B::new("network")
                .n("id", Some(&n.to_string()))
                .s("model", k("model"))
                .s("bridge", k("bridge"))
                .s("macaddr", k("macaddr"))
                .n("tag", k("tag"))
                .b("firewall", k("firewall"))
                .n("mtu", k("mtu"))
                .b("link_down", k("link_down"))
                .build(),
        );
    }
    for n in slots::numbers(f, "ipconfig") {
        let mut ps = Vec::new();
        for p in ["ip", "gw", "ip6", "gw6"] {
            if let Some(v) = f.get(&format!("ipconfig{n}.{p}")) {
                ps.push(format!("{p}={v}"));
            }
        }
        b.s(&format!("ipconfig{n}"), Some(&ps.join(",")));
    }
    b.s("nameserver", get("nameserver"))
        .s("searchdomain", get("searchdomain"))
        .s("ciuser", get("ciuser"))
        .s("sshkeys", get("sshkeys"));
    if g.config.contains_key("cipassword") {
        let var = out.secret(label, "cipassword", "Password of the cloud-init user");
        b.expr(
            "cipassword",
            provisio_draft::terraform::raw(&format!("var.{var}")),
        );
    }
    for n in slots::numbers(f, "serial") {
        b.block(
            B::new("serial")
                .n("id", Some(&n.to_string()))
                .s("type", f.get(&format!("serial{n}")))
                .build(),
        );
    }
    let pcis = slots::numbers(f, "hostpci");
    if !pcis.is_empty() {
        let mut all = B::new("pcis");
        for n in pcis {
            let ps = fields::props(&f[&format!("hostpci{n}")]);
            let p = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
            let mut inner = match p("mapping") {
                Some(m) => {
                    let mut x = B::new("mapping");
                    x.s("mapping_id", Some(&m));
                    x
                }
                None => {
                    let mut x = B::new("raw");
                    x.s("raw_id", p("").or_else(|| p("host")).as_ref());
                    x
                }
            };
            inner
                .b("pcie", p("pcie").as_ref())
                .b("rombar", p("rombar").as_ref())
                .b("primary_gpu", p("x-vga").as_ref());
            all.block(B::new(&format!("pci{n}")).block(inner.build()).build());
        }
        b.block(all.build());
    }
    let usbs = slots::numbers(f, "usb");
    if !usbs.is_empty() {
        let mut all = B::new("usbs");
        for n in usbs {
            let ps = fields::props(&f[&format!("usb{n}")]);
            let p = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
            // host=VENDOR:PRODUCT is a device, host=BUS-PORT a port
            let mut inner = match (p("mapping"), p("host"), p("")) {
                (Some(m), _, _) => {
                    let mut x = B::new("mapping");
                    x.s("mapping_id", Some(&m));
                    x
                }
                (None, Some(h), _) if h == "spice" => B::new("spice"),
                (None, Some(h), _) if h.contains(':') => {
                    let mut x = B::new("device");
                    x.s("device_id", Some(&h));
                    x
                }
                (None, Some(h), _) => {
                    let mut x = B::new("port");
                    x.s("port_id", Some(&h));
                    x
                }
                (None, None, _) => B::new("spice"),
            };
            inner.b("usb3", p("usb3").as_ref());
            all.block(B::new(&format!("usb{n}")).block(inner.build()).build());
        }
        b.block(all.build());
    }
    if let Some(v) = get("startup") {
        let (o, u, d) = slots::startup(v);
        b.block_if(
            B::new("startup_shutdown")
                .n("order", o.as_ref())
                .n("startup_delay", u.as_ref())
                .n("shutdown_timeout", d.as_ref())
                .build(),
        );
    }
    b.build()
}

/// The fields a `proxmox_vm_qemu` instance implies.
pub fn read_vm(n: &Node) -> Implied {
    let mut m = Implied::new(Kind::Qemu);
    m.text("name", n, "name");
    m.text("description", n, "desc");
    read_common(&mut m, n);
    m.flag("onboot", n, "start_at_node_boot");
    m.text("bios", n, "bios");
    m.text("machine", n, "machine");
    m.text("scsihw", n, "scsihw");
    m.from("boot", n, "boot", |v| {
        text(v).map(|t| t.strip_prefix("order=").map(str::to_string).unwrap_or(t))
    });
    m.from("agent", n, "agent", |v| {
        text(v).and_then(|t| fields::flag(&t).map(str::to_string))
    });
    m.text("ostype", n, "qemu_os");
    m.text("memory", n, "memory");
    m.text("balloon", n, "balloon");
    read_ha(&mut m, n);
    // 3.x `cpu` block; older releases' top-level arguments
    m.text("cores", n, "cores");
    m.text("sockets", n, "sockets");
    m.text("cpu", n, "cpu_type");
    m.flag("numa", n, "numa");
    if let Some(c) = n.block("cpu") {
        m.text("cores", c, "cores");
        m.text("sockets", c, "sockets");
        m.text("cpu", c, "type");
        m.flag("numa", c, "numa");
        m.text("cpulimit", c, "limit");
        m.text("cpuunits", c, "units");
        m.text("vcpus", c, "vcores");
        m.text("affinity", c, "affinity");
    }
    if let Some(r) = n.block("rng") {
        m.text("rng0.source", r, "source");
        m.text("rng0.max_bytes", r, "limit");
        m.text("rng0.period", r, "period");
    }
    m.flag("tablet", n, "tablet");
    m.text("hotplug", n, "hotplug");
    m.text("args", n, "args");
    if let Some(v) = n.block("vga") {
        m.text("vga.type", v, "type");
        m.text("vga.memory", v, "memory");
    }
    if let Some(disks) = n.block("disks") {
        for (bus, bb) in &disks.blocks {
            for (slot, sb) in &bb.blocks {
                if !slot.starts_with(bus.as_str()) {
                    continue;
                }
                if let Some(d) = sb.block("disk") {
                    let f = |p: &str| format!("{slot}.{p}");
                    m.text(&f("storage"), d, "storage");
                    m.from(&f("size"), d, "size", |v| {
                        text(v).and_then(|t| fields::size_gib(&t))
                    });
                    m.text(&f("cache"), d, "cache");
                    m.from(&f("discard"), d, "discard", |v| {
                        text(v)
                            .and_then(|t| fields::flag(&t))
                            .map(|x| if x == "1" { "on" } else { "ignore" }.to_string())
                    });
                    m.flag(&f("iothread"), d, "iothread");
                    m.flag(&f("ssd"), d, "emulatessd");
                    m.flag(&f("backup"), d, "backup");
                } else if let Some(c) = sb.block("cdrom") {
                    m.text(&format!("{slot}.cdrom"), c, "iso");
                    m.default(&format!("{slot}.cdrom"), "none");
                } else if let Some(c) = sb.block("cloudinit") {
                    m.set("cloudinit.slot", slot.clone());
                    m.text("cloudinit.storage", c, "storage");
                }
            }
        }
    }
    // the older repeated `disk` block (3.0.1-rc5 and before rc-era `disks`)
    for d in n.blocks("disk") {
        let Some(slot) = Implied::key(d, "slot") else {
            continue;
        };
        let kind = Implied::key(d, "type").unwrap_or_else(|| "disk".into());
        match kind.as_str() {
            "cloudinit" => {
                m.set("cloudinit.slot", slot.clone());
                m.text("cloudinit.storage", d, "storage");
            }
            "cdrom" => {
                m.text(&format!("{slot}.cdrom"), d, "iso");
                m.default(&format!("{slot}.cdrom"), "none");
            }
            _ => {
                let f = |p: &str| format!("{slot}.{p}");
                m.text(&f("storage"), d, "storage");
                m.from(&f("size"), d, "size", |v| {
                    text(v).and_then(|t| fields::size_gib(&t))
                });
                m.text(&f("cache"), d, "cache");
                m.flag(&f("iothread"), d, "iothread");
                m.flag(&f("ssd"), d, "emulatessd");
                m.flag(&f("backup"), d, "backup");
            }
        }
    }
    if let Some(e) = n.block("efidisk") {
        m.text("efidisk0.storage", e, "storage");
        m.text("efidisk0.efitype", e, "efitype");
        m.flag("efidisk0.pre-enrolled-keys", e, "pre_enrolled_keys");
    }
    if let Some(t) = n.block("tpm_state") {
        m.text("tpmstate0.storage", t, "storage");
        m.text("tpmstate0.version", t, "version");
        m.default("tpmstate0.version", "v2.0");
    }
    for nw in n.blocks("network") {
        let Some(id) = Implied::key(nw, "id") else {
            continue;
        };
        let f = |p: &str| format!("net{id}.{p}");
        m.text(&f("model"), nw, "model");
        m.text(&f("bridge"), nw, "bridge");
        m.default(&f("bridge"), "nat");
        m.from(&f("macaddr"), nw, "macaddr", |v| {
            text(v).map(|t| t.to_ascii_uppercase())
        });
        m.from(&f("tag"), nw, "tag", |v| {
            text(v).filter(|t| t != "0" && t != "-1")
        });
        m.flag(&f("firewall"), nw, "firewall");
        m.text(&f("mtu"), nw, "mtu");
        m.flag(&f("link_down"), nw, "link_down");
    }
    let ipconfigs: Vec<String> = n
        .attrs
        .keys()
        .filter(|k| {
            k.strip_prefix("ipconfig")
                .is_some_and(|d| d.parse::<u32>().is_ok())
        })
        .cloned()
        .collect();
    for key in ipconfigs {
        match n.attr(&key) {
            Some(crate::manifest::Val::Known(v)) => {
                if let Some(t) = text(v) {
                    for (pk, pv) in fields::props(&t) {
                        if matches!(pk.as_str(), "ip" | "gw" | "ip6" | "gw6") {
                            m.set(&format!("{key}.{pk}"), pv);
                        }
                    }
                }
            }
            Some(crate::manifest::Val::Unknown(why)) => {
                m.unknown.insert(format!("{key}.ip"), why.clone());
            }
            None => {}
        }
    }
    m.text("nameserver", n, "nameserver");
    m.text("searchdomain", n, "searchdomain");
    m.text("ciuser", n, "ciuser");
    m.from("sshkeys", n, "sshkeys", |v| {
        text(v).map(|t| fields::ssh_keys(&t))
    });
    for s in n.blocks("serial") {
        let Some(id) = Implied::key(s, "id") else {
            continue;
        };
        m.text(&format!("serial{id}"), s, "type");
        m.default(&format!("serial{id}"), "socket");
    }
    if let Some(pcis) = n.block("pcis") {
        for (slot, pb) in &pcis.blocks {
            let Some(num) = slot.strip_prefix("pci") else {
                continue;
            };
            let mut ps = Vec::new();
            let inner = if let Some(r) = pb.block("raw") {
                if let Some(id) = Implied::key(r, "raw_id") {
                    ps.push(id);
                }
                r
            } else if let Some(mp) = pb.block("mapping") {
                if let Some(id) = Implied::key(mp, "mapping_id") {
                    ps.push(format!("mapping={id}"));
                }
                mp
            } else {
                continue;
            };
            for (attr, key) in [
                ("pcie", "pcie"),
                ("rombar", "rombar"),
                ("primary_gpu", "x-vga"),
            ] {
                if let Some(v) = Implied::key(inner, attr) {
                    ps.push(format!("{key}={v}"));
                }
            }
            m.set(
                &format!("hostpci{num}"),
                fields::sorted_props(&ps.join(",")),
            );
        }
    }
    if let Some(usbs) = n.block("usbs") {
        for (slot, ub) in &usbs.blocks {
            let Some(num) = slot.strip_prefix("usb") else {
                continue;
            };
            let mut ps = Vec::new();
            let inner = if let Some(d) = ub.block("device") {
                ps.extend(Implied::key(d, "device_id").map(|v| format!("host={v}")));
                d
            } else if let Some(p) = ub.block("port") {
                ps.extend(Implied::key(p, "port_id").map(|v| format!("host={v}")));
                p
            } else if let Some(mp) = ub.block("mapping") {
                ps.extend(Implied::key(mp, "mapping_id").map(|v| format!("mapping={v}")));
                mp
            } else if let Some(sp) = ub.block("spice") {
                ps.push("host=spice".into());
                sp
            } else {
                continue;
            };
            if let Some(v) = Implied::key(inner, "usb3") {
                ps.push(format!("usb3={v}"));
            }
            m.set(&format!("usb{num}"), fields::sorted_props(&ps.join(",")));
        }
    }
    if let Some(s) = n.block("startup_shutdown") {
        if let Some(v) = slots::startup_value(
            Implied::key(s, "order"),
            Implied::key(s, "startup_delay"),
            Implied::key(s, "shutdown_timeout"),
        ) {
            m.set("startup", v);
        }
    }
    m.from("startup", n, "startup", |v| {
        text(v).map(|t| fields::sorted_props(&t))
    });
    for (k, v) in defaults(Kind::Qemu) {
        m.default(k, v);
    }
    m
}

/// The resource block of a container.
pub fn render_ct(label: &str, g: &LiveGuest, f: &Fields, out: &mut Out) -> Block {
    let get = |k: &str| f.get(k);
    let mut b = B::new("resource");
    b.label(CT).label(label);
    b.s("target_node", get("node"))
        .n("vmid", get("vmid"))
        .s("hostname", get("name"))
        .s("description", get("description"))
        .s(
            "tags",
            Some(&fields::raw_tags(g).join(";")).filter(|t| !t.is_empty()),
        )
        .s("pool", get("pool"))
        .b(
            "onboot",
            Some(&get("onboot").cloned().unwrap_or_else(|| "0".into())),
        )
        .b(
            "unprivileged",
            Some(&get("unprivileged").cloned().unwrap_or_else(|| "0".into())),
        );
    if get("protection").is_some_and(|v| v == "1") {
        b.b("protection", get("protection"));
    }
    b.expr("start", hcl::Expression::from(out.running(g)));
    b.s("arch", get("arch"))
        .s("ostype", get("ostype"))
        .n("cores", get("cores"))
        .n("cpulimit", get("cpulimit"))
        .n("cpuunits", get("cpuunits"))
        .n("memory", get("memory"))
        .n("swap", get("swap"))
        .s("nameserver", get("nameserver"))
        .s("searchdomain", get("searchdomain"))
        .s("startup", get("startup"));
    ha(&mut b, g);
    let var = out.plain_var(
        label,
        "ostemplate",
        "OS template the container was created from (volume id, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst); PVE does not record it",
    );
    b.expr(
        "ostemplate",
        provisio_draft::terraform::raw(&format!("var.{var}")),
    );
    let size = get("rootfs.size").map(|s| format!("{s}G"));
    b.block(
        B::new("rootfs")
            .s("storage", get("rootfs.storage"))
            .s("size", size.as_ref())
            .build(),
    );
    for n in slots::numbers(f, "mp") {
        let k = |p: &str| f.get(&format!("mp{n}.{p}"));
        let size = k("size").map(|s| format!("{s}G"));
        b.block(
            B::new("mountpoint")
                .s("key", Some(&n.to_string()))
                .n("slot", Some(&n.to_string()))
                .s("storage", k("storage"))
                .s("mp", k("mp"))
                .s("size", size.as_ref())
                .b("backup", k("backup"))
                .build(),
        );
    }
    for n in slots::numbers(f, "net") {
        let k = |p: &str| f.get(&format!("net{n}.{p}"));
        b.block(
            B::new("network")
                .s("name", k("name"))
                .s("bridge", k("bridge"))
                .s("hwaddr", k("hwaddr"))
                .s("ip", k("ip"))
                .s("gw", k("gw"))
                .s("ip6", k("ip6"))
                .s("gw6", k("gw6"))
                .n("tag", k("tag"))
                .b("firewall", k("firewall"))
                .n("mtu", k("mtu"))
                .build(),
        );
    }
    out.gaps(g, f, "net", "network");
    if let Some(v) = get("features") {
        let mut fb = B::new("features");
        for (pk, pv) in fields::props(v) {
            if ["nesting", "keyctl", "fuse", "mknod"].contains(&pk.as_str()) {
                fb.b(&pk, Some(&fields::flag(&pv).unwrap_or("0").to_string()));
            } else if pk == "mount" {
                fb.s("mount", Some(&pv));
            }
        }
        b.block_if(fb.build());
    }
    // ostemplate forces a new container and PVE does not keep it: never diff it.
    b.block(
        B::new("lifecycle")
            .expr(
                "ignore_changes",
                hcl::Expression::Array(vec![provisio_draft::terraform::raw("ostemplate")]),
            )
            .build(),
    );
    b.build()
}

/// The fields a `proxmox_lxc` instance implies.
pub fn read_ct(n: &Node) -> Implied {
    let mut m = Implied::new(Kind::Lxc);
    read_common(&mut m, n);
    m.text("name", n, "hostname");
    m.flag("unprivileged", n, "unprivileged");
    m.text("arch", n, "arch");
    m.text("ostype", n, "ostype");
    m.text("cores", n, "cores");
    m.text("cpulimit", n, "cpulimit");
    m.text("cpuunits", n, "cpuunits");
    m.text("memory", n, "memory");
    m.text("swap", n, "swap");
    m.text("nameserver", n, "nameserver");
    m.text("searchdomain", n, "searchdomain");
    m.from("startup", n, "startup", |v| {
        text(v).map(|t| fields::sorted_props(&t))
    });
    read_ha(&mut m, n);
    if let Some(r) = n.block("rootfs") {
        m.text("rootfs.storage", r, "storage");
        m.from("rootfs.size", r, "size", |v| {
            text(v).and_then(|t| fields::size_gib(&t))
        });
    }
    for mp in n.blocks("mountpoint") {
        let Some(slot) = Implied::key(mp, "slot").or_else(|| Implied::key(mp, "key")) else {
            continue;
        };
        let f = |p: &str| format!("mp{slot}.{p}");
        m.text(&f("storage"), mp, "storage");
        m.text(&f("mp"), mp, "mp");
        m.from(&f("size"), mp, "size", |v| {
            text(v).and_then(|t| fields::size_gib(&t))
        });
        m.flag(&f("backup"), mp, "backup");
    }
    for (idx, nw) in n.blocks("network").enumerate() {
        let f = |p: &str| format!("net{idx}.{p}");
        for p in ["name", "bridge", "ip", "gw", "ip6", "gw6", "mtu"] {
            m.text(&f(p), nw, p);
        }
        m.from(&f("hwaddr"), nw, "hwaddr", |v| {
            text(v).map(|t| t.to_ascii_uppercase())
        });
        m.from(&f("tag"), nw, "tag", |v| text(v).filter(|t| t != "0"));
        m.flag(&f("firewall"), nw, "firewall");
    }
    if let Some(fb) = n.block("features") {
        let mut ps = Vec::new();
        for k in ["nesting", "keyctl", "fuse", "mknod"] {
            if let Some(v) = Implied::key(fb, k) {
                ps.push(format!("{k}={}", fields::flag(&v).unwrap_or("0")));
            }
        }
        if let Some(v) = Implied::key(fb, "mount") {
            ps.push(format!("mount={v}"));
        }
        m.set("features", fields::sorted_props(&ps.join(",")));
    }
    for (k, v) in defaults(Kind::Lxc) {
        m.default(k, v);
    }
    m
}
