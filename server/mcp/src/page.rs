//! The approval page: a human approves or denies a previewed change set in a browser, for
//! clients that cannot show an approval dialog. Plain HTML forms, no JavaScript.
//!
//! - `GET /approve/{id}?s=SECRET` shows the change set step by step, its digest, what is checked
//!   again before apply, the expiry, the drafted manifests and their lint summary, and a form
//!   with an explicit Approve and Deny.
//! - `POST /approve/{id}` records the decision (`approved/ID.json` or `denied/ID.json`, the
//!   same files `provisio approve` writes) and an audit record with the method, the remote
//!   address and the user agent.
//!
//! The per-approval secret is minted at preview, kept only as a SHA-256 in memory, and given to
//! the human out of band: in a URL-mode elicitation (the client opens it; the model never sees
//! it) and on the server's terminal (stderr). Tool results carry the page's address without
//! it. Each form carries a CSRF token: single use, bound to the digest, expiring. The page
//! answers loopback clients only unless `[apply] page = "remote"`, which then needs HTTP Basic
//! authentication with the operator token. Over HTTP the page shares the MCP listener; over
//! stdio a loopback listener starts on the first preview.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use provisio_apply::approval::{now_unix, valid_id, Decision};
use provisio_apply::changeset::{sha256_hex, Expect};
use provisio_apply::Pending;
use provisio_pve::PageAccess;
use serde::Deserialize;

use crate::Shared;

/// The method recorded for approvals made here.
pub const METHOD: &str = "web page";

/// Longest life of one form's CSRF token (also bounded by the handle's expiry).
const CSRF_TTL_SECS: u64 = 600;

/// What the page shows besides the change set: the drafted files and their lint summary.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub manifests: Vec<(String, String)>,
    /// `0 errors, 1 warning` and one line per finding.
    pub lint: Option<(String, Vec<String>)>,
    /// Why the manifests are missing, when they are.
    pub note: Option<String>,
}

struct Csrf {
    token: String,
    digest: String,
    expires_unix: u64,
}

struct Entry {
    /// One secret per delivery (the terminal, each URL-mode elicitation).
    secret_shas: Vec<String>,
    expires_unix: u64,
    csrf: Option<Csrf>,
    details: Details,
}

/// Where to reach a handle's page.
#[derive(Debug, Clone)]
pub struct Link {
    /// Without the secret: safe to show the model.
    pub address: String,
    /// With the secret: only for the human (URL-mode elicitation, the server's terminal).
    pub with_secret: String,
}

/// The page's state in a server process.
pub struct ApprovalPage {
    access: PageAccess,
    listen: SocketAddr,
    public_url: Option<String>,
    base: Mutex<Option<String>>,
    operator_token: Mutex<Option<String>>,
    start: tokio::sync::Mutex<()>,
    entries: Mutex<HashMap<String, Entry>>,
}

/// 32 bytes from the OS, hex (the same source as the HTTP bearer token).
fn random_hex() -> Option<String> {
    match crate::http::generate_token() {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::error!(error = %e, "no system randomness for the approval page");
            None
        }
    }
}

impl ApprovalPage {
    pub fn new(settings: &provisio_pve::ApplySettings) -> Self {
        ApprovalPage {
            access: settings.page,
            listen: settings
                .page_listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            public_url: settings
                .page_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            base: Mutex::new(None),
            operator_token: Mutex::new(None),
            start: tokio::sync::Mutex::new(()),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.access != PageAccess::Off
    }

    /// The page is served at this base (`http://127.0.0.1:8765`); the configured `page_url`
    /// wins for what the operator is shown.
    pub fn set_base(&self, base: String) {
        *self.base.lock().unwrap_or_else(|p| p.into_inner()) = Some(base);
    }

    /// The password remote browsers must give (HTTP Basic), when `page = "remote"`.
    pub fn set_operator_token(&self, token: Option<String>) {
        *self
            .operator_token
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = token;
    }

    /// The HTTP bearer token serves as operator token unless one was set.
    pub fn set_operator_token_if_unset(&self, token: Option<String>) {
        let mut g = self
            .operator_token
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            *g = token;
        }
    }

