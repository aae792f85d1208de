//! The PVE client and `cluster_state` against fakepve serving the thesis lab: token and ticket
//! auth, CA file and fingerprint pinning (right and wrong), a 403, an offline node, lost quorum,
//! a slow API, views, filters, paging and the byte budget.
mod common;

use std::time::Duration;

use common::Lab;
use provisio_pve::doctor::doctor;
use provisio_pve::{cluster_state, ApiRequest, ClusterStateRequest, Error, PveClient, Tls, View};

fn req(view: View) -> ClusterStateRequest {
    ClusterStateRequest {
        view,
        ..Default::default()
    }
}

fn size(s: &provisio_pve::ClusterState) -> usize {
    serde_json::to_vec(s).unwrap().len()
}

#[tokio::test]
async fn summary_of_the_thesis_lab_with_token_and_pinned_certificate() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), lab.pinned())).unwrap();
    let s = cluster_state(&c, &req(View::Summary)).await.unwrap();
    assert_eq!(s.cluster, "lab");
    assert!(s.tls.starts_with("pinned"), "{}", s.tls);
    assert!(s.health.quorate);
    assert_eq!((s.health.nodes_total, s.health.nodes_online), (3, 3));
    assert_eq!(s.health.name.as_deref(), Some("homelab"));
    let nodes = s.nodes.as_ref().unwrap();
    assert_eq!(
        nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["pmox01", "pmox02", "pmox03"]
    );
    // pmox02 runs AI-server (8 vCPU, 16 GiB), control-node-2 (2, 4 GiB), worker-node-1 (4, 8 GiB).
    let p2 = &nodes[1];
    assert_eq!(p2.vcpus_allocated, 14);
    assert_eq!(p2.mem_allocated_mib, 16384 + 4096 + 8192);
    assert_eq!(p2.mem_free_mib, Some(65536 - 28672));
    assert_eq!(p2.cpus, Some(16));
    assert!(
        p2.image_storages.contains(&"pmoxpool01".to_string())
            && p2.image_storages.contains(&"local-lvm".to_string())
    );
    let st = s.storages.as_ref().unwrap();
    let rbd = st.iter().find(|x| x.name == "pmoxpool01").unwrap();
    assert!(rbd.shared && rbd.images && rbd.kind == "rbd" && rbd.nodes.len() == 3);
    let cephfs = st.iter().find(|x| x.name == "cephfs").unwrap();
    assert!(cephfs.shared && !cephfs.images);
    let t = &s.templates.as_ref().unwrap()[0];
    assert_eq!(
        (t.vmid, t.name.as_str(), t.node.as_str()),
        (100, "k3s-template", "pmox01")
    );
    assert!(t.cloud_init && t.agent && t.linked_clone_any_node);
    assert_eq!(t.disks[0].storage, "pmoxpool01");
    assert_eq!(t.disks[0].size_gib, Some(32.0));
    assert_eq!(
        s.used_vmids.as_ref().map(ToString::to_string).as_deref(),
        Some("100-101,103,111-113,122-123")
    );
    assert_eq!(s.next_vmid, Some(102));
    let counts = s.guest_counts.as_ref().unwrap();
    assert_eq!((counts.vms, counts.running, counts.templates), (7, 7, 1));
    assert_eq!(s.network.as_ref().unwrap().bridges[0].name, "vmbr0");
    let pools = s.pools.as_ref().unwrap();
    assert_eq!((pools[0].name.as_str(), pools[0].guests), ("k3s", 5));
    assert_eq!(s.ceph.as_deref(), Some("HEALTH_OK"));
    assert!(s.guests.is_none(), "the summary does not list guests");
    let n = size(&s);
    eprintln!("summary: {n} bytes");
    assert!(
        n <= 2400,
        "summary is {n} bytes; it must stay about 2 KB on the lab"
    );
    let text = provisio_pve::state::view::render(&s);
    assert!(
        text.contains("cluster `lab`") && text.contains("next free VMID: 102"),
        "{text}"
    );
}

