//! `lint_manifest`: Terraform (bpg/Telmate), Kubernetes YAML and k3s-ansible inventories
//! checked against the provider schemas, references, secrets and the live cluster; findings with stable codes, spans and
//! fix hints.
use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router, ErrorData};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use provisio_lint::{ClusterFacts, Counts, Finding, Input};
use provisio_pve::{ClusterState, ClusterStateRequest};

use super::cluster_state::pve_tool_error;
use super::{structured, tool_error};
use crate::ProvisioServer;

/// Input of `lint_manifest`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintRequest {
    /// The files: `.tf` files of one directory are linted together as a module; Kubernetes
    /// `.yaml` files together (Services are matched against workloads across them); k3s-ansible
    /// inventories (`hosts.ini`, `group_vars/all.yml`, `inventory.yml`) by directory; `.tfvars`
    /// and `.tfvars.json` for syntax, and `terraform.tfvars` / `*.auto.tfvars` (or their
    /// `.json` forms) also give their module's variables the values the rules judge. Typically
    /// the `files` of a `draft_manifest` answer, after your edits.
    pub files: Vec<Input>,
    /// Configured cluster for the cluster-aware rules (default: the default cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// A saved `cluster_state` answer (view `full`) to lint against instead of the live cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ClusterState>,
    /// Skip the cluster-aware rules.
    #[serde(default)]
    pub no_cluster: bool,
    /// Also compare the guest resources of the `.tf` files (with their variables, tfvars,
    /// count/for_each) with the live guests, field by field: what differs, and whether applying
    /// would reboot, move or re-create the guest. Needs a configured cluster.
    #[serde(default)]
    pub drift: bool,
    /// With `drift`: also list the cluster's guests that no resource describes (candidates
    /// for `draft_manifest` with `import`).
    #[serde(default)]
    pub unmanaged: bool,
}

/// Most guests (and unmanaged guests) a drift answer lists.
const DRIFT_LIST_MAX: usize = 100;

/// Output of `lint_manifest`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LintReport {
    /// Sorted by file, line, column.
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// Which cluster the cluster-aware rules used, or why they were skipped.
    pub cluster_rules: String,
    /// True when there are no errors (warnings may remain).
    pub clean: bool,
    /// The manifests against the live guests (with `drift: true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<provisio_guest::Report>,
    /// Entries left out of `drift` to keep the answer small (guests in sync first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_omitted: Option<usize>,
}

pub fn render(r: &LintReport) -> String {
    let mut o = provisio_lint::render_text(&r.findings);
    o.push_str(&format!(
        "{} files: {} errors, {} warnings, {} infos; {}\n",
        r.counts.files, r.counts.errors, r.counts.warnings, r.counts.infos, r.cluster_rules
    ));
    if let Some(d) = &r.drift {
        o.push_str("drift:\n");
        o.push_str(&provisio_guest::drift::render(d));
        if let Some(n) = r.drift_omitted {
            o.push_str(&format!(
                "({n} entries left out; lint fewer files to see them)\n"
            ));
        }
    }
    o.push_str(if r.clean {
        "next: no errors; review the warnings, then hand the plan and files to the human for approval\n"
    } else {
        "next: fix the errors (each has a fix hint) and lint again\n"
    });
    o
}

/// The identifier a finding is about: the "did you mean" target, else the first `quoted` word.
fn subject(message: &str) -> Option<String> {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if let Some(i) = message.find("did you mean `") {
        return message[i + 14..].split('`').next().map(str::to_string);
    }
    quoted
        .first()
        .map(|q| q.rsplit('.').next().unwrap_or(q).to_string())
}

/// The guest resources of the `.tf` files of `files`, each directory loaded as one module (file
/// names keep their directory; each module judged against the release it pins); a module that
/// cannot be read becomes a skipped entry.
fn modules(files: &[Input]) -> (Vec<provisio_guest::drift::Read>, Vec<(String, String)>) {
    use std::collections::BTreeMap;
    type Texts = Vec<(String, String)>;
    let mut dirs: BTreeMap<String, (Texts, Texts, Option<String>)> = BTreeMap::new();
    for f in files {
        let (dir, name) = match f.path.rsplit_once('/') {
            Some((d, n)) => (d.to_string(), n.to_string()),
            None => (String::new(), f.path.clone()),
        };
        let e = dirs.entry(dir).or_default();
        if name.ends_with(".tf") {
            e.0.push((f.path.clone(), f.content.clone()));
        } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
            e.1.push((name, f.content.clone()));
        } else if name == ".terraform.lock.hcl" {
            e.2 = Some(f.content.clone());
        }
    }
    let (mut reads, mut skipped) = (Vec::new(), Vec::new());
    for (dir, (mut tf, mut vars, lock)) in dirs {
        if tf.is_empty() {
            continue;
        }
        tf.sort();
        vars.sort_by_key(|(n, _)| (n != "terraform.tfvars", n.clone()));
        match provisio_guest::manifest::load_texts(&tf, &vars, lock) {
            Ok(m) => {
                reads.extend(provisio_guest::drift::implied(&m));
                skipped.extend(m.skipped);
            }
            Err(e) => skipped.push((if dir.is_empty() { ".".into() } else { dir }, e.to_string())),
        }
    }
    (reads, skipped)
}

