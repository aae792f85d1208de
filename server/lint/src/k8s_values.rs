//! Kubernetes values the API server refuses although the schema calls them strings (PV104):
//! names that are not DNS labels or subdomains, port names that are not IANA service names,
//! label keys and values, ConfigMap and Secret keys, resource quantities (`64MB`, `50mc`) and
//! enumerated fields (`imagePullPolicy`, `protocol`, `restartPolicy`, Service `type`, ...).
//! Also PV003: a key written twice in one mapping (kubectl refuses the file).
//!
//! Values with template syntax (`{{ ... }}`, `${...}`) are not judged.
use crate::finding::Sink;
use crate::yaml::{N, Y};

/// Fields whose value is one of a fixed set, by key name (and parent key where the name alone
/// is ambiguous). From the Kubernetes 1.37 API reference.
const ENUMS: &[(&str, Option<&str>, &[&str])] = &[
    (
        "imagePullPolicy",
        None,
        &["Always", "IfNotPresent", "Never"],
    ),
    ("protocol", Some("ports"), &["TCP", "UDP", "SCTP"]),
    ("restartPolicy", None, &["Always", "OnFailure", "Never"]),
    (
        "dnsPolicy",
        None,
        &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
    ),
    ("concurrencyPolicy", None, &["Allow", "Forbid", "Replace"]),
    ("externalTrafficPolicy", None, &["Cluster", "Local"]),
    ("internalTrafficPolicy", None, &["Cluster", "Local"]),
    ("sessionAffinity", None, &["ClientIP", "None"]),
    (
        "pathType",
        None,
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    ("volumeMode", None, &["Filesystem", "Block"]),
    (
        "accessModes",
        None,
        &[
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ],
    ),
    (
        "effect",
        Some("tolerations"),
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    ),
    (
        "effect",
        Some("taints"),
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    ),
    (
        "whenUnsatisfiable",
        None,
        &["DoNotSchedule", "ScheduleAnyway"],
    ),
    ("podManagementPolicy", None, &["OrderedReady", "Parallel"]),
    (
        "persistentVolumeReclaimPolicy",
        None,
        &["Retain", "Delete", "Recycle"],
    ),
    ("reclaimPolicy", None, &["Retain", "Delete"]),
    (
        "volumeBindingMode",
        None,
        &["Immediate", "WaitForFirstConsumer"],
    ),
    ("type", Some("strategy"), &["RollingUpdate", "Recreate"]),
    (
        "type",
        Some("updateStrategy"),
        &["RollingUpdate", "OnDelete"],
    ),
    (
        "type",
        Some("seccompProfile"),
        &["RuntimeDefault", "Unconfined", "Localhost"],
    ),
];

const SERVICE_TYPES: &[&str] = &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

fn templated(s: &str) -> bool {
    s.contains("{{") || s.contains("${")
}

fn alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 label: at most 63 lower-case letters, digits and inner `-`.
pub fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum_lower(c) || c == '-')
        && s.starts_with(alnum_lower)
        && s.ends_with(alnum_lower)
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

/// RFC 1035 label (Service names): a DNS label that starts with a letter.
pub fn dns1035_label(s: &str) -> bool {
    dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// IANA service name (port names): at most 15 of `[a-z0-9-]`, a letter among them, no `-` at
/// either end and no `--`.
pub fn iana_svc_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars().all(|c| alnum_lower(c) || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn qualified_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A label key: `[prefix/]name`, the prefix a DNS subdomain, the name a qualified name.
pub fn label_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => dns_subdomain(prefix) && qualified_part(name),
        None => qualified_part(s),
    }
}

/// A label value: empty, or a qualified name part.
pub fn label_value(s: &str) -> bool {
    s.is_empty() || qualified_part(s)
}

/// A ConfigMap or Secret key.
pub fn config_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A resource quantity in Kubernetes' canonical syntax: a signed decimal number, optionally
/// with an exponent or one of the suffixes `Ki Mi Gi Ti Pi Ei n u m k M G T P E`.
pub fn quantity(s: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut num = body;
    if let Some(x) = SUFFIXES.iter().find_map(|suf| body.strip_suffix(suf)) {
        num = x;
    } else if let Some(i) = body.find(['e', 'E']) {
        let exp = &body[i + 1..];
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !exp.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        num = &body[..i];
    }
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    (!int.is_empty() || !frac.is_empty())
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
}

