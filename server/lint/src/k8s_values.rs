//! Kubernetes values the API server refuses although the schema calls them strings (PV104):
//! names that are not DNS labels or subdomains, port names that are not IANA service names,
//! label keys and values, ConfigMap and Secret keys, resource quantities (`64MB`, `50mc`) and
//! enumerated fields (`imagePullPolicy`, `protocol`, `restartPolicy`, Service `type`, ...).
//! Also numbers out of range (ports, node ports, negative counts and seconds, a liveness
//! probe's `successThreshold`), repeated container names, port names and ports, unnamed ports
//! of a multi-port Service, rolling-update settings the API refuses, an empty workload
//! selector and image references the kubelet cannot parse.
//! Also PV003: a key written twice in one mapping (kubectl refuses the file).
//!
//! Values with template syntax (`{{ ... }}`, `${...}`) are not judged.
//!
//! Rules reported here: PV003 yaml-duplicate-key, PV104 k8s-invalid-value.
use crate::finding::Sink;
use crate::rules::Code;
use crate::severity::Severity;
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

/// Integer fields the API server refuses below zero.
const NON_NEGATIVE: &[&str] = &[
    "replicas",
    "revisionHistoryLimit",
    "minReadySeconds",
    "progressDeadlineSeconds",
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
    "terminationGracePeriodSeconds",
    "backoffLimit",
    "completions",
    "parallelism",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
    "ttlSecondsAfterFinished",
];

/// The default `--service-node-port-range` of Kubernetes and k3s.
const NODE_PORTS: (i64, i64) = (30000, 32767);

/// An unquoted integer scalar.
fn int(v: &N) -> Option<i64> {
    match &v.y {
        Y::Scalar(s, false) => s.parse().ok(),
        _ => None,
    }
}

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

