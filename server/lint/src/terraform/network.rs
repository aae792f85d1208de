//! A guest's IP settings that Proxmox VE refuses or that leave the guest without a working
//! network (PV055): a static address without a prefix or not an address at all, a gateway
//! with no address (PVE: "`gw` requires option `ip`"), a gateway outside the address's own
//! subnet (no route to it, so no default route) or equal to the address, a gateway of the
//! other IP family, the subnet's network or broadcast address as the guest's address, a
//! Telmate `ipconfigN` string with keys PVE does not know, and (a warning) a gateway next to
//! `dhcp`, which PVE's docs say to leave out and cloud-init ignores.
//!
//! Read from bpg's `initialization.ip_config` (VMs and containers), Telmate's `ipconfigN`
//! strings and `proxmox_lxc`'s `network` blocks. Only literal values are judged (after following
//! `var.X` defaults and `local.X`); whether the address fits the cluster's networks is the
//! cluster rules' business (PV049-PV052).
//!
//! Rules reported here: PV055 ip-config-invalid.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hcl_edit::structure::{Block, Body};

use super::{Decls, Lit, TfFile};
use crate::facts::Cidr;
use crate::finding::{Severity, Sink, Span};
use crate::rules::Code;

/// One address family of one NIC's IP settings.
struct Cfg {
    /// `initialization.ip_config[0].ipv4`, `ipconfig0`, `network[0]`.
    what: String,
    v6: bool,
    address: Option<(String, Span)>,
    gateway: Option<(String, Span)>,
    /// The address is set to something not literal (`"${each.value.ip}/24"`, `var.ip`
    /// without a default): present, but not judged.
    address_unknown: bool,
}

pub fn check(f: &TfFile, sink: &mut Sink, b: &Block, ty: &str, decls: &Decls) {
    let mut cfgs = Vec::new();
    match ty {
        "proxmox_virtual_environment_vm"
        | "proxmox_virtual_environment_vm2"
        | "proxmox_virtual_environment_container" => {
            for init in b.body.get_blocks("initialization") {
                for (n, ipc) in init.body.get_blocks("ip_config").enumerate() {
                    for (fam, v6) in [("ipv4", false), ("ipv6", true)] {
                        for blk in ipc.body.get_blocks(fam) {
                            cfgs.push(Cfg {
                                what: format!("initialization.ip_config[{n}].{fam}"),
                                v6,
                                address: attr(f, &blk.body, "address", decls),
                                gateway: attr(f, &blk.body, "gateway", decls),
                                address_unknown: unknown(&blk.body, "address", decls),
                            });
                        }
                    }
                }
            }
        }
        "proxmox_vm_qemu" => {
            for n in 0..32 {
                let key = format!("ipconfig{n}");
                if let Some((s, span)) = attr(f, &b.body, &key, decls) {
                    ipconfig(sink, &key, &s, span, &mut cfgs);
                }
            }
        }
        "proxmox_lxc" => {
            for (n, nd) in b.body.get_blocks("network").enumerate() {
                for (ip, gw, v6) in [("ip", "gw", false), ("ip6", "gw6", true)] {
                    cfgs.push(Cfg {
                        what: format!("network[{n}]"),
                        v6,
                        address: attr(f, &nd.body, ip, decls),
                        gateway: attr(f, &nd.body, gw, decls),
                        address_unknown: unknown(&nd.body, ip, decls),
                    });
                }
            }
        }
        _ => return,
    }
    for c in &cfgs {
        judge(sink, c);
    }
}

/// The literal string of an attribute and its span.
fn attr(f: &TfFile, body: &Body, k: &str, decls: &Decls) -> Option<(String, Span)> {
    let a = body.get_attribute(k)?;
    match decls.resolve(&a.value) {
        Lit::Str(s) => Some((s, f.attr_span(a))),
        _ => None,
    }
}

/// The attribute is set, but not to a literal string this lint can read.
fn unknown(body: &Body, k: &str, decls: &Decls) -> bool {
    body.get_attribute(k)
        .is_some_and(|a| !matches!(decls.resolve(&a.value), Lit::Str(_)))
}

