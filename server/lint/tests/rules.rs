//! Each rule on a small case that must trigger it and a fixed case that must not, plus a
//! snapshot of the rendered findings (messages and fix hints) of a module with many defects.
use provisio_lint::facts::{GuestFacts, NetFacts, NodeFacts, StorageFacts};
use provisio_lint::{lint, render_text, ClusterFacts, Input};
use provisio_pve::{SiteFacts, SubnetFact, VnetFact};

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
        });
    }
    f.storages.push(StorageFacts {
        name: "local-lvm".into(),
        kind: "lvmthin".into(),
        content: vec!["images".into(), "rootdir".into()],
        nodes: vec!["pve1".into()],
        shared: false,
        files: None,
    });
    f.storages.push(StorageFacts {
        name: "iso".into(),
        kind: "dir".into(),
        content: vec!["iso".into()],
        nodes: vec![],
        shared: true,
        files: None,
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

fn case(code: &str, bad: &str, good: &str) {
    let b = codes("m/main.tf", bad);
    assert!(
        b.iter().any(|c| c == code),
        "{code} not raised on:\n{bad}\ngot {b:?}"
    );
    let g = codes("m/main.tf", good);
    assert!(
        !g.iter().any(|c| c == code),
        "{code} raised on the fixed case:\n{good}\ngot {g:?}"
    );
}

fn kcase(code: &str, bad: &str, good: &str) {
    let b = codes("k/app.yaml", bad);
    assert!(
        b.iter().any(|c| c == code),
        "{code} not raised on:\n{bad}\ngot {b:?}"
    );
    let g = codes("k/app.yaml", good);
    assert!(
        !g.iter().any(|c| c == code),
        "{code} raised on the fixed case:\n{good}\ngot {g:?}"
    );
}

#[test]
fn terraform_schema_rules() {
    case("PV001", &vm("  name = \"a\",\n"), &vm("  name = \"a\"\n"));
    case(
        "PV010",
        &vm("  memroy {\n    dedicated = 1024\n  }\n"),
        &vm("  memory {\n    dedicated = 1024\n  }\n"),
    );
    case(
        "PV011",
        &vm("  clone {\n    full = true\n  }\n"),
        &vm("  clone {\n    vm_id = 9000\n  }\n  initialization {\n  }\n"),
    );
    case(
        "PV012",
        &vm("  memory {\n    dedicated = \"8GiB\"\n  }\n"),
        &vm("  memory {\n    dedicated = \"8192\"\n  }\n"),
    );
    case(
        "PV012",
        &vm("  tags = \"web\"\n"),
        &vm("  tags = [\"web\"]\n"),
    );
    case(
        "PV012",
        &vm("  memory = {\n    dedicated = 1\n  }\n"),
        &vm("  memory {\n    dedicated = 1024\n  }\n"),
    );
    case(
        "PV013",
        &vm("  timeout_move_disk = 10\n"),
        &vm("  timeout_clone = 10\n"),
    );
    case("PV014", &vm("  ipv4_addresses = []\n"), &vm(""));
    case(
        "PV015",
        &vm("  cpu {\n    cores = 1\n  }\n  cpu {\n    cores = 2\n  }\n"),
        &vm("  cpu {\n    cores = 2\n  }\n"),
    );
    case(
        "PV016",
        &format!("{PROVIDER}\nresource \"proxmox_virtual_environment_vmm\" \"x\" {{\n}}\n"),
        PROVIDER,
    );
    // A Telmate guest without a node.
    let telmate = |body: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{\n      source  = \"Telmate/proxmox\"\n      version = \"3.0.2-rc09\"\n    }}\n  }}\n}}\n\nresource \"proxmox_vm_qemu\" \"x\" {{\n  name = \"x\"\n{body}}}\n")
    };
    case(
        "PV011",
        &telmate(""),
        &telmate("  target_node = \"pve1\"\n"),
    );
    case(
        "PV011",
        &telmate(""),
        &telmate("  target_nodes = [\"pve1\", \"pve2\"]\n"),
    );
    // A near miss of a type the provider has is an error; a type the provider has
    // but whose arguments are not kept is an info; anything else a warning (a newer release).
    let sev = |text: &str| -> Vec<String> {
        lint(
            &[Input {
                path: "m/main.tf".into(),
                content: format!("{PROVIDER}\n{text}"),
            }],
            None,
        )
        .into_iter()
        .filter(|f| f.code == "PV016")
        .map(|f| format!("{} {}", f.severity.as_str(), f.fix.unwrap_or_default()))
        .collect()
    };
    assert_eq!(
        sev("resource \"proxmox_virtual_environment_vmm\" \"x\" {\n}\n"),
        ["error did you mean `proxmox_virtual_environment_vm`?"]
    );
    assert_eq!(
        sev("resource \"proxmox_virtual_environment_pol\" \"x\" {\n}\n"),
        ["error did you mean `proxmox_virtual_environment_pool`?"]
    );
    assert_eq!(
        sev("resource \"proxmox_virtual_environment_pool\" \"x\" {\n  pool_id = \"k3s\"\n}\n"),
        ["info "]
    );
    assert_eq!(
        sev("resource \"proxmox_quantum_flux\" \"x\" {\n}\n"),
        ["warning "]
    );
    assert!(sev("data \"proxmox_virtual_environment_vms\" \"all\" {\n}\n").is_empty());
    assert_eq!(
        sev("data \"proxmox_virtual_environment_datastorez\" \"all\" {\n}\n"),
        ["error did you mean `proxmox_virtual_environment_datastores`?"]
    );
}

/// Values Proxmox VE refuses (PV017), each with its accepted fix.
#[test]
fn terraform_invalid_values() {
    let disk = |iface: &str, extra: &str| {
        format!("  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"{iface}\"\n    size         = 20\n{extra}  }}\n")
    };
    let pairs: Vec<(String, String)> = vec![
        (vm("  name = \"web_01\"\n"), vm("  name = \"web-01\"\n")),
        (vm("  vm_id = 42\n"), vm("  vm_id = 142\n")),
        (vm("  tags = [\"web tier\"]\n"), vm("  tags = [\"web-tier\", \"k3s_agent\"]\n")),
        (vm("  scsi_hardware = \"virtio-scsi\"\n"), vm("  scsi_hardware = \"virtio-scsi-single\"\n")),
        (vm("  operating_system {\n    type = \"linux\"\n  }\n"), vm("  operating_system {\n    type = \"l26\"\n  }\n")),
        (vm("  network_device {\n    bridge = \"vmbr0\"\n    model  = \"virtio-net\"\n  }\n"), vm("  network_device {\n    bridge = \"vmbr0\"\n    model  = \"virtio\"\n  }\n")),
        (vm(&disk("scsi31", "")), vm(&disk("scsi30", ""))),
        (vm(&disk("scsi0", "    discard      = \"yes\"\n")), vm(&disk("scsi0", "    discard      = \"on\"\n"))),
        (vm(&disk("scsi0", "    file_format  = \"qcow3\"\n")), vm(&disk("scsi0", "    file_format  = \"raw\"\n"))),
        (vm(&format!("{}{}", disk("scsi0", ""), disk("scsi0", ""))), vm(&format!("{}{}", disk("scsi0", ""), disk("scsi1", "")))),
        // The cloud-init drive sits on ide2 unless moved.
        (vm(&format!("{}  initialization {{\n  }}\n", disk("ide2", ""))), vm(&format!("{}  initialization {{\n    interface = \"ide0\"\n  }}\n", disk("ide2", "")))),
        (vm("  initialization {\n    interface = \"virtio0\"\n  }\n"), vm("  initialization {\n    interface = \"scsi1\"\n  }\n")),
        (vm("  initialization {\n    dns {\n      servers = [\"192.168.0.300\"]\n    }\n  }\n"), vm("  initialization {\n    dns {\n      servers = [\"192.168.0.1\", \"2001:db8::1\"]\n    }\n  }\n")),
    ];
    for (bad, good) in &pairs {
        case("PV017", bad, good);
    }
    // Computed values are not judged; variables are followed to their defaults.
    let g = codes(
        "m/main.tf",
        &vm("  name = \"web_${count.index}\"\n  count = 2\n"),
    );
    assert!(!g.iter().any(|c| c == "PV017"), "{g:?}");
    let b = codes(
        "m/main.tf",
        &format!(
            "variable \"n\" {{\n  default = \"a b\"\n}}\n{}",
            vm("  name = var.n\n")
        ),
    );
    assert!(b.iter().any(|c| c == "PV017"), "{b:?}");
    // Telmate: name, scsihw, NIC model, tags as one string.
    let tel = |body: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n{body}}}\n")
    };
    case(
        "PV017",
        &tel("  name = \"Web Server\"\n"),
        &tel("  name = \"web-server\"\n"),
    );
    case(
        "PV017",
        &tel("  scsihw = \"virtio\"\n"),
        &tel("  scsihw = \"virtio-scsi-pci\"\n"),
    );
    case(
        "PV017",
        &tel("  tags = \"web;k3s@node\"\n"),
        &tel("  tags = \"web;k3s\"\n"),
    );
    case(
        "PV017",
        &tel("  network {\n    id     = 0\n    model  = \"virtio-net\"\n    bridge = \"vmbr0\"\n  }\n"),
        &tel("  network {\n    id     = 0\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n  }\n"),
    );
    // CPU types: built-in models, x86-64 levels and `custom-<name>`, case-sensitive.
    case(
        "PV017",
        &vm("  cpu {\n    type = \"x86-64-v2-aes\"\n  }\n"),
        &vm("  cpu {\n    type = \"x86-64-v2-AES\"\n  }\n"),
    );
    case(
        "PV017",
        &tel("  cpu {\n    cores = 2\n    type  = \"hots\"\n  }\n"),
        &tel("  cpu {\n    cores = 2\n    type  = \"custom-epyc-lab\"\n  }\n"),
    );
    for good in [
        "host",
        "kvm64",
        "EPYC-Rome-v4",
        "Skylake-Server",
        "max",
        "x86-64-v4",
    ] {
        let g = codes(
            "m/main.tf",
            &vm(&format!("  cpu {{\n    type = \"{good}\"\n  }}\n")),
        );
        assert!(!g.iter().any(|c| c == "PV017"), "{good}: {g:?}");
    }
    // Telmate disk sizes: a whole number with an optional K/M/G/T.
    let tdisk = |size: &str| {
        tel(&format!("  disks {{\n    scsi {{\n      scsi0 {{\n        disk {{\n          storage = \"local-lvm\"\n          size    = \"{size}\"\n        }}\n      }}\n    }}\n  }}\n"))
    };
    case("PV017", &tdisk("40GB"), &tdisk("40G"));
    case("PV017", &tdisk("1.5T"), &tdisk("1536G"));
    for good in ["40", "20480M", "1T"] {
        let g = codes("m/main.tf", &tdisk(good));
        assert!(!g.iter().any(|c| c == "PV017"), "{good}: {g:?}");
    }
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: tdisk("40GB"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV017").expect("PV017");
    assert!(
        x.fix
            .as_deref()
            .is_some_and(|s| s.starts_with("write `40G`")),
        "{x:?}"
    );
    // The fix names the nearest accepted value.
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: vm("  scsi_hardware = \"virtio-scsi\"\n"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV017").unwrap();
    assert!(
        x.fix.as_deref().unwrap().starts_with("use `virtio-scsi-"),
        "{x:?}"
    );
}

/// PV018: the boot order names a device the VM does not have.
#[test]
fn terraform_boot_order_devices() {
    let disk = |iface: &str| {
        format!("  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"{iface}\"\n    size         = 20\n  }}\n")
    };
    let nic = "  network_device {\n    bridge = \"vmbr0\"\n  }\n";
    case(
        "PV018",
        &vm(&format!(
            "{}{nic}  boot_order = [\"virtio0\", \"net0\"]\n",
            disk("scsi0")
        )),
        &vm(&format!(
            "{}{nic}  boot_order = [\"scsi0\", \"net0\"]\n",
            disk("scsi0")
        )),
    );
    // A CD-ROM (default ide3), the cloud-init drive (ide2) and passed-through devices count.
    let g = codes(
        "m/main.tf",
        &vm(&format!("{}  cdrom {{\n    file_id = \"none\"\n  }}\n  boot_order = [\"ide3\", \"scsi0\", \"hostpci0\"]\n", disk("scsi0"))),
    );
    assert!(!g.iter().any(|c| c == "PV018"), "{g:?}");
    // A clone keeps the template's devices, which the file does not show.
    let g = codes(
        "m/main.tf",
        &vm("  clone {\n    vm_id = 9000\n  }\n  boot_order = [\"virtio0\"]\n"),
    );
    assert!(!g.iter().any(|c| c == "PV018"), "{g:?}");
    // Telmate: `boot = "order=..."` against the `disks` slots and `network` ids.
    let tel = |boot: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  boot = \"{boot}\"\n  disks {{\n    scsi {{\n      scsi0 {{\n        disk {{\n          storage = \"local-lvm\"\n          size    = \"20G\"\n        }}\n      }}\n    }}\n    ide {{\n      ide2 {{\n        cloudinit {{\n          storage = \"local-lvm\"\n        }}\n      }}\n    }}\n  }}\n  network {{\n    id     = 0\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n  }}\n}}\n")
    };
    case(
        "PV018",
        &tel("order=virtio0;net0"),
        &tel("order=scsi0;ide2;net0"),
    );
    case("PV018", &tel("order=scsi0;net1"), &tel("order=scsi0;net0"));
    // Without a `disks` block (a clone keeping the template's disks) nothing is judged.
    let g = codes(
        "m/main.tf",
        "resource \"proxmox_vm_qemu\" \"w\" {\n  target_node = \"pve1\"\n  clone = \"tmpl\"\n  boot = \"order=virtio0\"\n}\n",
    );
    assert!(!g.iter().any(|c| c == "PV018"), "{g:?}");
}

/// PV017: numbers out of range, memory below the minimum or given in GiB, hugepage
/// sizes, MAC addresses, a balloon minimum above the memory; PV062: `iothread` ignored.
#[test]
fn terraform_numbers_addresses_and_iothreads() {
    let nic = |extra: &str| {
        vm(&format!(
            "  network_device {{\n    bridge = \"vmbr0\"\n{extra}  }}\n"
        ))
    };
    let mem = |body: &str| vm(&format!("  memory {{\n{body}  }}\n"));
    let pairs: Vec<(String, String)> = vec![
        (nic("    vlan_id = 5000\n"), nic("    vlan_id = 20\n")),
        (nic("    mtu = 70000\n"), nic("    mtu = 1\n")),
        (
            nic("    mac_address = \"BC:24:11:ZZ:00:01\"\n"),
            nic("    mac_address = \"BC:24:11:AA:00:01\"\n"),
        ),
        (
            nic("    mac_address = \"01:00:5E:00:00:01\"\n"),
            nic("    mac_address = \"02:00:5E:00:00:01\"\n"),
        ),
        (mem("    dedicated = 8\n"), mem("    dedicated = 8192\n")),
        (
            mem("    dedicated = 2048\n    hugepages = \"3\"\n"),
            mem("    dedicated = 2048\n    hugepages = \"2\"\n"),
        ),
        (
            mem("    dedicated = 2048\n    floating  = 4096\n"),
            mem("    dedicated = 4096\n    floating  = 2048\n"),
        ),
        (
            vm("  cpu {\n    cores   = 2\n    sockets = 0\n  }\n"),
            vm("  cpu {\n    cores   = 2\n    sockets = 1\n  }\n"),
        ),
    ];
    for (bad, good) in &pairs {
        case("PV017", bad, good);
    }
    // The memory fix reads small numbers as GiB.
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: mem("    dedicated = 8\n"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV017").expect("PV017");
    assert!(
        x.fix.as_deref().is_some_and(|s| s.contains("`8192`")),
        "{x:?}"
    );
    // The balloon is judged against bpg's default 512 MiB, but not on a clone (which keeps
    // the template's memory).
    case(
        "PV017",
        &mem("    floating = 1024\n"),
        &vm("  clone {\n    vm_id = 9000\n  }\n  memory {\n    floating = 1024\n  }\n"),
    );
    let tel = |body: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n{body}}}\n")
    };
    let tnic = |extra: &str| {
        tel(&format!(
            "  network {{\n    id     = 0\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n{extra}  }}\n"
        ))
    };
    case("PV017", &tnic("    tag = 4095\n"), &tnic("    tag = 0\n"));
    case(
        "PV017",
        &tnic("    macaddr = \"BC:24:11:00:00\"\n"),
        &tnic("    macaddr = \"BC:24:11:00:00:01\"\n"),
    );
    case("PV017", &tel("  memory = 4\n"), &tel("  memory = 4096\n"));
    case(
        "PV017",
        &tel("  memory  = 2048\n  balloon = 4096\n"),
        &tel("  memory  = 4096\n  balloon = 2048\n"),
    );

    // PV062: IO threads on SCSI disks need virtio-scsi-single; virtio disks take them anywhere.
    let disk = |iface: &str| {
        format!("  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"{iface}\"\n    size         = 20\n    iothread     = true\n  }}\n")
    };
    case(
        "PV062",
        &vm(&disk("scsi0")),
        &vm(&format!(
            "  scsi_hardware = \"virtio-scsi-single\"\n{}",
            disk("scsi0")
        )),
    );
    case(
        "PV062",
        &vm(&format!(
            "  scsi_hardware = \"virtio-scsi-pci\"\n{}",
            disk("scsi0")
        )),
        &vm(&format!(
            "  scsi_hardware = \"virtio-scsi-pci\"\n{}",
            disk("virtio0")
        )),
    );
    let tdisk = |hw: &str| {
        tel(&format!("{hw}  disks {{\n    scsi {{\n      scsi0 {{\n        disk {{\n          storage  = \"local-lvm\"\n          size     = \"20G\"\n          iothread = true\n        }}\n      }}\n    }}\n  }}\n"))
    };
    // Telmate's default controller is lsi.
    case(
        "PV062",
        &tdisk(""),
        &tdisk("  scsihw = \"virtio-scsi-single\"\n"),
    );
}