    fn shown_base(&self) -> Option<String> {
        self.public_url
            .clone()
            .or_else(|| self.base.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Register a minted handle: a fresh secret, the page details. Returns where the page is.
    pub fn register(&self, p: &Pending, details: Details) -> Option<Link> {
        if !self.enabled() {
            return None;
        }
        let base = self.shown_base()?;
        let secret = random_hex()?;
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Forget pages whose handles expired an hour ago (the page still explains "expired"
        // for a while).
        let now = now_unix();
        g.retain(|_, e| e.expires_unix + 3600 > now);
        g.insert(
            p.id.clone(),
            Entry {
                secret_shas: vec![sha256_hex(secret.as_bytes())],
                expires_unix: p.expires_unix,
                csrf: None,
                details,
            },
        );
        let address = format!("{base}/approve/{}", p.id);
        Some(Link {
            with_secret: format!("{address}?s={secret}"),
            address,
        })
    }

    /// A further secret for a registered handle (for a URL-mode elicitation): the page's
    /// address with it.
    pub fn register_again(&self, p: &Pending) -> Option<String> {
        let base = self.shown_base()?;
        let secret = random_hex()?;
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = g.get_mut(&p.id)?;
        e.secret_shas.push(sha256_hex(secret.as_bytes()));
        Some(format!("{base}/approve/{}?s={secret}", p.id))
    }

    /// The address (without the secret) of a registered handle's page.
    pub fn address(&self, id: &str) -> Option<String> {
        let known = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id);
        known
            .then(|| self.shown_base())
            .flatten()
            .map(|b| format!("{b}/approve/{id}"))
    }

    fn secret_ok(&self, id: &str, given: Option<&str>) -> bool {
        let g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match (g.get(id), given) {
            (Some(e), Some(s)) => {
                let given = sha256_hex(s.as_bytes());
                e.secret_shas.iter().fold(false, |ok, h| {
                    ok | crate::http::constant_time_eq(given.as_bytes(), h.as_bytes())
                })
            }
            _ => false,
        }
    }

    fn known(&self, id: &str) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    /// A new CSRF token for a form about `p` (replaces the previous one of this handle).
    fn mint_csrf(&self, p: &Pending) -> Option<String> {
        let token = random_hex()?;
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = g.get_mut(&p.id) {
            e.csrf = Some(Csrf {
                token: token.clone(),
                digest: p.digest.clone(),
                expires_unix: (now_unix() + CSRF_TTL_SECS).min(p.expires_unix),
            });
        }
        Some(token)
    }

    /// Take the handle's CSRF token if `token` is it, for `digest`, unexpired (single use).
    fn take_csrf(&self, id: &str, token: &str, digest: &str) -> Result<(), &'static str> {
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(e) = g.get_mut(id) else {
            return Err("unknown handle");
        };
        let Some(c) = &e.csrf else {
            return Err("the form's CSRF token was already used");
        };
        if !crate::http::constant_time_eq(c.token.as_bytes(), token.as_bytes()) {
            return Err("the form's CSRF token is wrong");
        }
        if c.digest != digest {
            return Err("the form was for another change set");
        }
        if now_unix() > c.expires_unix {
            e.csrf = None;
            return Err("the form's CSRF token expired");
        }
        e.csrf = None;
        Ok(())
    }

    fn details(&self, id: &str) -> Details {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|e| e.details.clone())
            .unwrap_or_default()
    }
}

/// Start the page's own loopback listener (stdio transport) unless the page already has one.
pub async fn ensure_listener(shared: &Arc<Shared>) -> std::io::Result<()> {
    let page = &shared.page;
    if !page.enabled() {
        return Ok(());
    }
    let _g = page.start.lock().await;
    if page
        .base
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some()
    {
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(page.listen).await?;
    let addr = listener.local_addr()?;
    page.set_base(format!("http://{}", display_addr(addr)));
    tracing::info!(%addr, "approval page listening");
    let app = router(shared.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        {
            tracing::warn!(error = %e, "approval page listener stopped");
        }
    });
    Ok(())
}

/// `127.0.0.1:8765` for a listen address (a wildcard address shows as loopback).
pub fn display_addr(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() {
        if addr.is_ipv4() {
            "127.0.0.1".to_string()
        } else {
            "[::1]".to_string()
        }
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    format!("{ip}:{}", addr.port())
}

/// The routes of the page (state: the server's shared state).
pub fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route("/approve/{id}", axum::routing::get(show).post(decide))
        .with_state(shared)
}

