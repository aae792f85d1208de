//! MCP resources: `provisio://clusters/{name}/summary` (the `cluster_state` summary of each
//! configured cluster, as JSON) and `provisio://docs/{source}/{path}#{heading}` (a cited
//! documentation section, as text; search hits carry these URIs).
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use rmcp::ErrorData;

use provisio_indexer::uri::parse_doc_uri;
use provisio_pve::{ClusterStateRequest, View};

use crate::Shared;

const CLUSTERS: &str = "provisio://clusters/";

pub fn list(shared: &Shared) -> ListResourcesResult {
    let resources = shared
        .pve
        .clusters
        .values()
        .map(|c| {
            Resource::new(format!("{CLUSTERS}{}/summary", c.name), format!("cluster {} summary", c.name))
                .with_title(format!("Proxmox cluster `{}`: summary", c.name))
                .with_description(format!(
                    "Live cluster_state summary of {} (quorum, nodes with free capacity, storages, templates, used VMIDs, next VMID)",
                    c.url
                ))
                .with_mime_type("application/json")
        })
        .collect();
    ListResourcesResult::with_all_items(resources)
}

pub fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new("provisio://clusters/{name}/summary", "cluster summary")
            .with_title("Proxmox cluster summary")
            .with_description("cluster_state summary of a configured cluster")
            .with_mime_type("application/json"),
        ResourceTemplate::new("provisio://docs/{source}/{path}#{heading}", "docs section")
            .with_title("Documentation section")
            .with_description("A whole documentation section with its citation URL; search_docs hits give the exact URI in `resource`")
            .with_mime_type("text/markdown"),
    ])
}

pub async fn read(shared: &Shared, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    if let Some(rest) = uri.strip_prefix(CLUSTERS) {
        let Some(name) = rest.strip_suffix("/summary") else {
            return Err(ErrorData::resource_not_found(
                format!("unknown resource {uri}: cluster resources are provisio://clusters/NAME/summary"),
                None,
            ));
        };
        let client = shared
            .pve_client(Some(name))
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        let req = ClusterStateRequest {
            view: View::Summary,
            ..Default::default()
        };
        let state = provisio_pve::cluster_state(&client, &req)
            .await
            .map_err(|e| {
                ErrorData::internal_error(
                    format!(
                        "{e}{}",
                        e.hint()
                            .map(|h| format!(" (hint: {h})"))
                            .unwrap_or_default()
                    ),
                    None,
                )
            })?;
        let text = serde_json::to_string(&state)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        return Ok(ReadResourceResult::new(vec![ResourceContents::text(
            text, uri,
        )
        .with_mime_type("application/json")]));
    }
    if let Some((source, path, heading)) = parse_doc_uri(uri) {
        let kb = shared.kb().await.map_err(|e| {
            ErrorData::internal_error(format!("the docs index cannot be opened: {e}"), None)
        })?;
        let Some(sec) = kb.section(&source, &path, &heading) else {
            return Err(ErrorData::resource_not_found(
                format!("no section `{heading}` in {source}/{path}; use the `resource` URI of a search_docs hit"),
                None,
            ));
        };
        const MAX: usize = 64 * 1024;
        let mut body = sec.text;
        if body.len() > MAX {
            let mut cut = MAX;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push_str("\n[... section cut at 64 KiB; read a subsection]\n");
        }
        let text = format!(
            "{} ({}/{} lines {}-{})\nsource: {}\n\n{}",
            if sec.heading.is_empty() {
                &sec.path
            } else {
                &sec.heading
            },
            sec.source,
            sec.path,
            sec.start_line,
            sec.end_line,
            sec.url,
            body
        );
        return Ok(ReadResourceResult::new(vec![ResourceContents::text(
            text, uri,
        )
        .with_mime_type("text/markdown")]));
    }
    Err(ErrorData::resource_not_found(
        format!("unknown resource {uri}: see resources/list and resources/templates/list"),
        None,
    ))
}
