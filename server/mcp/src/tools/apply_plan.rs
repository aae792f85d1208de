//! `apply_plan` (server mode `apply` only): `preview` returns the exact change set, its digest,
//! an expiry and a single-use approval handle; `apply` runs it only after a human approved it
//! (the client's elicitation dialog, or `provisio approve ID` on the server's machine) and only
//! if the live state still matches. Default when nothing can ask the human: deny.
use std::collections::BTreeMap;
use std::time::Duration;

use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ProgressNotificationParam};
use rmcp::service::{ElicitationError, RequestContext};
use rmcp::{tool, tool_router, ErrorData, RoleServer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use provisio_apply::changeset::{self, ChangeSet};
use provisio_apply::exec::{self, ApplyReport};
use provisio_apply::{Approvals, Audit, Error as ApplyError, Pending};
use provisio_plan::Plan;
use provisio_pve::ClusterStateRequest;

use super::cluster_state::pve_tool_error;
use super::{structured, tool_error};
use crate::ProvisioServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Compute the change set against the live state and mint an approval handle.
    Preview,
    /// Run a previewed change set (needs its approval handle and a human's approval).
    Apply,
}

/// Input of `apply_plan`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    pub action: Action,
    /// The plan (for `preview`): the same JSON `draft_manifest` takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// The approval handle from the preview (for `apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
}

/// A previewed change set waiting for approval.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PreviewOut {
    pub change_set: ChangeSet,
    /// Single-use handle; `apply` needs it, and a human must approve it.
    pub approval: String,
    pub expires_unix: u64,
    /// How the human approves.
    pub how_to_approve: String,
}

/// Output of `apply_plan`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApplyOutput {
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<PreviewOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ApplyReport>,
    /// Who approved (for `apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// After a failed or cancelled apply: the exact cleanup steps, as a new preview that needs
    /// its own approval. Nothing is deleted without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<PreviewOut>,
}

/// What the human answers in the client's approval dialog.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApprovalAnswer {
    /// true to apply the change set shown, false to refuse.
    pub approve: bool,
}
rmcp::elicit_safe!(ApprovalAnswer);

/// Approvals and audit log of a server.
pub struct ApplyState {
    pub approvals: Approvals,
    pub audit: Audit,
    /// Only `provisio approve` counts (no elicitation): `[apply] approval = "operator"`.
    pub cli_only: bool,
    pub task_timeout: Duration,
}

impl ApplyState {
    /// From the config's `[apply]` section (environment variables already applied).
    pub fn new(data_dir: &std::path::Path, settings: &provisio_pve::ApplySettings) -> Self {
        ApplyState {
            approvals: Approvals::new(data_dir, Duration::from_secs(settings.approval_ttl_secs)),
            audit: Audit::new(data_dir),
            cli_only: settings.approval == provisio_pve::ApprovalPolicy::Operator,
            task_timeout: Duration::from_secs(settings.task_timeout_secs),
        }
    }
}

fn how_to(p: &Pending) -> String {
    format!(
        "A human must approve this exact change set (digest {}): either in the client's approval dialog when `apply` is called, or by running `provisio approve {}` on the server's machine. The handle is single-use and expires in {} s.",
        &p.digest[..12],
        p.id,
        p.expires_unix.saturating_sub(provisio_apply::approval::now_unix())
    )
}

fn preview_out(p: Pending) -> PreviewOut {
    PreviewOut {
        how_to_approve: how_to(&p),
        approval: p.id.clone(),
        expires_unix: p.expires_unix,
        change_set: p.change_set,
    }
}

fn approval_error(e: ApplyError) -> CallToolResult {
    match e {
        ApplyError::Approval { message, fix } => tool_error(message, fix),
        e => tool_error(e.to_string(), "preview again"),
    }
}

fn render(o: &ApplyOutput) -> String {
    let mut t = String::new();
    if let Some(p) = &o.preview {
        t.push_str(&changeset::render(&p.change_set));
        t.push_str(&format!(
            "approval handle: {}\n{}\n",
            p.approval, p.how_to_approve
        ));
    }
    if let Some(r) = &o.report {
        if let Some(by) = &o.approved_by {
            t.push_str(&format!("approved by {by}\n"));
        }
        t.push_str(&exec::render(r));
    }
    if let Some(c) = &o.cleanup {
        t.push_str("cleanup offered (needs its own approval):\n");
        t.push_str(&changeset::render(&c.change_set));
        t.push_str(&format!("cleanup approval handle: {}\n", c.approval));
    }
    t
}