/// Wait until a human decided on `p` (page, CLI), up to `timeout`.
pub async fn wait_decision(shared: &Shared, p: &Pending, timeout: Duration) -> Option<Decision> {
    let until = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(d) = shared.apply.approvals.decision(p) {
            return Some(d);
        }
        if tokio::time::Instant::now() >= until || now_unix() > p.expires_unix {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    s: Option<String>,
}

#[derive(Deserialize)]
struct DecideForm {
    s: Option<String>,
    csrf: Option<String>,
    digest: Option<String>,
    decision: Option<String>,
}

fn loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Who may reach the page: loopback, or remote with the operator token; and the Host header
/// must name this page (no DNS rebinding).
fn guard(page: &ApprovalPage, remote: SocketAddr, headers: &HeaderMap) -> Result<(), Response> {
    if !page.enabled() {
        return Err((StatusCode::NOT_FOUND, "the approval page is off").into_response());
    }
    if remote.ip().is_loopback() {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let host_ok = loopback_host(host)
            || page
                .public_url
                .as_deref()
                .and_then(host_of)
                .is_some_and(|h| h.eq_ignore_ascii_case(host));
        if !host_ok {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "Wrong host",
                &format!(
                    "This page does not answer for host `{host}`. Open the address the server printed."
                ),
            ));
        }
        return Ok(());
    }
    match page.access {
        PageAccess::Remote => {
            let want = page
                .operator_token
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Basic "))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.split_once(':').map(|(_, p)| p.to_string()));
            match (want, given) {
                (Some(w), Some(g)) if crate::http::constant_time_eq(w.as_bytes(), g.as_bytes()) => {
                    Ok(())
                }
                (None, _) => Err(refusal(
                    StatusCode::FORBIDDEN,
                    "No operator token",
                    "The page allows remote browsers only with an operator token: set PROVISIO_OPERATOR_TOKEN (or serve over HTTP with a bearer token).",
                )),
                _ => Err((
                    StatusCode::UNAUTHORIZED,
                    [(
                        header::WWW_AUTHENTICATE,
                        "Basic realm=\"provisio approvals\", charset=\"UTF-8\"",
                    )],
                    "operator token required (any user name; the token as password)",
                )
                    .into_response()),
            }
        }
        _ => Err(refusal(
            StatusCode::FORBIDDEN,
            "Loopback only",
            "This approval page answers browsers on the server's machine only. The operator can allow others with `[apply] page = \"remote\"` and an operator token.",
        )),
    }
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// `Referrer-Policy: same-origin`: the address (with its secret) never leaves in a Referer, and
/// the browser still names this page's origin on the form's POST (`no-referrer` would make it
/// `Origin: null`).
fn with_headers(status: StatusCode, body: Markup) -> Response {
    let mut r = (status, axum::response::Html(body.into_string())).into_response();
    let h = r.headers_mut();
    for (k, v) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

fn refusal(status: StatusCode, title: &str, why: &str) -> Response {
    with_headers(
        status,
        layout(
            title,
            html! {
                p class="refused" { (why) }
            },
        ),
    )
}

fn audit_refusal(shared: &Shared, id: &str, remote: SocketAddr, headers: &HeaderMap, why: &str) {
    let _ = shared.apply.audit.append(
        &format!("browser {}", remote.ip()),
        "page.refused",
        serde_json::json!({"handle": id, "reason": why, "method": METHOD, "remote": remote.to_string(), "user_agent": user_agent(headers)}),
    );
}

/// The change set a page request is for, once its secret is right and it still waits for a
/// decision; otherwise the refusal to answer (a wrong secret is audited).
fn open_change_set(
    shared: &Shared,
    id: &str,
    secret: Option<&str>,
    remote: SocketAddr,
    headers: &HeaderMap,
    secret_hint: &str,
) -> Result<Pending, Response> {
    if !shared.page.secret_ok(id, secret) {
        audit_refusal(shared, id, remote, headers, "wrong or missing page secret");
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "Secret missing or wrong",
            secret_hint,
        ));
    }
    let p = shared
        .apply
        .approvals
        .pending(id)
        .map_err(|e| refusal(StatusCode::GONE, "Not open for approval", &e.to_string()))?;
    if let Some(d) = shared.apply.approvals.decision(&p) {
        return Err(refusal(
            StatusCode::CONFLICT,
            "Already decided",
            &decided(&d),
        ));
    }
    Ok(p)
}

