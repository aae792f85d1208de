//! Configuration: a strict TOML file (path from `--config` or `PROVISIO_CONFIG`, else the user's
//! config directory), then environment variables for the default cluster.
//!
//! ```toml
//! default_cluster = "lab"
//!
//! [clusters.lab]
//! url = "https://pmox01.lab:8006"
//! token_id = "provisio@pve!mcp"
//! token_secret_env = "LAB_PVE_TOKEN"   # the secret is read from this variable
//! fingerprint = "AB:CD:..."            # SHA-256 as the PVE GUI shows it
//! ```
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A secret: never printed, never serialized.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// One cluster as written in the file. Secrets may be given inline (discouraged) or by the name
/// of an environment variable (`*_env`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterFile {
    pub url: Option<String>,
    pub token_id: Option<String>,
    pub token_secret: Option<Secret>,
    pub token_secret_env: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_env: Option<String>,
    pub fingerprint: Option<String>,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure: bool,
    pub timeout_secs: Option<f64>,
    pub retries: Option<u32>,
    /// The k3s cluster on these guests: a kubeconfig file (k3s writes
    /// `/etc/rancher/k3s/k3s.yaml`) and optionally one of its contexts. When set, the summary
    /// and full views, lint and the doctor read the Kubernetes API too.
    pub kubeconfig: Option<PathBuf>,
    pub kube_context: Option<String>,
    /// Facts about the site that Proxmox does not hold (k3s VIP, MetalLB pools, SDN subnets).
    #[serde(default)]
    pub facts: SiteFacts,
}

/// Facts about a cluster's site that Proxmox does not hold, kept in the cluster's
/// `[clusters.NAME.facts]` section: the k3s API VIP, MetalLB address pools, reserved addresses,
/// and SDN vnets/subnets where the API cannot report them. The linter and drafts merge them
/// with the live state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFacts {
    /// Virtual IP of the k3s API server (kube-vip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k3s_api_vip: Option<String>,
    /// MetalLB address pools: `A.B.C.D-E.F.G.H` ranges or CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metallb_pools: Vec<String>,
    /// Addresses no VM may take: gateways, VIPs, DHCP ranges, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved_ipv4: Vec<ReservedIpv4>,
    /// SDN vnets (or bridges) with their subnets; merged with what the API reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vnets: Vec<VnetFact>,
    /// Kubernetes namespaces that exist (for warnings about unknown namespaces).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// Reserved IPv4 addresses: one address, a `first-last` range, or a CIDR.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservedIpv4 {
    pub addresses: String,
    pub purpose: String,
}

/// An SDN vnet (or a bridge) with its IPv4 subnets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VnetFact {
    pub name: String,
    /// Nodes where it exists (all nodes when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<SubnetFact>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetFact {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_cluster: Option<String>,
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterFile>,
    /// How `apply_plan` is approved and run (`[apply]`).
    #[serde(default)]
    pub apply: ApplySettings,
    /// Where the knowledge base keeps its dense vectors (`[knowledge]`).
    #[serde(default)]
    pub knowledge: KnowledgeSettings,
}

/// Which vector store `provisio index` writes to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// qdrant-edge, embedded in the data directory (one machine).
    #[default]
    Embedded,
    /// A Qdrant server (qdrant-client over gRPC), shared by many servers.
    Qdrant,
}

/// `[knowledge]`: the vector store. Environment variables override it: PROVISIO_STORE
/// (`embedded` | `qdrant`), QDRANT_URL, PROVISIO_QDRANT_COLLECTION; the API key comes only
/// from QDRANT_API_KEY (never from the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeSettings {
    pub store: StoreKind,
    /// gRPC endpoint of the Qdrant server, e.g. `http://qdrant.internal:6334`.
    pub qdrant_url: Option<String>,
    /// Collection for this corpus.
    pub qdrant_collection: String,
    /// Per-request timeout in seconds.
    pub qdrant_timeout_secs: u64,
}

