//! `search_docs`: hybrid search over the indexed documentation (Proxmox VE, bpg and Telmate
//! providers, OpenTofu, k3s, k3s-ansible, Kubernetes, MetalLB) with citations.
use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData};

use provisio_indexer::{Error as IndexError, SearchRequest, SearchResponse};

use super::{structured, tool_error};
use crate::ProvisioServer;

/// Compact text rendering: one line per hit with its citation, then the same focused passage
/// the structured result carries.
pub fn render(r: &SearchResponse) -> String {
    let mut out = format!(
        "{} hits for {:?} (retrievers: {}; vectors: {}{}{}{})\n",
        r.hits.len(),
        r.query,
        r.retrievers.join("+"),
        r.vector_store,
        if r.source_hints.is_empty() {
            String::new()
        } else {
            format!("; named sources ranked up: {}", r.source_hints.join(", "))
        },
        if r.expanded.is_empty() {
            String::new()
        } else {
            format!("; also searched for: {}", r.expanded.join(", "))
        },
        r.degraded
            .as_ref()
            .map(|d| format!("; degraded: {d}"))
            .unwrap_or_default()
    );
    for h in &r.hits {
        let shown: Vec<String> = h.lines.iter().map(|[a, b]| format!("{a}-{b}")).collect();
        out.push_str(&format!(
            "\n[{}] {} ({}, {}) {}\nlines {}{}\n{}\n",
            h.rank,
            h.heading,
            h.kind.as_str(),
            h.source,
            h.url,
            shown.join(", "),
            if h.elided {
                format!("; whole section: {}", h.resource)
            } else {
                String::new()
            },
            h.text
        ));
        if !h.also_in.is_empty() {
            out.push_str(&format!("(same text also in {})\n", h.also_in.join(", ")));
        }
    }
    out
}

#[tool_router(router = search_docs_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Search the operator documentation (Proxmox VE admin guide, bpg/proxmox and
    /// Telmate/proxmox Terraform providers, OpenTofu language, k3s, k3s-ansible, Kubernetes,
    /// MetalLB). Returns cited passages focused on the question (the matching sentences,
    /// option entries and code, within `max_words`), with heading path and URL at the pinned
    /// upstream commit; a hit's `resource` has its whole section. Use exact identifiers (`pm_tls_insecure`, `--cluster-init`)
    /// or the operator's own words (a glossary adds the docs' terms for common phrasings and
    /// acronyms; `expanded` lists them); filter with `sources` and `kinds` (`option` for
    /// argument and option references).
    #[tool(
        name = "search_docs",
        title = "Search the docs",
        output_schema = schema_for_type::<SearchResponse>(),
        annotations(
            title = "Search the docs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn search_docs(
        &self,
        Parameters(req): Parameters<SearchRequest>,
    ) -> Result<CallToolResult, ErrorData> {
        let kb = match self.shared.kb().await {
            Ok(kb) => kb,
            Err(e) => {
                return Ok(tool_error(
                    format!("the docs index cannot be opened: {e}"),
                    "the operator must run `provisio index --corpus DIR` on the server host",
                ))
            }
        };
        let res = tokio::task::spawn_blocking(move || kb.search(&req))
            .await
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        match res {
            Ok(r) => {
                let text = render(&r);
                let value = serde_json::to_value(&r)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                Ok(structured(value, text))
            }
            Err(IndexError::InvalidRequest { field, message }) => Ok(tool_error(
                format!("invalid `{field}`: {message}"),
                format!("call search_docs again with a corrected `{field}`"),
            )),
            Err(e) => Ok(tool_error(
                e.to_string(),
                "retry; if it persists, the operator should rerun `provisio index`",
            )),
        }
    }
}
