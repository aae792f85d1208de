//! Connect with a kubeconfig and read the cluster: list and get only, every list paged, the
//! parts read concurrently. A part that cannot be read (RBAC, a missing CRD, a server that
//! cannot list it) becomes a warning; only an API that cannot be reached or that refuses the
//! credentials fails the read.
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Node, Service};
use k8s_openapi::api::networking::v1::IngressClass as KIngressClass;
use k8s_openapi::api::storage::v1::StorageClass as KStorageClass;
use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::ApiResource;
use kube::Client;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::*;

/// Where the kubeconfig is and which context to use.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// A kubeconfig file; default `KUBECONFIG`, else `~/.kube/config`. k3s writes one to
    /// `/etc/rancher/k3s/k3s.yaml`.
    pub kubeconfig: Option<PathBuf>,
    /// A context of that file; default its current context.
    pub context: Option<String>,
    /// Per request (default 20 s).
    pub timeout: Option<Duration>,
}

/// A connected client and what it is connected to.
#[derive(Clone)]
pub struct Conn {
    pub client: Client,
    pub context: String,
    pub server: String,
    /// The user name of the context, for the RBAC fix.
    pub user: String,
}

/// Page size of every list.
const PAGE: u32 = 500;

/// Everything a read needs: `resource` as `kubectl` names it, for error messages and fixes.
pub const READ_RESOURCES: &[&str] = &[
    "nodes",
    "namespaces",
    "services",
    "storageclasses.storage.k8s.io",
    "ingressclasses.networking.k8s.io",
    "ipaddresspools.metallb.io",
    "l2advertisements.metallb.io",
    "bgpadvertisements.metallb.io",
];

/// The `kubectl` commands that grant what provisio reads.
pub fn rbac_fix(user: &str) -> String {
    format!(
        "kubectl create clusterrole provisio-read --verb=get,list --resource={} && kubectl create clusterrolebinding provisio-read --clusterrole=provisio-read --user={user}",
        READ_RESOURCES.join(",")
    )
}

fn kubeconfig_label(t: &Target) -> String {
    match &t.kubeconfig {
        Some(p) => p.display().to_string(),
        None => std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into()),
    }
}

pub async fn connect(t: &Target) -> Result<Conn> {
    let label = kubeconfig_label(t);
    let cfg_err = |message: String, hint: &str| Error::Config {
        path: label.clone(),
        message,
        hint: hint.to_string(),
    };
    let kc = match &t.kubeconfig {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| {
        cfg_err(
            e.to_string(),
            "set `kubeconfig` (and `kube_context`) in [clusters.NAME], or KUBECONFIG; on a k3s server the file is /etc/rancher/k3s/k3s.yaml (replace 127.0.0.1 in `server:` with the API address)",
        )
    })?;
    let context = t
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
        .ok_or_else(|| {
            cfg_err(
                "no context: the file sets no current-context".into(),
                "set `kube_context` in [clusters.NAME]",
            )
        })?;
    let known: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    if !known.contains(&context) {
        return Err(cfg_err(
            format!(
                "context `{context}` is not in the file (contexts: {})",
                known.join(", ")
            ),
            "set `kube_context` to one of the file's contexts",
        ));
    }
    let user = kc
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
        .unwrap_or_else(|| "USER".into());
    let opts = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .map_err(|e| {
            cfg_err(
                e.to_string(),
                "check the context's cluster and user entries",
            )
        })?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(t.timeout.unwrap_or(Duration::from_secs(20)));
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = Client::try_from(config).map_err(|e| Error::Api {
        server: server.clone(),
        message: e.to_string(),
        hint: Some("check the certificate data in the kubeconfig".into()),
        kind: "tls",
    })?;
    Ok(Conn {
        client,
        context,
        server,
        user,
    })
}

/// The error chain as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// A kube error for `verb resource`, classified, with the fix.
pub fn api_error(conn: &Conn, verb: &str, resource: &str, e: kube::Error) -> Error {
    let server = conn.server.clone();
    match e {
        kube::Error::Api(s) => {
            let (kind, message, hint) = match s.code {
                401 => ("auth", format!("authentication failed (401 Unauthorized) for context `{}`: the token or client certificate was refused or has expired", conn.context), Some("get fresh credentials: copy /etc/rancher/k3s/k3s.yaml from a server again, or issue a new token (`kubectl create token ...`)".to_string())),
                403 => ("forbidden", format!("forbidden (403): user `{}` may not {verb} {resource}", conn.user), Some(rbac_fix(&conn.user))),
                404 => ("not-found", format!("{verb} {resource}: not found (404); the API or CRD is not installed"), None),
                c => ("other", format!("{verb} {resource}: {} ({c}) {}", s.reason, s.message.lines().next().unwrap_or("")), None),
            };
            Error::Api {
                server,
                message,
                hint,
                kind,
            }
        }
        other => {
            let text = chain(&other);
            let lower = text.to_lowercase();
            let (kind, hint) = if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
            {
                ("tls", "the server's certificate does not match the kubeconfig's certificate-authority-data; copy the kubeconfig from the cluster again")
            } else if lower.contains("connect")
                || lower.contains("timed out")
                || lower.contains("timeout")
                || lower.contains("dns")
                || lower.contains("refused")
            {
                ("unreachable", "check that the API address in the kubeconfig's `server:` is reachable from here (k3s listens on port 6443)")
            } else {
                (
                    "other",
                    "run `provisio doctor` to check the Kubernetes connection",
                )
            };
            Error::Api {
                server,
                message: format!("{verb} {resource}: {text}"),
                hint: Some(hint.into()),
                kind,
            }
        }
    }
}

