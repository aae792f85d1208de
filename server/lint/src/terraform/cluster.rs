//! Cluster-aware rules: a VM resource (bpg `proxmox_virtual_environment_vm` or Telmate
//! `proxmox_vm_qemu`) or a container (bpg `proxmox_virtual_environment_container`, Telmate
//! `proxmox_lxc`) read into one model, then checked against the cluster's facts.
//!
//! Rules reported here: PV011 missing-required-argument, PV040 clone-source-not-found,
//!   PV041 clone-source-not-template, PV042 unknown-node, PV043 unknown-storage,
//!   PV044 storage-content-mismatch, PV045 unknown-bridge, PV046 vmid-collision,
//!   PV047 exceeds-node-capacity, PV048 node-overcommit, PV049 ip-outside-subnet,
//!   PV050 ip-reserved-collision, PV051 ip-in-use, PV052 ip-prefix-mismatch,
//!   PV053 disk-smaller-than-template, PV054 disk-format-unsupported, PV056 linked-clone-storage,
//!   PV057 volume-not-found, PV060 missing-qemu-agent, PV061 clone-without-cloud-init,
//!   PV063 cloud-init-drive-missing.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hcl_edit::expr::{Expression, Object};
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::Span as _;

use super::{label, object_entries, Decls, Lit, TfFile};
use crate::facts::{Cidr, ClusterFacts, StorageFacts};
use crate::finding::{Finding, Sink, Span};
use crate::rules::Code;
use crate::schema::{did_you_mean, Provider};

#[derive(Debug, Clone)]
pub struct V<T> {
    pub v: T,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Nic {
    pub index: usize,
    pub bridge: Option<V<String>>,
    /// No `bridge` is written: `bridge` is the provider's default.
    pub defaulted: bool,
}

#[derive(Debug, Clone)]
pub struct Ip {
    pub nic: usize,
    pub cidr: V<String>,
    pub gateway: Option<V<String>>,
}

/// What the cluster rules need from a VM resource.
#[derive(Debug, Clone, Default)]
pub struct Vm {
    pub resource: String,
    pub header: Span,
    pub counted: bool,
    pub node: Option<V<String>>,
    pub vmid: Option<V<u32>>,
    pub clone_header: Option<Span>,
    pub clone_vmid: Option<V<u32>>,
    pub clone_name: Option<V<String>>,
    pub clone_node: Option<V<String>>,
    pub memory_mib: Option<V<u64>>,
    pub vcpus: Option<V<u32>>,
    /// (storage, what it holds)
    pub storages: Vec<(V<String>, &'static str)>,
    pub nics: Vec<Nic>,
    pub ips: Vec<Ip>,
    /// None: not set (the provider default is off).
    pub agent: Option<V<bool>>,
    /// The agent setting is there but known only at apply time (an expression, a `dynamic`
    /// block): rules about it say nothing.
    pub agent_unknown: bool,
    pub cloud_init: bool,
    pub template: bool,
    /// Linked (not full) clone.
    pub linked: bool,
    /// Volume references `STORAGE:CONTENT/NAME` (ISO, snippets, import) with what uses them.
    pub volumes: Vec<(V<String>, &'static str)>,
    pub bios_ovmf: Option<Span>,
    pub has_efi_disk: bool,
    pub disks: Vec<DiskSpec>,
    /// An LXC container: its volumes need `rootdir` content, and it has no QEMU agent.
    pub container: bool,
    /// bpg's `proxmox_cloned_vm`: it manages only what it lists; the agent, cloud-init and
    /// firmware come from the template and are not judged here.
    pub partial: bool,
    /// Telmate 3.x with a static `disks` block: whether it lists a `cloudinit` drive, and the
    /// block's header. None when the drives cannot be known (no `disks`, legacy `disk`
    /// blocks, `cloudinit_cdrom_storage`, dynamic blocks).
    pub ci_drive: Option<(bool, Span)>,
    /// The first cloud-init setting written (`ipconfig0`, `ciuser`, `sshkeys`, ...).
    pub ci_setting: Option<String>,
}

/// A disk as written: slot, size (GiB) and format when given.
#[derive(Debug, Clone)]
pub struct DiskSpec {
    pub slot: String,
    pub storage: Option<String>,
    pub size_gib: Option<V<f64>>,
    pub format: Option<V<String>>,
}

/// `20`, `"20G"`, `"20480M"`, `"1T"` → GiB.
fn size_to_gib(v: &str) -> Option<f64> {
    let v = v.trim();
    let (num, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, "G"),
    };
    let n: f64 = num.trim().parse().ok()?;
    Some(
        match unit
            .trim_end_matches(['i', 'B', 'b'])
            .to_ascii_uppercase()
            .as_str()
        {
            "K" => n / (1024.0 * 1024.0),
            "M" => n / 1024.0,
            "G" | "" => n,
            "T" => n * 1024.0,
            _ => return None,
        },
    )
}

struct Reader<'a> {
    f: &'a TfFile<'a>,
    decls: &'a Decls,
}

impl Reader<'_> {
    fn attr<'b>(&self, body: &'b Body, k: &str) -> Option<&'b Attribute> {
        body.get_attribute(k)
    }
    fn string(&self, body: &Body, k: &str) -> Option<V<String>> {
        let a = self.attr(body, k)?;
        match self.decls.resolve(&a.value) {
            Lit::Str(s) => Some(V {
                v: s,
                span: self.f.attr_span(a),
            }),
            Lit::Num(n) => Some(V {
                v: n.to_string(),
                span: self.f.attr_span(a),
            }),
            _ => None,
        }
    }
    fn number(&self, body: &Body, k: &str) -> Option<V<f64>> {
        let a = self.attr(body, k)?;
        let v = match self.decls.resolve(&a.value) {
            Lit::Num(n) => n,
            Lit::Str(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        Some(V {
            v,
            span: self.f.attr_span(a),
        })
    }
    fn boolean(&self, body: &Body, k: &str) -> Option<V<bool>> {
        let a = self.attr(body, k)?;
        let v = match self.decls.resolve(&a.value) {
            Lit::Bool(b) => b,
            Lit::Str(s) if matches!(s.as_str(), "true" | "false" | "1" | "0") => {
                s == "true" || s == "1"
            }
            Lit::Num(n) => n != 0.0,
            _ => return None,
        };
        Some(V {
            v,
            span: self.f.attr_span(a),
        })
    }
}

impl Reader<'_> {
    /// bpg's `initialization.ip_config[n].ipv4`: static addresses (not `dhcp`) of NIC n.
    fn static_ipv4(&self, init: &Body, out: &mut Vec<Ip>) {
        for (n, ipc) in init.get_blocks("ip_config").enumerate() {
            if let Some(v4) = first(&ipc.body, "ipv4") {
                if let Some(addr) = self.string(&v4.body, "address") {
                    if addr.v != "dhcp" {
                        out.push(Ip {
                            nic: n,
                            cidr: addr,
                            gateway: self.string(&v4.body, "gateway"),
                        });
                    }
                }
            }
        }
    }

    /// A NIC block: its bridge, or the provider's `default` when none is written.
    fn nic(&self, nd: &Block, index: usize, default: Option<&str>) -> Nic {
        let defaulted = !nd.body.has_attribute("bridge");
        let bridge = self.string(&nd.body, "bridge").or_else(|| {
            default.filter(|_| defaulted).map(|d| V {
                v: d.to_string(),
                span: self.f.header(nd),
            })
        });
        Nic {
            index,
            bridge,
            defaulted: defaulted && default.is_some(),
        }
    }
}

