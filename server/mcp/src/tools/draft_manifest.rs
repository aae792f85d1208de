//! `draft_manifest`: a plan (schemas/plan.schema.json) plus the live cluster state into
//! grounded Terraform files, with every decision and its reason, or questions back.
use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use provisio_draft::{Draft, Error as DraftError};
use provisio_plan::Plan;
use provisio_pve::{ClusterState, ClusterStateRequest};

use super::cluster_state::pve_tool_error;
use super::{structured, tool_error};
use crate::ProvisioServer;

/// Input of `draft_manifest`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The plan (see the `analyser` prompt; schema in schemas/plan.schema.json).
    pub plan: Plan,
    /// A saved `cluster_state` answer (view `full`) to draft against offline; when omitted the
    /// live state of the plan's cluster (or the default cluster) is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ClusterState>,
}

/// Compact text: decisions, questions, file list.
pub fn render(d: &Draft) -> String {
    let mut o = format!(
        "draft `{}` for cluster `{}` ({})\n",
        d.plan, d.cluster, d.provider
    );
    for x in &d.decisions {
        o.push_str(&format!(
            "decision {} = {}: {}\n",
            x.about, x.value, x.reason
        ));
    }
    for q in &d.questions {
        o.push_str(&format!("QUESTION {}: {}\n", q.field, q.question));
    }
    if d.questions.is_empty() {
        for f in &d.files {
            o.push_str(&format!(
                "file {} ({} lines)\n",
                f.path,
                f.content.lines().count()
            ));
        }
        o.push_str("next: lint the files, then hand the plan to the human for approval\n");
    } else {
        o.push_str("no files: answer the questions (change the plan) and draft again\n");
    }
    o
}

#[tool_router(router = draft_manifest_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Draft Terraform files (bpg/proxmox by default, or Telmate/proxmox) from a plan and the
    /// cluster's live state: resolves template names, places VMs on nodes with free memory
    /// (spread), allocates free VMIDs, storages and IPs, and lists every decision with its
    /// reason. What it cannot decide comes back as `questions` and no files. Deterministic:
    /// the same plan and state give the same files. Writes nothing, changes nothing.
    #[tool(
        name = "draft_manifest",
        title = "Draft manifests from a plan",
        output_schema = schema_for_type::<Draft>(),
        annotations(
            title = "Draft manifests from a plan",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn draft_manifest(
        &self,
        Parameters(req): Parameters<DraftRequest>,
    ) -> Result<CallToolResult, ErrorData> {
        let state = match req.state {
            Some(s) => s,
            None => {
                let client = match self.shared.pve_client(req.plan.cluster.as_deref()) {
                    Ok(c) => c,
                    Err(e) => return Ok(pve_tool_error(&e)),
                };
                let sreq = ClusterStateRequest::full();
                match provisio_pve::cluster_state(&client, &sreq).await {
                    Ok(s) => s,
                    Err(e) => return Ok(pve_tool_error(&e)),
                }
            }
        };
        match provisio_draft::draft(&req.plan, &state) {
            Ok(d) => {
                let text = render(&d);
                let value = serde_json::to_value(&d)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                Ok(structured(value, text))
            }
            Err(DraftError::Invalid(problems)) => Ok(tool_error(
                format!(
                    "the plan is invalid: {}",
                    problems
                        .iter()
                        .map(|p| format!("`{}`: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                problems
                    .iter()
                    .map(|p| format!("`{}`: {}", p.field, p.fix))
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
            Err(e @ DraftError::NotBuilt { .. }) => Ok(tool_error(
                e.to_string(),
                "draft `vm` and `k3s_cluster` items for now; write the Kubernetes manifests by hand and review them against the docs",
            )),
            Err(e @ DraftError::Format { .. }) => Ok(tool_error(
                e.to_string(),
                "this is a bug in provisio's drafting: report it with the plan; no file was written",
            )),
        }
    }
}