/// PV004: version constraints `init` cannot parse; PV019: the provider a resource needs is
/// not the one the module requires.
#[test]
fn terraform_provider_requirements() {
    let module = |source: &str, version: &str, resource: &str| {
        format!("terraform {{\n  required_version = \">= 1.6.0\"\n  required_providers {{\n    proxmox = {{\n      source  = \"{source}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n\nresource \"{resource}\" \"w\" {{\n  name = \"w\"\n}}\n")
    };
    let bpg = "proxmox_virtual_environment_vm";
    for (bad, good) in [
        ("=> 0.111", "~> 0.111"),
        ("^0.111", ">= 0.111.0, < 1.0.0"),
        ("~0.111", "0.111.1"),
        ("0.111.x", "0.111.1-rc1"),
        (">= 0.100,", "!= 0.110.0"),
    ] {
        case(
            "PV004",
            &module("bpg/proxmox", bad, bpg),
            &module("bpg/proxmox", good, bpg),
        );
    }
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: module("bpg/proxmox", "=> 0.111", bpg),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV004").expect("PV004");
    assert_eq!(x.line, 6, "{x:?}");
    assert!(
        x.fix
            .as_deref()
            .is_some_and(|s| s.starts_with("write `>= 0.111`")),
        "{x:?}"
    );
    // `required_version` and module versions too.
    case(
        "PV004",
        &format!("terraform {{\n  required_version = \"=< 1.9\"\n}}\n"),
        &format!("terraform {{\n  required_version = \"<= 1.9\"\n}}\n"),
    );
    case(
        "PV004",
        "module \"m\" {\n  source  = \"org/vm/proxmox\"\n  version = \"1.x\"\n}\n",
        "module \"m\" {\n  source  = \"org/vm/proxmox\"\n  version = \"~> 1.0\"\n}\n",
    );

    // A misspelt source, or the hashicorp namespace Terraform assumes.
    case(
        "PV019",
        &module("bpg/proxmx", "~> 0.111", bpg),
        &module("registry.terraform.io/bpg/proxmox", "~> 0.111", bpg),
    );
    case(
        "PV019",
        &module("hashicorp/proxmox", "3.0.2-rc09", "proxmox_vm_qemu"),
        &module("Telmate/proxmox", "3.0.2-rc09", "proxmox_vm_qemu"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: module("hashicorp/proxmox", "3.0.2-rc09", "proxmox_vm_qemu"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV019").expect("PV019");
    assert!(x.message.contains("`telmate/proxmox`"), "{x:?}");
    // Other registries and other providers are not judged.
    for src in ["registry.example.com/bpg/proxmx", "danitso/proxmox"] {
        let g = codes("m/main.tf", &module(src, "~> 0.111", bpg));
        assert!(!g.iter().any(|c| c == "PV019"), "{src}: {g:?}");
    }
    // A resource type of the other Proxmox provider.
    case(
        "PV019",
        &module("bpg/proxmox", "~> 0.111", "proxmox_vm_qemu"),
        &module("Telmate/proxmox", "3.0.2-rc09", "proxmox_vm_qemu"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: module("bpg/proxmox", "~> 0.111", "proxmox_vm_qemu"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV019").expect("PV019");
    assert!(
        x.fix
            .as_deref()
            .is_some_and(|s| s.contains("proxmox_virtual_environment_vm")),
        "{x:?}"
    );
    // No `required_providers` entry: an error when the module's `terraform` block is among the
    // files, an info when no file has one (a snippet, or part of a larger module).
    let no_req = format!(
        "terraform {{\n  required_version = \">= 1.6.0\"\n}}\n\nresource \"{bpg}\" \"w\" {{\n  name = \"w\"\n}}\n"
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: no_req,
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV019").expect("PV019");
    assert_eq!(x.severity, provisio_lint::Severity::Error, "{x:?}");
    assert!(x.message.contains("hashicorp/proxmox"), "{x:?}");
    let f = lint(
        &[Input {
            path: "m/vm.tf".into(),
            content: format!("resource \"{bpg}\" \"w\" {{\n  name = \"w\"\n}}\n"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV019").expect("PV019");
    assert_eq!(x.severity, provisio_lint::Severity::Info, "{x:?}");
    // The requirement may sit in another file of the module.
    let f = lint(
        &[
            Input {
                path: "m/versions.tf".into(),
                content: "terraform {\n  required_providers {\n    proxmox = { source = \"bpg/proxmox\" }\n  }\n}\n".into(),
            },
            Input {
                path: "m/vm.tf".into(),
                content: format!("resource \"{bpg}\" \"w\" {{\n  name = \"w\"\n}}\n"),
            },
        ],
        None,
    );
    assert!(!f.iter().any(|x| x.code == "PV019"), "{f:?}");
}

/// Containers (bpg `proxmox_virtual_environment_container`, Telmate `proxmox_lxc`) against
/// the schema and the cluster: `rootdir` storages, template volumes, bridges, VMIDs, IPs,
/// capacity; no QEMU agent rule.
#[test]
fn terraform_containers() {
    let ct = |body: &str| {
        format!("{PROVIDER}\nvariable \"tmpl\" {{\n  type = string\n}}\n\nresource \"proxmox_virtual_environment_container\" \"c\" {{\n  node_name = \"pve1\"\n  operating_system {{\n    template_file_id = var.tmpl\n  }}\n{body}}}\n")
    };
    let g = codes(
        "m/main.tf",
        &ct("  disk {\n    datastore_id = \"local-lvm\"\n    size = 8\n  }\n"),
    );
    assert!(
        !g.iter()
            .any(|c| c.starts_with("PV04") || c == "PV060" || c == "PV010"),
        "{g:?}"
    );
    // Schema: unknown argument, wrong type.
    case(
        "PV010",
        &ct("  hostnme = \"c1\"\n"),
        &ct("  description = \"c1\"\n"),
    );
    case(
        "PV012",
        &ct("  unprivileged = \"yes\"\n"),
        &ct("  unprivileged = true\n"),
    );
    // The root filesystem needs `rootdir` content; the template needs `vztmpl`.
    case(
        "PV044",
        &ct("  disk {\n    datastore_id = \"iso\"\n  }\n"),
        &ct("  disk {\n    datastore_id = \"local-lvm\"\n  }\n"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: ct("  disk {\n    datastore_id = \"iso\"\n  }\n"),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|f| f.code == "PV044").expect("PV044");
    assert!(x.message.contains("`rootdir`"), "{x:?}");
    case(
        "PV043",
        &ct("  disk {\n    datastore_id = \"nosuch\"\n  }\n"),
        &ct("  disk {\n    datastore_id = \"local-lvm\"\n  }\n"),
    );
    case(
        "PV045",
        &ct("  network_interface {\n    name   = \"eth0\"\n    bridge = \"vmbr9\"\n  }\n"),
        &ct("  network_interface {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n  }\n"),
    );
    case("PV046", &ct("  vm_id = 101\n"), &ct("  vm_id = 102\n"));
    case(
        "PV047",
        &ct("  memory {\n    dedicated = 65536\n  }\n"),
        &ct("  memory {\n    dedicated = 2048\n  }\n"),
    );
    let ip = |addr: &str| {
        ct(&format!("  network_interface {{\n    name = \"eth0\"\n  }}\n  initialization {{\n    ip_config {{\n      ipv4 {{\n        address = \"{addr}\"\n        gateway = \"10.0.0.1\"\n      }}\n    }}\n  }}\n"))
    };
    case("PV050", &ip("10.0.0.9/24"), &ip("10.0.0.60/24"));
    // The template's storage must hold `vztmpl` (the fixture's `iso` storage holds ISOs only).
    case(
        "PV044",
        &ct("").replace("var.tmpl", "\"iso:vztmpl/debian-12.tar.zst\""),
        &ct(""),
    );

    let lxc = |body: &str| {
        format!("resource \"proxmox_lxc\" \"c\" {{\n  target_node = \"pve1\"\n{body}}}\n")
    };
    case(
        "PV044",
        &lxc("  rootfs {\n    storage = \"iso\"\n    size    = \"8G\"\n  }\n"),
        &lxc("  rootfs {\n    storage = \"local-lvm\"\n    size    = \"8G\"\n  }\n"),
    );
    case(
        "PV045",
        &lxc("  network {\n    name   = \"eth0\"\n    bridge = \"vmbr9\"\n  }\n"),
        &lxc("  network {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n  }\n"),
    );
    case(
        "PV050",
        &lxc("  network {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n    ip     = \"10.0.0.245/24\"\n  }\n"),
        &lxc("  network {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n    ip     = \"dhcp\"\n  }\n"),
    );
    case("PV046", &lxc("  vmid = 9000\n"), &lxc("  vmid = 0\n"));
    // Values PVE refuses.
    case(
        "PV017",
        &ct("  initialization {\n    hostname = \"web_01\"\n  }\n"),
        &ct("  initialization {\n    hostname = \"web-01\"\n  }\n"),
    );
    case(
        "PV017",
        &lxc(
            "  network {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n    tag    = 4095\n  }\n",
        ),
        &lxc("  network {\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n    tag    = 10\n  }\n"),
    );
    // Bind mounts name host paths, not storages.
    let g = codes(
        "m/main.tf",
        &lxc("  mountpoint {\n    key     = \"0\"\n    slot    = 0\n    storage = \"/srv/data\"\n    mp      = \"/data\"\n  }\n"),
    );
    assert!(!g.iter().any(|c| c == "PV043" || c == "PV060"), "{g:?}");
}

/// bpg's `proxmox_cloned_vm`: nested attributes (`clone = { ... }`, `disk = { scsi0 = { ... } }`)
/// against the schema, with findings on the nested line, and the cluster rules.
#[test]
fn terraform_cloned_vm_nested_attributes() {
    let cv = |body: &str| {
        format!("{PROVIDER}\nresource \"proxmox_cloned_vm\" \"w\" {{\n  node_name = \"pve1\"\n  clone = {{\n    source_vm_id = 9000\n  }}\n{body}}}\n")
    };
    let good = cv("  disk = {\n    scsi0 = {\n      datastore_id = \"local-lvm\"\n      size_gb      = 40\n    }\n  }\n  network = {\n    net0 = {\n      bridge = \"vmbr0\"\n      model  = \"virtio\"\n    }\n  }\n  memory = {\n    size = 4096\n  }\n");
    let g = codes("m/main.tf", &good);
    assert!(g.is_empty(), "{g:?}");
    case(
        "PV010",
        &cv("  memory = {\n    sise = 4096\n  }\n"),
        &cv("  memory = {\n    size = 4096\n  }\n"),
    );
    case(
        "PV010",
        &cv("  disk = {\n    scsi0 = {\n      size = 40\n    }\n  }\n"),
        &cv("  disk = {\n    scsi0 = {\n      size_gb = 40\n    }\n  }\n"),
    );
    case(
        "PV012",
        &cv("  memory = {\n    size = \"4G\"\n  }\n"),
        &cv("  memory = {\n    size = 4096\n  }\n"),
    );
    // A block where the resource wants an attribute object.
    case(
        "PV012",
        &cv("  cpu {\n    cores = 2\n  }\n"),
        &cv("  cpu = {\n    cores = 2\n  }\n"),
    );
    case(
        "PV011",
        &cv("").replace("source_vm_id = 9000", "full = true"),
        &cv(""),
    );
    // Findings point at the nested line.
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: cv("  memory = {\n    sise = 4096\n  }\n"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV010").expect("PV010");
    let line = cv("  memory = {\n    sise = 4096\n  }\n")
        .lines()
        .position(|l| l.contains("sise"))
        .unwrap()
        + 1;
    assert_eq!(x.line as usize, line, "{x:?}");
    assert!(x.message.contains("did you mean `size`"), "{x:?}");
    // Values PVE refuses, in nested attributes and slot keys.
    for (bad, good) in [
        (
            "  cpu = {\n    type = \"x86-64-v2-aes\"\n  }\n",
            "  cpu = {\n    type = \"x86-64-v2-AES\"\n  }\n",
        ),
        (
            "  memory = {\n    size = 8\n  }\n",
            "  memory = {\n    size = 8192\n  }\n",
        ),
        (
            "  memory = {\n    size    = 2048\n    balloon = 4096\n  }\n",
            "  memory = {\n    size    = 4096\n    balloon = 2048\n  }\n",
        ),
        (
            "  disk = {\n    scsi-0 = {\n      size_gb = 20\n    }\n  }\n",
            "  disk = {\n    scsi0 = {\n      size_gb = 20\n    }\n  }\n",
        ),
        (
            "  disk = {\n    scsi0 = {\n      cache = \"write-back\"\n    }\n  }\n",
            "  disk = {\n    scsi0 = {\n      cache = \"writeback\"\n    }\n  }\n",
        ),
        (
            "  network = {\n    nic0 = {\n      bridge = \"vmbr0\"\n    }\n  }\n",
            "  network = {\n    net0 = {\n      bridge = \"vmbr0\"\n    }\n  }\n",
        ),
        (
            "  network = {\n    net0 = {\n      model = \"virtio-net\"\n    }\n  }\n",
            "  network = {\n    net0 = {\n      model = \"virtio\"\n    }\n  }\n",
        ),
        (
            "  network = {\n    net0 = {\n      tag = 5000\n    }\n  }\n",
            "  network = {\n    net0 = {\n      tag = 50\n    }\n  }\n",
        ),
        (
            "  cdrom = {\n    virtio0 = {\n      file_id = \"none\"\n    }\n  }\n",
            "  cdrom = {\n    ide2 = {\n      file_id = \"none\"\n    }\n  }\n",
        ),
    ] {
        case("PV017", &cv(bad), &cv(good));
    }
    // Cluster rules.
    case("PV040", &cv("").replace("9000", "4242"), &cv(""));
    case(
        "PV043",
        &cv("  disk = {\n    scsi0 = {\n      datastore_id = \"nosuch\"\n    }\n  }\n"),
        &cv("  disk = {\n    scsi0 = {\n      datastore_id = \"local-lvm\"\n    }\n  }\n"),
    );
    case(
        "PV045",
        &cv("  network = {\n    net0 = {\n      bridge = \"vmbr9\"\n    }\n  }\n"),
        &cv("  network = {\n    net0 = {\n      bridge = \"vmbr0\"\n    }\n  }\n"),
    );
    case(
        "PV047",
        &cv("  memory = {\n    size = 65536\n  }\n"),
        &cv("  memory = {\n    size = 4096\n  }\n"),
    );
    // The template's scsi0 is 20 GiB: a clone cannot shrink it.
    case(
        "PV053",
        &cv("  disk = {\n    scsi0 = {\n      size_gb = 10\n    }\n  }\n"),
        &cv("  disk = {\n    scsi0 = {\n      size_gb = 20\n    }\n  }\n"),
    );
}

/// PV045 when no bridge is written and the provider's default bridge is not on the node.
#[test]
fn terraform_default_bridge() {
    let tel = |bridge: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  network {{\n    id    = 0\n    model = \"virtio\"\n{bridge}  }}\n}}\n")
    };
    case("PV045", &tel(""), &tel("    bridge = \"vmbr0\"\n"));
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: tel(""),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|f| f.code == "PV045").expect("PV045");
    assert!(x.message.contains("default `nat`"), "{x:?}");
}

#[test]
fn terraform_reference_rules() {
    case(
        "PV020",
        &vm("  description = var.nope\n"),
        &vm("  description = var.api_token\n"),
    );
    case(
        "PV021",
        &vm("  description = local.nope\n"),
        &format!(
            "locals {{\n  d = \"x\"\n}}\n{}",
            vm("  description = local.d\n")
        ),
    );
    case(
        "PV022",
        &vm("  description = proxmox_virtual_environment_vm.other.name\n"),
        &vm("  description = proxmox_virtual_environment_vm.web.name\n"),
    );
    case(
        "PV023",
        &format!("{}\nvariable \"api_token\" {{\n}}\n", vm("")),
        &vm(""),
    );
    // A default the variable's type does not admit.
    let var = |t: &str, d: &str| {
        format!(
            "{}\nvariable \"n\" {{\n  type    = {t}\n  default = {d}\n}}\n",
            vm("")
        )
    };
    for (t, bad, good) in [
        ("number", "\"lots\"", "6144"),
        ("number", "true", "\"6144\""),
        ("bool", "1", "false"),
        ("string", "{ a = 1 }", "\"x\""),
        ("list(number)", "1", "[1]"),
        ("object({ a = number })", "[]", "{ a = 1 }"),
        ("set(string)", "\"a\"", "null"),
    ] {
        case("PV012", &var(t, bad), &var(t, good));
    }
    // PV024: a default, or a tfvars value, that fails the variable's validation.
    let valid = |d: &str| {
        format!("{}\nvariable \"mem\" {{\n  type    = number\n  default = {d}\n  validation {{\n    condition     = var.mem >= 2048 && var.mem <= 16384\n    error_message = \"mem must be between 2048 and 16384.\"\n  }}\n}}\n", vm(""))
    };
    case("PV024", &valid("1024"), &valid("6144"));
    let f = lint(
        &[
            Input {
                path: "m/main.tf".into(),
                content: valid("6144"),
            },
            Input {
                path: "m/terraform.tfvars".into(),
                content: "mem = 65536\n".into(),
            },
        ],
        None,
    );
    let x = f
        .iter()
        .find(|x| x.code == "PV024")
        .expect("PV024 from tfvars");
    let line = valid("6144")
        .lines()
        .position(|l| l.contains("condition"))
        .unwrap() as u32
        + 1;
    assert_eq!((x.file.as_str(), x.line), ("m/main.tf", line), "{x:?}");
    assert!(
        x.message.contains("65536") && x.message.contains("between 2048 and 16384"),
        "{x:?}"
    );
    // Regular expressions and CIDR checks inside can(): a name that fails the pattern.
    let named = |d: &str| {
        format!("{}\nvariable \"vm_name\" {{\n  type    = string\n  default = {d}\n  validation {{\n    condition     = can(regex(\"^[a-z][a-z0-9-]*$\", var.vm_name))\n    error_message = \"lower-case DNS label\"\n  }}\n}}\n", vm(""))
    };
    case("PV024", &named("\"Web_1\""), &named("\"web-1\""));
    // A condition it cannot evaluate is not judged.
    let regex = valid("1024").replace(
        "var.mem >= 2048 && var.mem <= 16384",
        "can(regex(\"^[0-9]+$\", var.mem))",
    );
    assert!(!codes("m/main.tf", &regex).contains(&"PV024".to_string()));
    // `any`, and computed defaults, are not judged.
    assert!(!codes("m/main.tf", &var("any", "\"x\"")).contains(&"PV012".to_string()));
    // Attributes of a resource whose schema provisio has: arguments, blocks,
    // read-only attributes and `id` are there; a misspelt one is refused by Terraform.
    let out = |e: &str| format!("{}\noutput \"ip\" {{\n  value = {e}\n}}\n", vm(""));
    for good in [
        "proxmox_virtual_environment_vm.web.ipv4_addresses",
        "proxmox_virtual_environment_vm.web.id",
        "proxmox_virtual_environment_vm.web.node_name",
        "proxmox_virtual_environment_vm.web.agent[0].enabled",
        "proxmox_virtual_environment_vm.web[*].name",
    ] {
        case(
            "PV022",
            &out("proxmox_virtual_environment_vm.web.ipv4_address"),
            &out(good),
        );
    }
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: out("proxmox_virtual_environment_vm.web.ipv4_address[1][0]"),
        }],
        None,
    );
    let x = f.iter().find(|x| x.code == "PV022").expect("PV022");
    assert!(
        x.message.contains("`ipv4_addresses`")
            && x.fix.as_deref()
                == Some("write `proxmox_virtual_environment_vm.web.ipv4_addresses`"),
        "{x:?}"
    );
    // Bound names are not references.
    let g = codes("m/main.tf", &vm("  tags = [for t in [\"a\"] : t]\n  dynamic \"disk\" {\n    for_each = [1]\n    content {\n      interface = \"scsi${disk.value}\"\n    }\n  }\n"));
    assert!(!g.iter().any(|c| c.starts_with("PV02")), "{g:?}");
}

/// Module-level constructs whose addresses are not plain resource references: aliased provider
/// configurations, `moved`/`removed`/`import` blocks, `check` blocks' scoped data sources,
/// ephemeral resources, `lifecycle.ignore_changes` paths and OpenTofu state encryption.
#[test]
fn terraform_reference_rules_for_module_constructs() {
    let second =
        "provider \"proxmox\" {\n  alias    = \"second\"\n  endpoint = \"https://pve2:8006/\"\n}\n";
    // provider = NAME.ALIAS must name a configuration.
    case(
        "PV022",
        &format!("{second}{}", vm("  provider = proxmox.secnd\n")),
        &format!("{second}{}", vm("  provider = proxmox.second\n")),
    );
    // ... also in a module's `providers` map, and a child module's configuration_aliases count.
    case(
        "PV022",
        "module \"m\" {\n  source    = \"./m\"\n  providers = {\n    proxmox = proxmox.nope\n  }\n}\n",
        &format!("{second}module \"m\" {{\n  source    = \"./m\"\n  providers = {{\n    proxmox = proxmox.second\n  }}\n}}\n"),
    );
    let child = "terraform {\n  required_providers {\n    proxmox = {\n      source                = \"bpg/proxmox\"\n      configuration_aliases = [proxmox.second]\n    }\n  }\n}\nresource \"proxmox_virtual_environment_vm\" \"web\" {\n  provider  = proxmox.second\n  node_name = \"pve1\"\n  agent {\n    enabled = true\n  }\n}\n";
    let g = codes("m/main.tf", child);
    assert!(!g.iter().any(|c| c == "PV022"), "{g:?}");
    // Two unaliased configurations of one provider.
    case(
        "PV023",
        &format!(
            "{}provider \"proxmox\" {{\n  endpoint = \"https://pve2:8006/\"\n}}\n",
            vm("")
        ),
        &format!("{second}{}", vm("")),
    );
    // moved.from / removed.from name what is gone; moved.to must exist.
    case(
        "PV022",
        &format!("{}moved {{\n  from = proxmox_virtual_environment_vm.old\n  to   = proxmox_virtual_environment_vm.webb\n}}\n", vm("")),
        &format!("{}moved {{\n  from = proxmox_virtual_environment_vm.old\n  to   = proxmox_virtual_environment_vm.web\n}}\nremoved {{\n  from = proxmox_virtual_environment_vm.gone\n  lifecycle {{\n    destroy = false\n  }}\n}}\n", vm("")),
    );
    // An import target needs its resource block (the fix names -generate-config-out).
    let bad = format!(
        "{}import {{\n  to = proxmox_virtual_environment_vm.db\n  id = \"pve1/101\"\n}}\n",
        vm("")
    );
    case(
        "PV022",
        &bad,
        &format!(
            "{}import {{\n  to = proxmox_virtual_environment_vm.web\n  id = \"pve1/101\"\n}}\n",
            vm("")
        ),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: bad,
        }],
        None,
    );
    let imp = f.iter().find(|f| f.code == "PV022").unwrap();
    assert!(
        imp.message
            .starts_with("import target `proxmox_virtual_environment_vm.db` has no resource block"),
        "{}",
        imp.message
    );
    assert!(
        imp.fix
            .as_deref()
            .unwrap_or("")
            .contains("-generate-config-out"),
        "{imp:?}"
    );
    // A check block's data source is visible inside the check only.
    let check = "check \"up\" {\n  data \"proxmox_virtual_environment_vm\" \"probe\" {\n    node_name = \"pve1\"\n    vm_id     = 100\n  }\n  assert {\n    condition     = data.proxmox_virtual_environment_vm.probe.status == \"running\"\n    error_message = \"down\"\n  }\n}\n";
    case(
        "PV022",
        &format!("{}{check}output \"s\" {{\n  value = data.proxmox_virtual_environment_vm.probe.status\n}}\n", vm("")),
        &format!("{}{check}", vm("")),
    );
    // Ephemeral resources.
    case(
        "PV022",
        &vm("  description = ephemeral.random_password.p.result\n"),
        &format!(
            "ephemeral \"random_password\" \"p\" {{\n  length = 16\n}}\n{}",
            vm("  description = ephemeral.random_password.p.result\n")
        ),
    );
    // Attribute paths in ignore_changes are not references.
    let g = codes("m/main.tf", &vm("  lifecycle {\n    ignore_changes = [initialization.user_account, disk[0].size, tags]\n  }\n"));
    assert!(!g.iter().any(|c| c.starts_with("PV02")), "{g:?}");
    // OpenTofu state encryption: key providers and methods are checked against their blocks.
    let enc = |key: &str| {
        format!("terraform {{\n  encryption {{\n    key_provider \"pbkdf2\" \"k\" {{\n      passphrase = var.api_token\n    }}\n    method \"aes_gcm\" \"m\" {{\n      keys = key_provider.pbkdf2.{key}\n    }}\n    state {{\n      method = method.aes_gcm.m\n    }}\n  }}\n}}\n{}", vm(""))
    };
    case("PV022", &enc("kk"), &enc("k"));
}

/// Literal secrets in the `terraform` block: backend settings and state-encryption passphrases.
#[test]
fn terraform_block_secrets() {
    case(
        "PV030",
        &format!("terraform {{\n  backend \"pg\" {{\n    conn_str = \"postgres://tf:hunter2@db/tfstate\"\n  }}\n}}\n{}", vm("")),
        &format!("terraform {{\n  backend \"pg\" {{\n    conn_str = \"postgres://db/tfstate\"\n  }}\n}}\n{}", vm("")),
    );
    case(
        "PV030",
        &format!("terraform {{\n  backend \"s3\" {{\n    bucket     = \"tf\"\n    secret_key = \"abc123\"\n  }}\n}}\n{}", vm("")),
        &format!("terraform {{\n  backend \"s3\" {{\n    bucket = \"tf\"\n  }}\n}}\n{}", vm("")),
    );
    let enc = |p: &str| {
        format!("terraform {{\n  encryption {{\n    key_provider \"pbkdf2\" \"k\" {{\n      passphrase = {p}\n    }}\n  }}\n}}\n{}", vm(""))
    };
    case(
        "PV030",
        &enc("\"correct-horse-battery-staple\""),
        &enc("var.api_token"),
    );
    // The value never appears in the finding.
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: enc("\"correct-horse-battery-staple\""),
        }],
        None,
    );
    let s = serde_json::to_string(&f).unwrap();
    assert!(!s.contains("correct-horse"), "{s}");
}

#[test]
fn terraform_security_rules() {
    let literal = PROVIDER.replace(
        "api_token = var.api_token",
        "api_token = \"root@pam!t=0b2d7a3e-1111-2222-3333-444455556666\"",
    );
    case("PV030", &literal, PROVIDER);
    case(
        "PV031",
        &PROVIDER.replace(
            "api_token = var.api_token",
            "api_token = var.api_token\n  insecure  = true",
        ),
        PROVIDER,
    );
    case(
        "PV032",
        &PROVIDER.replace("  sensitive = true\n", ""),
        PROVIDER,
    );
    case(
        "PV030",
        &vm("  initialization {\n    user_account {\n      password = \"hunter2\"\n    }\n  }\n"),
        &vm("  initialization {\n    user_account {\n      password = var.api_token\n    }\n  }\n"),
    );
    let ci = |pw: &str| {
        format!("{PROVIDER}\nresource \"proxmox_virtual_environment_file\" \"ci\" {{\n  node_name    = \"pve1\"\n  datastore_id = \"iso\"\n  source_raw {{\n    file_name = \"u.yaml\"\n    data      = <<-EOT\n    #cloud-config\n    chpasswd:\n      expire: false\n    password: {pw}\n    EOT\n  }}\n}}\n")
    };
    case("PV030", &ci("hunter2"), &ci("${var.api_token}"));
}

#[test]
fn terraform_cluster_rules() {
    // A clone's disk cannot be smaller than the template's (9000 has scsi0 of 20 GiB).
    let clone_disk = |size: &str, fmt: &str| {
        vm(&format!("  clone {{\n    vm_id = 9000\n  }}\n  initialization {{\n  }}\n  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"scsi0\"\n    size         = {size}\n{fmt}  }}\n"))
    };
    case("PV053", &clone_disk("10", ""), &clone_disk("20", ""));
    case("PV053", &clone_disk("19", ""), &clone_disk("40", ""));
    let tel = |size: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  clone       = \"tmpl\"\n  agent       = 1\n  disks {{\n    scsi {{\n      scsi0 {{\n        disk {{\n          storage = \"local-lvm\"\n          size    = \"{size}\"\n        }}\n      }}\n    }}\n  }}\n}}\n")
    };
    case("PV053", &tel("10G"), &tel("20480M"));
    // Block storages hold raw volumes only.
    case(
        "PV054",
        &clone_disk("20", "    file_format  = \"qcow2\"\n"),
        &clone_disk("20", "    file_format  = \"raw\"\n"),
    );
    case(
        "PV040",
        &vm("  clone {\n    vm_id = 9999\n  }\n  initialization {\n  }\n"),
        &vm("  clone {\n    vm_id = 9000\n  }\n  initialization {\n  }\n"),
    );
    case("PV040", &vm("  clone {\n    vm_id     = 9001\n    node_name = \"pve2\"\n    full      = false\n  }\n  initialization {\n  }\n"), &vm("  clone {\n    vm_id     = 9001\n    node_name = \"pve2\"\n    full      = true\n  }\n  initialization {\n  }\n"));
    case(
        "PV041",
        &vm("  clone {\n    vm_id = 101\n  }\n  initialization {\n  }\n"),
        &vm("  clone {\n    vm_id = 9000\n  }\n  initialization {\n  }\n"),
    );
    case(
        "PV042",
        &vm("").replace("\"pve1\"\n  agent", "\"pve9\"\n  agent"),
        &vm(""),
    );
    case(
        "PV042",
        &vm("").replace("\"pve1\"\n  agent", "\"pve2\"\n  agent"),
        &vm(""),
    );
    case(
        "PV043",
        &vm("  disk {\n    interface    = \"scsi0\"\n    datastore_id = \"local-zfs\"\n  }\n"),
        &vm("  disk {\n    interface    = \"scsi0\"\n    datastore_id = \"local-lvm\"\n  }\n"),
    );
    case(
        "PV044",
        &vm("  disk {\n    interface    = \"scsi0\"\n    datastore_id = \"iso\"\n  }\n"),
        &vm("  disk {\n    interface    = \"scsi0\"\n    datastore_id = \"local-lvm\"\n  }\n"),
    );
    case(
        "PV045",
        &vm("  network_device {\n    bridge = \"vmbr7\"\n  }\n"),
        &vm("  network_device {\n    bridge = \"vnet1\"\n  }\n"),
    );
    case("PV046", &vm("  vm_id = 101\n"), &vm("  vm_id = 102\n"));
    case(
        "PV047",
        &vm("  memory {\n    dedicated = 32768\n  }\n"),
        &vm("  memory {\n    dedicated = 2048\n  }\n"),
    );
    case(
        "PV047",
        &vm("  cpu {\n    cores   = 8\n    sockets = 2\n  }\n"),
        &vm("  cpu {\n    cores = 8\n  }\n"),
    );
    case(
        "PV048",
        &vm("  memory {\n    dedicated = 8192\n  }\n"),
        &vm("  memory {\n    dedicated = 2048\n  }\n"),
    );
    // Volumes by ID: the storage must allow that content.
    case(
        "PV044",
        &vm(
            "  initialization {\n    vendor_data_file_id = \"local-lvm:snippets/agent.yml\"\n  }\n",
        ),
        &vm("  initialization {\n    vendor_data_file_id = \"iso:iso/agent.yml\"\n  }\n")
            .replace("iso:iso/agent.yml", "snip:snippets/agent.yml"),
    );
    // A file the storage's listing does not hold (PV057), with the near miss as
    // the fix; not judged without a listing, or when the module uploads files itself.
    let snippet = |name: &str| {
        vm(&format!(
            "  initialization {{\n    vendor_data_file_id = \"snip:snippets/{name}\"\n  }}\n"
        ))
    };
    case("PV057", &snippet("agent.yaml"), &snippet("agent.yml"));
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: snippet("agent.yaml"),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|f| f.code == "PV057").expect("PV057");
    assert_eq!(
        x.fix.as_deref(),
        Some("did you mean `snip:snippets/agent.yml`?"),
        "{x:?}"
    );
    let uploads = format!(
        "{}\nresource \"proxmox_virtual_environment_file\" \"ud\" {{\n  content_type = \"snippets\"\n  datastore_id = \"snip\"\n  node_name    = \"pve1\"\n  source_raw {{\n    data      = \"#cloud-config\"\n    file_name = \"agent.yaml\"\n  }}\n}}\n",
        snippet("agent.yaml")
    );
    assert!(!codes("m/main.tf", &uploads).contains(&"PV057".to_string()));
    let unknown = vm("  cdrom {\n    file_id = \"iso:iso/none-such.iso\"\n  }\n");
    assert!(!codes("m/main.tf", &unknown).contains(&"PV057".to_string()));
    case(
        "PV043",
        &vm("  cdrom {\n    file_id = \"local:iso/ubuntu.iso\"\n  }\n"),
        &vm("  cdrom {\n    file_id = \"iso:iso/ubuntu.iso\"\n  }\n"),
    );
    // OVMF without an EFI disk.
    case(
        "PV011",
        &vm("  bios = \"ovmf\"\n"),
        &vm("  bios = \"ovmf\"\n  efi_disk {\n    datastore_id = \"local-lvm\"\n  }\n"),
    );
    let ip = |a: &str| {
        vm(&format!("  network_device {{\n    bridge = \"vnet1\"\n  }}\n  initialization {{\n    ip_config {{\n      ipv4 {{\n        address = \"{a}\"\n        gateway = \"10.0.0.1\"\n      }}\n    }}\n  }}\n"))
    };
    case("PV049", &ip("10.0.1.20/24"), &ip("10.0.0.20/24"));
    case("PV052", &ip("10.0.0.20/16"), &ip("10.0.0.20/24"));
    case("PV050", &ip("10.0.0.9/24"), &ip("10.0.0.20/24"));
    case("PV050", &ip("10.0.0.245/24"), &ip("10.0.0.20/24"));
    case("PV050", &ip("10.0.0.1/24"), &ip("10.0.0.20/24"));
    case("PV051", &ip("10.0.0.50/24"), &ip("10.0.0.20/24"));
    // Variables with defaults are followed.
    let via_var = format!(
        "variable \"node\" {{\n  default = \"pve9\"\n}}\n{}",
        vm("").replace("\"pve1\"\n  agent", "var.node\n  agent")
    );
    assert!(codes("m/main.tf", &via_var).contains(&"PV042".to_string()));
}

#[test]
fn terraform_best_practice_rules() {
    case(
        "PV060",
        &vm("").replace("enabled = true", "enabled = false"),
        &vm(""),
    );
    case(
        "PV061",
        &vm("  clone {\n    vm_id = 9000\n  }\n"),
        &vm("  clone {\n    vm_id = 9000\n  }\n  initialization {\n  }\n"),
    );
    // Telmate: agent = 0, deprecated top-level cores, cloud-init through ipconfig0.
    let tel = |extra: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{ source = \"Telmate/proxmox\", version = \"3.0.2-rc09\" }}\n  }}\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name        = \"w\"\n  target_node = \"pve1\"\n  clone_id    = 9000\n  ipconfig0   = \"ip=10.0.0.21/24,gw=10.0.0.1\"\n  network {{\n    id     = 0\n    model  = \"virtio\"\n    bridge = \"vnet1\"\n  }}\n{extra}}}\n")
    };
    case("PV060", &tel("  agent = 0\n"), &tel("  agent = 1\n"));
    case(
        "PV013",
        &tel("  agent = 1\n  cores = 2\n"),
        &tel("  agent = 1\n  cpu {\n    cores = 2\n  }\n"),
    );
    case(
        "PV050",
        &tel("  agent = 1\n").replace("10.0.0.21/24", "10.0.0.9/24"),
        &tel("  agent = 1\n"),
    );
    // PV017 (warning): SSD emulation on a VirtIO Block disk.
    let d = |iface: &str| {
        vm(&format!("  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"{iface}\"\n    size         = 32\n    ssd          = true\n  }}\n"))
    };
    case("PV017", &d("virtio0"), &d("scsi0"));
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: d("virtio1"),
        }],
        None,
    );
    let x = f.iter().find(|x| x.code == "PV017").expect("PV017");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.fix.as_deref().is_some_and(|s| s.contains("\"scsi1\"")),
        "{x:?}"
    );
    // PV063: cloud-init values with a `disks` block that lists no cloudinit drive.
    let disk = "      scsi0 {\n        disk {\n          storage = \"local-lvm\"\n          size    = \"32G\"\n        }\n      }\n";
    let ci = "    ide {\n      ide2 {\n        cloudinit {\n          storage = \"local-lvm\"\n        }\n      }\n    }\n";
    let with = |inner: &str| {
        tel(&format!(
            "  agent = 1\n  disks {{\n    scsi {{\n{disk}    }}\n{inner}  }}\n"
        ))
    };
    case("PV063", &with(""), &with(ci));
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: with(""),
        }],
        None,
    );
    let x = f
        .iter()
        .find(|x| x.code == "PV063")
        .expect("PV063 without a cluster too");
    let line = with("")
        .lines()
        .position(|l| l.trim() == "disks {")
        .unwrap() as u32
        + 1;
    assert_eq!((x.line, x.severity.as_str()), (line, "warning"), "{x:?}");
    assert!(
        x.message.starts_with("`ipconfig0` is set")
            && x.fix
                .as_deref()
                .is_some_and(|s| s.contains("\"local-lvm\"")),
        "{x:?}"
    );
    // A cloudinit drive on a scsi slot counts; no cloud-init values, no `disks` block (the
    // template's drives are kept), a legacy `cloudinit_cdrom_storage` or dynamic slots: not judged.
    let scsi_ci = "    scsi {\n      scsi1 {\n        cloudinit {\n          storage = \"local-lvm\"\n        }\n      }\n    }\n";
    for good in [
        tel(&format!("  agent = 1\n  disks {{\n{scsi_ci}  }}\n")),
        with("").replace("  ipconfig0   = \"ip=10.0.0.21/24,gw=10.0.0.1\"\n", ""),
        tel("  agent = 1\n"),
        with("").replace("  agent = 1\n", "  agent = 1\n  cloudinit_cdrom_storage = \"local-lvm\"\n"),
        tel("  agent = 1\n  disks {\n    dynamic \"scsi\" {\n      for_each = [1]\n      content {}\n    }\n  }\n"),
    ] {
        let g = codes("m/main.tf", &good);
        assert!(!g.iter().any(|c| c == "PV063"), "{good}\n{g:?}");
    }
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

