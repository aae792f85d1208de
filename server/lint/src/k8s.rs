//! Kubernetes YAML: objects checked against schemas generated from k8s-openapi's typed models
//! (Kubernetes 1.37), plus workload and Service rules; LoadBalancer IPs against the MetalLB
//! pools in the cluster facts.
//!
//! Rules reported here: PV002 yaml-syntax-error, PV100 k8s-schema, PV101 k8s-api-version,
//!   PV102 k8s-unknown-kind, PV103 k8s-kind-typo, PV105 rwo-volume-shared,
//!   PV106 implausible-quantity, PV107 statefulset-service, PV108 local-path-access-mode,
//!   PV109 storage-class-not-found, PV110 image-latest-tag, PV111 missing-resources,
//!   PV112 missing-readiness-probe, PV113 selector-mismatch, PV114 service-selects-nothing,
//!   PV115 lb-ip-outside-pool, PV116 deprecated-lb-field, PV118 namespace-unknown,
//!   PV117 port-name-unknown, PV119 k8s-secret-literal, PV120 requests-exceed-limits,
//!   PV121 privileged-container, PV122 target-port-undeclared, PV123 probe-port-undeclared,
//!   PV127 ingress-backend-missing, PV128 hpa-target, PV129 pdb-blocks-drain, PV142 metallb-config.
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use k8s_openapi::api::{
    apps, autoscaling, batch, coordination, core, discovery, networking, policy, rbac, scheduling,
    storage,
};
use serde_json::{Map, Value};

use crate::facts::ClusterFacts;
use crate::finding::{Finding, Sink};
use crate::k8s_obj::{pod_spec_path, Obj};
use crate::rules::Code;
use crate::schema::did_you_mean;
use crate::severity::Severity;
use crate::yaml::{self, N, Y};

type Schemas = BTreeMap<(String, String), Value>;

fn gen<T: schemars::JsonSchema>() -> Value {
    let s = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// Built-in kinds with their schemas (apiVersion, kind).
fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        let mut m = Schemas::new();
        let mut add = |api: &str, kind: &str, v: Value| {
            m.insert((api.to_string(), kind.to_string()), v);
        };
        add("v1", "ConfigMap", gen::<core::v1::ConfigMap>());
        add("v1", "Secret", gen::<core::v1::Secret>());
        add("v1", "Service", gen::<core::v1::Service>());
        add("v1", "Namespace", gen::<core::v1::Namespace>());
        add("v1", "Pod", gen::<core::v1::Pod>());
        add("v1", "PersistentVolumeClaim", gen::<core::v1::PersistentVolumeClaim>());
        add("v1", "ServiceAccount", gen::<core::v1::ServiceAccount>());
        add("apps/v1", "Deployment", gen::<apps::v1::Deployment>());
        add("apps/v1", "StatefulSet", gen::<apps::v1::StatefulSet>());
        add("apps/v1", "DaemonSet", gen::<apps::v1::DaemonSet>());
        add("apps/v1", "ReplicaSet", gen::<apps::v1::ReplicaSet>());
        add("batch/v1", "Job", gen::<batch::v1::Job>());
        add("batch/v1", "CronJob", gen::<batch::v1::CronJob>());
        add("networking.k8s.io/v1", "Ingress", gen::<networking::v1::Ingress>());
        add("networking.k8s.io/v1", "NetworkPolicy", gen::<networking::v1::NetworkPolicy>());
        add("policy/v1", "PodDisruptionBudget", gen::<policy::v1::PodDisruptionBudget>());
        add("autoscaling/v2", "HorizontalPodAutoscaler", gen::<autoscaling::v2::HorizontalPodAutoscaler>());
        add("rbac.authorization.k8s.io/v1", "Role", gen::<rbac::v1::Role>());
        add("rbac.authorization.k8s.io/v1", "RoleBinding", gen::<rbac::v1::RoleBinding>());
        add("rbac.authorization.k8s.io/v1", "ClusterRole", gen::<rbac::v1::ClusterRole>());
        add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", gen::<rbac::v1::ClusterRoleBinding>());
        add("v1", "PersistentVolume", gen::<core::v1::PersistentVolume>());
        add("v1", "Endpoints", gen::<core::v1::Endpoints>());
        add("v1", "LimitRange", gen::<core::v1::LimitRange>());
        add("v1", "ResourceQuota", gen::<core::v1::ResourceQuota>());
        add("v1", "ReplicationController", gen::<core::v1::ReplicationController>());
        add("v1", "PodTemplate", gen::<core::v1::PodTemplate>());
        add("autoscaling/v1", "HorizontalPodAutoscaler", gen::<autoscaling::v1::HorizontalPodAutoscaler>());
        add("networking.k8s.io/v1", "IngressClass", gen::<networking::v1::IngressClass>());
        add("discovery.k8s.io/v1", "EndpointSlice", gen::<discovery::v1::EndpointSlice>());
        add("storage.k8s.io/v1", "StorageClass", gen::<storage::v1::StorageClass>());
        add("storage.k8s.io/v1", "CSIDriver", gen::<storage::v1::CSIDriver>());
        add("scheduling.k8s.io/v1", "PriorityClass", gen::<scheduling::v1::PriorityClass>());
        add("coordination.k8s.io/v1", "Lease", gen::<coordination::v1::Lease>());
        add(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            gen::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>(),
        );
        m
    })
}

/// Build the schemas now (the first lint call otherwise pays for it).
pub fn warm() {
    let _ = schemas();
}

fn plain_kind(s: &str) -> &'static str {
    if s.is_empty() || s == "~" || s == "null" {
        "null"
    } else if s == "true" || s == "false" {
        "bool"
    } else if s.parse::<i64>().is_ok() {
        "integer"
    } else if s.parse::<f64>().is_ok() {
        "number"
    } else {
        "string"
    }
}

struct Validator<'a, 'b> {
    defs: &'a Map<String, Value>,
    sink: &'a mut Sink<'b>,
}

fn resolve<'s>(defs: &'s Map<String, Value>, s: &'s Value) -> &'s Value {
    let mut cur = s;
    for _ in 0..16 {
        match cur
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            Some(name) => match defs.get(name) {
                Some(d) => cur = d,
                None => return cur,
            },
            None => return cur,
        }
    }
    cur
}

