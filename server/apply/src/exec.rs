//! The native executor: checks the live state against the preview's expectations (refusing on
//! drift), then runs the steps over the PVE API. Each task (UPID) is polled to its end with its
//! log tail; progress goes to a channel; a cancel stops waiting and stops the running task.
//! Resumes VMs this plan already created (description marker) instead of duplicating them.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use provisio_pve::client::{ApiRequest, Method};
use provisio_pve::PveClient;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::audit::{redact, Audit};
use crate::changeset::{marker, ChangeSet, Expect, Step, StepKind};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Progress {
    pub done: u32,
    pub total: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    /// Already in the wanted state (a resumed apply).
    Skipped,
    Failed,
    Cancelled,
    NotStarted,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StepResult {
    pub index: u32,
    pub summary: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upid: Option<String>,
    /// Last lines of the task log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
    /// Wall time of the step, and of it the time PVE reported the task running.
    pub ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApplyReport {
    pub plan: String,
    pub cluster: String,
    pub purpose: String,
    pub digest: String,
    /// `applied`, `failed`, `cancelled` or `refused` (drift: nothing was changed).
    pub outcome: String,
    /// What differs from the preview's expectations (when refused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<String>,
    pub steps: Vec<StepResult>,
    /// VMs of this plan that exist now (created by this run or an earlier one): (name, vmid, node).
    pub present: Vec<(String, u32, String)>,
    pub total_ms: u64,
    /// Sum of the PVE tasks' own run time (the rest of `total_ms` is our overhead).
    pub task_ms: u64,
}

/// A VM from /cluster/resources.
#[derive(Debug, Clone)]
struct Res {
    node: String,
    template: bool,
}

async fn resources(client: &PveClient) -> provisio_pve::Result<BTreeMap<u32, Res>> {
    let v: Value = client
        .call(&ApiRequest::get("/cluster/resources").query("type", "vm"))
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r["vmid"].as_u64()? as u32;
            Some((
                id,
                Res {
                    node: r["node"].as_str().unwrap_or("").into(),
                    template: r["template"].as_u64() == Some(1) || r["template"] == json!(true),
                },
            ))
        })
        .collect())
}

async fn description(client: &PveClient, node: &str, vmid: u32) -> Option<String> {
    let v: Value = client
        .call(&ApiRequest::get(format!(
            "/nodes/{node}/qemu/{vmid}/config"
        )))
        .await
        .ok()?;
    v["description"].as_str().map(str::to_string)
}

/// This plan's VMs present in the cluster: name → (vmid, node), found by their marker among the
/// guests whose name is one of `names`.
pub async fn find_ours(
    client: &PveClient,
    plan: &str,
    names: &BTreeMap<String, ()>,
) -> provisio_pve::Result<BTreeMap<String, (u32, String)>> {
    let v: Value = client
        .call(&ApiRequest::get("/cluster/resources").query("type", "vm"))
        .await?;
    let mut out = BTreeMap::new();
    for r in v.as_array().into_iter().flatten() {
        let (Some(id), Some(name), Some(node)) =
            (r["vmid"].as_u64(), r["name"].as_str(), r["node"].as_str())
        else {
            continue;
        };
        if !names.contains_key(name) {
            continue;
        }
        if description(client, node, id as u32)
            .await
            .is_some_and(|d| d.contains(&marker(plan, name)))
        {
            out.insert(name.to_string(), (id as u32, node.to_string()));
        }
    }
    Ok(out)
}

