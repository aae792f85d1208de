//! Each rule on a small case that must trigger it and a fixed case that must not, plus a
//! snapshot of the rendered findings (messages and fix hints) of a module with many defects.
//! The shared cases and helpers are here; the rules' tests by input kind in `terraform.rs`
//! and `kubernetes.rs` (one test binary).
use provisio_lint::facts::{GuestFacts, NetFacts, NodeFacts, StorageFacts};
use provisio_lint::{lint, render_text, ClusterFacts, Input};
use provisio_pve::{SiteFacts, SubnetFact, VnetFact};

mod kubernetes;
mod terraform;

fn facts() -> ClusterFacts {
    let mut f = ClusterFacts {
        cluster: "lab".into(),
        ..Default::default()
    };
    for n in ["pve1", "pve2"] {
        f.nodes.push(NodeFacts {
            name: n.into(),
            online: n == "pve1",
            cpus: Some(8),
            mem_total_mib: Some(16384),
            mem_free_mib: Some(4096),
            ..Default::default()
        });
    }
    f.storages.push(StorageFacts {
        name: "local-lvm".into(),
        kind: "lvmthin".into(),
        content: vec!["images".into(), "rootdir".into()],
        nodes: vec!["pve1".into()],
        shared: false,
        files: None,
        ..Default::default()
    });
    f.storages.push(StorageFacts {
        name: "iso".into(),
        kind: "dir".into(),
        content: vec!["iso".into()],
        nodes: vec![],
        shared: true,
        files: None,
        ..Default::default()
    });
    f.storages.push(StorageFacts {
        name: "snip".into(),
        kind: "dir".into(),
        content: vec!["snippets".into()],
        nodes: vec![],
        shared: true,
        files: Some(
            [(
                "snippets".to_string(),
                vec!["agent.yml".to_string(), "user-data.yml".to_string()],
            )]
            .into(),
        ),
        ..Default::default()
    });
    f.guests.push(GuestFacts {
        vmid: 9001,
        name: "local-tmpl".into(),
        node: "pve2".into(),
        template: true,
        agent: true,
        linked_clone_any_node: false,
        ..Default::default()
    });
    f.guests.push(GuestFacts {
        vmid: 9000,
        name: "tmpl".into(),
        node: "pve1".into(),
        template: true,
        agent: true,
        linked_clone_any_node: true,
        disks_gib: [("scsi0".to_string(), 20.0)].into(),
    });
    f.guests.push(GuestFacts {
        vmid: 101,
        name: "db".into(),
        node: "pve1".into(),
        template: false,
        agent: false,
        linked_clone_any_node: true,
        ..Default::default()
    });
    f.used_vmids = [9000, 101].into();
    f.networks.push(NetFacts {
        name: "vmbr0".into(),
        kind: "bridge".into(),
        nodes: vec!["pve1".into(), "pve2".into()],
        subnets: vec![],
    });
    f.used_ipv4.insert("10.0.0.50".into(), "db (101)".into());
    f.merge_site(&SiteFacts {
        k3s_api_vip: Some("10.0.0.9".into()),
        metallb_pools: vec!["10.0.0.240-10.0.0.250".into()],
        namespaces: vec!["default".into(), "apps".into()],
        vnets: vec![VnetFact {
            name: "vnet1".into(),
            nodes: vec![],
            subnets: vec![SubnetFact {
                cidr: "10.0.0.0/24".into(),
                gateway: Some("10.0.0.1".into()),
            }],
        }],
        ..Default::default()
    })
    .unwrap();
    f
}

const PROVIDER: &str = r#"
terraform {
  required_providers {
    proxmox = { source = "bpg/proxmox" }
  }
}
variable "api_token" {
  type      = string
  sensitive = true
}
provider "proxmox" {
  endpoint  = "https://pve1:8006/"
  api_token = var.api_token
}
"#;

fn vm(body: &str) -> String {
    format!("{PROVIDER}\nresource \"proxmox_virtual_environment_vm\" \"web\" {{\n  node_name = \"pve1\"\n  agent {{\n    enabled = true\n  }}\n{body}\n}}\n")
}

fn codes(path: &str, text: &str) -> Vec<String> {
    lint(
        &[Input {
            path: path.into(),
            content: text.into(),
        }],
        Some(&facts()),
    )
    .into_iter()
    .map(|f| f.code)
    .collect()
}