impl Default for KnowledgeSettings {
    fn default() -> Self {
        KnowledgeSettings {
            store: StoreKind::Embedded,
            qdrant_url: None,
            qdrant_collection: "provisio-docs".into(),
            qdrant_timeout_secs: 10,
        }
    }
}

/// Who approves a change set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicy {
    /// The client's approval dialog (form elicitation); else the approval page (URL-mode
    /// elicitation, or its address in the result); or the operator's `provisio approve`.
    #[default]
    DialogOrOperator,
    /// The approval page only (URL-mode elicitation where the client declares it), or the
    /// operator's `provisio approve`; never the client's form dialog.
    Page,
    /// Out of band only: the operator's `provisio approve` on the server's machine, or the
    /// approval page opened from the address printed on the server's terminal.
    Operator,
}

/// Who may open the approval page.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PageAccess {
    /// Browsers on the server's machine only (requests from loopback addresses).
    #[default]
    Loopback,
    /// Any address, with HTTP Basic authentication whose password is the operator token
    /// (`PROVISIO_OPERATOR_TOKEN`, else the HTTP bearer token).
    Remote,
    /// No approval page.
    Off,
}

/// `[apply]`: approval and execution of `apply_plan`. Environment variables override it:
/// PROVISIO_APPROVAL (`dialog-or-operator` | `page` | `operator`), PROVISIO_APPROVAL_TTL_SECS,
/// PROVISIO_TASK_TIMEOUT_SECS, PROVISIO_APPROVAL_PAGE (`loopback` | `remote` | `off`),
/// PROVISIO_APPROVAL_PAGE_LISTEN, PROVISIO_APPROVAL_PAGE_URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApplySettings {
    pub approval: ApprovalPolicy,
    /// Seconds a preview's approval handle stays valid.
    pub approval_ttl_secs: u64,
    /// Longest wait for one PVE task.
    pub task_timeout_secs: u64,
    /// Who may open the approval page (`/approve/ID`).
    pub page: PageAccess,
    /// Where the approval page listens when the server runs over stdio (started on the first
    /// preview). Default `127.0.0.1:0` (a free loopback port). Over HTTP the page shares the
    /// MCP listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_listen: Option<std::net::SocketAddr>,
    /// The page's address as the operator's browser reaches it (`https://provisio.lab:8765`),
    /// when a proxy or a wildcard listen address hides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
}

impl Default for ApplySettings {
    fn default() -> Self {
        ApplySettings {
            approval: ApprovalPolicy::DialogOrOperator,
            approval_ttl_secs: 900,
            task_timeout_secs: 600,
            page: PageAccess::Loopback,
            page_listen: None,
            page_url: None,
        }
    }
}

/// How we authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `PVEAPIToken=USER@REALM!TOKENID=SECRET` (the normal case).
    Token { id: String, secret: Secret },
    /// Username/password → `/access/ticket` (cookie + CSRF token on writes).
    Ticket { username: String, password: Secret },
}

impl Auth {
    pub fn describe(&self) -> String {
        match self {
            Auth::Token { id, .. } => format!("API token {id}"),
            Auth::Ticket { username, .. } => format!("ticket login as {username}"),
        }
    }
    pub fn token_id(&self) -> Option<&str> {
        match self {
            Auth::Token { id, .. } => Some(id),
            Auth::Ticket { .. } => None,
        }
    }
}

/// What certificates we trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Tls {
    /// The system's CA store.
    SystemCa,
    /// A CA (or the node's own certificate) from a PEM file.
    CaFile { path: PathBuf },
    /// Exactly this certificate, by SHA-256 fingerprint (as the PVE GUI shows it).
    Pinned { fingerprint: String },
    /// No verification at all (explicit opt-in; reported in every answer).
    Insecure,
}

impl Tls {
    pub fn describe(&self) -> String {
        match self {
            Tls::SystemCa => "verified against the system CA store".into(),
            Tls::CaFile { path } => format!("verified against CA file {}", path.display()),
            Tls::Pinned { fingerprint } => format!(
                "pinned certificate (SHA-256 {}...)",
                fingerprint.get(..23).unwrap_or(fingerprint)
            ),
            Tls::Insecure => {
                "INSECURE: certificate verification is disabled (insecure = true)".into()
            }
        }
    }
}