impl<'a> Validator<'a, '_> {
    fn err(&mut self, n: &N, msg: String, fix: Option<String>) {
        self.sink.push(Code::PV100, n.span(), msg, fix);
    }

    fn check(&mut self, n: &N, schema: &'a Value, path: &str) {
        let defs: &'a Map<String, Value> = self.defs;
        let s = resolve(defs, schema);
        if matches!(n.y, Y::Alias) || n.is_null() {
            return;
        }
        if s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
            if !matches!(n.y, Y::Scalar(..)) {
                self.err(n, format!("`{path}` must be an integer or a string"), None);
            }
            return;
        }
        let ty = s.get("type").and_then(|t| {
            t.as_str().or_else(|| {
                t.as_array()
                    .and_then(|a| a.iter().find_map(|x| x.as_str().filter(|x| *x != "null")))
            })
        });
        match ty {
            Some("object") => {
                let Y::Map(entries) = &n.y else {
                    self.err(n, format!("`{path}` must be a mapping (object)"), None);
                    return;
                };
                let props = s.get("properties").and_then(Value::as_object);
                let extra = s.get("additionalProperties").filter(|v| v.is_object());
                for (k, v) in entries {
                    let Some(key) = k.str() else { continue };
                    let child = format!("{path}.{key}");
                    match (props.and_then(|p| p.get(key)), extra) {
                        (Some(ps), _) => self.check(v, ps, &child),
                        (None, Some(ex)) => self.check(v, ex, &child),
                        (None, None) if props.is_some() => {
                            let names: Vec<String> = props
                                .map(|p| p.keys().cloned().collect())
                                .unwrap_or_default();
                            let hint = did_you_mean(key, names.iter());
                            let msg = match &hint {
                                Some(h) => format!("unknown field `{child}`; did you mean `{h}`?"),
                                None => format!("unknown field `{child}`"),
                            };
                            self.sink.push(Code::PV100, k.span(), msg, Some(hint.map(|h| format!("rename it to `{h}`")).unwrap_or_else(|| "remove it (the API server rejects unknown fields with strict validation)".into())));
                        }
                        _ => {}
                    }
                }
                if let Some(req) = s.get("required").and_then(Value::as_array) {
                    for r in req.iter().filter_map(Value::as_str) {
                        if !entries.iter().any(|(k, _)| k.str() == Some(r)) {
                            self.err(
                                n,
                                format!("`{path}` lacks the required field `{r}`"),
                                Some(format!("add `{r}:`")),
                            );
                        }
                    }
                }
            }
            Some("array") => {
                let Y::Seq(items) = &n.y else {
                    self.err(
                        n,
                        format!("`{path}` must be a list"),
                        Some("write it as a YAML list (`- item`)".into()),
                    );
                    return;
                };
                if let Some(it) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.check(x, it, &format!("{path}[{i}]"));
                    }
                }
            }
            Some(t @ ("string" | "integer" | "number" | "boolean")) => {
                let a = if t == "integer" { "an" } else { "a" };
                let Y::Scalar(v, quoted) = &n.y else {
                    self.err(n, format!("`{path}` must be {a} {t}"), None);
                    return;
                };
                let got = if *quoted { "string" } else { plain_kind(v) };
                let ok = match t {
                    "string" => got == "string",
                    "integer" => got == "integer",
                    "number" => got == "integer" || got == "number",
                    _ => got == "bool",
                };
                if !ok {
                    let fix = match t {
                        "string" => format!("quote it: \"{v}\""),
                        "integer" | "number" => "write a number without quotes".into(),
                        _ => "write true or false without quotes".into(),
                    };
                    self.err(
                        n,
                        format!("`{path}` must be {a} {t}, got {got} `{v}`"),
                        Some(fix),
                    );
                }
            }
            _ => {}
        }
    }
}

fn labels_of(n: Option<&N>) -> BTreeMap<String, String> {
    n.map(|l| {
        l.entries()
            .iter()
            .filter_map(|(k, v)| Some((k.str()?.to_string(), v.str().unwrap_or("").to_string())))
            .collect()
    })
    .unwrap_or_default()
}

struct Template {
    namespace: String,
    /// Pods the workload runs: `spec.replicas` (default 1) for Deployments, StatefulSets and
    /// ReplicaSets, 1 for a Pod; unknown for the others.
    replicas: Option<u32>,
    labels: BTreeMap<String, String>,
    port_names: BTreeSet<String>,
    port_numbers: BTreeSet<u32>,
}

/// Words in an env var or ConfigMap key that mark its value as a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

fn secret_like(name: &str) -> bool {
    let up = name.to_ascii_uppercase().replace(['-', '.'], "_");
    SECRET_WORDS.iter().any(|w| up.contains(w))
}

/// A kind under a built-in apiVersion (one we keep schemas for) that is a near miss of a kind
/// it serves: `Deployement`, `configmap`, `Sevice`. Unknown kinds far from any are left to
/// PV102 (a rarer built-in we keep no schema for).
fn misspelt_kind(api: &str, kind: &str) -> Option<String> {
    let kinds: Vec<String> = schemas()
        .keys()
        .filter(|(a, _)| a == api)
        .map(|(_, k)| k.clone())
        .collect();
    if kinds.is_empty() {
        return None;
    }
    if let Some(k) = kinds.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        return Some(k.clone());
    }
    crate::schema::did_you_mean(kind, kinds.iter())
}

/// PV106: a resource quantity the API server takes but nobody means. A plain number is bytes
/// for memory and storage and cores for CPU, so `memory: 128` (128 bytes: the container is
/// killed at start) and `cpu: 500` (500 cores: never scheduled) are the suffix left out.
fn implausible_quantity(cname: &str, part: &str, what: &str, v: &str, q: &N, sink: &mut Sink) {
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return; // a suffix or an exponent was written: the author chose the unit
    }
    let Ok(n) = v.parse::<f64>() else { return };
    let (meant, why, unit) = match what {
        "memory" | "ephemeral-storage" if n > 0.0 && n < 1_048_576.0 => (
            format!("{v}Mi"),
            format!("{v} bytes, less than one MiB: no container runs in that"),
            "bytes",
        ),
        "cpu" if n >= 100.0 => (
            format!("{v}m"),
            format!("{v} CPUs: no node has that many, so the pod is never scheduled"),
            "whole CPUs",
        ),
        _ => return,
    };
    sink.push(
        Code::PV106,
        q.span(),
        format!(
            "container `{cname}` {part}.{what} is {why} (a number without a suffix counts {unit})"
        ),
        Some(format!("{what}: {meant}")),
    );
}