#[tokio::test]
async fn every_view_answers_within_its_budget() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), lab.pinned())).unwrap();
    for view in View::ALL {
        // The k8s view reads a Kubernetes API: tests/k8s runs it against kmock.
        if view == View::K8s {
            continue;
        }
        let s = cluster_state(&c, &req(view)).await.unwrap();
        let n = size(&s);
        eprintln!("view {:<9} {n:>6} bytes", view.as_str());
        assert_eq!(s.view, view);
        assert!(n <= if view == View::Summary { 8192 } else { 24576 });
        match view {
            View::Nodes => assert!(s.nodes.unwrap()[0].cpu_overcommit.is_some()),
            View::Storage => {
                let local = s
                    .storages
                    .unwrap()
                    .into_iter()
                    .find(|x| x.name == "local-lvm")
                    .unwrap();
                assert_eq!(
                    local.per_node.unwrap().len(),
                    3,
                    "a local storage is listed per node"
                );
            }
            View::Ha => assert!(s.ha.is_some()),
            View::Full => assert!(
                s.nodes.is_some()
                    && s.guests.is_some()
                    && s.used_ipv4.is_some()
                    && s.templates.is_some()
            ),
            _ => {}
        }
    }
}

#[tokio::test]
async fn guests_filters_paging_and_ips() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), lab.pinned())).unwrap();
    let mut r = req(View::Guests);
    r.tag = Some("worker".into());
    let s = cluster_state(&c, &r).await.unwrap();
    let g = s.guests.unwrap();
    assert_eq!(g.iter().map(|g| g.vmid).collect::<Vec<_>>(), [122, 123]);
    assert_eq!(g[0].ipv4, ["192.168.1.122"]);
    assert_eq!(g[0].pool.as_deref(), Some("k3s"));

    let mut r = req(View::Guests);
    r.name = Some("control-*".into());
    r.limit = Some(2);
    let s = cluster_state(&c, &r).await.unwrap();
    let p = s.page.unwrap();
    assert_eq!(
        (p.total, p.returned, p.next_cursor.as_deref()),
        (3, 2, Some("o:2"))
    );
    r.cursor = p.next_cursor;
    let s2 = cluster_state(&c, &r).await.unwrap();
    assert_eq!(
        s2.guests
            .unwrap()
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["control-node-3"]
    );
    assert!(s2.page.unwrap().next_cursor.is_none());

    let mut r = req(View::Guests);
    r.node = Some("pmox02".into());
    r.status = Some("running".into());
    let s = cluster_state(&c, &r).await.unwrap();
    let ai = s
        .guests
        .unwrap()
        .into_iter()
        .find(|g| g.vmid == 103)
        .unwrap();
    // From ipconfig0, plus the guest agent's docker0 (but not loopback).
    assert_eq!(ai.ipv4, ["192.168.1.103", "172.17.0.1"]);

    let s = cluster_state(&c, &req(View::Network)).await.unwrap();
    let ips: Vec<String> = s.used_ipv4.unwrap().into_iter().map(|u| u.ip).collect();
    assert!(
        ips.contains(&"192.168.1.111".to_string()) && ips.contains(&"172.17.0.1".to_string()),
        "{ips:?}"
    );
    assert!(!ips.iter().any(|i| i.starts_with("127.")));

    // Bad input: the field is named.
    for (r, field) in [
        (
            ClusterStateRequest {
                view: View::Guests,
                limit: Some(0),
                ..Default::default()
            },
            "limit",
        ),
        (
            ClusterStateRequest {
                view: View::Guests,
                cursor: Some("zz".into()),
                ..Default::default()
            },
            "cursor",
        ),
        (
            ClusterStateRequest {
                view: View::Guests,
                name: Some("[".into()),
                ..Default::default()
            },
            "name",
        ),
        (
            ClusterStateRequest {
                view: View::Guests,
                status: Some("up".into()),
                ..Default::default()
            },
            "status",
        ),
        (
            ClusterStateRequest {
                max_bytes: Some(10),
                ..Default::default()
            },
            "max_bytes",
        ),
    ] {
        match cluster_state(&c, &r).await {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_byte_budget_is_never_exceeded_and_cuts_are_reported() {
    let Some(lab) = Lab::start(&[], 120) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), lab.pinned())).unwrap();
    for max in [1500u32, 3000, 6000] {
        let r = ClusterStateRequest {
            view: View::Guests,
            limit: Some(100),
            max_bytes: Some(max),
            ..Default::default()
        };
        let s = cluster_state(&c, &r).await.unwrap();
        let n = size(&s);
        assert!(n <= max as usize, "{n} > {max}");
        let p = s.page.as_ref().unwrap();
        assert!(p.returned < 100 && p.returned >= 1, "{p:?}");
        assert_eq!(
            p.next_cursor.as_deref(),
            Some(format!("o:{}", p.returned).as_str())
        );
        assert!(
            s.truncated.iter().any(|t| t.starts_with("guests:")),
            "{:?}",
            s.truncated
        );
    }
    let s = cluster_state(
        &c,
        &ClusterStateRequest {
            view: View::Full,
            max_bytes: Some(4096),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(size(&s) <= 4096);
    assert!(!s.truncated.is_empty());
}

#[tokio::test]
async fn ca_file_and_wrong_fingerprint() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let ca = Tls::CaFile {
        path: lab.s("ca_file").into(),
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), ca)).unwrap();
    let v: serde_json::Value = c.get("/version").await.unwrap();
    assert_eq!(v["version"], "9.0.10");
    assert_eq!(
        c.seen_fingerprint().as_deref(),
        Some(lab.s("fingerprint").as_str())
    );

    let wrong = Tls::Pinned {
        fingerprint: ["AB"; 32].join(":"),
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), wrong)).unwrap();
    let e = c.call(&ApiRequest::get("/version")).await.unwrap_err();
    match &e {
        Error::Tls {
            seen_fingerprint,
            message,
        } => {
            assert_eq!(
                seen_fingerprint.as_deref(),
                Some(lab.s("fingerprint").as_str()),
                "{message}"
            );
            assert!(message.contains("mismatch"), "{message}");
        }
        other => panic!("expected a TLS error, got {other}"),
    }
    assert!(e.hint().unwrap().contains("PROVISIO_PVE_FINGERPRINT"));

    // Insecure is an explicit opt-in, and every answer says so.
    let c = PveClient::connect(&lab.cluster(lab.token(), Tls::Insecure)).unwrap();
    let s = cluster_state(&c, &req(View::Summary)).await.unwrap();
    assert!(s.tls.starts_with("INSECURE"), "{}", s.tls);
    assert!(provisio_pve::state::view::render(&s).contains("TLS: INSECURE"));

    // The system CA store does not know the lab's CA.
    if let Ok(c) = PveClient::connect(&lab.cluster(lab.token(), Tls::SystemCa)) {
        let e = c.call(&ApiRequest::get("/version")).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Tls {
                    seen_fingerprint: Some(_),
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[tokio::test]
async fn ticket_auth_reads_and_writes_with_csrf() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.ticket(), lab.pinned())).unwrap();
    let s = cluster_state(&c, &req(View::Summary)).await.unwrap();
    assert_eq!(s.health.nodes_online, 3);
    c.call(
        &ApiRequest::post("/pools")
            .form("poolid", "provisio-test")
            .form("comment", "made by a test"),
    )
    .await
    .unwrap();
    let pools: Vec<serde_json::Value> = c.get("/pools").await.unwrap();
    assert!(
        pools.iter().any(|p| p["poolid"] == "provisio-test"),
        "{pools:?}"
    );

    let bad = provisio_pve::Auth::Ticket {
        username: "root@pam".into(),
        password: provisio_pve::Secret::new("nope"),
    };
    let c = PveClient::connect(&lab.cluster(bad, lab.pinned())).unwrap();
    let e = c.call(&ApiRequest::get("/version")).await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(e.hint().unwrap().contains("username"), "{e}");
}

