//! `apply_plan` (server mode `apply` only): `preview` returns the exact change set, its digest,
//! an expiry and a single-use approval handle; `apply` runs it only after a human approved it
//! (the client's elicitation dialog, the approval page, or `provisio approve ID` on the server's
//! machine) and only if the live state still matches. Default when nothing can ask the human:
//! deny.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::ElicitationAction;
use rmcp::model::{CallToolResult, ProgressNotificationParam};
use rmcp::service::{ElicitationError, ElicitationMode, RequestContext};
use rmcp::{tool, tool_router, ErrorData, RoleServer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use provisio_apply::approval::Decision;
use provisio_apply::changeset::{self, ChangeSet};
use provisio_apply::exec::{self, ApplyReport};
use provisio_apply::{Approvals, Audit, Error as ApplyError, Pending};
use provisio_lint::ClusterFacts;
use provisio_plan::Plan;
use provisio_pve::ClusterStateRequest;

use super::cluster_state::pve_tool_error;
use super::{structured, tool_error};
use crate::page::{self, Details};
use crate::{ProvisioServer, Shared};

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
    /// The approval page's address, without its secret (the human has the full address: the
    /// server printed it, or the client opens it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_page: Option<String>,
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
    /// Who may approve: `[apply] approval`.
    pub policy: provisio_pve::ApprovalPolicy,
    pub task_timeout: Duration,
}

impl ApplyState {
    /// From the config's `[apply]` section (environment variables already applied).
    pub fn new(data_dir: &std::path::Path, settings: &provisio_pve::ApplySettings) -> Self {
        ApplyState {
            approvals: Approvals::new(data_dir, Duration::from_secs(settings.approval_ttl_secs)),
            audit: Audit::new(data_dir),
            policy: settings.approval,
            task_timeout: Duration::from_secs(settings.task_timeout_secs),
        }
    }
}

fn how_to(p: &Pending, page: Option<&str>, policy: provisio_pve::ApprovalPolicy) -> String {
    let dialog = if policy == provisio_pve::ApprovalPolicy::DialogOrOperator {
        "in the client's approval dialog when `apply` is called; "
    } else {
        ""
    };
    let page = match page {
        Some(a) => format!("on the approval page {a} (the full address, with its secret, is on the server's terminal, or the client opens it when `apply` is called; ask the human to open it, you cannot); "),
        None => String::new(),
    };
    format!(
        "A human must approve this exact change set (digest {}): {dialog}{page}or by running `provisio approve {}` on the server's machine. The handle is single-use and expires in {} s.",
        &p.digest[..12],
        p.id,
        p.expires_unix.saturating_sub(provisio_apply::approval::now_unix())
    )
}

fn preview_out(
    p: Pending,
    page: Option<String>,
    policy: provisio_pve::ApprovalPolicy,
) -> PreviewOut {
    PreviewOut {
        how_to_approve: how_to(&p, page.as_deref(), policy),
        approval: p.id.clone(),
        expires_unix: p.expires_unix,
        change_set: p.change_set,
        approval_page: page,
    }
}

/// Register a minted handle with the approval page (starting its listener on stdio) and print
/// the full address, secret included, for the operator on the server's terminal (stderr; never
/// in a tool result).
async fn publish(shared: &Arc<Shared>, p: &Pending, details: Details) -> Option<String> {
    if !shared.page.enabled() {
        return None;
    }
    if let Err(e) = page::ensure_listener(shared).await {
        tracing::warn!(error = %e, "approval page not available");
        return None;
    }
    let link = shared.page.register(p, details)?;
    eprintln!(
        "provisio: review change set {} (digest {}) and approve or deny it at {}",
        p.id,
        &p.digest[..12],
        link.with_secret
    );
    Some(link.address)
}

