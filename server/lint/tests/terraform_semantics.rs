//! Valid code read as Terraform reads it: conversions, `null`, reference forms, values known
//! only at apply time, heredocs, secrets by meaning. Each case is valid (or invalid) for
//! `terraform validate`, and must get no false error (or its finding).
mod common;
use common::{errors, run};

const BPG: &str = "terraform {\n  required_providers {\n    proxmox = { source = \"bpg/proxmox\", version = \"0.66.3\" }\n  }\n}\n";
const TM: &str = "terraform {\n  required_providers {\n    proxmox = { source = \"Telmate/proxmox\", version = \"2.9.14\" }\n  }\n}\n";

fn bpg_vm(body: &str) -> String {
    format!("{BPG}resource \"proxmox_virtual_environment_vm\" \"w\" {{\n  node_name = \"pve\"\n{body}}}\n")
}

fn clean(label: &str, tf: &str) {
    let f = run(&[("m/main.tf", tf)]);
    let e = errors(&f);
    assert!(e.is_empty(), "{label}: false errors {e:#?}\n{tf}");
}

#[test]
fn strings_convert_to_bool_and_number() {
    clean(
        "\"true\" for a bool",
        &bpg_vm("  started = \"true\"\n  on_boot = \"false\"\n"),
    );
    clean(
        "\"1\" for a bool",
        &bpg_vm("  started = \"1\"\n  on_boot = \"0\"\n"),
    );
    clean(
        "\"2\" for a number",
        &bpg_vm("  cpu {\n    cores = \"2\"\n  }\n"),
    );
    let f = run(&[("m/main.tf", &bpg_vm("  started = \"yes\"\n"))]);
    assert!(
        f.iter().any(|f| f.code == "PV012"),
        "\"yes\" does not convert to bool: {f:#?}"
    );
}

#[test]
fn null_is_unset() {
    let tf = format!(
        "{TM}variable \"vm\" {{\n  type = any\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name        = \"w\"\n  target_node = \"pve1\"\n  vmid        = lookup(var.vm, \"id\", null)\n  pool        = var.vm.pool != \"\" ? var.vm.pool : null\n  clone       = null\n}}\n"
    );
    clean("null", &tf);
    let tf = bpg_vm("  vm_id = null\n  description = null\n  cpu {\n    cores = null\n  }\n");
    clean("null literal", &tf);
}

#[test]
fn every_reference_form() {
    let tf = format!(
        "{}resource \"proxmox_virtual_environment_vm\" \"b\" {{\n  node_name = resource.proxmox_virtual_environment_vm.w.node_name\n  depends_on = [resource.proxmox_virtual_environment_vm.w]\n}}\noutput \"ids\" {{\n  value = [for k, v in proxmox_virtual_environment_vm.w : v.id]\n}}\n",
        bpg_vm("")
    );
    clean("resource.TYPE.NAME", &tf);
}

