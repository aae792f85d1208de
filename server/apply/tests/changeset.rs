//! The change set of a plan against the lab's saved state (pure): steps, parameters,
//! expectations, digest stability, resume of this plan's own VMs, secrets as env references.
use std::collections::BTreeMap;
use std::path::PathBuf;

use provisio_apply::changeset::{cleanup, preview, Expect, StepKind};
use provisio_plan::parse;
use provisio_pve::ClusterState;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fixtures")
}

fn state() -> ClusterState {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("state/lab.json")).unwrap())
        .unwrap()
}

fn plan(text_edit: impl Fn(String) -> String) -> provisio_plan::Plan {
    parse(&text_edit(
        std::fs::read_to_string(fixtures().join("plans/webserver.json")).unwrap(),
    ))
    .unwrap()
}

#[test]
fn webserver_change_set() {
    let cs = preview(
        &plan(|s| s.replace("\"size_gib\": 32", "\"size_gib\": 40")),
        &state(),
        &BTreeMap::new(),
    )
    .unwrap();
    let kinds: Vec<StepKind> = cs.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Clone,
            StepKind::Configure,
            StepKind::Resize,
            StepKind::Start,
            StepKind::WaitRunning
        ]
    );
    let clone = &cs.steps[0];
    assert_eq!(clone.path, "/nodes/pmox01/qemu/100/clone");
    let p: BTreeMap<_, _> = clone.params.iter().cloned().collect();
    assert_eq!(p["newid"], "102");
    assert_eq!(p["full"], "1");
    assert!(p["description"].contains("provisio plan=webserver vm=web-1"));
    let c: BTreeMap<_, _> = cs.steps[1].params.iter().cloned().collect();
    assert_eq!(c["ipconfig0"], "ip=192.168.1.2/24,gw=192.168.1.1");
    assert_eq!(c["net0"], "virtio,bridge=vmbr0");
    assert!(
        c["sshkeys"].starts_with("ssh-ed25519%20AAAA"),
        "{}",
        c["sshkeys"]
    );
    let r: BTreeMap<_, _> = cs.steps[2].params.iter().cloned().collect();
    assert_eq!((r["disk"].as_str(), r["size"].as_str()), ("scsi0", "40G"));
    assert!(cs.expects.contains(&Expect::VmidFree {
        vmid: 102,
        vm: "web-1".into()
    }));
    assert!(cs.expects.contains(&Expect::Template {
        vmid: 100,
        node: "pmox01".into()
    }));
    // Deterministic digest.
    let again = preview(
        &plan(|s| s.replace("\"size_gib\": 32", "\"size_gib\": 40")),
        &state(),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(cs.digest, again.digest);
    // Same size as the template: no resize.
    let cs = preview(&plan(|s| s), &state(), &BTreeMap::new()).unwrap();
    assert!(!cs.steps.iter().any(|s| s.kind == StepKind::Resize));
}

#[test]
fn resume_keeps_vmid_and_node() {
    let mut existing = BTreeMap::new();
    existing.insert("web-1".to_string(), (140u32, "pmox03".to_string()));
    let cs = preview(&plan(|s| s), &state(), &existing).unwrap();
    assert_eq!(cs.resumed.get("web-1"), Some(&140));
    assert!(cs.steps.iter().all(|s| s.vmid == 140));
    assert_eq!(cs.steps[1].path, "/nodes/pmox03/qemu/140/config");
}

#[test]
fn passwords_are_env_references_and_cleanup_destroys_only_ours() {
    let cs = preview(
        &plan(|s| {
            s.replace(
                "\"user\": \"ops\"",
                "\"user\": \"ops\", \"password_variable\": \"vm_password\"",
            )
        }),
        &state(),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(cs.secret_env, ["TF_VAR_vm_password"]);
    let c: BTreeMap<_, _> = cs.steps[1].params.iter().cloned().collect();
    assert_eq!(c["cipassword"], "${env:TF_VAR_vm_password}");
    let cl = cleanup(
        "webserver",
        "lab",
        &[("web-1".into(), 102, "pmox01".into())],
    );
    assert_eq!(
        cl.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [StepKind::Stop, StepKind::Destroy]
    );
    assert!(cl.expects.contains(&Expect::OursExists {
        vmid: 102,
        vm: "web-1".into()
    }));
}

#[test]
fn questions_block_a_preview() {
    let e = preview(
        &plan(|s| s.replace("\"vmid\": 100", "\"vmid\": 999")),
        &state(),
        &BTreeMap::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("open questions"), "{e}");
}
