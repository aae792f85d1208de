//! Kubernetes applications: a Deployment and a Service, typed with k8s-openapi (Kubernetes
//! 1.37) and serialized to YAML. A fixed LoadBalancer IP is requested from MetalLB with the
//! `metallb.io/loadBalancerIPs` annotation and checked against the MetalLB range when the plan
//! defines one.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, PodSpec, PodTemplateSpec, Probe as KProbe,
    ResourceRequirements, Service, ServicePort, ServiceSpec, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use provisio_plan::{K8sAppSpec, Probe, Protocol, ServiceType};

use crate::ground::{Decision, Question};

fn probe(p: &Probe) -> KProbe {
    match p {
        Probe::Http { path, port } => KProbe {
            http_get: Some(HTTPGetAction {
                path: Some(path.clone()),
                port: IntOrString::Int(*port as i32),
                ..Default::default()
            }),
            period_seconds: Some(10),
            ..Default::default()
        },
        Probe::Tcp { port } => KProbe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(*port as i32),
                ..Default::default()
            }),
            period_seconds: Some(10),
            ..Default::default()
        },
    }
}

fn proto(p: Protocol) -> String {
    match p {
        Protocol::TCP => "TCP".into(),
        Protocol::UDP => "UDP".into(),
    }
}

/// The live Kubernetes cluster's MetalLB pools and the LoadBalancer addresses its Services
/// hold, when `cluster_state` read them.
#[derive(Debug, Clone, Default)]
pub struct LiveLb {
    /// IPv4 ranges of the MetalLB pools (CIDRs as their first and last address).
    pub ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Address → `namespace/name` of the Service that holds or asks for it.
    pub taken: BTreeMap<Ipv4Addr, String>,
}

impl LiveLb {
    pub fn from_state(k: &provisio_pve::K8sState) -> Self {
        let mut out = LiveLb::default();
        for p in k.metallb.iter().flat_map(|m| &m.pools) {
            for a in &p.addresses {
                if let Some(r) = provisio_plan::net::Ipv4Range::parse(a) {
                    out.ranges.push((r.first, r.last));
                }
            }
        }
        for lb in k.load_balancers.iter().flatten() {
            for ip in lb.addresses() {
                if let Ok(x) = ip.parse::<Ipv4Addr>() {
                    out.taken
                        .entry(x)
                        .or_insert_with(|| format!("{}/{}", lb.namespace, lb.name));
                }
            }
        }
        out
    }

    fn contains(&self, ip: Ipv4Addr) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (u32::from(*lo)..=u32::from(*hi)).contains(&u32::from(ip)))
    }

    /// The first pool address no Service holds.
    fn first_free(&self) -> Option<Ipv4Addr> {
        self.ranges.iter().find_map(|(lo, hi)| {
            (u32::from(*lo)..=u32::from(*hi))
                .map(Ipv4Addr::from)
                .find(|ip| !self.taken.contains_key(ip))
        })
    }
}