#[test]
fn unknown_values_stay_unknown() {
    // `started` from an expression, a dynamic block, each.value and an optional() default
    let tf = format!(
        "{BPG}variable \"vms\" {{\n  type = map(object({{\n    agent   = optional(bool, true)\n    started = optional(bool)\n    disks   = optional(list(object({{ size = number }})), [])\n  }}))\n}}\nresource \"proxmox_virtual_environment_vm\" \"w\" {{\n  for_each  = var.vms\n  node_name = \"pve\"\n  started   = each.value.started\n  agent {{\n    enabled = each.value.agent\n  }}\n  dynamic \"disk\" {{\n    for_each = each.value.disks\n    content {{\n      interface    = \"scsi${{disk.key}}\"\n      datastore_id = \"local-lvm\"\n      size         = disk.value.size\n    }}\n  }}\n}}\n"
    );
    let f = run(&[("m/main.tf", &tf)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    assert!(
        !f.iter()
            .any(|f| f.message.contains("agent") && f.message.contains("disabled")),
        "{f:#?}"
    );
}

#[test]
fn heredocs_in_every_form() {
    // an empty heredoc, then blocks, then another heredoc: nothing in between is lost
    let tf = format!(
        "{BPG}variable \"note\" {{\n  default = <<EOF\nEOF\n}}\nvariable \"node\" {{\n  default = \"pve\"\n}}\nresource \"proxmox_virtual_environment_vm\" \"w\" {{\n  node_name   = var.node\n  description = <<-EOT\n    managed by terraform\n  EOT\n}}\n"
    );
    let f = run(&[("m/main.tf", &tf)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    // a finding inside a heredoc points at its own line
    let tf = format!(
        "{BPG}resource \"proxmox_virtual_environment_file\" \"ci\" {{\n  content_type = \"snippets\"\n  datastore_id = \"local\"\n  node_name    = \"pve\"\n  source_raw {{\n    file_name = \"ci.yaml\"\n    data      = <<-EOF\n      #cloud-config\n      users:\n        - name: admin\n          passwd: hunter2hunter2\n    EOF\n  }}\n}}\n"
    );
    let f = run(&[("m/main.tf", &tf)]);
    let x = f
        .iter()
        .find(|f| f.message.contains("passw"))
        .unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(x.line, 15, "{x:?}");
}

#[test]
fn secrets_by_meaning() {
    // `hotplug` contains "otp"; a token *id* names a token, it is not one
    let tf = format!(
        "{TM}provider \"proxmox\" {{\n  pm_api_url      = \"https://pve:8006/api2/json\"\n  pm_api_token_id = \"terraform@pve!tf\"\n  pm_api_token_secret = var.token\n}}\nvariable \"token\" {{\n  type      = string\n  sensitive = true\n}}\nvariable \"use_secret\" {{\n  type    = bool\n  default = true\n}}\nresource \"proxmox_vm_qemu\" \"w\" {{\n  name        = \"w\"\n  target_node = \"pve1\"\n  hotplug     = \"network,disk,usb\"\n  ciuser      = \"admin\"\n  cipassword  = var.use_secret ? var.token : null\n}}\n"
    );
    let f = run(&[("m/main.tf", &tf)]);
    assert!(
        !f.iter().any(|f| f.message.contains("hotplug")
            || f.message.contains("token_id")
            || f.message.contains("use_secret")),
        "{f:#?}"
    );
    // a literal password in a provisioner's connection block is found
    let tf = format!(
        "{}resource \"null_resource\" \"p\" {{\n  connection {{\n    type     = \"ssh\"\n    host     = \"10.0.0.5\"\n    user     = \"root\"\n    password = \"Sup3rS3cret!\"\n  }}\n  provisioner \"remote-exec\" {{\n    inline = [\"true\"]\n    connection {{\n      type     = \"ssh\"\n      host     = \"10.0.0.6\"\n      password = \"An0therOne!\"\n    }}\n  }}\n}}\n",
        bpg_vm("")
    );
    let f = run(&[("m/main.tf", &tf)]);
    let hits: Vec<u32> = f
        .iter()
        .filter(|f| f.message.contains("password") && f.severity.as_str() != "info")
        .map(|f| f.line)
        .collect();
    assert!(hits.len() >= 2, "{f:#?}");
}

#[test]
fn an_empty_heredoc_loses_nothing() {
    let tf = "variable \"a\" {\n  default = <<EOF\nEOF\n}\n\nvariable \"b\" {\n  default = \"x\"\n}\n\noutput \"o\" {\n  value = var.b\n}\n\nvariable \"c\" {\n  default = <<EOF\nhello\nEOF\n}\n\noutput \"p\" {\n  value = \"${var.c}${var.b}\"\n}\n";
    let f = run(&[("m/main.tf", tf)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    let tf = "locals {\n  a = <<-EOT\n  EOT\n  b = 1\n}\noutput \"x\" {\n  value = local.b\n}\nlocals {\n  c = <<EOT\nz\nEOT\n}\noutput \"y\" {\n  value = local.c\n}\n";
    let f = run(&[("m/main.tf", tf)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
}

#[test]
fn heredoc_positions_are_exact() {
    for (opener, indent) in [("<<EOF", ""), ("<<-EOF", "      "), ("<<EOT", "")] {
        let close = opener.trim_start_matches("<<").trim_start_matches('-');
        let tf = format!(
            "{BPG}resource \"proxmox_virtual_environment_file\" \"ci\" {{\n  content_type = \"snippets\"\n  datastore_id = \"local\"\n  node_name    = \"pve\"\n  source_raw {{\n    file_name = \"ci.yaml\"\n    data      = {opener}\n{indent}#cloud-config\n{indent}hostname: ${{var.name}}\n{indent}users:\n{indent}  - name: admin\n{indent}    passwd: hunter2hunter2\n{indent}{close}\n  }}\n}}\nvariable \"name\" {{\n  default = \"a\"\n}}\n"
        );
        let f = run(&[("m/main.tf", &tf)]);
        let x = f
            .iter()
            .find(|f| f.message.contains("passw"))
            .unwrap_or_else(|| panic!("{opener}: {f:#?}"));
        assert_eq!(x.line, 16, "{opener}: {x:?}");
    }
}

#[test]
fn heredoc_positions_through_locals_and_crlf() {
    let tf = format!(
        "{BPG}locals {{\n  user_data = <<-EOF\n    #cloud-config\n    users:\n      - name: admin\n        passwd: hunter2hunter2\n  EOF\n}}\nresource \"proxmox_virtual_environment_file\" \"ci\" {{\n  content_type = \"snippets\"\n  datastore_id = \"local\"\n  node_name    = \"pve\"\n  source_raw {{\n    file_name = \"ci.yaml\"\n    data      = local.user_data\n  }}\n}}\n"
    );
    for (label, text) in [("lf", tf.clone()), ("crlf", tf.replace('\n', "\r\n"))] {
        let f = run(&[("m/main.tf", &text)]);
        if let Some(x) = f.iter().find(|f| f.message.contains("passw")) {
            assert!(x.line == 11 || x.line == 20, "{label}: {x:?}");
        }
    }
}
