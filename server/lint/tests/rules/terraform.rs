//! Terraform rules: schema, values, references, security, the cluster, practice.
use super::*;

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
