//! End-to-end tests of the `provisio` binary on the fixture corpus: index, search and
//! eval-retrieval output shapes, errors and exit codes. The dense path uses the real model when
//! it is installed (required when PROVISIO_REQUIRE_MODEL=1, as in CI).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fixtures")
}

fn provisio(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provisio"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run provisio")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn model_installed() -> bool {
    let required = std::env::var("PROVISIO_REQUIRE_MODEL").as_deref() == Ok("1");
    let tmp = tempfile::tempdir().expect("tmp");
    let out = provisio(
        tmp.path(),
        &[
            "index",
            "--corpus",
            fixtures().join("corpus").to_str().expect("utf8"),
            "--sources",
            fixtures().join("sources.toml").to_str().expect("utf8"),
        ],
    );
    if !out.status.success() && !required {
        eprintln!(
            "SKIPPED: model not installed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success() || required
}

fn index_args(extra: &[&'static str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "index".into(),
        "--corpus".into(),
        fixtures().join("corpus").to_string_lossy().into_owned(),
        "--sources".into(),
        fixtures()
            .join("sources.toml")
            .to_string_lossy()
            .into_owned(),
        "--json".into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(data: &Path, args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    provisio(data, &a)
}

#[test]
fn lexical_index_search_and_eval() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path();
    let r = json(&run(data, &index_args(&["--lexical-only"])));
    assert_eq!(r["status"], "built");
    assert_eq!(r["files"], 5);
    assert!(r["dense"].is_null());
    let again = json(&run(data, &index_args(&["--lexical-only"])));
    assert_eq!(again["status"], "unchanged");

    let s = json(&provisio(data, &["search", "pm_tls_insecure", "--json"]));
    assert_eq!(s["retrievers"], serde_json::json!(["bm25"]));
    assert!(s["degraded"]
        .as_str()
        .expect("degraded")
        .starts_with("lexical-only"));
    assert_eq!(s["hits"][0]["path"], "lab-tf/provider.md");
    assert!(s["hits"][0]["url"]
        .as_str()
        .expect("url")
        .starts_with("https://example.invalid/lab-tf/blob/"));

    let q = fixtures().join("questions.jsonl");
    let e = json(&provisio(
        data,
        &[
            "eval-retrieval",
            q.to_str().expect("utf8"),
            "--mode",
            "bm25",
            "--json",
        ],
    ));
    for key in [
        "n",
        "recall_at_1",
        "recall_at_5",
        "recall_at_10",
        "mrr_at_10",
        "mode",
    ] {
        assert!(e.get(key).is_some(), "missing {key}: {e}");
    }
    assert_eq!(e["n"], 3);
    assert_eq!(e["mode"], "bm25");
    assert!(e["recall_at_5"].as_f64().expect("num") >= 0.99, "{e}");
}

#[test]
fn bad_input_names_the_field() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path();
    // No index yet.
    let out = provisio(data, &["search", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("provisio index"));
    json(&run(data, &index_args(&["--lexical-only"])));
    let out = provisio(data, &["search", "x", "--source", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`sources`") && err.contains("lab-pve"),
        "{err}"
    );
    let out = provisio(data, &["search", "x", "--kind", "poem"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind"));
    // Missing corpus folder.
    let out = provisio(
        data,
        &["index", "--corpus", "/nonexistent/corpus", "--lexical-only"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/corpus"));
}

#[test]
fn missing_model_error_names_the_setup_command() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = Command::new(env!("CARGO_BIN_EXE_provisio"))
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["index", "--corpus"])
        .arg(fixtures().join("corpus"))
        .arg("--sources")
        .arg(fixtures().join("sources.toml"))
        .env("PROVISIO_MODEL_DIR", tmp.path().join("no-model"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scripts/setup.sh") && err.contains("--lexical-only"),
        "{err}"
    );
}

#[test]
fn hybrid_with_the_real_model() {
    if !model_installed() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path();
    let r = json(&run(data, &index_args(&[])));
    assert!(r["dense"]["model_id"]
        .as_str()
        .expect("model")
        .starts_with("all-MiniLM-L6-v2"));
    assert_eq!(r["dense"]["backend"], "qdrant-edge");
    assert_eq!(r["chunks_embedded"], r["chunks"]);

    // The operator's words differ from the docs': dense retrieval bridges them.
    let s = json(&provisio(
        data,
        &[
            "search",
            "how do I skip the certificate check for a lab",
            "--json",
            "--mode",
            "dense",
        ],
    ));
    assert_eq!(s["retrievers"], serde_json::json!(["dense"]));
    assert!(s["degraded"].is_null());
    let s = json(&provisio(
        data,
        &["search", "turn off certificate verification", "--json"],
    ));
    assert_eq!(s["retrievers"], serde_json::json!(["bm25", "dense"]));
    let paths: Vec<&str> = s["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .take(2)
        .map(|h| h["path"].as_str().expect("path"))
        .collect();
    assert!(paths.contains(&"lab-tf/provider.md"), "{paths:?}");

    let q = fixtures().join("questions.jsonl");
    let e = json(&provisio(
        data,
        &["eval-retrieval", q.to_str().expect("utf8"), "--json"],
    ));
    assert_eq!(e["mode"], "hybrid");
    assert!(e["recall_at_5"].as_f64().expect("num") >= 0.99, "{e}");
}

/// `index --store qdrant` against our gRPC stand-in (no Qdrant server can be installed here):
/// migration from the embedded index re-embeds nothing, search and doctor report the store,
/// and a stopped server degrades search to lexical-only.
#[test]
fn qdrant_store_through_the_cli() {
    if !model_installed() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path();
    json(&run(data, &index_args(&[])));
    let si = provisio_testkit::QdrantStandIn::start().expect("stand-in");
    let mut args = index_args(&["--store", "qdrant", "--qdrant-collection", "cli-test"]);
    args.extend(["--qdrant-url".to_string(), si.url.clone()]);
    let r = json(&run(data, &args));
    assert_eq!(r["dense"]["backend"], "qdrant");
    assert_eq!(r["dense"]["collection"], "cli-test");
    assert_eq!(r["windows_embedded"], 0, "{r}");
    assert_eq!(r["vectors_uploaded"], r["windows"]);
    assert_eq!(
        si.points("cli-test"),
        r["windows"].as_u64().map(|n| n as usize)
    );

    let query = ["search", "turn off certificate verification", "--json"];
    let s = json(&provisio(data, &query));
    assert_eq!(s["retrievers"], serde_json::json!(["bm25", "dense"]));
    assert_eq!(
        s["vector_store"],
        format!("qdrant {} collection cli-test", si.url)
    );

    let doc = Command::new(env!("CARGO_BIN_EXE_provisio"))
        .arg("--data-dir")
        .arg(data)
        .arg("doctor")
        .env_remove("PROVISIO_CONFIG")
        .env("XDG_CONFIG_HOME", data)
        .env("PROVISIO_STORE", "qdrant")
        .env("QDRANT_URL", &si.url)
        .env("PROVISIO_QDRANT_COLLECTION", "cli-test")
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&doc.stdout);
    assert!(
        text.contains(&format!(
            "ok    vector store: qdrant {} collection cli-test",
            si.url
        )) && text.contains(&format!("{} points", r["windows"])),
        "{text}"
    );

    drop(si);
    let s = json(&provisio(data, &query));
    assert_eq!(s["retrievers"], serde_json::json!(["bm25"]));
    let why = s["degraded"].as_str().expect("degraded");
    assert!(why.contains("cannot connect"), "{why}");
}

#[test]
fn check_plan_accepts_the_example_plans_and_names_bad_fields() {
    let data = tempfile::tempdir().unwrap();
    for f in ["webserver.json", "k3s-lab.json", "nginx-app.json"] {
        let p = fixtures().join("plans").join(f);
        let out = provisio(data.path(), &["check-plan", p.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let good = std::fs::read_to_string(fixtures().join("plans/k3s-lab.json")).unwrap();
    let bad = good
        .replace("\"masters\": 3", "\"masters\": 4")
        .replace("192.168.1.100", "10.9.9.9");
    let path = data.path().join("bad.json");
    std::fs::write(&path, bad).unwrap();
    let out = provisio(
        data.path(),
        &["check-plan", path.to_str().unwrap(), "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fields: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["items[0].masters", "items[0].api_vip"]);
    std::fs::write(&path, good.replace("\"workers\"", "\"worker\"")).unwrap();
    let out = provisio(data.path(), &["check-plan", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `worker`"));
}

#[test]
fn lint_draft_output_then_a_broken_copy() {
    let d = tempfile::tempdir().unwrap();
    let state = fixtures().join("state/lab.json");
    let plan = fixtures().join("plans/webserver.json");
    let out_dir = d.path().join("web");
    let o = provisio(
        d.path(),
        &[
            "draft",
            plan.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Clean against the same state: exit 0, summary line names the cluster.
    let o = provisio(
        d.path(),
        &[
            "lint",
            out_dir.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("0 errors") && text.contains("against lab"),
        "{text}"
    );
    // A VMID taken in the lab (111) and a literal token: exit 1, JSON findings with codes.
    let main = out_dir.join("main.tf");
    let t = std::fs::read_to_string(&main)
        .unwrap()
        .replace("vm_id     = 102", "vm_id     = 111");
    std::fs::write(&main, t).unwrap();
    let prov = out_dir.join("providers.tf");
    let t = std::fs::read_to_string(&prov).unwrap().replace(
        "var.proxmox_api_token",
        "\"ops@pve!tf=11111111-2222-3333-4444-555555555555\"",
    );
    std::fs::write(&prov, t).unwrap();
    let o = provisio(
        d.path(),
        &[
            "lint",
            out_dir.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"PV046") && codes.contains(&"PV030"),
        "{findings}"
    );
    // The token never appears in the output.
    assert!(!String::from_utf8_lossy(&o.stdout).contains("11111111-2222"));
    // Without the cluster the VMID clash is not known; the secret still is.
    let o = provisio(
        d.path(),
        &[
            "lint",
            out_dir.to_str().unwrap(),
            "--no-cluster",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"PV030") && !ids.contains(&"PV046"), "{sarif}");
}

/// Overlapping arguments (a directory and its subdirectory, or one path spelled two ways)
/// lint each file once: no "declared twice" against itself.
#[test]
fn lint_overlapping_paths_reads_each_file_once() {
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("envs/web");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("main.tf"),
        "variable \"name\" {\n  type = string\n}\noutput \"name\" {\n  value = var.name\n}\n",
    )
    .unwrap();
    let parent = d.path().join("envs");
    let dotted = sub.join("../web");
    let o = provisio(
        d.path(),
        &[
            "lint",
            "--no-cluster",
            parent.to_str().unwrap(),
            sub.to_str().unwrap(),
            dotted.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("1 files: 0 errors"), "{text}");
}

/// Each path argument is its own set: two clusters' folders in one call do not share MetalLB
/// pools; a module's `.terraform.lock.hcl` is read (and not reported as an unlinted file).
#[test]
fn lint_each_path_is_its_own_set() {
    let d = tempfile::tempdir().unwrap();
    let pool = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: default\n  namespace: metallb-system\nspec:\n  addresses:\n    - 10.0.0.200-10.0.0.210\n---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l2\n  namespace: metallb-system\nspec:\n  ipAddressPools: [default]\n";
    for c in ["site-a", "site-b"] {
        let dir = d.path().join(c);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pool.yaml"), pool).unwrap();
    }
    let a = d.path().join("site-a");
    let b = d.path().join("site-b");
    let o = provisio(
        d.path(),
        &[
            "lint",
            "--no-cluster",
            "--format",
            "json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    );
    let findings: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(findings.as_array().map(Vec::len), Some(0), "{findings:#}");
    // the same two files in one folder are one cluster: the pools clash
    let one = d.path().join("one");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::write(one.join("a.yaml"), pool).unwrap();
    std::fs::write(one.join("b.yaml"), pool).unwrap();
    let o = provisio(
        d.path(),
        &[
            "lint",
            "--no-cluster",
            "--format",
            "json",
            one.to_str().unwrap(),
        ],
    );
    let findings: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!findings.as_array().unwrap().is_empty(), "{findings:#}");

    // the lock file pins Telmate 3.0.1-rc9, where `network.id` is required
    let m = d.path().join("tf");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("main.tf"), "terraform {\n  required_providers {\n    proxmox = { source = \"Telmate/proxmox\", version = \">= 2.9\" }\n  }\n}\nresource \"proxmox_vm_qemu\" \"w\" {\n  name        = \"w\"\n  target_node = \"pve1\"\n  network {\n    model  = \"virtio\"\n    bridge = \"vmbr0\"\n  }\n}\n").unwrap();
    std::fs::write(m.join(".terraform.lock.hcl"), "provider \"registry.terraform.io/telmate/proxmox\" {\n  version     = \"3.0.1-rc9\"\n  constraints = \">= 2.9\"\n}\n").unwrap();
    let o = provisio(d.path(), &["lint", "--no-cluster", m.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("PV011") && text.contains("Telmate 3.0.1-rc9, from .terraform.lock.hcl"),
        "{text}"
    );
    assert!(!text.contains("PV900"), "{text}");
}