#[tokio::test]
async fn wrong_token_and_missing_privileges() {
    let Some(lab) = Lab::start(&[], 0) else {
        return;
    };
    let bad = provisio_pve::Auth::Token {
        id: lab.s("token_id"),
        secret: provisio_pve::Secret::new("wrong"),
    };
    let c = PveClient::connect(&lab.cluster(bad, lab.pinned())).unwrap();
    let e = cluster_state(&c, &req(View::Summary)).await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(e.to_string().contains("provisio@pve!ci"), "{e}");
    assert!(
        !e.to_string().contains("wrong"),
        "the secret must not appear: {e}"
    );

    // VM.Audit on /vms only: guests are readable, the rest comes back as warnings naming the privilege.
    let c = PveClient::connect(&lab.cluster(lab.limited_token(), lab.pinned())).unwrap();
    let s = cluster_state(&c, &req(View::Summary)).await.unwrap();
    assert_eq!(s.guest_counts.as_ref().unwrap().vms, 7);
    let w = s.warnings.join("\n");
    assert!(w.contains("HTTP 403") && w.contains("Sys.Audit"), "{w}");
    assert!(w.contains("pveum acl modify"), "{w}");

    let report = doctor(&lab.cluster(lab.limited_token(), lab.pinned()), false).await;
    eprintln!("{}", report.render());
    assert!(!report.ok);
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        failed.contains(&"privilege Sys.Audit on /")
            && failed.contains(&"privilege Datastore.Audit on /storage"),
        "{failed:?}"
    );
    assert!(!failed.contains(&"privilege VM.Audit on /vms"));
    let fix = report
        .checks
        .iter()
        .find(|c| c.name == "privilege Sys.Audit on /")
        .unwrap()
        .fix
        .clone()
        .unwrap();
    assert_eq!(
        fix,
        "pveum acl modify / --tokens 'auditor@pve!limited' --roles PVEAuditor"
    );

    let good = doctor(&lab.cluster(lab.token(), lab.pinned()), true).await;
    eprintln!("{}", good.render());
    assert!(good.ok, "{}", good.render());
    assert_eq!(
        good.fingerprint.as_deref(),
        Some(lab.s("fingerprint").as_str())
    );
}

