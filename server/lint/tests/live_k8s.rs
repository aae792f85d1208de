//! Kubernetes rules against the live k3s layer (`cluster_state` read the Kubernetes API): live
//! MetalLB pools and namespaces replace the site facts (each disagreement noted), addresses held
//! by live Services are taken (PV115), and claims name live storage classes (PV109).
mod common;

use provisio_lint::{ClusterFacts, Finding};
use provisio_pve::{K8sState, SiteFacts};

fn live() -> K8sState {
    serde_json::from_value(serde_json::json!({
        "context": "thesis", "server": "https://192.168.0.200:6443", "nodes": [],
        "namespaces": ["default", "kube-system", "web"],
        "storage_classes": [{"name": "local-path", "provisioner": "rancher.io/local-path", "default": true}],
        "metallb": {"pools": [{"name": "lan", "namespace": "metallb-system",
                               "addresses": ["192.168.0.246-192.168.0.254"], "auto_assign": true}]},
        "load_balancers": [
            {"namespace": "kube-system", "name": "traefik", "ips": ["192.168.0.246"]},
            {"namespace": "web", "name": "grafana", "requested": ["192.168.0.248"]}
        ]
    }))
    .unwrap()
}

fn facts(site: &SiteFacts) -> ClusterFacts {
    let mut f = ClusterFacts {
        cluster: "lab".into(),
        ..Default::default()
    };
    f.merge_site(site).unwrap();
    f.merge_k8s(&live());
    f
}

fn run(f: &ClusterFacts, yaml: &str) -> Vec<Finding> {
    common::run_with(&[("app.yaml", yaml)], Some(f))
}

fn service(ns: &str, name: &str, ip: &str) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    metallb.io/loadBalancerIPs: {ip}\nspec:\n  type: LoadBalancer\n  selector: {{app: {name}}}\n  ports: [{{port: 80}}]\n")
}

#[test]
fn an_address_held_by_a_live_service_is_taken() {
    let f = facts(&SiteFacts::default());
    let out = run(&f, &service("web", "shop", "192.168.0.246"));
    let taken: Vec<&Finding> = out
        .iter()
        .filter(|x| x.code == "PV115" && x.message.contains("live Service kube-system/traefik"))
        .collect();
    assert_eq!(taken.len(), 1, "{out:#?}");
    // An address only requested (not yet assigned) is taken as well.
    let out = run(&f, &service("web", "shop", "192.168.0.248"));
    assert!(
        out.iter().any(|x| x.message.contains("web/grafana")),
        "{out:#?}"
    );
    // The Service that holds it, declared again: no finding.
    let out = run(&f, &service("kube-system", "traefik", "192.168.0.246"));
    assert!(!out.iter().any(|x| x.code == "PV115"), "{out:#?}");
    // A free address of the live pool: no finding.
    let out = run(&f, &service("web", "shop", "192.168.0.250"));
    assert!(!out.iter().any(|x| x.code == "PV115"), "{out:#?}");
}

#[test]
fn live_pools_and_namespaces_win_over_the_site_facts_and_conflicts_are_noted() {
    let site = SiteFacts {
        metallb_pools: vec!["192.168.0.240-192.168.0.245".into()],
        namespaces: vec!["default".into(), "apps".into()],
        ..Default::default()
    };
    let f = facts(&site);
    assert_eq!(f.metallb_pools, vec!["192.168.0.246-192.168.0.254"]);
    assert_eq!(f.namespaces, vec!["default", "kube-system", "web"]);
    assert_eq!(f.conflicts.len(), 2, "{:?}", f.conflicts);
    assert!(f.conflicts[0].contains("192.168.0.240-192.168.0.245"));
    assert!(f.conflicts[1].contains("apps"));
    // An address of the site's (stale) pool is outside the live one.
    let out = run(&f, &service("web", "shop", "192.168.0.241"));
    assert!(
        out.iter().any(|x| x.code == "PV115"
            && x.message
                .contains("outside the MetalLB pools (192.168.0.246-192.168.0.254)")),
        "{out:#?}"
    );
    // Namespace `apps` is no longer known; `web` is.
    let out = run(&f, &service("apps", "shop", "192.168.0.250"));
    assert!(out.iter().any(|x| x.code == "PV118"), "{out:#?}");
    let out = run(&f, &service("web", "shop", "192.168.0.250"));
    assert!(!out.iter().any(|x| x.code == "PV118"), "{out:#?}");
}

#[test]
fn claims_name_a_live_storage_class() {
    let f = facts(&SiteFacts::default());
    let pvc = |class: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: web\nspec:\n  storageClassName: {class}\n  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n")
    };
    let out = run(&f, &pvc("local-paht"));
    let x = out.iter().find(|x| x.code == "PV109").expect("PV109");
    assert!(x.message.contains("local-paht") && x.message.contains("local-path"));
    assert_eq!(x.fix.as_deref(), Some("did you mean `local-path`?"));
    assert!(!run(&f, &pvc("local-path"))
        .iter()
        .any(|x| x.code == "PV109"));
    // Without the live layer the rule stays quiet.
    let mut site_only = ClusterFacts::default();
    site_only.merge_site(&SiteFacts::default()).unwrap();
    assert!(!run(&site_only, &pvc("longhorn"))
        .iter()
        .any(|x| x.code == "PV109"));
}