/// Every item of a list, page by page.
async fn list_all<K>(api: &Api<K>) -> std::result::Result<Vec<K>, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(PAGE);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// A MetalLB resource (metallb.io/v1beta1), read as unstructured objects.
pub(crate) fn metallb(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "metallb.io".into(),
        version: "v1beta1".into(),
        api_version: "metallb.io/v1beta1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn selectors(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for sel in v.as_array().into_iter().flatten() {
        let mut parts: Vec<String> = Vec::new();
        if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in m {
                parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
            }
        }
        for e in sel
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            parts.push(format!(
                "{} {} ({})",
                e.get("key").and_then(Value::as_str).unwrap_or(""),
                e.get("operator").and_then(Value::as_str).unwrap_or(""),
                strings(e.get("values").unwrap_or(&Value::Null)).join(",")
            ));
        }
        out.push(parts.join(" & "));
    }
    out
}

fn advertisement(o: &DynamicObject) -> Advertisement {
    Advertisement {
        name: o.metadata.name.clone().unwrap_or_default(),
        namespace: o.metadata.namespace.clone().unwrap_or_default(),
        pools: strings(&o.data["spec"]["ipAddressPools"]),
        node_selectors: selectors(&o.data["spec"]["nodeSelectors"]),
    }
}

fn node(n: &Node) -> K8sNode {
    let labels = n.metadata.labels.clone().unwrap_or_default();
    let mut roles: Vec<String> = labels
        .keys()
        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
        .map(str::to_string)
        .collect();
    roles.sort();
    let status = n.status.as_ref();
    K8sNode {
        name: n.metadata.name.clone().unwrap_or_default(),
        ready: status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True"),
        roles,
        internal_ip: status
            .and_then(|s| s.addresses.as_ref())
            .into_iter()
            .flatten()
            .find(|a| a.type_ == "InternalIP")
            .map(|a| a.address.clone()),
        kubelet_version: status
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.clone()),
        guest: None,
    }
}

