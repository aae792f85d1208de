//! Our hand-written provider schemas (schemas/providers/*.tfschema) checked against the
//! derived provider schemas in ../shared/data/terraform-provider-schemas (read in place):
//! every argument and block we list exists there with the same kind, type, required flag,
//! deprecation and read-only flag; and every settable argument there is in ours.
use std::collections::BTreeMap;
use std::path::PathBuf;

use provisio_lint::schema::{self, Block, Ty};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
struct Flat {
    block: bool,
    ty: String,
    required: bool,
    deprecated: bool,
    computed_only: bool,
}

fn shared() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/terraform-provider-schemas");
    d.is_dir().then_some(d)
}

fn ty_name(t: &Ty) -> String {
    match t {
        Ty::String => "string".into(),
        Ty::Number => "number".into(),
        Ty::Bool => "bool".into(),
        Ty::Any => "any".into(),
        Ty::List(_) => "list".into(),
        Ty::Set(_) => "set".into(),
        Ty::Map(_) => "map".into(),
        Ty::Object(_) => "object".into(),
    }
}

fn flatten_ours(b: &Block, prefix: &str, out: &mut BTreeMap<String, Flat>) {
    for (k, a) in &b.attrs {
        // Nested attributes (`object`, `map(object)`): their own attributes too.
        match &a.ty {
            Ty::Object(inner) => flatten_ours(inner, &format!("{prefix}{k}."), out),
            Ty::Map(t) => {
                if let Ty::Object(inner) = t.as_ref() {
                    flatten_ours(inner, &format!("{prefix}{k}."), out);
                }
            }
            _ => {}
        }
        out.insert(
            format!("{prefix}{k}"),
            Flat {
                block: false,
                ty: ty_name(&a.ty),
                required: a.required,
                deprecated: a.deprecated.is_some(),
                computed_only: a.computed && !a.required,
            },
        );
    }
    for (k, nb) in &b.blocks {
        out.insert(
            format!("{prefix}{k}"),
            Flat {
                block: true,
                ty: "block".into(),
                required: nb.required,
                deprecated: nb.deprecated.is_some(),
                computed_only: false,
            },
        );
        flatten_ours(&nb.block, &format!("{prefix}{k}."), out);
    }
}

fn their_ty(v: &Value) -> String {
    let t = v["type"].as_str().unwrap_or("any");
    if t == "nested_attribute" {
        return match v["nesting"].as_str() {
            Some("single") => "object".into(),
            Some(n) => n.to_string(),
            None => "any".into(),
        };
    }
    if t.starts_with("number") {
        "number".into()
    } else {
        t.to_string()
    }
}

/// SDKv2 (`block`) and plugin-framework (`attributes` + `blocks`) shapes.
fn flatten_theirs(
    entries: &serde_json::Map<String, Value>,
    blocks: Option<&serde_json::Map<String, Value>>,
    prefix: &str,
    out: &mut BTreeMap<String, Flat>,
) {
    for (k, v) in entries {
        let required = v["required"].as_bool().unwrap_or(false);
        let computed_only = v["computed"].as_bool().unwrap_or(false)
            && !required
            && !v["optional"].as_bool().unwrap_or(false);
        let deprecated = v
            .get("deprecated")
            .is_some_and(|d| !d.is_null() && d != &Value::Bool(false) && d != "");
        if let Some(inner) = v.get("block").and_then(Value::as_object) {
            out.insert(
                format!("{prefix}{k}"),
                Flat {
                    block: !computed_only,
                    ty: if computed_only {
                        their_ty(v)
                    } else {
                        "block".into()
                    },
                    required,
                    deprecated,
                    computed_only,
                },
            );
            if !computed_only {
                flatten_theirs(inner, None, &format!("{prefix}{k}."), out);
            }
        } else {
            out.insert(
                format!("{prefix}{k}"),
                Flat {
                    block: false,
                    ty: their_ty(v),
                    required,
                    deprecated,
                    computed_only,
                },
            );
            // Plugin-framework nested attributes.
            if let Some(inner) = v.get("attributes").and_then(Value::as_object) {
                flatten_theirs(inner, None, &format!("{prefix}{k}."), out);
            }
        }
    }
    for (k, v) in blocks.into_iter().flatten() {
        out.insert(
            format!("{prefix}{k}"),
            Flat {
                block: true,
                ty: "block".into(),
                required: false,
                deprecated: false,
                computed_only: false,
            },
        );
        if let Some(a) = v.get("attributes").and_then(Value::as_object) {
            flatten_theirs(
                a,
                v.get("blocks").and_then(Value::as_object),
                &format!("{prefix}{k}."),
                out,
            );
        }
    }
}

