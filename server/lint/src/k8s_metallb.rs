//! MetalLB's own resources (`metallb.io/v1beta1` IPAddressPool, L2Advertisement,
//! BGPAdvertisement), judged the way MetalLB's controller parses its configuration, and against
//! the site's addresses:
//! - PV140 (error): what MetalLB refuses. An address entry that is neither a CIDR nor a
//!   `first-last` range (a single address needs `/32`), a range whose start is after its end or
//!   that mixes IPv4 and IPv6, a pool without addresses, address entries that overlap (within
//!   one pool or across pools), a pool named twice in an advertisement, an aggregation length
//!   beyond the address size. MetalLB then discards the whole new configuration and keeps the
//!   last valid one, so none of the changes takes effect.
//! - PV141 (error): a pool that holds an address already spoken for: the k3s API VIP, a
//!   reserved address or gateway of the site facts, or an address a guest uses. MetalLB would
//!   hand it to a Service and answer ARP for it, taking it away from its owner.
//! - PV142 (warning): configuration MetalLB accepts but that does not do what it says. A
//!   resource outside MetalLB's namespace (it watches only its own), an advertisement naming
//!   a pool these manifests do not define, a pool no advertisement announces (its addresses are
//!   assigned but unreachable), a pool outside the site's MetalLB ranges, a Service asking for
//!   a pool that is not defined, and the configuration forms MetalLB 0.13 dropped (the
//!   `config` ConfigMap, the AddressPool kind).
//!
//! Unknown `spec` fields are PV100 (kubectl's strict field validation refuses them).
//!
//! Rules reported here: PV100 k8s-schema, PV140 metallb-invalid, PV141 metallb-address-collision,
//!   PV142 metallb-config.
use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::facts::{Cidr, ClusterFacts, Range};
use crate::finding::{Finding, Sink};
use crate::k8s_obj::Obj;
use crate::rules::Code;
use crate::yaml::N;

pub const API: &str = "metallb.io/v1beta1";
const NAMESPACE: &str = "metallb-system";

fn api<'a>(o: &'a Obj) -> &'a str {
    o.doc.get("apiVersion").and_then(N::str).unwrap_or("")
}

fn is(o: &Obj, kind: &str) -> bool {
    api(o) == API && o.kind == kind
}

/// The `spec` fields of the kinds this module checks.
pub fn spec_fields(api: &str, kind: &str) -> Option<&'static [&'static str]> {
    if api != API {
        return None;
    }
    Some(match kind {
        "IPAddressPool" => &[
            "addresses",
            "autoAssign",
            "avoidBuggyIPs",
            "serviceAllocation",
        ],
        "L2Advertisement" => &[
            "ipAddressPools",
            "ipAddressPoolSelectors",
            "nodeSelectors",
            "interfaces",
        ],
        "BGPAdvertisement" => &[
            "aggregationLength",
            "aggregationLengthV6",
            "communities",
            "ipAddressPools",
            "ipAddressPoolSelectors",
            "localPref",
            "nodeSelectors",
            "peers",
        ],
        _ => return None,
    })
}

/// One parsed `spec.addresses` entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Block {
    V4(Range),
    /// IPv6 entries are parsed (so their syntax is judged) but not compared with the site.
    V6(u128, u128),
}

impl Block {
    fn overlaps(&self, o: &Block) -> bool {
        match (self, o) {
            (Block::V4(a), Block::V4(b)) => a.first <= b.last && b.first <= a.last,
            (Block::V6(a0, a1), Block::V6(b0, b1)) => a0 <= b1 && b0 <= a1,
            _ => false,
        }
    }
}

