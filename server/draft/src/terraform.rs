//! Terraform files from grounded VMs, built as hcl-rs structures and laid out as `terraform fmt`
//! does. Secrets are variables (`sensitive = true`); no literal credential is ever written.
use hcl::expr::{Expression, Traversal, Variable};
use hcl::{Attribute, Block, Body};
use provisio_plan::{NicModel, Provider};

use crate::ground::VmInstance;
use crate::hclfmt::terraform_fmt;
use crate::Error;

/// Pinned provider versions (the documentation versions the knowledge base indexes).
pub const BPG_VERSION: &str = "0.111.1";
pub const TELMATE_VERSION: &str = "3.0.2-rc09";

/// A reference like `var.name` or a bare keyword like `string`.
pub fn raw(s: &str) -> Expression {
    let mut parts = s.split('.');
    let head = Variable::sanitized(parts.next().unwrap_or_default());
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return Expression::Variable(head);
    }
    let mut t = Traversal::builder(Expression::Variable(head));
    for p in rest {
        t = t.attr(p);
    }
    Expression::from(t.build())
}

/// `file` laid out as `terraform fmt` does. A formatter failure is an error naming the file
/// (it used to give an empty file).
pub fn render(file: &str, body: Body) -> Result<String, Error> {
    use hcl::format::Format;
    let mut f = hcl::format::Formatter::builder()
        .compact_arrays(true)
        .build_vec();
    let text = body.format_string(&mut f).map_err(|e| Error::Format {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    Ok(terraform_fmt(&text))
}

/// Resource label from a VM name: `web-1` → `web_1`.
pub fn label(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// A variable of the generated module (`variables.tf`, `terraform.tfvars.example`).
pub struct Var {
    pub name: String,
    pub description: String,
    pub sensitive: bool,
    pub example: String,
}

fn variables(provider: Provider, vms: &[VmInstance]) -> Vec<Var> {
    let mut v = provider_variables(provider);
    let mut seen = std::collections::BTreeSet::new();
    for vm in vms {
        if let Some(p) = vm
            .cloud_init
            .as_ref()
            .and_then(|c| c.password_variable.clone())
        {
            if seen.insert(p.clone()) {
                v.push(Var {
                    name: p,
                    description: "Password of the cloud-init user".into(),
                    sensitive: true,
                    example: "CHANGE-ME".into(),
                });
            }
        }
    }
    v
}

/// The variables the provider block reads (endpoint and API token).
pub fn provider_variables(provider: Provider) -> Vec<Var> {
    match provider {
        Provider::Bpg => vec![
            Var {
                name: "proxmox_endpoint".into(),
                description: "Proxmox VE API endpoint, e.g. https://pmox01:8006/".into(),
                sensitive: false,
                example: "https://pve.example.internal:8006/".into(),
            },
            Var {
                name: "proxmox_api_token".into(),
                description: "API token as USER@REALM!TOKENID=SECRET".into(),
                sensitive: true,
                example: "terraform@pve!provisio=CHANGE-ME".into(),
            },
        ],
        Provider::Telmate => vec![
            Var {
                name: "proxmox_api_url".into(),
                description: "Proxmox VE API URL, e.g. https://pmox01:8006/api2/json".into(),
                sensitive: false,
                example: "https://pve.example.internal:8006/api2/json".into(),
            },
            Var {
                name: "proxmox_api_token_id".into(),
                description: "API token id as USER@REALM!TOKENID".into(),
                sensitive: false,
                example: "terraform@pve!provisio".into(),
            },
            Var {
                name: "proxmox_api_token_secret".into(),
                description: "API token secret".into(),
                sensitive: true,
                example: "CHANGE-ME".into(),
            },
        ],
    }
}

pub fn variables_tf(vars: &[Var]) -> Result<String, Error> {
    let mut b = Body::builder();
    for v in vars {
        let mut blk = Block::builder("variable")
            .add_label(v.name.as_str())
            .add_attribute(("description", v.description.as_str()))
            .add_attribute(Attribute::new("type", raw("string")));
        if v.sensitive {
            blk = blk.add_attribute(("sensitive", true));
        }
        b = b.add_block(blk.build());
    }
    render("variables.tf", b.build())
}

pub fn tfvars_example(vars: &[Var]) -> String {
    let mut out =
        String::from("# Copy to terraform.tfvars and fill in. Never commit the real file.\n");
    let width = vars.iter().map(|v| v.name.len()).max().unwrap_or(0);
    for v in vars {
        out.push_str(&format!(
            "{:<width$} = {:?}\n",
            v.name,
            v.example,
            width = width
        ));
    }
    out
}

pub fn providers_tf(provider: Provider) -> Result<String, Error> {
    let (source, version, prov) = match provider {
        Provider::Bpg => (
            "bpg/proxmox",
            BPG_VERSION,
            Block::builder("provider")
                .add_label("proxmox")
                .add_attribute(Attribute::new("endpoint", raw("var.proxmox_endpoint")))
                .add_attribute(Attribute::new("api_token", raw("var.proxmox_api_token")))
                .add_attribute(("insecure", false))
                .build(),
        ),
        Provider::Telmate => (
            "telmate/proxmox",
            TELMATE_VERSION,
            Block::builder("provider")
                .add_label("proxmox")
                .add_attribute(Attribute::new("pm_api_url", raw("var.proxmox_api_url")))
                .add_attribute(Attribute::new(
                    "pm_api_token_id",
                    raw("var.proxmox_api_token_id"),
                ))
                .add_attribute(Attribute::new(
                    "pm_api_token_secret",
                    raw("var.proxmox_api_token_secret"),
                ))
                .add_attribute(("pm_tls_insecure", false))
                .build(),
        ),
    };
    let mut obj = hcl::Object::new();
    obj.insert(
        hcl::ObjectKey::from(hcl::Identifier::sanitized("source")),
        Expression::from(source),
    );
    obj.insert(
        hcl::ObjectKey::from(hcl::Identifier::sanitized("version")),
        Expression::from(version),
    );
    let tf = Block::builder("terraform")
        .add_attribute(("required_version", ">= 1.5.0"))
        .add_block(
            Block::builder("required_providers")
                .add_attribute(Attribute::new("proxmox", Expression::Object(obj)))
                .build(),
        )
        .build();
    render(
        "providers.tf",
        Body::builder().add_block(tf).add_block(prov).build(),
    )
}

fn model(m: NicModel) -> &'static str {
    match m {
        NicModel::Virtio => "virtio",
        NicModel::E1000 => "e1000",
        NicModel::Vmxnet3 => "vmxnet3",
    }
}

fn strings(v: &[String]) -> Expression {
    Expression::Array(v.iter().map(|s| Expression::from(s.as_str())).collect())
}

fn bpg_vm(vm: &VmInstance) -> Block {
    let mut b = Block::builder("resource")
        .add_label("proxmox_virtual_environment_vm")
        .add_label(label(&vm.name))
        .add_attribute(("name", vm.name.as_str()))
        .add_attribute(("node_name", vm.node.as_str()))
        .add_attribute(("vm_id", vm.vmid as i64));
    if let Some(d) = &vm.description {
        b = b.add_attribute(("description", d.as_str()));
    }
    if !vm.tags.is_empty() {
        b = b.add_attribute(Attribute::new("tags", strings(&vm.tags)));
    }
    if let Some(p) = &vm.pool {
        b = b.add_attribute(("pool_id", p.as_str()));
    }
    b = b.add_attribute(("on_boot", vm.onboot));
    if let Some((tid, tnode, full)) = &vm.clone {
        let mut c = Block::builder("clone").add_attribute(("vm_id", *tid as i64));
        if *tnode != vm.node {
            c = c.add_attribute(("node_name", tnode.as_str()));
        }
        c = c.add_attribute(("full", *full));
        if let (true, Some((_, s, _))) = (*full, vm.disks.first()) {
            c = c.add_attribute(("datastore_id", s.as_str()));
        }
        b = b.add_block(c.build());
    }
    b = b.add_block(
        Block::builder("agent")
            .add_attribute(("enabled", vm.agent))
            .build(),
    );
    b = b.add_block(
        Block::builder("cpu")
            .add_attribute(("cores", vm.cores as i64))
            .add_attribute(("sockets", vm.sockets as i64))
            .build(),
    );
    b = b.add_block(
        Block::builder("memory")
            .add_attribute(("dedicated", vm.memory_mib as i64))
            .build(),
    );
    for (slot, storage, size) in &vm.disks {
        b = b.add_block(
            Block::builder("disk")
                .add_attribute(("datastore_id", storage.as_str()))
                .add_attribute(("interface", slot.as_str()))
                .add_attribute(("size", *size as i64))
                .build(),
        );
    }
    if let Some(iso) = &vm.iso {
        b = b.add_block(
            Block::builder("cdrom")
                .add_attribute(("file_id", iso.as_str()))
                .add_attribute(("interface", "ide2"))
                .build(),
        );
    }
    for nic in &vm.nics {
        let mut n = Block::builder("network_device")
            .add_attribute((
                "bridge",
                nic.bridge
                    .as_deref()
                    .or(nic.vnet.as_deref())
                    .unwrap_or_default(),
            ))
            .add_attribute(("model", model(nic.model)));
        if let Some(t) = nic.vlan {
            n = n.add_attribute(("vlan_id", t as i64));
        }
        b = b.add_block(n.build());
    }
    if vm.ipv4.is_some() || vm.dhcp || vm.cloud_init.is_some() {
        let mut init = Block::builder("initialization");
        if let Some(s) = &vm.cloud_init_storage {
            init = init.add_attribute(("datastore_id", s.as_str()));
        }
        let ipv4 = match &vm.ipv4 {
            Some((cidr, gw)) => Block::builder("ipv4")
                .add_attribute(("address", cidr.as_str()))
                .add_attribute(("gateway", gw.as_str()))
                .build(),
            None => Block::builder("ipv4")
                .add_attribute(("address", "dhcp"))
                .build(),
        };
        init = init.add_block(Block::builder("ip_config").add_block(ipv4).build());
        if let Some(ci) = &vm.cloud_init {
            if !ci.dns_servers.is_empty() || ci.search_domain.is_some() {
                let mut dns = Block::builder("dns");
                if let Some(d) = &ci.search_domain {
                    dns = dns.add_attribute(("domain", d.as_str()));
                }
                if !ci.dns_servers.is_empty() {
                    dns = dns.add_attribute(Attribute::new("servers", strings(&ci.dns_servers)));
                }
                init = init.add_block(dns.build());
            }
            if ci.user.is_some() || !ci.ssh_keys.is_empty() || ci.password_variable.is_some() {
                let mut ua = Block::builder("user_account");
                if let Some(u) = &ci.user {
                    ua = ua.add_attribute(("username", u.as_str()));
                }
                if !ci.ssh_keys.is_empty() {
                    ua = ua.add_attribute(Attribute::new("keys", strings(&ci.ssh_keys)));
                }
                if let Some(p) = &ci.password_variable {
                    ua = ua.add_attribute(Attribute::new("password", raw(&format!("var.{p}"))));
                }
                init = init.add_block(ua.build());
            }
        }
        b = b.add_block(init.build());
    }
    b.build()
}

fn telmate_vm(vm: &VmInstance) -> Block {
    let mut b = Block::builder("resource")
        .add_label("proxmox_vm_qemu")
        .add_label(label(&vm.name))
        .add_attribute(("name", vm.name.as_str()))
        .add_attribute(("target_node", vm.node.as_str()))
        .add_attribute(("vmid", vm.vmid as i64));
    if let Some(d) = &vm.description {
        b = b.add_attribute(("description", d.as_str()));
    }
    if !vm.tags.is_empty() {
        b = b.add_attribute(("tags", vm.tags.join(";")));
    }
    if let Some(p) = &vm.pool {
        b = b.add_attribute(("pool", p.as_str()));
    }
    if let Some(h) = &vm.ha_group {
        b = b.add_attribute(("hagroup", h.as_str()));
    }
    if let Some((tid, _, full)) = &vm.clone {
        b = b
            .add_attribute(("clone_id", *tid as i64))
            .add_attribute(("full_clone", *full));
    }
    b = b
        .add_attribute(("agent", if vm.agent { 1i64 } else { 0 }))
        .add_attribute(("memory", vm.memory_mib as i64))
        .add_attribute(("scsihw", "virtio-scsi-single"))
        .add_attribute(("start_at_node_boot", vm.onboot));
    let cloud = vm.ipv4.is_some() || vm.dhcp || vm.cloud_init.is_some();
    if cloud {
        b = b.add_attribute(("os_type", "cloud-init"));
        let ip = match &vm.ipv4 {
            Some((cidr, gw)) => format!("ip={cidr},gw={gw}"),
            None => "ip=dhcp".into(),
        };
        b = b.add_attribute(("ipconfig0", ip));
        if let Some(ci) = &vm.cloud_init {
            if let Some(u) = &ci.user {
                b = b.add_attribute(("ciuser", u.as_str()));
            }
            if let Some(p) = &ci.password_variable {
                b = b.add_attribute(Attribute::new("cipassword", raw(&format!("var.{p}"))));
            }
            if !ci.ssh_keys.is_empty() {
                b = b.add_attribute(("sshkeys", ci.ssh_keys.join("\n")));
            }
            if !ci.dns_servers.is_empty() {
                b = b.add_attribute(("nameserver", ci.dns_servers.join(" ")));
            }
            if let Some(d) = &ci.search_domain {
                b = b.add_attribute(("searchdomain", d.as_str()));
            }
        }
    }
    b = b.add_block(
        Block::builder("cpu")
            .add_attribute(("cores", vm.cores as i64))
            .add_attribute(("sockets", vm.sockets as i64))
            .build(),
    );
    // disks { scsi { scsi0 { disk { ... } } } ide { ide2 { cloudinit { storage } } } }
    let mut by_bus: std::collections::BTreeMap<String, Vec<Block>> = Default::default();
    for (slot, storage, size) in &vm.disks {
        let bus = slot
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        by_bus.entry(bus).or_default().push(
            Block::builder(slot.as_str())
                .add_block(
                    Block::builder("disk")
                        .add_attribute(("size", format!("{size}G")))
                        .add_attribute(("storage", storage.as_str()))
                        .build(),
                )
                .build(),
        );
    }
    if let (true, Some(s)) = (cloud, &vm.cloud_init_storage) {
        by_bus.entry("ide".into()).or_default().push(
            Block::builder("ide2")
                .add_block(
                    Block::builder("cloudinit")
                        .add_attribute(("storage", s.as_str()))
                        .build(),
                )
                .build(),
        );
    } else if let Some(iso) = &vm.iso {
        by_bus.entry("ide".into()).or_default().push(
            Block::builder("ide2")
                .add_block(
                    Block::builder("cdrom")
                        .add_attribute(("iso", iso.as_str()))
                        .build(),
                )
                .build(),
        );
    }
    if !by_bus.is_empty() {
        let mut disks = Block::builder("disks");
        for (bus, slots) in by_bus {
            let mut bb = Block::builder(bus.as_str());
            for s in slots {
                bb = bb.add_block(s);
            }
            disks = disks.add_block(bb.build());
        }
        b = b.add_block(disks.build());
    }
    for (i, nic) in vm.nics.iter().enumerate() {
        let mut n = Block::builder("network")
            .add_attribute(("id", i as i64))
            .add_attribute(("model", model(nic.model)))
            .add_attribute((
                "bridge",
                nic.bridge
                    .as_deref()
                    .or(nic.vnet.as_deref())
                    .unwrap_or_default(),
            ));
        if let Some(t) = nic.vlan {
            n = n.add_attribute(("tag", t as i64));
        }
        b = b.add_block(n.build());
    }
    b.build()
}

/// The files: `providers.tf`, `variables.tf`, `main.tf`, `terraform.tfvars.example`.
pub fn files(provider: Provider, vms: &[VmInstance]) -> Result<Vec<(String, String)>, Error> {
    let vars = variables(provider, vms);
    let mut main = Body::builder();
    for vm in vms {
        main = main.add_block(match provider {
            Provider::Bpg => bpg_vm(vm),
            Provider::Telmate => telmate_vm(vm),
        });
    }
    Ok(vec![
        ("providers.tf".into(), providers_tf(provider)?),
        ("variables.tf".into(), variables_tf(&vars)?),
        ("main.tf".into(), render("main.tf", main.build())?),
        ("terraform.tfvars.example".into(), tfvars_example(&vars)),
    ])
}