/// The drafted manifests and their lint summary, for the page.
async fn page_details(shared: &Shared, plan: &Plan, state: &provisio_pve::ClusterState) -> Details {
    let draft = match provisio_draft::draft(plan, state) {
        Ok(d) if d.questions.is_empty() => d,
        Ok(d) => {
            return Details {
                note: Some(format!(
                    "No manifests: the draft still asks {} question(s).",
                    d.questions.len()
                )),
                ..Default::default()
            }
        }
        Err(e) => {
            return Details {
                note: Some(format!("No manifests: {e}")),
                ..Default::default()
            }
        }
    };
    let manifests: Vec<(String, String)> = draft
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect();
    let site = shared
        .pve
        .cluster(plan.cluster.as_deref())
        .map(|c| c.facts.clone())
        .unwrap_or_default();
    let facts = ClusterFacts::from_state(state, &site).ok();
    let files: Vec<provisio_lint::Input> = draft
        .files
        .into_iter()
        .map(|f| provisio_lint::Input {
            path: f.path,
            content: f.content,
        })
        .collect();
    let lint = tokio::task::spawn_blocking(move || {
        let f = provisio_lint::lint(&files, facts.as_ref());
        let c = provisio_lint::counts(files.len(), &f);
        let summary = format!(
            "{} file(s): {} error(s), {} warning(s), {} info",
            c.files, c.errors, c.warnings, c.infos
        );
        let lines = f
            .iter()
            .take(30)
            .map(|x| {
                format!(
                    "{} {} {}:{} {}",
                    format!("{:?}", x.severity).to_lowercase(),
                    x.code,
                    x.file,
                    x.line,
                    x.message
                )
            })
            .collect::<Vec<_>>();
        (summary, lines)
    })
    .await
    .ok();
    Details {
        manifests,
        lint,
        note: None,
    }
}

