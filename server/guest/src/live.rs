//! Reading guests from the cluster: where each is (`/cluster/resources`), its HA membership
//! (`/cluster/ha/resources`) and its config (`/nodes/{node}/{type}/{vmid}/pending`), read
//! several at a time.
use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use provisio_pve::{ApiRequest, PveClient};
use serde_json::Value;

use crate::fields::{Ha, Kind, LiveGuest};
use crate::Error;

/// Config reads in flight at once.
const PARALLEL: usize = 16;

/// Where a guest is, as `/cluster/resources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub vmid: u32,
    pub node: String,
    pub kind: Kind,
    pub name: String,
    pub pool: Option<String>,
    pub template: bool,
    /// running, stopped, ...
    pub status: String,
    /// HA state when the guest is HA-managed (`hastate`).
    pub hastate: Option<String>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

/// Every guest in the cluster, by VMID.
pub async fn placements(client: &PveClient) -> Result<Vec<Placement>, Error> {
    let v = client
        .call(&ApiRequest::get("/cluster/resources").query("type", "vm"))
        .await?;
    let mut out: Vec<Placement> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let kind = match r["type"].as_str()? {
                "qemu" => Kind::Qemu,
                "lxc" => Kind::Lxc,
                _ => return None,
            };
            Some(Placement {
                vmid: r["vmid"].as_u64()? as u32,
                node: r["node"].as_str()?.to_string(),
                kind,
                name: r["name"].as_str().unwrap_or_default().to_string(),
                pool: r["pool"].as_str().map(str::to_string),
                template: text(&r["template"]).is_some_and(|t| t == "1"),
                status: r["status"].as_str().unwrap_or("unknown").to_string(),
                hastate: r["hastate"].as_str().map(str::to_string),
            })
        })
        .collect();
    out.sort_by_key(|p| p.vmid);
    Ok(out)
}

/// HA resources by VMID (`vm:101` and `ct:140` both give 101 / 140).
pub async fn ha_resources(client: &PveClient) -> Result<BTreeMap<u32, Ha>, Error> {
    let v = match client.call(&ApiRequest::get("/cluster/ha/resources")).await {
        Ok(v) => v,
        // No HA stack configured answers 404/501 on some versions: no memberships.
        Err(provisio_pve::Error::Api {
            status: 404 | 501, ..
        }) => return Ok(BTreeMap::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let sid = r["sid"].as_str()?;
            let vmid = sid.rsplit(':').next()?.parse().ok()?;
            Some((
                vmid,
                Ha {
                    state: r["state"].as_str().unwrap_or("started").to_string(),
                    group: r["group"].as_str().map(str::to_string),
                },
            ))
        })
        .collect())
}

/// Resolve `GUEST` arguments (VMIDs or names) against the placements. A name that matches
/// several guests, or nothing, is an error naming it.
pub fn select<'a>(all: &'a [Placement], wanted: &[String]) -> Result<Vec<&'a Placement>, Error> {
    let mut out: Vec<&Placement> = Vec::new();
    for w in wanted {
        let hits: Vec<&Placement> = match w.parse::<u32>() {
            Ok(id) => all.iter().filter(|p| p.vmid == id).collect(),
            Err(_) => all.iter().filter(|p| p.name == *w).collect(),
        };
        match hits.as_slice() {
            [] => {
                return Err(Error::Input {
                    field: "GUEST".into(),
                    message: format!(
                        "no guest `{w}` in the cluster; give a VMID or a name that `cluster_state` lists"
                    ),
                })
            }
            [one] => {
                if !out.iter().any(|p| p.vmid == one.vmid) {
                    out.push(one)
                }
            }
            many => {
                return Err(Error::Input {
                    field: "GUEST".into(),
                    message: format!(
                        "`{w}` names {} guests ({}); give the VMID",
                        many.len(),
                        many.iter()
                            .map(|p| p.vmid.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// Read the config of each placement (several at a time), in the given order.
pub async fn read(
    client: &PveClient,
    guests: &[&Placement],
    ha: &BTreeMap<u32, Ha>,
) -> Result<Vec<LiveGuest>, Error> {
    let futs: Vec<_> = guests.iter().map(|p| read_one(client, p, ha)).collect();
    let results: Vec<Result<LiveGuest, Error>> =
        stream::iter(futs).buffered(PARALLEL).collect().await;
    results.into_iter().collect()
}

async fn read_one(
    client: &PveClient,
    p: &Placement,
    ha: &BTreeMap<u32, Ha>,
) -> Result<LiveGuest, Error> {
    // `/pending` lists each key with its current value and any change waiting for the
    // next start: the config as the provider reads it (PVE's `/config` default) is the
    // values with the pending ones applied.
    let path = format!("/nodes/{}/{}/{}/pending", p.node, p.kind.as_str(), p.vmid);
    let v = client.call(&ApiRequest::get(path)).await?;
    let mut config = BTreeMap::new();
    let mut pending = Vec::new();
    for item in v.as_array().into_iter().flatten() {
        let Some(key) = item["key"].as_str() else {
            continue;
        };
        if item.get("delete").and_then(text).is_some_and(|d| d != "0") {
            pending.push(key.to_string());
            continue;
        }
        if let Some(pv) = item.get("pending").and_then(text) {
            pending.push(key.to_string());
            config.insert(key.to_string(), pv);
        } else if let Some(val) = item.get("value").and_then(text) {
            config.insert(key.to_string(), val);
        }
    }
    Ok(LiveGuest {
        vmid: p.vmid,
        node: p.node.clone(),
        kind: p.kind,
        name: p.name.clone(),
        pool: p.pool.clone(),
        // /cluster/ha/resources has the group; /cluster/resources at least the state
        ha: ha.get(&p.vmid).cloned().or_else(|| {
            p.hastate.as_ref().map(|s| Ha {
                state: s.clone(),
                group: None,
            })
        }),
        config,
        pending,
    })
}
