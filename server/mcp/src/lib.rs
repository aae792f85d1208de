//! Provisio's MCP server: the tools (one module each under [`tools`]), the three agent roles as
//! prompts ([`prompts`]), the server instructions, and the transports ([`serve_stdio`],
//! [`http`]). Which tools exist for a client depends on the server [`Mode`], checked both when
//! listing and when calling.
pub mod http;
pub mod page;
pub mod prompts;
pub mod resources;
pub mod stdio;
pub mod tools;

use std::sync::Arc;

use provisio_indexer::embed::Embedder;
use provisio_indexer::{DataDir, KnowledgeBase};
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, ErrorCode,
    GetPromptRequestParams, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{prompt_handler, ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

/// What the server may do. A tool outside the mode is neither listed nor callable.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Read cluster state and docs only (default).
    #[default]
    ReadOnly,
    /// Also draft and lint manifests.
    Plan,
    /// Also apply human-approved plans.
    Apply,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read-only" | "readonly" => Some(Self::ReadOnly),
            "plan" => Some(Self::Plan),
            "apply" => Some(Self::Apply),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read-only",
            Mode::Plan => "plan",
            Mode::Apply => "apply",
        }
    }
}

/// The least mode each tool needs.
pub fn tool_mode(name: &str) -> Option<Mode> {
    match name {
        "search_docs" | "cluster_state" | "lint_manifest" => Some(Mode::ReadOnly),
        "draft_manifest" => Some(Mode::Plan),
        "apply_plan" => Some(Mode::Apply),
        _ => None,
    }
}

pub type EmbedderLoader =
    Arc<dyn Fn() -> provisio_indexer::Result<Arc<dyn Embedder>> + Send + Sync>;

/// Shared state: the knowledge base, opened on first use so startup stays fast, and one PVE
/// client per configured cluster (kept, so connections are reused).
pub struct Shared {
    pub data: DataDir,
    pub loader: Option<EmbedderLoader>,
    kb: OnceCell<Arc<KnowledgeBase>>,
    pub pve: provisio_pve::Config,
    clients: std::sync::Mutex<std::collections::BTreeMap<String, Arc<provisio_pve::PveClient>>>,
    /// Approval handles and the audit log (under the data directory).
    pub apply: tools::apply_plan::ApplyState,
    /// The approval page (its secrets and forms live in this process only).
    pub page: page::ApprovalPage,
}

impl Shared {
    pub fn new(data: DataDir, loader: Option<EmbedderLoader>) -> Self {
        Self::with_pve(data, loader, provisio_pve::Config::default())
    }

    pub fn with_pve(
        data: DataDir,
        loader: Option<EmbedderLoader>,
        pve: provisio_pve::Config,
    ) -> Self {
        Self {
            loader,
            kb: OnceCell::new(),
            apply: tools::apply_plan::ApplyState::new(&data.root, &pve.apply),
            page: page::ApprovalPage::new(&pve.apply),
            data,
            pve,
            clients: Default::default(),
        }
    }

    /// The client for a cluster (the default one when `name` is None).
    pub fn pve_client(
        &self,
        name: Option<&str>,
    ) -> provisio_pve::Result<Arc<provisio_pve::PveClient>> {
        let cfg = self.pve.cluster(name)?;
        let mut g = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = g.get(&cfg.name) {
            return Ok(c.clone());
        }
        let c = Arc::new(provisio_pve::PveClient::connect(cfg)?);
        g.insert(cfg.name.clone(), c.clone());
        Ok(c)
    }