/// Nested attributes (`clone = { source_vm_id = 100 }`, `disk = { scsi0 = { ... } }`).
impl Reader<'_> {
    fn object<'b>(&self, body: &'b Body, k: &str) -> Option<&'b Object> {
        match &self.attr(body, k)?.value {
            Expression::Object(o) => Some(o),
            _ => None,
        }
    }
    fn entries<'b>(&self, o: &'b Object) -> Vec<(String, &'b Expression)> {
        object_entries(o)
            .into_iter()
            .map(|(k, _, v)| (k, v))
            .collect()
    }
    fn field<'b>(&self, o: &'b Object, k: &str) -> Option<&'b Expression> {
        object_entries(o)
            .into_iter()
            .find_map(|(key, _, v)| (key == k).then_some(v))
    }
    fn ostring(&self, o: &Object, k: &str) -> Option<V<String>> {
        let e = self.field(o, k)?;
        let span = self.f.span(e.span());
        match self.decls.resolve(e) {
            Lit::Str(s) => Some(V { v: s, span }),
            Lit::Num(n) => Some(V {
                v: n.to_string(),
                span,
            }),
            _ => None,
        }
    }
    fn onumber(&self, o: &Object, k: &str) -> Option<V<f64>> {
        let e = self.field(o, k)?;
        let v = match self.decls.resolve(e) {
            Lit::Num(n) => n,
            Lit::Str(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        Some(V {
            v,
            span: self.f.span(e.span()),
        })
    }
    fn obool(&self, o: &Object, k: &str) -> Option<V<bool>> {
        let e = self.field(o, k)?;
        let v = match self.decls.resolve(e) {
            Lit::Bool(b) => b,
            _ => return None,
        };
        Some(V {
            v,
            span: self.f.span(e.span()),
        })
    }
}

/// Whether the body has `dynamic "NAME" { ... }`.
fn dynamic_block(body: &Body, name: &str) -> bool {
    body.get_blocks("dynamic")
        .any(|d| d.labels.first().is_some_and(|l| l.as_str() == name))
}

fn first<'b>(body: &'b Body, k: &'b str) -> Option<&'b Block> {
    body.get_blocks(k).next()
}

fn u32v(v: V<f64>) -> Option<V<u32>> {
    (v.v >= 0.0 && v.v <= u32::MAX as f64).then_some(V {
        v: v.v as u32,
        span: v.span,
    })
}

/// Read a VM resource; None for other resource types.
/// What bpg's VM and container resources write alike: node, VMID, template flag, the `clone`
/// block and `memory.dedicated`.
fn bpg_guest(r: &Reader, body: &Body, vm: &mut Vm) {
    vm.node = r.string(body, "node_name");
    vm.vmid = r.number(body, "vm_id").and_then(u32v);
    vm.template = r.boolean(body, "template").is_some_and(|v| v.v);
    if let Some(c) = first(body, "clone") {
        vm.linked = r.boolean(&c.body, "full").is_some_and(|v| !v.v);
        vm.clone_header = Some(r.f.header(c));
        vm.clone_vmid = r.number(&c.body, "vm_id").and_then(u32v);
        vm.clone_node = r.string(&c.body, "node_name");
        if let Some(s) = r.string(&c.body, "datastore_id") {
            vm.storages.push((s, "clone target"));
        }
    }
    if let Some(m) = first(body, "memory") {
        vm.memory_mib = r.number(&m.body, "dedicated").map(|v| V {
            v: v.v as u64,
            span: v.span,
        });
    }
}

/// Whether `count` / `for_each` may give the resource more than one instance. A literal count
/// of 0 or 1, or a condition choosing between such literals (`var.enabled ? 1 : 0`, the usual
/// way to make a resource optional), gives at most one; a literal `for_each` of one element
/// too. Anything computed is taken as several.
fn many_instances(body: &Body, decls: &Decls) -> bool {
    let at_most_one = |e: &Expression| match decls.resolve(e) {
        Lit::Num(n) => n <= 1.0,
        _ => false,
    };
    if let Some(a) = body.get_attribute("count") {
        return match &a.value {
            Expression::Conditional(c) => {
                !(at_most_one(&c.true_expr) && at_most_one(&c.false_expr))
            }
            e => !at_most_one(e),
        };
    }
    if let Some(a) = body.get_attribute("for_each") {
        return match &a.value {
            Expression::Array(x) => x.len() > 1,
            Expression::Object(o) => o.len() > 1,
            Expression::FuncCall(fc) if fc.name.name.as_str() == "toset" => {
                match fc.args.iter().next() {
                    Some(Expression::Array(x)) => x.len() > 1,
                    _ => true,
                }
            }
            _ => true,
        };
    }
    false
}

pub fn read_vm(f: &TfFile, b: &Block, decls: &Decls) -> Option<Vm> {
    let ty = label(b, 0)?;
    let r = Reader { f, decls };
    let body = &b.body;
    let mut vm = Vm {
        resource: format!("{ty}.{}", label(b, 1).unwrap_or("?")),
        header: f.header(b),
        counted: many_instances(body, decls),
        ..Default::default()
    };
    match ty {
        "proxmox_virtual_environment_vm" => {
            bpg_guest(&r, body, &mut vm);
            if let Some(c) = first(body, "cpu") {
                let cores = r.number(&c.body, "cores");
                let sockets = r.number(&c.body, "sockets").map(|v| v.v).unwrap_or(1.0);
                vm.vcpus = cores.map(|c| V {
                    v: (c.v * sockets) as u32,
                    span: c.span,
                });
            }
            for d in body.get_blocks("disk") {
                if let Some(s) = r.string(&d.body, "datastore_id") {
                    vm.storages.push((s, "disk"));
                }
                if let Some(slot) = r.string(&d.body, "interface") {
                    vm.disks.push(DiskSpec {
                        slot: slot.v,
                        storage: r.string(&d.body, "datastore_id").map(|s| s.v),
                        size_gib: r.number(&d.body, "size"),
                        format: r.string(&d.body, "file_format"),
                    });
                }
            }
            for (k, what) in [("efi_disk", "EFI disk"), ("tpm_state", "TPM state")] {
                if let Some(s) = first(body, k).and_then(|x| r.string(&x.body, "datastore_id")) {
                    vm.storages.push((s, what));
                }
            }
            for cd in body.get_blocks("cdrom") {
                if let Some(v) = r.string(&cd.body, "file_id") {
                    vm.volumes.push((v, "CD-ROM"));
                }
            }
            for d in body.get_blocks("disk") {
                for k in ["file_id", "import_from"] {
                    if let Some(v) = r.string(&d.body, k) {
                        vm.volumes.push((v, "disk image"));
                    }
                }
            }
            if let Some(v) = r.string(body, "bios").filter(|b| b.v == "ovmf") {
                vm.bios_ovmf = Some(v.span);
            }
            vm.has_efi_disk = body.has_blocks("efi_disk");
            if let Some(i) = first(body, "initialization") {
                for k in [
                    "user_data_file_id",
                    "vendor_data_file_id",
                    "network_data_file_id",
                    "meta_data_file_id",
                ] {
                    if let Some(v) = r.string(&i.body, k) {
                        vm.volumes.push((v, "cloud-init snippet"));
                    }
                }
                vm.cloud_init = true;
                if let Some(s) = r.string(&i.body, "datastore_id") {
                    vm.storages.push((s, "cloud-init drive"));
                }
                r.static_ipv4(&i.body, &mut vm.ips);
            }
            for (n, nd) in body.get_blocks("network_device").enumerate() {
                // bpg's default bridge is vmbr0.
                vm.nics.push(r.nic(nd, n, Some("vmbr0")));
            }
            vm.agent_unknown = dynamic_block(body, "agent");
            if let Some(a) = first(body, "agent") {
                match r.boolean(&a.body, "enabled") {
                    Some(v) => vm.agent = Some(v),
                    None if a.body.has_attribute("enabled") => vm.agent_unknown = true,
                    None => {
                        vm.agent = Some(V {
                            v: false,
                            span: f.header(a),
                        })
                    }
                }
            }
        }
        "proxmox_vm_qemu" => {
            vm.node = r.string(body, "target_node");
            vm.vmid = r.number(body, "vmid").and_then(u32v);
            vm.clone_vmid = r.number(body, "clone_id").and_then(u32v);
            vm.clone_name = r.string(body, "clone");
            vm.linked = r.boolean(body, "full_clone").is_some_and(|v| !v.v);
            if let Some(v) = r.string(body, "bios").filter(|b| b.v == "ovmf") {
                vm.bios_ovmf = Some(v.span);
            }
            vm.has_efi_disk = body.has_blocks("efidisk");
            if let Some(cc) = r.string(body, "cicustom") {
                for part in cc.v.split(',') {
                    if let Some((_, vol)) = part.split_once('=') {
                        vm.volumes.push((
                            V {
                                v: vol.trim().to_string(),
                                span: cc.span,
                            },
                            "cloud-init snippet",
                        ));
                    }
                }
            }
            if let Some(a) = body
                .get_attribute("clone_id")
                .or_else(|| body.get_attribute("clone"))
            {
                vm.clone_header = Some(f.attr_span(a));
            }
            vm.memory_mib = r.number(body, "memory").map(|v| V {
                v: v.v as u64,
                span: v.span,
            });
            let cpu = first(body, "cpu");
            let cores = cpu
                .and_then(|c| r.number(&c.body, "cores"))
                .or_else(|| r.number(body, "cores"));
            let sockets = cpu
                .and_then(|c| r.number(&c.body, "sockets"))
                .or_else(|| r.number(body, "sockets"))
                .map(|v| v.v)
                .unwrap_or(1.0);
            vm.vcpus = cores.map(|c| V {
                v: (c.v * sockets) as u32,
                span: c.span,
            });
            if let Some(disks) = first(body, "disks") {
                for bus in disks.body.blocks() {
                    for slot in bus.body.blocks() {
                        for kind in slot.body.blocks() {
                            if kind.ident.as_str() == "cdrom" {
                                if let Some(v) = r.string(&kind.body, "iso") {
                                    vm.volumes.push((v, "CD-ROM"));
                                }
                            }
                            let what = match kind.ident.as_str() {
                                "disk" => "disk",
                                "cloudinit" => {
                                    vm.cloud_init = true;
                                    "cloud-init drive"
                                }
                                _ => continue,
                            };
                            if let Some(s) = r.string(&kind.body, "storage") {
                                vm.storages.push((s, what));
                            }
                            if what == "disk" {
                                vm.disks.push(DiskSpec {
                                    slot: slot.ident.to_string(),
                                    storage: r.string(&kind.body, "storage").map(|s| s.v),
                                    size_gib: r.string(&kind.body, "size").and_then(|x| {
                                        Some(V {
                                            v: size_to_gib(&x.v)?,
                                            span: x.span,
                                        })
                                    }),
                                    format: r.string(&kind.body, "format"),
                                });
                            }
                        }
                    }
                }
            }
            for d in body.get_blocks("disk") {
                if let Some(s) = r.string(&d.body, "storage") {
                    let what = if r
                        .string(&d.body, "type")
                        .is_some_and(|t| t.v == "cloudinit")
                    {
                        "cloud-init drive"
                    } else {
                        "disk"
                    };
                    vm.storages.push((s, what));
                }
            }
            for (k, what) in [("efidisk", "EFI disk"), ("tpm_state", "TPM state")] {
                if let Some(s) = first(body, k).and_then(|x| r.string(&x.body, "storage")) {
                    vm.storages.push((s, what));
                }
            }
            for (n, nd) in body.get_blocks("network").enumerate() {
                let index = r.number(&nd.body, "id").map(|v| v.v as usize).unwrap_or(n);
                // Telmate's default bridge is `nat`: no bridge on the node has that name, and
                // Proxmox VE gives a NIC without a bridge QEMU's user-mode NAT.
                vm.nics.push(r.nic(nd, index, Some("nat")));
            }
            for n in 0..16 {
                let Some(ipc) = r.string(body, &format!("ipconfig{n}")) else {
                    continue;
                };
                vm.cloud_init = true;
                let mut ip = None;
                let mut gw = None;
                for part in ipc.v.split(',') {
                    match part.trim().split_once('=') {
                        Some(("ip", v)) if v != "dhcp" => ip = Some(v.to_string()),
                        Some(("gw", v)) => gw = Some(v.to_string()),
                        _ => {}
                    }
                }
                if let Some(ip) = ip {
                    vm.ips.push(Ip {
                        nic: n,
                        cidr: V {
                            v: ip,
                            span: ipc.span,
                        },
                        gateway: gw.map(|g| V {
                            v: g,
                            span: ipc.span,
                        }),
                    });
                }
            }
            if ["ciuser", "sshkeys", "cicustom", "nameserver"]
                .iter()
                .any(|k| body.has_attribute(k))
                || r.string(body, "os_type")
                    .is_some_and(|o| o.v == "cloud-init")
            {
                vm.cloud_init = true;
            }
            vm.agent = r.boolean(body, "agent");
            vm.agent_unknown = vm.agent.is_none() && body.has_attribute("agent");
            vm.ci_setting = body
                .attributes()
                .map(|a| a.key.as_str())
                .find(|k| {
                    k.strip_prefix("ipconfig")
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                        || [
                            "ciuser",
                            "cipassword",
                            "sshkeys",
                            "cicustom",
                            "nameserver",
                            "searchdomain",
                        ]
                        .contains(k)
                })
                .map(str::to_string);
            if let Some(disks) = first(body, "disks") {
                let dynamic = body.has_blocks("dynamic")
                    || disks.body.blocks().any(|bus| {
                        bus.ident.as_str() == "dynamic"
                            || bus.body.blocks().any(|s| s.ident.as_str() == "dynamic")
                    });
                if !dynamic
                    && !body.has_blocks("disk")
                    && !body.has_attribute("cloudinit_cdrom_storage")
                {
                    let has = disks.body.blocks().any(|bus| {
                        bus.body
                            .blocks()
                            .any(|slot| slot.body.blocks().any(|k| k.ident.as_str() == "cloudinit"))
                    });
                    vm.ci_drive = Some((has, f.header(disks)));
                }
            }
        }
        "proxmox_cloned_vm" | "proxmox_virtual_environment_cloned_vm" => {
            vm.node = r.string(body, "node_name");
            vm.vmid = r.number(body, "id").and_then(u32v);
            if let Some(c) = r.object(body, "clone") {
                vm.clone_header = body.get_attribute("clone").map(|a| f.attr_span(a));
                vm.clone_vmid = r.onumber(c, "source_vm_id").and_then(u32v);
                vm.clone_node = r.ostring(c, "source_node_name");
                vm.linked = r.obool(c, "full").is_some_and(|v| !v.v);
                if let Some(s) = r.ostring(c, "target_datastore") {
                    vm.storages.push((s, "clone target"));
                }
            }
            if let Some(m) = r.object(body, "memory") {
                vm.memory_mib = r.onumber(m, "size").map(|v| V {
                    v: v.v as u64,
                    span: v.span,
                });
            }
            if let Some(c) = r.object(body, "cpu") {
                let sockets = r.onumber(c, "sockets").map(|v| v.v).unwrap_or(1.0);
                vm.vcpus = r.onumber(c, "cores").map(|c| V {
                    v: (c.v * sockets) as u32,
                    span: c.span,
                });
            }
            if let Some(d) = r.object(body, "disk") {
                for (slot, e) in r.entries(d) {
                    let Expression::Object(o) = e else { continue };
                    let storage = r.ostring(o, "datastore_id");
                    if let Some(s) = &storage {
                        vm.storages.push((s.clone(), "disk"));
                    }
                    for k in ["file", "import_from"] {
                        if let Some(v) = r.ostring(o, k) {
                            vm.volumes.push((v, "disk image"));
                        }
                    }
                    vm.disks.push(DiskSpec {
                        slot,
                        storage: storage.map(|s| s.v),
                        size_gib: r.onumber(o, "size_gb"),
                        format: r.ostring(o, "format"),
                    });
                }
            }
            if let Some(c) = r.object(body, "cdrom") {
                for (_, e) in r.entries(c) {
                    if let Expression::Object(o) = e {
                        if let Some(v) = r.ostring(o, "file_id") {
                            vm.volumes.push((v, "CD-ROM"));
                        }
                    }
                }
            }
            if let Some(n) = r.object(body, "network") {
                for (slot, e) in r.entries(n) {
                    let Expression::Object(o) = e else { continue };
                    let index = slot
                        .strip_prefix("net")
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(0);
                    // The clone keeps the template's bridge unless one is given.
                    vm.nics.push(Nic {
                        index,
                        bridge: r.ostring(o, "bridge"),
                        defaulted: false,
                    });
                }
            }
            vm.partial = true;
        }
        "proxmox_virtual_environment_container" => {
            vm.container = true;
            bpg_guest(&r, body, &mut vm);
            if let Some(c) = first(body, "cpu") {
                vm.vcpus = r.number(&c.body, "cores").and_then(u32v);
            }
            if let Some(s) = first(body, "disk").and_then(|d| r.string(&d.body, "datastore_id")) {
                vm.storages.push((s, "root filesystem"));
            }
            for mp in body.get_blocks("mount_point") {
                // A storage ID allocates a volume; `STORAGE:NAME` and host paths do not.
                if let Some(v) = r.string(&mp.body, "volume") {
                    if !v.v.contains([':', '/']) {
                        vm.storages.push((v, "mount point"));
                    }
                }
            }
            if let Some(os) = first(body, "operating_system") {
                if let Some(t) = r.string(&os.body, "template_file_id") {
                    vm.volumes.push((t, "container template"));
                }
            }
            for (n, nd) in body.get_blocks("network_interface").enumerate() {
                // bpg's default bridge is vmbr0.
                vm.nics.push(r.nic(nd, n, Some("vmbr0")));
            }
            if let Some(i) = first(body, "initialization") {
                r.static_ipv4(&i.body, &mut vm.ips);
            }
        }
        "proxmox_lxc" => {
            vm.container = true;
            vm.node = r.string(body, "target_node");
            vm.vmid = r.number(body, "vmid").and_then(u32v);
            vm.template = r.boolean(body, "template").is_some_and(|v| v.v);
            vm.clone_vmid = r
                .string(body, "clone")
                .and_then(|c| c.v.parse::<u32>().ok().map(|v| V { v, span: c.span }));
            vm.linked = r.boolean(body, "full").is_some_and(|v| !v.v);
            if let Some(s) = r.string(body, "clone_storage") {
                vm.storages.push((s, "clone target"));
            }
            vm.memory_mib = r.number(body, "memory").map(|v| V {
                v: v.v as u64,
                span: v.span,
            });
            vm.vcpus = r.number(body, "cores").and_then(u32v);
            if let Some(s) = first(body, "rootfs").and_then(|d| r.string(&d.body, "storage")) {
                vm.storages.push((s, "root filesystem"));
            }
            for mp in body.get_blocks("mountpoint") {
                // Bind and device mounts name a host path.
                if let Some(v) = r.string(&mp.body, "storage") {
                    if !v.v.starts_with('/') {
                        vm.storages.push((v, "mount point"));
                    }
                }
            }
            if let Some(t) = r.string(body, "ostemplate") {
                vm.volumes.push((t, "container template"));
            }
            for (n, nd) in body.get_blocks("network").enumerate() {
                vm.nics.push(r.nic(nd, n, None));
                if let Some(ip) = r.string(&nd.body, "ip") {
                    if ip.v != "dhcp" && ip.v != "manual" {
                        vm.ips.push(Ip {
                            nic: n,
                            cidr: ip,
                            gateway: r.string(&nd.body, "gw"),
                        });
                    }
                }
            }
        }
        _ => return None,
    }
    Some(vm)
}

fn gib(mib: u64) -> String {
    if mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{:.1} GiB", mib as f64 / 1024.0)
    }
}

