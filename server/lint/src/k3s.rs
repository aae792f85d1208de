//! k3s-ansible inventories: techno-tim/k3s-ansible (`hosts.ini` with `[master]`/`[node]`, and
//! `group_vars/all.yml`) and k3s-io/k3s-ansible (`inventory.yml` with `server`/`agent`, or the
//! same groups in INI). The files of one inventory directory are checked together: the hosts
//! of `hosts.ini` against the VIP and MetalLB range of `group_vars/all.yml`.
//!
//! Rules reported here: PV002 yaml-syntax-error, PV130 k3s-inventory-groups,
//!   PV131 k3s-even-servers, PV132 k3s-literal-secret, PV133 k3s-version-format,
//!   PV134 k3s-address-conflict, PV135 k3s-missing-variable, PV136 k3s-site-mismatch,
//!   PV137 k3s-invalid-value, PV138 k3s-server-args.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::facts::{ClusterFacts, Range};
use crate::finding::{Finding, Sink, Span};
use crate::rules::Code;
use crate::yaml::{self, N, Y};

/// What an inventory file looks like, judged from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Ansible INI inventory (`hosts.ini`).
    Ini,
    /// YAML inventory with a top-level `k3s_cluster` group.
    YamlInventory,
    /// YAML variables (`group_vars/all.yml`).
    GroupVars,
}

const GROUP_HEADERS: &[&str] = &[
    "[master]",
    "[node]",
    "[server]",
    "[agent]",
    "[k3s_cluster:children]",
    "[k3s_cluster]",
];
const VAR_KEYS: &[&str] = &[
    "k3s_version:",
    "k3s_token:",
    "apiserver_endpoint:",
    "metal_lb_ip_range:",
    "extra_server_args:",
];

/// Whether a file is a k3s-ansible inventory or its variables, and which shape.
pub fn shape(path: &str, content: &str) -> Option<Shape> {
    let p = path.to_ascii_lowercase();
    let name = p.rsplit('/').next().unwrap_or(&p);
    let lines = || content.lines().map(str::trim_end);
    if p.ends_with(".ini") || name == "hosts" || name == "inventory" {
        let has = lines().any(|l| GROUP_HEADERS.contains(&l.trim()));
        return has.then_some(Shape::Ini);
    }
    if !(p.ends_with(".yml") || p.ends_with(".yaml")) {
        return None;
    }
    if lines().any(|l| l.starts_with("k3s_cluster:")) {
        return Some(Shape::YamlInventory);
    }
    // A role's defaults or vars set the same variables, but they are the playbook's own
    // fallbacks, not an inventory.
    let segs: Vec<&str> = p.split('/').collect();
    if segs
        .windows(3)
        .any(|w| w[0] == "roles" && matches!(w[2], "defaults" | "vars"))
    {
        return None;
    }
    lines()
        .any(|l| VAR_KEYS.iter().any(|k| l.starts_with(k)))
        .then_some(Shape::GroupVars)
}

/// A scalar from either syntax, with where it was written.
#[derive(Debug, Clone)]
struct Val {
    text: String,
    file: usize,
    span: Span,
}

impl Val {
    /// A Jinja expression: its value is only known when Ansible runs.
    fn templated(&self) -> bool {
        self.text.contains("{{") || self.text.contains("{%")
    }
    fn vaulted(&self) -> bool {
        self.text.trim_start().starts_with("$ANSIBLE_VAULT")
    }
}

#[derive(Debug, Clone)]
struct Host {
    name: String,
    /// `ansible_host`, when given.
    address: Option<String>,
    file: usize,
    span: Span,
}

impl Host {
    fn ip_text(&self) -> &str {
        self.address.as_deref().unwrap_or(&self.name)
    }
}

/// One inventory (the files of one directory), merged.
#[derive(Default)]
struct Inv {
    files: Vec<String>,
    /// Group → hosts.
    groups: BTreeMap<String, Vec<Host>>,
    /// Group → child groups (`[g:children]` or `children:`), with where that was written.
    children: BTreeMap<String, (Vec<String>, usize, Span)>,
    /// Variables in the order found; the first definition wins.
    vars: BTreeMap<String, Val>,
    /// Files that hold hosts (where structural findings go).
    host_file: Option<usize>,
    has_vars_file: bool,
}

