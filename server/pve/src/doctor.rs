//! `provisio doctor`: endpoint reachability, TLS (with the fingerprint to pin), authentication,
//! and the credentials' effective privileges against what the tools need.
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::client::PveClient;
use crate::config::{Auth, ClusterConfig, Tls};
use crate::error::Error;

/// Privileges each capability needs: (ACL path, privilege, who needs it).
pub const READ_PRIVILEGES: &[(&str, &str, &str)] = &[
    (
        "/",
        "Sys.Audit",
        "cluster_state: nodes, cluster status, network, Ceph",
    ),
    (
        "/vms",
        "VM.Audit",
        "cluster_state: guests, templates and their configs",
    ),
    (
        "/storage",
        "Datastore.Audit",
        "cluster_state: storages and free space",
    ),
    ("/pool", "Pool.Audit", "cluster_state: pools"),
    ("/sdn", "SDN.Audit", "cluster_state: SDN zones and vnets"),
];

pub const APPLY_PRIVILEGES: &[(&str, &str, &str)] = &[
    ("/vms", "VM.Allocate", "apply_plan: create VMs"),
    ("/vms", "VM.Clone", "apply_plan: clone templates"),
    ("/vms", "VM.Config.Disk", "apply_plan: resize disks"),
    ("/vms", "VM.Config.CPU", "apply_plan: set cores"),
    ("/vms", "VM.Config.Memory", "apply_plan: set memory"),
    ("/vms", "VM.Config.Network", "apply_plan: set NICs"),
    ("/vms", "VM.Config.Cloudinit", "apply_plan: set cloud-init"),
    (
        "/vms",
        "VM.Config.Options",
        "apply_plan: set name, tags, onboot",
    ),
    ("/vms", "VM.PowerMgmt", "apply_plan: start VMs"),
    (
        "/storage",
        "Datastore.AllocateSpace",
        "apply_plan: allocate disks",
    ),
    (
        "/sdn/zones",
        "SDN.Use",
        "apply_plan: attach NICs to bridges/vnets",
    ),
];

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub cluster: String,
    pub url: String,
    pub auth: String,
    pub tls: String,
    /// SHA-256 fingerprint of the certificate the server presented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub checks: Vec<Check>,
    pub ok: bool,
}

impl DoctorReport {
    pub fn render(&self) -> String {
        let mut o = format!(
            "cluster `{}` at {}\nauth: {}\nTLS: {}\n",
            self.cluster, self.url, self.auth, self.tls
        );
        if let Some(fp) = &self.fingerprint {
            o.push_str(&format!("server certificate SHA-256: {fp}\n"));
        }
        for c in &self.checks {
            o.push_str(&format!(
                "[{}] {}: {}\n",
                if c.ok { " ok " } else { "FAIL" },
                c.name,
                c.detail
            ));
            if let Some(f) = &c.fix {
                o.push_str(&format!("       fix: {f}\n"));
            }
        }
        o.push_str(if self.ok {
            "all checks passed\n"
        } else {
            "some checks FAILED\n"
        });
        o
    }
}

/// Does a permission map (`/access/permissions`) grant `privilege` on `path` (ACLs propagate)?
pub fn holds(
    perms: &BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    path: &str,
    privilege: &str,
) -> bool {
    perms.iter().any(|(p, privs)| {
        (p == "/" || p == path || path.starts_with(&format!("{p}/")))
            && privs
                .get(privilege)
                .is_some_and(|v| v.as_i64().unwrap_or(1) != 0)
    })
}

/// A failed check from an error: its text as the detail, its hint as the fix.
fn failed(name: &str, e: &Error) -> Check {
    Check {
        name: name.into(),
        ok: false,
        detail: bare(e),
        fix: e.hint(),
    }
}

/// The error text without its hint (the hint goes in `fix`).
fn bare(e: &Error) -> String {
    let s = e.to_string();
    match e.hint() {
        Some(h) => s.replace(&format!(" (hint: {h})"), ""),
        None => s,
    }
}

fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split('/').next()?;
    if let Some(stripped) = authority.strip_prefix('[') {
        let (h, p) = stripped.split_once(']')?;
        let port = p
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(8006);
        return Some((h.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), 443)),
    }
}

/// Run the checks against one cluster. `apply` also checks what `apply_plan` needs. With a
/// `kubeconfig` in the cluster's config, the Kubernetes API is checked as well.
pub async fn doctor(cluster: &ClusterConfig, apply: bool) -> DoctorReport {
    let mut report = doctor_pve(cluster, apply).await;
    if let Some(t) = &cluster.kube {
        let k = provisio_k8s::doctor::checks(t).await;
        report.ok &= k.iter().all(|c| c.ok);
        report.checks.extend(k.into_iter().map(|c| Check {
            name: c.name,
            ok: c.ok,
            detail: c.detail,
            fix: c.fix,
        }));
    }
    report
}