/// Keep a drift answer small: guests with differences first, then the rest, up to the cap.
fn budget(mut d: provisio_guest::Report) -> (provisio_guest::Report, Option<usize>) {
    let mut omitted = 0;
    for g in &mut d.guests {
        g.cluster_fields.clear();
    }
    d.guests.sort_by_key(|g| g.status == "in_sync");
    if d.guests.len() > DRIFT_LIST_MAX {
        omitted += d.guests.len() - DRIFT_LIST_MAX;
        d.guests.truncate(DRIFT_LIST_MAX);
    }
    if let Some(u) = &mut d.unmanaged {
        if u.len() > DRIFT_LIST_MAX {
            omitted += u.len() - DRIFT_LIST_MAX;
            u.truncate(DRIFT_LIST_MAX);
        }
    }
    (d, (omitted > 0).then_some(omitted))
}

impl ProvisioServer {
    /// Point each finding's `doc` at the best section of its doc page in the knowledge base
    /// (BM25 over the finding's subject and the rule), with the upstream URL. Without an index
    /// the page-level URI stays.
    async fn cite(&self, findings: &mut [Finding]) {
        let Ok(kb) = self.shared.kb().await else {
            return;
        };
        let mut cache: std::collections::HashMap<(String, String), Option<(String, String)>> =
            Default::default();
        for f in findings.iter_mut() {
            let Some(doc) = f.doc.clone() else { continue };
            let Some((source, path, _)) = provisio_indexer::uri::parse_doc_uri(&doc) else {
                continue;
            };
            let Some(rule) = provisio_lint::rules::rule(&f.code) else {
                continue;
            };
            let query = match subject(&f.message) {
                Some(s) => format!("{s} {}", rule.summary),
                None => rule.summary.to_string(),
            };
            let key = (doc.clone(), query.clone());
            if !cache.contains_key(&key) {
                let kb = kb.clone();
                let mut req = provisio_indexer::SearchRequest::new(query.clone());
                req.k = 20;
                req.sources = vec![source.clone()];
                req.mode = provisio_indexer::search::Mode::Bm25;
                let path2 = path.clone();
                let summary = rule.summary.to_string();
                let hit = tokio::task::spawn_blocking(move || {
                    let first = |req: &provisio_indexer::SearchRequest| {
                        kb.search(req)
                            .ok()
                            .and_then(|r| r.hits.into_iter().find(|h| h.path == path2))
                    };
                    first(&req)
                        .or_else(|| {
                            // The subject may not occur on the page: the rule alone.
                            let mut r2 = req.clone();
                            r2.query = summary;
                            first(&r2)
                        })
                        .map(|h| (h.resource, h.url))
                })
                .await
                .ok()
                .flatten();
                cache.insert(key.clone(), hit);
            }
            if let Some(Some((resource, url))) = cache.get(&key) {
                f.doc = Some(resource.clone());
                f.doc_url = Some(url.clone());
            }
        }
    }
}

