//! The tools, one module each. Each declares its input schema, an output schema, true
//! annotations, and returns `structuredContent` plus a compact text rendering. Errors the model
//! can act on come back as tool results with `isError` and a fix hint.
pub mod apply_plan;
pub mod cluster_state;
pub mod draft_manifest;
pub mod lint_manifest;
pub mod search_docs;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{CallToolResult, ContentBlock};

use crate::ProvisioServer;

pub fn router() -> ToolRouter<ProvisioServer> {
    ProvisioServer::search_docs_router()
        + ProvisioServer::cluster_state_router()
        + ProvisioServer::draft_manifest_router()
        + ProvisioServer::lint_manifest_router()
        + ProvisioServer::apply_plan_router()
}

/// A successful result: structured content and its short text rendering.
pub fn structured(value: serde_json::Value, text: String) -> CallToolResult {
    let mut r = CallToolResult::structured(value);
    r.content = vec![ContentBlock::text(text)];
    r
}

/// An error the model can act on: message plus fix hint, as a tool result with `isError`. Text
/// only: a structured body here would not match the tool's output schema, and clients that
/// validate structured content against it (the MCP Inspector does) would reject the result.
pub fn tool_error(message: impl Into<String>, fix: impl Into<String>) -> CallToolResult {
    let message = message.into();
    let fix = fix.into();
    CallToolResult::error(vec![ContentBlock::text(format!(
        "error: {message}\nfix: {fix}"
    ))])
}
