//! Single-use approval handles. A preview mints a handle and writes the pending change set to
//! `DATA/approvals/pending/ID.json`; `provisio approve ID` (the operator, on the server's
//! machine) writes `approved/ID.json` with the digest it saw; apply consumes the handle by
//! moving the pending file to `used/` (atomic: a second apply with it fails). The approval page
//! records approvals the same way, and denials in `denied/ID.json` (a denied handle is dead).
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::changeset::ChangeSet;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pending {
    /// The handle: `ap-` and 24 random hex digits.
    pub id: String,
    pub digest: String,
    pub created_unix: u64,
    pub expires_unix: u64,
    pub change_set: ChangeSet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Approved {
    id: String,
    digest: String,
    by: String,
    at_unix: u64,
    /// How: `provisio approve` or `web page`.
    #[serde(default = "cli_method")]
    method: String,
}

fn cli_method() -> String {
    "provisio approve".into()
}

/// A human's recorded decision on a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approved { by: String, method: String },
    Denied { by: String, method: String },
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn refuse(message: impl Into<String>, fix: impl Into<String>) -> Error {
    Error::Approval {
        message: message.into(),
        fix: fix.into(),
    }
}

/// `ap-` + 24 lowercase hex digits; anything else is refused before touching the disk.
pub fn valid_id(id: &str) -> bool {
    id.strip_prefix("ap-").is_some_and(|h| {
        h.len() == 24
            && h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    })
}

pub struct Approvals {
    dir: PathBuf,
    ttl: Duration,
}

impl Approvals {
    pub fn new(data_dir: &Path, ttl: Duration) -> Self {
        Approvals {
            dir: data_dir.join("approvals"),
            ttl,
        }
    }

    fn path(&self, state: &str, id: &str) -> PathBuf {
        self.dir.join(state).join(format!("{id}.json"))
    }

    fn write(&self, path: &Path, value: &impl Serialize) -> Result<()> {
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let tmp = path.with_extension("json.part");
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::io(path, e))?;
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Mint a handle for a previewed change set.
    pub fn mint(&self, cs: ChangeSet) -> Result<Pending> {
        let mut bytes = [0u8; 12];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| Error::Plan("no system randomness".into()))?;
        let id = format!(
            "ap-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let now = now_unix();
        let p = Pending {
            id: id.clone(),
            digest: cs.digest.clone(),
            created_unix: now,
            expires_unix: now + self.ttl.as_secs(),
            change_set: cs,
        };
        self.write(&self.path("pending", &id), &p)?;
        Ok(p)
    }

    /// The pending change set of a handle, if the handle is valid, unused and unexpired.
    pub fn pending(&self, id: &str) -> Result<Pending> {
        if !valid_id(id) {
            return Err(refuse(
                format!("`{id}` is not an approval handle (forged or mistyped)"),
                "call apply_plan with action `preview` and use the handle it returns",
            ));
        }
        if let Some(Decision::Denied { by, method }) = self.denied(id) {
            return Err(refuse(
                format!("change set {id} was denied by {by} ({method})"),
                "revise the plan with the operator and preview again",
            ));
        }
        if self.path("used", id).exists() {
            return Err(refuse(
                format!("approval handle {id} was already used"),
                "handles are single-use: preview again for a new one",
            ));
        }
        let path = self.path("pending", id);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            refuse(
                format!("unknown approval handle {id} (forged, or minted by another server)"),
                "call apply_plan with action `preview` and use the handle it returns",
            )
        })?;
        let p: Pending = serde_json::from_str(&text).map_err(|e| Error::io(&path, e))?;
        if now_unix() > p.expires_unix {
            return Err(refuse(
                format!(
                    "approval handle {id} expired {} s ago",
                    now_unix() - p.expires_unix
                ),
                "preview again: the live state may have changed",
            ));
        }
        if p.change_set.digest != p.digest {
            return Err(refuse(
                format!("approval handle {id}: the stored change set does not match its digest"),
                "preview again",
            ));
        }
        Ok(p)
    }

    /// Record the operator's approval (`provisio approve ID`).
    pub fn approve(&self, id: &str, by: &str) -> Result<Pending> {
        self.approve_via(id, by, &cli_method())
    }

    /// Record an approval made by `method` (`provisio approve`, `web page`).
    pub fn approve_via(&self, id: &str, by: &str, method: &str) -> Result<Pending> {
        let p = self.pending(id)?;
        self.write(&self.path("approved", id), &self.record(&p, by, method))?;
        Ok(p)
    }

    /// Record a denial: the handle can no longer be approved or applied.
    pub fn deny_via(&self, id: &str, by: &str, method: &str) -> Result<Pending> {
        let p = self.pending(id)?;
        self.write(&self.path("denied", id), &self.record(&p, by, method))?;
        Ok(p)
    }

    fn record(&self, p: &Pending, by: &str, method: &str) -> Approved {
        Approved {
            id: p.id.clone(),
            digest: p.digest.clone(),
            by: by.into(),
            at_unix: now_unix(),
            method: method.into(),
        }
    }

    fn read_record(&self, state: &str, id: &str) -> Option<Approved> {
        let text = std::fs::read_to_string(self.path(state, id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn denied(&self, id: &str) -> Option<Decision> {
        self.read_record("denied", id).map(|a| Decision::Denied {
            by: a.by,
            method: a.method,
        })
    }

    /// Who approved this handle out of band, if anyone did (for exactly this digest).
    pub fn approved_by(&self, p: &Pending) -> Option<String> {
        match self.decision(p) {
            Some(Decision::Approved { by, .. }) => Some(by),
            _ => None,
        }
    }

    /// The human's decision on this handle, if one was recorded (for exactly this digest).
    pub fn decision(&self, p: &Pending) -> Option<Decision> {
        if let Some(d) = self.denied(&p.id) {
            return Some(d);
        }
        let a = self.read_record("approved", &p.id)?;
        (a.digest == p.digest).then_some(Decision::Approved {
            by: a.by,
            method: a.method,
        })
    }

    /// Consume the handle: exactly one caller succeeds.
    pub fn consume(&self, id: &str) -> Result<()> {
        let used = self.path("used", id);
        let parent = used.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        std::fs::rename(self.path("pending", id), &used).map_err(|_| {
            refuse(
                format!("approval handle {id} was already used"),
                "preview again for a new handle",
            )
        })
    }

    /// Pending handles (for `provisio approve --list`).
    pub fn list(&self) -> Vec<Pending> {
        let mut out: Vec<Pending> = std::fs::read_dir(self.dir.join("pending"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .filter(|p: &Pending| p.expires_unix >= now_unix())
            .collect();
        out.sort_by_key(|p| p.created_unix);
        out
    }
}