/// Telmate's `ipconfigN = "ip=10.0.0.5/24,gw=10.0.0.1,ip6=auto"`: PVE's `pve-qm-ipconfig`
/// format. Unknown keys and parts without `=` are refused by PVE.
fn ipconfig(sink: &mut Sink, key: &str, s: &str, span: Span, out: &mut Vec<Cfg>) {
    if s.trim().is_empty() || s.contains("${") {
        return;
    }
    let mut v4 = Cfg {
        what: key.to_string(),
        v6: false,
        address: None,
        gateway: None,
        address_unknown: false,
    };
    let mut v6 = Cfg {
        what: key.to_string(),
        v6: true,
        address: None,
        gateway: None,
        address_unknown: false,
    };
    for part in s.split(',') {
        let part = part.trim();
        let Some((k, v)) = part.split_once('=') else {
            let fix = if part.contains(' ') {
                "separate the settings with commas, not spaces: `ip=10.0.0.5/24,gw=10.0.0.1`"
            } else {
                "write key=value settings separated by commas: `ip=10.0.0.5/24,gw=10.0.0.1` or `ip=dhcp`"
            };
            sink.push(
                Code::PV055,
                span,
                format!("`{key}` = \"{s}\": `{part}` is not a key=value setting; Proxmox VE refuses the string"),
                Some(fix.into()),
            );
            return;
        };
        let val = Some((v.trim().to_string(), span));
        match k.trim() {
            "ip" => v4.address = val,
            "gw" => v4.gateway = val,
            "ip6" => v6.address = val,
            "gw6" => v6.gateway = val,
            other => {
                let known = ["ip", "gw", "ip6", "gw6"].map(String::from);
                let alias = match other.to_ascii_lowercase().as_str() {
                    "gateway" | "gateway4" | "gw4" => Some("gw".to_string()),
                    "gateway6" => Some("gw6".to_string()),
                    "address" | "ipv4" | "ip4" | "addr" => Some("ip".to_string()),
                    "ipv6" | "address6" => Some("ip6".to_string()),
                    _ => None,
                };
                let fix = match alias.or_else(|| crate::schema::did_you_mean(other, known.iter())) {
                    Some(k) => format!("write `{k}=` (keys: ip, gw, ip6, gw6)"),
                    None => "use the keys ip, gw, ip6 and gw6".into(),
                };
                sink.push(
                    Code::PV055,
                    span,
                    format!("`{key}` = \"{s}\": Proxmox VE does not know the setting `{other}`"),
                    Some(fix),
                );
                return;
            }
        }
    }
    out.push(v4);
    out.push(v6);
}

