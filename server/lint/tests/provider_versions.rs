//! Modules are judged against the provider release they pin (`required_providers`, a legacy
//! `provider { version }`, or `.terraform.lock.hcl`), from the per-release schemas in
//! `schemas/providers/history/`.
mod common;
use common::run;
use provisio_lint::Finding;

fn telmate(version: Option<&str>, body: &str) -> String {
    let v = version.map_or(String::new(), |v| format!(", version = \"{v}\""));
    format!(
        "terraform {{\n  required_providers {{\n    proxmox = {{ source = \"Telmate/proxmox\"{v} }}\n  }}\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name        = \"w\"\n  target_node = \"pve1\"\n{body}}}\n"
    )
}

fn bpg(version: &str, ty: &str, body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    proxmox = {{ source = \"bpg/proxmox\", version = \"{version}\" }}\n  }}\n}}\nresource \"{ty}\" \"w\" {{\n{body}}}\n"
    )
}

fn codes(f: &[Finding]) -> Vec<String> {
    f.iter()
        .filter(|f| f.code.starts_with("PV01"))
        .map(|f| format!("{} {}", f.severity.as_str(), f.code))
        .collect()
}

const NET_NO_ID: &str = "  network {\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n  }\n";

#[test]
fn network_id_is_required_only_from_3_0_1_rc5() {
    for v in [None, Some("2.9.14"), Some("~> 2.9"), Some("3.0.1-rc4")] {
        let f = run(&[("m/main.tf", &telmate(v, NET_NO_ID))]);
        assert!(codes(&f).is_empty(), "{v:?}: {f:#?}");
    }
    let f = run(&[("m/main.tf", &telmate(Some("3.0.1-rc5"), NET_NO_ID))]);
    let x = f.iter().find(|f| f.code == "PV011").expect("PV011");
    assert_eq!(x.severity.as_str(), "error");
    assert!(
        x.message
            .contains("[judged against Telmate 3.0.1-rc5, from `3.0.1-rc5`]"),
        "{}",
        x.message
    );
}

#[test]
fn cpu_is_a_string_through_rc8_and_a_block_after() {
    let s = "  cpu = \"host\"\n";
    for v in ["2.9.14", "3.0.1-rc4", "3.0.1-rc8"] {
        let f = run(&[("m/main.tf", &telmate(Some(v), s))]);
        assert!(
            !f.iter().any(|f| f.code == "PV010" || f.code == "PV012"),
            "{v}: {f:#?}"
        );
    }
    let f = run(&[(
        "m/main.tf",
        &telmate(
            Some("3.0.2-rc09"),
            &format!(
                "{s}{}",
                "  network {\n    id = 0\n    model = \"virtio\"\n    bridge = \"vmbr0\"\n  }\n"
            ),
        ),
    )]);
    assert!(
        f.iter().any(|f| f.severity.as_str() == "error"
            && f.message.contains("cpu")
            && f.message.contains("3.0.2-rc09")),
        "{f:#?}"
    );
}

#[test]
fn deprecations_are_those_of_the_pinned_release() {
    // top-level `cores` is current in 2.9.14, deprecated (for a `cpu` block) later
    let f = run(&[("m/main.tf", &telmate(Some("2.9.14"), "  cores = 2\n"))]);
    assert!(!f.iter().any(|f| f.code == "PV013"), "{f:#?}");
    let f = run(&[(
        "m/main.tf",
        &telmate(
            Some("3.0.2-rc09"),
            "  cores = 2\n  network {\n    id = 0\n    model = \"virtio\"\n    bridge = \"vmbr0\"\n  }\n",
        ),
    )]);
    assert!(f.iter().any(|f| f.code == "PV013"), "{f:#?}");
}

#[test]
fn vmid_zero_was_next_free_through_3_0_2_rc04() {
    let s = "  vmid = 0\n";
    for v in ["2.9.14", "3.0.2-rc04"] {
        let f = run(&[("m/main.tf", &telmate(Some(v), s))]);
        assert!(
            !f.iter().any(|f| f.message.contains("is not a VMID")),
            "{v}: {f:#?}"
        );
    }
    let f = run(&[("m/main.tf", &telmate(Some("3.0.2-rc05"), s))]);
    assert!(
        f.iter().any(|f| f.message.contains("is not a VMID")),
        "{f:#?}"
    );
}

#[test]
fn the_lock_file_wins_over_the_constraint() {
    let tf = telmate(Some(">= 2.9"), NET_NO_ID);
    // the constraint alone selects 2.9.14: no `network.id`
    assert!(codes(&run(&[("m/main.tf", &tf)])).is_empty());
    let lock = "provider \"registry.terraform.io/telmate/proxmox\" {\n  version     = \"3.0.1-rc9\"\n  constraints = \">= 2.9\"\n  hashes = [\"h1:x=\"]\n}\n";
    // with a lock file for 3.0.1-rc9, that release is judged (installed through `init -upgrade`
    // or a constraint that named it once)
    let f = run(&[("m/main.tf", &tf), ("m/.terraform.lock.hcl", lock)]);
    let x = f.iter().find(|f| f.code == "PV011").expect("PV011");
    assert!(
        x.message
            .contains("Telmate 3.0.1-rc9, from .terraform.lock.hcl"),
        "{}",
        x.message
    );
    // a lock file of another directory does not apply
    let f = run(&[("m/main.tf", &tf), ("other/.terraform.lock.hcl", lock)]);
    assert!(codes(&f).is_empty(), "{f:#?}");
    // and is not reported as an unlinted file
    assert!(!f.iter().any(|f| f.code == "PV900"), "{f:#?}");
}

#[test]
fn an_unresolvable_pin_gives_warnings_that_say_so() {
    let tf = telmate(Some("~> 3.0.1-rc4"), "  no_such_argument = 1\n");
    let f = run(&[("m/main.tf", &tf)]);
    let x = f.iter().find(|f| f.code == "PV010").expect("PV010");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.message.contains("judged against Telmate 3.0.1-rc4")
            && x.message.contains("selects no release"),
        "{}",
        x.message
    );
    let tf = bpg(
        "~> 0.200",
        "proxmox_virtual_environment_vm",
        "  node_name = \"pve\"\n  memroy {}\n",
    );
    let f = run(&[("m/main.tf", &tf)]);
    let x = f.iter().find(|f| f.code == "PV010").expect("PV010");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
}

#[test]
fn resource_types_of_later_releases() {
    // proxmox_download_file (the short name) exists from 0.100.0
    let body = "  content_type = \"iso\"\n  datastore_id = \"local\"\n  node_name    = \"pve\"\n  url          = \"https://example.com/a.iso\"\n";
    let f = run(&[("m/main.tf", &bpg("0.66.0", "proxmox_download_file", body))]);
    let x = f.iter().find(|f| f.code == "PV016").expect("PV016");
    assert!(
        x.message.contains("does not exist in bpg/proxmox 0.66.0"),
        "{x:?}"
    );
    let f = run(&[("m/main.tf", &bpg("0.100.0", "proxmox_download_file", body))]);
    assert!(!f.iter().any(|f| f.severity.as_str() == "error"), "{f:#?}");
}

#[test]
fn legacy_provider_block_version() {
    let tf = format!(
        "provider \"proxmox\" {{\n  version = \"2.9.14\"\n  pm_api_url = \"https://pve:8006/api2/json\"\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name = \"w\"\n  target_node = \"pve1\"\n{NET_NO_ID}}}\n"
    );
    let f = run(&[("m/main.tf", &tf)]);
    assert!(!f.iter().any(|f| f.code == "PV011"), "{f:#?}");
}