fn not_approved(p: &Pending, page: Option<&str>, why: &str) -> CallToolResult {
    let fix = match page {
        Some(a) => format!("ask the human to open the approval page {a} (the full address with its secret is on the server's terminal; you cannot open or approve it) and approve there, or to run `provisio approve {}` on the server's machine; then call apply again with the same handle", p.id),
        None => format!("show the preview to the operator; they approve with `provisio approve {}` on the server's machine; then call apply again with the same handle", p.id),
    };
    tool_error(format!("change set {} {why}", p.id), fix)
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

impl ProvisioServer {
    /// Who approved `p`: a decision already recorded (page, CLI), else the client's form dialog
    /// or URL-mode elicitation of the page, as the policy allows. `Err`: the tool result that
    /// refuses (and the audit record is written).
    async fn approval(
        &self,
        p: &Pending,
        ctx: &RequestContext<RoleServer>,
        client_name: &str,
    ) -> Result<String, CallToolResult> {
        use provisio_pve::ApprovalPolicy;
        let st = &self.shared.apply;
        let denied = |reason: &str| {
            let _ = st.audit.append(
                client_name,
                "apply.denied",
                serde_json::json!({"handle": p.id, "digest": p.digest, "reason": reason}),
            );
        };
        match st.approvals.decision(p) {
            Some(Decision::Approved { by, method }) => return Ok(format!("{by} ({method})")),
            Some(Decision::Denied { by, method }) => {
                denied("denied");
                return Err(tool_error(
                    format!("the human denied change set {} ({by}, {method})", p.id),
                    "revise the plan with the operator and preview again",
                ));
            }
            None => {}
        }
        let address = self.shared.page.address(&p.id);
        let modes = ctx.peer.supported_elicitation_modes();
        if st.policy == ApprovalPolicy::Operator {
            denied("not approved out of band");
            return Err(not_approved(
                p,
                address.as_deref(),
                "is not approved yet (the operator approves out of band)",
            ));
        }
        if st.policy == ApprovalPolicy::DialogOrOperator && modes.contains(&ElicitationMode::Form) {
            let message = format!(
                "{}\nApprove this change set? The model cannot approve it for you.",
                changeset::render(&p.change_set)
            );
            return match ctx
                .peer
                .elicit_with_timeout::<ApprovalAnswer>(message, Some(Duration::from_secs(600)))
                .await
            {
                Ok(Some(ApprovalAnswer { approve: true })) => Ok(format!(
                    "human via the client's approval dialog ({client_name})"
                )),
                Ok(_)
                | Err(ElicitationError::UserDeclined)
                | Err(ElicitationError::UserCancelled) => {
                    denied("declined by the human");
                    Err(tool_error(
                        "the human declined the change set",
                        "revise the plan with the operator and preview again",
                    ))
                }
                Err(e) => {
                    denied(&e.to_string());
                    Err(not_approved(
                        p,
                        address.as_deref(),
                        &format!("is not approved: {e}"),
                    ))
                }
            };
        }
        let Some(link) = address.as_ref() else {
            denied("no approval: client cannot ask the human, no out-of-band approval");
            return Err(not_approved(
                p,
                None,
                "is not approved: this client cannot show an approval dialog",
            ));
        };
        if !modes.contains(&ElicitationMode::Url) {
            denied("no approval: client cannot open the approval page, no out-of-band approval");
            return Err(not_approved(p, Some(link), "is not approved: this client cannot show an approval dialog or open the approval page"));
        }
        // URL-mode elicitation: the client opens the page (secret included) for the human; the
        // model sees neither the address with the secret nor the decision form.
        let Some(url) = self
            .shared
            .page
            .register_again(p)
            .and_then(|u| url::Url::parse(&u).ok())
        else {
            denied("approval page unavailable");
            return Err(not_approved(
                p,
                Some(link),
                "is not approved: the approval page is not available",
            ));
        };
        let message = format!(
            "Review change set {} (plan {}, {} steps, digest {}) on the approval page and approve or deny it there.",
            p.id,
            p.change_set.plan,
            p.change_set.steps.len(),
            &p.digest[..12]
        );
        let wait = Duration::from_secs(
            p.expires_unix
                .saturating_sub(provisio_apply::approval::now_unix())
                .min(600),
        );
        match ctx
            .peer
            .elicit_url_with_timeout(message, url, p.id.clone(), Some(wait))
            .await
        {
            Ok(ElicitationAction::Accept) => {}
            Ok(_) | Err(ElicitationError::UserDeclined) | Err(ElicitationError::UserCancelled) => {
                denied("the human declined to open the approval page");
                return Err(tool_error(
                    "the human declined to open the approval page",
                    "revise the plan with the operator and preview again",
                ));
            }
            Err(e) => {
                denied(&e.to_string());
                return Err(not_approved(
                    p,
                    Some(link),
                    &format!("is not approved: {e}"),
                ));
            }
        }
        match page::wait_decision(&self.shared, p, wait).await {
            Some(Decision::Approved { by, method }) => Ok(format!("{by} ({method})")),
            Some(Decision::Denied { by, method }) => {
                denied("denied on the approval page");
                Err(tool_error(
                    format!("the human denied change set {} ({by}, {method})", p.id),
                    "revise the plan with the operator and preview again",
                ))
            }
            None => {
                denied("no decision on the approval page in time");
                Err(not_approved(
                    p,
                    Some(link),
                    &format!(
                        "is not approved: no decision on the approval page within {} s",
                        wait.as_secs()
                    ),
                ))
            }
        }
    }
}

#[tool_router(router = apply_plan_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Apply a plan to the cluster, in two calls. `preview`: the exact change set against the
    /// live state (clone template -> VMID on node, configure, grow disks, HA, start), what it
    /// expects to find, a digest and a single-use approval handle. `apply` with that handle:
    /// runs only after a human approved this change set (the client's approval dialog, the
    /// approval page, or `provisio approve ID` by the operator) and only if the live state
    /// still matches;
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
                let details = page_details(&self.shared, &plan, &state).await;
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
                let address = publish(&self.shared, &p, details).await;
                let out = ApplyOutput {
                    action: Action::Preview,
                    preview: Some(preview_out(p, address, st.policy)),
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
                let approved_by = match self.approval(&p, &ctx, &client_name).await {
                    Ok(by) => by,
                    Err(res) => return Ok(res),
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
                    match st.approvals.mint(cs) {
                        Ok(c) => {
                            let address = publish(&self.shared, &c, Details::default()).await;
                            Some(preview_out(c, address, st.policy))
                        }
                        Err(_) => None,
                    }
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