fn judge(sink: &mut Sink, c: &Cfg) {
    let fam = if c.v6 { "IPv6" } else { "IPv4" };
    let Some((addr, aspan)) = &c.address else {
        if let (Some((gw, span)), false) = (&c.gateway, c.address_unknown) {
            sink.push(
                Code::PV055,
                *span,
                format!("`{}` sets the gateway {gw} but no {fam} address; Proxmox VE refuses a gateway without an address", c.what),
                Some("add the address (ADDRESS/PREFIX), or remove the gateway to use DHCP".into()),
            );
        }
        return;
    };
    let automatic = match c.v6 {
        false => matches!(addr.as_str(), "dhcp" | "manual"),
        true => matches!(addr.as_str(), "dhcp" | "auto" | "manual"),
    };
    if automatic {
        if let Some((gw, span)) = &c.gateway {
            sink.push_as(
                Severity::Warning,
                Code::PV055,
                *span,
                format!("`{}` uses `{addr}` and also sets the gateway {gw}: with {addr} the gateway comes from the network and this one is ignored", c.what),
                Some("remove the gateway, or set a static address (ADDRESS/PREFIX) with it".into()),
            );
        }
        return;
    }
    if addr.contains("${") {
        return;
    }
    let Some((ip, prefix)) = parse_cidr(addr, c.v6) else {
        let bare = match c.v6 {
            false => addr.parse::<Ipv4Addr>().is_ok(),
            true => addr.parse::<Ipv6Addr>().is_ok(),
        };
        let (why, fix) = if bare {
            (
                "has no prefix length".to_string(),
                format!(
                    "write `{addr}/{}` (the subnet's prefix length)",
                    if c.v6 { 64 } else { 24 }
                ),
            )
        } else if parse_cidr(addr, !c.v6).is_some() || addr.parse::<IpAddr>().is_ok() {
            (
                format!("is not an {fam} address"),
                format!(
                    "put it in the {} setting",
                    if c.v6 { "IPv4" } else { "IPv6" }
                ),
            )
        } else {
            (
                format!("is not an {fam} address with prefix"),
                format!(
                    "write ADDRESS/PREFIX (like {}), or {}",
                    if c.v6 {
                        "fd00::20/64"
                    } else {
                        "192.168.0.20/24"
                    },
                    if c.v6 { "dhcp or auto" } else { "dhcp" }
                ),
            )
        };
        sink.push(
            Code::PV055,
            *aspan,
            format!("`{}` address `{addr}` {why}; Proxmox VE refuses it", c.what),
            Some(fix),
        );
        return;
    };
    if let IpAddr::V4(v4) = ip {
        if prefix <= 30 {
            let net = Cidr { ip: v4, prefix };
            if v4 == net.network() || v4 == net.broadcast() {
                let which = if v4 == net.network() {
                    "network"
                } else {
                    "broadcast"
                };
                sink.push(
                    Code::PV055,
                    *aspan,
                    format!(
                        "`{}` address {addr} is the {which} address of {}/{prefix}, not a host address",
                        c.what,
                        net.network()
                    ),
                    Some("pick a host address inside the subnet".into()),
                );
            }
        }
    }
    let Some((gw, gspan)) = &c.gateway else {
        return;
    };
    let Ok(g) = gw.parse::<IpAddr>() else {
        // Not an address at all: PV017's business.
        return;
    };
    if g.is_ipv6() != c.v6 {
        sink.push(
            Code::PV055,
            *gspan,
            format!("`{}` gateway {gw} is not an {fam} address", c.what),
            Some(format!(
                "use the {fam} gateway of {addr}'s subnet; put {gw} in the {} settings",
                if c.v6 { "IPv4" } else { "IPv6" }
            )),
        );
        return;
    }
    if g == ip {
        sink.push(
            Code::PV055,
            *gspan,
            format!("`{}` gateway {gw} is the guest's own address", c.what),
            Some("use the subnet's router address as the gateway".into()),
        );
        return;
    }
    // A /32 (or /128) address reaches its gateway only through an on-link route that
    // cloud-init does not write; PVE's own docs do not cover it, so it is not judged.
    let host_route = prefix == if c.v6 { 128 } else { 32 };
    if !host_route && !same_subnet(ip, g, prefix) {
        let net = match ip {
            IpAddr::V4(v4) => format!("{}/{prefix}", Cidr { ip: v4, prefix }.network()),
            IpAddr::V6(_) => format!("{addr}'s /{prefix}"),
        };
        sink.push(
            Code::PV055,
            *gspan,
            format!(
                "`{}` gateway {gw} is outside the guest's subnet {net}: the guest has no route to it, so the default route cannot be installed",
                c.what
            ),
            Some(format!(
                "use a gateway inside {net}, or correct the address or its prefix"
            )),
        );
    }
}

fn parse_cidr(s: &str, v6: bool) -> Option<(IpAddr, u8)> {
    let (ip, p) = s.trim().split_once('/')?;
    let prefix: u8 = p.parse().ok()?;
    let ip: IpAddr = match v6 {
        false => IpAddr::V4(ip.parse().ok()?),
        true => IpAddr::V6(ip.parse().ok()?),
    };
    (prefix <= if v6 { 128 } else { 32 }).then_some((ip, prefix))
}

fn same_subnet(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    // Link-local IPv6 gateways (fe80::/10) are reachable from any address on the link.
    if let (IpAddr::V6(_), IpAddr::V6(g)) = (a, b) {
        if g.segments()[0] & 0xffc0 == 0xfe80 {
            return true;
        }
    }
    provisio_plan::net::same_network(a, b, prefix)
}