/// `k8s/NAME.yaml`: the Deployment, then the Service. A requested LoadBalancer IP is checked
/// against the live cluster's pools and Services when `live` is given (the live pools win over
/// the plan's MetalLB range), else against the plan's range.
pub fn app_files(
    field: &str,
    a: &K8sAppSpec,
    metallb: Option<(Ipv4Addr, Ipv4Addr)>,
    live: Option<&LiveLb>,
    decisions: &mut Vec<Decision>,
    questions: &mut Vec<Question>,
) -> Vec<(String, String)> {
    let live = live.filter(|l| !l.ranges.is_empty() || !l.taken.is_empty());
    let labels: BTreeMap<String, String> =
        [("app.kubernetes.io/name".to_string(), a.name.clone())].into();
    let meta = |annotations: Option<BTreeMap<String, String>>| ObjectMeta {
        name: Some(a.name.clone()),
        namespace: Some(a.namespace.clone()),
        labels: Some(labels.clone()),
        annotations,
        ..Default::default()
    };
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(q) = &a.resources.cpu_request {
        requests.insert("cpu".to_string(), Quantity(q.clone()));
    }
    if let Some(q) = &a.resources.memory_request {
        requests.insert("memory".to_string(), Quantity(q.clone()));
    }
    if let Some(q) = &a.resources.cpu_limit {
        limits.insert("cpu".to_string(), Quantity(q.clone()));
    }
    if let Some(q) = &a.resources.memory_limit {
        limits.insert("memory".to_string(), Quantity(q.clone()));
    }
    let container = Container {
        name: a.name.clone(),
        image: Some(a.image.clone()),
        ports: Some(
            a.ports
                .iter()
                .map(|p| ContainerPort {
                    name: Some(p.name.clone()),
                    container_port: p.target_port.unwrap_or(p.port) as i32,
                    protocol: Some(proto(p.protocol)),
                    ..Default::default()
                })
                .collect(),
        ),
        env: (!a.env.is_empty()).then(|| {
            a.env
                .iter()
                .map(|(k, v)| EnvVar {
                    name: k.clone(),
                    value: Some(v.clone()),
                    ..Default::default()
                })
                .collect()
        }),
        resources: (!requests.is_empty() || !limits.is_empty()).then(|| ResourceRequirements {
            requests: (!requests.is_empty()).then_some(requests),
            limits: (!limits.is_empty()).then_some(limits),
            ..Default::default()
        }),
        readiness_probe: a.probes.readiness.as_ref().map(probe),
        liveness_probe: a.probes.liveness.as_ref().map(probe),
        ..Default::default()
    };
    let deployment = Deployment {
        metadata: meta(None),
        spec: DeploymentSpec {
            replicas: Some(a.replicas as i32),
            selector: LabelSelector {
                match_labels: Some(labels.clone()),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let mut annotations = None;
    if let (Some(ip), Some(l)) = (&a.service.load_balancer_ip, live) {
        let me = format!("{}/{}", a.namespace, a.name);
        let free = l
            .first_free()
            .map(|f| format!(" (the first free one is {f})"))
            .unwrap_or_default();
        match ip.parse::<Ipv4Addr>() {
            Ok(x) if l.taken.get(&x).is_some_and(|who| *who != me) => {
                questions.push(Question {
                    field: format!("{field}.service.load_balancer_ip"),
                    question: format!("{ip} is already held by the live Service {}: pick another address of the MetalLB pool{free}", l.taken[&x]),
                });
            }
            Ok(x) if !l.ranges.is_empty() && !l.contains(x) => {
                let pools: Vec<String> = l
                    .ranges
                    .iter()
                    .map(|(lo, hi)| format!("{lo}-{hi}"))
                    .collect();
                questions.push(Question {
                    field: format!("{field}.service.load_balancer_ip"),
                    question: format!("{ip} is outside the live cluster's MetalLB pools ({}): MetalLB would never assign it; pick an address in a pool{free}", pools.join(", ")),
                });
            }
            _ => {
                let conflict = match (metallb, l.ranges.first()) {
                    (Some(p), Some(_)) if !l.ranges.contains(&p) => format!("; the plan's MetalLB range {}-{} differs from the live pools, which were used", p.0, p.1),
                    _ => String::new(),
                };
                decisions.push(Decision {
                    about: format!("{}.load_balancer_ip", a.name),
                    value: ip.clone(),
                    reason: format!("requested from MetalLB (annotation metallb.io/loadBalancerIPs); inside the live cluster's pools and held by no other live Service{conflict}"),
                });
            }
        }
        annotations = Some([("metallb.io/loadBalancerIPs".to_string(), ip.clone())].into());
    } else if let Some(ip) = &a.service.load_balancer_ip {
        match (ip.parse::<Ipv4Addr>(), metallb) {
            (Ok(x), Some((lo, hi))) if !(u32::from(lo)..=u32::from(hi)).contains(&u32::from(x)) => {
                questions.push(Question {
                    field: format!("{field}.service.load_balancer_ip"),
                    question: format!("{ip} is outside the MetalLB range {lo}-{hi}: MetalLB would never assign it; pick an address in the range"),
                });
            }
            (_, range) => decisions.push(Decision {
                about: format!("{}.load_balancer_ip", a.name),
                value: ip.clone(),
                reason: match range {
                    Some((lo, hi)) => format!("requested from MetalLB (annotation metallb.io/loadBalancerIPs); inside the range {lo}-{hi}"),
                    None => "requested from MetalLB (annotation metallb.io/loadBalancerIPs); not checked: this plan defines no MetalLB range".into(),
                },
            }),
        }
        annotations = Some([("metallb.io/loadBalancerIPs".to_string(), ip.clone())].into());
    }
    let service = Service {
        metadata: meta(annotations),
        spec: Some(ServiceSpec {
            type_: Some(
                match a.service.kind {
                    ServiceType::ClusterIP => "ClusterIP",
                    ServiceType::NodePort => "NodePort",
                    ServiceType::LoadBalancer => "LoadBalancer",
                }
                .to_string(),
            ),
            selector: Some(labels),
            ports: Some(
                a.ports
                    .iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: p.port as i32,
                        target_port: Some(IntOrString::String(p.name.clone())),
                        protocol: Some(proto(p.protocol)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    let yaml = format!(
        "{}---\n{}",
        serde_yaml_ng::to_string(&deployment).unwrap_or_default(),
        serde_yaml_ng::to_string(&service).unwrap_or_default()
    );
    vec![(format!("k8s/{}.yaml", a.name), yaml)]
}