async fn show(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
    headers: HeaderMap,
) -> Response {
    let page = &shared.page;
    if let Err(r) = guard(page, remote, &headers) {
        return r;
    }
    if !valid_id(&id) || !page.known(&id) {
        return refusal(
            StatusCode::NOT_FOUND,
            "Unknown change set",
            "No change set with this handle waits for approval on this server.",
        );
    }
    let p = match open_change_set(
        &shared,
        &id,
        q.s.as_deref(),
        remote,
        &headers,
        "Open the full address: the server printed it on its terminal (or log), and a client that supports it opened it for you. The address the model shows has no secret on purpose.",
    ) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(csrf) = page.mint_csrf(&p) else {
        return refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness",
            "The server could not make a form token; see its log.",
        );
    };
    let secret = q.s.unwrap_or_default();
    with_headers(
        StatusCode::OK,
        change_set_page(&p, &page.details(&id), &secret, &csrf),
    )
}

fn decided(d: &Decision) -> String {
    match d {
        Decision::Approved { by, method } => format!("Approved by {by} ({method})."),
        Decision::Denied { by, method } => format!("Denied by {by} ({method})."),
    }
}

async fn decide(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<DecideForm>,
) -> Response {
    let page = &shared.page;
    if let Err(r) = guard(page, remote, &headers) {
        return r;
    }
    if !valid_id(&id) || !page.known(&id) {
        return refusal(
            StatusCode::NOT_FOUND,
            "Unknown change set",
            "No change set with this handle waits for approval on this server.",
        );
    }
    // Cross-site form posts: the browser names the page that sent the form.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let own = |o: &str| {
        host_of(o).is_some_and(|h| h.eq_ignore_ascii_case(host))
            || page
                .public_url
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(o))
    };
    if !own(origin) {
        audit_refusal(
            &shared,
            &id,
            remote,
            &headers,
            &format!("foreign Origin `{origin}`"),
        );
        return refusal(
            StatusCode::FORBIDDEN,
            "Foreign origin",
            &format!(
                "The form was sent from `{origin}`, not from this page. Nothing was recorded."
            ),
        );
    }
    let p = match open_change_set(
        &shared,
        &id,
        f.s.as_deref(),
        remote,
        &headers,
        "Nothing was recorded. Open the full address the server printed.",
    ) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let approve = match f.decision.as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "No decision",
                "The form must say `approve` or `deny`. Nothing was recorded.",
            )
        }
    };
    let digest = f.digest.unwrap_or_default();
    if let Err(why) = page.take_csrf(&id, f.csrf.as_deref().unwrap_or(""), &digest) {
        audit_refusal(&shared, &id, remote, &headers, why);
        return refusal(
            StatusCode::FORBIDDEN,
            "Form refused",
            &format!("{why}. Nothing was recorded: reload the page and decide again."),
        );
    }
    if digest != p.digest {
        return refusal(
            StatusCode::CONFLICT,
            "Change set differs",
            "The form was for another change set. Nothing was recorded.",
        );
    }
    let by = format!("operator in a browser at {}", remote.ip());
    let (result, event, verb) = if approve {
        (
            shared.apply.approvals.approve_via(&id, &by, METHOD),
            "approved.page",
            "Approved",
        )
    } else {
        (
            shared.apply.approvals.deny_via(&id, &by, METHOD),
            "denied.page",
            "Denied",
        )
    };
    if let Err(e) = result {
        return refusal(StatusCode::GONE, "Not recorded", &e.to_string());
    }
    let _ = shared.apply.audit.append(
        &by,
        event,
        serde_json::json!({"handle": id, "digest": p.digest, "method": METHOD, "remote": remote.to_string(), "user_agent": user_agent(&headers)}),
    );
    tracing::info!(handle = %id, decision = verb, %remote, "approval page decision");
    let next = if verb == "Approved" {
        "The client can now apply this change set (a client waiting on this page continues by itself). The approval holds for this exact digest only."
    } else {
        "The change set will not be applied. Revise the plan and preview again."
    };
    with_headers(
        StatusCode::OK,
        layout(
            verb,
            html! {
                p class=(if verb == "Approved" { "ok" } else { "refused" }) id="outcome" {
                    (verb) " change set " code { (id) } " (digest " code { (&p.digest[..12]) } ")."
                }
                p { (next) }
            },
        ),
    )
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#1d2125}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccd;padding-bottom:.2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f2f4f8}code,pre{font:13px/1.35 ui-monospace,monospace}pre{background:#f6f8fa;border:1px solid #dde;padding:.6em;overflow:auto;max-height:30em}.digest{word-break:break-all}.ok{color:#12632a;font-weight:600}.refused{color:#9b1c1c;font-weight:600}.warn{color:#8a5a00}form{margin-top:1.5em;padding:1em;border:2px solid #ccd;background:#fafbfd}button{font-size:1em;padding:.45em 1.2em;margin-right:1em;cursor:pointer}button.approve{background:#1f7a3a;color:#fff;border:1px solid #145a29}button.deny{background:#fff;color:#9b1c1c;border:1px solid #9b1c1c}.meta td:first-child{width:11em;font-weight:600}#steps td{overflow-wrap:anywhere}#steps td:nth-child(2){min-width:14em}summary{cursor:pointer;margin:.3em 0}";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { "provisio: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                (body)
            }
        }
    }
}

