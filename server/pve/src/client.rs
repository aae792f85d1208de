//! The PVE API client. Requests are values ([`ApiRequest`]); [`PveClient`] adds authentication,
//! retries (idempotent GETs only) and error mapping, and sends them through a [`Transport`]
//! that tests can swap. [`HttpTransport`] is the real one: reqwest with rustls.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::config::{Auth, ClusterConfig, Tls};
use crate::error::{hint_for, Error, Result};
use crate::tls::{self, SeenCert};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// One API call as a value: method, path under `/api2/json`, query and form parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
}

impl ApiRequest {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            form: Vec::new(),
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::Get, path)
    }
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::Post, path)
    }
    pub fn query(mut self, k: &str, v: impl ToString) -> Self {
        self.query.push((k.to_string(), v.to_string()));
        self
    }
    pub fn form(mut self, k: &str, v: impl ToString) -> Self {
        self.form.push((k.to_string(), v.to_string()));
        self
    }
}

/// What goes over the wire. Headers may hold secrets: `Debug` redacts them.
#[derive(Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// The reason phrase when the server sent its own (PVE puts its error message there).
    pub reason: Option<String>,
    pub body: Vec<u8>,
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone)]
pub enum TransportFailure {
    Connect(String),
    Timeout(String),
    Tls {
        message: String,
        seen_fingerprint: Option<String>,
    },
    Other(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request. Swap it in tests.
pub trait Transport: Send + Sync {
    fn send(
        &self,
        req: HttpRequest,
    ) -> BoxFuture<'_, std::result::Result<HttpResponse, TransportFailure>>;
    /// SHA-256 fingerprint of the certificate the server presented last, if known.
    fn seen_fingerprint(&self) -> Option<String> {
        None
    }
}

/// reqwest + rustls.
pub struct HttpTransport {
    client: reqwest::Client,
    seen: SeenCert,
}

impl HttpTransport {
    pub fn new(tls: &Tls, timeout: Duration) -> Result<Self> {
        let (cfg, seen) = tls::client_config(tls)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(cfg)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(16)
            .user_agent(concat!("provisio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Tls {
                message: format!("cannot build the HTTP client: {e}"),
                seen_fingerprint: None,
            })?;
        Ok(HttpTransport { client, seen })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

impl Transport for HttpTransport {
    fn send(
        &self,
        req: HttpRequest,
    ) -> BoxFuture<'_, std::result::Result<HttpResponse, TransportFailure>> {
        Box::pin(async move {
            let method = match req.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Put => reqwest::Method::PUT,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut b = self.client.request(method, &req.url);
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            if !req.form.is_empty() {
                b = b.form(&req.form);
            }
            let resp = b.send().await.map_err(|e| {
                let chain = error_chain(&e);
                let lower = chain.to_ascii_lowercase();
                if lower.contains("certificate")
                    || lower.contains("invalidcertificate")
                    || lower.contains("tls handshake")
                {
                    TransportFailure::Tls {
                        message: chain,
                        seen_fingerprint: self.seen.get(),
                    }
                } else if e.is_timeout() {
                    TransportFailure::Timeout(chain)
                } else if e.is_connect() {
                    TransportFailure::Connect(chain)
                } else {
                    TransportFailure::Other(chain)
                }
            })?;
            let status = resp.status().as_u16();
            let reason = resp
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
            let body = resp.bytes().await.map_err(|e| {
                if e.is_timeout() {
                    TransportFailure::Timeout(error_chain(&e))
                } else {
                    TransportFailure::Other(error_chain(&e))
                }
            })?;
            Ok(HttpResponse {
                status,
                reason,
                body: body.to_vec(),
            })
        })
    }

    fn seen_fingerprint(&self) -> Option<String> {
        self.seen.get()
    }
}

#[derive(Debug, Clone)]
struct Ticket {
    cookie: String,
    csrf: String,
}

/// A client for one cluster.
pub struct PveClient {
    cluster: ClusterConfig,
    transport: Arc<dyn Transport>,
    ticket: tokio::sync::Mutex<Option<Ticket>>,
}

impl std::fmt::Debug for PveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PveClient")
            .field("cluster", &self.cluster.name)
            .field("url", &self.cluster.url)
            .finish()
    }
}

/// Percent-encoding of a form or query value (RFC 3986 unreserved characters kept); PVE also
/// expects `sshkeys` values encoded this way.
pub fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Encode each path segment (node names, storage ids, UPIDs with `:`).
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let mut out = String::new();
            for b in seg.bytes() {
                match b {
                    b'A'..=b'Z'
                    | b'a'..=b'z'
                    | b'0'..=b'9'
                    | b'-'
                    | b'_'
                    | b'.'
                    | b'~'
                    | b':'
                    | b'@'
                    | b'!' => out.push(b as char),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl PveClient {
    /// A client over HTTPS for this cluster.
    pub fn connect(cluster: &ClusterConfig) -> Result<Self> {
        let t = HttpTransport::new(&cluster.tls, cluster.timeout)?;
        Ok(Self::with_transport(cluster.clone(), Arc::new(t)))
    }

    pub fn with_transport(cluster: ClusterConfig, transport: Arc<dyn Transport>) -> Self {
        PveClient {
            cluster,
            transport,
            ticket: tokio::sync::Mutex::new(None),
        }
    }

    pub fn cluster(&self) -> &ClusterConfig {
        &self.cluster
    }

    pub fn seen_fingerprint(&self) -> Option<String> {
        self.transport.seen_fingerprint()
    }

    /// The HTTP request for an API request (before authentication headers).
    pub fn http_request(&self, req: &ApiRequest) -> HttpRequest {
        let mut url = format!("{}/api2/json{}", self.cluster.url, encode_path(&req.path));
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(
                &req.query
                    .iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        HttpRequest {
            method: req.method,
            url,
            headers: Vec::new(),
            form: req.form.clone(),
        }
    }

    async fn login(&self) -> Result<Ticket> {
        let Auth::Ticket { username, password } = &self.cluster.auth else {
            return Err(Error::config(
                "auth",
                "login() needs username/password auth",
            ));
        };
        let req = ApiRequest::post("/access/ticket")
            .form("username", username)
            .form("password", password.expose());
        let http = self.http_request(&req);
        let resp = self.send_once("POST", &req.path, http).await?;
        if resp.status != 200 {
            return Err(self.api_error(&req, &resp));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&resp.body).map_err(|e| Error::Decode {
                path: req.path.clone(),
                message: e.to_string(),
            })?;
        let d = &v["data"];
        if d.get("NeedTFA")
            .is_some_and(|x| x.as_i64() == Some(1) || x.as_bool() == Some(true))
        {
            return Err(Error::config(
                "username",
                "this user has two-factor authentication: use an API token instead (token_id + token_secret_env)",
            ));
        }
        match (d["ticket"].as_str(), d["CSRFPreventionToken"].as_str()) {
            (Some(t), Some(c)) => Ok(Ticket {
                cookie: t.to_string(),
                csrf: c.to_string(),
            }),
            _ => Err(Error::Decode {
                path: req.path,
                message: "no ticket in the answer".into(),
            }),
        }
    }

    async fn send_once(
        &self,
        method: &'static str,
        path: &str,
        http: HttpRequest,
    ) -> Result<HttpResponse> {
        let t = Instant::now();
        let r = self.transport.send(http).await;
        match &r {
            Ok(resp) => {
                tracing::debug!(cluster = %self.cluster.name, method, path, status = resp.status, ms = t.elapsed().as_secs_f64() * 1e3, "pve request")
            }
            Err(e) => {
                tracing::debug!(cluster = %self.cluster.name, method, path, error = ?e, "pve request failed")
            }
        }
        r.map_err(|f| self.transport_error(f))
    }

    fn transport_error(&self, f: TransportFailure) -> Error {
        let url = self.cluster.url.clone();
        match f {
            TransportFailure::Tls { message, seen_fingerprint } => Error::Tls {
                message: format!("{url}: {message}"),
                seen_fingerprint,
            },
            TransportFailure::Connect(m) => Error::Transport {
                hint: Some(if m.to_ascii_lowercase().contains("refused") {
                    "connection refused: check the URL and port (PVE listens on 8006) and that pveproxy runs on the node".into()
                } else if m.contains("dns") || m.contains("resolve") {
                    "the host name does not resolve: check the URL".into()
                } else {
                    "check the URL, the network path and any firewall to port 8006".into()
                }),
                url,
                message: m,
            },
            TransportFailure::Timeout(m) => Error::Transport {
                url,
                message: format!("timed out after {:?}: {m}", self.cluster.timeout),
                hint: Some("the API is slow or unreachable; raise `timeout_secs` (PROVISIO_PVE_TIMEOUT) if the cluster is just slow".into()),
            },
            TransportFailure::Other(m) => Error::Transport { url, message: m, hint: None },
        }
    }

    fn api_error(&self, req: &ApiRequest, resp: &HttpResponse) -> Error {
        let body: serde_json::Value =
            serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
        let mut message = body["message"]
            .as_str()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| resp.reason.clone())
            .unwrap_or_else(|| {
                let s = String::from_utf8_lossy(&resp.body);
                let s = s.trim();
                if s.is_empty() || s.starts_with('{') || s.starts_with('<') {
                    format!("HTTP {}", resp.status)
                } else {
                    s.chars().take(300).collect()
                }
            });
        if let Some(errs) = body["errors"].as_object() {
            let fields: Vec<String> = errs
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or(&v.to_string()).trim()))
                .collect();
            message = format!("{message} {}", fields.join("; "));
        }
        Error::Api {
            method: req.method.as_str(),
            path: req.path.clone(),
            status: resp.status,
            hint: hint_for(resp.status, &message, self.cluster.auth.token_id()),
            message,
        }
    }

    /// Send one API request; returns its `data`.
    pub async fn call(&self, req: &ApiRequest) -> Result<serde_json::Value> {
        let idempotent = req.method == Method::Get;
        let attempts = if idempotent {
            1 + self.cluster.retries
        } else {
            1
        };
        let mut relogged = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut http = self.http_request(req);
            match &self.cluster.auth {
                Auth::Token { id, secret } => http.headers.push((
                    "Authorization".into(),
                    format!("PVEAPIToken={id}={}", secret.expose()),
                )),
                Auth::Ticket { .. } => {
                    let mut g = self.ticket.lock().await;
                    if g.is_none() {
                        *g = Some(self.login().await?);
                    }
                    if let Some(t) = g.as_ref() {
                        http.headers
                            .push(("Cookie".into(), format!("PVEAuthCookie={}", t.cookie)));
                        if req.method != Method::Get {
                            http.headers
                                .push(("CSRFPreventionToken".into(), t.csrf.clone()));
                        }
                    }
                }
            }
            let r = self.send_once(req.method.as_str(), &req.path, http).await;
            let retryable = match &r {
                Err(Error::Transport { .. }) => true,
                Ok(resp) => matches!(resp.status, 502..=504),
                _ => false,
            };
            if retryable && attempt < attempts {
                let wait = Duration::from_millis(100 * (1 << (attempt - 1)).min(8));
                tracing::debug!(path = %req.path, attempt, "retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                continue;
            }
            let resp = r?;
            if resp.status == 401 && matches!(self.cluster.auth, Auth::Ticket { .. }) && !relogged {
                // The ticket expired (2 h): log in again once.
                relogged = true;
                *self.ticket.lock().await = None;
                attempt -= 1;
                continue;
            }
            if !(200..300).contains(&resp.status) {
                return Err(self.api_error(req, &resp));
            }
            let mut v: serde_json::Value =
                serde_json::from_slice(&resp.body).map_err(|e| Error::Decode {
                    path: req.path.clone(),
                    message: e.to_string(),
                })?;
            return Ok(v
                .get_mut("data")
                .map(serde_json::Value::take)
                .unwrap_or_default());
        }
    }

    /// GET a path and decode its `data`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(&ApiRequest::get(path)).await
    }