/// Checks one Kubernetes document.
pub fn check(doc: &N, kind: &str, sink: &mut Sink) {
    if let Some(name) = doc.path(&["metadata", "name"]) {
        if let Some(s) = name.str().filter(|s| !templated(s)) {
            let (ok, what) = match kind {
                // RBAC names are path segments (`system:controller:x` is fine).
                "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => (
                    !s.is_empty() && !s.contains(['/', '%']) && s != "." && s != "..",
                    "a path segment (no `/` or `%`)",
                ),
                "Service" => (dns1035_label(s), "a DNS-1035 label (lower-case letters, digits and `-`, starting with a letter, at most 63)"),
                "Namespace" => (dns_label(s), "a DNS label (lower-case letters, digits and `-`, at most 63)"),
                _ => (dns_subdomain(s), "a DNS subdomain (lower-case letters, digits, `-` and `.`, at most 253)"),
            };
            if !ok {
                bad(
                    sink,
                    name,
                    &format!("{kind} name `{s}` is not {what}"),
                    fixed_name(s, kind == "Service"),
                );
            }
        }
    }
    if kind == "Service" {
        if let Some(t) = doc.path(&["spec", "type"]) {
            one_of(sink, t, "spec.type", SERVICE_TYPES);
        }
    }
    if matches!(kind, "ConfigMap" | "Secret") {
        for field in ["data", "stringData", "binaryData"] {
            for (k, _) in doc.get(field).map(N::entries).unwrap_or(&[]) {
                if let Some(key) = k.str().filter(|s| !templated(s) && !config_key(s)) {
                    let fixed: String = key
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    bad(
                        sink,
                        k,
                        &format!(
                            "{kind} key `{key}` may only hold letters, digits, `-`, `_` and `.`"
                        ),
                        format!("use `{fixed}`"),
                    );
                }
            }
        }
    }
    walk(doc, None, None, sink);
}

fn fixed_name(s: &str, letter_first: bool) -> String {
    let mut f: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if alnum_lower(c) || c == '.' { c } else { '-' })
        .collect::<String>()
        .trim_matches(['-', '.'])
        .to_string();
    if letter_first && f.starts_with(|c: char| c.is_ascii_digit()) {
        f = format!("x-{f}");
    }
    format!("use `{f}`")
}

fn bad(sink: &mut Sink, at: &N, msg: &str, fix: String) {
    sink.push("PV104", at.span(), msg.to_string(), Some(fix));
}

fn one_of(sink: &mut Sink, v: &N, what: &str, allowed: &[&str]) {
    let vals: Vec<&N> = match &v.y {
        Y::Seq(xs) => xs.iter().collect(),
        _ => vec![v],
    };
    for x in vals {
        let Some(s) = x.str().filter(|s| !templated(s)) else {
            continue;
        };
        if allowed.contains(&s) {
            continue;
        }
        let fix = match allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            Some(a) => format!("write `{a}` (values are case-sensitive)"),
            None => match crate::schema::did_you_mean(
                s,
                allowed
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .iter(),
            ) {
                Some(a) => format!("did you mean `{a}`? one of: {}", allowed.join(", ")),
                None => format!("use one of: {}", allowed.join(", ")),
            },
        };
        bad(
            sink,
            x,
            &format!("`{what}: {s}` is not a value the API server accepts"),
            fix,
        );
    }
}

/// Walk the tree; `key` is the key this node sits under, `parent` the key above that.
fn walk(n: &N, key: Option<&str>, parent: Option<&str>, sink: &mut Sink) {
    match &n.y {
        Y::Map(entries) => {
            let mut seen: Vec<(&str, u32)> = Vec::new();
            for (k, v) in entries {
                let Some(name) = k.str() else { continue };
                if let Some((_, line)) = seen.iter().find(|(s, _)| *s == name) {
                    sink.push(
                        "PV003",
                        k.span(),
                        format!("key `{name}` appears twice in this mapping (first at line {line}); kubectl refuses the file"),
                        Some("keep one of them".into()),
                    );
                } else {
                    seen.push((name, k.line));
                }
                entry(name, v, key, parent, sink);
                walk(v, Some(name), key, sink);
            }
        }
        Y::Seq(items) => {
            for x in items {
                // List items inherit the list's key (`ports`, `containers`, ...).
                walk(x, key, parent, sink);
            }
        }
        _ => {}
    }
}