#[tool_router(router = apply_plan_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Apply a plan to the cluster, in two calls. `preview`: the exact change set against the
    /// live state (clone template -> VMID on node, configure, grow disks, HA, start), what it
    /// expects to find, a digest and a single-use approval handle. `apply` with that handle:
    /// runs only after a human approved this change set (the client's approval dialog, or
    /// `provisio approve ID` by the operator) and only if the live state still matches;
    /// otherwise it refuses and shows the drift. Progress is reported per step; a failed step
    /// stops the run and the answer offers the exact cleanup as a new preview. Re-running an
    /// interrupted plan resumes it without duplicating VMs.
    #[tool(
        name = "apply_plan",
        title = "Preview and apply a plan",
        output_schema = schema_for_type::<ApplyOutput>(),
        annotations(
            title = "Preview and apply a plan",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn apply_plan(
        &self,
        Parameters(req): Parameters<ApplyRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let st = &self.shared.apply;
        let client_name = ctx
            .peer
            .peer_info()
            .map(|i| format!("{} {}", i.client_info.name, i.client_info.version))
            .unwrap_or_else(|| "unknown client".into());
        match req.action {
            Action::Preview => {
                let Some(plan) = req.plan else {
                    return Ok(tool_error(
                        "`plan` is required for action `preview`",
                        "pass the plan you drafted with draft_manifest",
                    ));
                };
                let client = match self.shared.pve_client(plan.cluster.as_deref()) {
                    Ok(c) => c,
                    Err(e) => return Ok(pve_tool_error(&e)),
                };
                let sreq = ClusterStateRequest::full();
                let state = match provisio_pve::cluster_state(&client, &sreq).await {
                    Ok(s) => s,
                    Err(e) => return Ok(pve_tool_error(&e)),
                };
                // This plan's VMs from an earlier, interrupted apply keep their VMIDs.
                let names: BTreeMap<String, ()> = match provisio_draft::ground_plan(&plan, &state) {
                    Ok(g) => g.vms.iter().map(|v| (v.name.clone(), ())).collect(),
                    Err(e) => {
                        return Ok(tool_error(
                            e.to_string(),
                            "fix the plan (provisio check-plan) and preview again",
                        ))
                    }
                };
                let ours = match exec::find_ours(&client, &plan.name, &names).await {
                    Ok(o) => o,
                    Err(e) => return Ok(pve_tool_error(&e)),
                };
                let cs = match changeset::preview(&plan, &state, &ours) {
                    Ok(cs) => cs,
                    Err(e) => return Ok(tool_error(e.to_string(), "draft the plan with draft_manifest, answer its questions, then preview again")),
                };
                let p = match st.approvals.mint(cs) {
                    Ok(p) => p,
                    Err(e) => {
                        return Ok(tool_error(
                            e.to_string(),
                            "check the server's data directory",
                        ))
                    }
                };
                let _ = st.audit.append(&client_name, "preview", serde_json::json!({"handle": p.id, "digest": p.digest, "plan": p.change_set.plan, "cluster": p.change_set.cluster, "steps": p.change_set.steps.len()}));
                let out = ApplyOutput {
                    action: Action::Preview,
                    preview: Some(preview_out(p)),
                    report: None,
                    approved_by: None,
                    cleanup: None,
                };
                let text = render(&out);
                Ok(structured(
                    serde_json::to_value(&out)
                        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?,
                    text,
                ))
            }
            Action::Apply => {
                let Some(handle) = req.approval else {
                    return Ok(tool_error(
                        "`approval` is required for action `apply`",
                        "call action `preview` first and pass the handle it returns",
                    ));
                };
                let p = match st.approvals.pending(&handle) {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = st.audit.append(
                            &client_name,
                            "apply.denied",
                            serde_json::json!({"handle": handle, "reason": e.to_string()}),
                        );
                        return Ok(approval_error(e));
                    }
                };
                // The human, not the model, approves.
                let approved_by = match st.approvals.approved_by(&p) {
                    Some(by) => format!("{by} (provisio approve)"),
                    None if st.cli_only => {
                        let _ = st.audit.append(&client_name, "apply.denied", serde_json::json!({"handle": p.id, "digest": p.digest, "reason": "not approved out of band"}));
                        return Ok(tool_error(format!("change set {} is not approved yet", p.id), format!("ask the operator to review and run `provisio approve {}` on the server's machine, then call apply again", p.id)));
                    }
                    None => {
                        let message = format!(
                            "{}\nApprove this change set? The model cannot approve it for you.",
                            changeset::render(&p.change_set)
                        );
                        match ctx
                            .peer
                            .elicit_with_timeout::<ApprovalAnswer>(
                                message,
                                Some(Duration::from_secs(600)),
                            )
                            .await
                        {
                            Ok(Some(ApprovalAnswer { approve: true })) => {
                                format!("human via the client's approval dialog ({client_name})")
                            }
                            Ok(_)
                            | Err(ElicitationError::UserDeclined)
                            | Err(ElicitationError::UserCancelled) => {
                                let _ = st.audit.append(&client_name, "apply.denied", serde_json::json!({"handle": p.id, "digest": p.digest, "reason": "declined by the human"}));
                                return Ok(tool_error(
                                    "the human declined the change set",
                                    "revise the plan with the operator and preview again",
                                ));
                            }
                            Err(ElicitationError::CapabilityNotSupported) => {
                                let _ = st.audit.append(&client_name, "apply.denied", serde_json::json!({"handle": p.id, "digest": p.digest, "reason": "no approval: client cannot ask the human, no out-of-band approval"}));
                                return Ok(tool_error(
                                    format!("change set {} is not approved: this client cannot show an approval dialog", p.id),
                                    format!("show the preview to the operator; they approve with `provisio approve {}` on the server's machine; then call apply again with the same handle", p.id),
                                ));
                            }
                            Err(e) => {
                                let _ = st.audit.append(&client_name, "apply.denied", serde_json::json!({"handle": p.id, "digest": p.digest, "reason": e.to_string()}));
                                return Ok(tool_error(
                                    format!("no approval: {e}"),
                                    format!(
                                        "the operator can approve with `provisio approve {}`",
                                        p.id
                                    ),
                                ));
                            }
                        }
                    }
                };
                if let Err(e) = st.approvals.consume(&p.id) {
                    return Ok(approval_error(e));
                }
                let _ = st.audit.append(
                    &client_name,
                    "approved",
                    serde_json::json!({"handle": p.id, "digest": p.digest, "by": approved_by}),
                );
                let client = match self
                    .shared
                    .pve_client(Some(&p.change_set.cluster))
                    .or_else(|_| self.shared.pve_client(None))
                {
                    Ok(c) => c,
                    Err(e) => return Ok(pve_tool_error(&e)),
                };
                // Progress notifications when the client asked for them.
                let (tx, mut rx) =
                    tokio::sync::mpsc::unbounded_channel::<provisio_apply::Progress>();
                let token = ctx.meta.get_progress_token();
                let peer = ctx.peer.clone();
                let fwd = tokio::spawn(async move {
                    while let Some(pg) = rx.recv().await {
                        if let Some(t) = &token {
                            let _ = peer
                                .notify_progress({
                                    let mut n =
                                        ProgressNotificationParam::new(t.clone(), pg.done as f64);
                                    n.total = Some(pg.total as f64);
                                    n.message = Some(pg.message);
                                    n
                                })
                                .await;
                        }
                    }
                });
                let report = exec::execute(
                    &client,
                    &p.change_set,
                    &st.audit,
                    &client_name,
                    Some(tx),
                    ctx.ct.clone(),
                    st.task_timeout,
                )
                .await;
                let _ = fwd.await;
                let cleanup = if matches!(report.outcome.as_str(), "failed" | "cancelled")
                    && p.change_set.purpose == "apply"
                    && !report.present.is_empty()
                {
                    let cs = changeset::cleanup(
                        &p.change_set.plan,
                        &p.change_set.cluster,
                        &report.present,
                    );
                    st.approvals.mint(cs).ok().map(preview_out)
                } else {
                    None
                };
                let out = ApplyOutput {
                    action: Action::Apply,
                    preview: None,
                    report: Some(report),
                    approved_by: Some(approved_by),
                    cleanup,
                };
                let text = render(&out);
                let value = serde_json::to_value(&out)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                let failed = out.report.as_ref().is_some_and(|r| r.outcome != "applied");
                let mut res = structured(value, text);
                if failed {
                    res.is_error = Some(true);
                }
                Ok(res)
            }
        }
    }
}
