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

/// Guests to bring under Terraform (`import` of `draft_manifest`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// VMIDs or names of existing guests (VMs and containers).
    pub guests: Vec<String>,
    /// Provider to write for (default bpg).
    #[serde(default)]
    pub provider: provisio_plan::Provider,
    /// Configured cluster (default: the default cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// Input of `draft_manifest`: a `plan` for new guests, or `import` for existing ones.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The plan (see the `analyser` prompt; schema in schemas/plan.schema.json).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Instead of a plan: existing guests to write Terraform for, with `import` blocks
    /// (Terraform >= 1.5) so apply adopts them. Every setting of their live config is written;
    /// what cannot be is listed as a decision `not carried`. `lint_manifest` with `drift: true`
    /// on the files shows no drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportRequest>,
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

impl ProvisioServer {
    async fn import_guests(&self, imp: ImportRequest) -> Result<CallToolResult, ErrorData> {
        if imp.guests.is_empty() {
            return Ok(tool_error(
                "`import.guests` is empty",
                "name the guests by VMID or name; `lint_manifest` with `drift` and `unmanaged` lists the guests no manifest describes",
            ));
        }
        let client = match self.shared.pve_client(imp.cluster.as_deref()) {
            Ok(c) => c,
            Err(e) => return Ok(pve_tool_error(&e)),
        };
        let r = match provisio_guest::import(&client, &imp.guests, imp.provider).await {
            Ok(r) => r,
            Err(provisio_guest::Error::Pve(e)) => return Ok(pve_tool_error(&e)),
            Err(e @ provisio_guest::Error::Input { .. }) => {
                return Ok(tool_error(
                    format!("`import.guests`: {e}"),
                    "give VMIDs or names that cluster_state lists",
                ))
            }
            Err(e) => {
                return Ok(tool_error(
                    e.to_string(),
                    "report this with the guests' config",
                ))
            }
        };
        let mut decisions: Vec<provisio_draft::Decision> = r
            .guests
            .iter()
            .map(|g| provisio_draft::Decision {
                about: g.address.clone(),
                value: g.import_id.clone(),
                reason: format!("import of {} {} (import block id)", g.vmid, g.name),
            })
            .collect();
        decisions.extend(r.notes.iter().map(|n| provisio_draft::Decision {
            about: "not carried".into(),
            value: String::new(),
            reason: n.clone(),
        }));
        let d = Draft {
            plan: format!(
                "import {}",
                r.guests
                    .iter()
                    .map(|g| g.vmid.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            cluster: imp
                .cluster
                .or_else(|| self.shared.pve.default_cluster.clone())
                .unwrap_or_default(),
            provider: r.provider,
            files: r.files,
            decisions,
            questions: Vec::new(),
        };
        let text = render(&d);
        let value =
            serde_json::to_value(&d).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(structured(value, text))
    }
}

#[tool_router(router = draft_manifest_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Draft Terraform files (bpg/proxmox by default, or Telmate/proxmox) from a plan and the
    /// cluster's live state: resolves template names, places VMs on nodes with free memory
    /// (spread), allocates free VMIDs, storages and IPs, and lists every decision with its
    /// reason. What it cannot decide comes back as `questions` and no files. Deterministic:
    /// the same plan and state give the same files. With `import` instead of a plan: Terraform
    /// with `import` blocks for existing guests (VMIDs or names), so they come under Terraform
    /// without being re-created. Writes nothing, changes nothing.
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
        let plan = match (req.plan, req.import) {
            (Some(_), Some(_)) => return Ok(tool_error(
                "both `plan` and `import` are given",
                "pass `plan` to draft new guests, or `import` to write Terraform for existing ones",
            )),
            (None, None) => return Ok(tool_error(
                "neither `plan` nor `import` is given",
                "pass `plan` (new guests), or `import: {\"guests\": [\"101\"]}` (existing guests)",
            )),
            (None, Some(imp)) => return self.import_guests(imp).await,
            (Some(p), None) => p,
        };
        let state = match req.state {
            Some(s) => s,
            None => {
                let client = match self.shared.pve_client(plan.cluster.as_deref()) {
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
        match provisio_draft::draft(&plan, &state) {
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