/// Rules on one mapping entry `name: v` inside a mapping that sits under `key` (itself under
/// `parent`).
fn entry(name: &str, v: &N, key: Option<&str>, parent: Option<&str>, sink: &mut Sink) {
    for (field, under, allowed) in ENUMS {
        if *field == name && under.is_none_or(|u| Some(u) == key) {
            one_of(sink, v, name, allowed);
        }
    }
    match (name, key) {
        ("name", Some("containers" | "initContainers" | "ephemeralContainers")) => {
            if let Some(s) = v.str().filter(|s| !templated(s) && !dns_label(s)) {
                bad(sink, v, &format!("container name `{s}` is not a DNS label (lower-case letters, digits and `-`, at most 63)"), fixed_name(s, false));
            }
        }
        ("name", Some("ports"))
            if matches!(
                parent,
                Some("containers" | "initContainers" | "ephemeralContainers")
            ) =>
        {
            if let Some(s) = v
                .str()
                .filter(|s| !s.is_empty() && !templated(s) && !iana_svc_name(s))
            {
                bad(sink, v, &format!("port name `{s}` is not an IANA service name (at most 15 lower-case letters, digits and `-`, with a letter)"), "use a short lower-case name like `http` or `metrics`".into());
            }
        }
        ("name", Some("ports")) => {
            if let Some(s) = v
                .str()
                .filter(|s| !s.is_empty() && !templated(s) && !dns_label(s))
            {
                bad(sink, v, &format!("port name `{s}` is not a DNS label (lower-case letters, digits and `-`, at most 63)"), fixed_name(s, false));
            }
        }
        ("labels" | "matchLabels", _) => {
            for (k, val) in v.entries() {
                let (Some(ks), vs) = (k.str(), val.str().unwrap_or("")) else {
                    continue;
                };
                if templated(ks) || templated(vs) {
                    continue;
                }
                if !label_key(ks) {
                    bad(sink, k, &format!("label key `{ks}` is not valid (an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_`, `.`)"), "use a key like `app.kubernetes.io/name`".into());
                }
                if !label_value(vs) {
                    bad(sink, val, &format!("label value `{vs}` is not valid (at most 63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric)"), format!("use `{}`", vs.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect::<String>().trim_matches(['-', '_', '.'])));
                }
            }
        }
        ("requests" | "limits", Some("resources")) | ("capacity", _) => {
            for (k, q) in v.entries() {
                quantity_at(sink, k.str().unwrap_or("?"), q);
            }
        }
        ("sizeLimit", _) => quantity_at(sink, name, v),
        _ => {}
    }
}

fn quantity_at(sink: &mut Sink, what: &str, q: &N) {
    let Some(s) = q.str().filter(|s| !templated(s)) else {
        return;
    };
    if quantity(s) {
        return;
    }
    let n: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let rest = s[n.len()..].trim();
    let fix = match rest {
        "KB" | "KiB" | "kb" | "K" => format!("write `{n}Ki` (or `{n}k` for 1000s)"),
        "MB" | "MiB" | "mb" | "Mb" => format!("write `{n}Mi` (or `{n}M` for 10^6)"),
        "GB" | "GiB" | "gb" | "Gb" | "g" => format!("write `{n}Gi` (or `{n}G` for 10^9)"),
        "TB" | "TiB" => format!("write `{n}Ti`"),
        _ if what == "cpu" && !n.is_empty() => format!("write `{n}m` (millicores) or a number of cores like `0.5`"),
        _ => "write a number with an optional suffix: Ki Mi Gi Ti (powers of 2), k M G T (powers of 10) or m (thousandths)".into(),
    };
    bad(
        sink,
        q,
        &format!("`{what}: {s}` is not a Kubernetes quantity"),
        fix,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in [
            "64Mi",
            "500m",
            "2",
            "0.5",
            "1.5Gi",
            "128974848",
            "1e3",
            "1E3",
            "129M",
            ".5",
            "+1",
            "100k",
        ] {
            assert!(quantity(ok), "{ok}");
        }
        for no in [
            "64MB", "50mc", "1GiB", "", "Mi", "1e", "1.2.3", "64 Mi", "1g",
        ] {
            assert!(!quantity(no), "{no}");
        }
    }

    #[test]
    fn names() {
        assert!(dns_label("web-1") && !dns_label("Web") && !dns_label("-a") && !dns_label("a_b"));
        assert!(dns_subdomain("podinfo.config") && !dns_subdomain("a..b"));
        assert!(dns1035_label("db") && !dns1035_label("1db"));
        assert!(
            iana_svc_name("http")
                && iana_svc_name("h2c-9")
                && !iana_svc_name("http-metrics-port")
                && !iana_svc_name("8080")
                && !iana_svc_name("a--b")
        );
        assert!(
            label_key("app.kubernetes.io/name")
                && label_key("tier")
                && !label_key("bad key")
                && !label_key("a/b/c")
        );
        assert!(
            label_value("") && label_value("v1.2_x") && !label_value("-x") && !label_value("a b")
        );
        assert!(config_key("app.conf") && !config_key("a b"));
    }
}