fn compare(
    what: &str,
    ours: &Block,
    theirs: &BTreeMap<String, Flat>,
    problems: &mut Vec<String>,
) -> (usize, usize) {
    let mut o = BTreeMap::new();
    flatten_ours(ours, "", &mut o);
    for (k, a) in &o {
        match theirs.get(k) {
            None => problems.push(format!("{what}: `{k}` is in ours but not in the provider")),
            Some(t) => {
                if a.block != t.block {
                    problems.push(format!(
                        "{what}: `{k}` block={} in ours, block={} in the provider",
                        a.block, t.block
                    ));
                } else if !a.block && a.ty != t.ty && t.ty != "any" && a.ty != "any" {
                    problems.push(format!(
                        "{what}: `{k}` type {} in ours, {} in the provider",
                        a.ty, t.ty
                    ));
                }
                if a.required != t.required {
                    problems.push(format!(
                        "{what}: `{k}` required={} in ours, {} in the provider",
                        a.required, t.required
                    ));
                }
                if a.deprecated != t.deprecated {
                    problems.push(format!(
                        "{what}: `{k}` deprecated={} in ours, {} in the provider",
                        a.deprecated, t.deprecated
                    ));
                }
                if a.computed_only != t.computed_only {
                    problems.push(format!(
                        "{what}: `{k}` read-only={} in ours, {} in the provider",
                        a.computed_only, t.computed_only
                    ));
                }
            }
        }
    }
    // Coverage: settable arguments of the provider missing from ours (nested ones only where
    // we describe the parent block).
    let mut missing = 0;
    for (k, t) in theirs {
        if t.computed_only || o.contains_key(k) || k == "id" {
            continue;
        }
        let parent_known = k.rsplit_once('.').is_none_or(|(p, _)| o.contains_key(p));
        if parent_known {
            missing += 1;
            problems.push(format!(
                "{what}: provider argument `{k}` is missing from ours"
            ));
        }
    }
    (o.len(), missing)
}

fn load(dir: &PathBuf, f: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
}

#[test]
fn provider_schemas_match_the_providers() {
    let Some(dir) = shared() else {
        eprintln!("SKIPPED: ../shared/data/terraform-provider-schemas not found");
        return;
    };
    let mut problems = Vec::new();
    let bpg = schema::provider_by_source("bpg/proxmox").unwrap();
    let tel = schema::provider_by_source("Telmate/proxmox").unwrap();
    let bpg_all = load(&dir, "bpg-proxmox.all.schema.json");
    let tel_all = load(&dir, "telmate-proxmox.all.schema.json");

    let mut t = BTreeMap::new();
    flatten_theirs(
        bpg_all["provider_config_sdk"].as_object().unwrap(),
        None,
        "",
        &mut t,
    );
    println!(
        "bpg provider config: {:?}",
        compare("bpg provider", &bpg.config, &t, &mut problems)
    );
    let mut t = BTreeMap::new();
    flatten_theirs(
        tel_all["provider_config"].as_object().unwrap(),
        None,
        "",
        &mut t,
    );
    println!(
        "Telmate provider config: {:?}",
        compare("Telmate provider", &tel.config, &t, &mut problems)
    );

    for (p, all) in [(bpg, &bpg_all), (tel, &tel_all)] {
        for (name, r) in &p.resources {
            let res = &all["resources"][name];
            assert!(!res.is_null(), "{name} not in the provider dump");
            let mut t = BTreeMap::new();
            match res.get("block").and_then(Value::as_object) {
                Some(b) => flatten_theirs(b, None, "", &mut t),
                None => flatten_theirs(
                    res["attributes"].as_object().unwrap(),
                    res.get("blocks").and_then(Value::as_object),
                    "",
                    &mut t,
                ),
            }
            let (n, missing) = compare(name, &r.block, &t, &mut problems);
            println!("{name}: {n} arguments/blocks checked, {missing} missing");
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every resource type and data source of the derived schemas is known to ours by name (kept
/// with its arguments, or listed in `other-resources` / `data-sources`), so PV016 never calls a
/// real type unknown or "corrects" it to another.
#[test]
fn every_provider_type_is_known_by_name() {
    let Some(dir) = shared() else {
        eprintln!("SKIPPED: ../shared/data/terraform-provider-schemas not present");
        return;
    };
    for (file, source) in [
        ("bpg-proxmox.all.schema.json", "bpg/proxmox"),
        ("telmate-proxmox.all.schema.json", "Telmate/proxmox"),
    ] {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let ours = schema::providers()
            .iter()
            .find(|p| p.source == source)
            .expect("provider");
        let mut missing = Vec::new();
        for t in v["resources"].as_object().unwrap().keys() {
            if !ours.resources.contains_key(t) && !ours.other_resources.contains(t) {
                missing.push(format!("resource {t}"));
            }
        }
        for t in v["data_sources"].as_object().unwrap().keys() {
            if !ours.data_sources.contains(t) {
                missing.push(format!("data source {t}"));
            }
        }
        assert!(missing.is_empty(), "{source}: {}", missing.join(", "));
    }
}
