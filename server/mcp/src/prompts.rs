//! The seed's three agent roles as MCP prompts (`collector`, `analyser`, `builder`) and
//! `provision_vm`, which chains them for clients that want one entry point. The same guidance
//! is in the server instructions for clients without prompt support.
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::{prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::ProvisioServer;

pub fn router() -> PromptRouter<ProvisioServer> {
    ProvisioServer::prompt_router()
}

/// The operator's request, in their words.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RequestArgs {
    /// What the operator asked for, e.g. "create a webserver from template 100".
    pub request: String,
    /// Cluster name from the server configuration (default cluster if omitted).
    #[serde(default)]
    pub cluster: Option<String>,
}

/// The structured request or plan to work from.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PlanArgs {
    /// The structured request (for the analyser) or the plan JSON (for the builder).
    pub input: String,
    /// Maximum draft → lint → fix rounds (builder only, default 3).
    #[serde(default)]
    pub max_rounds: Option<u32>,
}

const COLLECTOR: &str = "You are the COLLECTOR. Validate the operator's request before anything is planned.\n1. Restate the request as fields: kind (vm, k3s_cluster, k8s_app), count and names, source (template VMID or name, or ISO), sizes (cores, memory, disk), network (bridge/vnet, VLAN, DHCP or static IP/gateway), placement (node or auto), cloud-init (user, SSH keys), tags, pool.\n2. Read the live cluster with `cluster_state` (view `summary` first; `templates`, `guests`, `network` when you need detail): which template is which VMID, which nodes are online and have free memory, which storages hold images, which bridges exist, which VMIDs and IPs are taken. For Kubernetes work (k3s workers, apps, LoadBalancer IPs) read view `k8s`: nodes and whether they are Ready, the guest each runs on, namespaces, storage classes, MetalLB pools and the LoadBalancer IPs live Services hold. Name the cluster the answer came from.\n3. Guests made by hand are not under Terraform: when the operator's Terraform files are at hand, call `lint_manifest` with them and `drift: true, unmanaged: true`; it lists the guests no resource describes (offer to bring them under Terraform with `draft_manifest` and `import: {\"guests\": [VMIDs]}`) and how the described ones differ from the cluster (a difference marked reboot or RE-CREATE is worth telling the operator before anything is applied).\n4. Ground every other assumption in the documentation with `search_docs` and cite the returned URLs; use exact identifiers as queries when you know them.\n5. List what is missing or ambiguous as direct questions to the operator. Do not guess values that change the result (IPs, node, storage, sizes).\n6. Output a JSON object `structured_request` with the fields you know and `questions` with what you still need.";

const ANALYSER: &str = "You are the ANALYSER. Turn the structured request and the facts you collected into a plan: the JSON that `draft_manifest` takes as `plan` (its input schema is the contract).\n1. Shape: {\"name\": \"webserver\", \"provider\": \"bpg\" or \"telmate\", \"items\": [{\"kind\": \"vm\", \"name\": \"web-{n}\", \"count\": 2, \"source\": {\"type\": \"template\", \"vmid\": 100}, \"placement\": {\"mode\": \"auto\", \"spread\": true}, \"cores\": 2, \"memory_mib\": 2048, \"disks\": [{\"size_gib\": 32}], \"network\": [{\"bridge\": \"vmbr0\"}], \"ip\": {\"mode\": \"auto\", \"subnet\": \"192.168.1.0/24\", \"gateway\": \"192.168.1.1\"}, \"cloud_init\": {\"user\": \"ops\", \"ssh_keys\": [\"ssh-ed25519 ...\"]}}]}.\n2. Leave to `draft_manifest` what it grounds better against live state (placement `auto`, omitted `vmid`, omitted disk `storage`, ip mode `auto`); fix only what the operator fixed.\n3. Passwords are never values: name a Terraform variable (`password_variable`).\n4. Every choice you make gets a one-line reason; anything you cannot decide becomes a question back, not a guess. Cite the docs behind non-obvious choices (`search_docs`).";

const BUILDER: &str = "You are the BUILDER. From the plan, produce the manifests.\n1. Call `draft_manifest` with the plan (server mode `plan`). It returns the files (Terraform, k3s inventory, Kubernetes YAML), every grounding decision with its reason, or `questions`: answer those by changing the plan (ask the operator when the answer is theirs), then draft again.\n2. Call `lint_manifest` with the files (and any you wrote or edited by hand). Each finding has a rule code, line, message and fix hint; fix every error (prefer changing the plan and drafting again over editing files), look up what you are unsure of with `search_docs` (the finding's `doc` names the page), and lint again. Stop when there are no errors or after the given number of rounds; report remaining warnings.\n3. Secrets (tokens, passwords) stay variables marked sensitive, never literals.\n4. Hand the final files, the decisions, the lint result and the plan to the human for approval. Nothing is applied without that approval.\n5. Only in server mode `apply`, and once the human wants it applied: call `apply_plan` with action `preview` and show the change set; then call it with action `apply` and the handle. The human approves in the client's dialog, on the approval page (ask them to open it: the preview's `approval_page`; its secret is theirs, not yours), or with `provisio approve HANDLE`; you cannot approve for them. If it refuses because of drift, preview again; if a step fails, report what was done and offer the returned cleanup preview, never delete on your own.";

#[prompt_router]
impl ProvisioServer {
    /// Collector role: validate the request, ask back what is missing, look up docs.
    #[prompt(name = "collector")]
    pub async fn collector(&self, Parameters(a): Parameters<RequestArgs>) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new_text(Role::Assistant, COLLECTOR),
            PromptMessage::new_text(Role::User, request_text(&a)),
        ]
    }

    /// Analyser role: produce the plan JSON from the structured request.
    #[prompt(name = "analyser")]
    pub async fn analyser(&self, Parameters(a): Parameters<PlanArgs>) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new_text(Role::Assistant, ANALYSER),
            PromptMessage::new_text(Role::User, format!("Structured request:\n{}", a.input)),
        ]
    }

    /// Builder role: draft, review and fix manifests, then hand the plan to the human.
    #[prompt(name = "builder")]
    pub async fn builder(&self, Parameters(a): Parameters<PlanArgs>) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new_text(
                Role::Assistant,
                format!("{BUILDER}\nMaximum rounds: {}.", a.max_rounds.unwrap_or(3)),
            ),
            PromptMessage::new_text(Role::User, format!("Plan:\n{}", a.input)),
        ]
    }

    /// One entry point: collector, then analyser, then builder, for a VM request.
    #[prompt(name = "provision_vm")]
    pub async fn provision_vm(&self, Parameters(a): Parameters<RequestArgs>) -> Vec<PromptMessage> {
        vec![
            PromptMessage::new_text(
                Role::Assistant,
                format!("Run three roles in order, finishing each before the next.\n\n{COLLECTOR}\n\n{ANALYSER}\n\n{BUILDER}"),
            ),
            PromptMessage::new_text(Role::User, request_text(&a)),
        ]
    }
}

fn request_text(a: &RequestArgs) -> String {
    match &a.cluster {
        Some(c) => format!("Operator request (cluster `{c}`): {}", a.request),
        None => format!("Operator request: {}", a.request),
    }
}