/// The rule harness: `code` must be raised on `bad` and not on `good` (both linted as `path`
/// against [`facts`]), and the findings of `code` on `bad` (line, message, fix) are a snapshot
/// in `snapshots/per-rule/`, named `CODE-HASH` after the input (FNV-1a of `bad`), so what each
/// rule says about each of its fixtures is reviewed when it changes.
fn harness(path: &str, code: &str, bad: &str, good: &str) {
    let b = codes(path, bad);
    assert!(
        b.iter().any(|c| c == code),
        "{code} not raised on:\n{bad}\ngot {b:?}"
    );
    let g = codes(path, good);
    assert!(
        !g.iter().any(|c| c == code),
        "{code} raised on the fixed case:\n{good}\ngot {g:?}"
    );
    let findings: Vec<_> = lint(
        &[Input {
            path: path.into(),
            content: bad.into(),
        }],
        Some(&facts()),
    )
    .into_iter()
    .filter(|f| f.code == code)
    .collect();
    // FNV-1a: a name that stays the same for the same input on every toolchain.
    let hash = bad.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    insta::with_settings!({
        snapshot_path => "snapshots/per-rule",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("{code}-{hash:08x}"), render_text(&findings));
    });
}

fn case(code: &str, bad: &str, good: &str) {
    harness("m/main.tf", code, bad, good)
}

fn kcase(code: &str, bad: &str, good: &str) {
    harness("k/app.yaml", code, bad, good)
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - name: http
              containerPort: 80
          readinessProbe:
            httpGet:
              path: /
              port: http
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              memory: 128Mi
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    metallb.io/loadBalancerIPs: 10.0.0.241
spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
    - port: 80
      targetPort: http
";

/// Rules that are not run through the harness ([`harness`] here, `tcase` of
/// tests/k3s_inventory.rs), each with where it is tested and why.
const OUTSIDE_HARNESS: &[(&str, &str)] = &[
    (
        "PV109",
        "needs the live cluster's storage classes: tests/live_k8s.rs",
    ),
    (
        "PV900",
        "an input no rule checks: tests/k3s_inventory.rs, tests/provider_versions.rs",
    ),
];

/// Every rule has fixtures in the harness (a snapshot per fixture), or is listed above.
#[test]
fn every_rule_goes_through_the_harness() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules/snapshots/per-rule");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("snapshots/per-rule")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    for r in provisio_lint::rules::RULES {
        let snapshotted = names.iter().any(|n| n.starts_with(&format!("{}-", r.code)));
        let outside = OUTSIDE_HARNESS.iter().any(|(c, _)| *c == r.code);
        assert!(
            snapshotted != outside,
            "{}: {}",
            r.code,
            if outside {
                "it has harness snapshots now: take it off OUTSIDE_HARNESS"
            } else {
                "no fixture in the harness: add a case()/kcase() with a failing and a fixed input"
            }
        );
    }
}

#[test]
fn findings_snapshot() {
    let text = vm(r#"  vm_id = 101
  clone {
    vm_id = 9999
  }
  memroy {
    dedicated = 1024
  }
  memory {
    dedicated = "16GB"
  }
  disk {
    interface    = "scsi0"
    datastore_id = "iso"
  }
  network_device {
    bridge = "vmbr9"
  }
  description = var.missing
"#);
    let findings = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: text,
        }],
        Some(&facts()),
    );
    insta::assert_snapshot!(render_text(&findings));
    // The same findings as SARIF name every rule and place every result.
    let sarif = provisio_lint::sarif::to_sarif(&findings);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );
}

#[test]
fn no_cluster_skips_cluster_rules() {
    let text = vm("  vm_id = 101\n");
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: text,
        }],
        None,
    );
    assert!(!f.iter().any(|x| x.code == "PV046"), "{f:?}");
}

/// The first finding of `code` on one Kubernetes file (panics when there is none).
fn kfind(code: &str, path: &str, content: &str) -> provisio_lint::Finding {
    lint(
        &[Input {
            path: path.into(),
            content: content.into(),
        }],
        None,
    )
    .into_iter()
    .find(|f| f.code == code)
    .unwrap_or_else(|| panic!("{code} not raised on:\n{content}"))
}