fn split_ips(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

fn load_balancer(s: &Service) -> Option<LoadBalancer> {
    let spec = s.spec.as_ref()?;
    if spec.type_.as_deref() != Some("LoadBalancer") {
        return None;
    }
    let ann = s.metadata.annotations.clone().unwrap_or_default();
    let mut requested: Vec<String> = Vec::new();
    for key in [
        "metallb.io/loadBalancerIPs",
        "metallb.universe.tf/loadBalancerIPs",
    ] {
        if let Some(v) = ann.get(key) {
            requested.extend(split_ips(v));
        }
    }
    if let Some(ip) = spec.load_balancer_ip.as_ref().filter(|i| !i.is_empty()) {
        if !requested.contains(ip) {
            requested.push(ip.clone());
        }
    }
    let ips = s
        .status
        .as_ref()
        .and_then(|st| st.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|i| i.ip.clone())
        .collect();
    Some(LoadBalancer {
        namespace: s.metadata.namespace.clone().unwrap_or_default(),
        name: s.metadata.name.clone().unwrap_or_default(),
        ips,
        requested,
        pool: ann
            .get("metallb.io/address-pool")
            .or_else(|| ann.get("metallb.universe.tf/address-pool"))
            .cloned(),
    })
}

fn is_default(ann: &Option<std::collections::BTreeMap<String, String>>, key: &str) -> bool {
    ann.as_ref()
        .and_then(|a| a.get(key))
        .is_some_and(|v| v == "true")
}

/// Read the cluster. Returns the state and the warnings for the parts that could not be read.
pub async fn read(conn: &Conn) -> Result<(K8sState, Vec<String>)> {
    let c = conn.client.clone();
    let nodes_api: Api<Node> = Api::all(c.clone());
    let ns_api: Api<Namespace> = Api::all(c.clone());
    let svc_api: Api<Service> = Api::all(c.clone());
    let sc_api: Api<KStorageClass> = Api::all(c.clone());
    let ic_api: Api<KIngressClass> = Api::all(c.clone());
    let pools_api: Api<DynamicObject> =
        Api::all_with(c.clone(), &metallb("IPAddressPool", "ipaddresspools"));
    let l2_api: Api<DynamicObject> =
        Api::all_with(c.clone(), &metallb("L2Advertisement", "l2advertisements"));
    let bgp_api: Api<DynamicObject> =
        Api::all_with(c.clone(), &metallb("BGPAdvertisement", "bgpadvertisements"));
    let (version, nodes, namespaces, services, classes, ingress, pools, l2, bgp) = futures::join!(
        c.apiserver_version(),
        list_all(&nodes_api),
        list_all(&ns_api),
        list_all(&svc_api),
        list_all(&sc_api),
        list_all(&ic_api),
        list_all(&pools_api),
        list_all(&l2_api),
        list_all(&bgp_api),
    );
    let mut warnings = Vec::new();
    let mut out = K8sState {
        context: conn.context.clone(),
        server: conn.server.clone(),
        ..Default::default()
    };
    let soft = |what: &str, e: kube::Error, w: &mut Vec<String>| {
        soft_err(api_error(conn, "list", what, e), w)
    };
    match nodes {
        Ok(list) => out.nodes = list.iter().map(node).collect(),
        Err(e) => {
            if let Some(fatal) = soft("nodes", e, &mut warnings) {
                return Err(fatal);
            }
        }
    }
    match version {
        Ok(v) => out.version = Some(v.git_version),
        Err(e) => {
            let err = api_error(conn, "get", "/version", e);
            warnings.push(err.to_string());
        }
    }
    // Namespaces seen on Services: a fallback when namespaces cannot be listed.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    match services {
        Ok(list) => {
            let mut lbs: Vec<LoadBalancer> = list.iter().filter_map(load_balancer).collect();
            lbs.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            seen.extend(list.iter().filter_map(|s| s.metadata.namespace.clone()));
            out.load_balancers = Some(lbs);
        }
        Err(e) => {
            if let Some(fatal) = soft("services", e, &mut warnings) {
                return Err(fatal);
            }
        }
    }
    match namespaces {
        Ok(ns) => {
            out.namespaces = Some(ns.iter().filter_map(|n| n.metadata.name.clone()).collect())
        }
        Err(e) => {
            if let Some(fatal) = soft("namespaces", e, &mut warnings) {
                return Err(fatal);
            }
            if !seen.is_empty() {
                warnings.push(format!(
                    "namespaces seen on Services (the namespace list failed, so others may exist): {}",
                    seen.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    match classes {
        Ok(list) => {
            out.storage_classes = Some(
                list.iter()
                    .map(|s| StorageClass {
                        name: s.metadata.name.clone().unwrap_or_default(),
                        provisioner: s.provisioner.clone(),
                        default: is_default(
                            &s.metadata.annotations,
                            "storageclass.kubernetes.io/is-default-class",
                        ),
                    })
                    .collect(),
            )
        }
        Err(e) => {
            if let Some(fatal) = soft("storageclasses.storage.k8s.io", e, &mut warnings) {
                return Err(fatal);
            }
        }
    }
    match ingress {
        Ok(list) => {
            out.ingress_classes = Some(
                list.iter()
                    .map(|s| IngressClass {
                        name: s.metadata.name.clone().unwrap_or_default(),
                        controller: s.spec.as_ref().and_then(|x| x.controller.clone()),
                        default: is_default(
                            &s.metadata.annotations,
                            "ingressclass.kubernetes.io/is-default-class",
                        ),
                    })
                    .collect(),
            )
        }
        Err(e) => {
            if let Some(fatal) = soft("ingressclasses.networking.k8s.io", e, &mut warnings) {
                return Err(fatal);
            }
        }
    }
    match pools {
        Ok(list) => {
            let mut m = MetalLb {
                pools: list
                    .iter()
                    .map(|o| IpPool {
                        name: o.metadata.name.clone().unwrap_or_default(),
                        namespace: o.metadata.namespace.clone().unwrap_or_default(),
                        addresses: strings(&o.data["spec"]["addresses"]),
                        auto_assign: o.data["spec"]["autoAssign"].as_bool().unwrap_or(true),
                    })
                    .collect(),
                ..Default::default()
            };
            for (what, r, into) in [
                ("l2advertisements.metallb.io", l2, &mut m.l2_advertisements),
                (
                    "bgpadvertisements.metallb.io",
                    bgp,
                    &mut m.bgp_advertisements,
                ),
            ] {
                match r {
                    Ok(list) => *into = list.iter().map(advertisement).collect(),
                    Err(e) => {
                        if let Some(fatal) = soft(what, e, &mut warnings) {
                            return Err(fatal);
                        }
                    }
                }
            }
            out.metallb = Some(m);
        }
        Err(e) => {
            let err = api_error(conn, "list", "ipaddresspools.metallb.io", e);
            if err.kind() == "not-found" {
                warnings.push("MetalLB: its CRDs (metallb.io/v1beta1) are not installed".into());
            } else if let Some(fatal) = soft_err(err, &mut warnings) {
                return Err(fatal);
            }
        }
    }
    Ok((out, warnings))
}

/// A part that cannot be read becomes a warning, unless nothing else can be read either.
fn soft_err(err: Error, warnings: &mut Vec<String>) -> Option<Error> {
    match err.kind() {
        "unreachable" | "tls" | "auth" => Some(err),
        _ => {
            let hint = err
                .hint()
                .map(|h| format!(" (fix: {h})"))
                .unwrap_or_default();
            warnings.push(format!("{err}{hint}"));
            None
        }
    }
}
