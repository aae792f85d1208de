//! k3s-ansible inventories: each rule on a case that must trigger it and a fixed case that must
//! not, the upstream sample inventories (read in place from ../shared when present), and a
//! snapshot of the rendered findings of an inventory with many defects.
mod common;

use std::path::PathBuf;

use common::run_with as run;
use provisio_lint::{render_text, ClusterFacts};

const HOSTS: &str = "[master]
10.0.0.11
10.0.0.12
10.0.0.13

[node]
10.0.0.21
10.0.0.22

[k3s_cluster:children]
master
node
";

const ALL: &str = r#"---
k3s_version: v1.31.4+k3s1
ansible_user: ops
apiserver_endpoint: 10.0.0.9
k3s_token: "{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}"
extra_args: >-
  --flannel-iface=eth0
extra_server_args: >-
  {{ extra_args }}
  --tls-san {{ apiserver_endpoint }}
  --disable servicelb
  --disable traefik
metal_lb_type: native
metal_lb_mode: layer2
metal_lb_ip_range: 10.0.0.240-10.0.0.250
"#;

const K3S_IO: &str = r#"---
k3s_cluster:
  children:
    server:
      hosts:
        10.0.0.11:
        10.0.0.12:
        10.0.0.13:
    agent:
      hosts:
        10.0.0.21:
  vars:
    ansible_user: ops
    k3s_version: v1.31.4+k3s1
    token: "{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}"
    api_endpoint: "{{ hostvars[groups['server'][0]]['ansible_host'] | default(groups['server'][0]) }}"
    extra_server_args: "--disable servicelb"
"#;

fn facts() -> ClusterFacts {
    ClusterFacts {
        cluster: "lab".into(),
        metallb_pools: vec!["10.0.0.240-10.0.0.250".into()],
        k3s_api_vip: Some("10.0.0.9".into()),
        reserved: vec![
            ("10.0.0.1".into(), "gateway".into()),
            ("10.0.0.9".into(), "k3s API virtual IP".into()),
            ("10.0.0.240-10.0.0.250".into(), "MetalLB pool".into()),
        ],
        ..Default::default()
    }
}

fn codes(files: &[(&str, &str)]) -> Vec<String> {
    run(files, Some(&facts()))
        .into_iter()
        .map(|f| f.code)
        .collect()
}

/// techno-tim: (hosts.ini, all.yml).
fn tim(hosts: &str, all: &str) -> Vec<String> {
    codes(&[("inv/hosts.ini", hosts), ("inv/group_vars/all.yml", all)])
}

/// A techno-tim case against the clean inventory, through the rule harness: the findings of
/// `code` on the failing inventory are a snapshot with the other rules' in
/// `rules/snapshots/per-rule/` (named `CODE-HASH` after the inputs).
fn tcase(code: &str, hosts: &str, all: &str) {
    case(code, tim(hosts, all), tim(HOSTS, ALL));
    let findings: Vec<_> = run(
        &[("inv/hosts.ini", hosts), ("inv/group_vars/all.yml", all)],
        Some(&facts()),
    )
    .into_iter()
    .filter(|f| f.code == code)
    .collect();
    let hash = hosts
        .bytes()
        .chain([0])
        .chain(all.bytes())
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
    insta::with_settings!({
        snapshot_path => "rules/snapshots/per-rule",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("{code}-{hash:08x}"), render_text(&findings));
    });
}

fn case(code: &str, bad: Vec<String>, good: Vec<String>) {
    assert!(bad.iter().any(|c| c == code), "{code} not raised: {bad:?}");
    assert!(
        !good.iter().any(|c| c == code),
        "{code} raised on the fixed case: {good:?}"
    );
}

#[test]
fn clean_inventories_have_no_findings() {
    let f = run(
        &[("inv/hosts.ini", HOSTS), ("inv/group_vars/all.yml", ALL)],
        Some(&facts()),
    );
    assert!(f.is_empty(), "{}", render_text(&f));
    let f = run(&[("inventory.yml", K3S_IO)], Some(&facts()));
    assert!(f.is_empty(), "{}", render_text(&f));
    // Without cluster facts too.
    let f = run(&[("inventory.yml", K3S_IO)], None);
    assert!(f.is_empty(), "{}", render_text(&f));
}

