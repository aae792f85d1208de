//! The provisioning plan: the typed, JSON-Schema'd contract between the Analyser role (which
//! writes it), `draft_manifest` (which turns it into files) and `apply_plan`. [`parse`] reads
//! one from JSON, naming the line and column of a mistake; [`validate`] lists what the plan
//! alone shows to be wrong, each with its field and a fix.
pub mod model;
pub mod net;
pub mod validate;

pub use model::*;
pub use validate::{validate, Problem};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("plan JSON, line {line} column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Parse a plan from JSON (unknown fields are errors).
pub fn parse(json: &str) -> Result<Plan, Error> {
    serde_json::from_str(json).map_err(|e| Error::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = r#"{
      "name": "webserver",
      "items": [{
        "kind": "vm", "name": "web-{n}", "count": 2,
        "source": {"type": "template", "vmid": 100, "linked": true},
        "cores": 2, "memory_mib": 2048,
        "disks": [{"size_gib": 32, "storage": "pmoxpool01"}],
        "network": [{"bridge": "vmbr0"}],
        "ip": {"mode": "static", "cidr": "192.168.1.50/24", "gateway": "192.168.1.1"},
        "cloud_init": {"user": "ops", "ssh_keys": ["ssh-ed25519 AAAAC3Nza me@laptop"], "password_variable": "vm_password"},
        "tags": ["web"]
      }]
    }"#;

    #[test]
    fn a_good_plan_has_no_problems() {
        let p = parse(WEB).unwrap();
        assert_eq!(p.provider, Provider::Bpg);
        assert!(matches!(&p.items[0], Item::Vm(v) if v.agent && v.onboot && v.sockets == 1));
        assert_eq!(validate(&p), vec![]);
    }

    #[test]
    fn mistakes_name_their_field() {
        let bad = WEB
            .replace("\"web-{n}\"", "\"web\"")
            .replace("192.168.1.1\"", "10.0.0.1\"")
            .replace("\"vmid\": 100", "\"vmid\": 100, \"name\": \"k3s-template\"")
            .replace("ssh-ed25519 AAAAC3Nza me@laptop", "hunter2");
        let fields: Vec<String> = validate(&parse(&bad).unwrap())
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "items[0].name",
                "items[0].source",
                "items[0].ip.gateway",
                "items[0].cloud_init.ssh_keys[0]"
            ]
        );
        let e = parse(&WEB.replace("\"cores\"", "\"core\""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `core`") && e.contains("line"),
            "{e}"
        );
    }

    #[test]
    fn k3s_and_app_rules() {
        let k3s = r#"{"name": "k3s-lab", "items": [{
          "kind": "k3s_cluster", "name": "k3s", "masters": 2, "workers": 2,
          "master_size": {"cores": 2, "memory_mib": 4096, "disk_gib": 32},
          "worker_size": {"cores": 4, "memory_mib": 8192, "disk_gib": 64},
          "source": {"type": "template", "name": "k3s-template"},
          "network": {"bridge": "vmbr0"},
          "ip": {"mode": "auto", "subnet": "192.168.1.0/24", "gateway": "192.168.1.1"},
          "cloud_init": {"user": "ops", "ssh_keys": []},
          "metallb_range": "192.168.1.220-192.168.1.239",
          "api_vip": "192.168.1.225",
          "k3s_version": "1.31"
        }, {
          "kind": "k8s_app", "name": "nginx", "image": "nginx:latest",
          "ports": [{"name": "http", "port": 80}],
          "service": {"type": "ClusterIP", "load_balancer_ip": "192.168.1.221"},
          "resources": {"memory_limit": "lots"}
        }]}"#;
        let fields: Vec<String> = validate(&parse(k3s).unwrap())
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "items[0].masters",
                "items[0].cloud_init.ssh_keys",
                "items[0].metallb_range",
                "items[0].k3s_version",
                "items[1].image",
                "items[1].service.load_balancer_ip",
                "items[1].resources.memory_limit",
            ]
        );
    }
}
