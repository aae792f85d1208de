//! PV125: what the Pod Security Standards' *baseline* profile forbids, besides privileged
//! containers (PV121): the host's network, PID or IPC namespace, hostPath volumes, capabilities
//! beyond the baseline set, unmasked `/proc`, an unconfined seccomp profile, and unsafe sysctls.
//! A namespace enforcing `baseline` or `restricted` refuses such pods; elsewhere they run with
//! access to the node. Warnings: node agents (CNI, storage, monitoring) need some of these.
//!
//! Rules reported here: PV125 pod-security-baseline, PV126 runs-as-root.
use crate::finding::Sink;
use crate::rules::Code;
use crate::yaml::N;

/// Capabilities the baseline profile allows to add.
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the baseline profile allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

fn is_true(n: &N) -> bool {
    n.str() == Some("true")
}

fn warn(sink: &mut Sink, at: &N, what: String, fix: &str) {
    sink.push(
        Code::PV125,
        at.span(),
        format!("{what}: the Pod Security Standards' baseline profile forbids it (a namespace enforcing it refuses the pod)"),
        Some(fix.to_string()),
    );
}

/// PV125 for one pod spec.
pub fn check(spec: &N, sink: &mut Sink) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(v) = spec.get(field).filter(|v| is_true(v)) {
            warn(
                sink,
                v,
                format!("`{field}: true` shares the node's namespace with the pod"),
                "leave it out unless this is a node agent that needs it; expose ports through a Service instead",
            );
        }
    }
    for v in spec.get("volumes").map(N::seq).unwrap_or(&[]) {
        if let Some(h) = v.get("hostPath") {
            let path = h.get("path").and_then(N::str).unwrap_or("?");
            warn(
                sink,
                v.get("name").unwrap_or(v),
                format!("volume mounts the node's `{path}` (hostPath)"),
                "use a PersistentVolumeClaim, a ConfigMap or an emptyDir instead",
            );
        }
    }
    check_context(spec.get("securityContext"), sink);
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec.get(list).map(N::seq).unwrap_or(&[]) {
            let sc = c.get("securityContext");
            check_context(sc, sink);
            for cap in sc
                .and_then(|s| s.path(&["capabilities", "add"]))
                .map(N::seq)
                .unwrap_or(&[])
            {
                let Some(name) = cap.str() else { continue };
                let bare = name.trim_start_matches("CAP_");
                if !BASELINE_CAPS.contains(&bare) {
                    warn(
                        sink,
                        cap,
                        format!("capability `{name}` is added"),
                        "drop it; add only capabilities the baseline allows (e.g. NET_BIND_SERVICE)",
                    );
                }
            }
            if let Some(pm) = sc.and_then(|s| s.get("procMount")) {
                if pm.str() == Some("Unmasked") {
                    warn(
                        sink,
                        pm,
                        "`procMount: Unmasked` exposes the host's /proc paths".into(),
                        "leave procMount at Default",
                    );
                }
            }
        }
    }
}

/// PV126: what a pod spells out that the *restricted* profile forbids and that a workload
/// rarely needs: running as root (`runAsUser: 0`) and `allowPrivilegeEscalation: true`.
/// Only explicit settings are judged (an image's default user is not known here); a pod-level
/// `runAsUser: 0` that every container overrides is not reported.
pub fn root(spec: &N, sink: &mut Sink) {
    let zero = |n: &N| matches!(&n.y, crate::yaml::Y::Scalar(s, false) if s.trim() == "0");
    let containers: Vec<&N> = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|l| spec.get(l).map(N::seq).unwrap_or(&[]))
        .collect();
    let own_user = |c: &&N| c.path(&["securityContext", "runAsUser"]).is_some();
    let as_root = |sink: &mut Sink, at: &N, whose: String| {
        sink.push(
            Code::PV126,
            at.span(),
            format!("{whose} runs as root (`runAsUser: 0`): a process that escapes the container is root on the node, and namespaces enforcing the restricted Pod Security profile refuse it"),
            Some("run as an unprivileged user (e.g. `runAsUser: 1000` with `runAsNonRoot: true`); use `fsGroup` for volume permissions".into()),
        );
    };
    if let Some(u) = spec
        .path(&["securityContext", "runAsUser"])
        .filter(|u| zero(u))
    {
        if containers.is_empty() || !containers.iter().all(own_user) {
            as_root(sink, u, "the pod".into());
        }
    }
    for c in &containers {
        let name = c.get("name").and_then(N::str).unwrap_or("?");
        if let Some(u) = c
            .path(&["securityContext", "runAsUser"])
            .filter(|u| zero(u))
        {
            as_root(sink, u, format!("container `{name}`"));
        }
        if let Some(a) = c.path(&["securityContext", "allowPrivilegeEscalation"]) {
            if is_true(a) {
                sink.push(
                    Code::PV126,
                    a.span(),
                    format!("container `{name}` sets `allowPrivilegeEscalation: true`: setuid binaries can gain more privileges than the process has; the restricted Pod Security profile forbids it"),
                    Some("set `allowPrivilegeEscalation: false` (or leave it out)".into()),
                );
            }
        }
    }
}

/// Seccomp and sysctls of a pod's or a container's securityContext.
fn check_context(sc: Option<&N>, sink: &mut Sink) {
    let Some(sc) = sc else { return };
    if let Some(t) = sc.path(&["seccompProfile", "type"]) {
        if t.str() == Some("Unconfined") {
            warn(
                sink,
                t,
                "`seccompProfile.type: Unconfined` turns off syscall filtering".into(),
                "use `RuntimeDefault`",
            );
        }
    }
    for s in sc.get("sysctls").map(N::seq).unwrap_or(&[]) {
        if let Some(n) = s.get("name") {
            let name = n.str().unwrap_or("");
            if !SAFE_SYSCTLS.contains(&name) {
                warn(
                    sink,
                    n,
                    format!("sysctl `{name}` is not one of the safe, namespaced sysctls"),
                    "set it on the node, or use a safe sysctl",
                );
            }
        }
    }
}
