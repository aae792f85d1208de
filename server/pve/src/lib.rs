//! Proxmox VE client for Provisio: typed configuration (several clusters, token or ticket auth,
//! system CA / CA file / pinned fingerprint TLS), an API client whose requests are values sent
//! through a swappable [`client::Transport`], the `cluster_state` model and gatherer, and the
//! `doctor` checks.
pub mod client;
pub mod config;
pub mod doctor;
pub mod error;
pub mod state;
pub mod tls;

pub use client::{ApiRequest, Method, PveClient};
pub use config::{
    ApplySettings, ApprovalPolicy, Auth, ClusterConfig, Config, KnowledgeSettings, PageAccess,
    ReservedIpv4, Secret, SiteFacts, StoreKind, SubnetFact, Tls, VnetFact,
};
pub use error::{Error, Result};
pub use provisio_k8s::K8sState;
pub use state::{cluster_state, ClusterState, ClusterStateRequest, View};