fn list(v: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = v.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The cluster rules for one resource.
pub fn resource(
    f: &TfFile,
    sink: &mut Sink,
    b: &Block,
    p: &Provider,
    decls: &Decls,
    facts: &ClusterFacts,
) {
    let _ = p;
    let Some(vm) = read_vm(f, b, decls) else {
        return;
    };
    let templates = || {
        list(
            facts
                .guests
                .iter()
                .filter(|g| g.template)
                .map(|g| format!("{} ({} on {})", g.vmid, g.name, g.node)),
        )
    };
    let node = vm.node.as_ref().map(|n| n.v.as_str());

    // Node.
    if let Some(n) = &vm.node {
        match facts.node(&n.v) {
            None if !facts.nodes.is_empty() => {
                let names: Vec<String> = facts.nodes.iter().map(|x| x.name.clone()).collect();
                let hint = did_you_mean(&n.v, names.iter());
                sink.push(
                    Code::PV042,
                    n.span,
                    format!(
                        "node `{}` does not exist in cluster {} (nodes: {})",
                        n.v,
                        facts.cluster,
                        names.join(", ")
                    ),
                    Some(
                        hint.map(|h| format!("use \"{h}\""))
                            .unwrap_or_else(|| "use one of the cluster's nodes".into()),
                    ),
                );
            }
            Some(x) if !x.online => {
                sink.push(
                    Code::PV042,
                    n.span,
                    format!("node `{}` is offline", n.v),
                    Some("place the VM on an online node".into()),
                );
            }
            _ => {}
        }
    }

    // Clone source.
    if let Some(c) = &vm.clone_vmid {
        match facts.guest(c.v) {
            None if !facts.guests.is_empty() => {
                sink.push(
                    Code::PV040,
                    c.span,
                    format!(
                        "clone source VMID {} does not exist in the cluster; templates: {}",
                        c.v,
                        templates()
                    ),
                    Some("clone one of the templates listed".into()),
                );
            }
            Some(g) => {
                if !g.template {
                    sink.push(Code::PV041, c.span, format!("clone source {} ({}) is a VM, not a template: a linked clone is impossible and a full clone copies a live disk", c.v, g.name), Some("clone a template (qm template), or convert this VM".into()));
                }
                if let Some(cn) = &vm.clone_node {
                    if !g.node.is_empty() && cn.v != g.node {
                        sink.push(
                            Code::PV040,
                            cn.span,
                            format!(
                                "clone source {} ({}) is on {}, not on {}",
                                c.v, g.name, g.node, cn.v
                            ),
                            Some(format!("set clone.node_name = \"{}\"", g.node)),
                        );
                    }
                } else if b
                    .labels
                    .first()
                    .is_some_and(|l| l.as_str() == "proxmox_virtual_environment_vm")
                {
                    if let Some(n) = node {
                        if !g.node.is_empty() && g.node != n {
                            sink.push(Code::PV040, c.span, format!("clone source {} ({}) is on {}, but without clone.node_name the provider looks for it on {n}", c.v, g.name, g.node), Some(format!("add node_name = \"{}\" to the clone block", g.node)));
                        }
                    }
                }
            }
            None => {}
        }
    }
    if let Some(c) = &vm.clone_name {
        if !facts.guests.is_empty() && !facts.guests.iter().any(|g| g.name == c.v) {
            sink.push(
                Code::PV040,
                c.span,
                format!(
                    "clone source `{}` does not exist in the cluster; templates: {}",
                    c.v,
                    templates()
                ),
                Some("use clone_id with a template's VMID".into()),
            );
        }
    }

    // Storages.
    for (s, what) in &vm.storages {
        match facts.storage(&s.v) {
            None if !facts.storages.is_empty() => {
                let names: Vec<String> = facts.storages.iter().map(|x| x.name.clone()).collect();
                let hint = did_you_mean(&s.v, names.iter());
                sink.push(
                    Code::PV043,
                    s.span,
                    format!(
                        "storage `{}` ({what}) does not exist (storages: {})",
                        s.v,
                        names.join(", ")
                    ),
                    Some(
                        hint.map(|h| format!("use \"{h}\""))
                            .unwrap_or_else(|| "use a storage that holds images".into()),
                    ),
                );
            }
            Some(st) => {
                // Containers keep their volumes under `rootdir`, VMs under `images`.
                let need = if vm.container { "rootdir" } else { "images" };
                let image_stores = || {
                    list(
                        facts
                            .storages
                            .iter()
                            .filter(|x| x.content.iter().any(|c| c == need))
                            .map(|x| x.name.clone()),
                    )
                };
                if !st.content.iter().any(|c| c == need) {
                    sink.push(Code::PV044, s.span, format!("storage `{}` ({}) does not allow content type `{need}` ({} only), so it cannot hold the {what}", s.v, st.kind, st.content.join(", ")), Some(format!("use a storage with {need} content: {}", image_stores())));
                } else if let Some(n) = node {
                    if !st.nodes.is_empty() && !st.nodes.iter().any(|x| x == n) {
                        sink.push(
                            Code::PV044,
                            s.span,
                            format!(
                                "storage `{}` is not available on {n} (only on {})",
                                s.v,
                                st.nodes.join(", ")
                            ),
                            Some(format!("use a storage present on {n}")),
                        );
                    }
                }
            }
            None => {}
        }
    }

    // Volumes referenced by ID (`cephfs:snippets/x.yml`, `local:iso/x.iso`): the storage must
    // exist and allow that content type.
    for (vol, what) in &vm.volumes {
        let Some((sid, rest)) = vol.v.split_once(':') else {
            continue;
        };
        let Some((content, _)) = rest.split_once('/') else {
            continue;
        };
        if !["iso", "snippets", "import", "vztmpl", "backup"].contains(&content) {
            continue;
        }
        match facts.storage(sid) {
            None if !facts.storages.is_empty() => {
                let names: Vec<String> = facts
                    .storages
                    .iter()
                    .filter(|x| x.content.iter().any(|c| c == content))
                    .map(|x| x.name.clone())
                    .collect();
                sink.push(Code::PV043, vol.span, format!("storage `{sid}` of the {what} `{}` does not exist (storages with `{content}`: {})", vol.v, list(names.into_iter())), Some(format!("reference a file on a storage with `{content}` content")));
            }
            Some(st) if !st.content.iter().any(|c| c == content) => {
                sink.push(Code::PV044, vol.span, format!("storage `{sid}` ({}) does not allow content type `{content}` ({} only), so it cannot hold the {what} `{}`", st.kind, st.content.join(", "), vol.v), Some(format!("enable `{content}` on the storage or use one that has it: {}", list(facts.storages.iter().filter(|x| x.content.iter().any(|c| c == content)).map(|x| x.name.clone())))));
            }
            Some(st) => missing_file(sink, vol, what, st, content, decls),
            _ => {}
        }
    }

    // A clone's disk cannot be smaller than the template's disk on the same slot.
    let template = vm
        .clone_vmid
        .as_ref()
        .and_then(|c| facts.guest(c.v))
        .or_else(|| {
            let n = &vm.clone_name.as_ref()?.v;
            facts.guests.iter().find(|g| g.template && &g.name == n)
        })
        .filter(|g| g.template);
    if let Some(t) = template {
        for d in &vm.disks {
            if let (Some(size), Some(have)) = (&d.size_gib, t.disks_gib.get(&d.slot)) {
                if size.v + 1e-9 < *have {
                    sink.push(
                        Code::PV053,
                        size.span,
                        format!(
                            "disk {} of {} GiB is smaller than the {} GiB it has in template {} ({}): Proxmox VE cannot shrink a disk, so the clone's resize fails",
                            d.slot, size.v, have, t.vmid, t.name
                        ),
                        Some(format!("set the size to {have} GiB or more")),
                    );
                }
            }
        }
    }
    // Block storages hold raw volumes only.
    for d in &vm.disks {
        let (Some(fmt), Some(st)) = (
            &d.format,
            d.storage.as_deref().and_then(|s| facts.storage(s)),
        ) else {
            continue;
        };
        let raw_only = matches!(
            st.kind.as_str(),
            "rbd" | "lvm" | "lvmthin" | "zfspool" | "zfs" | "iscsi" | "iscsidirect"
        );
        if raw_only && fmt.v != "raw" {
            sink.push(
                Code::PV054,
                fmt.span,
                format!(
                    "disk {} is `{}` on storage `{}` ({}), which holds raw volumes only",
                    d.slot, fmt.v, st.name, st.kind
                ),
                Some(
                    "use format `raw` there, or put the disk on a file storage (dir, NFS, CephFS)"
                        .into(),
                ),
            );
        }
    }

    // A linked clone of a template on local storage stays on the template's node.
    if let (true, Some(c), Some(n)) = (vm.linked, &vm.clone_vmid, node) {
        if let Some(g) = facts
            .guest(c.v)
            .filter(|g| g.template && !g.linked_clone_any_node && !g.node.is_empty() && g.node != n)
        {
            sink.push(Code::PV040, c.span, format!("a linked clone of template {} ({}) must stay on {}: its disks are on local storage, but the VM goes to {n}", g.vmid, g.name, g.node), Some(format!("make it a full clone, or place the VM on {}", g.node)));
        }
    }

    // Bridges / vnets.
    if !facts.networks.is_empty() {
        for nic in &vm.nics {
            let Some(br) = &nic.bridge else { continue };
            let available = || {
                list(
                    facts
                        .networks
                        .iter()
                        .filter(|x| {
                            node.is_none_or(|n| {
                                x.nodes.is_empty() || x.nodes.iter().any(|y| y == n)
                            })
                        })
                        .map(|x| {
                            if x.kind == "vnet" {
                                format!("SDN vnet {}", x.name)
                            } else {
                                x.name.clone()
                            }
                        }),
                )
            };
            match facts.network(&br.v) {
                None => {
                    let on = node.map(|n| format!(" on {n}")).unwrap_or_default();
                    let why = if nic.defaulted {
                        format!(
                            "this NIC sets no `bridge`, so the provider's default `{}` applies, which does not exist{on}{}",
                            br.v,
                            if br.v == "nat" {
                                " (the VM would get QEMU user-mode NAT, not a port on your network)"
                            } else {
                                ""
                            }
                        )
                    } else {
                        format!("bridge `{}` does not exist{on}", br.v)
                    };
                    sink.push(
                        Code::PV045,
                        br.span,
                        format!("{why} (available: {})", available()),
                        Some(if nic.defaulted {
                            "set `bridge` to an existing bridge or SDN vnet".into()
                        } else {
                            "attach the NIC to an existing bridge or SDN vnet".into()
                        }),
                    );
                }
                Some(x) => {
                    if let Some(n) = node {
                        if !x.nodes.is_empty() && !x.nodes.iter().any(|y| y == n) {
                            sink.push(
                                Code::PV045,
                                br.span,
                                format!(
                                    "bridge `{}` does not exist on {n} (available: {})",
                                    br.v,
                                    available()
                                ),
                                Some("attach the NIC to a bridge present on the node".into()),
                            );
                        }
                    }
                }
            }
        }
    }

    // VMID: an `import` block adopting this guest makes its VMID (and its addresses) its own.
    let adopted = match (label(b, 0), label(b, 1)) {
        (Some(t), Some(n)) => decls.imports.get(&format!("{t}.{n}")).copied(),
        _ => None,
    };
    if let Some(id) = &vm.vmid {
        if facts.used_vmids.contains(&id.v) && adopted != Some(id.v) {
            let who = facts
                .guest(id.v)
                .map(|g| format!(" by {}", g.name))
                .unwrap_or_default();
            let next = (100..1_000_000u32)
                .find(|v| !facts.used_vmids.contains(v) && *v > id.v)
                .unwrap_or(id.v + 1);
            sink.push(
                Code::PV046,
                id.span,
                format!("VMID {} is already used{who}", id.v),
                Some(format!(
                    "use a free VMID, e.g. {next}, or leave it out to let Proxmox choose"
                )),
            );
        }
    }

    // Capacity.
    let target = node.and_then(|n| facts.node(n));
    if let Some(m) = &vm.memory_mib {
        let max_total = facts.nodes.iter().filter_map(|n| n.mem_total_mib).max();
        match target.and_then(|t| t.mem_total_mib.map(|x| (t, x))) {
            Some((t, total)) if m.v > total => {
                let every = max_total.is_some_and(|mx| m.v > mx);
                let scope = if every {
                    format!("the {} RAM of every node", gib(max_total.unwrap_or(total)))
                } else {
                    format!("the {} RAM of {}", gib(total), t.name)
                };
                sink.push(
                    Code::PV047,
                    m.span,
                    format!("memory {} MiB ({}) exceeds {scope}", m.v, gib(m.v)),
                    Some(
                        "size the VM to fit a node (leave room for the host and other guests)"
                            .into(),
                    ),
                );
            }
            Some((t, _)) => {
                if let Some(free) = t.mem_free_mib {
                    if (m.v as i64) > free {
                        sink.push(Code::PV048, m.span, format!("memory {} MiB is more than {} has left after its running guests ({} MiB)", m.v, t.name, free.max(0)), Some("pick a node with more free memory, or accept overcommit (ballooning)".into()));
                    }
                }
            }
            None => {
                if let Some(mx) = max_total {
                    if m.v > mx {
                        sink.push(
                            Code::PV047,
                            m.span,
                            format!(
                                "memory {} MiB ({}) exceeds the {} RAM of every node",
                                m.v,
                                gib(m.v),
                                gib(mx)
                            ),
                            Some("size the VM to fit a node".into()),
                        );
                    }
                }
            }
        }
    }
    if let Some(c) = &vm.vcpus {
        let cap = target
            .and_then(|t| t.cpus)
            .or_else(|| facts.nodes.iter().filter_map(|n| n.cpus).max());
        if let Some(cap) = cap {
            if c.v > cap {
                sink.push(
                    Code::PV047,
                    c.span,
                    format!(
                        "{} vCPUs exceed the {cap} CPU threads of {}",
                        c.v,
                        node.unwrap_or("any node")
                    ),
                    Some(format!("use at most {cap} cores x sockets")),
                );
            }
        }
    }

    // Addresses.
    for ip in &vm.ips {
        // An address that does not parse is PV055's (network.rs), in every mode.
        let Some(c) = Cidr::parse(&ip.cidr.v) else {
            continue;
        };
        let bridge = vm
            .nics
            .iter()
            .find(|n| n.index == ip.nic)
            .and_then(|n| n.bridge.as_ref())
            .map(|b| b.v.clone());
        let net = bridge.as_deref().and_then(|b| facts.network(b));
        if let Some(net) = net.filter(|n| !n.subnets.is_empty()) {
            let inside = net
                .subnets
                .iter()
                .filter_map(|(s, g)| Cidr::parse(s).map(|sc| (sc, g)))
                .find(|(sc, _)| sc.range().contains(c.ip));
            match inside {
                None => {
                    sink.push(
                        Code::PV049,
                        ip.cidr.span,
                        format!(
                            "static IP {} is outside the subnets of {} ({})",
                            c.ip,
                            net.name,
                            list(net.subnets.iter().map(|s| s.0.clone()))
                        ),
                        Some(format!("pick an address inside {}", net.subnets[0].0)),
                    );
                }
                Some((sc, gw)) => {
                    if c.ip == sc.network() || c.ip == sc.broadcast() {
                        sink.push(
                            Code::PV049,
                            ip.cidr.span,
                            format!(
                                "{} is the network or broadcast address of {}",
                                c.ip, net.subnets[0].0
                            ),
                            Some("pick a host address".into()),
                        );
                    }
                    if c.prefix != sc.prefix {
                        sink.push(
                            Code::PV052,
                            ip.cidr.span,
                            format!(
                                "prefix /{} does not match the subnet {}/{} of {}",
                                c.prefix,
                                sc.network(),
                                sc.prefix,
                                net.name
                            ),
                            Some(format!("write {}/{}", c.ip, sc.prefix)),
                        );
                    }
                    if let (Some(g), Some(want)) = (&ip.gateway, gw) {
                        if &g.v != want {
                            sink.push(
                                Code::PV052,
                                g.span,
                                format!(
                                    "gateway {} is not the gateway of {} ({want})",
                                    g.v, net.name
                                ),
                                Some(format!("use gateway {want}")),
                            );
                        }
                    }
                }
            }
        }
        if let Some(why) = facts.reserved_for(c.ip) {
            sink.push(
                Code::PV050,
                ip.cidr.span,
                format!("static IP {} is reserved: {why}", c.ip),
                Some("pick a free address outside the reserved ranges".into()),
            );
        } else if let Some(who) = facts
            .used_ipv4
            .get(&c.ip.to_string())
            .filter(|who| !adopted.is_some_and(|v| who.ends_with(&format!("({v})"))))
        {
            sink.push(
                Code::PV051,
                ip.cidr.span,
                format!("static IP {} is already used by {who}", c.ip),
                Some("pick a free address".into()),
            );
        }
    }
}

/// Best-practice warnings that need no cluster (but use it when given).
pub fn best_practice(
    f: &TfFile,
    sink: &mut Sink,
    b: &Block,
    p: &Provider,
    decls: &Decls,
    facts: Option<&ClusterFacts>,
) {
    let _ = p;
    let Some(vm) = read_vm(f, b, decls) else {
        return;
    };
    // A linked clone's disks are copy-on-write overlays of the template's on the template's
    // storage: PVE refuses a target storage ("parameter 'storage' not allowed for linked
    // clones"), and bpg sends `datastore_id` / `target_datastore` as that target.
    if vm.linked {
        if let Some((s, _)) = vm.storages.iter().find(|(_, w)| *w == "clone target") {
            sink.push(
                Code::PV056,
                s.span,
                format!("a linked clone (`full = false`) cannot be given a target datastore (`{}`): Proxmox VE refuses a target storage for linked clones, whose disks stay on the template's storage", s.v),
                Some("remove the target datastore to keep the linked clone, or set `full = true` to copy the disks to it".into()),
            );
        }
    }
    // Containers have no QEMU agent, no UEFI and no cloud-init; a `proxmox_cloned_vm` keeps
    // the template's.
    if vm.template || vm.container || vm.partial {
        return;
    }
    let tmpl = vm
        .clone_vmid
        .as_ref()
        .and_then(|c| facts.and_then(|fx| fx.guest(c.v)));
    let ships = tmpl
        .filter(|t| t.agent)
        .map(|t| format!(" although template {} ships the agent", t.vmid))
        .unwrap_or_default();
    match &vm.agent {
        _ if vm.agent_unknown => {}
        Some(a) if !a.v => sink.push(Code::PV060, a.span, format!("QEMU guest agent disabled{ships}: no IP reporting, fs-freeze for backups or clean shutdown"), Some(if b.labels.first().is_some_and(|l| l.as_str() == "proxmox_vm_qemu") { "set agent = 1".into() } else { "set agent { enabled = true }".into() })),
        None => sink.push(Code::PV060, vm.header, format!("QEMU guest agent not enabled (the provider default is off){ships}"), Some(if b.labels.first().is_some_and(|l| l.as_str() == "proxmox_vm_qemu") { "add agent = 1".into() } else { "add agent { enabled = true }".into() })),
        _ => {}
    }
    if let (Some(span), false) = (vm.bios_ovmf, vm.has_efi_disk) {
        let block = if b
            .labels
            .first()
            .is_some_and(|l| l.as_str() == "proxmox_vm_qemu")
        {
            "efidisk"
        } else {
            "efi_disk"
        };
        sink.push(Code::PV011, span, format!("bios = \"ovmf\" needs an `{block}` block (the UEFI variables live there); without it settings such as boot order are lost at every start"), Some(format!("add `{block} {{ ... }}` on an image storage")));
    }
    if let Some(h) = vm.clone_header {
        if !vm.cloud_init {
            sink.push(Code::PV061, h, "template clone without cloud-init settings: the clone keeps the template's hostname, user and network config".to_string(), Some(if b.labels.first().is_some_and(|l| l.as_str() == "proxmox_vm_qemu") { "set ipconfig0, ciuser and sshkeys".into() } else { "add an initialization block (ip_config, user_account)".into() }));
        }
    }
    if let (Some((false, span)), Some(setting)) = (vm.ci_drive, &vm.ci_setting) {
        let storage = vm
            .disks
            .iter()
            .find_map(|d| d.storage.clone())
            .unwrap_or_else(|| "local-lvm".into());
        sink.push(
            Code::PV063,
            span,
            format!("`{setting}` is set but `disks` lists no `cloudinit` drive: the provider makes the VM's drives what `disks` lists (a clone loses the template's cloud-init drive), so the cloud-init settings never reach the guest"),
            Some(format!("add `ide {{ ide2 {{ cloudinit {{ storage = \"{storage}\" }} }} }}` inside `disks` (or a free scsi/sata slot)")),
        );
    }
}

/// VMIDs and IPs used twice among the module's resources.
pub fn across_resources(files: &[TfFile], decls: &Decls, out: &mut Vec<Finding>) {
    let mut vmids: BTreeMap<u32, String> = BTreeMap::new();
    let mut ips: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
    for f in files {
        let mut sink = Sink::new(f.path);
        for b in f.body.blocks().filter(|b| b.ident.as_str() == "resource") {
            let Some(vm) = read_vm(f, b, decls) else {
                continue;
            };
            if let Some(id) = &vm.vmid {
                if vm.counted {
                    sink.push(Code::PV046, id.span, format!("{} sets a fixed VMID {} but has count/for_each: every instance gets the same VMID", vm.resource, id.v), Some("derive the VMID from count.index / each, or leave it out".into()));
                } else if let Some(other) = vmids.get(&id.v) {
                    sink.push(
                        Code::PV046,
                        id.span,
                        format!("VMID {} is also used by {other} in these manifests", id.v),
                        Some("give each VM its own VMID".into()),
                    );
                } else {
                    vmids.insert(id.v, vm.resource.clone());
                }
            }
            for ip in &vm.ips {
                if let Some(c) = Cidr::parse(&ip.cidr.v) {
                    if vm.counted {
                        sink.push(
                            Code::PV051,
                            ip.cidr.span,
                            format!("{} sets a fixed static IP {} but has count/for_each: every instance gets the same address", vm.resource, c.ip),
                            Some("derive the address from count.index / each (e.g. cidrhost(\"10.0.0.0/24\", 20 + count.index)), or use DHCP".into()),
                        );
                    } else if let Some(other) = ips.get(&c.ip) {
                        sink.push(
                            Code::PV051,
                            ip.cidr.span,
                            format!(
                                "static IP {} is also used by {other} in these manifests",
                                c.ip
                            ),
                            Some("give each VM its own address".into()),
                        );
                    } else {
                        ips.insert(c.ip, vm.resource.clone());
                    }
                }
            }
        }
        out.extend(sink.out);
    }
}

/// PV057: a volume ID naming a file the storage's listing does not hold. Not judged when the
/// listing is unknown, or when the module uploads or downloads files itself (it may create it).
fn missing_file(
    sink: &mut Sink,
    vol: &V<String>,
    what: &str,
    st: &StorageFacts,
    content: &str,
    decls: &Decls,
) {
    let Some(names) = st.files.as_ref().and_then(|f| f.get(content)) else {
        return;
    };
    let creates = decls.resources.iter().any(|r| {
        r.starts_with("proxmox_virtual_environment_file.")
            || r.starts_with("proxmox_download_file.")
            || r.starts_with("proxmox_virtual_environment_download_file.")
            || r.starts_with("proxmox_storage_iso.")
    });
    let Some(name) = vol.v.split_once('/').map(|(_, n)| n) else {
        return;
    };
    if creates || names.iter().any(|n| n == name) {
        return;
    }
    let fix = match did_you_mean(name, names.iter()) {
        Some(m) => format!("did you mean `{}:{content}/{m}`?", st.name),
        None => format!(
            "upload the file first (a proxmox_virtual_environment_file resource, or the storage's Upload button), or name one that exists: {}",
            list(names.iter().cloned())
        ),
    };
    sink.push(
        Code::PV057,
        vol.span,
        format!(
            "the {what} `{}` names a file that storage `{}` does not hold ({content} there: {}): Proxmox VE refuses it (\"volume does not exist\")",
            vol.v,
            st.name,
            list(names.iter().cloned())
        ),
        Some(fix),
    );
}
