//! Append-only JSONL audit log. Each record carries the hash of the previous one and its own
//! hash over (previous hash + the record without `hash`), so editing, removing or reordering a
//! record is detectable (`provisio audit verify`). Secrets are redacted before writing.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::changeset::sha256_hex;
use crate::error::{Error, Result};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub struct Audit {
    path: PathBuf,
    /// Serialises appends within this process; `File::lock` does it across processes (the
    /// server and `provisio approve` write to the same log).
    guard: Mutex<()>,
}

/// Keys whose values never reach the log.
pub fn redact(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| {
            let l = k.to_ascii_lowercase();
            if ["password", "secret", "token", "cipassword"]
                .iter()
                .any(|s| l.contains(s))
            {
                (k.clone(), "<redacted>".into())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

fn hash_of(prev: &str, rec: &Value) -> String {
    sha256_hex(format!("{prev}{rec}").as_bytes())
}

/// (seq, hash) of the last record of an open log.
fn tail_of(f: &mut std::fs::File) -> Result<(u64, String)> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f
        .seek(SeekFrom::End(0))
        .map_err(|e| Error::Audit(e.to_string()))?;
    let from = len.saturating_sub(1 << 16);
    f.seek(SeekFrom::Start(from))
        .map_err(|e| Error::Audit(e.to_string()))?;
    let mut buf = String::new();
    f.read_to_string(&mut buf)
        .map_err(|e| Error::Audit(e.to_string()))?;
    match buf.lines().rev().find(|l| !l.trim().is_empty()) {
        None => Ok((0, GENESIS.into())),
        Some(l) => {
            let v: Value = serde_json::from_str(l)
                .map_err(|e| Error::Audit(format!("last record unreadable: {e}")))?;
            Ok((
                v["seq"].as_u64().unwrap_or(0),
                v["hash"].as_str().unwrap_or(GENESIS).to_string(),
            ))
        }
    }
}

impl Audit {
    pub fn new(data_dir: &Path) -> Self {
        Audit {
            path: data_dir.join("audit.jsonl"),
            guard: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record; returns its sequence number.
    pub fn append(&self, actor: &str, event: &str, data: Value) -> Result<u64> {
        let _g = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, e))?;
        f.lock().map_err(|e| Error::io(&self.path, e))?;
        let (seq, prev) = tail_of(&mut f)?;
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut rec = json!({"seq": seq + 1, "ts_unix_ms": ts, "actor": actor, "event": event, "data": data, "prev": prev});
        let h = hash_of(&prev, &rec);
        rec["hash"] = Value::String(h);
        writeln!(f, "{rec}").map_err(|e| Error::io(&self.path, e))?;
        f.sync_data().map_err(|e| Error::io(&self.path, e))?;
        Ok(seq + 1)
    }
}

/// Check the chain: returns the number of records, or the first broken line and why.
pub fn verify(path: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let no = i + 1;
        let mut v: Value = serde_json::from_str(line)
            .map_err(|e| Error::Audit(format!("line {no}: not JSON: {e}")))?;
        let stored = v
            .as_object_mut()
            .and_then(|o| o.remove("hash"))
            .and_then(|h| h.as_str().map(str::to_string))
            .ok_or_else(|| Error::Audit(format!("line {no}: no hash")))?;
        if v["prev"].as_str() != Some(prev.as_str()) {
            return Err(Error::Audit(format!("line {no}: `prev` does not match the hash of the record before (a record was removed, reordered or inserted)")));
        }
        if v["seq"].as_u64() != Some(n + 1) {
            return Err(Error::Audit(format!(
                "line {no}: sequence {} where {} was expected",
                v["seq"],
                n + 1
            )));
        }
        let h = hash_of(&prev, &v);
        if h != stored {
            return Err(Error::Audit(format!(
                "line {no}: hash mismatch (the record was edited)"
            )));
        }
        prev = stored;
        n += 1;
    }
    Ok(n)
}