/// Compare the live state with the expectations. Returns the differences, and the VMs of this
/// plan that already exist.
pub async fn check(
    client: &PveClient,
    cs: &ChangeSet,
) -> provisio_pve::Result<(Vec<String>, BTreeMap<String, (u32, String)>)> {
    let status: Value = client.call(&ApiRequest::get("/cluster/status")).await?;
    let items: Vec<&Value> = status.as_array().into_iter().flatten().collect();
    let res = resources(client).await?;
    let mut drift = Vec::new();
    let mut ours = BTreeMap::new();
    for e in &cs.expects {
        match e {
            Expect::Quorate => {
                if let Some(c) = items.iter().find(|i| i["type"] == "cluster") {
                    if c["quorate"].as_u64() == Some(0) {
                        drift
                            .push("the cluster has lost quorum (config changes would fail)".into());
                    }
                }
            }
            Expect::NodeOnline { node } => {
                let online = items
                    .iter()
                    .find(|i| i["type"] == "node" && i["name"] == node.as_str())
                    .map(|i| i["online"].as_u64() == Some(1));
                match online {
                    Some(true) => {}
                    Some(false) => drift.push(format!("node {node} is offline")),
                    None => drift.push(format!("node {node} is no longer in the cluster")),
                }
            }
            Expect::Template { vmid, node } => match res.get(vmid) {
                None => drift.push(format!("template {vmid} no longer exists")),
                Some(r) if !r.template => drift.push(format!("{vmid} is no longer a template")),
                Some(r) if &r.node != node => {
                    drift.push(format!("template {vmid} moved from {node} to {}", r.node))
                }
                _ => {}
            },
            Expect::VmidFree { vmid, vm } => {
                if let Some(r) = res.get(vmid) {
                    if description(client, &r.node, *vmid)
                        .await
                        .is_some_and(|d| d.contains(&marker(&cs.plan, vm)))
                    {
                        ours.insert(vm.clone(), (*vmid, r.node.clone()));
                    } else {
                        drift.push(format!(
                            "VMID {vmid} (for {vm}) is now taken by another guest"
                        ));
                    }
                }
            }
            Expect::OursExists { vmid, vm } => match res.get(vmid) {
                Some(r)
                    if description(client, &r.node, *vmid)
                        .await
                        .is_some_and(|d| d.contains(&marker(&cs.plan, vm))) =>
                {
                    ours.insert(vm.clone(), (*vmid, r.node.clone()));
                }
                Some(_) => drift.push(format!(
                    "VMID {vmid} is not {vm} of plan {} any more: not touching it",
                    cs.plan
                )),
                None => {}
            },
        }
    }
    Ok((drift, ours))
}

fn upid_node(upid: &str) -> Option<&str> {
    upid.split(':').nth(1)
}

enum Waited {
    Ok {
        task_ms: u64,
        log: Vec<String>,
    },
    Failed {
        exit: String,
        log: Vec<String>,
        task_ms: u64,
    },
    Cancelled,
    TimedOut,
}

async fn log_tail(client: &PveClient, node: &str, upid: &str) -> Vec<String> {
    let v: Value = client
        .call(
            &ApiRequest::get(format!("/nodes/{node}/tasks/{upid}/log"))
                .query("start", 0)
                .query("limit", 1000),
        )
        .await
        .unwrap_or(Value::Null);
    let lines: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["t"].as_str().map(str::to_string))
        .collect();
    lines[lines.len().saturating_sub(5)..].to_vec()
}