#[test]
fn recognised_as_inventories() {
    use provisio_lint::{k3s::Shape, kind_of, Kind};
    for (path, text, shape) in [
        ("inv/hosts.ini", HOSTS, Shape::Ini),
        ("inventory/hosts", HOSTS, Shape::Ini),
        ("inv/group_vars/all.yml", ALL, Shape::GroupVars),
        ("inventory.yml", K3S_IO, Shape::YamlInventory),
    ] {
        assert_eq!(kind_of(path, text), Kind::K3sInventory(shape), "{path}");
    }
    // An unrelated INI or YAML file stays "not linted".
    assert_eq!(kind_of("setup.ini", "[tool]\nx = 1\n"), Kind::Other);
    assert_eq!(kind_of("ci.yml", "jobs:\n  build: {}\n"), Kind::Other);
    // A role's defaults/vars set the same variables but are not an inventory.
    for path in [
        "roles/k3s_server/defaults/main.yml",
        "ansible/roles/k3s_agent/vars/main.yml",
    ] {
        assert_eq!(kind_of(path, ALL), Kind::Other, "{path}");
    }
    let c = codes(&[("setup.ini", "[tool]\nx = 1\n")]);
    assert_eq!(c, vec!["PV900"]);
}

#[test]
fn groups() {
    // Empty master group; groups named for the other playbook.
    tcase(
        "PV130",
        &HOSTS.replace("10.0.0.11\n10.0.0.12\n10.0.0.13\n", ""),
        ALL,
    );
    let renamed = HOSTS.replace("[master]", "[server]");
    let f = run(
        &[("inv/hosts.ini", &renamed), ("inv/group_vars/all.yml", ALL)],
        Some(&facts()),
    );
    assert!(f.iter().any(|x| x.code == "PV130"), "{f:?}");
    // k3s_cluster missing, or not holding the agents.
    tcase(
        "PV130",
        &HOSTS.replace("[k3s_cluster:children]\nmaster\nnode\n", ""),
        ALL,
    );
    tcase("PV130", &HOSTS.replace("master\nnode\n", "master\n"), ALL);
    case(
        "PV130",
        codes(&[(
            "inventory.yml",
            &K3S_IO.replace("    server:", "    servers:"),
        )]),
        codes(&[("inventory.yml", K3S_IO)]),
    );
    // A host in both groups.
    tcase("PV134", &HOSTS.replace("10.0.0.22", "10.0.0.13"), ALL);
    // A group the playbook never reads, named like one it does (`[nodes]`).
    let f = run(
        &[
            ("inv/hosts.ini", &HOSTS.replace("[node]", "[nodes]")),
            ("inv/group_vars/all.yml", ALL),
        ],
        Some(&facts()),
    );
    let x = f
        .iter()
        .find(|x| x.code == "PV130" && x.message.contains("group `nodes`"))
        .unwrap_or_else(|| panic!("{f:?}"));
    assert!(x.fix.as_deref().unwrap_or("").contains("`node`"), "{x:?}");
    assert!(!tim(HOSTS, ALL).contains(&"PV130".to_string()));
    // Two named hosts at one address.
    let named = "[master]\ncp1 ansible_host=10.0.0.11\ncp2 ansible_host=10.0.0.12\ncp3 ansible_host=10.0.0.13\n\n[node]\nw1 ansible_host=10.0.0.21\nw2 ansible_host=10.0.0.22\n\n[k3s_cluster:children]\nmaster\nnode\n";
    case(
        "PV134",
        tim(&named.replace("10.0.0.22", "10.0.0.21"), ALL),
        tim(named, ALL),
    );
}

#[test]
fn even_servers() {
    let two = HOSTS.replace("10.0.0.13\n", "");
    tcase("PV131", &two, ALL);
    // An external datastore has no quorum to keep.
    let ext = K3S_IO.replace("        10.0.0.13:\n", "");
    let ext_db = ext.replace(
        "    extra_server_args: \"--disable servicelb\"",
        "    use_external_database: true\n    extra_server_args: \"--disable servicelb --datastore-endpoint={{ db_url }}\"",
    );
    case(
        "PV131",
        codes(&[("inventory.yml", &ext)]),
        codes(&[("inventory.yml", &ext_db)]),
    );
    // One server is not HA and is fine.
    let one = HOSTS.replace("10.0.0.12\n10.0.0.13\n", "");
    assert!(!tim(&one, ALL).iter().any(|c| c == "PV131"));
}

