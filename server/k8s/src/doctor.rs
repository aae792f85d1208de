//! `provisio doctor` for the Kubernetes API: the kubeconfig, reachability and TLS, the
//! credentials, and the list permission on everything `cluster_state` reads.
use k8s_openapi::api::core::v1::{Namespace, Node, Service};
use k8s_openapi::api::networking::v1::IngressClass;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DynamicObject, ListParams};
use serde::Serialize;

use crate::read::{api_error, connect, metallb, rbac_fix, Conn, Target};

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct K8sCheck {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn check(name: &str, ok: bool, detail: String, fix: Option<String>) -> K8sCheck {
    K8sCheck {
        name: name.to_string(),
        ok,
        detail,
        fix,
    }
}

async fn can_list<K>(api: Api<K>) -> std::result::Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.list(&ListParams::default().limit(1)).await.map(|_| ())
}

/// Run the checks; the connection checks stop at the first failure.
pub async fn checks(t: &Target) -> Vec<K8sCheck> {
    let mut out = Vec::new();
    let conn: Conn = match connect(t).await {
        Ok(c) => {
            out.push(check(
                "kubernetes: kubeconfig",
                true,
                format!(
                    "context `{}`, user `{}`, server {}",
                    c.context, c.user, c.server
                ),
                None,
            ));
            c
        }
        Err(e) => {
            out.push(check(
                "kubernetes: kubeconfig",
                false,
                e.to_string(),
                e.hint(),
            ));
            return out;
        }
    };
    // Reachability, TLS and credentials: /version answers without credentials on some
    // servers, so the node list decides about authentication.
    match conn.client.apiserver_version().await {
        Ok(v) => out.push(check(
            "kubernetes: reachable (TLS)",
            true,
            format!(
                "{} answers, version {}{}",
                conn.server,
                v.git_version,
                if conn.server.starts_with("http://") {
                    "; plain HTTP, no TLS"
                } else {
                    "; certificate verified"
                }
            ),
            None,
        )),
        Err(e) => {
            let err = api_error(&conn, "get", "/version", e);
            if matches!(err.kind(), "unreachable" | "tls" | "other") {
                out.push(check(
                    "kubernetes: reachable (TLS)",
                    false,
                    err.to_string(),
                    err.hint(),
                ));
                return out;
            }
        }
    }
    let c = conn.client.clone();
    let nodes = can_list(Api::<Node>::all(c.clone())).await;
    match &nodes {
        Err(kube::Error::Api(s)) if s.code == 401 => {
            let err = api_error(&conn, "list", "nodes", nodes.err().expect("error"));
            out.push(check(
                "kubernetes: credentials",
                false,
                err.to_string(),
                err.hint(),
            ));
            return out;
        }
        _ => out.push(check(
            "kubernetes: credentials",
            true,
            format!("accepted for user `{}`", conn.user),
            None,
        )),
    }
    let results = futures::join!(
        can_list(Api::<Namespace>::all(c.clone())),
        can_list(Api::<Service>::all(c.clone())),
        can_list(Api::<StorageClass>::all(c.clone())),
        can_list(Api::<IngressClass>::all(c.clone())),
        can_list(Api::<DynamicObject>::all_with(
            c.clone(),
            &metallb("IPAddressPool", "ipaddresspools")
        )),
        can_list(Api::<DynamicObject>::all_with(
            c.clone(),
            &metallb("L2Advertisement", "l2advertisements")
        )),
        can_list(Api::<DynamicObject>::all_with(
            c.clone(),
            &metallb("BGPAdvertisement", "bgpadvertisements")
        )),
    );
    let (a, b, cc, d, e, f, g) = results;
    let all = [
        ("nodes", nodes),
        ("namespaces", a),
        ("services", b),
        ("storageclasses.storage.k8s.io", cc),
        ("ingressclasses.networking.k8s.io", d),
        ("ipaddresspools.metallb.io", e),
        ("l2advertisements.metallb.io", f),
        ("bgpadvertisements.metallb.io", g),
    ];
    let mut forbidden = Vec::new();
    for (res, r) in all {
        let name = format!("kubernetes: list {res}");
        match r {
            Ok(()) => out.push(check(&name, true, "allowed".into(), None)),
            Err(e) => {
                let err = api_error(&conn, "list", res, e);
                match err.kind() {
                    "forbidden" => {
                        forbidden.push(res);
                        out.push(check(&name, false, err.to_string(), None));
                    }
                    // A CRD that is not installed is a fact about the cluster, not a fault.
                    "not-found" if res.ends_with("metallb.io") => out.push(check(
                        &name,
                        true,
                        "MetalLB CRD not installed; nothing to read".into(),
                        None,
                    )),
                    _ => out.push(check(&name, false, err.to_string(), err.hint())),
                }
            }
        }
    }
    if !forbidden.is_empty() {
        out.push(check(
            "kubernetes: permissions",
            false,
            format!(
                "user `{}` may not list {}; cluster_state reports those parts as unreadable",
                conn.user,
                forbidden.join(", ")
            ),
            Some(rbac_fix(&conn.user)),
        ));
    }
    out
}