/// Rules on one container (or init container) that need nothing outside it: literal secrets
/// in env, requests above limits, privileged mode.
fn container_safety(c: &N, sink: &mut Sink) {
    let cname = c.get("name").and_then(N::str).unwrap_or("?");
    for e in c.get("env").map(N::seq).unwrap_or(&[]) {
        let (Some(var), Some(val)) = (e.get("name").and_then(N::str), e.get("value")) else {
            continue;
        };
        let v = val.str().unwrap_or("");
        // `$(OTHER_VAR)` is a reference, not a value.
        if secret_like(var) && !v.is_empty() && !(v.starts_with("$(") && v.ends_with(')')) {
            let secret = format!("{}-secrets", cname);
            sink.push(
                Code::PV119,
                val.span(),
                format!("container `{cname}` env {var} holds a literal secret, stored in plain text wherever this manifest goes (git, `kubectl get -o yaml`)"),
                Some(format!(
                    "keep it in a Secret and reference it: `kubectl create secret generic {secret} --from-literal={}=...`, then `valueFrom: {{secretKeyRef: {{name: {secret}, key: {}}}}}`",
                    var.to_ascii_lowercase(),
                    var.to_ascii_lowercase()
                )),
            );
        }
    }
    if let Some(res) = c.get("resources") {
        for (k, req) in res.get("requests").map(N::entries).unwrap_or(&[]) {
            let (Some(what), Some(limit)) =
                (k.str(), res.get("limits").and_then(|l| l.get(k.str()?)))
            else {
                continue;
            };
            let (Some(r), Some(l)) = (
                req.str().and_then(crate::k8s_values::quantity),
                limit.str().and_then(crate::k8s_values::quantity),
            ) else {
                continue;
            };
            if r > l * (1.0 + 1e-9) {
                sink.push(
                    Code::PV120,
                    req.span(),
                    format!(
                        "container `{cname}` requests {what} {} but its limit is {}: the API server rejects the object (a request must not exceed its limit)",
                        req.str().unwrap_or(""),
                        limit.str().unwrap_or("")
                    ),
                    Some(format!("lower requests.{what} to at most {}, or raise limits.{what}", limit.str().unwrap_or(""))),
                );
            }
        }
    }
    if let Some(res) = c.get("resources") {
        for part in ["requests", "limits"] {
            for (k, q) in res.get(part).map(N::entries).unwrap_or(&[]) {
                if let (Some(what), Some(v)) = (k.str(), q.str()) {
                    implausible_quantity(cname, part, what, v, q, sink);
                }
            }
        }
    }
    if let Some(p) = c.path(&["securityContext", "privileged"]) {
        if p.str() == Some("true") {
            sink.push(
                Code::PV121,
                p.span(),
                format!("container `{cname}` runs privileged: it has every capability and all host devices"),
                Some("drop `privileged: true`; grant only the capabilities it needs (securityContext.capabilities.add)".into()),
            );
        }
    }
}

/// One Kubernetes object of the linted files.
/// The claim specs of an object: a PersistentVolumeClaim's spec, a StatefulSet's
/// volumeClaimTemplates' specs; none for other kinds.
fn claim_specs<'a>(o: &Obj<'a>) -> Vec<&'a N> {
    match o.kind.as_str() {
        "PersistentVolumeClaim" => o.doc.get("spec").into_iter().collect(),
        "StatefulSet" => o
            .doc
            .path(&["spec", "volumeClaimTemplates"])
            .map(N::seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|t| t.get("spec"))
            .collect(),
        _ => Vec::new(),
    }
}