/// A cluster ready to connect to.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub name: String,
    /// Base URL, e.g. `https://pmox01:8006` (no `/api2/json`).
    pub url: String,
    pub auth: Auth,
    pub tls: Tls,
    pub timeout: std::time::Duration,
    /// Retries of idempotent GETs after a transport error or 502/503/504.
    pub retries: u32,
    /// Site facts from `[clusters.NAME.facts]`.
    pub facts: SiteFacts,
    /// The Kubernetes API of the k3s cluster on these guests, when `kubeconfig` or
    /// `kube_context` is set.
    pub kube: Option<provisio_k8s::Target>,
}

/// All clusters plus which is the default.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where the file was read from, if one was.
    pub source: Option<PathBuf>,
    pub default_cluster: Option<String>,
    pub clusters: BTreeMap<String, ClusterConfig>,
    pub apply: ApplySettings,
    pub knowledge: KnowledgeSettings,
}

/// Environment variables for the default cluster.
pub const ENV_VARS: &[&str] = &[
    "PROVISIO_PVE_CLUSTER",
    "PROVISIO_PVE_URL",
    "PROVISIO_PVE_TOKEN_ID",
    "PROVISIO_PVE_TOKEN_SECRET",
    "PROVISIO_PVE_USER",
    "PROVISIO_PVE_PASSWORD",
    "PROVISIO_PVE_FINGERPRINT",
    "PROVISIO_PVE_CA_FILE",
    "PROVISIO_PVE_INSECURE",
    "PROVISIO_PVE_TIMEOUT",
];

/// The default config file: `$XDG_CONFIG_HOME/provisio/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "provisio").map(|d| d.config_dir().join("config.toml"))
}

/// Normalise a SHA-256 fingerprint to `AB:CD:...` (accepts `:`-separated or plain hex, any case).
pub fn normalize_fingerprint(field: &str, s: &str) -> Result<String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::config(
            field,
            format!("`{s}` is not a SHA-256 fingerprint: expected 32 hex bytes like `AB:CD:...` (64 hex digits), as shown in the PVE GUI or printed by `provisio doctor`"),
        ));
    }
    let up = hex.to_ascii_uppercase();
    Ok(up
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap_or("??"))
        .collect::<Vec<_>>()
        .join(":"))
}

fn parse_bool(field: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::config(
            field,
            format!("`{v}` is not a boolean (use true or false)"),
        )),
    }
}

impl Config {
    /// Load the file (explicit path, `PROVISIO_CONFIG`, or the default path if it exists),
    /// then apply the environment.
    pub fn load(explicit: Option<&Path>) -> Result<Self> {
        Self::load_with(explicit, &|k| std::env::var(k).ok())
    }

