//! The crate's one error type. Every API error carries PVE's own message and the HTTP status,
//! plus a hint for the usual causes.
use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// The configuration is wrong: names the field (or variable) and the fix.
    #[error("config: `{field}`: {message}")]
    Config { field: String, message: String },

    /// PVE answered with an error status.
    #[error("PVE {method} {path}: HTTP {status}: {message}{}", hint_suffix(.hint))]
    Api {
        method: &'static str,
        path: String,
        status: u16,
        message: String,
        hint: Option<String>,
    },

    /// The server's certificate did not match what the configuration trusts.
    #[error("TLS: {message}")]
    Tls {
        message: String,
        /// SHA-256 fingerprint of the certificate the server presented, as the PVE GUI shows it.
        seen_fingerprint: Option<String>,
    },

    /// No answer: connection refused, DNS, timeout.
    #[error("cannot reach {url}: {message}{}", hint_suffix(.hint))]
    Transport {
        url: String,
        message: String,
        hint: Option<String>,
    },

    /// The answer was not what the API schema says.
    #[error("PVE {path}: unexpected answer: {message}")]
    Decode { path: String, message: String },

    /// The Kubernetes API of the cluster (kubeconfig, reachability, credentials).
    #[error("{0}")]
    Kube(#[from] provisio_k8s::Error),

    /// A tool input is wrong: names the field and the fix.
    #[error("invalid `{field}`: {message}")]
    Invalid { field: String, message: String },
}

fn hint_suffix(h: &Option<String>) -> String {
    h.as_ref()
        .map(|h| format!(" (hint: {h})"))
        .unwrap_or_default()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
    /// The HTTP status for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// A fix hint for the model or the operator, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Api { hint, .. } | Error::Transport { hint, .. } => hint.clone(),
            Error::Tls {
                seen_fingerprint: Some(fp),
                ..
            } => Some(format!(
                "if this is your PVE node's certificate (compare with Datacenter > node > System > Certificates), pin it: PROVISIO_PVE_FINGERPRINT={fp} or `fingerprint = \"{fp}\"` in the cluster's config"
            )),
            Error::Tls { .. } => Some("check `fingerprint`, `ca_file` in the cluster config; `provisio doctor` prints the server's fingerprint".into()),
            Error::Kube(e) => e.hint(),
            Error::Config { .. } => Some("fix the config file (`provisio doctor` shows which file) or the PROVISIO_PVE_* variables".into()),
            _ => None,
        }
    }
}

/// Privilege and ACL path from PVE's `Permission check failed (/vms/100, VM.Audit)`.
pub fn parse_permission_failure(message: &str) -> Option<(String, String)> {
    let inner = message
        .split("Permission check failed (")
        .nth(1)?
        .split(')')
        .next()?;
    let (path, priv_) = inner.split_once(", ")?;
    Some((path.trim().to_string(), priv_.trim().to_string()))
}

/// The usual cause of an API error status, in operator words.
pub fn hint_for(status: u16, message: &str, token_id: Option<&str>) -> Option<String> {
    match status {
        401 => Some(match token_id {
            Some(id) => format!("authentication failed for API token `{id}`: check the token id (`user@realm!tokenid`) and its secret, and that the token exists and has not expired (Datacenter > Permissions > API Tokens)"),
            None => "login failed or the ticket expired: check username (`user@realm`) and password".into(),
        }),
        403 => {
            let who = token_id.map(|t| format!("--tokens '{t}'")).unwrap_or_else(|| "--users USER@REALM".into());
            Some(match parse_permission_failure(message) {
                Some((path, p)) => {
                    let path = if path.is_empty() { "/".to_string() } else { path };
                    format!(
                        "missing privilege `{p}` on `{path}`. {}Grant it, e.g. `pveum acl modify {path} {who} --roles PVEAuditor` (a role holding {p})",
                        if token_id.is_some() { "API tokens with privilege separation do not inherit the user's permissions: the token needs its own ACL entry. " } else { "" }
                    )
                }
                None => format!("permission denied. {}", if token_id.is_some() { "With privilege separation the token needs its own ACL entries (`pveum acl modify PATH --tokens TOKENID --roles ROLE`)" } else { "Check the user's ACLs" }),
            })
        }
        595 => Some("the node behind this path is offline or unreachable from the node you talk to (PVE 595 `No route to host`): check the node in Datacenter > Cluster".into()),
        596 => Some("proxy error between PVE nodes (596): the target node's pveproxy may be down".into()),
        500 if message.contains("no quorum") => Some("the cluster has lost quorum: /etc/pve is read-only; reads still work, writes will fail until quorum returns".into()),
        501 => Some("this PVE version does not have this API method".into()),
        _ => None,
    }
}
