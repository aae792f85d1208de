//! The JSON Schemas in `schemas/` are generated from the Rust types; this test fails when they
//! drift. Regenerate with `PROVISIO_UPDATE_SCHEMAS=1 cargo test --release -p provisio --test schemas`.
use std::path::PathBuf;

use provisio_draft::Draft;
use provisio_indexer::eval::EvalSummary;
use provisio_indexer::store::IndexReport;
use provisio_indexer::{SearchRequest, SearchResponse};
use provisio_mcp::tools::apply_plan::{ApplyOutput, ApplyRequest};
use provisio_mcp::tools::draft_manifest::DraftRequest;
use provisio_mcp::tools::lint_manifest::{LintReport, LintRequest};
use provisio_plan::{Plan, Problem};
use provisio_pve::{ClusterState, ClusterStateRequest};

fn check(name: &str, schema: schemars::Schema) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(format!("{name}.schema.json"));
    let mut value = schema.to_value();
    // A tool's schemas as the server lists them: optional properties without a `null` type.
    let tool = [
        "search_docs",
        "cluster_state",
        "draft_manifest",
        "lint_manifest",
        "apply_plan",
    ]
    .iter()
    .any(|t| name.starts_with(&format!("{t}.")));
    if tool {
        provisio_mcp::tools::without_null_types(&mut value);
    }
    let text = serde_json::to_string_pretty(&value).expect("serialize") + "\n";
    if std::env::var("PROVISIO_UPDATE_SCHEMAS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).expect("write schema");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} is out of date; regenerate with PROVISIO_UPDATE_SCHEMAS=1 cargo test --release -p provisio --test schemas",
        path.display()
    );
}

#[test]
fn schemas_match_the_types() {
    check("search_docs.input", schemars::schema_for!(SearchRequest));
    check("search_docs.output", schemars::schema_for!(SearchResponse));
    check("index.report", schemars::schema_for!(IndexReport));
    check("eval.summary", schemars::schema_for!(EvalSummary));
    check(
        "cluster_state.input",
        schemars::schema_for!(ClusterStateRequest),
    );
    check("cluster_state.output", schemars::schema_for!(ClusterState));
    check("plan", schemars::schema_for!(Plan));
    check("draft_manifest.input", schemars::schema_for!(DraftRequest));
    check("draft_manifest.output", schemars::schema_for!(Draft));
    check("lint_manifest.input", schemars::schema_for!(LintRequest));
    check("lint_manifest.output", schemars::schema_for!(LintReport));
    check("apply_plan.input", schemars::schema_for!(ApplyRequest));
    check("apply_plan.output", schemars::schema_for!(ApplyOutput));
    check("plan.problems", schemars::schema_for!(Vec<Problem>));
}