    /// As [`Config::load`] with an injectable environment (for tests).
    pub fn load_with(
        explicit: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let (path, required) = match (explicit, env("PROVISIO_CONFIG")) {
            (Some(p), _) => (Some(p.to_path_buf()), true),
            (None, Some(p)) if !p.is_empty() => (Some(PathBuf::from(p)), true),
            _ => (default_path(), false),
        };
        let mut file = ConfigFile::default();
        let mut source = None;
        if let Some(p) = path {
            match std::fs::read_to_string(&p) {
                Ok(text) => {
                    file = toml::from_str(&text).map_err(|e| {
                        Error::config(p.display().to_string(), e.to_string().trim().to_string())
                    })?;
                    source = Some(p);
                }
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::config(
                        p.display().to_string(),
                        format!("cannot read the config file: {e}"),
                    ))
                }
            }
        }
        Self::from_file(file, source, env)
    }

    /// Build from a parsed file plus environment variables for the default cluster.
    pub fn from_file(
        mut file: ConfigFile,
        source: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let env_nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
        let any_env = ENV_VARS[1..].iter().any(|k| env_nonempty(k).is_some());
        let default = env_nonempty("PROVISIO_PVE_CLUSTER")
            .or(file.default_cluster.clone())
            .or_else(|| {
                if file.clusters.len() == 1 {
                    file.clusters.keys().next().cloned()
                } else {
                    None
                }
            })
            .or_else(|| any_env.then(|| "default".to_string()));
        if any_env {
            let name = default.clone().unwrap_or_else(|| "default".into());
            let c = file.clusters.entry(name).or_default();
            if let Some(v) = env_nonempty("PROVISIO_PVE_URL") {
                c.url = Some(v);
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_TOKEN_ID") {
                c.token_id = Some(v);
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_TOKEN_SECRET") {
                c.token_secret = Some(Secret(v));
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_USER") {
                c.username = Some(v);
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_PASSWORD") {
                c.password = Some(Secret(v));
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_FINGERPRINT") {
                c.fingerprint = Some(v);
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_CA_FILE") {
                c.ca_file = Some(PathBuf::from(v));
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_INSECURE") {
                c.insecure = parse_bool("PROVISIO_PVE_INSECURE", &v)?;
            }
            if let Some(v) = env_nonempty("PROVISIO_PVE_TIMEOUT") {
                c.timeout_secs = Some(v.parse().map_err(|_| {
                    Error::config(
                        "PROVISIO_PVE_TIMEOUT",
                        format!("`{v}` is not a number of seconds"),
                    )
                })?);
            }
        }
        if let Some(d) = &default {
            if !file.clusters.contains_key(d) {
                return Err(Error::config(
                    "default_cluster",
                    format!(
                        "cluster `{d}` is not defined; defined: {}",
                        file.clusters.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let mut clusters = BTreeMap::new();
        for (name, c) in file.clusters {
            let cc = resolve_cluster(&name, c, env)?;
            clusters.insert(name, cc);
        }
        let mut apply = file.apply.clone();
        if let Some(v) = env_nonempty("PROVISIO_APPROVAL") {
            apply.approval = match v.as_str() {
                "dialog-or-operator" => ApprovalPolicy::DialogOrOperator,
                "page" => ApprovalPolicy::Page,
                "operator" | "cli" => ApprovalPolicy::Operator,
                _ => {
                    return Err(Error::config(
                        "PROVISIO_APPROVAL",
                        format!("`{v}` is not `dialog-or-operator`, `page` or `operator`"),
                    ))
                }
            };
        }
        if let Some(v) = env_nonempty("PROVISIO_APPROVAL_PAGE") {
            apply.page = match v.as_str() {
                "loopback" => PageAccess::Loopback,
                "remote" => PageAccess::Remote,
                "off" => PageAccess::Off,
                _ => {
                    return Err(Error::config(
                        "PROVISIO_APPROVAL_PAGE",
                        format!("`{v}` is not `loopback`, `remote` or `off`"),
                    ))
                }
            };
        }
        if let Some(v) = env_nonempty("PROVISIO_APPROVAL_PAGE_LISTEN") {
            apply.page_listen = Some(v.parse().map_err(|_| {
                Error::config(
                    "PROVISIO_APPROVAL_PAGE_LISTEN",
                    format!("`{v}` is not an address such as 127.0.0.1:8766"),
                )
            })?);
        }
        if let Some(v) = env_nonempty("PROVISIO_APPROVAL_PAGE_URL") {
            apply.page_url = Some(v);
        }
        if let Some(u) = &apply.page_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(Error::config(
                    "apply.page_url",
                    format!("`{u}` must start with http:// or https://"),
                ));
            }
        }
        for (k, slot) in [
            ("PROVISIO_APPROVAL_TTL_SECS", &mut apply.approval_ttl_secs),
            ("PROVISIO_TASK_TIMEOUT_SECS", &mut apply.task_timeout_secs),
        ] {
            if let Some(v) = env_nonempty(k) {
                *slot = v
                    .parse()
                    .map_err(|_| Error::config(k, format!("`{v}` is not a number of seconds")))?;
            }
        }
        if apply.approval_ttl_secs == 0 || apply.approval_ttl_secs > 86_400 {
            return Err(Error::config(
                "apply.approval_ttl_secs",
                "must be between 1 and 86400 seconds",
            ));
        }
        if apply.task_timeout_secs == 0 {
            return Err(Error::config(
                "apply.task_timeout_secs",
                "must be at least 1 second",
            ));
        }
        let mut knowledge = file.knowledge.clone();
        if let Some(v) = env_nonempty("PROVISIO_STORE") {
            knowledge.store = match v.as_str() {
                "embedded" => StoreKind::Embedded,
                "qdrant" => StoreKind::Qdrant,
                _ => {
                    return Err(Error::config(
                        "PROVISIO_STORE",
                        format!("`{v}` is not `embedded` or `qdrant`"),
                    ))
                }
            };
        }
        if let Some(v) = env_nonempty("QDRANT_URL") {
            knowledge.qdrant_url = Some(v);
        }
        if let Some(v) = env_nonempty("PROVISIO_QDRANT_COLLECTION") {
            knowledge.qdrant_collection = v;
        }
        if knowledge.store == StoreKind::Qdrant && knowledge.qdrant_url.is_none() {
            return Err(Error::config(
                "knowledge.qdrant_url",
                "store = \"qdrant\" needs the server's gRPC URL (qdrant_url, or QDRANT_URL), e.g. http://localhost:6334",
            ));
        }
        if knowledge.qdrant_timeout_secs == 0 {
            return Err(Error::config(
                "knowledge.qdrant_timeout_secs",
                "must be at least 1 second",
            ));
        }
        Ok(Config {
            source,
            default_cluster: default,
            clusters,
            apply,
            knowledge,
        })
    }

    /// The named cluster, or the default one.
    pub fn cluster(&self, name: Option<&str>) -> Result<&ClusterConfig> {
        let known = || self.clusters.keys().cloned().collect::<Vec<_>>().join(", ");
        match name.or(self.default_cluster.as_deref()) {
            Some(n) => self.clusters.get(n).ok_or_else(|| {
                Error::invalid(
                    "cluster",
                    if self.clusters.is_empty() {
                        format!("no cluster `{n}`: no clusters are configured")
                    } else {
                        format!("no cluster `{n}`; configured: {}", known())
                    },
                )
            }),
            None if self.clusters.is_empty() => Err(Error::config(
                "clusters",
                "no Proxmox VE cluster is configured: set PROVISIO_PVE_URL, PROVISIO_PVE_TOKEN_ID and PROVISIO_PVE_TOKEN_SECRET (and PROVISIO_PVE_FINGERPRINT or PROVISIO_PVE_CA_FILE), or add [clusters.NAME] to the config file",
            )),
            None => Err(Error::invalid(
                "cluster",
                format!("several clusters are configured and none is the default; name one of: {}", known()),
            )),
        }
    }
}

fn resolve_cluster(
    name: &str,
    c: ClusterFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ClusterConfig> {
    let f = |k: &str| format!("clusters.{name}.{k}");
    let url = c.url.ok_or_else(|| {
        Error::config(
            f("url"),
            "missing: the API endpoint, e.g. https://pmox01.lab:8006 (or PROVISIO_PVE_URL)",
        )
    })?;
    let url = url
        .trim_end_matches('/')
        .trim_end_matches("/api2/json")
        .to_string();
    if !url.starts_with("https://") {
        return Err(Error::config(
            f("url"),
            format!("`{url}` must start with https:// (PVE serves its API over TLS on port 8006)"),
        ));
    }
    let secret_from =
        |inline: Option<Secret>, var: Option<String>, field: &str| -> Result<Option<Secret>> {
            match (inline, var) {
                (Some(s), _) if !s.is_empty() => Ok(Some(s)),
                (_, Some(v)) => match env(&v) {
                    Some(s) if !s.is_empty() => Ok(Some(Secret(s))),
                    _ => Err(Error::config(
                        f(field),
                        format!("environment variable `{v}` is not set"),
                    )),
                },
                _ => Ok(None),
            }
        };
    let auth = match (c.token_id, c.username) {
        (Some(id), None) => {
            if !id.contains('@') || !id.contains('!') {
                return Err(Error::config(
                    f("token_id"),
                    format!("`{id}` is not a token id: expected `user@realm!tokenid`, e.g. `provisio@pve!mcp`"),
                ));
            }
            let secret = secret_from(c.token_secret, c.token_secret_env, "token_secret")?.ok_or_else(|| {
                Error::config(f("token_secret"), "missing: the token's secret (UUID) via token_secret_env or PROVISIO_PVE_TOKEN_SECRET")
            })?;
            Auth::Token { id, secret }
        }
        (None, Some(username)) => {
            let password = secret_from(c.password, c.password_env, "password")?.ok_or_else(|| {
                Error::config(f("password"), "missing: set password_env or PROVISIO_PVE_PASSWORD")
            })?;
            let username = if username.contains('@') { username } else { format!("{username}@pam") };
            Auth::Ticket { username, password }
        }
        (Some(_), Some(_)) => {
            return Err(Error::config(f("token_id"), "give either token_id (API token) or username (ticket login), not both"))
        }
        (None, None) => {
            return Err(Error::config(
                f("token_id"),
                "missing credentials: set token_id + token_secret_env (or PROVISIO_PVE_TOKEN_ID/_SECRET), or username + password_env",
            ))
        }
    };
    let tls = match (c.fingerprint, c.ca_file, c.insecure) {
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(Error::config(f("insecure"), "insecure = true cannot be combined with fingerprint or ca_file; pinning is the safe choice for self-signed nodes"))
        }
        (Some(_), Some(_), _) => {
            return Err(Error::config(f("fingerprint"), "give either fingerprint or ca_file, not both"))
        }
        (Some(fp), None, false) => Tls::Pinned { fingerprint: normalize_fingerprint(&f("fingerprint"), &fp)? },
        (None, Some(p), false) => {
            if !p.is_file() {
                return Err(Error::config(f("ca_file"), format!("{} does not exist or is not a file", p.display())));
            }
            Tls::CaFile { path: p }
        }
        (None, None, true) => Tls::Insecure,
        (None, None, false) => Tls::SystemCa,
    };
    let timeout = c.timeout_secs.unwrap_or(10.0);
    if !(timeout > 0.0 && timeout <= 600.0) {
        return Err(Error::config(
            f("timeout_secs"),
            "must be between 0 and 600 seconds",
        ));
    }
    Ok(ClusterConfig {
        name: name.to_string(),
        url,
        auth,
        tls,
        timeout: std::time::Duration::from_secs_f64(timeout),
        retries: c.retries.unwrap_or(2).min(10),
        facts: c.facts.clone(),
        kube: kube_target(&f, c.kubeconfig.clone(), c.kube_context.clone())?,
    })
}

fn kube_target(
    f: &dyn Fn(&str) -> String,
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
) -> Result<Option<provisio_k8s::Target>> {
    if kubeconfig.is_none() && context.is_none() {
        return Ok(None);
    }
    // `~/` is the user's home, as in a shell.
    let kubeconfig = kubeconfig.map(|p| match p.strip_prefix("~") {
        Ok(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or(p),
        Err(_) => p,
    });
    if let Some(p) = &kubeconfig {
        if !p.is_file() {
            return Err(Error::config(
                f("kubeconfig"),
                format!("{} does not exist or is not a file (k3s writes /etc/rancher/k3s/k3s.yaml on its servers)", p.display()),
            ));
        }
    }
    Ok(Some(provisio_k8s::Target {
        kubeconfig,
        context,
        timeout: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn env_only_makes_a_default_cluster() {
        let env = env_of(&[
            ("PROVISIO_PVE_URL", "https://pve:8006/api2/json"),
            ("PROVISIO_PVE_TOKEN_ID", "a@pve!t"),
            ("PROVISIO_PVE_TOKEN_SECRET", "s"),
            (
                "PROVISIO_PVE_FINGERPRINT",
                "abababababababababababababababababababababababababababababababab",
            ),
        ]);
        let c = Config::from_file(ConfigFile::default(), None, &env).unwrap();
        let d = c.cluster(None).unwrap();
        assert_eq!(d.name, "default");
        assert_eq!(d.url, "https://pve:8006");
        assert!(matches!(&d.tls, Tls::Pinned { fingerprint } if fingerprint.starts_with("AB:AB:")));
        assert!(
            !format!("{d:?}").contains("\"s\""),
            "secret must not be in Debug"
        );
    }

    #[test]
    fn file_with_several_clusters_and_env_secret() {
        let text = r#"
default_cluster = "lab"
[clusters.lab]
url = "https://a:8006"
token_id = "p@pve!x"
token_secret_env = "LAB_SECRET"
insecure = true
[clusters.prod]
url = "https://b:8006"
username = "root"
password_env = "PROD_PW"
"#;
        let file: ConfigFile = toml::from_str(text).unwrap();
        let env = env_of(&[("LAB_SECRET", "s1"), ("PROD_PW", "pw")]);
        let c = Config::from_file(file, None, &env).unwrap();
        assert_eq!(c.cluster(None).unwrap().name, "lab");
        assert_eq!(c.cluster(None).unwrap().tls, Tls::Insecure);
        let p = c.cluster(Some("prod")).unwrap();
        assert!(matches!(&p.auth, Auth::Ticket { username, .. } if username == "root@pam"));
        let e = c.cluster(Some("nope")).unwrap_err().to_string();
        assert!(e.contains("lab, prod"), "{e}");
    }

    #[test]
    fn errors_name_the_field() {
        let bad: std::result::Result<ConfigFile, _> = toml::from_str("[clusters.a]\nurll = \"x\"");
        assert!(bad.unwrap_err().to_string().contains("url"));
        let file: ConfigFile = toml::from_str(
            "[clusters.a]\nurl = \"https://a:8006\"\ntoken_id = \"nobang\"\ntoken_secret=\"s\"",
        )
        .unwrap();
        let e = Config::from_file(file, None, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("clusters.a.token_id") && e.contains("user@realm!tokenid"),
            "{e}"
        );
        let file: ConfigFile =
            toml::from_str("[clusters.a]\nurl = \"https://a:8006\"\ntoken_id = \"a@pve!t\"\ntoken_secret=\"s\"\nfingerprint=\"zz\"").unwrap();
        let e = Config::from_file(file, None, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("clusters.a.fingerprint"), "{e}");
        let e = Config::from_file(ConfigFile::default(), None, &|_| None)
            .unwrap()
            .cluster(None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("PROVISIO_PVE_URL"), "{e}");
    }

    #[test]
    fn knowledge_section_and_its_overrides() {
        let none = env_of(&[]);
        let c = Config::from_file(ConfigFile::default(), None, &none).unwrap();
        assert_eq!(c.knowledge.store, StoreKind::Embedded);
        assert_eq!(c.knowledge.qdrant_collection, "provisio-docs");
        let file: ConfigFile = toml::from_str(
            "[knowledge]\nstore = \"qdrant\"\nqdrant_url = \"http://q:6334\"\nqdrant_collection = \"docs-v9\"",
        )
        .unwrap();
        let c = Config::from_file(file, None, &none).unwrap();
        assert_eq!(
            (c.knowledge.store, c.knowledge.qdrant_url.as_deref()),
            (StoreKind::Qdrant, Some("http://q:6334"))
        );
        let c = Config::from_file(
            ConfigFile::default(),
            None,
            &env_of(&[
                ("PROVISIO_STORE", "qdrant"),
                ("QDRANT_URL", "http://other:6334"),
                ("PROVISIO_QDRANT_COLLECTION", "team-docs"),
            ]),
        )
        .unwrap();
        assert_eq!(c.knowledge.qdrant_url.as_deref(), Some("http://other:6334"));
        assert_eq!(c.knowledge.qdrant_collection, "team-docs");
        // Errors name the field.
        let e = Config::from_file(
            ConfigFile::default(),
            None,
            &env_of(&[("PROVISIO_STORE", "milvus")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("PROVISIO_STORE"), "{e}");
        let file: ConfigFile = toml::from_str("[knowledge]\nstore = \"qdrant\"").unwrap();
        let e = Config::from_file(file, None, &none)
            .unwrap_err()
            .to_string();
        assert!(e.contains("knowledge.qdrant_url"), "{e}");
        let bad: std::result::Result<ConfigFile, _> =
            toml::from_str("[knowledge]\nqdrant_api_key = \"x\"");
        assert!(bad.unwrap_err().to_string().contains("qdrant_api_key"));
    }

    #[test]
    fn apply_section_and_its_overrides() {
        let none = env_of(&[]);
        let file: ConfigFile =
            toml::from_str("[apply]\napproval = \"operator\"\napproval_ttl_secs = 60").unwrap();
        let c = Config::from_file(file, None, &none).unwrap();
        assert_eq!(c.apply.approval, ApprovalPolicy::Operator);
        assert_eq!(
            (c.apply.approval_ttl_secs, c.apply.task_timeout_secs),
            (60, 600)
        );
        let c = Config::from_file(
            ConfigFile::default(),
            None,
            &env_of(&[
                ("PROVISIO_APPROVAL", "operator"),
                ("PROVISIO_TASK_TIMEOUT_SECS", "30"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (c.apply.approval, c.apply.task_timeout_secs),
            (ApprovalPolicy::Operator, 30)
        );
        let e = Config::from_file(
            ConfigFile::default(),
            None,
            &env_of(&[("PROVISIO_APPROVAL", "yolo")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("PROVISIO_APPROVAL"), "{e}");
        let bad: std::result::Result<ConfigFile, _> =
            toml::from_str("[apply]\napprovall = \"operator\"");
        assert!(bad.unwrap_err().to_string().contains("approvall"));
        let file: ConfigFile = toml::from_str("[apply]\napproval_ttl_secs = 0").unwrap();
        assert!(Config::from_file(file, None, &none)
            .unwrap_err()
            .to_string()
            .contains("apply.approval_ttl_secs"));
    }

    #[test]
    fn approval_page_settings() {
        let file: ConfigFile = toml::from_str(
            "[apply]\napproval = \"page\"\npage = \"remote\"\npage_listen = \"127.0.0.1:8766\"\npage_url = \"https://provisio.lab:8765\"",
        )
        .unwrap();
        let c = Config::from_file(file, None, &env_of(&[])).unwrap();
        assert_eq!(c.apply.approval, ApprovalPolicy::Page);
        assert_eq!(c.apply.page, PageAccess::Remote);
        assert_eq!(c.apply.page_listen, Some("127.0.0.1:8766".parse().unwrap()));
        let c = Config::from_file(
            ConfigFile::default(),
            None,
            &env_of(&[("PROVISIO_APPROVAL_PAGE", "off")]),
        )
        .unwrap();
        assert_eq!(c.apply.page, PageAccess::Off);
        for (env, field) in [
            (
                env_of(&[("PROVISIO_APPROVAL_PAGE", "public")]),
                "PROVISIO_APPROVAL_PAGE",
            ),
            (
                env_of(&[("PROVISIO_APPROVAL_PAGE_LISTEN", "localhost")]),
                "PROVISIO_APPROVAL_PAGE_LISTEN",
            ),
            (
                env_of(&[("PROVISIO_APPROVAL_PAGE_URL", "provisio.lab")]),
                "apply.page_url",
            ),
        ] {
            let e = Config::from_file(ConfigFile::default(), None, &env)
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{e}");
        }
    }
}