async fn doctor_pve(cluster: &ClusterConfig, apply: bool) -> DoctorReport {
    let mut checks = Vec::new();
    let mut report = DoctorReport {
        cluster: cluster.name.clone(),
        url: cluster.url.clone(),
        auth: cluster.auth.describe(),
        tls: cluster.tls.describe(),
        fingerprint: None,
        checks: Vec::new(),
        ok: false,
    };
    // 1. Reachability.
    let reach = match host_port(&cluster.url) {
        Some((h, p)) => {
            let addr = format!("{h}:{p}");
            match tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::TcpStream::connect(&addr),
            )
            .await
            {
                Ok(Ok(_)) => Check {
                    name: "reachable".into(),
                    ok: true,
                    detail: format!("TCP connect to {addr}"),
                    fix: None,
                },
                Ok(Err(e)) => Check {
                    name: "reachable".into(),
                    ok: false,
                    detail: format!("{addr}: {e}"),
                    fix: Some(
                        "check the URL and port (PVE: 8006), that pveproxy runs, and firewalls"
                            .into(),
                    ),
                },
                Err(_) => Check {
                    name: "reachable".into(),
                    ok: false,
                    detail: format!("{addr}: no answer within 5 s"),
                    fix: Some("check the network path and firewalls to port 8006".into()),
                },
            }
        }
        None => Check {
            name: "reachable".into(),
            ok: false,
            detail: format!("cannot parse host and port from {}", cluster.url),
            fix: Some("set url = \"https://HOST:8006\"".into()),
        },
    };
    let reachable = reach.ok;
    checks.push(reach);
    if !reachable {
        report.checks = checks;
        return report;
    }
    let client = match PveClient::connect(cluster) {
        Ok(c) => c,
        Err(e) => {
            checks.push(failed("tls", &e));
            report.checks = checks;
            return report;
        }
    };
    // 2. TLS and 3. authentication, with one request.
    let version = client.call(&crate::ApiRequest::get("/version")).await;
    report.fingerprint = client.seen_fingerprint();
    match &version {
        Err(e @ Error::Tls { .. }) => {
            checks.push(failed("tls", e));
            report.checks = checks;
            return report;
        }
        Err(e @ Error::Transport { .. }) => {
            checks.push(failed("tls", e));
            report.checks = checks;
            return report;
        }
        _ => {
            let detail = match &cluster.tls {
                Tls::Insecure => "handshake done WITHOUT verification (insecure = true); pin the fingerprint above instead".to_string(),
                t => format!("certificate accepted ({})", t.describe()),
            };
            checks.push(Check {
                name: "tls".into(),
                ok: !matches!(cluster.tls, Tls::Insecure),
                fix: matches!(cluster.tls, Tls::Insecure).then(|| {
                    format!(
                    "set PROVISIO_PVE_FINGERPRINT={} (or `fingerprint = ...`) and drop insecure",
                    report.fingerprint.clone().unwrap_or_default()
                )
                }),
                detail,
            });
        }
    }
    match version {
        Ok(v) => checks.push(Check {
            name: "auth".into(),
            ok: true,
            detail: format!(
                "{} accepted; PVE {}",
                cluster.auth.describe(),
                v["version"].as_str().unwrap_or("?")
            ),
            fix: None,
        }),
        Err(e) => {
            checks.push(failed("auth", &e));
            report.checks = checks;
            return report;
        }
    }
    // 4. Privileges.
    let who = match &cluster.auth {
        Auth::Token { id, .. } => format!("--tokens '{id}'"),
        Auth::Ticket { username, .. } => format!("--users '{username}'"),
    };
    match client
        .request::<BTreeMap<String, BTreeMap<String, serde_json::Value>>>(&crate::ApiRequest::get(
            "/access/permissions",
        ))
        .await
    {
        Ok(perms) => {
            let mut wanted: Vec<&(&str, &str, &str)> = READ_PRIVILEGES.iter().collect();
            if apply {
                wanted.extend(APPLY_PRIVILEGES.iter());
            }
            for (path, privilege, why) in wanted {
                let ok = holds(&perms, path, privilege);
                checks.push(Check {
                    name: format!("privilege {privilege} on {path}"),
                    ok,
                    detail: if ok {
                        format!("held ({why})")
                    } else {
                        format!("MISSING: needed by {why}")
                    },
                    fix: (!ok).then(|| {
                        format!(
                            "pveum acl modify {path} {who} --roles {}",
                            if apply && APPLY_PRIVILEGES.iter().any(|(_, p, _)| p == privilege) {
                                "PVEVMAdmin"
                            } else {
                                "PVEAuditor"
                            }
                        )
                    }),
                });
            }
        }
        Err(e) => checks.push(failed("privileges", &e)),
    }
    report.ok = checks.iter().all(|c| c.ok);
    report.checks = checks;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_propagation() {
        let perms: BTreeMap<String, BTreeMap<String, serde_json::Value>> = serde_json::from_str(
            r#"{"/vms":{"VM.Audit":1},"/storage/local":{"Datastore.Audit":1}}"#,
        )
        .unwrap();
        assert!(holds(&perms, "/vms", "VM.Audit"));
        assert!(holds(&perms, "/vms/100", "VM.Audit"));
        assert!(!holds(&perms, "/storage", "Datastore.Audit"));
        assert!(!holds(&perms, "/", "Sys.Audit"));
        assert_eq!(host_port("https://pve:8006"), Some(("pve".into(), 8006)));
        assert_eq!(host_port("https://[::1]:8006"), Some(("::1".into(), 8006)));
    }
}
