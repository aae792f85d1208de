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

/// A tool as it is listed: its schemas without nullable types ([`without_null_types`]).
pub fn for_clients(mut tool: rmcp::model::Tool) -> rmcp::model::Tool {
    let fix = |o: &serde_json::Map<String, serde_json::Value>| {
        let mut v = serde_json::Value::Object(o.clone());
        without_null_types(&mut v);
        match v {
            serde_json::Value::Object(m) => m,
            _ => o.clone(),
        }
    };
    tool.input_schema = std::sync::Arc::new(fix(&tool.input_schema));
    if let Some(out) = &tool.output_schema {
        tool.output_schema = Some(std::sync::Arc::new(fix(out)));
    }
    tool
}

/// A successful result: structured content and its short text rendering. Members whose value
/// is `null` are left out: the advertised schemas describe an optional member as absent, not
/// as `null` (see [`without_null_types`]).
pub fn structured(mut value: serde_json::Value, text: String) -> CallToolResult {
    drop_null_members(&mut value);
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

/// Remove object members whose value is `null`, at every depth (array items stay).
pub fn drop_null_members(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_null_members);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

/// A tool schema as clients take it: an optional property is described by its type alone,
/// without `null` (`"type": ["string", "null"]` becomes `"type": "string"`, an `anyOf` with a
/// `null` branch its other branch, a `null` default goes). MCP Inspector's strict mode warns on
/// nullable types and Gemini's function declarations do not take type arrays. Optional
/// properties are never `required`, and results leave out `null` members
/// ([`drop_null_members`]), so the values still match.
pub fn without_null_types(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(m) = schema else {
        if let Value::Array(a) = schema {
            a.iter_mut().for_each(without_null_types);
        }
        return;
    };
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        for p in props.values_mut() {
            drop_null_type(p);
        }
    }
    for v in m.values_mut() {
        without_null_types(v);
    }
}

fn drop_null_type(p: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(m) = p else { return };
    if let Some(Value::Array(types)) = m.get("type") {
        let rest: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if rest.len() < types.len() {
            let t = if rest.len() == 1 {
                rest[0].clone()
            } else {
                Value::Array(rest)
            };
            m.insert("type".into(), t);
        }
    }
    if m.get("default").is_some_and(Value::is_null) {
        m.remove("default");
    }
    if let Some(Value::Array(e)) = m.get_mut("enum") {
        e.retain(|x| !x.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = m.get(key) else {
            continue;
        };
        let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
        if !branches.iter().any(is_null) {
            continue;
        }
        let rest: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
        m.remove(key);
        if rest.len() == 1 {
            if let Value::Object(only) = &rest[0] {
                for (k, v) in only {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        } else {
            m.insert(key.into(), Value::Array(rest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_properties_lose_their_null_type() {
        let mut s = json!({
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"], "default": null},
                "b": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}], "description": "b"},
                "c": {"type": "array", "items": {"type": "object", "properties": {
                    "d": {"type": ["integer", "null"], "format": "uint"}}}}
            }
        });
        without_null_types(&mut s);
        assert_eq!(s["properties"]["a"], json!({"type": "string"}));
        assert_eq!(
            s["properties"]["b"],
            json!({"$ref": "#/$defs/X", "description": "b"})
        );
        assert_eq!(
            s["properties"]["c"]["items"]["properties"]["d"],
            json!({"type": "integer", "format": "uint"})
        );
        assert!(!s.to_string().contains("null"));
        let mut v = json!({"a": null, "c": [{"d": null, "e": 1}], "f": [null]});
        drop_null_members(&mut v);
        assert_eq!(v, json!({"c": [{"e": 1}], "f": [null]}));
    }
}
