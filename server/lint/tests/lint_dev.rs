//! The lint dev set (`../shared/eval/lint-dev`, read in place) with the lab of its
//! `cluster.json` turned into cluster facts: every seeded defect found at its line with its
//! category (our rule name), no errors on the good files. The same set is run end to end
//! against fakepve by tests/pve/test_lint_dev.py.
use std::path::PathBuf;

use provisio_lint::facts::{GuestFacts, NetFacts, NodeFacts, StorageFacts};
use provisio_lint::{lint, ClusterFacts, Input, Severity};
use provisio_pve::{ReservedIpv4, SiteFacts, SubnetFact, VnetFact};
use serde_json::Value;

fn dev_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/lint-dev");
    d.is_dir().then_some(d)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default()
}

/// cluster.json → the facts a live cluster plus the config would give.
pub fn facts_from_cluster_json(c: &Value) -> ClusterFacts {
    let p = &c["proxmox"];
    let mut f = ClusterFacts {
        cluster: "lint-dev".into(),
        ..Default::default()
    };
    for n in p["nodes"].as_array().into_iter().flatten() {
        f.nodes.push(NodeFacts {
            name: s(&n["name"]),
            online: n["online"].as_bool().unwrap_or(true),
            cpus: n["cpu_threads"].as_u64().map(|x| x as u32),
            mem_total_mib: n["memory_mib"].as_u64(),
            mem_free_mib: None,
            ..Default::default()
        });
    }
    for st in p["storages"].as_array().into_iter().flatten() {
        f.storages.push(StorageFacts {
            name: s(&st["id"]),
            kind: s(&st["type"]),
            content: strs(&st["content"]),
            nodes: strs(&st["nodes"]),
            shared: st["shared"].as_bool().unwrap_or(false),
            // `"files": {"snippets": [...], "assumed": true}`: the lists are the listing.
            files: st["files"].as_object().map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_array())
                    .map(|(k, v)| (k.clone(), strs(v)))
                    .collect()
            }),
            ..Default::default()
        });
    }
    for b in p["network"]["bridges"].as_array().into_iter().flatten() {
        f.networks.push(NetFacts {
            name: s(&b["name"]),
            kind: "bridge".into(),
            nodes: strs(&b["nodes"]),
            subnets: vec![],
        });
    }
    for t in p["templates"].as_array().into_iter().flatten() {
        f.guests.push(GuestFacts {
            vmid: t["vmid"].as_u64().unwrap_or(0) as u32,
            name: s(&t["name"]),
            node: s(&t["node"]),
            template: true,
            agent: t["qemu_agent"].as_bool().unwrap_or(false),
            linked_clone_any_node: true,
            disks_gib: t["disks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| Some((s(&d["interface"]), d["size_gib"].as_f64()?)))
                .collect(),
        });
    }
    for v in p["vms"].as_array().into_iter().flatten() {
        f.guests.push(GuestFacts {
            vmid: v["vmid"].as_u64().unwrap_or(0) as u32,
            name: s(&v["name"]),
            node: String::new(),
            template: false,
            agent: false,
            linked_clone_any_node: true,
            ..Default::default()
        });
    }
    f.used_vmids = p["vmids_in_use"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_u64().map(|x| x as u32))
        .collect();
    let k = &c["kubernetes"];
    let site = SiteFacts {
        k3s_api_vip: k["api_vip"].as_str().map(str::to_string),
        metallb_pools: k["load_balancer"]["ip_address_pools"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| strs(&p["addresses"]))
            .collect(),
        reserved_ipv4: c["reserved_ipv4"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| ReservedIpv4 {
                addresses: r["address"]
                    .as_str()
                    .or(r["range"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                purpose: s(&r["purpose"]),
            })
            .collect(),
        vnets: p["network"]["sdn"]["vnets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| VnetFact {
                name: s(&v["name"]),
                nodes: strs(&v["nodes"]),
                subnets: v["subnets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| SubnetFact {
                        cidr: s(&x["cidr"]),
                        gateway: x["gateway"].as_str().map(str::to_string),
                    })
                    .collect(),
            })
            .collect(),
        namespaces: strs(&k["namespaces"]),
    };
    f.merge_site(&site).expect("cluster.json facts are valid");
    f
}

#[test]
fn lint_dev_set() {
    let Some(dir) = dev_dir() else {
        eprintln!("SKIPPED: ../shared/eval/lint-dev not found");
        return;
    };
    let cluster: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cluster.json")).unwrap()).unwrap();
    let facts = facts_from_cluster_json(&cluster);
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).unwrap();
        let file = s(&e["file"]);
        let content = std::fs::read_to_string(dir.join(&file)).unwrap();
        let findings = lint(
            &[Input {
                path: file.clone(),
                content,
            }],
            Some(&facts),
        );
        let defects = e["defects"].as_array().cloned().unwrap_or_default();
        let mut found = 0;
        for d in &defects {
            let (cat, l) = (s(&d["category"]), d["line"].as_u64().unwrap_or(0) as u32);
            if findings.iter().any(|f| f.rule == cat && f.line == l) {
                found += 1;
            } else {
                failures.push(format!("{file}: missed {cat} at line {l}"));
            }
        }
        // Errors that are not seeded defects.
        let extra: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .filter(|f| {
                !defects.iter().any(|d| {
                    s(&d["category"]) == f.rule && d["line"].as_u64() == Some(f.line as u64)
                })
            })
            .map(|f| format!("{}:{} {} {}", f.line, f.code, f.rule, f.message))
            .collect();
        for x in &extra {
            failures.push(format!("{file}: unexpected error {x}"));
        }
        rows.push(format!(
            "| {file} | {} | {found}/{} | {} |",
            e["kind"].as_str().unwrap_or(""),
            defects.len(),
            extra.len()
        ));
        for f in &findings {
            eprintln!(
                "  {file}:{}:{} {} {} {}",
                f.line,
                f.column,
                f.severity.as_str(),
                f.rule,
                f.message
            );
        }
    }
    println!(
        "| file | kind | seeded defects found | other errors |\n|---|---|---|---|\n{}",
        rows.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
