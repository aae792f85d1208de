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

/// `k8s/NAME.yaml`: the Deployment, then the Service.
pub fn app_files(
    field: &str,
    a: &K8sAppSpec,
    metallb: Option<(Ipv4Addr, Ipv4Addr)>,
    decisions: &mut Vec<Decision>,
    questions: &mut Vec<Question>,
) -> Vec<(String, String)> {
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
    if let Some(ip) = &a.service.load_balancer_ip {
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