/// PV104: numbers out of range, repeated names and ports, multi-port Services
/// without names, rolling-update settings, empty selectors, image references.
#[test]
fn kubernetes_ranges_and_uniqueness() {
    let pairs: Vec<(&str, &str)> = vec![
        ("containerPort: 80", "containerPort: 80800"),
        ("    - port: 80\n", "    - port: 0\n"),
        ("  replicas: 2", "  replicas: -1"),
        (
            "              port: http\n",
            "              port: http\n            initialDelaySeconds: -5\n",
        ),
        (
            "      targetPort: http\n",
            "      targetPort: http\n      nodePort: 8080\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n            - name: http\n              containerPort: 81\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n            - name: alt\n              containerPort: 80\n",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n        - name: web\n          image: busybox:1.37\n",
        ),
        ("image: nginx:1.27", "image: Nginx:1.27"),
        ("image: nginx:1.27", "image: nginx:1.27:x"),
        (
            "    matchLabels:\n      app: web\n  template",
            "    matchLabels: {}\n  template",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    type: Recreate\n    rollingUpdate:\n      maxSurge: 1\n",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 150%\n",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 0\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - port: 80\n      targetPort: http\n    - port: 8080\n      targetPort: http\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - name: a\n      port: 80\n      targetPort: http\n    - name: b\n      port: 80\n      targetPort: http\n",
        ),
    ];
    for (good, bad) in &pairs {
        assert!(DEPLOY.contains(good), "{good}");
        kcase("PV104", &DEPLOY.replacen(good, bad, 1), DEPLOY);
    }
    // Accepted forms: registries with ports, digests, named ports, percentages, one unnamed
    // Service port, a liveness probe's successThreshold of 1.
    for (from, to) in [
        ("image: nginx:1.27", "image: registry.lab:5000/team/nginx:1.27"),
        (
            "image: nginx:1.27",
            "image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 25%\n      maxSurge: 0\n",
        ),
        (
            "              port: http\n",
            "              port: http\n          livenessProbe:\n            tcpSocket:\n              port: 80\n            successThreshold: 1\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - name: web\n      port: 80\n      targetPort: http\n    - name: alt\n      port: 8080\n      targetPort: 80\n",
        ),
    ] {
        let g = codes("k/app.yaml", &DEPLOY.replacen(from, to, 1));
        assert!(!g.iter().any(|c| c == "PV104"), "{to}: {g:?}");
    }
    kcase(
        "PV104",
        &DEPLOY.replacen(
            "              port: http\n",
            "              port: http\n          livenessProbe:\n            tcpSocket:\n              port: 80\n            successThreshold: 2\n",
            1,
        ),
        DEPLOY,
    );
}

