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

const COLLECTOR: &str = "You are the COLLECTOR. Validate the operator's request before anything is planned.\n1. Restate the request as fields: kind (vm, k3s_cluster, k8s_app), count and names, source (template VMID or name, or ISO), sizes (cores, memory, disk), network (bridge/vnet, VLAN, DHCP or static IP/gateway), placement (node or auto), cloud-init (user, SSH keys), tags, pool.\n2. Ground every assumption in the documentation with `search_docs` and cite the returned URLs; use exact identifiers as queries when you know them.\n3. List what is missing or ambiguous as direct questions to the operator. Do not guess values that change the result (IPs, node, storage, sizes).\n4. Output a JSON object `structured_request` with the fields you know and `questions` with what you still need.";

const ANALYSER: &str = "You are the ANALYSER. Turn the structured request and the facts you collected into a plan.\n1. Decide placement (node with enough free memory and CPU, spread control-plane nodes across hosts), VMIDs (free ones), sizes, storage that holds VM images on the chosen node, network and IPs (inside the subnet, not the gateway, not taken).\n2. Every decision gets a one-line reason; anything you cannot decide becomes a question back, not a guess.\n3. Output the plan as JSON with `resources` (one entry per VM or app) and `decisions` (field, value, reason). Cite the docs behind non-obvious choices (`search_docs`).";

const BUILDER: &str = "You are the BUILDER. From the plan, draft the manifests (Terraform for the bpg/proxmox or Telmate/proxmox provider, k3s-ansible inventory, Kubernetes YAML).\n1. Use only arguments that exist in the provider documentation: check them with `search_docs` (kinds: [\"option\"]).\n2. Secrets (tokens, passwords) are variables marked sensitive, never literals.\n3. Review your draft against the docs, fix, and repeat up to the given number of rounds; stop when nothing changes.\n4. Hand the final manifests and the plan to the human for approval. Nothing is applied without that approval.";

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