fn expect_text(e: &Expect) -> String {
    match e {
        Expect::Quorate => "the cluster is quorate".into(),
        Expect::NodeOnline { node } => format!("node {node} is online"),
        Expect::Template { vmid, node } => format!("template {vmid} is on node {node}"),
        Expect::VmidFree { vmid, vm } => {
            format!("VMID {vmid} is free (or holds this plan's {vm} from an interrupted apply)")
        }
        Expect::OursExists { vmid, vm } => {
            format!("VMID {vmid} exists and carries this plan's marker for {vm}")
        }
    }
}

fn utc(unix: u64) -> String {
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn change_set_page(p: &Pending, details: &Details, secret: &str, csrf: &str) -> Markup {
    let cs = &p.change_set;
    let left = p.expires_unix.saturating_sub(now_unix());
    layout(
        &format!("Approve change set for plan {}", cs.plan),
        html! {
            table class="meta" {
                tr { td { "Handle" } td { code { (p.id) } } }
                tr { td { "Cluster" } td { (cs.cluster) } }
                tr { td { "Purpose" } td { (cs.purpose) } }
                tr { td { "Digest (SHA-256)" } td class="digest" { code id="digest" { (p.digest) } } }
                tr { td { "Expires" } td { (utc(p.expires_unix)) " (in " (left / 60) " min " (left % 60) " s)" } }
                @if !cs.resumed.is_empty() {
                    tr { td { "Resumed" } td {
                        @for (vm, vmid) in &cs.resumed { (vm) " keeps VMID " (vmid) " from an interrupted apply. " }
                    } }
                }
                @if !cs.secret_env.is_empty() {
                    tr { td { "Secrets" } td { "read at apply time from " @for (i, v) in cs.secret_env.iter().enumerate() { @if i > 0 { ", " } code { (v) } } " (never shown)" } }
                }
            }
            h2 { "Steps (" (cs.steps.len()) ")" }
            table id="steps" {
                tr { th { "#" } th { "Step" } th { "API call" } th { "Parameters" } }
                @for (i, s) in cs.steps.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        td { (s.summary) }
                        td { code { (s.method) " " (s.path) } }
                        td { @for (k, v) in &s.params { code { (k) "=" (v) } br; } }
                    }
                }
            }
            h2 { "Checked again before apply" }
            ul id="expects" {
                @for e in &cs.expects { li { (expect_text(e)) } }
                li { "the change set still has digest " code { (&p.digest[..12]) } "; any difference in the live state stops the apply before the first step" }
            }
            @if !details.manifests.is_empty() {
                h2 { "Drafted manifests" }
                @for (path, content) in &details.manifests {
                    details class="manifest" {
                        summary { code { (path) } " (" (content.lines().count()) " lines)" }
                        pre { (content) }
                    }
                }
            }
            @if let Some(note) = &details.note { p class="warn" { (note) } }
            @if let Some((summary, lines)) = &details.lint {
                h2 { "Lint" }
                p id="lint" { (summary) }
                @if !lines.is_empty() { ul { @for l in lines { li { code { (l) } } } } }
            }
            form method="post" action={ "/approve/" (p.id) } {
                input type="hidden" name="s" value=(secret);
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="digest" value=(p.digest);
                p { "Approve exactly this change set? The model cannot approve it for you." }
                button class="approve" type="submit" name="decision" value="approve" id="approve" { "Approve" }
                button class="deny" type="submit" name="decision" value="deny" id="deny" { "Deny" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_000_000), "2026-11-30 00:53:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn hosts() {
        assert!(loopback_host("127.0.0.1:8765"));
        assert!(loopback_host("localhost"));
        assert!(loopback_host("[::1]:9"));
        assert!(!loopback_host("evil.example:8765"));
        assert!(!loopback_host("127.0.0.1.evil.example"));
        assert_eq!(host_of("http://127.0.0.1:5/x"), Some("127.0.0.1:5"));
    }

    fn pending() -> Pending {
        let digest = "ab".repeat(32);
        Pending {
            id: "ap-0123456789abcdef01234567".into(),
            digest: digest.clone(),
            created_unix: now_unix(),
            expires_unix: now_unix() + 900,
            change_set: provisio_apply::ChangeSet {
                plan: "p".into(),
                cluster: "c".into(),
                purpose: "apply".into(),
                digest,
                steps: vec![],
                expects: vec![],
                resumed: Default::default(),
                secret_env: vec![],
            },
        }
    }

    fn page() -> ApprovalPage {
        let p = ApprovalPage::new(&provisio_pve::ApplySettings::default());
        p.set_base("http://127.0.0.1:9".into());
        p
    }

    #[test]
    fn secrets_are_per_delivery_and_never_in_the_address() {
        let page = page();
        let p = pending();
        let link = page.register(&p, Details::default()).unwrap();
        let secret = link.with_secret.split("?s=").nth(1).unwrap().to_string();
        assert_eq!(
            link.address,
            "http://127.0.0.1:9/approve/ap-0123456789abcdef01234567"
        );
        assert!(!link.address.contains(&secret));
        assert_eq!(page.address(&p.id).as_deref(), Some(link.address.as_str()));
        assert!(page.secret_ok(&p.id, Some(&secret)));
        assert!(!page.secret_ok(&p.id, Some(&"0".repeat(64))));
        assert!(!page.secret_ok(&p.id, None));
        assert!(!page.secret_ok("ap-ffffffffffffffffffffffff", Some(&secret)));
        let again = page.register_again(&p).unwrap();
        let second = again.split("?s=").nth(1).unwrap();
        assert_ne!(second, secret);
        assert!(page.secret_ok(&p.id, Some(second)) && page.secret_ok(&p.id, Some(&secret)));
    }

    #[test]
    fn csrf_tokens_are_single_use_and_bound_to_the_digest() {
        let page = page();
        let p = pending();
        page.register(&p, Details::default()).unwrap();
        let t = page.mint_csrf(&p).unwrap();
        assert_eq!(
            page.take_csrf(&p.id, "nope", &p.digest),
            Err("the form's CSRF token is wrong")
        );
        assert_eq!(
            page.take_csrf(&p.id, &t, &"cd".repeat(32)),
            Err("the form was for another change set")
        );
        assert_eq!(page.take_csrf(&p.id, &t, &p.digest), Ok(()));
        assert_eq!(
            page.take_csrf(&p.id, &t, &p.digest),
            Err("the form's CSRF token was already used")
        );
        // A reload replaces the token: the older one no longer works.
        let a = page.mint_csrf(&p).unwrap();
        let b = page.mint_csrf(&p).unwrap();
        assert!(page.take_csrf(&p.id, &a, &p.digest).is_err());
        assert_eq!(page.take_csrf(&p.id, &b, &p.digest), Ok(()));
    }

    #[test]
    fn an_off_page_registers_nothing() {
        let settings = provisio_pve::ApplySettings {
            page: PageAccess::Off,
            ..Default::default()
        };
        let page = ApprovalPage::new(&settings);
        page.set_base("http://127.0.0.1:9".into());
        assert!(page.register(&pending(), Details::default()).is_none());
    }

    #[test]
    fn page_url_wins_for_what_the_operator_sees() {
        let settings = provisio_pve::ApplySettings {
            page_url: Some("https://provisio.lab:8765/".into()),
            ..Default::default()
        };
        let page = ApprovalPage::new(&settings);
        page.set_base("http://127.0.0.1:9".into());
        let link = page.register(&pending(), Details::default()).unwrap();
        assert!(link
            .address
            .starts_with("https://provisio.lab:8765/approve/ap-"));
    }

    #[test]
    fn wildcard_listen_shows_loopback() {
        assert_eq!(
            display_addr("0.0.0.0:8765".parse().unwrap()),
            "127.0.0.1:8765"
        );
        assert_eq!(display_addr("[::1]:5".parse().unwrap()), "[::1]:5");
    }
}
