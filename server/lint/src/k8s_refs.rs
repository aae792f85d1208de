//! ConfigMaps and Secrets that pods reference (PV124). A pod only sees the ConfigMaps and
//! Secrets of its own namespace, and a missing one (or a missing key) keeps its containers in
//! `CreateContainerConfigError` unless the reference is `optional: true`.
//!
//! Judged against the objects defined in the linted files:
//! - defined in the pod's namespace: each referenced key must be among its keys (error);
//! - defined only in another namespace: error;
//! - a ConfigMap defined nowhere, while the files do define ConfigMaps: warning (it may be
//!   created out of band). Secrets are commonly created out of band and are not reported as
//!   missing.
//!
//! Rules reported here: PV124 config-ref-missing.
use crate::finding::{Severity, Sink};
use crate::rules::Code;
use crate::yaml::N;

/// An object the linted files define.
pub struct Defined<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
    pub doc: &'a N,
}

/// One reference from a pod spec.
struct Ref<'a> {
    kind: &'static str,
    name: &'a str,
    at: &'a N,
    /// Keys the reference needs (`configMapKeyRef.key`, a volume's `items[].key`).
    keys: Vec<&'a N>,
    optional: bool,
}

fn optional(n: &N) -> bool {
    n.get("optional").and_then(N::str) == Some("true")
}

/// Every ConfigMap and Secret reference in a pod spec.
fn refs(spec: &N) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for c in spec.get(list).map(N::seq).unwrap_or(&[]) {
            for e in c.get("envFrom").map(N::seq).unwrap_or(&[]) {
                for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                    if let Some(r) = e.get(field) {
                        if let Some(n) = r.get("name") {
                            out.push(Ref {
                                kind,
                                name: n.str().unwrap_or(""),
                                at: n,
                                keys: vec![],
                                optional: optional(r),
                            });
                        }
                    }
                }
            }
            for e in c.get("env").map(N::seq).unwrap_or(&[]) {
                for (field, kind) in [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                {
                    if let Some(r) = e.path(&["valueFrom", field]) {
                        if let Some(n) = r.get("name") {
                            out.push(Ref {
                                kind,
                                name: n.str().unwrap_or(""),
                                at: n,
                                keys: r.get("key").into_iter().collect(),
                                optional: optional(r),
                            });
                        }
                    }
                }
            }
        }
    }
    for v in spec.get("volumes").map(N::seq).unwrap_or(&[]) {
        let mut sources: Vec<(&N, &'static str, &str)> = Vec::new();
        if let Some(c) = v.get("configMap") {
            sources.push((c, "ConfigMap", "name"));
        }
        if let Some(s) = v.get("secret") {
            sources.push((s, "Secret", "secretName"));
        }
        for p in v.path(&["projected", "sources"]).map(N::seq).unwrap_or(&[]) {
            if let Some(c) = p.get("configMap") {
                sources.push((c, "ConfigMap", "name"));
            }
            if let Some(s) = p.get("secret") {
                sources.push((s, "Secret", "name"));
            }
        }
        for (src, kind, name_key) in sources {
            if let Some(n) = src.get(name_key) {
                out.push(Ref {
                    kind,
                    name: n.str().unwrap_or(""),
                    at: n,
                    keys: items(src),
                    optional: optional(src),
                });
            }
        }
    }
    out
}

/// The keys a volume's `items` select.
fn items(v: &N) -> Vec<&N> {
    v.get("items")
        .map(N::seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i.get("key"))
        .collect()
}

/// The keys an object defines.
fn keys_of(doc: &N) -> Vec<&str> {
    ["data", "stringData", "binaryData"]
        .iter()
        .flat_map(|f| doc.get(f).map(N::entries).unwrap_or(&[]))
        .filter_map(|(k, _)| k.str())
        .collect()
}

fn templated(s: &str) -> bool {
    s.contains("{{") || s.contains("${")
}

/// PV124 for one pod spec in `namespace`.
pub fn check(spec: &N, namespace: &str, defined: &[Defined], sink: &mut Sink) {
    let any_configmaps = defined.iter().any(|d| d.kind == "ConfigMap");
    for r in refs(spec) {
        if r.optional || r.name.is_empty() || templated(r.name) {
            continue;
        }
        let same: Vec<&Defined> = defined
            .iter()
            .filter(|d| d.kind == r.kind && d.name == r.name)
            .collect();
        if let Some(d) = same.iter().find(|d| d.namespace == namespace) {
            let have = keys_of(d.doc);
            for k in &r.keys {
                let Some(key) = k.str().filter(|s| !templated(s)) else {
                    continue;
                };
                if !have.contains(&key) {
                    sink.push(
                        Code::PV124,
                        k.span(),
                        format!(
                            "{} `{}` has no key `{key}` (it has: {}); the container will not start",
                            r.kind,
                            r.name,
                            if have.is_empty() {
                                "none".to_string()
                            } else {
                                have.join(", ")
                            }
                        ),
                        Some(
                            match crate::schema::did_you_mean(
                                key,
                                have.iter()
                                    .map(|s| s.to_string())
                                    .collect::<Vec<_>>()
                                    .iter(),
                            ) {
                                Some(k) => format!("did you mean `{k}`?"),
                                None => format!(
                                    "add `{key}` to the {}, or reference a key it has",
                                    r.kind
                                ),
                            },
                        ),
                    );
                }
            }
        } else if let Some(d) = same.first() {
            sink.push(
                Code::PV124,
                r.at.span(),
                format!(
                    "{} `{}` is defined in namespace `{}`, but this pod runs in `{namespace}`; pods only see {}s of their own namespace",
                    r.kind, r.name, d.namespace, r.kind
                ),
                Some(format!(
                    "put the {} in namespace `{namespace}` (or the pod in `{}`)",
                    r.kind, d.namespace
                )),
            );
        } else if r.kind == "ConfigMap" && any_configmaps {
            let names: Vec<&str> = defined
                .iter()
                .filter(|d| d.kind == "ConfigMap" && d.namespace == namespace)
                .map(|d| d.name)
                .collect();
            let fix = match crate::schema::did_you_mean(
                r.name,
                names.iter().map(|s| s.to_string()).collect::<Vec<_>>().iter(),
            ) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "define it in these manifests, create it before the pods start, or mark the reference `optional: true`".into(),
            };
            sink.push_as(
                Severity::Warning,
                Code::PV124,
                r.at.span(),
                format!(
                    "ConfigMap `{}` is not defined in these manifests{}; until it exists the container will not start",
                    r.name,
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(" (namespace `{namespace}` has: {})", names.join(", "))
                    }
                ),
                Some(fix),
            );
        }
    }
}
