//! SARIF 2.1.0 output for IDEs and code scanning.
use serde_json::{json, Value};

use crate::finding::{Finding, Severity};
use crate::rules::RULES;

pub fn to_sarif(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": level(r.severity)},
            });
            if let Some(d) = r.doc {
                v["helpUri"] = json!(d);
            }
            v
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut msg = f.message.clone();
            if let Some(fix) = &f.fix {
                msg.push_str(&format!(" Fix: {fix}"));
            }
            json!({
                "ruleId": f.code,
                "ruleIndex": crate::rules::Code::parse(&f.code).map(|c| c as usize).unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": msg},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line, "endColumn": f.end_column}
                }}]
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "provisio-lint", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/provisio/provisio", "rules": rules}},
            "results": results
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