#[test]
fn literal_secrets() {
    let lit = ALL.replace(
        "\"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\"",
        "some-SUPER-secret",
    );
    tcase("PV132", HOSTS, &lit);
    let vaulted = ALL.replace(
        "\"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\"",
        "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6233\n",
    );
    assert!(!tim(HOSTS, &vaulted).iter().any(|c| c == "PV132"));
    let io = K3S_IO.replace(
        "\"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\"",
        "\"changeme!\"",
    );
    case(
        "PV132",
        codes(&[("inventory.yml", &io)]),
        codes(&[("inventory.yml", K3S_IO)]),
    );
    // A database password inside the server arguments.
    let db = |url: &str| {
        K3S_IO.replace(
            "    extra_server_args: \"--disable servicelb\"",
            &format!("    use_external_database: true\n    extra_server_args: \"--disable servicelb --datastore-endpoint={url}\""),
        )
    };
    case(
        "PV132",
        codes(&[("inventory.yml", &db("postgres://k3s:hunter2@db:5432/k3s"))]),
        codes(&[(
            "inventory.yml",
            &db("postgres://k3s:{{ db_password }}@db:5432/k3s"),
        )]),
    );
    // Tokens in INI group vars.
    let ini = format!("{HOSTS}\n[k3s_cluster:vars]\nk3s_token=abc123\n");
    let ini_ok = format!(
        "{HOSTS}\n[k3s_cluster:vars]\nk3s_token=\"{{{{ lookup('env', 'K3S_TOKEN') }}}}\"\n"
    );
    let all_no_token = ALL.replace(
        "k3s_token: \"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\"\n",
        "",
    );
    case(
        "PV132",
        tim(&ini, &all_no_token),
        tim(&ini_ok, &all_no_token),
    );
    // The secret is never echoed.
    let f = run(
        &[("inv/hosts.ini", HOSTS), ("inv/group_vars/all.yml", &lit)],
        None,
    );
    assert!(!render_text(&f).contains("some-SUPER-secret"));
}

#[test]
fn version_format() {
    for bad in ["1.31.4+k3s1", "v1.31.4", "latest"] {
        let b = ALL.replace("v1.31.4+k3s1", bad);
        tcase("PV133", HOSTS, &b);
    }
    let f = run(
        &[(
            "inv/group_vars/all.yml",
            &ALL.replace("v1.31.4+k3s1", "1.31.4"),
        )],
        None,
    );
    let fix = f.iter().find(|x| x.code == "PV133").unwrap().fix.clone();
    assert!(fix.unwrap().contains("v1.31.4+k3s1"));
}

#[test]
fn address_conflicts() {
    // The VIP is a master's own address.
    tcase(
        "PV134",
        HOSTS,
        &ALL.replace(
            "apiserver_endpoint: 10.0.0.9",
            "apiserver_endpoint: 10.0.0.12",
        ),
    );
    // The VIP inside the MetalLB range.
    tcase(
        "PV134",
        HOSTS,
        &ALL.replace(
            "apiserver_endpoint: 10.0.0.9",
            "apiserver_endpoint: 10.0.0.245",
        ),
    );
    // A node inside the MetalLB range (of the file, and of the site facts).
    tcase("PV134", &HOSTS.replace("10.0.0.22", "10.0.0.241"), ALL);
    let no_range = ALL.replace(
        "metal_lb_ip_range: 10.0.0.240-10.0.0.250\n",
        "metal_lb_ip_range: 10.0.0.200-10.0.0.210\n",
    );
    case(
        "PV134",
        tim(&HOSTS.replace("10.0.0.22", "10.0.0.1"), &no_range),
        tim(HOSTS, &no_range),
    );
    // k3s-io: the API endpoint on an agent.
    let on = |ip: &str| {
        K3S_IO.replace(
            "    api_endpoint: \"{{ hostvars[groups['server'][0]]['ansible_host'] | default(groups['server'][0]) }}\"",
            &format!("    api_endpoint: {ip}"),
        )
    };
    case(
        "PV134",
        codes(&[("inventory.yml", &on("10.0.0.21"))]),
        codes(&[("inventory.yml", &on("10.0.0.11"))]),
    );
    // Hosts given by name with ansible_host are checked by address.
    let named = "[master]\ncp1 ansible_host=10.0.0.11\n\n[node]\nw1 ansible_host=10.0.0.243\n\n[k3s_cluster:children]\nmaster\nnode\n";
    case(
        "PV134",
        tim(named, ALL),
        tim(&named.replace("10.0.0.243", "10.0.0.21"), ALL),
    );
}

