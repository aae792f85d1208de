//! Each tool through an in-process rmcp client (the same handler path as stdio/HTTP): listing
//! per mode, mode enforced at call time, structured results and `isError` results, resources.
//! Runs offline: `cluster_state` without a configured cluster, `draft_manifest` on a saved state.
use std::path::PathBuf;
use std::sync::Arc;

use provisio_indexer::sources::SourcesFile;
use provisio_indexer::{DataDir, IndexOptions};
use provisio_mcp::{Mode, ProvisioServer, Shared};
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fixtures")
}

/// A lexical-only index of the fixture corpus.
fn index() -> (tempfile::TempDir, DataDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().to_path_buf());
    provisio_indexer::index(&IndexOptions {
        data: data.clone(),
        corpus: fixtures().join("corpus"),
        sources: SourcesFile::load(&fixtures().join("sources.toml")).unwrap(),
        embedder: None,
        force: false,
        store: Default::default(),
        progress: None,
    })
    .unwrap();
    (dir, data)
}

async fn connect(shared: Arc<Shared>, mode: Mode) -> RunningService<RoleClient, ()> {
    let (s, c) = tokio::io::duplex(1 << 20);
    let server = ProvisioServer::new(shared, mode);
    tokio::spawn(async move {
        if let Ok(r) = server.serve(s).await {
            let _ = r.waiting().await;
        }
    });
    ().serve(c).await.unwrap()
}

fn args(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().unwrap().clone()
}

async fn tool_names(c: &RunningService<RoleClient, ()>) -> Vec<String> {
    let mut n: Vec<String> = c
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn tools_by_mode_and_their_results() {
    let (_d, data) = index();
    let shared = Arc::new(Shared::new(data, None));

    // read-only: three tools; draft_manifest is refused when called, not only unlisted.
    let c = connect(shared.clone(), Mode::ReadOnly).await;
    assert_eq!(
        tool_names(&c).await,
        ["cluster_state", "lint_manifest", "search_docs"]
    );
    let err = c
        .call_tool(
            CallToolRequestParams::new("draft_manifest")
                .with_arguments(args(serde_json::json!({"plan": {}}))),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs server mode `plan`"), "{err}");

    let r = c
        .call_tool(
            CallToolRequestParams::new("search_docs").with_arguments(args(
                serde_json::json!({"query": "pm_tls_insecure", "k": 2}),
            )),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true));
    let sc = r.structured_content.clone().unwrap();
    assert_eq!(sc["hits"][0]["path"], "lab-tf/provider.md");
    // The text rendering carries the same passages as the structured result.
    let rendered = serde_json::to_value(&r.content).unwrap()[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    for h in sc["hits"].as_array().unwrap() {
        let t = h["text"].as_str().unwrap();
        assert!(
            !t.is_empty() && rendered.contains(t),
            "{t}\n---\n{rendered}"
        );
    }
    assert!(rendered.contains("pm_tls_insecure"), "{rendered}");
    // The hit's resource reads the whole section.
    let uri = sc["hits"][0]["resource"].as_str().unwrap().to_string();
    let res = c
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap();
    let text = serde_json::to_string(&res).unwrap();
    assert!(text.contains("pm_tls_insecure"), "{text}");

    // No cluster configured: an isError result that tells the operator what to set.
    let r = c
        .call_tool(CallToolRequestParams::new("cluster_state"))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(serde_json::to_string(&r.content)
        .unwrap()
        .contains("PROVISIO_PVE_URL"));
    c.cancel().await.unwrap();

    // plan: draft_manifest against a saved state.
    let c = connect(shared, Mode::Plan).await;
    assert_eq!(
        tool_names(&c).await,
        [
            "cluster_state",
            "draft_manifest",
            "lint_manifest",
            "search_docs"
        ]
    );
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("plans/webserver.json")).unwrap(),
    )
    .unwrap();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("state/lab.json")).unwrap())
            .unwrap();
    let r = c
        .call_tool(
            CallToolRequestParams::new("draft_manifest")
                .with_arguments(args(serde_json::json!({"plan": plan, "state": state}))),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let sc = r.structured_content.unwrap();
    assert_eq!(sc["files"].as_array().unwrap().len(), 4);
    // The drafted files lint clean against the same state; a typo is found with its fix.
    let files = sc["files"].clone();
    let r = c
        .call_tool(
            CallToolRequestParams::new("lint_manifest")
                .with_arguments(args(serde_json::json!({"files": files, "state": state}))),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let lint = r.structured_content.unwrap();
    assert_eq!(lint["clean"], true, "{lint}");
    assert!(
        lint["cluster_rules"]
            .as_str()
            .unwrap()
            .contains("against cluster"),
        "{lint}"
    );
    let mut broken = files.clone();
    for f in broken.as_array_mut().unwrap() {
        if f["path"] == "main.tf" {
            let c = f["content"]
                .as_str()
                .unwrap()
                .replacen("memory {", "memroy {", 1);
            f["content"] = serde_json::Value::String(c);
        }
    }
    let r = c
        .call_tool(
            CallToolRequestParams::new("lint_manifest")
                .with_arguments(args(serde_json::json!({"files": broken, "state": state}))),
        )
        .await
        .unwrap();
    let lint = r.structured_content.unwrap();
    assert_eq!(lint["clean"], false);
    assert_eq!(lint["findings"][0]["code"], "PV010", "{lint}");
    assert!(lint["findings"][0]["fix"]
        .as_str()
        .unwrap()
        .contains("memory"));
    assert!(serde_json::to_string(&r.content)
        .unwrap()
        .contains("did you mean `memory`"));
    // An unknown plan field comes back as an isError result naming it (the model can fix it).
    let r = c
        .call_tool(
            CallToolRequestParams::new("draft_manifest").with_arguments(args(
                serde_json::json!({"plan": {"name": "x", "itemz": []}}),
            )),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(serde_json::to_string(&r.content).unwrap().contains("itemz"));
    c.cancel().await.unwrap();
}