/// Lint Kubernetes YAML files together (Services are matched against workloads in all of them).
pub fn lint(files: &[(&str, &str)], facts: Option<&ClusterFacts>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut parsed: Vec<(&str, Vec<(N, u32)>)> = Vec::new();
    for (path, text) in files {
        match yaml::parse(text) {
            Ok(docs) => parsed.push((path, docs)),
            Err(e) => {
                let (l, c, msg, fix) = yaml::syntax_finding(text, e);
                let mut s = Sink::new(path);
                s.push(Code::PV002, (l, c, l, c + 1), msg, Some(fix));
                out.extend(s.out);
            }
        }
    }
    let mut objs: Vec<Obj> = Vec::new();
    for (path, docs) in &parsed {
        let mut sink = Sink::new(path);
        for (doc, start) in docs {
            if doc.is_null() {
                continue;
            }
            if !matches!(doc.y, Y::Map(_)) {
                sink.push(
                    Code::PV100,
                    doc.span(),
                    "a Kubernetes document must be a mapping with apiVersion and kind",
                    None,
                );
                continue;
            }
            let api = doc.get("apiVersion").and_then(N::str).unwrap_or("");
            let kind = doc.get("kind").and_then(N::str).unwrap_or("");
            if api.is_empty() || kind.is_empty() {
                let missing = if api.is_empty() { "apiVersion" } else { "kind" };
                sink.push(
                    Code::PV100,
                    (*start, 1, *start, 2),
                    format!("document lacks `{missing}`"),
                    Some(format!("add `{missing}:`")),
                );
                continue;
            }
            match schemas().get(&(api.to_string(), kind.to_string())) {
                Some(schema) => {
                    let defs = schema
                        .get("$defs")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let mut v = Validator {
                        defs: &defs,
                        sink: &mut sink,
                    };
                    v.check(doc, schema, kind);
                    crate::k8s_values::check(doc, kind, &mut sink);
                }
                None => {
                    let served: Vec<&String> = schemas()
                        .keys()
                        .filter(|(_, k)| k == kind)
                        .map(|(a, _)| a)
                        .collect();
                    let n = doc.get("apiVersion").unwrap_or(doc);
                    if let Some(a) = served.first() {
                        sink.push(
                            Code::PV101,
                            n.span(),
                            format!(
                                "{kind} is not served as `{api}` in Kubernetes 1.37; it is `{a}`"
                            ),
                            Some(format!("apiVersion: {a}")),
                        );
                    } else if let Some(k) = misspelt_kind(api, kind) {
                        let at = doc.get("kind").unwrap_or(doc);
                        sink.push(
                            Code::PV103,
                            at.span(),
                            format!("`{api}` has no kind `{kind}`; did you mean `{k}`?"),
                            Some(format!("kind: {k}")),
                        );
                    } else if crate::k8s_metallb::spec_fields(api, kind).is_some() {
                        // MetalLB's resources: checked by k8s_metallb.
                    } else {
                        // A kind we keep no schema for (a CRD, `List`, or a rarer built-in):
                        // say so, do not guess.
                        sink.push(Code::PV102, n.span(), format!("{api} {kind}: no schema kept for this kind, its fields were not checked"), None);
                    }
                }
            }
            let namespace = doc
                .path(&["metadata", "namespace"])
                .and_then(N::str)
                .unwrap_or("default")
                .to_string();
            objs.push(Obj {
                file: path,
                doc,
                kind: kind.to_string(),
                namespace,
            });
        }
        out.extend(sink.out);
    }

    // Namespaces: known to the cluster (site facts) or created here.
    if let Some(f) = facts.filter(|f| !f.namespaces.is_empty()) {
        let created: BTreeSet<&str> = objs
            .iter()
            .filter(|o| o.kind == "Namespace")
            .filter_map(|o| o.doc.path(&["metadata", "name"]).and_then(N::str))
            .collect();
        for o in &objs {
            if let Some(ns) = o.doc.path(&["metadata", "namespace"]) {
                let name = ns.str().unwrap_or("");
                if !f.namespaces.iter().any(|n| n == name) && !created.contains(name) {
                    let mut sink = Sink::new(o.file);
                    sink.push(
                        Code::PV118,
                        ns.span(),
                        format!(
                            "namespace `{name}` does not exist in cluster {} (known: {})",
                            f.cluster,
                            f.namespaces.join(", ")
                        ),
                        Some(
                            "create it (a Namespace object) or use one of the known namespaces"
                                .into(),
                        ),
                    );
                    out.extend(sink.out);
                }
            }
        }
    }

    // Ingress backends against the Services these manifests define (PV127).
    let services: Vec<&Obj> = objs.iter().filter(|o| o.kind == "Service").collect();
    let services_in = |ns: &str| -> Vec<&Obj> {
        services
            .iter()
            .copied()
            .filter(|s| s.namespace == ns)
            .collect()
    };
    for o in objs.iter().filter(|o| o.kind == "Ingress") {
        let mut sink = Sink::new(o.file);
        let mut backends: Vec<&N> = Vec::new();
        backends.extend(o.doc.path(&["spec", "defaultBackend", "service"]));
        for r in o.doc.path(&["spec", "rules"]).map(N::seq).unwrap_or(&[]) {
            for p in r.path(&["http", "paths"]).map(N::seq).unwrap_or(&[]) {
                backends.extend(p.path(&["backend", "service"]));
            }
        }
        let ing = o.name();
        for b in backends {
            let Some(n) = b.get("name") else { continue };
            let Some(svc) = n.str().filter(|s| !s.contains("{{")) else {
                continue;
            };
            let same_ns = services_in(&o.namespace);
            match same_ns.iter().find(|s| s.name() == svc) {
                Some(s) => {
                    let ports = s.doc.path(&["spec", "ports"]).map(N::seq).unwrap_or(&[]);
                    // A Service without ports (ExternalName) gives nothing to compare.
                    if ports.is_empty() {
                        continue;
                    }
                    let listed: Vec<String> = ports
                        .iter()
                        .map(|p| {
                            let num = p.get("port").and_then(N::str).unwrap_or("?");
                            match p.get("name").and_then(N::str) {
                                Some(nm) => format!("{nm} ({num})"),
                                None => num.to_string(),
                            }
                        })
                        .collect();
                    if let Some(pn) = b.path(&["port", "name"]) {
                        let want = pn.str().unwrap_or("");
                        if !ports
                            .iter()
                            .any(|p| p.get("name").and_then(N::str) == Some(want))
                        {
                            sink.push(Code::PV127, pn.span(), format!("Ingress `{ing}` routes to port `{want}` of Service `{svc}`, which has no port of that name (ports: {})", listed.join(", ")), Some("use one of the Service's port names, or its port number under `port.number`".into()));
                        }
                    }
                    if let Some(pnum) = b.path(&["port", "number"]) {
                        let want = pnum.str().unwrap_or("");
                        if !ports
                            .iter()
                            .any(|p| p.get("port").and_then(N::str) == Some(want))
                        {
                            sink.push(Code::PV127, pnum.span(), format!("Ingress `{ing}` routes to port {want} of Service `{svc}`, which does not expose it (ports: {}); an Ingress names the Service's `port`, not its targetPort", listed.join(", ")), Some("use one of the Service's ports".into()));
                        }
                    }
                }
                None => {
                    if let Some(other) = services.iter().find(|s| s.name() == svc) {
                        sink.push(Code::PV127, n.span(), format!("Ingress `{ing}` (namespace {}) routes to Service `{svc}`, which these manifests define in namespace {}: an Ingress reaches only Services of its own namespace", o.namespace, other.namespace), Some(format!("put the Ingress in namespace {}, or the Service in {}", other.namespace, o.namespace)));
                    } else if !same_ns.is_empty() {
                        let names: Vec<String> =
                            same_ns.iter().map(|s| s.name().to_string()).collect();
                        let hint = did_you_mean(svc, names.iter());
                        sink.push_as(
Severity::Warning,Code::PV127, n.span(), format!("Ingress `{ing}` routes to Service `{svc}`, which these manifests do not define (they define {} in namespace {})", names.join(", "), o.namespace), Some(match hint { Some(h) => format!("did you mean `{h}`?"), None => "define the Service, or fix the name".into() }));
                    }
                }
            }
        }
        out.extend(sink.out);
    }

    // A StatefulSet's governing Service (PV107): it gives each pod its DNS name
    // (`db-0.db.<ns>.svc`), and only a headless Service does.
    for o in objs.iter().filter(|o| o.kind == "StatefulSet") {
        let Some(n) = o.doc.path(&["spec", "serviceName"]) else {
            continue;
        };
        let Some(svc) = n.str().filter(|s| !s.is_empty() && !s.contains("{{")) else {
            continue;
        };
        let mut sink = Sink::new(o.file);
        let sts = o.name();
        let same_ns = services_in(&o.namespace);
        match same_ns.iter().find(|s| s.name() == svc) {
            Some(s) => {
                let headless = s.doc.path(&["spec", "clusterIP"]).and_then(N::str) == Some("None");
                if !headless {
                    sink.push(Code::PV107, n.span(), format!("StatefulSet `{sts}` is governed by Service `{svc}`, which is not headless: its pods get no stable DNS names (`{sts}-0.{svc}`)"), Some(format!("add `clusterIP: None` to Service `{svc}` (keep a second Service for clients that need one address)")));
                }
            }
            None if !same_ns.is_empty() => {
                let names: Vec<String> = same_ns.iter().map(|s| s.name().to_string()).collect();
                let fix = match did_you_mean(svc, names.iter()) {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!("define a headless Service `{svc}` (`clusterIP: None`) selecting the StatefulSet's pods"),
                };
                sink.push(Code::PV107, n.span(), format!("StatefulSet `{sts}` names Service `{svc}` as its governing Service, which these manifests do not define (they define {} in namespace {}): its pods get no DNS names", names.join(", "), o.namespace), Some(fix));
            }
            None => {}
        }
        out.extend(sink.out);
    }

    // HorizontalPodAutoscalers: the workload they scale and, for utilization targets, that
    // workload's requests (PV128).
    for o in objs.iter().filter(|o| o.kind == "HorizontalPodAutoscaler") {
        let mut sink = Sink::new(o.file);
        let hpa = o.name();
        let Some(t) = o.doc.path(&["spec", "scaleTargetRef"]) else {
            continue;
        };
        let (Some(tk), Some(tn)) = (
            t.get("kind").and_then(N::str),
            t.get("name").and_then(N::str).filter(|s| !s.contains("{{")),
        ) else {
            continue;
        };
        let of_kind: Vec<&Obj> = objs.iter().filter(|w| w.kind == tk).collect();
        let Some(w) = of_kind
            .iter()
            .find(|w| w.name() == tn && w.namespace == o.namespace)
        else {
            let at = t.get("name").unwrap_or(t);
            if let Some(other) = of_kind.iter().find(|w| w.name() == tn) {
                sink.push(Code::PV128, at.span(), format!("HorizontalPodAutoscaler `{hpa}` (namespace {}) scales {tk} `{tn}`, which these manifests define in namespace {}: an HPA scales only workloads of its own namespace", o.namespace, other.namespace), Some(format!("put the HPA in namespace {}", other.namespace)));
            } else {
                let same: Vec<String> = of_kind
                    .iter()
                    .filter(|w| w.namespace == o.namespace)
                    .map(|w| w.name().to_string())
                    .collect();
                if !same.is_empty() {
                    let hint = did_you_mean(tn, same.iter());
                    sink.push_as(
Severity::Warning,Code::PV128, at.span(), format!("HorizontalPodAutoscaler `{hpa}` scales {tk} `{tn}`, which these manifests do not define (they define {})", same.join(", ")), Some(match hint { Some(h) => format!("did you mean `{h}`?"), None => "fix the name".into() }));
                }
            }
            out.extend(sink.out);
            continue;
        };
        // Resources whose utilization the HPA targets.
        let mut wanted: Vec<(&str, &N)> = Vec::new();
        if let Some(v1) = o.doc.path(&["spec", "targetCPUUtilizationPercentage"]) {
            wanted.push(("cpu", v1));
        }
        for m in o.doc.path(&["spec", "metrics"]).map(N::seq).unwrap_or(&[]) {
            let res = match m.get("type").and_then(N::str) {
                Some("Resource") => m.get("resource"),
                Some("ContainerResource") => m.get("containerResource"),
                _ => continue,
            };
            let Some(res) = res else { continue };
            if res.path(&["target", "type"]).and_then(N::str) == Some("Utilization") {
                if let Some(n) = res.get("name").and_then(N::str) {
                    wanted.push((n, res.get("name").unwrap_or(res)));
                }
            }
        }
        let spec = pod_spec_path(&w.kind).and_then(|p| w.doc.path(p));
        for (res, at) in wanted {
            for c in spec
                .and_then(|s| s.get("containers"))
                .map(N::seq)
                .unwrap_or(&[])
            {
                if c.path(&["resources", "requests", res]).is_none()
                    && c.path(&["resources", "limits", res]).is_none()
                {
                    let cname = c.get("name").and_then(N::str).unwrap_or("?");
                    sink.push(Code::PV128, at.span(), format!("HorizontalPodAutoscaler `{hpa}` scales on {res} utilization, but container `{cname}` of {tk} `{tn}` requests no {res}: utilization is usage divided by the request, so the HPA cannot compute it and does not scale"), Some(format!("set resources.requests.{res} on every container of `{tn}`, or scale on an AverageValue target")));
                }
            }
        }
        out.extend(sink.out);
    }

    // ConfigMaps are not for secrets: they are stored and shown in plain text.
    for o in objs.iter().filter(|o| o.kind == "ConfigMap") {
        let mut sink = Sink::new(o.file);
        let name = o.name();
        for (k, v) in o.doc.get("data").map(N::entries).unwrap_or(&[]) {
            let Some(key) = k.str() else { continue };
            if secret_like(key) && !v.str().unwrap_or("").is_empty() {
                sink.push(
                    Code::PV119,
                    v.span(),
                    format!("ConfigMap `{name}` key {key} holds a secret in plain text"),
                    Some(format!("move it to a Secret created out of band (`kubectl create secret generic {name} --from-literal={key}=...`) and mount or reference that")),
                );
            }
        }
        out.extend(sink.out);
    }

    // MetalLB's own resources.
    let manifest_pools = crate::k8s_metallb::pools(&objs);
    crate::k8s_metallb::check(&objs, &manifest_pools, facts, &mut out);

    // ConfigMaps and Secrets the pods reference; the baseline Pod Security Standard.
    let defined: Vec<crate::k8s_refs::Defined> = objs
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "ConfigMap" | "Secret"))
        .map(|o| crate::k8s_refs::Defined {
            kind: if o.kind == "ConfigMap" {
                "ConfigMap"
            } else {
                "Secret"
            },
            name: o.name(),
            namespace: &o.namespace,
            doc: o.doc,
        })
        .collect();
    for o in &objs {
        if let Some(spec) = pod_spec_path(&o.kind).and_then(|p| o.doc.path(p)) {
            let mut sink = Sink::new(o.file);
            crate::k8s_refs::check(spec, &o.namespace, &defined, &mut sink);
            crate::k8s_pss::check(spec, &mut sink);
            crate::k8s_pss::root(spec, &mut sink);
            out.extend(sink.out);
        }
    }

    // Pod templates: namespace, labels, container ports by name and by number.
    let mut templates: Vec<Template> = Vec::new();
    for o in &objs {
        let mut sink = Sink::new(o.file);
        if let Some(p) = pod_spec_path(&o.kind) {
            let meta_path: Vec<&str> = p[..p.len() - 1]
                .iter()
                .copied()
                .chain(["metadata", "labels"])
                .collect();
            let tlabels = if o.kind == "Pod" {
                labels_of(o.doc.path(&["metadata", "labels"]))
            } else {
                labels_of(o.doc.path(&meta_path))
            };
            // Selector vs template labels.
            if matches!(
                o.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
            ) {
                if let Some(ml) = o.doc.path(&["spec", "selector", "matchLabels"]) {
                    for (k, v) in ml.entries() {
                        let (Some(key), val) = (k.str(), v.str().unwrap_or("")) else {
                            continue;
                        };
                        match tlabels.get(key) {
                            Some(tv) if tv == val => {}
                            Some(tv) => sink.push(Code::PV113, k.span(), format!("{} spec.selector.matchLabels {key}={val} does not match spec.template.metadata.labels {key}={tv}; the API server rejects it", o.kind), Some(format!("use the same value in both: {key}: {tv}"))),
                            None => sink.push(Code::PV113, k.span(), format!("{} spec.selector.matchLabels {key}={val} is not among spec.template.metadata.labels; the API server rejects it", o.kind), Some(format!("add {key}: {val} to the template labels"))),
                        }
                    }
                }
            }
            let mut ports = BTreeSet::new();
            let mut numbers = BTreeSet::new();
            let serving = matches!(
                o.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
            );
            if let Some(spec) = o.doc.path(p) {
                for key in ["containers", "initContainers"] {
                    for c in spec.get(key).map(N::seq).unwrap_or(&[]) {
                        container_safety(c, &mut sink);
                    }
                }
                for c in spec.get("containers").map(N::seq).unwrap_or(&[]) {
                    let cname = c.get("name").and_then(N::str).unwrap_or("?");
                    let mut cports = BTreeSet::new();
                    let mut cnumbers = BTreeSet::new();
                    for port in c.get("ports").map(N::seq).unwrap_or(&[]) {
                        if let Some(n) = port.get("name").and_then(N::str) {
                            cports.insert(n.to_string());
                        }
                        if let Some(n) = port
                            .get("containerPort")
                            .and_then(N::str)
                            .and_then(|v| v.parse::<u32>().ok())
                        {
                            numbers.insert(n);
                            cnumbers.insert(n);
                        }
                    }
                    ports.extend(cports.iter().cloned());
                    if let Some(img) = c.get("image") {
                        let s = img.str().unwrap_or("");
                        let last = s.rsplit('/').next().unwrap_or(s);
                        if !s.contains('@') {
                            match last.split_once(':') {
                                None => sink.push(Code::PV110, img.span(), format!("container `{cname}` image `{s}` has no tag, so it pulls the mutable :latest"), Some("pin a version tag or a digest".into())),
                                Some((_, "latest")) => sink.push(Code::PV110, img.span(), format!("container `{cname}` image uses the mutable :latest tag"), Some("pin a version tag or a digest".into())),
                                _ => {}
                            }
                        }
                    }
                    let at = c.get("name").unwrap_or(c);
                    let res = c.get("resources");
                    let has = |k: &str| {
                        res.and_then(|r| r.get(k))
                            .is_some_and(|x| !x.entries().is_empty())
                    };
                    if !has("requests") || !has("limits") {
                        let what = match (has("requests"), has("limits")) {
                            (false, false) => "requests or limits",
                            (false, true) => "requests",
                            _ => "limits",
                        };
                        sink.push(Code::PV111, at.span(), format!("container `{cname}` has no resource {what}: the scheduler cannot place it reliably"), Some("add resources.requests (cpu, memory) and resources.limits (memory)".into()));
                    }
                    if serving && !cports.is_empty() && c.get("readinessProbe").is_none() {
                        sink.push(Code::PV112, at.span(), format!("container `{cname}` serves ports but has no readinessProbe: it gets traffic before it is ready"), Some("add a readinessProbe (httpGet or tcpSocket on the serving port)".into()));
                    }
                    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                        for kind in ["httpGet", "tcpSocket", "grpc"] {
                            if let Some(pn) = c.path(&[probe, kind, "port"]) {
                                if let Y::Scalar(v, _) = &pn.y {
                                    if plain_kind(v) == "string" && !cports.contains(v) {
                                        sink.push(Code::PV117, pn.span(), format!("{probe} of `{cname}` uses port name `{v}`, which the container does not declare"), Some(format!("name a port `{v}` in ports, or use the number")));
                                    } else if let Ok(n) = v.parse::<u32>() {
                                        // Declaring ports is optional: only when it declares some.
                                        if !cnumbers.is_empty() && !cnumbers.contains(&n) {
                                            let declared: Vec<String> =
                                                cnumbers.iter().map(u32::to_string).collect();
                                            sink.push(Code::PV123, pn.span(), format!("{probe} of `{cname}` checks port {n}, which the container does not declare ({})", declared.join(", ")), Some(format!("probe the port the container listens on, e.g. port: {}, or declare {n} in ports", declared[0])));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let replicas = match o.kind.as_str() {
                "Deployment" | "StatefulSet" | "ReplicaSet" => {
                    match o.doc.path(&["spec", "replicas"]) {
                        None => Some(1),
                        Some(r) => r.str().and_then(|s| s.parse().ok()),
                    }
                }
                "Pod" => Some(1),
                _ => None,
            };
            templates.push(Template {
                namespace: o.namespace.clone(),
                replicas,
                labels: tlabels,
                port_names: ports,
                port_numbers: numbers,
            });
        }
        out.extend(sink.out);
    }

    // Several replicas of a Deployment or ReplicaSet on one ReadWriteOnce claim (PV105).
    for o in objs
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "Deployment" | "ReplicaSet"))
    {
        let replicas: u32 = match o.doc.path(&["spec", "replicas"]) {
            None => 1,
            Some(r) => r.str().and_then(|s| s.parse().ok()).unwrap_or(1),
        };
        if replicas < 2 {
            continue;
        }
        let mut sink = Sink::new(o.file);
        let name = o.name();
        for v in o
            .doc
            .path(&["spec", "template", "spec", "volumes"])
            .map(N::seq)
            .unwrap_or(&[])
        {
            let Some(cn) = v.path(&["persistentVolumeClaim", "claimName"]) else {
                continue;
            };
            let Some(claim) = cn.str() else { continue };
            let Some(pvc) = objs.iter().find(|p| {
                p.kind == "PersistentVolumeClaim" && p.name() == claim && p.namespace == o.namespace
            }) else {
                continue;
            };
            let modes: Vec<&str> = pvc
                .doc
                .path(&["spec", "accessModes"])
                .map(N::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(N::str)
                .collect();
            let single = |m: &&str| matches!(*m, "ReadWriteOnce" | "ReadWriteOncePod");
            if modes.is_empty() || !modes.iter().all(single) {
                continue;
            }
            let why = if modes.contains(&"ReadWriteOncePod") {
                "ReadWriteOncePod: only one pod can use it, so the other replicas never start"
            } else {
                "ReadWriteOnce: only pods on one node can mount it, so replicas scheduled on other nodes hang in ContainerCreating (Multi-Attach error)"
            };
            sink.push(Code::PV105, cn.span(), format!("{} `{name}` runs {replicas} replicas on PersistentVolumeClaim `{claim}`, which is {why}", o.kind), Some("use a StatefulSet with volumeClaimTemplates (a volume per replica), a ReadWriteMany volume, or replicas: 1".into()));
        }
        out.extend(sink.out);
    }

    // Storage classes the live cluster does not have (PV109): the claim stays Pending.
    if let Some(classes) = facts.and_then(|f| f.storage_classes.as_ref()) {
        for o in objs.iter() {
            let specs = claim_specs(o);
            if specs.is_empty() {
                continue;
            }
            let created: BTreeSet<&str> = objs
                .iter()
                .filter(|x| x.kind == "StorageClass")
                .filter_map(|x| x.doc.path(&["metadata", "name"]).and_then(N::str))
                .collect();
            let mut sink = Sink::new(o.file);
            for spec in specs {
                let Some(sc) = spec.get("storageClassName") else {
                    continue;
                };
                let Some(name) = sc.str().filter(|n| !n.is_empty()) else {
                    continue;
                };
                if !classes.iter().any(|c| c == name) && !created.contains(name) {
                    let fix = match crate::schema::did_you_mean(name, classes.iter()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("use one of: {}", classes.join(", ")),
                    };
                    sink.push(Code::PV109, sc.span(), format!("{} `{}` asks for storage class `{name}`, which cluster {} does not have (it has: {}); the claim stays Pending", o.kind, o.name(), facts.map(|f| f.cluster.as_str()).unwrap_or(""), classes.join(", ")), Some(fix));
                }
            }
            out.extend(sink.out);
        }
    }

    // Claims on k3s's bundled local-path provisioner (PV108): it makes a directory on one node,
    // so it provisions ReadWriteOnce and ReadWriteOncePod claims only; another mode leaves the
    // claim Pending and its pods unscheduled.
    for o in objs.iter() {
        let specs = claim_specs(o);
        let mut sink = Sink::new(o.file);
        for spec in specs {
            if spec.get("storageClassName").and_then(N::str) != Some("local-path") {
                continue;
            }
            for m in spec.get("accessModes").map(N::seq).unwrap_or(&[]) {
                let Some(mode) = m.str() else { continue };
                if matches!(mode, "ReadWriteMany" | "ReadOnlyMany") {
                    sink.push(Code::PV108, m.span(), format!("{} `{}` asks the local-path storage class for {mode}: k3s's local-path provisioner makes a directory on one node and provisions only ReadWriteOnce or ReadWriteOncePod, so the claim stays Pending", o.kind, o.name()), Some("use `ReadWriteOnce` (pods sharing it must run on one node), or a storage class that offers ReadWriteMany (Longhorn, an NFS provisioner)".into()));
                }
            }
        }
        out.extend(sink.out);
    }

    // PodDisruptionBudgets (PV129): a budget that selects none of these pods, or one that
    // allows no voluntary eviction, so `kubectl drain` (node maintenance, k3s upgrades) blocks.
    for o in objs.iter().filter(|o| o.kind == "PodDisruptionBudget") {
        let mut sink = Sink::new(o.file);
        let pdb = o.name();
        let Some(ml) = o.doc.path(&["spec", "selector", "matchLabels"]) else {
            continue;
        };
        let sel = labels_of(Some(ml));
        if sel.is_empty()
            || o.doc
                .path(&["spec", "selector", "matchExpressions"])
                .is_some()
        {
            continue;
        }
        let in_ns: Vec<&Template> = templates
            .iter()
            .filter(|t| t.namespace == o.namespace)
            .collect();
        let matched: Vec<&&Template> = in_ns
            .iter()
            .filter(|t| sel.iter().all(|(k, v)| t.labels.get(k) == Some(v)))
            .collect();
        if matched.is_empty() {
            if !in_ns.is_empty() {
                let sel_s: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
                sink.push(Code::PV129, ml.span(), format!("PodDisruptionBudget `{pdb}` selector {} matches no pod template in namespace {} in these manifests: it protects nothing", sel_s.join(","), o.namespace), Some("use the labels of the pods it should protect".into()));
            }
            out.extend(sink.out);
            continue;
        }
        let total: Option<u32> = matched.iter().map(|t| t.replicas).sum();
        let zero_evictions = |why: String, at: &N, sink: &mut Sink| {
            sink.push(Code::PV129, at.span(), format!("PodDisruptionBudget `{pdb}` {why}: no pod may be evicted, so `kubectl drain` blocks on their nodes (node maintenance, k3s upgrades)"), Some("allow at least one disruption: minAvailable below the replica count, or maxUnavailable: 1".into()));
        };
        if let Some(ma) = o.doc.path(&["spec", "minAvailable"]) {
            let v = ma.str().unwrap_or("");
            if v == "100%" {
                zero_evictions("requires minAvailable 100%".into(), ma, &mut sink);
            } else if let (Ok(n), Some(t)) = (v.parse::<u32>(), total) {
                if n >= t && t > 0 {
                    zero_evictions(
                        format!("requires minAvailable {n} of the {t} pod(s) it selects"),
                        ma,
                        &mut sink,
                    );
                }
            }
        }
        if let Some(mu) = o.doc.path(&["spec", "maxUnavailable"]) {
            if matches!(mu.str(), Some("0" | "0%")) {
                zero_evictions("sets maxUnavailable 0".into(), mu, &mut sink);
            }
        }
        out.extend(sink.out);
    }

    // Services.
    let mut lb_ips: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
    for o in objs.iter().filter(|o| o.kind == "Service") {
        let mut sink = Sink::new(o.file);
        let name = o.name();
        let sel = labels_of(o.doc.path(&["spec", "selector"]));
        let matched: Vec<&Template> = templates
            .iter()
            .filter(|t| {
                t.namespace == o.namespace
                    && !sel.is_empty()
                    && sel.iter().all(|(k, v)| t.labels.get(k) == Some(v))
            })
            .collect();
        if !sel.is_empty() && !templates.is_empty() && matched.is_empty() {
            let at = o.doc.path(&["spec", "selector"]).unwrap_or(o.doc);
            let sel_s: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
            sink.push(Code::PV114, at.span(), format!("Service `{name}` selector {} matches no pod template in namespace {} in these manifests", sel_s.join(","), o.namespace), Some("use the pod template's labels as the selector".into()));
        }
        if !matched.is_empty() {
            let names: BTreeSet<&String> =
                matched.iter().flat_map(|t| t.port_names.iter()).collect();
            let numbers: BTreeSet<u32> = matched
                .iter()
                .flat_map(|t| t.port_numbers.iter().copied())
                .collect();
            for p in o.doc.path(&["spec", "ports"]).map(N::seq).unwrap_or(&[]) {
                // Without targetPort, the Service sends to `port`.
                let Some(tp) = p.get("targetPort").or_else(|| p.get("port")) else {
                    continue;
                };
                let Y::Scalar(v, _) = &tp.y else { continue };
                if plain_kind(v) == "string" {
                    if !names.iter().any(|n| *n == v) {
                        sink.push(Code::PV117, tp.span(), format!("Service `{name}` targetPort `{v}` names no container port of the selected pods"), Some("use a declared port name or the container port number".into()));
                    }
                } else if let Ok(n) = v.parse::<u32>() {
                    // Declaring ports is optional, so only when the pods declare some.
                    if !numbers.is_empty() && !numbers.contains(&n) {
                        let declared: Vec<String> = numbers.iter().map(u32::to_string).collect();
                        let which = if p.get("targetPort").is_some() {
                            "targetPort"
                        } else {
                            "port (no targetPort)"
                        };
                        sink.push(Code::PV122, tp.span(), format!("Service `{name}` {which} {n} is not a port the selected containers declare ({})", declared.join(", ")), Some(format!("set targetPort to the port the container listens on, e.g. targetPort: {}", declared[0])));
                    }
                }
            }
        }
        let ty = o
            .doc
            .path(&["spec", "type"])
            .and_then(N::str)
            .unwrap_or("ClusterIP");
        let mut ips: Vec<(&N, String)> = Vec::new();
        if let Some(ann) = o.doc.path(&["metadata", "annotations"]) {
            for (k, v) in ann.entries() {
                match k.str() {
                    Some("metallb.io/loadBalancerIPs") => ips.extend(
                        v.str()
                            .unwrap_or("")
                            .split(',')
                            .map(|s| (v, s.trim().to_string())),
                    ),
                    Some("metallb.io/address-pool") => {
                        let pool = v.str().unwrap_or("");
                        let here: Vec<String> =
                            manifest_pools.iter().map(|p| p.name.to_string()).collect();
                        if !here.is_empty() && !here.iter().any(|p| p == pool) {
                            let fix = match crate::schema::did_you_mean(pool, here.iter()) {
                                Some(m) => format!("did you mean `{m}`?"),
                                None => format!("name one of: {}", here.join(", ")),
                            };
                            sink.push(Code::PV142, v.span(), format!("Service `{name}` asks for MetalLB pool `{pool}`, which these manifests do not define (defined: {}); the Service stays without an external IP", here.join(", ")), Some(fix));
                        }
                    }
                    Some("metallb.universe.tf/loadBalancerIPs") => {
                        sink.push(
                            Code::PV116,
                            k.span(),
                            "the metallb.universe.tf/ annotations are deprecated",
                            Some("use metallb.io/loadBalancerIPs".into()),
                        );
                        ips.extend(
                            v.str()
                                .unwrap_or("")
                                .split(',')
                                .map(|s| (v, s.trim().to_string())),
                        );
                    }
                    _ => {}
                }
            }
        }
        if let Some(lb) = o.doc.path(&["spec", "loadBalancerIP"]) {
            sink.push(
                Code::PV116,
                lb.span(),
                "spec.loadBalancerIP is deprecated since Kubernetes 1.24",
                Some("use the metallb.io/loadBalancerIPs annotation".into()),
            );
            ips.push((lb, lb.str().unwrap_or("").to_string()));
        }
        if !ips.is_empty() && ty != "LoadBalancer" {
            sink.push(
                Code::PV115,
                ips[0].0.span(),
                format!("Service `{name}` asks for a LoadBalancer IP but is of type {ty}"),
                Some("set spec.type: LoadBalancer, or drop the annotation".into()),
            );
        }
        // The same address given twice by one Service (annotation and spec.loadBalancerIP)
        // is judged once.
        let mut own: BTreeSet<String> = BTreeSet::new();
        for (n, ip) in ips {
            if !own.insert(ip.clone()) {
                continue;
            }
            let Ok(addr) = ip.parse::<Ipv4Addr>() else {
                sink.push(
                    Code::PV115,
                    n.span(),
                    format!("`{ip}` is not an IPv4 address"),
                    None,
                );
                continue;
            };
            let site_pools = facts.is_some_and(|f| !f.metallb_pools.is_empty());
            let ranges: Vec<String> = manifest_pools
                .iter()
                .flat_map(|p| p.v4.iter().map(|r| r.to_string()))
                .collect();
            if !site_pools
                && !ranges.is_empty()
                && !manifest_pools
                    .iter()
                    .any(|p| p.v4.iter().any(|r| r.contains(addr)))
            {
                sink.push(
                    Code::PV115,
                    n.span(),
                    format!(
                        "LoadBalancer IP {addr} is outside the MetalLB pools these manifests define ({})",
                        ranges.join(", ")
                    ),
                    Some(format!("pick an address from {}", ranges[0])),
                );
            }
            if let Some(f) = facts {
                if !f.metallb_pools.is_empty() && !f.in_metallb_pool(addr) {
                    sink.push(
                        Code::PV115,
                        n.span(),
                        format!(
                            "LoadBalancer IP {addr} is outside the MetalLB pools ({})",
                            f.metallb_pools.join(", ")
                        ),
                        Some(format!("pick an address from {}", f.metallb_pools[0])),
                    );
                } else if let Some(who) = f
                    .live_lb_ips
                    .get(&ip)
                    .filter(|who| **who != format!("{}/{name}", o.namespace))
                {
                    sink.push(
                        Code::PV115,
                        n.span(),
                        format!("LoadBalancer IP {addr} is already taken by the live Service {who} in cluster {}", f.cluster),
                        Some("pick an address of the pool that no Service holds (cluster_state view `k8s` lists them)".into()),
                    );
                } else if let Some(who) = f.used_ipv4.get(&ip) {
                    sink.push(
                        Code::PV115,
                        n.span(),
                        format!("LoadBalancer IP {addr} is already used by {who}"),
                        Some("pick a free address from the pool".into()),
                    );
                }
            }
            if let Some(other) = lb_ips.get(&addr) {
                sink.push(Code::PV115, n.span(), format!("LoadBalancer IP {addr} is also requested by Service {other}"), Some("give each Service its own address (or share it explicitly with metallb.io/allow-shared-ip)".into()));
            } else {
                lb_ips.insert(addr, name.to_string());
            }
        }
        out.extend(sink.out);
    }
    out
}