/// PV124: ConfigMap and Secret references against the objects the files define; PV125: the
/// baseline Pod Security Standard.
#[test]
fn kubernetes_config_refs_and_pod_security() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: NS\ndata:\n  COLOR: blue\n---\n";
    let with = |ns: &str, env: &str| {
        format!(
            "{}{}",
            cm.replace("NS", ns),
            DEPLOY.replacen(
                "          image: nginx:1.27\n",
                &format!("          image: nginx:1.27\n{env}"),
                1
            )
        )
    };
    let env_from =
        "          envFrom:\n            - configMapRef:\n                name: web-config\n";
    let key_ref = |key: &str| {
        format!("          env:\n            - name: COLOR\n              valueFrom:\n                configMapKeyRef:\n                  name: web-config\n                  key: {key}\n")
    };
    // Another namespace: an error.
    kcase("PV124", &with("apps", env_from), &with("default", env_from));
    // A missing key: an error, with the nearest key as the fix.
    kcase(
        "PV124",
        &with("default", &key_ref("COLOUR")),
        &with("default", &key_ref("COLOR")),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: with("default", &key_ref("COLR")),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV124").expect("PV124");
    assert_eq!(x.severity, provisio_lint::Severity::Error);
    assert_eq!(x.fix.as_deref(), Some("did you mean `COLOR`?"));
    // A ConfigMap these files do not define, while they define others: a warning.
    let other = with("default", &env_from.replace("web-config", "web-cfg"));
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: other,
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV124").expect("PV124");
    assert_eq!(x.severity, provisio_lint::Severity::Warning);
    // Not judged: optional references, Secrets created out of band, and files that define no
    // ConfigMaps at all.
    for content in [
        with(
            "default",
            "          envFrom:\n            - configMapRef:\n                name: nope\n                optional: true\n",
        ),
        with(
            "default",
            "          envFrom:\n            - secretRef:\n                name: web-secrets\n",
        ),
        DEPLOY.replacen(
            "          image: nginx:1.27\n",
            &format!("          image: nginx:1.27\n{env_from}"),
            1,
        ),
    ] {
        let g = codes("k/app.yaml", &content);
        assert!(!g.iter().any(|c| c == "PV124"), "{content}\n{g:?}");
    }
    // Volumes: `items[].key` must exist.
    let vol = |key: &str| {
        format!(
            "{}{}",
            cm.replace("NS", "default"),
            DEPLOY.replacen(
                "      containers:\n",
                &format!("      volumes:\n        - name: cfg\n          configMap:\n            name: web-config\n            items:\n              - key: {key}\n                path: color\n      containers:\n"),
                1
            )
        )
    };
    kcase("PV124", &vol("colour"), &vol("COLOR"));

    // PV125.
    for (from, to) in [
        ("      containers:\n", "      hostNetwork: true\n      containers:\n"),
        (
            "      containers:\n",
            "      volumes:\n        - name: host\n          hostPath:\n            path: /var/run\n      containers:\n",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          securityContext:\n            capabilities:\n              add: [\"SYS_ADMIN\"]\n",
        ),
        (
            "      containers:\n",
            "      securityContext:\n        seccompProfile:\n          type: Unconfined\n      containers:\n",
        ),
    ] {
        kcase("PV125", &DEPLOY.replacen(from, to, 1), DEPLOY);
    }
    let g = codes(
        "k/app.yaml",
        &DEPLOY.replacen(
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          securityContext:\n            capabilities:\n              add: [\"NET_BIND_SERVICE\"]\n              drop: [\"ALL\"]\n",
            1,
        ),
    );
    assert!(!g.iter().any(|c| c == "PV125"), "{g:?}");

    // A repeated environment variable: a PV104 warning.
    let env = |second: &str| {
        DEPLOY.replacen(
            "          image: nginx:1.27\n",
            &format!("          image: nginx:1.27\n          env:\n            - name: MODE\n              value: a\n            - name: {second}\n              value: b\n"),
            1,
        )
    };
    kcase("PV104", &env("MODE"), &env("LEVEL"));
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: env("MODE"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV104").expect("PV104");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");

    // PV126: explicit root, privilege escalation.
    let ctx = |pod: &str, container: &str| {
        DEPLOY
            .replacen(
                "      containers:\n",
                &format!("{pod}      containers:\n"),
                1,
            )
            .replacen(
                "          image: nginx:1.27\n",
                &format!("          image: nginx:1.27\n{container}"),
                1,
            )
    };
    let pod_root = "      securityContext:\n        runAsUser: 0\n";
    let pod_user = "      securityContext:\n        runAsUser: 1000\n";
    let c_root = "          securityContext:\n            runAsUser: 0\n";
    let c_user = "          securityContext:\n            runAsUser: 101\n";
    kcase("PV126", &ctx(pod_root, ""), &ctx(pod_user, ""));
    kcase("PV126", &ctx("", c_root), &ctx("", c_user));
    kcase(
        "PV126",
        &ctx(
            "",
            "          securityContext:\n            allowPrivilegeEscalation: true\n",
        ),
        &ctx(
            "",
            "          securityContext:\n            allowPrivilegeEscalation: false\n",
        ),
    );
    // Every container overrides the pod's root user: not reported.
    let g = codes("k/app.yaml", &ctx(pod_root, c_user));
    assert!(!g.iter().any(|c| c == "PV126"), "{g:?}");
    // A warning that names the container.
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: ctx("", c_root),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV126").expect("PV126");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("container `web`"), "{x:?}");
}

/// Values the API server refuses (PV104), misspelt kinds (PV103), repeated keys (PV003).
#[test]
fn kubernetes_values() {
    // Volumes and mounts: a mount must name a volume of the pod (or a
    // StatefulSet's claim template), volume names and a container's mount paths are unique.
    let mounts = |m: &str, v: &str| {
        DEPLOY
            .replace(
                "          resources:\n",
                &format!("          volumeMounts:\n{m}          resources:\n"),
            )
            .replace(
                "      containers:\n",
                &format!("      volumes:\n{v}      containers:\n"),
            )
    };
    let m1 = "            - name: data\n              mountPath: /data\n";
    let v1 = "        - name: data\n          emptyDir: {}\n";
    let v2 = "        - name: cache\n          emptyDir: {}\n";
    for bad in [
        mounts(m1, v2),
        mounts(m1, &format!("{v1}{v1}")),
        mounts(
            &format!("{m1}            - name: cache\n              mountPath: /data/\n"),
            &format!("{v1}{v2}"),
        ),
    ] {
        kcase("PV104", &bad, &mounts(m1, &format!("{v1}{v2}")));
    }
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: mounts(m1, v2),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|x| x.code == "PV104").expect("PV104");
    assert!(
        x.message.contains("volume `data`") && x.message.contains("cache"),
        "{x:?}"
    );
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:17\n          volumeMounts:\n            - name: pgdata\n              mountPath: /var/lib/postgresql/data\n  volumeClaimTemplates:\n    - metadata:\n        name: pgdata\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 10Gi\n";
    kcase(
        "PV104",
        &sts.replace(
            "        name: pgdata\n      spec",
            "        name: data\n      spec",
        ),
        sts,
    );
    kcase(
        "PV003",
        &DEPLOY.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3\n"),
        DEPLOY,
    );
    kcase(
        "PV103",
        &DEPLOY.replace("kind: Deployment", "kind: Deployement"),
        DEPLOY,
    );
    kcase(
        "PV103",
        &DEPLOY.replace("kind: Service", "kind: service"),
        DEPLOY,
    );
    let pairs: Vec<(&str, &str)> = vec![
        ("memory: 64Mi", "memory: 64MB"),
        ("cpu: 50m", "cpu: 50mc"),
        ("memory: 128Mi", "memory: 1.5GiB"),
        ("        - name: web\n", "        - name: Web_Server\n"),
        (
            "            - name: http\n",
            "            - name: http-metrics-port\n",
        ),
        (
            "metadata:\n  name: web\nspec:\n  replicas",
            "metadata:\n  name: Web_App\nspec:\n  replicas",
        ),
        (
            "metadata:\n  name: web\n  annotations",
            "metadata:\n  name: 1web\n  annotations",
        ),
        (
            "      labels:\n        app: web",
            "      labels:\n        app: web server",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          imagePullPolicy: always\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n              protocol: tcp\n",
        ),
        ("  type: LoadBalancer", "  type: Loadbalancer"),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    type: Rolling\n",
        ),
    ];
    for (good, bad) in pairs {
        assert!(DEPLOY.contains(good), "{good}");
        kcase("PV104", &DEPLOY.replace(good, bad), DEPLOY);
    }
    // PV123: a probe on a port number the container does not declare.
    let probe = |port: &str| {
        DEPLOY.replace(
            "          readinessProbe:\n            httpGet:\n              path: /\n              port: http\n",
            &format!("          readinessProbe:\n            httpGet:\n              path: /\n              port: {port}\n"),
        )
    };
    kcase("PV123", &probe("8080"), &probe("80"));
    // Not when the container declares no ports.
    let bare = probe("8080").replace(
        "          ports:\n            - name: http\n              containerPort: 80\n",
        "",
    );
    assert!(!codes("k/app.yaml", &bare).iter().any(|c| c == "PV123"));
    // The fix says how to write the quantity.
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: DEPLOY.replace("memory: 64Mi", "memory: 64MB"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV104").expect("PV104");
    assert!(
        x.fix
            .as_deref()
            .is_some_and(|s| s.starts_with("write `64Mi`")),
        "{x:?}"
    );
    // Accepted forms: RBAC names with colons, empty port names, decimal quantities, templates.
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:psp:restricted\nrules: []\n";
    assert!(!codes("k/r.yaml", rbac).iter().any(|c| c == "PV104"));
    let ok = DEPLOY
        .replace("memory: 128Mi", "memory: 0.5Gi")
        .replace("cpu: 50m", "cpu: \"0.25\"")
        .replace(
            "  name: web\nspec:\n  replicas",
            "  name: \"{{ .Release.Name }}\"\nspec:\n  replicas",
        );
    let c = codes("k/app.yaml", &ok);
    assert!(!c.iter().any(|c| c == "PV104"), "{c:?}");
    // Custom resources are not judged by built-in rules.
    let crd = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: Big_Widget\nspec:\n  strategy:\n    type: Anything\n";
    assert!(!codes("k/w.yaml", crd)
        .iter()
        .any(|c| c == "PV104" || c == "PV103"));
}

#[test]
fn kubernetes_rules() {
    kcase(
        "PV002",
        &DEPLOY.replace("  replicas: 2", "  replicas: [2"),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("  replicas: 2", "  replica: 2"),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("  replicas: 2", "  replicas: \"2\""),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("containerPort: 80", "containerPort: eighty"),
        DEPLOY,
    );
    kcase(
        "PV101",
        &DEPLOY.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1"),
        DEPLOY,
    );
    kcase(
        "PV102",
        &format!(
            "{DEPLOY}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: p\n"
        ),
        DEPLOY,
    );
    // Other built-ins are schema-checked too; a kind without a kept schema is only an info.
    kcase("PV100", &format!("{DEPLOY}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: s\nprovisioner: rbd.csi.ceph.com\nreclaimPolicy: Delete\nallowVolumeExpanson: true\n"), &format!("{DEPLOY}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: s\nprovisioner: rbd.csi.ceph.com\nallowVolumeExpansion: true\n"));
    let list = format!("apiVersion: v1\nkind: List\nitems: []\n---\n{DEPLOY}");
    let c = codes("k/app.yaml", &list);
    assert!(
        c.contains(&"PV102".to_string()) && !c.contains(&"PV101".to_string()),
        "{c:?}"
    );
    kcase("PV110", &DEPLOY.replace("nginx:1.27", "nginx"), DEPLOY);
    kcase(
        "PV110",
        &DEPLOY.replace("nginx:1.27", "nginx:latest"),
        DEPLOY,
    );
    kcase(
        "PV111",
        &DEPLOY.replace("          resources:\n", "          resourcez:\n"),
        DEPLOY,
    );
    kcase(
        "PV112",
        &DEPLOY.replace("readinessProbe", "livenessProbe"),
        DEPLOY,
    );
    kcase(
        "PV113",
        &DEPLOY.replacen("      app: web", "      app: webx", 1),
        DEPLOY,
    );
    kcase(
        "PV114",
        &DEPLOY.replace("  selector:\n    app: web", "  selector:\n    app: api"),
        DEPLOY,
    );
    kcase("PV115", &DEPLOY.replace("10.0.0.241", "10.0.0.30"), DEPLOY);
    // One Service naming its address twice (annotation and the deprecated field) does not
    // collide with itself.
    let twice = DEPLOY.replace(
        "  type: LoadBalancer\n",
        "  type: LoadBalancer\n  loadBalancerIP: 10.0.0.241\n",
    );
    let c = codes("k/app.yaml", &twice);
    assert!(
        c.contains(&"PV116".to_string()) && !c.contains(&"PV115".to_string()),
        "{c:?}"
    );
    kcase(
        "PV116",
        &DEPLOY.replace("metallb.io/", "metallb.universe.tf/"),
        DEPLOY,
    );
    kcase(
        "PV117",
        &DEPLOY.replace("targetPort: http", "targetPort: web"),
        DEPLOY,
    );
    // A literal secret in env (initContainers too) or in a ConfigMap; a Secret reference and
    // a `$(VAR)` reference are fine, and the value never appears in the finding.
    let env = |e: &str| {
        DEPLOY.replace(
            "          resources:\n",
            &format!("          env:\n{e}          resources:\n"),
        )
    };
    kcase(
        "PV119",
        &env("            - name: DB_PASSWORD\n              value: hunter2\n"),
        &env("            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: API_TOKEN\n              value: $(TOKEN_FROM_FILE)\n            - name: LOG_LEVEL\n              value: debug\n"),
    );
    let init = DEPLOY.replace(
        "      containers:\n",
        "      initContainers:\n        - name: seed\n          image: busybox:1.36\n          env:\n            - name: api-token\n              value: s3cr3t-t0ken\n      containers:\n",
    );
    kcase("PV119", &init, DEPLOY);
    let found = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: init.clone(),
        }],
        None,
    );
    assert!(
        found.iter().any(|f| f.code == "PV119") && !render_text(&found).contains("s3cr3t"),
        "{}",
        render_text(&found)
    );
    let cm = |k: &str| {
        format!("{DEPLOY}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  {k}: \"abc123\"\n")
    };
    kcase("PV119", &cm("smtp_password"), &cm("smtp_host"));
    // Requests above limits (quantities in any unit); equal is fine.
    kcase(
        "PV120",
        &DEPLOY.replace("memory: 64Mi", "memory: 1Gi"),
        &DEPLOY.replace("memory: 64Mi", "memory: \"134217728\""),
    );
    let cpu = |req: &str, lim: &str| {
        DEPLOY.replace("cpu: 50m", &format!("cpu: {req}")).replace(
            "memory: 128Mi",
            &format!("memory: 128Mi\n              cpu: {lim}"),
        )
    };
    kcase("PV120", &cpu("\"1.5\"", "1000m"), &cpu("\"1.5\"", "2"));
    kcase("PV120", &cpu("2", "1e0"), &cpu("500m", "1e0"));
    kcase(
        "PV121",
        &DEPLOY.replace(
            "          resources:\n",
            "          securityContext:\n            privileged: true\n          resources:\n",
        ),
        &DEPLOY.replace(
            "          resources:\n",
            "          securityContext:\n            privileged: false\n          resources:\n",
        ),
    );
    // A numeric targetPort (or a port without targetPort) the selected pods do not declare.
    kcase(
        "PV122",
        &DEPLOY.replace("targetPort: http", "targetPort: 8080"),
        &DEPLOY.replace("targetPort: http", "targetPort: 80"),
    );
    kcase(
        "PV122",
        &DEPLOY.replace("    - port: 80\n      targetPort: http", "    - port: 8080"),
        &DEPLOY.replace("    - port: 80\n      targetPort: http", "    - port: 80"),
    );
    kcase(
        "PV118",
        &DEPLOY.replace("  name: web\n", "  name: web\n  namespace: shop\n"),
        &format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{}",
            DEPLOY.replace("  name: web\n", "  name: web\n  namespace: shop\n")
        ),
    );
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