/// A resource quantity in Kubernetes' canonical syntax (a signed decimal number, optionally
/// with an exponent or one of the suffixes `Ki Mi Gi Ti Pi Ei n u m k M G T P E`) as a number;
/// `None` when the API server would refuse the syntax (`64MB`, `50mc`, `64 Mi`).
pub fn quantity(s: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    // An exponent (`1e3`, `1E3`) ends in a digit, so it never matches a suffix.
    let (num, factor) = if let Some(x) = SUFFIXES
        .iter()
        .find_map(|(suf, f)| body.strip_suffix(suf).map(|n| (n, *f)))
    {
        x
    } else if let Some(i) = body.find(['e', 'E']) {
        let exp = &body[i + 1..];
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        (&body[..i], 10f64.powi(exp.parse::<i32>().ok()?))
    } else {
        (body, 1.0)
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let ok = (!int.is_empty() || !frac.is_empty())
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    let n: f64 = if num.starts_with('.') {
        format!("0{num}").parse().ok()?
    } else {
        num.parse().ok()?
    };
    Some(sign * n * factor).filter(|v| v.is_finite())
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
    if kind == "HorizontalPodAutoscaler" {
        let num = |k: &str| {
            doc.path(&["spec", k])
                .and_then(|n| n.str().and_then(|s| s.parse::<i64>().ok()).map(|v| (n, v)))
        };
        if let (Some((lo_n, lo)), Some((_, hi))) = (num("minReplicas"), num("maxReplicas")) {
            if lo > hi {
                bad(
                    sink,
                    lo_n,
                    &format!(
                        "minReplicas {lo} is above maxReplicas {hi}; the API server refuses it"
                    ),
                    format!("set minReplicas to at most {hi}, or raise maxReplicas"),
                );
            }
        }
    }
    if kind == "CronJob" {
        if let Some(sched) = doc.path(&["spec", "schedule"]) {
            if let Some(v) = sched.str().filter(|s| !templated(s)) {
                if let Err((why, fix)) = cron(v) {
                    bad(sink, sched, &format!("CronJob schedule `{v}` {why}"), fix);
                }
            }
        }
    }
    // A Secret's `data` and a ConfigMap's `binaryData` hold base64; plain text belongs in
    // `stringData` / `data`.
    let encoded = match kind {
        "Secret" => Some(("data", "stringData")),
        "ConfigMap" => Some(("binaryData", "data")),
        _ => None,
    };
    if let Some((field, plain)) = encoded {
        for (k, v) in doc.get(field).map(N::entries).unwrap_or(&[]) {
            let (Some(key), Some(val)) = (k.str(), v.str()) else {
                continue;
            };
            if !templated(val) && !base64_std(val) {
                bad(
                    sink,
                    v,
                    &format!("{kind} {field}.{key} is not base64: the API server refuses the object (illegal base64 data)"),
                    format!("encode it (`echo -n '...' | base64`), or move the entry under `{plain}:`, which takes plain text"),
                );
            }
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
    if matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    ) {
        workload(doc, kind, sink);
    }
    if kind == "Service" {
        service_ports(doc, sink);
    }
    if let Some(spec) = crate::k8s_obj::pod_spec_path(kind).and_then(|p| doc.path(p)) {
        pod_spec(spec, sink);
        restart_policy(kind, spec, sink);
        tolerations(spec, sink);
        // A StatefulSet's claim templates are volumes its pods mount by name.
        let claims: Vec<&str> = match kind {
            "StatefulSet" => doc
                .path(&["spec", "volumeClaimTemplates"])
                .map(N::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|t| t.path(&["metadata", "name"]).and_then(N::str))
                .collect(),
            _ => Vec::new(),
        };
        volumes(spec, &claims, sink);
    }
    walk(doc, None, None, sink);
}

/// A container image reference: `[host[:port]/]path[:tag][@digest]`, the path lower-case.
pub fn image_ref(s: &str) -> Result<(), (String, String)> {
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return Err((
            "is empty or holds spaces".into(),
            "write `registry/name:tag`, like `ghcr.io/stefanprodan/podinfo:6.7.0`".into(),
        ));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty()
                && hex.len() >= 32
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        });
        if !ok {
            return Err((
                "has a malformed digest".into(),
                "write the digest as `@sha256:<64 lower-case hex digits>`".into(),
            ));
        }
    }
    // The tag follows the last `:` after the last `/` (a registry port is before a `/`).
    let last = rest.rsplit('/').next().unwrap_or(rest);
    let (path, tag) = match last.rsplit_once(':') {
        Some((_, t)) => (&rest[..rest.len() - t.len() - 1], Some(t)),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err((
                format!("has tag `{t}`, which is not a valid tag (letters, digits, `_ . -`, at most 128)"),
                "use the release tag as published, like `6.7.0`".into(),
            ));
        }
    }
    let mut comps: Vec<&str> = path.split('/').collect();
    // A first component with a `.` or `:` (or `localhost`) is a registry host.
    if comps.len() > 1 && (comps[0].contains(['.', ':']) || comps[0] == "localhost") {
        comps.remove(0);
    }
    for c in &comps {
        let ok = !c.is_empty()
            && c.starts_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.ends_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.chars().all(|x| {
                x.is_ascii_lowercase() || x.is_ascii_digit() || matches!(x, '.' | '_' | '-')
            });
        if !ok {
            let fixed = path.to_ascii_lowercase();
            return Err((
                format!("has path component `{c}`: repository names are lower-case letters, digits and `. _ -`"),
                if c.chars().any(|x| x.is_ascii_uppercase()) {
                    format!("write the repository in lower case: `{fixed}`")
                } else {
                    "write the image as `registry/name:tag`".into()
                },
            ));
        }
    }
    Ok(())
}