/// An address entry as MetalLB reads it: a CIDR, or `first-last`.
pub fn parse_entry(s: &str) -> Result<Block, (String, String)> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('-') {
        let parse = |x: &str, which: &str| {
            x.trim().parse::<IpAddr>().map_err(|_| {
                (
                    format!("the range's {which} `{}` is not an IP address", x.trim()),
                    "write the range as FIRST-LAST, e.g. 192.168.0.240-192.168.0.250".to_string(),
                )
            })
        };
        let (a, b) = (parse(a, "start")?, parse(b, "end")?);
        return match (a, b) {
            (IpAddr::V4(x), IpAddr::V4(y)) if x <= y => Ok(Block::V4(Range { first: x, last: y })),
            (IpAddr::V6(x), IpAddr::V6(y)) if x <= y => Ok(Block::V6(x.into(), y.into())),
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => Err((
                format!("the range's start {a} is after its end {b}"),
                format!("write `{b}-{a}`"),
            )),
            _ => Err((
                "the range mixes an IPv4 and an IPv6 address".into(),
                "give each family its own entry".into(),
            )),
        };
    }
    let Some((ip, prefix)) = s.split_once('/') else {
        return Err(match s.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => (
                "a single address is not a CIDR".into(),
                format!("write `{s}/32`"),
            ),
            Ok(IpAddr::V6(_)) => (
                "a single address is not a CIDR".into(),
                format!("write `{s}/128`"),
            ),
            Err(_) => (
                "it is neither a CIDR nor a FIRST-LAST range".into(),
                "write a CIDR (192.168.0.240/28) or a range (192.168.0.240-192.168.0.250)".into(),
            ),
        });
    };
    let bad = || {
        (
            "it is not a valid CIDR".to_string(),
            "write ADDRESS/PREFIX with a prefix of at most 32 (IPv4) or 128 (IPv6)".to_string(),
        )
    };
    let p: u32 = prefix.trim().parse().map_err(|_| bad())?;
    match ip.trim().parse::<IpAddr>().map_err(|_| bad())? {
        IpAddr::V4(_) => Cidr::parse(s).map(|c| Block::V4(c.range())).ok_or_else(bad),
        IpAddr::V6(v6) if p <= 128 => {
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            let net = u128::from(v6) & mask;
            Ok(Block::V6(net, net | !mask))
        }
        IpAddr::V6(_) => Err(bad()),
    }
}

/// A pool these manifests define: its name, namespace and readable IPv4 blocks.
pub struct Pool<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub v4: Vec<Range>,
}