/// PV055: IP settings PVE refuses or that leave the guest without a default route, for each
/// of the four guest resources; PV005: provider API URLs.
#[test]
fn terraform_ip_settings_and_endpoints() {
    let bpg = |v4: &str| {
        vm(&format!("  network_device {{\n    bridge = \"vmbr0\"\n  }}\n  initialization {{\n    ip_config {{\n      ipv4 {{\n{v4}\n      }}\n    }}\n  }}\n"))
    };
    let both = |a: &str, g: &str| {
        bpg(&format!(
            "        address = \"{a}\"\n        gateway = \"{g}\""
        ))
    };
    // A gateway outside the address's subnet, the address itself, the other family.
    case(
        "PV055",
        &both("10.0.5.20/24", "10.0.0.1"),
        &both("10.0.5.20/24", "10.0.5.1"),
    );
    case(
        "PV055",
        &both("10.0.5.20/16", "10.1.0.1"),
        &both("10.0.5.20/16", "10.0.9.1"),
    );
    case(
        "PV055",
        &both("10.0.5.20/24", "10.0.5.20"),
        &both("10.0.5.21/24", "10.0.5.20"),
    );
    case(
        "PV055",
        &both("10.0.5.20/24", "fe80::1"),
        &both("10.0.5.20/24", "10.0.5.1"),
    );
    // A /32 with an off-subnet gateway is an on-link setup: not judged.
    let g = codes("m/main.tf", &both("203.0.113.7/32", "172.31.1.1"));
    assert!(!g.contains(&"PV055".to_string()), "{g:?}");
    // No prefix, not an address, network/broadcast address.
    case(
        "PV055",
        &both("10.0.5.20", "10.0.5.1"),
        &both("10.0.5.20/24", "10.0.5.1"),
    );
    case(
        "PV055",
        &both("10.0.5.300/24", "10.0.5.1"),
        &both("10.0.5.30/24", "10.0.5.1"),
    );
    case(
        "PV055",
        &both("10.0.5.0/24", "10.0.5.1"),
        &both("10.0.5.2/24", "10.0.5.1"),
    );
    case(
        "PV055",
        &both("10.0.5.255/24", "10.0.5.1"),
        &both("10.0.5.254/24", "10.0.5.1"),
    );
    // A gateway without an address; a gateway beside dhcp (a warning).
    case(
        "PV055",
        &bpg("        gateway = \"10.0.5.1\""),
        &bpg("        address = \"dhcp\""),
    );
    case(
        "PV055",
        &both("dhcp", "10.0.5.1"),
        &bpg("        address = \"dhcp\""),
    );
    // An address that is set but not literal (`for_each` over a map of hosts) is present.
    case(
        "PV055",
        &bpg("        gateway = \"10.0.5.1\""),
        &both("${var.host_ip}/24", "10.0.5.1"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: both("dhcp", "10.0.5.1"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV055").expect("PV055");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    // The finding is on the gateway's line; the fix names the cause.
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: both("10.0.5.20/24", "10.0.0.1"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV055").expect("PV055");
    let text = both("10.0.5.20/24", "10.0.0.1");
    let line = text.lines().position(|l| l.contains("gateway")).unwrap() + 1;
    assert_eq!(x.line as usize, line, "{x:?}");
    assert!(x.message.contains("10.0.5.0/24"), "{x:?}");
    // IPv6: prefix, gateway outside, link-local gateways are fine.
    let v6 = |a: &str, g: &str| {
        vm(&format!("  network_device {{\n    bridge = \"vmbr0\"\n  }}\n  initialization {{\n    ip_config {{\n      ipv6 {{\n        address = \"{a}\"\n        gateway = \"{g}\"\n      }}\n    }}\n  }}\n"))
    };
    case(
        "PV055",
        &v6("fd00:1::20/64", "fd00:2::1"),
        &v6("fd00:1::20/64", "fd00:1::1"),
    );
    case(
        "PV055",
        &v6("fd00:1::20", "fe80::1"),
        &v6("fd00:1::20/64", "fe80::1"),
    );
    case(
        "PV055",
        &v6("auto", "fe80::1"),
        &v6("fd00:1::20/64", "fe80::1"),
    );
    // The cluster rules no longer report an unparsable address a second time.
    let b = codes("m/main.tf", &both("10.0.5.20", "10.0.5.1"));
    assert_eq!(
        b.iter().filter(|c| *c == "PV055" || *c == "PV049").count(),
        1,
        "{b:?}"
    );

    // Telmate's ipconfig strings.
    let tm = |ipc: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  ipconfig0 = \"{ipc}\"\n}}\n")
    };
    case(
        "PV055",
        &tm("ip=10.0.5.20/24 gw=10.0.5.1"),
        &tm("ip=10.0.5.20/24,gw=10.0.5.1"),
    );
    case(
        "PV055",
        &tm("ip=10.0.5.20/24,gateway=10.0.5.1"),
        &tm("ip=10.0.5.20/24,gw=10.0.5.1"),
    );
    case(
        "PV055",
        &tm("ip=10.0.5.20/24,gw=10.0.6.1"),
        &tm("ip=10.0.5.20/24,gw=10.0.5.1"),
    );
    case("PV055", &tm("ip=dhcp,gw=10.0.5.1"), &tm("ip=dhcp"));
    case("PV055", &tm("gw=10.0.5.1"), &tm("ip=dhcp,ip6=auto"));
    case(
        "PV055",
        &tm("ip=10.0.5.20,gw=10.0.5.1"),
        &tm("ip=10.0.5.20/24,gw=10.0.5.1,ip6=dhcp"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: tm("ip=10.0.5.20/24,gateway=10.0.5.1"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV055").expect("PV055");
    assert!(
        x.fix.as_deref().is_some_and(|s| s.contains("`gw=`")),
        "{x:?}"
    );
    // proxmox_lxc network blocks and bpg containers.
    let lxc = |ip: &str, gw: &str| {
        format!("resource \"proxmox_lxc\" \"c\" {{\n  target_node = \"pve1\"\n  network {{\n    name   = \"eth0\"\n    bridge = \"vmbr0\"\n    ip     = \"{ip}\"\n    gw     = \"{gw}\"\n  }}\n}}\n")
    };
    case(
        "PV055",
        &lxc("10.0.5.20/24", "10.0.4.1"),
        &lxc("10.0.5.20/24", "10.0.5.1"),
    );
    case(
        "PV055",
        &lxc("dhcp", "10.0.4.1"),
        &lxc("10.0.4.20/24", "10.0.4.1"),
    );
    let ct = |a: &str| {
        format!("resource \"proxmox_virtual_environment_container\" \"c\" {{\n  node_name = \"pve1\"\n  initialization {{\n    ip_config {{\n      ipv4 {{\n        address = \"{a}\"\n        gateway = \"192.168.1.1\"\n      }}\n    }}\n  }}\n}}\n")
    };
    case("PV055", &ct("192.168.2.10/24"), &ct("192.168.1.10/24"));
    // Variables with defaults are followed.
    let via_var = |d: &str| {
        format!("variable \"gw\" {{\n  default = \"{d}\"\n}}\n{}", vm("  initialization {\n    ip_config {\n      ipv4 {\n        address = \"10.0.5.20/24\"\n        gateway = var.gw\n      }\n    }\n  }\n"))
    };
    case("PV055", &via_var("10.0.6.1"), &via_var("10.0.5.1"));

    // PV005: provider API URLs.
    let bpg_p = |url: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{ source = \"bpg/proxmox\" }}\n  }}\n}}\nprovider \"proxmox\" {{\n  endpoint = \"{url}\"\n}}\nresource \"proxmox_virtual_environment_vm\" \"w\" {{\n  node_name = \"pve1\"\n}}\n")
    };
    case(
        "PV005",
        &bpg_p("https://pve1:8006/api2/json"),
        &bpg_p("https://pve1:8006/"),
    );
    case(
        "PV005",
        &bpg_p("http://pve1:8006/"),
        &bpg_p("https://pve1:8006"),
    );
    case(
        "PV005",
        &bpg_p("pve1:8006"),
        &bpg_p("https://pve.example.com/"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: bpg_p("https://pve1:8006/api2/json/"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV005").expect("PV005");
    assert_eq!(x.line, 7, "{x:?}");
    assert_eq!(
        x.fix.as_deref(),
        Some("write \"https://pve1:8006/\""),
        "{x:?}"
    );
    let tm_p = |url: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{ source = \"Telmate/proxmox\" }}\n  }}\n}}\nprovider \"proxmox\" {{\n  pm_api_url = \"{url}\"\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n}}\n")
    };
    case(
        "PV005",
        &tm_p("https://pve1:8006/"),
        &tm_p("https://pve1:8006/api2/json"),
    );
    case(
        "PV005",
        &tm_p("http://pve1:8006/api2/json"),
        &tm_p("https://pve1:8006/api2/json/"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: tm_p("https://pve1:8006"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV005").expect("PV005");
    assert_eq!(
        x.fix.as_deref(),
        Some("write \"https://pve1:8006/api2/json\""),
        "{x:?}"
    );
    // Variables are followed; values from the environment are not judged.
    let via_var = format!(
        "variable \"url\" {{\n  default = \"https://pve1:8006/api2/json\"\n}}\n{}",
        bpg_p("${var.url}").replace("\"${var.url}\"", "var.url")
    );
    assert!(codes("m/main.tf", &via_var).contains(&"PV005".to_string()));
    let no_url = bpg_p("x").replace("  endpoint = \"x\"\n", "");
    assert!(!codes("m/main.tf", &no_url).contains(&"PV005".to_string()));
}

/// `terraform.tfvars` and `*.auto.tfvars` give the module's variables their values (over the
/// defaults, the later file winning), so the cluster and value rules judge what Terraform
/// would send; a value for an undeclared variable is a PV020 warning.
#[test]
fn terraform_tfvars_values() {
    let main = "variable \"node\" {\n  type    = string\n  default = \"pve1\"\n}\nvariable \"gw\" {\n  type = string\n}\nresource \"proxmox_virtual_environment_vm\" \"w\" {\n  node_name = var.node\n  agent {\n    enabled = true\n  }\n  initialization {\n    ip_config {\n      ipv4 {\n        address = \"10.0.5.20/24\"\n        gateway = var.gw\n      }\n    }\n  }\n}\n";
    let run = |files: &[(&str, &str)]| -> Vec<provisio_lint::Finding> {
        let mut inputs = vec![Input {
            path: "m/main.tf".into(),
            content: format!("{PROVIDER}{main}"),
        }];
        for (p, c) in files {
            inputs.push(Input {
                path: p.to_string(),
                content: c.to_string(),
            });
        }
        lint(&inputs, Some(&facts()))
    };
    let has = |f: &[provisio_lint::Finding], code: &str| f.iter().any(|x| x.code == code);
    // Without a value the default (pve1, online) is used and the gateway is unknown.
    let f = run(&[]);
    assert!(!has(&f, "PV042") && !has(&f, "PV055"), "{f:?}");
    // terraform.tfvars overrides the default: pve2 is offline; the gateway is outside.
    let f = run(&[(
        "m/terraform.tfvars",
        "node = \"pve2\"\ngw   = \"10.0.6.1\"\n",
    )]);
    assert!(has(&f, "PV042"), "{f:?}");
    let x = f.iter().find(|x| x.code == "PV055").expect("PV055");
    let line = format!("{PROVIDER}{main}")
        .lines()
        .position(|l| l.contains("gateway = var.gw"))
        .unwrap() as u32
        + 1;
    assert_eq!((x.file.as_str(), x.line), ("m/main.tf", line), "{x:?}");
    // A later *.auto.tfvars wins over terraform.tfvars.
    let f = run(&[
        ("m/terraform.tfvars", "node = \"pve2\"\ngw = \"10.0.6.1\"\n"),
        ("m/z.auto.tfvars", "node = \"pve1\"\ngw = \"10.0.5.1\"\n"),
    ]);
    assert!(!has(&f, "PV042") && !has(&f, "PV055"), "{f:?}");
    // A secret in an auto-loaded variable file is a warning that never echoes it;
    // an empty value and a non-secret one are not.
    let f = run(&[(
        "m/terraform.tfvars",
        "gw = \"10.0.5.1\"\napi_token = \"root@pam!tf=0b6f3c1e-9b7d-4c1e-8f2a-6d5b4c3a2e1f\"\n",
    )]);
    let x = f.iter().find(|x| x.code == "PV030").expect("PV030");
    assert_eq!(
        (x.file.as_str(), x.line, x.severity.as_str()),
        ("m/terraform.tfvars", 2, "warning"),
        "{x:?}"
    );
    assert!(
        !x.message.contains("0b6f3c1e")
            && x.fix.as_deref().unwrap_or("").contains("TF_VAR_api_token"),
        "{x:?}"
    );
    let f = run(&[(
        "m/terraform.tfvars",
        "gw = \"10.0.5.1\"\napi_token = \"\"\n",
    )]);
    assert!(!has(&f, "PV030"), "{f:?}");
    // Files Terraform does not load by itself, and other directories, give no values.
    for other in [
        "m/terraform.tfvars.example",
        "m/prod.tfvars",
        "n/terraform.tfvars",
    ] {
        let f = run(&[(other, "node = \"pve2\"\n")]);
        assert!(!has(&f, "PV042"), "{other}: {f:?}");
    }
    // A value for an undeclared variable: a warning on its line, with the near name.
    let f = run(&[(
        "m/terraform.tfvars",
        "gw = \"10.0.5.1\"\nnode_nme = \"pve2\"\n",
    )]);
    let x = f.iter().find(|x| x.code == "PV020").expect("PV020");
    assert_eq!(
        (x.file.as_str(), x.line),
        ("m/terraform.tfvars", 2),
        "{x:?}"
    );
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.fix.as_deref().is_some_and(|s| s.contains("`node`")),
        "{x:?}"
    );
    // Values the variable's type does not admit: PV012 on the tfvars line; a
    // string of digits is a number, as Terraform converts it.
    let typed = |t: &str, v: &str| {
        vec![
            Input {
                path: "t/main.tf".into(),
                content: format!(
                    "variable \"x\" {{\n  type = {t}\n}}\noutput \"o\" {{\n  value = var.x\n}}\n"
                ),
            },
            Input {
                path: "t/terraform.tfvars".into(),
                content: format!("x = {v}\n"),
            },
        ]
    };
    for (t, bad, good) in [
        ("number", "\"lots\"", "\"6144\""),
        ("bool", "\"yes\"", "\"true\""),
        ("list(string)", "\"a\"", "[\"a\"]"),
        ("map(string)", "[\"a\"]", "{ a = \"b\" }"),
        ("string", "[\"a\"]", "42"),
    ] {
        let b = lint(&typed(t, bad), None);
        let x = b
            .iter()
            .find(|x| x.code == "PV012")
            .unwrap_or_else(|| panic!("{t} {bad}: {b:?}"));
        assert_eq!(
            (x.file.as_str(), x.line),
            ("t/terraform.tfvars", 1),
            "{x:?}"
        );
        let g = lint(&typed(t, good), None);
        assert!(!g.iter().any(|x| x.code == "PV012"), "{t} {good}: {g:?}");
    }
    // Syntax errors in variable files are still reported.
    let f = run(&[("m/terraform.tfvars", "node = \"pve2\",\n")]);
    assert!(has(&f, "PV001"), "{f:?}");

    // The JSON forms: terraform.tfvars.json after terraform.tfvars, *.auto.tfvars.json in
    // name order with *.auto.tfvars.
    let json = "{\n  \"node\": \"pve2\",\n  \"gw\": \"10.0.6.1\"\n}\n";
    let f = run(&[("m/terraform.tfvars.json", json)]);
    assert!(has(&f, "PV042") && has(&f, "PV055"), "{f:?}");
    let f = run(&[
        ("m/terraform.tfvars.json", json),
        ("m/terraform.tfvars", "node = \"pve1\"\ngw = \"10.0.5.1\"\n"),
    ]);
    assert!(has(&f, "PV042"), "terraform.tfvars.json wins: {f:?}");
    let f = run(&[
        ("m/terraform.tfvars.json", json),
        (
            "m/b.auto.tfvars.json",
            "{\"node\": \"pve1\", \"gw\": \"10.0.5.1\"}",
        ),
    ]);
    assert!(!has(&f, "PV042") && !has(&f, "PV055"), "{f:?}");
    let f = run(&[("m/prod.tfvars.json", json)]);
    assert!(!has(&f, "PV042"), "not auto-loaded: {f:?}");
    // An undeclared name in JSON: a warning on its line.
    let f = run(&[(
        "m/terraform.tfvars.json",
        "{\n  \"gw\": \"10.0.5.1\",\n  \"node_nme\": \"pve2\"\n}\n",
    )]);
    let x = f.iter().find(|x| x.code == "PV020").expect("PV020");
    assert_eq!(
        (x.file.as_str(), x.line, x.severity.as_str()),
        ("m/terraform.tfvars.json", 3, "warning"),
        "{x:?}"
    );
    let f = run(&[(
        "m/terraform.tfvars.json",
        "\n\n{\"gw\": \"10.0.5.1\",\n \"node_nme\": \"pve2\"}",
    )]);
    let x = f.iter().find(|x| x.code == "PV020").expect("PV020");
    assert_eq!((x.line, x.column), (4, 2), "{x:?}");
    // Bad JSON, or JSON that is not an object: PV001 at the error.
    let f = run(&[("m/terraform.tfvars.json", "{\n  \"node\": \"pve2\",\n}\n")]);
    let x = f.iter().find(|x| x.code == "PV001").expect("PV001");
    assert_eq!(
        (x.file.as_str(), x.line),
        ("m/terraform.tfvars.json", 3),
        "{x:?}"
    );
    let f = run(&[("m/terraform.tfvars.json", "[1, 2]")]);
    assert!(has(&f, "PV001"), "{f:?}");
    let f = run(&[("m/prod.tfvars.json", "{")]);
    assert!(has(&f, "PV001"), "syntax of a file not auto-loaded: {f:?}");
}

/// PV056: a linked clone given a target datastore (PVE: "parameter 'storage' not allowed for
/// linked clones"), for bpg's VM resource and `proxmox_cloned_vm`, with and without a cluster.
#[test]
fn terraform_linked_clone_target_storage() {
    let clone = |inner: &str| {
        vm(&format!(
            "  clone {{\n    vm_id = 9000\n{inner}  }}\n  initialization {{\n  }}\n"
        ))
    };
    case(
        "PV056",
        &clone("    full         = false\n    datastore_id = \"local-lvm\"\n"),
        &clone("    full         = true\n    datastore_id = \"local-lvm\"\n"),
    );
    case(
        "PV056",
        &clone("    full         = false\n    datastore_id = \"local-lvm\"\n"),
        &clone("    full = false\n"),
    );
    let cv = |inner: &str| {
        format!("{PROVIDER}\nresource \"proxmox_cloned_vm\" \"w\" {{\n  node_name = \"pve1\"\n  clone = {{\n    source_vm_id = 9000\n{inner}  }}\n}}\n")
    };
    case(
        "PV056",
        &cv("    full             = false\n    target_datastore = \"local-lvm\"\n"),
        &cv("    target_datastore = \"local-lvm\"\n"),
    );
    // Without cluster state too, on the datastore's line; `full` from a variable default.
    let text = format!(
        "variable \"full\" {{\n  default = false\n}}\n{}",
        clone("    full         = var.full\n    datastore_id = \"local-lvm\"\n")
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: text.clone(),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV056").expect("PV056");
    let line = text
        .lines()
        .position(|l| l.contains("datastore_id"))
        .unwrap() as u32
        + 1;
    assert_eq!(x.line, line, "{x:?}");
}

/// PV046 / PV051 with count and for_each: a fixed VMID or static IP is the same for every
/// instance, unless the resource has at most one (`count = var.on ? 1 : 0`).
#[test]
fn terraform_counted_fixed_ids() {
    let fixed = |meta: &str| {
        vm(&format!("{meta}  vm_id = 4242\n  network_device {{\n    bridge = \"vnet1\"\n  }}\n  initialization {{\n    ip_config {{\n      ipv4 {{\n        address = \"10.0.0.77/24\"\n        gateway = \"10.0.0.1\"\n      }}\n    }}\n  }}\n"))
    };
    let var = "variable \"on\" {\n  type    = bool\n  default = true\n}\nvariable \"n\" {\n  default = 3\n}\n";
    for many in [
        "  count = 3\n",
        "  count = var.n\n",
        "  for_each = toset([\"a\", \"b\"])\n",
        "  for_each = { a = 1, b = 2 }\n",
    ] {
        let b = codes("m/main.tf", &format!("{var}{}", fixed(many)));
        for code in ["PV046", "PV051"] {
            assert!(
                b.iter().any(|c| c == code),
                "{code} not raised with {many}: {b:?}"
            );
        }
    }
    for one in [
        "",
        "  count = 1\n",
        "  count = var.on ? 1 : 0\n",
        "  for_each = toset([\"a\"])\n",
    ] {
        let g = codes("m/main.tf", &format!("{var}{}", fixed(one)));
        for code in ["PV046", "PV051"] {
            assert!(
                !g.iter().any(|c| c == code),
                "{code} raised with {one:?}: {g:?}"
            );
        }
    }
    // Addresses derived from the index are not literal, so not judged.
    let derived = vm("  count = 3\n  vm_id = 4300 + count.index\n  initialization {\n    ip_config {\n      ipv4 {\n        address = \"10.0.0.${80 + count.index}/24\"\n      }\n    }\n  }\n");
    let g = codes("m/main.tf", &derived);
    assert!(!g.iter().any(|c| c == "PV046" || c == "PV051"), "{g:?}");
}

/// Serial ports (PV017), bools given to enumerated strings (PV017), the lifecycle block
/// (PV010, PV012).
#[test]
fn terraform_serial_enum_bools_and_lifecycle() {
    case(
        "PV017",
        &vm("  serial_device {\n    device = \"sockets\"\n  }\n"),
        &vm("  serial_device {\n    device = \"socket\"\n  }\n"),
    );
    case(
        "PV017",
        &vm("  serial_device {\n    device = \"ttyS0\"\n  }\n"),
        &vm("  serial_device {\n    device = \"/dev/ttyS0\"\n  }\n"),
    );
    let tm = |t: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  serial {{\n    id   = 0\n    type = \"{t}\"\n  }}\n}}\n")
    };
    case("PV017", &tm("Socket"), &tm("socket"));
    let disk = |d: &str| {
        vm(&format!("  disk {{\n    datastore_id = \"local-lvm\"\n    interface    = \"scsi0\"\n    discard      = {d}\n  }}\n"))
    };
    case("PV017", &disk("true"), &disk("\"on\""));
    // Lifecycle: unknown arguments, flag types, ignore_changes names.
    let lc = |body: &str| vm(&format!("  lifecycle {{\n{body}  }}\n"));
    case(
        "PV010",
        &lc("    prevent_destroys = true\n"),
        &lc("    prevent_destroy = true\n"),
    );
    // OpenTofu's `enabled` and `destroy` (1.11).
    case(
        "PV010",
        &lc("    enable = var.on\n"),
        &lc("    enabled = var.on\n    destroy = false\n"),
    );
    case(
        "PV012",
        &lc("    destroy = \"no\"\n"),
        &lc("    destroy = false\n"),
    );
    case(
        "PV012",
        &lc("    prevent_destroy = \"yes\"\n"),
        &lc("    prevent_destroy = \"true\"\n"),
    );
    case(
        "PV010",
        &lc("    ignore_changes = [inititalization, tags]\n"),
        &lc("    ignore_changes = [initialization, tags, disk[0].size]\n"),
    );
    case(
        "PV010",
        &lc("    ignore_changes = [\"memroy\"]\n"),
        &lc("    ignore_changes = all\n"),
    );
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: lc("    ignore_changes = [\n      tags,\n      inititalization,\n    ]\n"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV010").expect("PV010");
    assert!(x.message.contains("`initialization`"), "{x:?}");
    let text = lc("    ignore_changes = [\n      tags,\n      inititalization,\n    ]\n");
    let line = text
        .lines()
        .position(|l| l.contains("inititalization"))
        .unwrap() as u32
        + 1;
    assert_eq!(x.line, line, "{x:?}");
}

/// PV006: a version constraint that excludes the provider release the schemas describe.
#[test]
fn terraform_provider_version_outside_schemas() {
    let module = |source: &str, version: &str, resource: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{\n      source  = \"{source}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n\nresource \"{resource}\" \"w\" {{\n  name = \"w\"\n}}\n")
    };
    let tm = |v: &str| module("Telmate/proxmox", v, "proxmox_vm_qemu");
    let bpg = |v: &str| module("bpg/proxmox", v, "proxmox_virtual_environment_vm");
    // PV006: the constraint selects no covered release (Terraform installs a prerelease only
    // when the constraint names it exactly).
    for (bad, good) in [
        ("~> 3.0", "~> 2.9"),
        (">= 3.0.1-rc1", "= 3.0.1-rc1"),
        ("~> 3.0.1-rc4", "3.0.1-rc4"),
        ("~> 4.0", ">= 2.9"),
        ("2.8.0", "2.9.0"),
    ] {
        case("PV006", &tm(bad), &tm(good));
    }
    for (bad, good) in [
        ("~> 0.112.0", "~> 0.66.0"),
        ("0.30.0", "0.40.0"),
        ("0.111.4", "0.111.1"),
        ("< 0.40", ">= 0.100, != 0.110.0"),
    ] {
        case("PV006", &bpg(bad), &bpg(good));
    }
    let f = lint(
        &[Input {
            path: "m/main.tf".into(),
            content: tm("~> 3.0.1-rc4"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV006").expect("PV006");
    assert_eq!((x.line, x.severity.as_str()), (5, "warning"), "{x:?}");
    assert!(
        x.message.contains("prerelease")
            && x.fix.as_deref() == Some("name the prerelease exactly: `version = \"3.0.1-rc4\"`"),
        "{x:?}"
    );
    // An in-house mirror or build under another host may carry any version: not judged.
    let g = codes(
        "m/main.tf",
        &module(
            "registry.example.com/Telmate/proxmox",
            "~> 3.0",
            "proxmox_vm_qemu",
        ),
    );
    assert!(!g.iter().any(|c| c == "PV006"), "{g:?}");
    // Other providers are not judged.
    let g = codes(
        "m/main.tf",
        &module("hashicorp/random", "2.0.0", "random_id"),
    );
    assert!(!g.iter().any(|c| c == "PV006"), "{g:?}");
}

/// PV127: Ingress backends against the Services these manifests define.
#[test]
fn kubernetes_ingress_backends() {
    let ing = |backend: &str, ns: &str| {
        format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  rules:\n    - host: web.example.internal\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n{backend}")
    };
    let by_number = |name: &str, port: u32| {
        format!("                name: {name}\n                port:\n                  number: {port}\n")
    };
    let by_name = |name: &str, port: &str| {
        format!(
            "                name: {name}\n                port:\n                  name: {port}\n"
        )
    };
    // The Service `web` (namespace default) exposes port 80 (unnamed), targetPort http.
    kcase(
        "PV127",
        &ing(&by_number("web", 8080), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_name("web", "http"), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_number("web", 80), "apps"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_number("wbe", 80), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: ing(&by_number("wbe", 80), "default"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV127").expect("PV127");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert_eq!(x.fix.as_deref(), Some("did you mean `web`?"), "{x:?}");
    // A Service without ports (ExternalName) gives nothing to compare.
    let ext = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ext\nspec:\n  type: ExternalName\n  externalName: web.example.org\n",
        ing(&by_number("ext", 443), "default")
    );
    let g = codes("k/app.yaml", &ext);
    assert!(!g.iter().any(|c| c == "PV127"), "{g:?}");
    // No Service in the Ingress's namespace at all: not judged (it may exist in the cluster).
    let alone = format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  defaultBackend:\n    service:\n      name: other\n      port:\n        number: 80\n");
    let g = codes("k/app.yaml", &alone);
    assert!(!g.iter().any(|c| c == "PV127"), "{g:?}");
}

/// PV104: CronJob schedules the API server refuses.
#[test]
fn kubernetes_cron_schedules() {
    let cj = |sched: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"{sched}\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: backup\n              image: busybox:1.36\n              command: [\"true\"]\n")
    };
    for (bad, good) in [
        ("*/5 * * *", "*/5 * * * *"),
        ("0 */5 * * * *", "0 */5 * * *"),
        ("0 24 * * *", "0 23 * * *"),
        ("60 3 * * *", "59 3 * * *"),
        ("0 3 * 13 *", "0 3 * DEC *"),
        ("0 3 * * 8", "0 3 * * 1-5"),
        ("*/0 * * * *", "*/15 * * * *"),
        ("TZ=Europe/Berlin 0 3 * * *", "0 3 1,15 * *"),
        ("@fortnightly", "@daily"),
        ("@every 5 minutes", "@every 1h30m"),
    ] {
        let b = codes("k/cron.yaml", &cj(bad));
        assert!(b.iter().any(|c| c == "PV104"), "{bad}: {b:?}");
        let g = codes("k/cron.yaml", &cj(good));
        assert!(!g.iter().any(|c| c == "PV104"), "{good}: {g:?}");
    }
}

/// PV128: HorizontalPodAutoscalers against the workloads they scale; PV104 min > max.
#[test]
fn kubernetes_hpa_targets() {
    let hpa = |target: &str, metric: &str, ns: &str| {
        format!("{DEPLOY}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {target}\n  minReplicas: 2\n  maxReplicas: 5\n  metrics:\n    - type: Resource\n      resource:\n        name: {metric}\n        target:\n          type: Utilization\n          averageUtilization: 70\n")
    };
    // DEPLOY's container requests cpu and memory; drop the cpu request for the bad case.
    let no_cpu = |t: String| t.replacen("              cpu: 50m\n", "", 1);
    kcase(
        "PV128",
        &no_cpu(hpa("web", "cpu", "default")),
        &hpa("web", "cpu", "default"),
    );
    kcase(
        "PV128",
        &hpa("web", "cpu", "apps"),
        &hpa("web", "cpu", "default"),
    );
    kcase(
        "PV128",
        &hpa("wbe", "cpu", "default"),
        &hpa("web", "memory", "default"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: hpa("wbe", "cpu", "default"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV128").expect("PV128");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    // An AverageValue target needs no request.
    let avg = no_cpu(hpa("web", "cpu", "default")).replace(
        "type: Utilization\n          averageUtilization: 70",
        "type: AverageValue\n          averageValue: 200m",
    );
    let g = codes("k/app.yaml", &avg);
    assert!(!g.iter().any(|c| c == "PV128"), "{g:?}");
    // minReplicas above maxReplicas.
    kcase(
        "PV104",
        &hpa("web", "cpu", "default").replace("minReplicas: 2", "minReplicas: 6"),
        &hpa("web", "cpu", "default"),
    );
}

/// PV129: PodDisruptionBudgets that protect nothing or block every eviction.
#[test]
fn kubernetes_disruption_budgets() {
    // DEPLOY runs 2 replicas labelled app=web.
    let pdb = |spec: &str, app: &str| {
        format!("{DEPLOY}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n{spec}  selector:\n    matchLabels:\n      app: {app}\n")
    };
    kcase(
        "PV129",
        &pdb("  minAvailable: 2\n", "web"),
        &pdb("  minAvailable: 1\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  minAvailable: 100%\n", "web"),
        &pdb("  minAvailable: 50%\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  maxUnavailable: 0\n", "web"),
        &pdb("  maxUnavailable: 1\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  minAvailable: 1\n", "wbe"),
        &pdb("  minAvailable: 1\n", "web"),
    );
    // Three replicas leave room for minAvailable 2.
    let g = codes(
        "k/app.yaml",
        &pdb("  minAvailable: 2\n", "web").replacen("replicas: 2", "replicas: 3", 1),
    );
    assert!(!g.iter().any(|c| c == "PV129"), "{g:?}");
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: pdb("  minAvailable: 2\n", "web"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV129").expect("PV129");
    assert!(
        x.message.contains("minAvailable 2 of the 2 pod(s)"),
        "{x:?}"
    );
}

/// PV105: several Deployment replicas on one ReadWriteOnce claim.
#[test]
fn kubernetes_rwo_claim_shared_by_replicas() {
    let with_pvc = |replicas: u32, mode: &str| {
        let deploy = DEPLOY
            .replacen("replicas: 2", &format!("replicas: {replicas}"), 1)
            .replacen(
                "      containers:\n",
                "      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: web-data\n      containers:\n",
                1,
            );
        format!("{deploy}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: web-data\nspec:\n  accessModes: [\"{mode}\"]\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    kcase(
        "PV105",
        &with_pvc(2, "ReadWriteOnce"),
        &with_pvc(1, "ReadWriteOnce"),
    );
    kcase(
        "PV105",
        &with_pvc(3, "ReadWriteOncePod"),
        &with_pvc(3, "ReadWriteMany"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: with_pvc(2, "ReadWriteOnce"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV105").expect("PV105");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("Multi-Attach"), "{x:?}");
}

/// PV017: machine types, EFI disk types, TPM versions, CPU architectures, VGA memory.
#[test]
fn terraform_machine_efi_tpm_values() {
    case(
        "PV017",
        &vm("  machine = \"i440fx\"\n"),
        &vm("  machine = \"pc\"\n"),
    );
    case(
        "PV017",
        &vm("  machine = \"pc-q35\"\n"),
        &vm("  machine = \"pc-q35-9.2+pve1\"\n"),
    );
    case(
        "PV017",
        &vm("  efi_disk {\n    datastore_id = \"local-lvm\"\n    type = \"4M\"\n  }\n"),
        &vm("  efi_disk {\n    datastore_id = \"local-lvm\"\n    type = \"4m\"\n  }\n"),
    );
    case(
        "PV017",
        &vm("  tpm_state {\n    datastore_id = \"local-lvm\"\n    version = \"v2\"\n  }\n"),
        &vm("  tpm_state {\n    datastore_id = \"local-lvm\"\n    version = \"v2.0\"\n  }\n"),
    );
    case(
        "PV017",
        &vm("  cpu {\n    architecture = \"amd64\"\n  }\n"),
        &vm("  cpu {\n    architecture = \"x86_64\"\n  }\n"),
    );
    case(
        "PV017",
        &vm("  vga {\n    memory = 1024\n  }\n"),
        &vm("  vga {\n    memory = 64\n  }\n"),
    );
    let tm = |m: &str| {
        format!("resource \"proxmox_vm_qemu\" \"w\" {{\n  target_node = \"pve1\"\n  machine     = \"{m}\"\n}}\n")
    };
    case("PV017", &tm("q35-9.2"), &tm("q35"));
    case(
        "PV017",
        &vm("  keyboard_layout = \"en\"\n"),
        &vm("  keyboard_layout = \"en-us\"\n"),
    );
}

/// MetalLB's resources: what its controller refuses (PV140), pools that take
/// addresses the site has given out (PV141), and configuration that does nothing (PV142).
#[test]
fn kubernetes_metallb_resources() {
    let pool = |ns: &str, addrs: &str| {
        format!("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: lab-pool\n  namespace: {ns}\nspec:\n  addresses:\n{addrs}")
    };
    const L2: &str = "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: lab-l2\n  namespace: metallb-system\nspec:\n  ipAddressPools:\n    - lab-pool\n";
    let good = format!(
        "{}{L2}",
        pool("metallb-system", "    - 10.0.0.240-10.0.0.250\n")
    );
    let with = |addrs: &str| format!("{}{L2}", pool("metallb-system", addrs));
    let g = codes("k/metallb.yaml", &good);
    assert!(
        !g.iter().any(|c| c.starts_with("PV14") || c == "PV102"),
        "{g:?}"
    );
    // PV140: entries MetalLB refuses; overlapping entries; a pool without addresses.
    for bad in [
        "    - 10.0.0.245\n",
        "    - 10.0.0.250-10.0.0.240\n",
        "    - 10.0.0.240/33\n",
        "    - 10.0.0.240-fc00::1\n",
        "    - 10.0.0.240/29\n    - 10.0.0.244-10.0.0.250\n",
    ] {
        kcase("PV140", &with(bad), &good);
    }
    kcase(
        "PV140",
        &good.replace(
            "  addresses:\n    - 10.0.0.240-10.0.0.250\n",
            "  addresses: []\n",
        ),
        &good,
    );
    kcase(
        "PV140",
        &good.replace("    - lab-pool\n", "    - lab-pool\n    - lab-pool\n"),
        &good,
    );
    // IPv6 entries and CIDRs are read, not judged against the IPv4 site facts.
    let dual = with("    - 10.0.0.240/29\n    - fc00:f853:ccd:e799::/124\n");
    let d = codes("k/metallb.yaml", &dual);
    assert!(!d.iter().any(|c| c.starts_with("PV14")), "{d:?}");
    // PV141: the k3s VIP, a reserved gateway, an address in use.
    for bad in [
        "    - 10.0.0.5-10.0.0.20\n",
        "    - 10.0.0.0/28\n",
        "    - 10.0.0.48/30\n",
    ] {
        kcase("PV141", &with(bad), &good);
    }
    // PV142: a typo'd pool name, a pool nobody announces, a namespace MetalLB does not read, a
    // range outside the site's MetalLB ranges, the pre-0.13 forms.
    kcase(
        "PV142",
        &good.replace("    - lab-pool\n", "    - lab-pol\n"),
        &good,
    );
    kcase(
        "PV142",
        &pool("metallb-system", "    - 10.0.0.240-10.0.0.250\n"),
        &good,
    );
    kcase(
        "PV142",
        &good.replace(
            "  namespace: metallb-system\nspec:\n  addresses",
            "  namespace: default\nspec:\n  addresses",
        ),
        &good,
    );
    kcase("PV142", &with("    - 10.0.0.200-10.0.0.210\n"), &good);
    kcase(
        "PV142",
        &good.replace("kind: IPAddressPool", "kind: AddressPool"),
        &good,
    );
    let legacy = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: metallb-system\ndata:\n  config: |\n    address-pools:\n    - name: default\n      protocol: layer2\n      addresses:\n      - 10.0.0.240-10.0.0.250\n";
    kcase("PV142", legacy, &good);
    // An advertisement that selects every pool (no list) or selects by label announces them.
    let all = good.replace("spec:\n  ipAddressPools:\n    - lab-pool\n", "");
    let a = codes("k/metallb.yaml", &all);
    assert!(!a.iter().any(|c| c.starts_with("PV14")), "{a:?}");
    // PV100: unknown spec fields, with the near miss as the fix.
    kcase("PV100", &good.replace("  addresses:", "  adresses:"), &good);
    let f = lint(
        &[Input {
            path: "k/metallb.yaml".into(),
            content: good.replace("  addresses:", "  adresses:"),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|f| f.code == "PV100").expect("PV100");
    assert!(
        x.fix.as_deref().unwrap_or("").contains("`addresses`"),
        "{x:?}"
    );
    // PV115 without site facts: a Service's IP against the pools these manifests define, and
    // PV142 for a pool name that is not defined.
    let svc = |ann: &str| {
        format!("{good}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\n  annotations:\n    {ann}\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n    - port: 80\n")
    };
    let bare = |text: &str| -> Vec<String> {
        lint(
            &[Input {
                path: "k/app.yaml".into(),
                content: text.into(),
            }],
            None,
        )
        .into_iter()
        .map(|f| f.code)
        .collect()
    };
    assert!(bare(&svc("metallb.io/loadBalancerIPs: 10.0.0.30")).contains(&"PV115".to_string()));
    assert!(!bare(&svc("metallb.io/loadBalancerIPs: 10.0.0.245")).contains(&"PV115".to_string()));
    assert!(bare(&svc("metallb.io/address-pool: lab-pol")).contains(&"PV142".to_string()));
    assert!(!bare(&svc("metallb.io/address-pool: lab-pool")).contains(&"PV142".to_string()));
}

/// PV017: hotplug features PVE does not know, memory hotplug without NUMA
/// (warning), Telmate NIC and serial ids out of range or used twice.
#[test]
fn hotplug_and_device_ids() {
    let first = |code: &str, text: &str| {
        lint(
            &[Input {
                path: "m/main.tf".into(),
                content: text.into(),
            }],
            Some(&facts()),
        )
        .into_iter()
        .find(|f| f.code == code)
    };
    // bpg
    case(
        "PV017",
        &vm("  hotplug = \"network,disk,ram\"\n"),
        &vm("  hotplug = \"network,disk,usb\"\n"),
    );
    let x = first("PV017", &vm("  hotplug = \"network,disk,ram\"\n")).expect("PV017");
    assert!(x.message.contains("`ram`"), "{x:?}");
    assert!(
        x.fix.as_deref().is_some_and(|f| f.contains("`memory`")),
        "{x:?}"
    );
    for ok in ["0", "1", "cpu,memory,network,disk,usb,cloudinit"] {
        let numa = "  cpu {\n    cores = 2\n    numa  = true\n  }\n";
        let c = codes("m/main.tf", &vm(&format!("  hotplug = \"{ok}\"\n{numa}")));
        assert!(!c.contains(&"PV017".to_string()), "{ok}: {c:?}");
    }
    // Memory hotplug needs NUMA: a warning on the hotplug line.
    let mem = |cpu: &str| vm(&format!("  hotplug = \"network,disk,memory\"\n{cpu}"));
    case(
        "PV017",
        &mem("  cpu {\n    cores = 2\n  }\n"),
        &mem("  cpu {\n    cores = 2\n    numa  = true\n  }\n"),
    );
    let x = first("PV017", &mem("")).expect("PV017");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.fix.as_deref().is_some_and(|f| f.contains("numa = true")),
        "{x:?}"
    );
    case(
        "PV017",
        &mem("  cpu {\n    numa = false\n  }\n"),
        &mem("  cpu {\n    numa = var.numa\n  }\n"),
    );

    // Telmate
    let tel = |extra: &str| {
        format!("terraform {{\n  required_providers {{\n    proxmox = {{ source = \"Telmate/proxmox\" }}\n  }}\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name        = \"w\"\n  target_node = \"pve1\"\n  agent       = 1\n  network {{\n    id     = 0\n    model  = \"virtio\"\n    bridge = \"vnet1\"\n  }}\n{extra}}}\n")
    };
    let nic = |id: u32| {
        format!("  network {{\n    id     = {id}\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n  }}\n")
    };
    case("PV017", &tel(&nic(0)), &tel(&nic(1)));
    let x = first("PV017", &tel(&nic(0))).expect("PV017");
    assert!(x.message.contains("net0"), "{x:?}");
    assert!(
        x.fix.as_deref().is_some_and(|f| f.contains("id = 1")),
        "{x:?}"
    );
    case("PV017", &tel(&nic(32)), &tel(&nic(31)));
    let serial = |a: u32, b: u32| {
        format!("  serial {{\n    id   = {a}\n    type = \"socket\"\n  }}\n  serial {{\n    id   = {b}\n    type = \"socket\"\n  }}\n")
    };
    case("PV017", &tel(&serial(0, 0)), &tel(&serial(0, 1)));
    case("PV017", &tel(&serial(0, 4)), &tel(&serial(0, 3)));
    case(
        "PV017",
        &tel("  hotplug = \"network,disk,memory\"\n"),
        &tel("  hotplug = \"network,disk,memory\"\n  cpu {\n    numa = true\n  }\n"),
    );
}

/// PV106: a quantity without its suffix: `memory: 64` is 64 bytes, `cpu: 500` 500 CPUs.
#[test]
fn kubernetes_quantity_without_its_unit() {
    let with = |from: &str, to: &str| {
        assert!(DEPLOY.contains(from), "{from}");
        DEPLOY.replacen(from, to, 1)
    };
    kcase(
        "PV106",
        &with("memory: 64Mi", "memory: 64"),
        &with("memory: 64Mi", "memory: 67108864"),
    );
    kcase(
        "PV106",
        &with("memory: 128Mi", "memory: \"128\""),
        &with("memory: 128Mi", "memory: 128M"),
    );
    kcase(
        "PV106",
        &with("cpu: 50m", "cpu: 500"),
        &with("cpu: 50m", "cpu: 2"),
    );
    kcase(
        "PV106",
        &with("cpu: 50m", "cpu: 250"),
        &with("cpu: 50m", "cpu: \"0.25\""),
    );
    // An exponent or a suffix is the author's chosen unit.
    kcase(
        "PV106",
        &with("memory: 64Mi", "memory: 512"),
        &with("memory: 64Mi", "memory: 64e6"),
    );
    let x = kfind("PV106", "k/app.yaml", &with("cpu: 50m", "cpu: 500"));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert_eq!(x.fix.as_deref(), Some("cpu: 500m"), "{x:?}");
    assert!(x.message.contains("requests.cpu"), "{x:?}");
}

/// PV104: a Secret's `data` (and a ConfigMap's `binaryData`) must be base64.
#[test]
fn kubernetes_secret_data_not_base64() {
    let secret = |field: &str, v: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n{field}:\n  username: {v}\n")
    };
    kcase(
        "PV104",
        &secret("data", "admin"),
        &secret("stringData", "admin"),
    );
    kcase(
        "PV104",
        &secret("data", "YWRtaW4"),
        &secret("data", "YWRtaW4="),
    );
    kcase(
        "PV104",
        &secret("data", "\"YWRt aW4=\""),
        &secret("data", "|\n    YWRt\n    aW4=\n"),
    );
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\nbinaryData:\n  logo.png: {v}\n")
    };
    kcase("PV104", &cm("not-base64!"), &cm("iVBORw0KGgo="));
    let x = kfind("PV104", "k/app.yaml", &secret("data", "admin"));
    assert!(x.message.contains("data.username"), "{x:?}");
    assert!(
        !x.message.contains("admin"),
        "the value is not echoed: {x:?}"
    );
    assert!(
        x.fix.as_deref().unwrap_or("").contains("stringData"),
        "{x:?}"
    );
}

/// PV104: a Job's pods must end (`OnFailure`/`Never`, written out: the default `Always` is
/// refused); a Deployment's restart (`Always` only).
#[test]
fn kubernetes_restart_policy_per_controller() {
    let job = |policy: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n{policy}      containers:\n        - name: once\n          image: busybox:1.36\n")
    };
    kcase("PV104", &job(""), &job("      restartPolicy: Never\n"));
    kcase(
        "PV104",
        &job("      restartPolicy: Always\n"),
        &job("      restartPolicy: OnFailure\n"),
    );
    let cron = |policy: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{policy}          containers:\n            - name: backup\n              image: busybox:1.36\n")
    };
    kcase(
        "PV104",
        &cron(""),
        &cron("          restartPolicy: OnFailure\n"),
    );
    let deploy = DEPLOY.replacen(
        "      containers:\n",
        "      restartPolicy: Never\n      containers:\n",
        1,
    );
    let always = DEPLOY.replacen(
        "      containers:\n",
        "      restartPolicy: Always\n      containers:\n",
        1,
    );
    kcase("PV104", &deploy, &always);
    let x = kfind("PV104", "k/job.yaml", &job(""));
    assert_eq!(
        x.fix.as_deref(),
        Some("add `restartPolicy: OnFailure` to the pod template's spec"),
        "{x:?}"
    );
}

/// PV104: Service fields its type does not allow, probes with two handlers, tolerations the
/// API server refuses.
#[test]
fn kubernetes_service_probe_toleration_shapes() {
    let svc = |spec: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n{spec}  selector:\n    app: db\n  ports:\n    - port: 5432\n      nodePort: 30432\n")
    };
    kcase("PV104", &svc(""), &svc("  type: NodePort\n"));
    kcase(
        "PV104",
        &svc("  type: ClusterIP\n"),
        &svc("  type: LoadBalancer\n"),
    );
    let headless = |ty: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  type: {ty}\n  clusterIP: None\n  selector:\n    app: db\n  ports:\n    - port: 5432\n")
    };
    kcase("PV104", &headless("LoadBalancer"), &headless("ClusterIP"));
    kcase("PV104", &headless("NodePort"), &headless("ClusterIP"));

    let probe = DEPLOY.replacen(
        "            httpGet:\n",
        "            tcpSocket:\n              port: 80\n            httpGet:\n",
        1,
    );
    assert_ne!(probe, DEPLOY);
    kcase("PV104", &probe, DEPLOY);
    let hook = |h: &str| {
        DEPLOY.replacen(
            "          readinessProbe:\n",
            &format!("          lifecycle:\n            preStop:\n{h}          readinessProbe:\n"),
            1,
        )
    };
    kcase(
        "PV104",
        &hook("              exec:\n                command: [\"sleep\", \"5\"]\n              sleep:\n                seconds: 5\n"),
        &hook("              sleep:\n                seconds: 5\n"),
    );

    let tol = |t: &str| {
        DEPLOY.replacen(
            "      containers:\n",
            &format!("      tolerations:\n        - {t}\n      containers:\n"),
            1,
        )
    };
    kcase(
        "PV104",
        &tol("{key: node-role.kubernetes.io/control-plane, operator: Exists, value: \"true\", effect: NoSchedule}"),
        &tol("{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}"),
    );
    kcase(
        "PV104",
        &tol("{effect: NoSchedule}"),
        &tol("{operator: Exists}"),
    );
    kcase(
        "PV104",
        &tol("{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}"),
        &tol("{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}"),
    );
}

/// PV107: a StatefulSet's governing Service must exist among the manifests' Services and be
/// headless.
#[test]
fn kubernetes_statefulset_governing_service() {
    let sts = |service_name: &str, cluster_ip: &str| {
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: {service_name}\n  replicas: 1\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n{cluster_ip}  selector:\n    app: db\n  ports:\n    - port: 5432\n")
    };
    kcase("PV107", &sts("db", ""), &sts("db", "  clusterIP: None\n"));
    kcase(
        "PV107",
        &sts("db-headless", "  clusterIP: None\n"),
        &sts("db", "  clusterIP: None\n"),
    );
    let x = kfind("PV107", "k/app.yaml", &sts("db", ""));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.fix.as_deref().unwrap_or("").contains("clusterIP: None"),
        "{x:?}"
    );
    // A governing Service defined elsewhere (no Service in these manifests) is not judged.
    let alone = sts("db", "").split("---").next().unwrap_or("").to_string();
    assert!(!codes("k/app.yaml", &alone).iter().any(|c| c == "PV107"));
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

/// PV108: k3s's local-path provisioner gives node-local volumes: ReadWriteOnce(Pod) only.
#[test]
fn kubernetes_local_path_access_modes() {
    let pvc = |class: &str, mode: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: {class}\n  accessModes:\n    - {mode}\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    kcase(
        "PV108",
        &pvc("local-path", "ReadWriteMany"),
        &pvc("local-path", "ReadWriteOnce"),
    );
    kcase(
        "PV108",
        &pvc("local-path", "ReadOnlyMany"),
        &pvc("longhorn", "ReadWriteMany"),
    );
    let sts = |mode: &str| {
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        storageClassName: local-path\n        accessModes: [\"{mode}\"]\n        resources:\n          requests:\n            storage: 1Gi\n")
    };
    kcase("PV108", &sts("ReadWriteMany"), &sts("ReadWriteOncePod"));
    let x = kfind("PV108", "k/app.yaml", &pvc("local-path", "ReadWriteMany"));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("Pending"), "{x:?}");
}

/// PV001 points at the cause, not where the parser gave up: an unclosed string on its own
/// line, a missing `}` at the block it leaves open, an extra `}` where it stands; and the fix
/// names the usual slips (single quotes, `:` for `=`, a missing `=`).
#[test]
fn terraform_syntax_errors_point_at_their_cause() {
    let good = vm(
        "  cpu {\n    cores = 2\n  }\n\n  memory {\n    dedicated = 2048\n  }\n  tags = [\"web\"]",
    );
    assert!(!codes("m/main.tf", &good).iter().any(|c| c == "PV001"));
    let line_of = |text: &str, needle: &str| {
        text.lines().position(|l| l.contains(needle)).expect(needle) as u32 + 1
    };
    let first = |text: &str| {
        lint(
            &[Input {
                path: "m/main.tf".into(),
                content: text.into(),
            }],
            None,
        )
        .into_iter()
        .find(|f| f.code == "PV001")
        .unwrap_or_else(|| panic!("no PV001 on:\n{text}"))
    };
    let last_line = good.lines().count() as u32;

    let unclosed = good.replace("    cores = 2\n  }\n", "    cores = 2\n");
    let f = first(&unclosed);
    assert_eq!(f.line, line_of(&unclosed, "cpu {"), "{f:?}");
    assert!(
        f.fix.as_deref().unwrap_or("").contains("missing `}`"),
        "{f:?}"
    );

    let extra = good.replace("  }\n\n  memory", "  }\n  }\n\n  memory");
    let f = first(&extra);
    assert_eq!(f.line, line_of(&good, "cores = 2") + 2, "{f:?}");
    assert!(f.line < last_line, "{f:?}");

    let string = good.replace("node_name = \"pve1\"", "node_name = \"pve1");
    let f = first(&string);
    assert_eq!(f.line, line_of(&string, "node_name"), "{f:?}");
    assert!(f.message.contains("not closed on its line"), "{f:?}");

    let single = good.replace("node_name = \"pve1\"", "node_name = 'pve1'");
    let f = first(&single);
    assert!(
        f.fix.as_deref().unwrap_or("").contains("double quotes"),
        "{f:?}"
    );
    let colon = good.replace("dedicated = 2048", "dedicated: 2048");
    let f = first(&colon);
    assert_eq!(f.line, line_of(&colon, "dedicated"), "{f:?}");
    assert!(f.fix.as_deref().unwrap_or("").contains("not `:`"), "{f:?}");
    let no_eq = good.replace("cores = 2", "cores 2");
    let f = first(&no_eq);
    assert_eq!(f.line, line_of(&no_eq, "cores 2"), "{f:?}");
    assert!(f.fix.as_deref().unwrap_or("").contains("`cores`"), "{f:?}");
}

/// PV002 on the line of the slip: a tab in the indentation, a key without its `:`; fixes that
/// say what to change.
#[test]
fn yaml_syntax_errors_point_at_their_cause() {
    let first = |text: &str| {
        lint(
            &[Input {
                path: "k/app.yaml".into(),
                content: text.into(),
            }],
            None,
        )
        .into_iter()
        .find(|f| f.code == "PV002")
        .unwrap_or_else(|| panic!("no PV002 on:\n{text}"))
    };
    assert!(!codes("k/app.yaml", DEPLOY).iter().any(|c| c == "PV002"));
    let line_of = |text: &str, needle: &str| {
        text.lines().position(|l| l.contains(needle)).expect(needle) as u32 + 1
    };
    let tab = DEPLOY.replacen("  replicas: 2\n", "\treplicas: 2\n", 1);
    let f = first(&tab);
    assert_eq!(f.line, line_of(&tab, "\treplicas"), "{f:?}");
    assert!(f.fix.as_deref().unwrap_or("").contains("spaces"), "{f:?}");

    let colon = DEPLOY.replacen("  replicas: 2\n", "  replicas 2\n", 1);
    let f = first(&colon);
    assert_eq!(f.line, line_of(&colon, "replicas 2"), "{f:?}");
    assert_eq!(f.fix.as_deref(), Some("write `replicas: 2`"), "{f:?}");

    let indent = DEPLOY.replacen("  selector:\n", "   selector:\n", 1);
    let f = first(&indent);
    assert_eq!(f.line, line_of(&indent, "   selector:"), "{f:?}");
    assert!(
        f.fix.as_deref().unwrap_or("").contains("indented 3 spaces"),
        "{f:?}"
    );
}