/// Per pod template: containers and port names and numbers appear once.
fn pod_spec(spec: &N, sink: &mut Sink) {
    let mut names: Vec<(&str, u32)> = Vec::new();
    for list in ["initContainers", "containers"] {
        for c in spec.get(list).map(N::seq).unwrap_or(&[]) {
            if let Some(n) = c.get("name") {
                if let Some(s) = n.str() {
                    if let Some((_, l)) = names.iter().find(|(x, _)| *x == s) {
                        bad(
                            sink,
                            n,
                            &format!("container name `{s}` is used twice in this pod (first at line {l}); the API server refuses it"),
                            "give each container its own name".into(),
                        );
                    } else {
                        names.push((s, n.line));
                    }
                }
            }
            let mut port_names: Vec<(&str, u32)> = Vec::new();
            let mut ports: Vec<(String, u32)> = Vec::new();
            for p in c.get("ports").map(N::seq).unwrap_or(&[]) {
                if let Some(n) = p.get("name") {
                    if let Some(s) = n.str().filter(|s| !s.is_empty()) {
                        if let Some((_, l)) = port_names.iter().find(|(x, _)| *x == s) {
                            bad(
                                sink,
                                n,
                                &format!("port name `{s}` is used twice in this container (first at line {l}); the API server refuses it"),
                                "give each port its own name".into(),
                            );
                        } else {
                            port_names.push((s, n.line));
                        }
                    }
                }
                if let Some(cp) = p.get("containerPort").filter(|x| int(x).is_some()) {
                    let proto = p.get("protocol").and_then(N::str).unwrap_or("TCP");
                    let key = format!("{}/{proto}", cp.str().unwrap_or(""));
                    if let Some((_, l)) = ports.iter().find(|(x, _)| *x == key) {
                        bad(
                            sink,
                            cp,
                            &format!("containerPort {key} is declared twice in this container (first at line {l}); the API server refuses it"),
                            "declare each port once".into(),
                        );
                    } else {
                        ports.push((key, cp.line));
                    }
                }
            }
            handlers(c, sink);
            // The API server accepts a repeated variable with a warning; the last one wins.
            let mut env_names: Vec<(&str, u32)> = Vec::new();
            for e in c.get("env").map(N::seq).unwrap_or(&[]) {
                let Some(n) = e.get("name") else { continue };
                let Some(s) = n.str() else { continue };
                if let Some((_, l)) = env_names.iter().find(|(x, _)| *x == s) {
                    sink.push_as(
                        Severity::Warning,
                        Code::PV104,
                        n.span(),
                        format!("environment variable `{s}` is set twice in this container (first at line {l}): only the last value takes effect (the API server warns that it hides the earlier one)"),
                        Some("remove one of the two".into()),
                    );
                } else {
                    env_names.push((s, n.line));
                }
            }
        }
    }
}

/// A probe or lifecycle hook takes exactly one handler: "may not specify more than 1 handler
/// type".
fn handlers(c: &N, sink: &mut Sink) {
    let hooks = c.get("lifecycle");
    let all = ["livenessProbe", "readinessProbe", "startupProbe"]
        .iter()
        .filter_map(|k| c.get(k).map(|n| (*k, n)))
        .chain(
            ["postStart", "preStop"]
                .iter()
                .filter_map(|k| hooks.and_then(|h| h.get(k)).map(|n| (*k, n))),
        );
    for (what, h) in all {
        let given: Vec<(&str, &N)> = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"]
            .iter()
            .filter_map(|k| h.get(k).map(|n| (*k, n)))
            .collect();
        if let [(first, _), (second, _), ..] = given[..] {
            bad(
                sink,
                h,
                &format!("{what} gives two handlers (`{first}` and `{second}`); the API server refuses more than one"),
                format!("keep one of `{first}` and `{second}`"),
            );
        }
    }
}

/// Tolerations as the API server validates them.
fn tolerations(spec: &N, sink: &mut Sink) {
    for t in spec.get("tolerations").map(N::seq).unwrap_or(&[]) {
        let op = t.get("operator").and_then(N::str).unwrap_or("Equal");
        let key = t.get("key").and_then(N::str).unwrap_or("");
        let value = t.get("value").and_then(N::str).unwrap_or("");
        if op == "Exists" && !value.is_empty() {
            bad(
                sink,
                t.get("value").unwrap_or(t),
                "a toleration with `operator: Exists` may not give a value; the API server refuses it",
                "remove `value:` (Exists matches any value), or use `operator: Equal`".into(),
            );
        }
        if op == "Equal" && key.is_empty() {
            bad(
                sink,
                t,
                "a toleration without a key must use `operator: Exists`; the API server refuses Equal",
                "add the taint's `key:`, or set `operator: Exists` to tolerate every taint".into(),
            );
        }
        if let Some(secs) = t.get("tolerationSeconds") {
            let effect = t.get("effect").and_then(N::str).unwrap_or("");
            if effect != "NoExecute" && !templated(effect) {
                bad(
                    sink,
                    secs,
                    "`tolerationSeconds` applies only to a NoExecute toleration; the API server refuses it with another effect",
                    "set `effect: NoExecute`, or remove `tolerationSeconds`".into(),
                );
            }
        }
    }
}