#[tool_router(router = lint_manifest_router, vis = "pub(crate)")]
impl ProvisioServer {
    /// Lint Terraform (bpg/proxmox and Telmate/proxmox) and Kubernetes YAML. Checks HCL syntax,
    /// arguments against the provider schemas (unknown with did-you-mean, missing required,
    /// wrong types, deprecated, read-only), references (undeclared variables, locals,
    /// resources), secrets (literal tokens/passwords, TLS verification off, variables not
    /// sensitive), the live cluster (clone template exists, node, storage content, bridge/vnet,
    /// VMID and IP collisions with guests, gateway, k3s VIP and MetalLB pool, capacity) and
    /// Kubernetes (schema of 1.37 kinds, selector/labels, :latest images, probes, resources,
    /// LoadBalancer IPs in the MetalLB pool) and k3s-ansible inventories (groups, odd server
    /// count, literal tokens, k3s_version, VIP/node/MetalLB overlaps, servicelb and tls-san).
    /// Each finding has a stable code, line/column, a
    /// fix hint and the doc behind the rule. With `drift: true` it also compares the guest
    /// resources with the live guests, field by field, marking what would reboot, move or
    /// re-create a guest (and `unmanaged: true` lists guests no resource describes). Reads only.
    #[tool(
        name = "lint_manifest",
        title = "Lint Terraform and Kubernetes manifests",
        output_schema = schema_for_type::<LintReport>(),
        annotations(
            title = "Lint Terraform and Kubernetes manifests",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn lint_manifest(
        &self,
        Parameters(req): Parameters<LintRequest>,
    ) -> Result<CallToolResult, ErrorData> {
        if req.files.is_empty() {
            return Ok(tool_error(
                "`files` is empty",
                "pass the files to lint as [{\"path\": \"main.tf\", \"content\": \"...\"}]",
            ));
        }
        if let Some(i) = req.files.iter().position(|f| f.path.trim().is_empty()) {
            return Ok(tool_error(
                format!("`files[{i}].path` is empty"),
                "give each file a path ending in .tf, .tfvars, .tfvars.json or .yaml",
            ));
        }
        for (j, f) in req.files.iter().enumerate() {
            if let Some(i) = req.files[..j].iter().position(|g| g.path == f.path) {
                return Ok(tool_error(
                    format!("`files[{j}].path` repeats `files[{i}].path` (`{}`)", f.path),
                    "give each file its own path: files of one directory form one Terraform module",
                ));
            }
        }
        let (facts, cluster_rules) = if req.no_cluster {
            (None, "cluster-aware rules skipped (no_cluster)".to_string())
        } else {
            let (state, site) = match req.state {
                Some(s) => {
                    let name = req.cluster.clone().unwrap_or_else(|| s.cluster.clone());
                    let site = self
                        .shared
                        .pve
                        .clusters
                        .get(&name)
                        .map(|c| c.facts.clone())
                        .unwrap_or_default();
                    (Some(s), site)
                }
                None if self.shared.pve.clusters.is_empty() => (None, Default::default()),
                None => {
                    let client = match self.shared.pve_client(req.cluster.as_deref()) {
                        Ok(c) => c,
                        Err(e) => return Ok(pve_tool_error(&e)),
                    };
                    let site = self
                        .shared
                        .pve
                        .cluster(req.cluster.as_deref())
                        .map(|c| c.facts.clone())
                        .unwrap_or_default();
                    let sreq = ClusterStateRequest::full();
                    match provisio_pve::cluster_state(&client, &sreq).await {
                        Ok(s) => (Some(s), site),
                        Err(e) => return Ok(pve_tool_error(&e)),
                    }
                }
            };
            match state {
                None => (
                    None,
                    "cluster-aware rules skipped: no cluster configured (pass `state`)".to_string(),
                ),
                Some(s) => match ClusterFacts::from_state(&s, &site) {
                    Ok(f) => {
                        let mut c = format!("cluster-aware rules against cluster `{}`", f.cluster);
                        if !f.conflicts.is_empty() {
                            c.push_str(&format!(
                                "; live Kubernetes state differs from the site facts: {}",
                                f.conflicts.join("; ")
                            ));
                        }
                        (Some(f), c)
                    }
                    Err(e) => {
                        return Ok(tool_error(
                            format!("the cluster's site facts are invalid: {e}"),
                            "fix the [clusters.NAME.facts] section of the server's config",
                        ))
                    }
                },
            }
        };
        let (drift, drift_omitted) = if req.drift {
            let client = match self.shared.pve_client(req.cluster.as_deref()) {
                Ok(c) => c,
                Err(e) => return Ok(pve_tool_error(&e)),
            };
            let (reads, skipped) = modules(&req.files);
            match provisio_guest::drift_reads(&client, &reads, &skipped, req.unmanaged).await {
                Ok(d) => {
                    let (d, omitted) = budget(d);
                    (Some(d), omitted)
                }
                Err(provisio_guest::Error::Pve(e)) => return Ok(pve_tool_error(&e)),
                Err(e) => {
                    return Ok(tool_error(
                        format!("drift: {e}"),
                        "fix the files named and lint again",
                    ))
                }
            }
        } else {
            (None, None)
        };
        let files = req.files;
        let findings = tokio::task::spawn_blocking(move || {
            let f = provisio_lint::lint(&files, facts.as_ref());
            (provisio_lint::counts(files.len(), &f), f)
        })
        .await
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let (counts, mut findings) = findings;
        self.cite(&mut findings).await;
        let report = LintReport {
            clean: counts.errors == 0,
            findings,
            counts,
            cluster_rules,
            drift,
            drift_omitted,
        };
        let text = render(&report);
        let value = serde_json::to_value(&report)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(structured(value, text))
    }
}
