//! draft_manifest on the thesis lab's state (`corpus/fixtures/state/lab.json`, a `cluster_state`
//! full view of tests/pve/fakelab.py): grounding decisions, questions instead of guesses, files
//! snapshot-tested, parsed back, and `terraform fmt`-clean where terraform is installed.
use std::path::PathBuf;

use provisio_draft::{draft, Draft};
use provisio_plan::{parse, Plan, Provider};
use provisio_pve::ClusterState;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fixtures")
}

fn state() -> ClusterState {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("state/lab.json")).unwrap())
        .unwrap()
}

fn plan(name: &str) -> Plan {
    parse(&std::fs::read_to_string(fixtures().join("plans").join(name)).unwrap()).unwrap()
}

fn files_text(d: &Draft) -> String {
    d.files
        .iter()
        .map(|f| format!("### {}\n{}", f.path, f.content))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every .tf file parses back and `terraform fmt` leaves it unchanged.
fn check_terraform(d: &Draft) {
    for f in d.files.iter().filter(|f| f.path.ends_with(".tf")) {
        hcl::parse(&f.content)
            .unwrap_or_else(|e| panic!("{} does not parse back: {e}\n{}", f.path, f.content));
        assert!(
            !f.content.contains("CHANGE-ME"),
            "no placeholder secret in {}",
            f.path
        );
    }
    let Ok(out) = std::process::Command::new("terraform")
        .arg("version")
        .output()
    else {
        eprintln!("SKIPPED terraform fmt check: no terraform on PATH");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile_dir();
    for f in d.files.iter().filter(|f| f.path.ends_with(".tf")) {
        std::fs::write(dir.join(&f.path), &f.content).unwrap();
    }
    let out = std::process::Command::new("terraform")
        .args(["fmt", "-check", "-diff", "-no-color"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt would change:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "provisio-draft-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn webserver_from_template_100_bpg() {
    let d = draft(&plan("webserver.json"), &state()).unwrap();
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    let about: Vec<(&str, &str)> = d
        .decisions
        .iter()
        .map(|x| (x.about.as_str(), x.value.as_str()))
        .collect();
    // VMID 102 is the lowest free one; 192.168.1.2 the lowest free address (.1 is the gateway).
    assert!(about.contains(&("web-1.vmid", "102")), "{about:?}");
    assert!(
        about.contains(&("web-1.ipv4", "192.168.1.2/24")),
        "{about:?}"
    );
    assert!(
        about.contains(&("web-1.scsi0.storage", "pmoxpool01")),
        "{about:?}"
    );
    assert_eq!(
        d.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        [
            "providers.tf",
            "variables.tf",
            "main.tf",
            "terraform.tfvars.example"
        ]
    );
    check_terraform(&d);
    insta::assert_snapshot!("webserver_bpg", files_text(&d));
    insta::assert_yaml_snapshot!("webserver_bpg_decisions", d.decisions);
    // Deterministic.
    assert_eq!(draft(&plan("webserver.json"), &state()).unwrap(), d);
}

#[test]
fn webserver_telmate_with_password_variable() {
    let mut p = plan("webserver.json");
    p.provider = Provider::Telmate;
    if let provisio_plan::Item::Vm(v) = &mut p.items[0] {
        v.cloud_init.as_mut().unwrap().password_variable = Some("vm_password".into());
        v.count = 2;
        v.name = "web-{n}".into();
    }
    let d = draft(&p, &state()).unwrap();
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    let nodes: Vec<&str> = d
        .decisions
        .iter()
        .filter(|x| x.about.ends_with(".node"))
        .map(|x| x.value.as_str())
        .collect();
    assert_eq!(nodes.len(), 2);
    assert_ne!(nodes[0], nodes[1], "spread across nodes");
    let vars = &d
        .files
        .iter()
        .find(|f| f.path == "variables.tf")
        .unwrap()
        .content;
    assert!(
        vars.contains("variable \"vm_password\"") && vars.contains("sensitive   = true"),
        "{vars}"
    );
    let main = &d
        .files
        .iter()
        .find(|f| f.path == "main.tf")
        .unwrap()
        .content;
    assert!(
        main.contains("cipassword") && main.contains("var.vm_password"),
        "{main}"
    );
    check_terraform(&d);
    insta::assert_snapshot!("webserver_telmate", files_text(&d));
}

#[test]
fn questions_instead_of_guesses() {
    let base = std::fs::read_to_string(fixtures().join("plans/webserver.json")).unwrap();
    let cases = [
        (base.replace("\"vmid\": 100", "\"vmid\": 999"), "items[0].source"),
        (base.replace("\"placement\": {\"mode\": \"auto\"}", "\"placement\": {\"mode\": \"node\", \"node\": \"pmox09\"}"), "items[0].placement.node"),
        (base.replace("{\"bridge\": \"vmbr0\"}", "{\"bridge\": \"vmbr7\"}"), "items[0].placement"),
        (base.replace("{\"size_gib\": 32}", "{\"size_gib\": 32, \"storage\": \"cephfs\"}"), "items[0].disks[0].storage"),
        (base.replace("{\"size_gib\": 32}", "{\"size_gib\": 8}"), "items[0].disks[0].size_gib"),
        (
            base.replace("\"placement\"", "\"vmid\": 111, \"placement\""),
            "items[0].vmid",
        ),
        (
            base.replace("{\"mode\": \"auto\", \"subnet\": \"192.168.1.0/24\", \"gateway\": \"192.168.1.1\"}", "{\"mode\": \"static\", \"cidr\": \"192.168.1.112/24\", \"gateway\": \"192.168.1.1\"}"),
            "items[0].ip.cidr",
        ),
        (base.replace("\"memory_mib\": 2048", "\"memory_mib\": 262144"), "items[0].placement"),
    ];
    for (json, field) in cases {
        let d = draft(&parse(&json).unwrap(), &state()).unwrap();
        assert!(d.files.is_empty(), "{field}: no files with open questions");
        assert!(
            d.questions.iter().any(|q| q.field == field),
            "{field}: {:?}",
            d.questions
        );
    }
}

#[test]
fn k3s_cluster_three_masters_two_workers() {
    let d = draft(&plan("k3s-lab.json"), &state()).unwrap();
    // The lab's own 111-113/122-123 hold 192.168.1.111-113 and .122-.123: the plan's static
    // range starting at .111 collides, so the draft asks instead of guessing.
    assert!(d.files.is_empty());
    assert!(
        d.questions
            .iter()
            .any(|q| q.field == "items[0].ip.cidr" && q.question.contains("192.168.1.111")),
        "{:?}",
        d.questions
    );

    let text = std::fs::read_to_string(fixtures().join("plans/k3s-lab.json"))
        .unwrap()
        .replace(
            "\"cidr\": \"192.168.1.111/24\"",
            "\"cidr\": \"192.168.1.131/24\"",
        );
    let d = draft(&parse(&text).unwrap(), &state()).unwrap();
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    let masters: Vec<&str> = d
        .decisions
        .iter()
        .filter(|x| x.about.contains("-master-") && x.about.ends_with(".node"))
        .map(|x| x.value.as_str())
        .collect();
    let mut distinct = masters.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        3,
        "three masters on three nodes: {masters:?}"
    );
    let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "providers.tf",
            "variables.tf",
            "main.tf",
            "terraform.tfvars.example",
            "inventory/hosts.ini",
            "inventory/group_vars/all.yml"
        ]
    );
    let hosts = &d.files[4].content;
    assert!(hosts.starts_with("[master]\n192.168.1.131\n192.168.1.132\n192.168.1.133\n\n[node]\n192.168.1.134\n192.168.1.135\n"), "{hosts}");
    let all = &d.files[5].content;
    assert!(
        all.contains("apiserver_endpoint: \"192.168.1.100\"")
            && all.contains("metal_lb_ip_range: \"192.168.1.220-192.168.1.239\""),
        "{all}"
    );
    assert!(
        all.contains("K3S_TOKEN") && !all.contains("k3s_token: \"some"),
        "the token is not a literal"
    );
    check_terraform(&d);
    insta::assert_snapshot!("k3s_lab", files_text(&d));

    // k3s-io flavor, addresses allocated: never the VIP or the MetalLB range.
    let auto = text
        .replace("\"ip\": {\"mode\": \"static\", \"cidr\": \"192.168.1.131/24\", \"gateway\": \"192.168.1.1\"}", "\"ip\": {\"mode\": \"auto\", \"subnet\": \"192.168.1.0/24\", \"gateway\": \"192.168.1.1\"}")
        .replace("\"techno_tim\"", "\"k3s_io\"")
        .replace("192.168.1.100", "192.168.1.3");
    let d = draft(&parse(&auto).unwrap(), &state()).unwrap();
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    let inv = &d
        .files
        .iter()
        .find(|f| f.path == "inventory.yml")
        .unwrap()
        .content;
    assert!(
        inv.contains("192.168.1.2:")
            && inv.contains("192.168.1.4:")
            && !inv.contains("192.168.1.3:"),
        "{inv}"
    );
    assert!(inv.contains("api_endpoint: \"192.168.1.3\""), "{inv}");
    // The certificate names the VIP; servicelb gives way to MetalLB.
    assert!(
        inv.contains("extra_server_args: \"--tls-san 192.168.1.3 --disable servicelb\""),
        "{inv}"
    );
}

#[test]
fn nginx_app_with_a_load_balancer() {
    let d = draft(&plan("nginx-app.json"), &state()).unwrap();
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    let y = &d
        .files
        .iter()
        .find(|f| f.path == "k8s/nginx.yaml")
        .unwrap()
        .content;
    for want in [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "image: nginx:1.27",
        "kind: Service",
        "type: LoadBalancer",
        "metallb.io/loadBalancerIPs: 192.168.1.220",
        "readinessProbe:",
    ] {
        assert!(y.contains(want), "missing {want}:\n{y}");
    }
    insta::assert_snapshot!("nginx_app", y);

    // With a k3s cluster in the same plan, the IP is checked against its MetalLB range.
    let mut p = plan("k3s-lab.json");
    let text = std::fs::read_to_string(fixtures().join("plans/k3s-lab.json"))
        .unwrap()
        .replace("192.168.1.111/24", "192.168.1.131/24");
    p.items = parse(&text).unwrap().items;
    let mut app = plan("nginx-app.json").items.remove(0);
    if let provisio_plan::Item::K8sApp(a) = &mut app {
        a.service.load_balancer_ip = Some("192.168.1.50".into());
    }
    p.items.push(app);
    let d = draft(&p, &state()).unwrap();
    assert!(
        d.questions
            .iter()
            .any(|q| q.field == "items[1].service.load_balancer_ip"),
        "{:?}",
        d.questions
    );
}

/// With the live k3s layer in the state (cluster_state read the Kubernetes API), a requested
/// LoadBalancer IP is checked against the live MetalLB pools and the live Services' addresses.
#[test]
fn load_balancer_ip_is_checked_against_the_live_cluster() {
    let mut st = state();
    st.k8s = Some(
        serde_json::from_value(serde_json::json!({
            "context": "thesis", "server": "https://192.168.1.200:6443", "nodes": [],
            "metallb": {"pools": [{"name": "lan", "namespace": "metallb-system",
                                   "addresses": ["192.168.1.220-192.168.1.223"], "auto_assign": true}]},
            "load_balancers": [{"namespace": "kube-system", "name": "traefik", "ips": ["192.168.1.220"]}]
        }))
        .unwrap(),
    );
    let with_ip = |ip: &str| {
        let mut p = plan("nginx-app.json");
        if let provisio_plan::Item::K8sApp(a) = &mut p.items[0] {
            a.service.load_balancer_ip = Some(ip.into());
        }
        draft(&p, &st).unwrap()
    };
    // Held by a live Service: a question naming it and the first free address.
    let d = with_ip("192.168.1.220");
    let q = &d.questions[0].question;
    assert!(
        q.contains("kube-system/traefik") && q.contains("192.168.1.221"),
        "{q}"
    );
    assert!(d.files.is_empty());
    // Outside the live pools.
    let d = with_ip("192.168.1.230");
    assert!(
        d.questions[0]
            .question
            .contains("outside the live cluster's MetalLB pools"),
        "{:?}",
        d.questions
    );
    // Free and inside: a decision that says it was checked against the live cluster.
    let d = with_ip("192.168.1.222");
    assert!(d.questions.is_empty(), "{:?}", d.questions);
    assert!(d
        .decisions
        .iter()
        .any(|x| x.value == "192.168.1.222" && x.reason.contains("live cluster")));
}