/// A pod's volumes and mounts as the API server validates them: volume names unique, every
/// `volumeMounts[].name` (and `volumeDevices[].name`) a volume of the pod (or, in a
/// StatefulSet, one of its `claims`), and a container's mount paths unique.
fn volumes(spec: &N, claims: &[&str], sink: &mut Sink) {
    let mut names: Vec<(&str, u32)> = Vec::new();
    for v in spec.get("volumes").map(N::seq).unwrap_or(&[]) {
        let Some(n) = v.get("name") else { continue };
        let Some(s) = n.str() else { continue };
        if let Some((_, l)) = names.iter().find(|(x, _)| *x == s) {
            bad(
                sink,
                n,
                &format!("volume name `{s}` is used twice in this pod (first at line {l}); the API server refuses it"),
                "give each volume its own name".into(),
            );
        } else {
            names.push((s, n.line));
        }
    }
    let known: Vec<&str> = names
        .iter()
        .map(|(s, _)| *s)
        .chain(claims.iter().copied())
        .collect();
    for list in ["initContainers", "containers"] {
        for c in spec.get(list).map(N::seq).unwrap_or(&[]) {
            let mut paths: Vec<(&str, u32)> = Vec::new();
            for field in ["volumeMounts", "volumeDevices"] {
                for m in c.get(field).map(N::seq).unwrap_or(&[]) {
                    if let Some(n) = m.get("name") {
                        if let Some(s) = n.str().filter(|s| !templated(s)) {
                            if !known.contains(&s) {
                                let fix = match crate::schema::did_you_mean(
                                    s,
                                    known.iter().map(|x| x.to_string()).collect::<Vec<_>>().iter(),
                                ) {
                                    Some(k) => format!("did you mean `{k}`?"),
                                    None => format!("add a volume named `{s}` under the pod's `volumes` (or fix the name)"),
                                };
                                bad(
                                    sink,
                                    n,
                                    &format!("`{field}` names volume `{s}`, which this pod does not define{}; the API server refuses it (Not found)", if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) }),
                                    fix,
                                );
                            }
                        }
                    }
                    let key = if field == "volumeMounts" {
                        "mountPath"
                    } else {
                        "devicePath"
                    };
                    if let Some(p) = m.get(key) {
                        if let Some(s) = p.str().filter(|s| !templated(s)) {
                            let norm = s.trim_end_matches('/');
                            if let Some((_, l)) = paths.iter().find(|(x, _)| *x == norm) {
                                bad(
                                    sink,
                                    p,
                                    &format!("`{s}` is mounted twice in this container (first at line {l}); the API server refuses it (mount paths must be unique)"),
                                    "mount each path once".into(),
                                );
                            } else {
                                paths.push((norm, p.line));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Deployments, StatefulSets, DaemonSets, ReplicaSets: an empty selector and rolling-update
/// settings the API server refuses.
fn workload(doc: &N, kind: &str, sink: &mut Sink) {
    if let Some(sel) = doc.path(&["spec", "selector"]) {
        let empty = sel.entries().iter().all(|(k, v)| {
            matches!(k.str(), Some("matchLabels" | "matchExpressions"))
                && (v.entries().is_empty() && v.seq().is_empty())
        });
        if empty && matches!(sel.y, Y::Map(_)) {
            bad(
                sink,
                sel,
                &format!("{kind} `spec.selector` is empty; apps/v1 refuses an empty selector (it would select every pod)"),
                "select the template's labels: `selector: {matchLabels: {app.kubernetes.io/name: NAME}}`".into(),
            );
        }
    }
    let Some(strategy) = doc
        .path(&["spec", "strategy"])
        .or_else(|| doc.path(&["spec", "updateStrategy"]))
    else {
        return;
    };
    let ty = strategy.get("type").and_then(N::str);
    if let Some(ru) = strategy.get("rollingUpdate") {
        if matches!(ty, Some("Recreate" | "OnDelete")) && !ru.is_null() {
            bad(
                sink,
                ru,
                &format!("`rollingUpdate` is set but the strategy type is `{}`; the API server refuses it", ty.unwrap_or("")),
                "drop `rollingUpdate`, or use `type: RollingUpdate`".into(),
            );
        }
        let mut zero = 0;
        for field in ["maxUnavailable", "maxSurge"] {
            let Some(v) = ru.get(field) else { continue };
            let Some(s) = v.str() else { continue };
            let (num, pct) = match s.strip_suffix('%') {
                Some(n) => (n, true),
                None => (s, false),
            };
            let Ok(n) = num.trim().parse::<i64>() else {
                bad(
                    sink,
                    v,
                    &format!("`{field}: {s}` is neither a whole number nor a percentage"),
                    format!("write a number of pods (`1`) or a percentage (`25%`) for `{field}`"),
                );
                continue;
            };
            if n < 0 || (pct && n > 100 && field == "maxUnavailable") {
                bad(
                    sink,
                    v,
                    &format!("`{field}: {s}` is out of range; the API server refuses it"),
                    format!(
                        "use 0 or more{}",
                        if pct { ", and at most 100%" } else { "" }
                    ),
                );
            }
            if n == 0 {
                zero += 1;
            }
        }
        if zero == 2 && kind == "Deployment" {
            bad(
                sink,
                ru,
                "`maxUnavailable` and `maxSurge` are both 0: a rollout could never make progress, and the API server refuses it",
                "allow one of them: `maxSurge: 1` (or `maxUnavailable: 1`)".into(),
            );
        }
    }
}

/// A Service: ports unique by number and protocol and by name, and named when there are
/// several.
fn service_ports(doc: &N, sink: &mut Sink) {
    let ports = doc.path(&["spec", "ports"]).map(N::seq).unwrap_or(&[]);
    // What each Service type allows (the API server's Service validation).
    let ty = doc
        .path(&["spec", "type"])
        .and_then(N::str)
        .unwrap_or("ClusterIP");
    if !templated(ty) {
        if matches!(ty, "ClusterIP" | "ExternalName") {
            for np in ports.iter().filter_map(|p| p.get("nodePort")) {
                if int(np).is_some_and(|v| v != 0) {
                    bad(
                        sink,
                        np,
                        &format!("a nodePort may not be used when the Service's type is {ty}; the API server refuses it"),
                        "set `type: NodePort` (or `LoadBalancer`) to open a node port, or remove `nodePort`".into(),
                    );
                }
            }
        }
        if let Some(ip) = doc.path(&["spec", "clusterIP"]) {
            if ip.str() == Some("None") && matches!(ty, "NodePort" | "LoadBalancer") {
                bad(
                    sink,
                    ip,
                    &format!("`clusterIP: None` (a headless Service) cannot be of type {ty}; the API server refuses it"),
                    "keep `clusterIP: None` only on a ClusterIP Service (a StatefulSet's governing Service); expose the pods with a second Service".into(),
                );
            }
        }
    }
    let mut seen: Vec<(String, u32)> = Vec::new();
    let mut names: Vec<(&str, u32)> = Vec::new();
    for p in ports {
        if let Some(n) = p.get("port").filter(|x| int(x).is_some()) {
            let proto = p.get("protocol").and_then(N::str).unwrap_or("TCP");
            let key = format!("{}/{proto}", n.str().unwrap_or(""));
            if let Some((_, l)) = seen.iter().find(|(x, _)| *x == key) {
                bad(
                    sink,
                    n,
                    &format!("Service port {key} is listed twice (first at line {l}); the API server refuses it"),
                    "list each port once".into(),
                );
            } else {
                seen.push((key, n.line));
            }
        }
        match p.get("name").and_then(N::str).filter(|s| !s.is_empty()) {
            Some(s) => {
                if let Some((_, l)) = names.iter().find(|(x, _)| *x == s) {
                    bad(
                        sink,
                        p.get("name").unwrap_or(p),
                        &format!("Service port name `{s}` is used twice (first at line {l}); the API server refuses it"),
                        "give each port its own name".into(),
                    );
                } else {
                    names.push((s, p.line));
                }
            }
            None if ports.len() > 1 => bad(
                sink,
                p,
                "a Service with several ports must name each of them; the API server refuses an unnamed one",
                "add `name:` (like `http`, `https`, `metrics`) to every port".into(),
            ),
            None => {}
        }
    }
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

/// A CronJob schedule the API server accepts: five fields (minute, hour, day of month, month,
/// day of week) or a macro (`@hourly`, ...). A time zone belongs in `spec.timeZone`.
pub fn cron(v: &str) -> Result<(), (String, String)> {
    let v = v.trim();
    if v.starts_with("TZ=") || v.starts_with("CRON_TZ=") {
        return Err((
            "sets the time zone inside the schedule, which the API server refuses".into(),
            "move it to `spec.timeZone` (e.g. timeZone: Europe/Berlin)".into(),
        ));
    }
    if let Some(m) = v.strip_prefix('@') {
        // `@every <duration>` is not in the docs' table, but the API server's cron parser
        // (robfig/cron's standard parser) takes it.
        let go_duration = |d: &str| {
            let units = ["ns", "us", "µs", "ms", "s", "m", "h"];
            let mut rest = d.trim();
            let mut any = false;
            while !rest.is_empty() {
                let n = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len());
                if n == 0 {
                    return false;
                }
                rest = &rest[n..];
                let Some(u) = units
                    .iter()
                    .filter(|u| rest.starts_with(**u))
                    .max_by_key(|u| u.len())
                else {
                    return false;
                };
                rest = &rest[u.len()..];
                any = true;
            }
            any
        };
        if let Some(d) = m.strip_prefix("every ") {
            return match go_duration(d) {
                true => Ok(()),
                false => Err((
                    format!("has `@every {d}`, which is not a duration"),
                    "write a duration like `@every 5m` or `@every 1h30m`".into(),
                )),
            };
        }
        return match m {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => Err((
                format!("uses the unknown macro `@{m}`"),
                "use @hourly, @daily, @weekly, @monthly, @yearly or `@every 5m`, or five fields"
                    .into(),
            )),
        };
    }
    let fields: Vec<&str> = v.split_whitespace().collect();
    if fields.len() != 5 {
        let fix = if fields.len() == 6 {
            "drop the seconds field: minute hour day-of-month month day-of-week (e.g. `*/5 * * * *`)"
        } else {
            "write five fields: minute hour day-of-month month day-of-week (e.g. `0 3 * * *`)"
        };
        return Err((format!("has {} fields, not 5", fields.len()), fix.into()));
    }
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let spec: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        ("month", 1, 12, MONTHS),
        ("day of week", 0, 7, DAYS),
    ];
    for (f, (what, lo, hi, names)) in fields.iter().zip(spec) {
        for item in f.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, st)) => (r, Some(st)),
                None => (item, None),
            };
            if let Some(st) = step {
                if st.parse::<u32>().map_or(true, |n| n == 0) {
                    return Err((
                        format!("has the step `/{st}` in its {what} field"),
                        "a step is a positive number, like `*/15`".into(),
                    ));
                }
            }
            if range == "*" || range == "?" {
                continue;
            }
            for part in range.split('-') {
                let ok = match part.parse::<u32>() {
                    Ok(n) => (lo..=hi).contains(&n),
                    Err(_) => names.contains(&part.to_ascii_lowercase().as_str()),
                };
                if !ok {
                    return Err((
                        format!("has `{part}` in its {what} field, outside {lo}-{hi}"),
                        "fields are: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-6)".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Standard base64 as Go's decoder reads a JSON `[]byte`: the alphabet `A-Z a-z 0-9 + /`,
/// padded to a multiple of four with `=`; line breaks are skipped.
fn base64_std(s: &str) -> bool {
    let b: Vec<u8> = s.bytes().filter(|c| !matches!(c, b'\r' | b'\n')).collect();
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(&b);
    b.len() % 4 == 0
        && body
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
}

/// The pod restart policies a controller accepts: a Job's pods must end (`OnFailure` or
/// `Never`; the pod default `Always` is refused, so it must be written), the long-running
/// controllers' pods restart (`Always` only).
fn restart_policy(kind: &str, spec: &N, sink: &mut Sink) {
    let allowed: &[&str] = match kind {
        "Job" | "CronJob" => &["OnFailure", "Never"],
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => &["Always"],
        _ => return,
    };
    if !matches!(spec.y, Y::Map(_)) {
        return; // an elided template (`spec: ...`)
    }
    let pods = if kind == "CronJob" {
        "the CronJob's Job pods"
    } else {
        "its pods"
    };
    match spec.get("restartPolicy") {
        Some(v) => {
            let Some(p) = v.str().filter(|s| !templated(s)) else {
                return;
            };
            if !allowed.contains(&p) && ENUM_RESTART.contains(&p) {
                bad(
                    sink,
                    v,
                    &format!("a {kind} does not take `restartPolicy: {p}` for {pods}: the API server accepts only {}", allowed.join(" or ")),
                    format!("restartPolicy: {}", allowed[0]),
                );
            }
        }
        None if allowed.len() > 1 => bad(
            sink,
            spec,
            &format!("a {kind}'s pod template needs `restartPolicy: OnFailure` or `Never`: the default `Always` is refused (its pods must end)"),
            "add `restartPolicy: OnFailure` to the pod template's spec".into(),
        ),
        None => {}
    }
}

const ENUM_RESTART: &[&str] = &["Always", "OnFailure", "Never"];

fn bad(sink: &mut Sink, at: &N, msg: &str, fix: String) {
    sink.push(Code::PV104, at.span(), msg.to_string(), Some(fix));
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
                        Code::PV003,
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
    if NON_NEGATIVE.contains(&name) {
        if let Some(n) = int(v).filter(|n| *n < 0) {
            bad(
                sink,
                v,
                &format!(
                    "`{name}: {n}` is negative; the API server refuses it (must be 0 or more)"
                ),
                "use 0 or a positive number".into(),
            );
        }
    }
    if name == "successThreshold"
        && matches!(key, Some("livenessProbe" | "startupProbe"))
        && int(v).is_some_and(|n| n != 1)
    {
        bad(
            sink,
            v,
            &format!(
                "`{}.successThreshold: {}`: the API server only accepts 1 for liveness and startup probes",
                key.unwrap_or("probe"),
                v.str().unwrap_or("")
            ),
            "use `successThreshold: 1` (or leave it out)".into(),
        );
    }
    match (name, key) {
        ("containerPort" | "hostPort" | "port" | "targetPort", _) => {
            // Named target ports and probe ports are strings; only numbers are judged here.
            if let Some(n) = int(v) {
                let ok = (1..=65535).contains(&n) || (name == "hostPort" && n == 0);
                if !ok {
                    bad(
                        sink,
                        v,
                        &format!("`{name}: {n}` is not a port number (1-65535)"),
                        "use a port from 1 to 65535".into(),
                    );
                }
            }
        }
        ("nodePort", Some("ports")) => {
            if let Some(n) = int(v) {
                if !(NODE_PORTS.0..=NODE_PORTS.1).contains(&n) && n != 0 {
                    bad(
                        sink,
                        v,
                        &format!("`nodePort: {n}` is outside the node port range {}-{} (the default of Kubernetes and k3s); the API server refuses it", NODE_PORTS.0, NODE_PORTS.1),
                        format!("leave `nodePort` out to get a free one, or pick one from {}-{} (unless the cluster sets another `--service-node-port-range`)", NODE_PORTS.0, NODE_PORTS.1),
                    );
                }
            }
        }
        ("image", Some("containers" | "initContainers" | "ephemeralContainers")) => {
            if let Some(s) = v.str().filter(|s| !templated(s)) {
                if let Err((why, fix)) = image_ref(s) {
                    bad(
                        sink,
                        v,
                        &format!(
                            "image `{s}` {why}: the kubelet cannot pull it (InvalidImageName)"
                        ),
                        fix,
                    );
                }
            }
        }
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
    if quantity(s).is_some() {
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
            assert!(quantity(ok).is_some(), "{ok}");
        }
        for no in [
            "64MB", "50mc", "1GiB", "", "Mi", "1e", "1.2.3", "64 Mi", "1g",
        ] {
            assert!(quantity(no).is_none(), "{no}");
        }
    }

    #[test]
    fn quantity_values() {
        for (q, v) in [
            ("500m", 0.5),
            ("1.5Gi", 1610612736.0),
            ("129M", 129e6),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("-2k", -2000.0),
        ] {
            assert_eq!(quantity(q), Some(v), "{q}");
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
