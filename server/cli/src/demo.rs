//! `provisio demo`: the seed's Scenario 4 ("create a webserver based on template vm id 100")
//! end to end. Starts fakepve seeded with the thesis lab (tests/pve/fakelab.py), indexes the
//! corpus if the data directory has no index, starts `provisio serve --mode apply` as a child
//! process and drives it as a real MCP client over stdio: cluster_state -> search_docs ->
//! draft_manifest -> lint_manifest -> apply_plan preview -> the human's approval (an
//! elicitation dialog on this terminal) -> apply -> cluster_state shows the new VM running.
//! Prints the transcript.
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, Implementation, UrlElicitationCapability,
};
use rmcp::service::RequestContext;
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{json, Value};

use crate::paths::Paths;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Python with fakepve installed (scripts/run.sh makes one).
    #[arg(long, env = "PROVISIO_LAB_PYTHON", default_value = "python3")]
    pub lab_python: String,
    /// The lab script (default: the copy built into this binary, the same as
    /// tests/pve/fakelab.py of the repository).
    #[arg(long)]
    pub lab_script: Option<PathBuf>,
    /// Corpus to index when the data directory has no index yet (default: `PROVISIO_CORPUS`,
    /// else the corpus `provisio corpus fetch` wrote into the data directory, else
    /// ../shared/corpus if present, else a small fixture corpus built into this binary).
    #[arg(long, env = "PROVISIO_CORPUS")]
    pub corpus: Option<PathBuf>,
    /// Approve the change set without asking (the dialog is still printed).
    #[arg(long, conflicts_with = "approve_in_browser")]
    pub yes: bool,
    /// Approve on the server's approval page instead of this terminal: the demo client offers
    /// URL-mode elicitation only, opens the page it is given (with `$BROWSER`, else
    /// `xdg-open`; the address is printed too) and waits for the decision made there.
    #[arg(long)]
    pub approve_in_browser: bool,
}

/// The client side of the approval dialog: shows the server's message, asks on the terminal.
#[derive(Clone)]
struct Terminal {
    yes: bool,
    browser: bool,
    shown: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Terminal {
    fn get_info(&self) -> ClientConfig {
        let mut caps = ClientCapabilities::default();
        caps.elicitation = Some(if self.browser {
            ElicitationCapability::new().with_url(UrlElicitationCapability::new())
        } else {
            ElicitationCapability::default()
        });
        ClientConfig::new(
            caps,
            Implementation::new("provisio-demo", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let message = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. } => message.clone(),
            ElicitRequestParams::UrlElicitationParams { message, url, .. } if self.browser => {
                println!("\n┌─ the server asks the human to open its approval page ─────\n{}\n{url}\n└──────────────────────────────────────────────────────────", message.trim_end());
                open_browser(url);
                println!("waiting for the decision on the page ...");
                return Ok(ElicitResult::new(ElicitationAction::Accept));
            }
            _ => return Ok(ElicitResult::new(ElicitationAction::Decline)),
        };
        self.shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message.clone());
        println!("\n┌─ approval dialog (the server asks the human) ─────────────\n{}\n└──────────────────────────────────────────────────────────", message.trim_end());
        let approve = if self.yes {
            println!("approve? [y/N] y   (--yes)");
            true
        } else {
            print!("approve? [y/N] ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            matches!(line.trim(), "y" | "Y" | "yes")
        };
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": approve})))
    }
}

/// Open `url` with `$BROWSER` (a command; the URL is its last argument), else `xdg-open`.
fn open_browser(url: &str) {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "xdg-open".into());
    let mut words = browser.split_whitespace();
    let Some(program) = words.next() else { return };
    match Command::new(program)
        .args(words)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
    {
        Ok(_) => println!("opened with `{browser}`"),
        Err(e) => println!("could not start `{browser}` ({e}): open the address above yourself"),
    }
}