/// The IPAddressPools the manifests define (entries MetalLB would refuse are left out).
pub(crate) fn pools<'a>(objs: &'a [Obj<'a>]) -> Vec<Pool<'a>> {
    objs.iter()
        .filter(|o| is(o, "IPAddressPool"))
        .map(|o| Pool {
            name: o.name(),
            namespace: &o.namespace,
            v4: addresses(o)
                .iter()
                .filter_map(|n| match n.str().map(parse_entry) {
                    Some(Ok(Block::V4(r))) => Some(r),
                    _ => None,
                })
                .collect(),
        })
        .collect()
}

fn addresses<'a>(o: &'a Obj<'a>) -> &'a [N] {
    o.doc
        .path(&["spec", "addresses"])
        .map(N::seq)
        .unwrap_or(&[])
}

fn pool_names(adv: &N) -> &[N] {
    adv.path(&["spec", "ipAddressPools"])
        .map(N::seq)
        .unwrap_or(&[])
}

/// Advertisements that select pools by label or select every pool.
fn selects_all_or_by_label(adv: &N) -> bool {
    let selectors = adv
        .path(&["spec", "ipAddressPoolSelectors"])
        .is_some_and(|s| !s.seq().is_empty());
    selectors || pool_names(adv).is_empty()
}

pub(crate) fn check(
    objs: &[Obj],
    defined: &[Pool],
    facts: Option<&ClusterFacts>,
    out: &mut Vec<Finding>,
) {
    let mut sinks: BTreeMap<&str, Sink> = BTreeMap::new();
    // Every address entry of every pool, per namespace, for the overlap check.
    let mut seen: BTreeMap<&str, Vec<(Block, String)>> = BTreeMap::new();
    for o in objs {
        let sink = sinks.entry(o.file).or_insert_with(|| Sink::new(o.file));
        legacy(o, sink);
        let Some(fields) = spec_fields(api(o), &o.kind) else {
            continue;
        };
        let name = o.name();
        if o.namespace != NAMESPACE && !o.namespace.contains("metallb") {
            let at = o.doc.path(&["metadata", "namespace"]).unwrap_or(o.doc);
            sink.push(
                Code::PV142,
                at.span(),
                format!("{} `{name}` is in namespace {}: MetalLB reads its resources only from the namespace it runs in ({NAMESPACE} unless installed elsewhere), so it ignores this one", o.kind, o.namespace),
                Some(format!("metadata.namespace: {NAMESPACE}")),
            );
        }
        if let Some(spec) = o.doc.get("spec") {
            for (k, _) in spec.entries() {
                let key = k.str().unwrap_or("");
                if !fields.contains(&key) {
                    let known: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                    let fix = match crate::schema::did_you_mean(key, known.iter()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("{} takes: {}", o.kind, fields.join(", ")),
                    };
                    sink.push(
                        Code::PV100,
                        k.span(),
                        format!(
                            "unknown field `spec.{key}` in {} {name} (kubectl's strict field validation refuses it)",
                            o.kind
                        ),
                        Some(fix),
                    );
                }
            }
        }
        match o.kind.as_str() {
            "IPAddressPool" => {
                let entries = addresses(o);
                if entries.is_empty() {
                    let at = o.doc.get("spec").unwrap_or(o.doc);
                    sink.push(
                        Code::PV140,
                        at.span(),
                        format!("IPAddressPool `{name}` has no addresses; MetalLB refuses a pool without any (and with it the whole new configuration)"),
                        Some("list CIDRs or FIRST-LAST ranges under spec.addresses".into()),
                    );
                }
                for e in entries {
                    let text = e.str().unwrap_or("");
                    let block = match parse_entry(text) {
                        Ok(b) => b,
                        Err((why, fix)) => {
                            sink.push(
                                Code::PV140,
                                e.span(),
                                format!("IPAddressPool `{name}` address `{text}`: {why}; MetalLB refuses the pool (and with it the whole new configuration)"),
                                Some(fix),
                            );
                            continue;
                        }
                    };
                    let others = seen.entry(o.namespace.as_str()).or_default();
                    if let Some((_, other)) = others.iter().find(|(b, _)| b.overlaps(&block)) {
                        sink.push(
                            Code::PV140,
                            e.span(),
                            format!("IPAddressPool `{name}` address `{text}` overlaps {other}; MetalLB refuses overlapping pools (and with them the whole new configuration)"),
                            Some("make the ranges disjoint, or merge them into one entry".into()),
                        );
                    }
                    others.push((block, format!("`{text}` of pool `{name}`")));
                    if let (Block::V4(r), Some(f)) = (block, facts) {
                        against_site(r, text, name, e, f, sink);
                    }
                }
                announced(o, objs, sink);
            }
            _ => advertisement(o, defined, sink),
        }
    }
    for (_, s) in sinks {
        out.extend(s.out);
    }
}

/// PV141/PV142: a pool range against the site facts.
fn against_site(r: Range, text: &str, pool: &str, at: &N, f: &ClusterFacts, sink: &mut Sink) {
    let site_pools: Vec<Range> = f
        .metallb_pools
        .iter()
        .filter_map(|p| Range::parse(p))
        .collect();
    let within = |x: &Range| {
        site_pools
            .iter()
            .any(|p| p.first <= x.first && x.last <= p.last)
    };
    let mut taken: Vec<String> = Vec::new();
    if let Some(vip) = f
        .k3s_api_vip
        .as_deref()
        .and_then(|v| v.parse().ok())
        .filter(|v| r.contains(*v))
    {
        taken.push(format!("{vip} (the k3s API virtual IP)"));
    }
    for (addrs, why) in &f.reserved {
        // The site's MetalLB ranges are listed as reserved for MetalLB: not a collision.
        let Some(x) = Range::parse(addrs).filter(|x| !within(x)) else {
            continue;
        };
        let vip = f.k3s_api_vip.as_deref() == Some(addrs.as_str());
        if x.first <= r.last && r.first <= x.last && !vip {
            taken.push(format!("{x} ({why})"));
        }
    }
    for (ip, who) in &f.used_ipv4 {
        if ip.parse().is_ok_and(|a| r.contains(a)) {
            taken.push(format!("{ip} (used by {who})"));
        }
    }
    if !taken.is_empty() {
        sink.push(
            Code::PV141,
            at.span(),
            format!("IPAddressPool `{pool}` range `{text}` holds {}: MetalLB would give it to a Service and answer ARP for it", taken.join(", ")),
            Some(match site_pools.first() {
                Some(p) => format!("use the site's MetalLB range {p}"),
                None => "shrink the range to addresses nothing else uses".into(),
            }),
        );
    } else if !site_pools.is_empty() && !within(&r) {
        sink.push(
            Code::PV142,
            at.span(),
            format!(
                "IPAddressPool `{pool}` range `{text}` is not within the site's MetalLB ranges ({})",
                f.metallb_pools.join(", ")
            ),
            Some(format!(
                "use {}, or update the site facts",
                f.metallb_pools[0]
            )),
        );
    }
}

/// PV142: a pool that the advertisements of these manifests leave unannounced.
fn announced(pool: &Obj, objs: &[Obj], sink: &mut Sink) {
    let advs: Vec<&Obj> = objs
        .iter()
        .filter(|o| is(o, "L2Advertisement") || is(o, "BGPAdvertisement"))
        .filter(|o| o.namespace == pool.namespace)
        .collect();
    let name = pool.name();
    let covered = advs.iter().any(|a| {
        selects_all_or_by_label(a.doc) || pool_names(a.doc).iter().any(|n| n.str() == Some(name))
    });
    if !covered {
        let at = pool.doc.path(&["metadata", "name"]).unwrap_or(pool.doc);
        let why = if advs.is_empty() {
            "these manifests define no L2Advertisement or BGPAdvertisement"
        } else {
            "no L2Advertisement or BGPAdvertisement of these manifests names it"
        };
        sink.push(
            Code::PV142,
            at.span(),
            format!("IPAddressPool `{name}` is not announced: {why}, so Services get its addresses but nothing answers for them"),
            Some(format!("add an L2Advertisement in {} with ipAddressPools: [{name}]", pool.namespace)),
        );
    }
}

/// PV140/PV142 on an L2Advertisement or BGPAdvertisement.
fn advertisement(o: &Obj, defined: &[Pool], sink: &mut Sink) {
    let name = o.name();
    let here: Vec<String> = defined
        .iter()
        .filter(|p| p.namespace == o.namespace)
        .map(|p| p.name.to_string())
        .collect();
    let mut listed: Vec<&str> = Vec::new();
    for n in pool_names(o.doc) {
        let pool = n.str().unwrap_or("");
        if listed.contains(&pool) {
            sink.push(
                Code::PV140,
                n.span(),
                format!("{} `{name}` names pool `{pool}` twice; MetalLB refuses duplicate ipAddressPools entries", o.kind),
                Some("list each pool once".into()),
            );
            continue;
        }
        listed.push(pool);
        if !here.is_empty() && !here.iter().any(|p| p == pool) {
            let fix = match crate::schema::did_you_mean(pool, here.iter()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("name one of: {}", here.join(", ")),
            };
            sink.push(
                Code::PV142,
                n.span(),
                format!("{} `{name}` names pool `{pool}`, which these manifests do not define in {} (defined: {}); MetalLB skips the name, so nothing is announced for it", o.kind, o.namespace, here.join(", ")),
                Some(fix),
            );
        }
    }
    for (key, max) in [("aggregationLength", 32u64), ("aggregationLengthV6", 128)] {
        if let Some(n) = o.doc.path(&["spec", key]) {
            if n.str()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|v| v > max)
            {
                sink.push(
                    Code::PV140,
                    n.span(),
                    format!(
                        "{} `{name}` {key} {} is beyond {max}; MetalLB refuses it",
                        o.kind,
                        n.str().unwrap_or("")
                    ),
                    Some(format!("use a prefix length of at most {max}")),
                );
            }
        }
    }
}

