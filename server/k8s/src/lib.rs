//! Read-only Kubernetes (k3s) state beside the Proxmox state: nodes, version, namespaces,
//! storage classes, LoadBalancer Services, MetalLB pools and advertisements, ingress classes;
//! and the doctor's checks of the Kubernetes API. Uses kube-rs with list and get only.
pub mod doctor;
pub mod error;
pub mod model;
pub mod read;

pub use error::{Error, Result};
pub use model::*;
pub use read::{connect, read, Conn, Target};