#[tokio::test]
async fn offline_node_and_lost_quorum() {
    let Some(lab) = Lab::start(&["offline:pmox03", "noquorum"], 0) else {
        return;
    };
    let c = PveClient::connect(&lab.cluster(lab.token(), lab.pinned())).unwrap();
    let s = cluster_state(&c, &req(View::Full)).await.unwrap();
    assert!(!s.health.quorate);
    assert_eq!(s.health.nodes_online, 2);
    assert!(s.warnings[0].contains("NO QUORUM"), "{:?}", s.warnings);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("node pmox03 is offline")),
        "{:?}",
        s.warnings
    );
    let p3 = s
        .nodes
        .as_ref()
        .unwrap()
        .iter()
        .find(|n| n.name == "pmox03")
        .unwrap();
    assert!(!p3.online);
    let w2 = s
        .guests
        .as_ref()
        .unwrap()
        .iter()
        .find(|g| g.vmid == 123)
        .unwrap();
    assert_eq!(w2.status, "unknown");
    assert!(s.network.as_ref().unwrap().bridges[0].nodes == ["pmox01", "pmox02"]);
    // A request for the offline node itself: PVE's 595 with a hint.
    let e = c
        .call(&ApiRequest::get("/nodes/pmox03/network"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(595));
    assert!(e.hint().unwrap().contains("offline"), "{e}");
}

#[tokio::test]
async fn slow_api_times_out_with_a_hint() {
    let Some(lab) = Lab::start(&["latency:1.5"], 0) else {
        return;
    };
    let mut cfg = lab.cluster(lab.token(), lab.pinned());
    cfg.timeout = Duration::from_millis(400);
    cfg.retries = 1;
    let c = PveClient::connect(&cfg).unwrap();
    let t = std::time::Instant::now();
    let e = cluster_state(&c, &req(View::Summary)).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(e.hint().unwrap().contains("timeout_secs"));
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "two attempts of 0.4 s plus backoff, not more"
    );
}