/// PV142: the configuration forms MetalLB 0.13 replaced by custom resources.
fn legacy(o: &Obj, sink: &mut Sink) {
    let api = api(o);
    if api.starts_with("metallb.io/") && o.kind == "AddressPool" {
        let at = o.doc.get("kind").unwrap_or(o.doc);
        sink.push(
            Code::PV142,
            at.span(),
            "AddressPool is the pre-0.13 MetalLB kind, deprecated and since removed; current MetalLB reads IPAddressPool plus L2Advertisement or BGPAdvertisement",
            Some(format!("apiVersion: {API}, kind: IPAddressPool (spec.addresses), and an L2Advertisement naming it")),
        );
    }
    if o.kind == "ConfigMap"
        && o.namespace.contains("metallb")
        && o.doc
            .path(&["data", "config"])
            .and_then(N::str)
            .is_some_and(|c| c.contains("address-pools"))
    {
        let at = o
            .doc
            .path(&["data"])
            .and_then(|d| d.key("config"))
            .unwrap_or(o.doc);
        sink.push(
            Code::PV142,
            at.span(),
            "MetalLB 0.13 and later ignore the `config` ConfigMap (`address-pools:`); the configuration is read from custom resources",
            Some(format!("declare the pools as IPAddressPool ({API}) and announce them with an L2Advertisement")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        assert!(matches!(
            parse_entry("192.168.0.240-192.168.0.250"),
            Ok(Block::V4(_))
        ));
        assert!(
            matches!(parse_entry("192.168.0.240/28"), Ok(Block::V4(r)) if r.last.octets()[3] == 255)
        );
        assert!(matches!(
            parse_entry("fc00:f853:ccd:e799::/124"),
            Ok(Block::V6(..))
        ));
        assert!(matches!(parse_entry("fc00::1-fc00::9"), Ok(Block::V6(..))));
        assert!(parse_entry("192.168.0.250").unwrap_err().1.contains("/32"));
        assert!(parse_entry("192.168.0.250-192.168.0.240")
            .unwrap_err()
            .1
            .contains("192.168.0.240-192.168.0.250"));
        assert!(parse_entry("192.168.0.1-fc00::1").is_err());
        assert!(parse_entry("10.0.0.0/33").is_err());
        assert!(parse_entry("10.0.0.x/24").is_err());
        assert!(parse_entry("lots").is_err());
    }
}
