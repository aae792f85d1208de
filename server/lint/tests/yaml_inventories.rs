//! YAML as go-yaml reads it, and k3s-ansible inventories of every playbook layout.
mod common;
use common::{errors, run};

#[test]
fn flow_sequences_closed_at_the_keys_indentation() {
    // go-yaml and PyYAML take a flow collection whose closing bracket sits at the key's
    // indentation (Flux and Helm users write them so)
    let y = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          args: [\n            \"--port=8080\",\n            \"--verbose\"\n          ]\n          ports: [\n          {containerPort: 8080}\n          ]\n";
    let f = run(&[("apps/web.yaml", y)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    let m = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {\n  a: \"1\",\n  b: \"2\"\n}\n";
    let f = run(&[("apps/c.yaml", m)]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
}

#[test]
fn legacy_k3s_io_layout() {
    let hosts = "[master]\n10.0.0.10\n\n[node]\n10.0.0.11\n10.0.0.12\n\n[k3s_cluster:children]\nmaster\nnode\n";
    let vars = "---\nk3s_version: v1.22.3+k3s1\nansible_user: debian\nsystemd_dir: /etc/systemd/system\nmaster_ip: \"{{ hostvars[groups['master'][0]]['ansible_host'] | default(groups['master'][0]) }}\"\nextra_server_args: \"\"\nextra_agent_args: \"\"\n";
    let f = run(&[
        ("inventory/my-cluster/hosts.ini", hosts),
        ("inventory/my-cluster/group_vars/all.yml", vars),
    ]);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    assert!(
        !f.iter()
            .any(|f| f.message.contains("apiserver_endpoint") || f.message.contains("k3s_token")),
        "{f:#?}"
    );
    // still judged by its own rules: a version that is not a k3s release
    let bad = vars.replace("v1.22.3+k3s1", "1.22");
    let f = run(&[
        ("inventory/my-cluster/hosts.ini", hosts),
        ("inventory/my-cluster/group_vars/all.yml", &bad),
    ]);
    assert!(
        f.iter().any(|f| f.message.contains("k3s_version")),
        "{f:#?}"
    );
}