#[test]
fn missing_variables() {
    let no_vip = ALL.replace("apiserver_endpoint: 10.0.0.9\n", "");
    tcase("PV135", HOSTS, &no_vip);
    let no_ver = K3S_IO.replace("    k3s_version: v1.31.4+k3s1\n", "");
    case(
        "PV135",
        codes(&[("inventory.yml", &no_ver)]),
        codes(&[("inventory.yml", K3S_IO)]),
    );
    // hosts.ini alone: its variables live elsewhere, so nothing is reported missing.
    assert!(!codes(&[("inv/hosts.ini", HOSTS)])
        .iter()
        .any(|c| c == "PV135"));
}

#[test]
fn site_mismatch() {
    tcase(
        "PV136",
        HOSTS,
        &ALL.replace(
            "apiserver_endpoint: 10.0.0.9",
            "apiserver_endpoint: 10.0.0.8",
        ),
    );
    tcase(
        "PV136",
        HOSTS,
        &ALL.replace("10.0.0.240-10.0.0.250", "10.0.0.230-10.0.0.245"),
    );
    // Without facts there is nothing to compare with.
    let f = run(
        &[
            ("inv/hosts.ini", HOSTS),
            (
                "inv/group_vars/all.yml",
                &ALL.replace(
                    "apiserver_endpoint: 10.0.0.9",
                    "apiserver_endpoint: 10.0.0.8",
                ),
            ),
        ],
        None,
    );
    assert!(f.is_empty(), "{}", render_text(&f));
}

#[test]
fn invalid_values() {
    tcase(
        "PV137",
        HOSTS,
        &ALL.replace("metal_lb_mode: layer2", "metal_lb_mode: l2"),
    );
    tcase(
        "PV137",
        HOSTS,
        &ALL.replace("metal_lb_type: native", "metal_lb_type: frrr"),
    );
    tcase(
        "PV137",
        HOSTS,
        &ALL.replace("10.0.0.240-10.0.0.250", "10.0.0.240-10.0.0"),
    );
    tcase("PV137", &HOSTS.replace("10.0.0.21", "10.0.0.321"), ALL);
}

#[test]
fn server_args() {
    let with_lb = ALL.replace("  --disable servicelb\n", "");
    tcase("PV138", HOSTS, &with_lb);
    let no_san = ALL.replace("  --tls-san {{ apiserver_endpoint }}\n", "");
    tcase("PV138", HOSTS, &no_san);
    // k3s-io with MetalLB in the site facts.
    let io = K3S_IO.replace("    extra_server_args: \"--disable servicelb\"\n", "");
    case(
        "PV138",
        codes(&[("inventory.yml", &io)]),
        codes(&[("inventory.yml", K3S_IO)]),
    );
    assert!(run(&[("inventory.yml", &io)], None).is_empty());
}

#[test]
fn inventories_snapshot() {
    let hosts = "[master]\n10.0.0.11\n10.0.0.12\n\n[node]\n10.0.0.9\n10.0.0.241\n\n[k3s_cluster:children]\nmaster\n";
    let all = ALL
        .replace("v1.31.4+k3s1", "1.31.4")
        .replace(
            "\"{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}\"",
            "changeme",
        )
        .replace("  --disable servicelb\n", "")
        .replace("metal_lb_mode: layer2", "metal_lb_mode: L2");
    let f = run(
        &[("inv/hosts.ini", hosts), ("inv/group_vars/all.yml", &all)],
        Some(&facts()),
    );
    insta::assert_snapshot!(render_text(&f));
}

/// The upstream sample inventories: their only finding is the literal placeholder token.
#[test]
fn upstream_samples() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} not present", corpus.display());
        return;
    }
    let read = |p: &str| std::fs::read_to_string(corpus.join(p)).unwrap();
    let tim_hosts = read("techno-tim-k3s-ansible/inventory/sample/hosts.ini");
    let tim_all = read("techno-tim-k3s-ansible/inventory/sample/group_vars/all.yml");
    let f = run(
        &[
            ("sample/hosts.ini", &tim_hosts),
            ("sample/group_vars/all.yml", &tim_all),
        ],
        None,
    );
    let c: Vec<&str> = f.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(c, vec!["PV132"], "{}", render_text(&f));
    let io = read("k3s-io-k3s-ansible/inventory-sample.yml");
    let f = run(&[("inventory.yml", &io)], None);
    let c: Vec<&str> = f.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(c, vec!["PV132"], "{}", render_text(&f));
}