struct Lab(Child);

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_lab(python: &str, script: &Path, dir: &Path) -> Result<(Lab, Value)> {
    let info = dir.join("lab.json");
    let child = Command::new(python)
        .arg(script)
        .arg("--info")
        .arg(&info)
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {python} {}: install fakepve (scripts/run.sh does) or pass --lab-python", script.display()))?;
    let mut lab = Lab(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !info.exists() {
        if let Some(st) = lab.0.try_wait()? {
            bail!("the lab exited ({st}): is fakepve installed for {python}? (pip install 'fakepve[crypto]==0.5.0')");
        }
        if Instant::now() > deadline {
            bail!("the lab did not start within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&info)?)?;
    Ok((lab, v))
}

fn text_of(r: &rmcp::model::CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn show(step: &str, tool: &str, args: &Value, r: &rmcp::model::CallToolResult) {
    let a = serde_json::to_string(args).unwrap_or_default();
    let a = if a.len() > 300 {
        format!("{}… ({} bytes)", &a[..300], a.len())
    } else {
        a
    };
    println!("\n=== {step}\n-> {tool} {a}");
    let t = text_of(r);
    let lines: Vec<&str> = t.lines().collect();
    for l in lines.iter().take(40) {
        println!("<- {l}");
    }
    if lines.len() > 40 {
        println!("<- … ({} more lines)", lines.len() - 40);
    }
    if r.is_error == Some(true) {
        println!("<- (isError)");
    }
}

/// The lab script, built in so the demo runs from any directory and from an installed binary.
const FAKELAB: &str = include_str!("../../../tests/pve/fakelab.py");
/// A small corpus of our own (not upstream text) for a demo without any docs corpus.
const FIXTURE_CORPUS: &[(&str, &str)] = &[
    (
        "sources.toml",
        include_str!("../../../corpus/fixtures/sources.toml"),
    ),
    (
        "corpus/lab-k3s/inventory.yml",
        include_str!("../../../corpus/fixtures/corpus/lab-k3s/inventory.yml"),
    ),
    (
        "corpus/lab-k3s/server.md",
        include_str!("../../../corpus/fixtures/corpus/lab-k3s/server.md"),
    ),
    (
        "corpus/lab-pve/vm-clone.adoc",
        include_str!("../../../corpus/fixtures/corpus/lab-pve/vm-clone.adoc"),
    ),
    (
        "corpus/lab-tf/lifecycle.mdx",
        include_str!("../../../corpus/fixtures/corpus/lab-tf/lifecycle.mdx"),
    ),
    (
        "corpus/lab-tf/provider.md",
        include_str!("../../../corpus/fixtures/corpus/lab-tf/provider.md"),
    ),
];

/// Write the built-in files (`files`: relative path, content) under `dir`.
fn write_builtin(dir: &Path, files: &[(&str, &str)]) -> Result<()> {
    for (rel, text) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text)?;
    }
    Ok(())
}

pub fn run(paths: &Paths, a: &DemoArgs, _out: &mut dyn Write) -> Result<ExitCode> {
    let tmp = tempfile::tempdir()?;
    let script = match &a.lab_script {
        Some(s) if !s.exists() => bail!("--lab-script {}: no such file", s.display()),
        Some(s) => s.clone(),
        None => {
            let p = tmp.path().join("fakelab.py");
            std::fs::write(&p, FAKELAB)?;
            p
        }
    };
    let exe = std::env::current_exe()?;
    let data = paths.data.root.clone();
    // 1. The docs index, if missing.
    if !paths.data.index_dir().exists() {
        let fetched = paths.data.root.join("corpus");
        let shared = std::env::current_dir()?.join("../shared/corpus");
        let (corpus, sources) = match &a.corpus {
            // A corpus of our own beside its sources file (corpus/fixtures/{corpus,sources.toml}).
            Some(c) => {
                let beside = c.parent().map(|p| p.join("sources.toml"));
                (c.clone(), beside.filter(|p| p.is_file()))
            }
            None if fetched.join(crate::corpus::FETCHED_MARK).exists() => (fetched, None),
            None if shared.is_dir() => (shared, None),
            None => {
                let dir = tmp.path().join("fixture-corpus");
                write_builtin(&dir, FIXTURE_CORPUS)?;
                (dir.join("corpus"), Some(dir.join("sources.toml")))
            }
        };
        println!(
            "indexing {} into {} (first run only) ...",
            corpus.display(),
            data.display()
        );
        let mut cmd = Command::new(&exe);
        cmd.arg("--data-dir")
            .arg(&data)
            .arg("index")
            .arg("--corpus")
            .arg(&corpus);
        if let Some(s) = sources {
            cmd.arg("--sources").arg(s);
        }
        let st = cmd.status()?;
        if !st.success() {
            bail!("indexing failed");
        }
    }
    // 2. The lab.
    let (_lab, info) = start_lab(&a.lab_python, &script, tmp.path())?;
    let s = |k: &str| info[k].as_str().unwrap_or_default().to_string();
    println!(
        "fakepve lab (thesis lab: pmox01-03, template 100, pmoxpool01, vmbr0) at {}",
        s("url")
    );
    // 3. The server, as a child process speaking MCP over stdio; approvals and audit in a
    // throwaway data directory beside the real index.
    let rt = crate::mcp::runtime()?;
    let shown = Arc::new(Mutex::new(Vec::new()));
    let handler = Terminal {
        yes: a.yes,
        browser: a.approve_in_browser,
        shown: shown.clone(),
    };
    rt.block_on(async move {
        let mut cmd = tokio::process::Command::new(&exe);
        cmd.arg("--data-dir").arg(&data).arg("serve").arg("--mode").arg("apply");
        for k in provisio_pve::config::ENV_VARS {
            cmd.env_remove(k);
        }
        cmd.env("PROVISIO_CONFIG", tmp.path().join("none.toml"))
            .env("PROVISIO_PVE_URL", s("url"))
            .env("PROVISIO_PVE_TOKEN_ID", s("token_id"))
            .env("PROVISIO_PVE_TOKEN_SECRET", s("token_secret"))
            .env("PROVISIO_PVE_FINGERPRINT", s("fingerprint"))
            .env("RUST_LOG", "error");
        std::fs::write(tmp.path().join("none.toml"), "")?;
        let client = handler.serve(TokioChildProcess::new(cmd)?).await.context("starting `provisio serve --mode apply`")?;
        let call = |name: &'static str, args: Value| {
            let client = &client;
            async move {
                let p = CallToolRequestParams::new(name).with_arguments(args.as_object().cloned().unwrap_or_default());
                client.call_tool(p).await.map_err(|e| anyhow::anyhow!("{name}: {e}"))
            }
        };
        println!("\nOperator: \"create a webserver based on template vm id 100\"");
        let tools: Vec<String> = client.list_all_tools().await?.into_iter().map(|t| t.name.to_string()).collect();
        println!("server tools (mode apply): {}", tools.join(", "));

        let args = json!({"view": "summary"});
        let r = call("cluster_state", args.clone()).await?;
        show("COLLECTOR: the live cluster", "cluster_state", &args, &r);
        let args = json!({"query": "clone a VM from a template with cloud-init", "k": 3});
        let r = call("search_docs", args.clone()).await?;
        show("COLLECTOR: the docs", "search_docs", &args, &r);

        let plan = json!({
            "name": "webserver",
            "items": [{
                "kind": "vm", "name": "web-1",
                "source": {"type": "template", "vmid": 100, "linked": false},
                "placement": {"mode": "auto"},
                "cores": 2, "memory_mib": 2048, "disks": [{"size_gib": 40}],
                "network": [{"bridge": "vmbr0"}],
                "ip": {"mode": "auto", "subnet": "192.168.1.0/24", "gateway": "192.168.1.1"},
                "cloud_init": {"user": "ops", "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOnly ops@laptop"]},
                "tags": ["web"]
            }]
        });
        println!("\n=== ANALYSER: the plan\n{}", serde_json::to_string_pretty(&plan)?);
        let args = json!({"plan": plan});
        let r = call("draft_manifest", args.clone()).await?;
        show("BUILDER: draft", "draft_manifest", &args, &r);
        let files = r.structured_content.as_ref().map(|v| v["files"].clone()).unwrap_or(Value::Null);
        let args = json!({"files": files});
        let r = call("lint_manifest", args.clone()).await?;
        show("BUILDER: lint", "lint_manifest", &args, &r);
        if r.structured_content.as_ref().is_some_and(|v| v["clean"] != true) {
            bail!("the draft does not lint clean");
        }
        let args = json!({"action": "preview", "plan": plan});
        let r = call("apply_plan", args.clone()).await?;
        show("apply_plan preview: the exact change set", "apply_plan", &args, &r);
        let handle = r.structured_content.as_ref().and_then(|v| v["preview"]["approval"].as_str().map(str::to_string)).context("no approval handle in the preview")?;
        let args = json!({"action": "apply", "approval": handle});
        let r = call("apply_plan", args.clone()).await?;
        show("apply_plan apply (after the human's approval)", "apply_plan", &args, &r);
        let outcome = r.structured_content.as_ref().map(|v| v["report"]["outcome"].clone()).unwrap_or(Value::Null);
        let args = json!({"view": "guests", "name": "web-*"});
        let r = call("cluster_state", args.clone()).await?;
        show("COLLECTOR: the cluster afterwards", "cluster_state", &args, &r);
        let running = r.structured_content.as_ref().and_then(|v| v["guests"].as_array().cloned()).unwrap_or_default().iter().any(|g| g["name"] == "web-1" && g["status"] == "running");
        client.cancel().await.ok();
        println!("\naudit log: {}", data.join("audit.jsonl").display());
        if outcome == "applied" && running {
            println!("RESULT: web-1 created from template 100 and running (approved by the human).");
            Ok(ExitCode::SUCCESS)
        } else {
            println!("RESULT: not applied ({outcome}).");
            Ok(ExitCode::from(1))
        }
    })
}
