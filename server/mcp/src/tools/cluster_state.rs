//! `cluster_state`: live, compact, paged state of a Proxmox VE cluster (nodes with free
//! capacity, storages, templates, guests, network, HA, pools, Ceph, next VMID, used IPs).
use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData};

use provisio_pve::state::view::render;
use provisio_pve::{ClusterState, ClusterStateRequest, Error as PveError};

use super::{structured, tool_error};
use crate::ProvisioServer;

/// The tool-result error for a PVE error: message plus a fix hint the model can act on.
pub fn pve_tool_error(e: &PveError) -> CallToolResult {
    let fix = match e {
        PveError::Invalid { field, .. } => format!("call the tool again with a corrected `{field}`"),
        PveError::Config { .. } => format!(
            "the operator must configure the cluster (config file or PROVISIO_PVE_* variables) and can check it with `provisio doctor`{}",
            e.hint().map(|h| format!("; {h}")).unwrap_or_default()
        ),
        _ => e
            .hint()
            .unwrap_or_else(|| "retry later; the operator can run `provisio doctor`".into()),
    };
    tool_error(e.to_string(), fix)
}

#[tool_router(router = cluster_state_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Read the live state of a Proxmox VE cluster. Views: `summary` (default: quorum, nodes
    /// with free memory after allocations, storages that hold images, templates with
    /// cloud-init/linked-clone facts, guest counts, used VMIDs, next free VMID, bridges,
    /// pools, HA, Ceph), `nodes`, `storage`, `templates`, `guests` (filters `node`, `status`,
    /// `tag`, `name` glob; paged with `limit`/`cursor`), `network` (bridges, SDN vnets and
    /// subnets, used IPv4 addresses), `ha`, `full`, `k8s` (the k3s layer from the Kubernetes
    /// API: nodes with Ready, roles and the Proxmox guest each runs on, version, namespaces,
    /// storage classes, LoadBalancer Services with IPs (paged), MetalLB pools and
    /// advertisements, ingress classes). Answers stay within `max_bytes` and say
    /// what was cut. Names the cluster it read; `cluster` picks one of several configured.
    #[tool(
        name = "cluster_state",
        title = "Proxmox cluster state",
        output_schema = schema_for_type::<ClusterState>(),
        annotations(
            title = "Proxmox cluster state",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn cluster_state(
        &self,
        Parameters(req): Parameters<ClusterStateRequest>,
    ) -> Result<CallToolResult, ErrorData> {
        let client = match self.shared.pve_client(req.cluster.as_deref()) {
            Ok(c) => c,
            Err(e) => return Ok(pve_tool_error(&e)),
        };
        match provisio_pve::cluster_state(&client, &req).await {
            Ok(s) => {
                let text = render(&s);
                let value = serde_json::to_value(&s)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                Ok(structured(value, text))
            }
            Err(e) => Ok(pve_tool_error(&e)),
        }
    }
}