async fn wait_task(
    client: &PveClient,
    upid: &str,
    ct: &CancellationToken,
    timeout: Duration,
) -> provisio_pve::Result<Waited> {
    let node = upid_node(upid).unwrap_or_default().to_string();
    let start = Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        let s: Value = client
            .call(&ApiRequest::get(format!(
                "/nodes/{node}/tasks/{upid}/status"
            )))
            .await?;
        if s["status"] == "stopped" {
            let task_ms = match (s["starttime"].as_f64(), s["endtime"].as_f64()) {
                (Some(a), Some(b)) if b >= a => ((b - a) * 1000.0) as u64,
                _ => start.elapsed().as_millis() as u64,
            };
            let log = log_tail(client, &node, upid).await;
            let exit = s["exitstatus"].as_str().unwrap_or("").to_string();
            return Ok(if exit == "OK" || exit.starts_with("WARNINGS") {
                Waited::Ok { task_ms, log }
            } else {
                Waited::Failed { exit, log, task_ms }
            });
        }
        if start.elapsed() > timeout {
            return Ok(Waited::TimedOut);
        }
        tokio::select! {
            _ = ct.cancelled() => {
                // Stop the running task where PVE allows it.
                let _ = client.call(&ApiRequest::new(Method::Delete, format!("/nodes/{node}/tasks/{upid}"))).await;
                return Ok(Waited::Cancelled);
            }
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

fn request(step: &Step) -> Result<ApiRequest, String> {
    let method = match step.method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => {
            return Err(format!(
                "step `{}` has the HTTP method `{other}`, not GET, POST, PUT or DELETE; nothing was sent",
                step.summary
            ))
        }
    };
    let mut r = ApiRequest::new(method, step.path.clone());
    for (k, v) in &step.params {
        let value = match v.strip_prefix("${env:").and_then(|x| x.strip_suffix('}')) {
            Some(var) => std::env::var(var).map_err(|_| format!("{k} comes from the environment variable {var}, which is not set for the server"))?,
            None => v.clone(),
        };
        r = if method == Method::Delete {
            r.query(k, value)
        } else {
            r.form(k, value)
        };
    }
    Ok(r)
}

async fn vm_status(client: &PveClient, node: &str, vmid: u32) -> Option<String> {
    let v: Value = client
        .call(&ApiRequest::get(format!(
            "/nodes/{node}/qemu/{vmid}/status/current"
        )))
        .await
        .ok()?;
    v["status"].as_str().map(str::to_string)
}

/// Run a change set. Refuses (changing nothing) when the live state drifted from the preview.
pub async fn execute(
    client: &PveClient,
    cs: &ChangeSet,
    audit: &Audit,
    actor: &str,
    progress: Option<UnboundedSender<Progress>>,
    ct: CancellationToken,
    task_timeout: Duration,
) -> ApplyReport {
    let t0 = Instant::now();
    let total = cs.steps.len() as u32;
    let mut report = ApplyReport {
        plan: cs.plan.clone(),
        cluster: cs.cluster.clone(),
        purpose: cs.purpose.clone(),
        digest: cs.digest.clone(),
        outcome: "applied".into(),
        drift: vec![],
        steps: cs
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepResult {
                index: i as u32 + 1,
                summary: s.summary.clone(),
                status: StepStatus::NotStarted,
                detail: None,
                upid: None,
                log_tail: vec![],
                ms: 0,
                task_ms: None,
            })
            .collect(),
        present: vec![],
        total_ms: 0,
        task_ms: 0,
    };
    let send = |done: u32, message: String| {
        if let Some(p) = &progress {
            let _ = p.send(Progress {
                done,
                total,
                message,
            });
        }
    };
    let log = |event: &str, data: Value| {
        if let Err(e) = audit.append(actor, event, data) {
            tracing::error!("audit log: {e}");
        }
    };
    send(0, "checking the live state against the preview".into());
    let (drift, mut ours) = match check(client, cs).await {
        Ok(x) => x,
        Err(e) => (
            vec![format!("could not read the live state: {e}")],
            BTreeMap::new(),
        ),
    };
    if !drift.is_empty() {
        report.outcome = "refused".into();
        report.drift = drift;
        log(
            "apply.refused",
            json!({"digest": cs.digest, "drift": report.drift}),
        );
        report.total_ms = t0.elapsed().as_millis() as u64;
        return report;
    }
    log(
        "apply.start",
        json!({"digest": cs.digest, "plan": cs.plan, "cluster": cs.cluster, "purpose": cs.purpose, "steps": cs.steps.len(), "resuming": ours.keys().collect::<Vec<_>>()}),
    );
    let mut destroyed: BTreeSet<String> = BTreeSet::new();
    for (i, step) in cs.steps.iter().enumerate() {
        if ct.is_cancelled() {
            report.outcome = "cancelled".into();
            break;
        }
        send(i as u32, format!("{}/{}: {}", i + 1, total, step.summary));
        let ts = Instant::now();
        let r = &mut report.steps[i];
        // Steps already satisfied by an earlier run.
        let skip = match step.kind {
            StepKind::Clone => ours
                .contains_key(&step.vm)
                .then(|| "already cloned by this plan (resumed)".to_string()),
            StepKind::Start => (vm_status(client, &step.node, step.vmid).await.as_deref()
                == Some("running"))
            .then(|| "already running".to_string()),
            StepKind::Stop => match vm_status(client, &step.node, step.vmid).await.as_deref() {
                Some("running") => None,
                Some(_) => Some("not running".to_string()),
                None => Some("does not exist".to_string()),
            },
            StepKind::Destroy => (!ours.contains_key(&step.vm) || destroyed.contains(&step.vm))
                .then(|| "does not exist".to_string()),
            _ => None,
        };
        if let Some(why) = skip {
            r.status = StepStatus::Skipped;
            r.detail = Some(why.clone());
            log(
                "step",
                json!({"index": i + 1, "kind": step.kind, "vm": step.vm, "vmid": step.vmid, "status": "skipped", "detail": why}),
            );
            continue;
        }
        let outcome: Result<(Option<String>, Option<Waited>), String> = async {
            if step.kind == StepKind::WaitRunning {
                let deadline = Instant::now() + task_timeout;
                loop {
                    if vm_status(client, &step.node, step.vmid).await.as_deref() == Some("running")
                    {
                        return Ok((None, None));
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "{} did not reach `running` within {} s",
                            step.vm,
                            task_timeout.as_secs()
                        ));
                    }
                    tokio::select! {
                        _ = ct.cancelled() => return Ok((None, Some(Waited::Cancelled))),
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
            let req = request(step)?;
            let v = client.call(&req).await.map_err(|e| {
                let m = e.to_string();
                if step.kind == StepKind::HaAdd && m.contains("already") {
                    "ALREADY".to_string()
                } else {
                    m
                }
            });
            let v = match v {
                Err(m) if m == "ALREADY" => return Ok((None, None)),
                x => x?,
            };
            match v.as_str().filter(|s| s.starts_with("UPID:")) {
                Some(upid) => {
                    let w = wait_task(client, upid, &ct, task_timeout)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok((Some(upid.to_string()), Some(w)))
                }
                None => Ok((None, None)),
            }
        }
        .await;
        r.ms = ts.elapsed().as_millis() as u64;
        let (status, detail) = match outcome {
            Ok((upid, w)) => {
                r.upid = upid;
                match w {
                    None => (StepStatus::Done, None),
                    Some(Waited::Ok { task_ms, log }) => {
                        r.task_ms = Some(task_ms);
                        report.task_ms += task_ms;
                        r.log_tail = log;
                        (StepStatus::Done, None)
                    }
                    Some(Waited::Failed { exit, log, task_ms }) => {
                        r.task_ms = Some(task_ms);
                        report.task_ms += task_ms;
                        r.log_tail = log;
                        (StepStatus::Failed, Some(format!("task failed: {exit}")))
                    }
                    Some(Waited::Cancelled) => (
                        StepStatus::Cancelled,
                        Some("cancelled by the client; the running task was asked to stop".into()),
                    ),
                    Some(Waited::TimedOut) => (
                        StepStatus::Failed,
                        Some(format!(
                            "task still running after {} s; not waiting longer",
                            task_timeout.as_secs()
                        )),
                    ),
                }
            }
            Err(m) => (StepStatus::Failed, Some(m)),
        };
        r.status = status;
        r.detail = detail.clone();
        log(
            "step",
            json!({"index": i + 1, "kind": step.kind, "vm": step.vm, "vmid": step.vmid, "method": step.method, "path": step.path, "params": redact(&step.params), "status": status, "upid": r.upid, "detail": detail, "log_tail": r.log_tail}),
        );
        if status == StepStatus::Done {
            match step.kind {
                StepKind::Clone => {
                    ours.insert(step.vm.clone(), (step.vmid, step.node.clone()));
                }
                StepKind::Destroy => {
                    destroyed.insert(step.vm.clone());
                }
                _ => {}
            }
        }
        match status {
            StepStatus::Failed => {
                report.outcome = "failed".into();
                break;
            }
            StepStatus::Cancelled => {
                report.outcome = "cancelled".into();
                break;
            }
            _ => {}
        }
    }
    // What exists now: VMs of this plan (a failed clone may have left one behind).
    let names: BTreeMap<String, ()> = cs.steps.iter().map(|s| (s.vm.clone(), ())).collect();
    if let Ok(found) = find_ours(client, &cs.plan, &names).await {
        report.present = found
            .into_iter()
            .map(|(n, (id, node))| (n, id, node))
            .collect();
    } else {
        report.present = ours
            .into_iter()
            .filter(|(n, _)| !destroyed.contains(n))
            .map(|(n, (id, node))| (n, id, node))
            .collect();
    }
    report.total_ms = t0.elapsed().as_millis() as u64;
    send(total, format!("{}: {}", report.outcome, cs.plan));
    log(
        "apply.end",
        json!({"digest": cs.digest, "outcome": report.outcome, "present": report.present, "total_ms": report.total_ms, "task_ms": report.task_ms}),
    );
    report
}

pub fn render(r: &ApplyReport) -> String {
    let mut o = format!(
        "{} {} of plan `{}` on `{}` ({} ms, of which PVE tasks {} ms)\n",
        r.outcome.to_uppercase(),
        r.purpose,
        r.plan,
        r.cluster,
        r.total_ms,
        r.task_ms
    );
    for d in &r.drift {
        o.push_str(&format!("  drift: {d}\n"));
    }
    for s in &r.steps {
        let st = serde_json::to_value(s.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        o.push_str(&format!(
            "  {:>2}. [{st}] {}{}\n",
            s.index,
            s.summary,
            s.detail
                .as_ref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ));
        for l in &s.log_tail {
            if st == "failed" {
                o.push_str(&format!("        | {l}\n"));
            }
        }
    }
    if !r.present.is_empty() {
        o.push_str(&format!(
            "  present now: {}\n",
            r.present
                .iter()
                .map(|(n, id, node)| format!("{n} (VMID {id} on {node})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(method: &str) -> Step {
        Step {
            kind: StepKind::Start,
            vm: "web-1".into(),
            vmid: 102,
            node: "pmox01".into(),
            summary: "start web-1".into(),
            method: method.into(),
            path: "/nodes/pmox01/qemu/102/status/start".into(),
            params: vec![],
        }
    }

    #[test]
    fn an_unknown_method_is_refused_not_sent_as_get() {
        assert!(request(&step("POST")).is_ok());
        assert!(request(&step("GET")).is_ok());
        let e = request(&step("PATCH")).unwrap_err();
        assert!(
            e.contains("`PATCH`") && e.contains("nothing was sent"),
            "{e}"
        );
        assert!(request(&step("post")).is_err());
    }
}