impl Inv {
    fn var(&mut self, key: &str, v: Val) {
        self.vars.entry(key.to_string()).or_insert(v);
    }
}

/// The directory that ties an inventory's files together (`group_vars/` belongs to its parent).
fn dir_of(path: &str) -> String {
    let d = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let parts: Vec<&str> = d.split('/').collect();
    match parts
        .iter()
        .position(|p| *p == "group_vars" || *p == "host_vars")
    {
        Some(i) => parts[..i].join("/"),
        None => d.to_string(),
    }
}

fn line_span(line: u32, col: u32, width: usize) -> Span {
    (line, col, line, col + width.max(1) as u32)
}

fn parse_ini(inv: &mut Inv, file: usize, text: &str) {
    let mut section: Option<(String, &str)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i as u32 + 1;
        let indent = raw.len() - raw.trim_start().len();
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(h) = l.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            let (g, kind) = match h.split_once(':') {
                Some((g, k)) => (g.to_string(), k),
                None => (h.to_string(), "hosts"),
            };
            if kind == "hosts" {
                inv.groups.entry(g.clone()).or_default();
            } else if kind == "children" {
                inv.children.entry(g.clone()).or_insert((
                    vec![],
                    file,
                    line_span(line, indent as u32 + 1, l.len()),
                ));
            }
            section = Some((g, kind));
            continue;
        }
        let Some((group, kind)) = &section else {
            continue;
        };
        let col = indent as u32 + 1;
        match *kind {
            "hosts" => {
                let mut parts = l.split_whitespace();
                let name = parts.next().unwrap_or_default().to_string();
                let mut address = None;
                for kv in parts {
                    if let Some((k, v)) = kv.split_once('=') {
                        if k == "ansible_host" {
                            address = Some(v.trim_matches(['"', '\'']).to_string());
                        }
                    }
                }
                let span = line_span(line, col, name.chars().count());
                inv.groups.entry(group.clone()).or_default().push(Host {
                    name,
                    address,
                    file,
                    span,
                });
            }
            "children" => {
                if let Some(c) = inv.children.get_mut(group) {
                    c.0.push(l.to_string());
                }
            }
            "vars" => {
                if let Some((k, v)) = l.split_once('=') {
                    let k = k.trim();
                    let v = v.trim();
                    // `l` is trimmed, so the value ends where the line does.
                    let vcol = col + (l.len() - v.len()) as u32;
                    inv.var(
                        k,
                        Val {
                            text: v.trim_matches(['"', '\'']).to_string(),
                            file,
                            span: line_span(line, vcol, v.chars().count()),
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

fn scalar_val(n: &N, file: usize) -> Option<Val> {
    match &n.y {
        Y::Scalar(s, _) => Some(Val {
            text: s.clone(),
            file,
            span: n.span(),
        }),
        _ => None,
    }
}

fn yaml_vars(inv: &mut Inv, file: usize, map: &N) {
    for (k, v) in map.entries() {
        if let (Some(key), Some(val)) = (k.str(), scalar_val(v, file)) {
            inv.var(key, val);
        }
    }
}

/// A YAML group: `hosts:`, `children:`, `vars:`, recursively.
fn yaml_group(inv: &mut Inv, file: usize, name: &str, key: &N, g: &N) {
    inv.groups.entry(name.to_string()).or_default();
    if let Some(hosts) = g.get("hosts") {
        for (h, hv) in hosts.entries() {
            let Some(hn) = h.str() else { continue };
            let address = hv.get("ansible_host").and_then(N::str).map(str::to_string);
            inv.groups.entry(name.to_string()).or_default().push(Host {
                name: hn.to_string(),
                address,
                file,
                span: h.span(),
            });
        }
    }
    if let Some(vars) = g.get("vars") {
        yaml_vars(inv, file, vars);
    }
    if let Some(ch) = g.get("children") {
        let names: Vec<String> = ch
            .entries()
            .iter()
            .filter_map(|(k, _)| k.str().map(str::to_string))
            .collect();
        inv.children
            .entry(name.to_string())
            .or_insert((names, file, key.span()));
        for (k, v) in ch.entries() {
            if let Some(cn) = k.str() {
                yaml_group(inv, file, cn, k, v);
            }
        }
    }
}

/// Lint the inventory files (path, text, shape) given together.
pub fn lint(files: &[(&str, &str, Shape)], facts: Option<&ClusterFacts>) -> Vec<Finding> {
    let mut sinks: Vec<Sink> = files.iter().map(|(p, _, _)| Sink::new(p)).collect();
    let mut invs: BTreeMap<String, Inv> = BTreeMap::new();
    for (i, (path, text, shape)) in files.iter().enumerate() {
        let inv = invs.entry(dir_of(path)).or_default();
        inv.files.push(path.to_string());
        if *shape != Shape::GroupVars {
            inv.host_file.get_or_insert(i);
        }
        match shape {
            Shape::Ini => parse_ini(inv, i, text),
            Shape::YamlInventory | Shape::GroupVars => match yaml::parse(text) {
                Err(e) => {
                    let (l, c, msg, fix) = yaml::syntax_finding(text, e);
                    sinks[i].push(Code::PV002, (l, c, l, c + 1), msg, Some(fix))
                }
                Ok(docs) => {
                    for (doc, _) in &docs {
                        if *shape == Shape::GroupVars {
                            inv.has_vars_file = true;
                            yaml_vars(inv, i, doc);
                        } else {
                            for (k, v) in doc.entries() {
                                if let Some(name) = k.str() {
                                    yaml_group(inv, i, name, k, v);
                                }
                            }
                        }
                    }
                }
            },
        }
    }
    for inv in invs.values() {
        check(inv, &mut sinks, facts);
    }
    sinks.into_iter().flat_map(|s| s.out).collect()
}

/// Which playbook the inventory is written for, from its group names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// techno-tim: `master` and `node`.
    TechnoTim,
    /// k3s-io: `server` and `agent`.
    K3sIo,
    /// k3s-io before its 2023 rewrite: `master` and `node`, with `master_ip`, and none of
    /// techno-tim's variables (no VIP, no MetalLB, the token generated by the servers).
    K3sIoLegacy,
}

impl Flavor {
    fn servers(self) -> &'static str {
        match self {
            Flavor::TechnoTim | Flavor::K3sIoLegacy => "master",
            Flavor::K3sIo => "server",
        }
    }
    fn agents(self) -> &'static str {
        match self {
            Flavor::TechnoTim | Flavor::K3sIoLegacy => "node",
            Flavor::K3sIo => "agent",
        }
    }
    fn endpoint(self) -> &'static str {
        match self {
            Flavor::TechnoTim => "apiserver_endpoint",
            Flavor::K3sIo => "api_endpoint",
            Flavor::K3sIoLegacy => "master_ip",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Flavor::TechnoTim => "techno-tim/k3s-ansible",
            Flavor::K3sIo => "k3s-io/k3s-ansible",
            Flavor::K3sIoLegacy => "k3s-io/k3s-ansible (its layout before 2023)",
        }
    }
}

fn flavor(inv: &Inv) -> Flavor {
    let has = |g: &str| {
        inv.groups.contains_key(g) || inv.children.values().any(|c| c.0.iter().any(|x| x == g))
    };
    let vars_tim = ["k3s_token", "apiserver_endpoint", "metal_lb_ip_range"]
        .iter()
        .any(|k| inv.vars.contains_key(*k));
    let legacy_vars = inv.vars.contains_key("master_ip")
        || (!vars_tim
            && ["systemd_dir", "extra_server_args", "extra_agent_args"]
                .iter()
                .any(|k| inv.vars.contains_key(*k)));
    if has("server") || has("agent") {
        Flavor::K3sIo
    } else if (has("master") || has("node")) && legacy_vars {
        Flavor::K3sIoLegacy
    } else if has("master") || has("node") || vars_tim {
        Flavor::TechnoTim
    } else {
        Flavor::K3sIo
    }
}

const TOKEN_FIX: &str = "read it at run time: \"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\", or encrypt it with ansible-vault";

fn check(inv: &Inv, sinks: &mut [Sink], facts: Option<&ClusterFacts>) {
    let fl = flavor(inv);
    let (sg, ag) = (
        inv.vars
            .get("group_name_master")
            .filter(|v| !v.templated())
            .map(|v| v.text.as_str())
            .unwrap_or(fl.servers()),
        fl.agents(),
    );
    let empty = Vec::new();
    let servers = inv.groups.get(sg).unwrap_or(&empty);
    let agents = inv.groups.get(ag).unwrap_or(&empty);

    // PV130: the groups the playbook targets.
    if let Some(hf) = inv.host_file {
        let top = (1, 1, 1, 2);
        if servers.is_empty() {
            let other = match fl {
                Flavor::TechnoTim | Flavor::K3sIoLegacy => "server",
                Flavor::K3sIo => "master",
            };
            let hint = if inv.groups.get(other).is_some_and(|g| !g.is_empty()) {
                format!(
                    "{} reads `{sg}`, not `{other}`: rename the group",
                    fl.name()
                )
            } else {
                format!("list the k3s server (control-plane) hosts under `{sg}`")
            };
            sinks[hf].push(
                Code::PV130,
                top,
                format!("no hosts in group `{sg}`: {} installs the k3s servers on that group, so nothing would be installed", fl.name()),
                Some(hint),
            );
        }
        match inv.children.get("k3s_cluster") {
            None => sinks[hf].push(
                Code::PV130,
                top,
                format!("no `k3s_cluster` group with children `{sg}` and `{ag}`: the playbook prepares the hosts of `k3s_cluster`"),
                Some(match inv.files.iter().any(|f| f.ends_with(".ini")) {
                    true => format!("add\n[k3s_cluster:children]\n{sg}\n{ag}"),
                    false => format!("put `{sg}` and `{ag}` under `k3s_cluster: children:`"),
                }),
            ),
            Some((kids, f, span)) => {
                for g in [sg, ag] {
                    let needed = g == sg || !agents.is_empty();
                    if needed && !kids.iter().any(|k| k == g) {
                        sinks[*f].push(
                            Code::PV130,
                            *span,
                            format!("`k3s_cluster` does not include group `{g}`: its hosts would miss the prerequisites"),
                            Some(format!("add `{g}` to the children of `k3s_cluster`")),
                        );
                    }
                }
            }
        }
        // A group with hosts that the playbook never reads, named like one it does
        // (`[nodes]` for `[node]`): its hosts are never installed.
        let known: Vec<String> = [sg, ag].iter().map(|g| g.to_string()).collect();
        for (g, hosts) in &inv.groups {
            let Some(first) = hosts.first() else {
                continue;
            };
            if known.contains(g) || g == "k3s_cluster" {
                continue;
            }
            let in_cluster = inv
                .children
                .get("k3s_cluster")
                .is_some_and(|(kids, _, _)| kids.contains(g));
            let Some(m) = crate::schema::did_you_mean(g, known.iter()) else {
                continue;
            };
            if in_cluster && inv.groups.get(&m).is_some_and(|h| !h.is_empty()) {
                continue;
            }
            sinks[first.file].push(
                Code::PV130,
                first.span,
                format!("group `{g}` is not one {} reads (it installs `{sg}` and `{ag}`): its hosts would never be installed", fl.name()),
                Some(format!("rename the group to `{m}` (and list `{m}` under `k3s_cluster`'s children)")),
            );
        }
        // A host in both groups.
        for a in agents {
            if servers.iter().any(|s| s.name == a.name) {
                sinks[a.file].push(
                    Code::PV134,
                    a.span,
                    format!("host {} is in both `{sg}` and `{ag}`", a.name),
                    Some(format!(
                        "a k3s server also runs workloads; remove it from `{ag}`"
                    )),
                );
            }
        }
    }

    // PV131: embedded etcd wants an odd number of servers.
    let external = inv
        .vars
        .get("use_external_database")
        .is_some_and(|v| v.text == "true" || v.text == "True")
        || inv
            .vars
            .get("extra_server_args")
            .is_some_and(|v| v.text.contains("--datastore-endpoint"));
    let n = servers.len();
    if n >= 2 && n.is_multiple_of(2) && !external {
        let s = &servers[n - 1];
        sinks[s.file].push(
            Code::PV131,
            s.span,
            format!("{n} servers in `{sg}`: embedded etcd needs an odd number for quorum; {n} servers survive {} failure(s), no more than {} would", (n - 1) / 2, n - 1),
            Some(format!("use {} or {} servers, or an external datastore", n - 1, n + 1)),
        );
    }

    // PV132: secrets written as literals.
    for key in ["k3s_token", "token", "agent_token"] {
        if let Some(v) = inv.vars.get(key) {
            if !v.templated() && !v.vaulted() && !v.text.is_empty() {
                sinks[v.file].push(
                    Code::PV132,
                    v.span,
                    format!("`{key}` is written as a literal: the cluster join secret ends up in the repository"),
                    Some(TOKEN_FIX.into()),
                );
            }
        }
    }
    for key in ["extra_server_args", "extra_agent_args", "extra_args"] {
        if let Some(v) = inv.vars.get(key) {
            if let Some(what) = literal_secret_arg(&v.text) {
                sinks[v.file].push(
                    Code::PV132,
                    v.span,
                    format!("`{key}` carries {what} as a literal"),
                    Some("move the secret to a variable read from the environment or ansible-vault, and reference it with {{ }}".into()),
                );
            }
        }
    }

    // PV133: the k3s release name.
    if let Some(v) = inv.vars.get("k3s_version") {
        if !v.templated() && !k3s_version_ok(&v.text) {
            sinks[v.file].push(
                Code::PV133,
                v.span,
                format!("k3s_version `{}` is not a k3s release name like v1.31.4+k3s1: the install script cannot download it", v.text),
                Some(version_fix(&v.text)),
            );
        }
    }

    // PV135: variables the playbook cannot run without.
    if inv.has_vars_file || (fl == Flavor::K3sIo && inv.host_file.is_some()) {
        let required: &[&str] = match fl {
            Flavor::TechnoTim => &["k3s_version", "apiserver_endpoint", "k3s_token"],
            Flavor::K3sIo | Flavor::K3sIoLegacy => &["k3s_version"],
        };
        let at = inv
            .vars
            .values()
            .next()
            .map(|v| (v.file, (1, 1, 1, 2)))
            .or(inv.host_file.map(|f| (f, (1, 1, 1, 2))));
        if let Some((f, span)) = at {
            for k in required {
                if !inv.vars.contains_key(*k) {
                    sinks[f].push(
                        Code::PV135,
                        span,
                        format!(
                            "`{k}` is not set in these inventory files: {} needs it",
                            fl.name()
                        ),
                        Some(format!(
                            "set `{k}` in {}",
                            match fl {
                                Flavor::TechnoTim | Flavor::K3sIoLegacy => "group_vars/all.yml",
                                Flavor::K3sIo => "the `vars:` of `k3s_cluster`",
                            }
                        )),
                    );
                }
            }
        }
    }

    // PV137: values outside what the playbook accepts.
    for (key, allowed) in [
        ("metal_lb_type", &["native", "frr"][..]),
        ("metal_lb_mode", &["layer2", "bgp"][..]),
    ] {
        if let Some(v) = inv.vars.get(key) {
            if !v.templated() && !allowed.contains(&v.text.as_str()) {
                sinks[v.file].push(
                    Code::PV137,
                    v.span,
                    format!("{key} `{}` is not one of {}", v.text, allowed.join(", ")),
                    Some(format!("use one of {}", allowed.join(", "))),
                );
            }
        }
    }
    let range = inv.vars.get("metal_lb_ip_range").and_then(|v| {
        if v.templated() {
            return None;
        }
        let r = Range::parse(&v.text);
        if r.is_none() {
            sinks[v.file].push(
                Code::PV137,
                v.span,
                format!("metal_lb_ip_range `{}` is not an address range", v.text),
                Some("write it as FIRST-LAST (192.168.30.80-192.168.30.90) or as a CIDR".into()),
            );
        }
        r.map(|r| (r, v))
    });
    let mut hosts: Vec<(&Host, Ipv4Addr)> = Vec::new();
    for h in servers.iter().chain(agents) {
        let t = h.ip_text();
        if looks_like_ipv4(t) {
            match t.parse::<Ipv4Addr>() {
                Ok(ip) => hosts.push((h, ip)),
                Err(_) => sinks[h.file].push(
                    Code::PV137,
                    h.span,
                    format!("host `{t}` is not a valid IPv4 address"),
                    Some("each part of an IPv4 address is 0-255".into()),
                ),
            }
        }
    }
    let endpoint = inv.vars.get(fl.endpoint()).filter(|v| !v.templated());
    let vip = endpoint.and_then(|v| {
        if looks_like_ipv4(&v.text) {
            match v.text.parse::<Ipv4Addr>() {
                Ok(ip) => Some((ip, v)),
                Err(_) => {
                    sinks[v.file].push(
                        Code::PV137,
                        v.span,
                        format!("{} `{}` is not a valid IPv4 address", fl.endpoint(), v.text),
                        None,
                    );
                    None
                }
            }
        } else {
            None
        }
    });

    // PV134: two hosts (of different names) at one address.
    for (i, (h, ip)) in hosts.iter().enumerate() {
        if let Some((first, _)) = hosts[..i]
            .iter()
            .find(|(o, oip)| oip == ip && o.name != h.name)
        {
            sinks[h.file].push(
                Code::PV134,
                h.span,
                format!(
                    "host {} has address {ip}, as {} does: two nodes cannot share an address",
                    h.name, first.name
                ),
                Some("give each node its own address".into()),
            );
        }
    }

    // PV134: addresses that collide.
    if let Some((ip, v)) = vip {
        if let Some((r, _)) = range.filter(|(r, _)| r.contains(ip)) {
            sinks[v.file].push(
                Code::PV134,
                v.span,
                format!(
                    "{} {ip} lies inside metal_lb_ip_range {r}: MetalLB would hand it to a Service",
                    fl.endpoint()
                ),
                Some("move the VIP or the MetalLB range so they do not overlap".into()),
            );
        }
        if let Some(f) = facts.filter(|f| f.in_metallb_pool(ip)) {
            sinks[v.file].push(
                Code::PV134,
                v.span,
                format!(
                    "{} {ip} lies inside the cluster's MetalLB pool ({})",
                    fl.endpoint(),
                    f.metallb_pools.join(", ")
                ),
                Some("pick an API address outside the MetalLB pools".into()),
            );
        }
        if fl == Flavor::TechnoTim {
            // kube-vip moves the VIP between masters: it must not be any node's own address.
            for (h, hip) in &hosts {
                if *hip == ip {
                    sinks[v.file].push(
                        Code::PV134,
                        v.span,
                        format!("apiserver_endpoint {ip} is the address of host {}: it must be a free virtual IP that kube-vip moves between the masters", h.name),
                        Some("choose an unused address in the nodes' subnet".into()),
                    );
                }
            }
        } else if let Some((h, _)) = hosts
            .iter()
            .find(|(h, hip)| *hip == ip && agents.iter().any(|a| a.name == h.name))
        {
            sinks[v.file].push(
                Code::PV134,
                v.span,
                format!(
                    "api_endpoint {ip} is agent {}: agents do not serve the Kubernetes API",
                    h.name
                ),
                Some("point it at a server or at a VIP in front of the servers".into()),
            );
        }
        if let Some(want) = facts
            .and_then(|f| f.k3s_api_vip.as_deref())
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
        {
            if fl == Flavor::TechnoTim && want != ip {
                sinks[v.file].push(
                    Code::PV136,
                    v.span,
                    format!("apiserver_endpoint {ip} differs from the cluster's configured API VIP {want}"),
                    Some(format!("use {want}, or update the site facts if the VIP moved")),
                );
            }
        }
    }
    for (h, ip) in &hosts {
        if let Some((r, _)) = range.filter(|(r, _)| r.contains(*ip)) {
            sinks[h.file].push(
                Code::PV134,
                h.span,
                format!("host {ip} lies inside metal_lb_ip_range {r}: MetalLB could give a Service the node's address"),
                Some("keep node addresses out of the MetalLB range".into()),
            );
        } else if let Some(why) = facts.and_then(|f| f.reserved_for(*ip)) {
            sinks[h.file].push(
                Code::PV134,
                h.span,
                format!("host {ip} is a reserved address ({why})"),
                Some("give the node an address outside the reserved ones".into()),
            );
        }
    }
    if let (Some((r, v)), Some(f)) = (range, facts) {
        let inside = f.in_metallb_pool(r.first) && f.in_metallb_pool(r.last);
        if !f.metallb_pools.is_empty() && !inside {
            sinks[v.file].push(
                Code::PV136,
                v.span,
                format!(
                    "metal_lb_ip_range {r} is not within the cluster's MetalLB pools ({})",
                    f.metallb_pools.join(", ")
                ),
                Some(format!(
                    "use {}, or update the site facts",
                    f.metallb_pools[0]
                )),
            );
        }
    }

    // PV136 (servicelb): MetalLB and k3s's own service load balancer both answer for
    // LoadBalancer Services.
    let metallb = range.is_some()
        || (fl == Flavor::K3sIo && facts.is_some_and(|f| !f.metallb_pools.is_empty()));
    let cilium_bgp = inv.vars.get("cilium_bgp").is_some_and(|v| v.text == "true");
    if metallb && !cilium_bgp {
        let args = inv.vars.get("extra_server_args");
        let cfg = inv.vars.get("server_config_yaml");
        let disabled = [args, cfg]
            .iter()
            .flatten()
            .any(|v| disables_servicelb(&v.text));
        if !disabled {
            let (f, span) = args
                .map(|v| (v.file, v.span))
                .or(range.map(|(_, v)| (v.file, v.span)))
                .or(inv.host_file.map(|f| (f, (1, 1, 1, 2))))
                .unwrap_or((0, (1, 1, 1, 2)));
            sinks[f].push(
                Code::PV138,
                span,
                "MetalLB is in use but k3s's built-in service load balancer (servicelb) is not disabled: both would answer for LoadBalancer Services",
                Some("add `--disable servicelb` to extra_server_args".into()),
            );
        }
    }
    if fl == Flavor::TechnoTim {
        if let (Some(args), Some(_)) = (inv.vars.get("extra_server_args"), endpoint) {
            if !args.text.contains("--tls-san") {
                sinks[args.file].push(
                    Code::PV138,
                    args.span,
                    "extra_server_args has no `--tls-san`: the API certificate will not be valid for the VIP",
                    Some("add `--tls-san {{ apiserver_endpoint }}`".into()),
                );
            }
        }
    }
}

fn looks_like_ipv4(s: &str) -> bool {
    s.split('.').count() == 4 && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// `v1.31.4+k3s1`.
fn k3s_version_ok(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let Some((ver, build)) = rest.split_once("+k3s") else {
        return false;
    };
    let parts: Vec<&str> = ver.split('.').collect();
    let num = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    // Release candidates: v1.32.0-rc1+k3s1.
    let (last, pre) = match parts.last().and_then(|l| l.split_once('-')) {
        Some((l, pre)) => (l, Some(pre)),
        None => (parts.last().copied().unwrap_or(""), None),
    };
    parts.len() == 3
        && num(parts[0])
        && num(parts[1])
        && num(last)
        && pre.is_none_or(|p| p.starts_with("rc") && num(&p[2..]))
        && num(build)
}

fn version_fix(s: &str) -> String {
    let mut v = s.trim().to_string();
    if !v.starts_with('v') {
        v.insert(0, 'v');
    }
    if !v.contains("+k3s") {
        v.push_str("+k3s1");
    }
    if k3s_version_ok(&v) {
        format!("write `{v}` (the name of a release on github.com/k3s-io/k3s)")
    } else {
        "use a release name from github.com/k3s-io/k3s/releases, like v1.31.4+k3s1".into()
    }
}

/// Whether a server argument string or config turns servicelb off.
fn disables_servicelb(s: &str) -> bool {
    let t: Vec<&str> = s.split_whitespace().collect();
    t.windows(2)
        .any(|w| w[0] == "--disable" && w[1].split(',').any(|x| x == "servicelb"))
        || t.iter().any(|x| {
            x.strip_prefix("--disable=")
                .is_some_and(|v| v.split(',').any(|x| x == "servicelb"))
        })
        || s.contains("disable-servicelb")
        || s.lines().any(|l| {
            let l = l.trim();
            (l.starts_with("disable:") || l.starts_with("- ")) && l.contains("servicelb")
        })
}

/// A literal token or datastore password inside an argument string.
fn literal_secret_arg(s: &str) -> Option<&'static str> {
    let t: Vec<&str> = s.split_whitespace().collect();
    for (i, w) in t.iter().enumerate() {
        for flag in ["--token", "--agent-token"] {
            let val = if *w == flag {
                t.get(i + 1).copied()
            } else {
                w.strip_prefix(flag).and_then(|r| r.strip_prefix('='))
            };
            if let Some(v) = val {
                if !v.contains("{{") && !v.is_empty() {
                    return Some(if flag == "--token" {
                        "the cluster token (`--token`)"
                    } else {
                        "the agent token (`--agent-token`)"
                    });
                }
            }
        }
        if let Some(v) = w.strip_prefix("--datastore-endpoint=").or_else(|| {
            (*w == "--datastore-endpoint")
                .then(|| t.get(i + 1).copied())
                .flatten()
        }) {
            // scheme://user:password@host
            if let Some((_, rest)) = v.split_once("://") {
                if let Some((cred, _)) = rest.split_once('@') {
                    if let Some((_, pw)) = cred.split_once(':') {
                        if !pw.is_empty() && !pw.contains("{{") {
                            return Some("a database password (`--datastore-endpoint`)");
                        }
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["v1.31.4+k3s1", "v1.30.2+k3s2", "v1.32.0-rc1+k3s1"] {
            assert!(k3s_version_ok(ok), "{ok}");
        }
        for bad in [
            "1.31.4+k3s1",
            "v1.31.4",
            "v1.31+k3s1",
            "v1.31.4-k3s1",
            "latest",
            "",
        ] {
            assert!(!k3s_version_ok(bad), "{bad}");
        }
        assert!(version_fix("1.31.4").contains("v1.31.4+k3s1"));
    }

    #[test]
    fn dirs() {
        assert_eq!(dir_of("inventory/hosts.ini"), "inventory");
        assert_eq!(dir_of("inventory/group_vars/all.yml"), "inventory");
        assert_eq!(dir_of("inventory/group_vars/all/main.yml"), "inventory");
        assert_eq!(dir_of("group_vars/all.yml"), "");
        assert_eq!(dir_of("hosts.ini"), "");
    }

    #[test]
    fn servicelb() {
        assert!(disables_servicelb(
            "--tls-san x --disable servicelb --disable traefik"
        ));
        assert!(disables_servicelb("--disable=traefik,servicelb"));
        assert!(disables_servicelb("disable:\n  - servicelb\n"));
        assert!(!disables_servicelb("--disable traefik"));
    }

    #[test]
    fn secret_args() {
        assert!(literal_secret_arg("--token abc").is_some());
        assert!(literal_secret_arg("--token={{ k3s_token }}").is_none());
        assert!(literal_secret_arg("--datastore-endpoint=postgres://u:pw@db:5432/k3s").is_some());
        assert!(literal_secret_arg("--datastore-endpoint=postgres://u:{{ pw }}@db/k3s").is_none());
    }
}