    /// The knowledge base (opened once, on a blocking thread).
    pub async fn kb(&self) -> Result<Arc<KnowledgeBase>, String> {
        self.kb
            .get_or_try_init(|| async {
                let data = self.data.clone();
                let loader = self.loader.clone();
                tokio::task::spawn_blocking(move || {
                    let l: Option<
                        Box<dyn Fn() -> provisio_indexer::Result<Arc<dyn Embedder>> + Send + Sync>,
                    > = loader.map(|l| Box::new(move || l()) as Box<_>);
                    // The serving process reaches Qdrant as its environment says.
                    KnowledgeBase::open_with(&data, l, &provisio_indexer::QdrantAccess::from_env())
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            })
            .await
            .cloned()
    }
}

/// The MCP server handler.
#[derive(Clone)]
pub struct ProvisioServer {
    pub shared: Arc<Shared>,
    pub mode: Mode,
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

impl ProvisioServer {
    pub fn new(shared: Arc<Shared>, mode: Mode) -> Self {
        Self {
            shared,
            mode,
            tool_router: tools::router(),
            prompt_router: prompts::router(),
        }
    }

    fn allowed(&self, tool: &str) -> bool {
        tool_mode(tool).is_some_and(|m| m <= self.mode)
    }

    /// Serve on stdin/stdout until the client disconnects.
    /// Lines that are not JSON-RPC messages are answered with -32700 / -32600 ([`stdio`]).
    pub async fn serve_stdio(self) -> Result<(), String> {
        let (stdin, stdout) = rmcp::transport::stdio();
        stdio::with_framing_errors(stdin, stdout, |r, w| async move {
            let running = self.serve((r, w)).await.map_err(|e| e.to_string())?;
            running.waiting().await.map_err(|e| e.to_string())?;
            Ok(())
        })
        .await
    }
}

/// Guidance for clients that do not support prompts: the same flow the prompts encode.
pub const INSTRUCTIONS: &str = "Provisio helps you act as a careful on-prem infrastructure engineer for Proxmox VE + Terraform + k3s. Work in three roles. COLLECTOR: validate the operator's request, ask back for anything missing (node, template, sizes, network, IPs), read the live cluster with `cluster_state` (view `summary` first), and ground every other fact in the docs with `search_docs` (cite the returned URLs). ANALYSER: turn the request and facts into a plan, the JSON `draft_manifest` takes (placement, VMIDs, sizes, network; leave `auto` what the live state should decide). BUILDER: call `draft_manifest` with the plan, answer its questions by changing the plan, check the files with `lint_manifest` (fix every error, lint again), then hand the files, decisions, lint result and plan to the human for approval. In server mode `apply`, `apply_plan` previews the exact change set and applies it only with the human's approval (a dialog, the approval page, or `provisio approve`). Never invent provider arguments or PVE options: look them up with `search_docs` (use `kinds: [\"option\"]` for argument references; exact identifiers such as `pm_tls_insecure` work as queries). Nothing is applied without a human-approved plan. Tools not listed are not available in this server's mode.";

#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for ProvisioServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("provisio", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(resources::list(&self.shared))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.shared, &request.uri)
            .await
            .map(Into::into)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|t| self.allowed(&t.name))
            .map(tools::for_clients)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Enforced at call time, not only in tools/list.
        if !self.allowed(&request.name) {
            let why = match tool_mode(&request.name) {
                Some(m) => format!(
                    "tool `{}` needs server mode `{}`; this server runs in `{}` mode",
                    request.name,
                    m.as_str(),
                    self.mode.as_str()
                ),
                None => format!("unknown tool `{}`", request.name),
            };
            return Err(ErrorData::invalid_params(why, None));
        }
        let span = tracing::info_span!("tool_call", tool = %request.name, request_id = ?context.id);
        let _g = span.enter();
        let t = std::time::Instant::now();
        let tcc = ToolCallContext::new(self, request, context);
        let r = self.tool_router.call(tcc).await;
        tracing::info!(
            duration_ms = t.elapsed().as_secs_f64() * 1000.0,
            ok = r.is_ok(),
            "tool call done"
        );
        r
    }

    /// A request rmcp could not read as any MCP request lands here. When its method is one MCP
    /// defines, the method exists and its params are what failed: JSON-RPC's -32602 with the
    /// reason, not -32601.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        match invalid_params_reason(&request) {
            Some(why) => Err(ErrorData::invalid_params(
                format!("invalid params for `{}`: {why}", request.method),
                None,
            )),
            None => Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("method not found: `{}`", request.method),
                None,
            )),
        }
    }
}

/// Methods of the MCP specification a client may send to a server.
const MCP_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "tools/call",
    "tools/list",
    "tasks/get",
    "tasks/list",
    "tasks/result",
    "tasks/cancel",
];

/// Why the params of a request for a known MCP method do not parse (`None`: not a known method).
pub fn invalid_params_reason(request: &CustomRequest) -> Option<String> {
    if !MCP_METHODS.contains(&request.method.as_str()) {
        return None;
    }
    let reason = |e: Result<Option<()>, serde_json::Error>| match e {
        Err(e) => e.to_string(),
        Ok(_) => "params missing or not of the shape the method takes".to_string(),
    };
    let typed = match request.method.as_str() {
        "tools/call" => request
            .params_as::<CallToolRequestParams>()
            .map(|p| p.map(|_| ())),
        "prompts/get" => request
            .params_as::<GetPromptRequestParams>()
            .map(|p| p.map(|_| ())),
        "resources/read" => request
            .params_as::<ReadResourceRequestParams>()
            .map(|p| p.map(|_| ())),
        _ => Ok(None),
    };
    let why = match (&request.params, typed) {
        (None, _) => "params are missing".to_string(),
        (Some(_), Ok(Some(()))) => "params do not match the method's schema".to_string(),
        (Some(_), e) => reason(e),
    };
    Some(why)
}