    /// Send a request and decode its `data`.
    pub async fn request<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T> {
        let v = self.call(req).await?;
        serde_json::from_value(v).map_err(|e| Error::Decode {
            path: req.path.clone(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::sync::Mutex;

    /// A transport that answers from a script and records what it was sent.
    struct Scripted {
        answers: Mutex<Vec<std::result::Result<HttpResponse, TransportFailure>>>,
        sent: Mutex<Vec<HttpRequest>>,
    }

    impl Transport for Scripted {
        fn send(
            &self,
            req: HttpRequest,
        ) -> BoxFuture<'_, std::result::Result<HttpResponse, TransportFailure>> {
            self.sent.lock().unwrap().push(req);
            let a = self.answers.lock().unwrap().remove(0);
            Box::pin(async move { a })
        }
    }

    fn ok(body: &str) -> std::result::Result<HttpResponse, TransportFailure> {
        Ok(HttpResponse {
            status: 200,
            reason: None,
            body: body.as_bytes().to_vec(),
        })
    }

    fn cluster(auth: Auth) -> ClusterConfig {
        ClusterConfig {
            name: "t".into(),
            url: "https://pve:8006".into(),
            auth,
            tls: Tls::Insecure,
            timeout: Duration::from_secs(1),
            retries: 2,
            facts: Default::default(),
            kube: None,
        }
    }

    fn token() -> Auth {
        Auth::Token {
            id: "a@pve!t".into(),
            secret: Secret::new("sec"),
        }
    }

    #[tokio::test]
    async fn get_retries_then_succeeds_and_post_does_not_retry() {
        let t = Arc::new(Scripted {
            answers: Mutex::new(vec![
                Err(TransportFailure::Connect("refused".into())),
                Ok(HttpResponse {
                    status: 503,
                    reason: None,
                    body: vec![],
                }),
                ok(r#"{"data":[1,2]}"#),
                Err(TransportFailure::Timeout("slow".into())),
            ]),
            sent: Mutex::new(vec![]),
        });
        let c = PveClient::with_transport(cluster(token()), t.clone());
        let v: Vec<u32> = c.get("/nodes").await.unwrap();
        assert_eq!(v, vec![1, 2]);
        assert_eq!(t.sent.lock().unwrap().len(), 3);
        let e = c
            .call(&ApiRequest::post("/pools").form("poolid", "x"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e}");
        assert_eq!(t.sent.lock().unwrap().len(), 4, "POST must not be retried");
        let sent = t.sent.lock().unwrap();
        assert_eq!(sent[0].url, "https://pve:8006/api2/json/nodes");
        assert!(sent[0]
            .headers
            .iter()
            .any(|(k, v)| k == "Authorization" && v == "PVEAPIToken=a@pve!t=sec"));
        assert!(
            !format!("{:?}", sent[0]).contains("sec"),
            "Debug must not show secrets"
        );
    }

    #[tokio::test]
    async fn errors_carry_pve_message_and_hint() {
        let t = Arc::new(Scripted {
            answers: Mutex::new(vec![Ok(HttpResponse {
                status: 403,
                reason: Some("Permission check failed (/vms/100, VM.Audit)".into()),
                body: br#"{"data":null}"#.to_vec(),
            })]),
            sent: Mutex::new(vec![]),
        });
        let c = PveClient::with_transport(cluster(token()), t);
        let e = c
            .call(&ApiRequest::get("/nodes/pve/qemu/100/config"))
            .await
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("HTTP 403") && s.contains("VM.Audit") && s.contains("privilege separation"),
            "{s}"
        );
        assert!(
            s.contains("pveum acl modify /vms/100 --tokens 'a@pve!t'"),
            "{s}"
        );
    }

    #[tokio::test]
    async fn ticket_login_and_csrf_on_writes() {
        let t = Arc::new(Scripted {
            answers: Mutex::new(vec![
                ok(r#"{"data":{"ticket":"PVE:x","CSRFPreventionToken":"C1"}}"#),
                ok(r#"{"data":null}"#),
                ok(r#"{"data":"v"}"#),
            ]),
            sent: Mutex::new(vec![]),
        });
        let c = PveClient::with_transport(
            cluster(Auth::Ticket {
                username: "root@pam".into(),
                password: Secret::new("pw"),
            }),
            t.clone(),
        );
        c.call(&ApiRequest::post("/pools").form("poolid", "p"))
            .await
            .unwrap();
        let v: String = c.get("/version").await.unwrap();
        assert_eq!(v, "v");
        let sent = t.sent.lock().unwrap();
        assert_eq!(sent.len(), 3, "one login for both calls");
        assert!(sent[0].url.ends_with("/access/ticket"));
        assert!(sent[1]
            .headers
            .iter()
            .any(|(k, v)| k == "CSRFPreventionToken" && v == "C1"));
        assert!(
            !sent[2]
                .headers
                .iter()
                .any(|(k, _)| k == "CSRFPreventionToken"),
            "no CSRF on GET"
        );
    }
}
