//! Streamable HTTP transport at `/mcp`: bearer-token auth (required off loopback, optional on
//! it), Host and Origin validation (403 on a bad Origin), and a request body limit.
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::{Mode, ProvisioServer, Shared};

/// HTTP listener settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub listen: SocketAddr,
    /// Bearer token clients must send; generated when listening off loopback without one.
    pub token: Option<String>,
    /// Extra allowed browser origins (`scheme://host:port`); loopback origins on any port are
    /// always allowed.
    pub allowed_origins: Vec<String>,
    /// Extra allowed `Host` values (loopback names are always allowed).
    pub allowed_hosts: Vec<String>,
    pub max_body_bytes: usize,
}

/// A random token (32 bytes from the OS, hex).
pub fn generate_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

#[derive(Clone)]
struct Auth {
    token: Option<Arc<str>>,
}

async fn check_bearer(State(auth): State<Auth>, req: Request, next: Next) -> Response {
    // Only the MCP endpoint is protected. Other paths, the OAuth discovery documents
    // (`/.well-known/oauth-protected-resource`, `/.well-known/oauth-authorization-server`)
    // among them, answer 404: this server offers no OAuth, and a 401 there sends clients into
    // dynamic client registration.
    let path = req.uri().path();
    let protected = path == "/mcp" || path.starts_with("/mcp/");
    if let (true, Some(token)) = (protected, &auth.token) {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes()));
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token",
            )
                .into_response();
        }
    }
    next.run(req).await
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token that will be enforced for these options (generated if needed). Returns the token
/// and whether it was generated (so the caller prints it once).
pub fn effective_token(opts: &HttpOptions) -> std::io::Result<(Option<String>, bool)> {
    match &opts.token {
        Some(t) => Ok((Some(t.clone()), false)),
        None if !opts.listen.ip().is_loopback() => Ok((Some(generate_token()?), true)),
        None => Ok((None, false)),
    }
}

/// Build the axum router for `/mcp`.
pub fn router(
    shared: Arc<Shared>,
    mode: Mode,
    opts: &HttpOptions,
    token: Option<String>,
) -> axum::Router {
    let page_shared = shared.clone();
    let mut cfg = StreamableHttpServerConfig::default();
    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "[::1]".to_string(),
    ];
    hosts.push(opts.listen.ip().to_string());
    hosts.extend(opts.allowed_hosts.iter().cloned());
    cfg.allowed_hosts = hosts;
    let mut origins = vec![
        "http://localhost:*".to_string(),
        "http://127.0.0.1:*".to_string(),
        "https://localhost:*".to_string(),
        "https://127.0.0.1:*".to_string(),
    ];
    origins.extend(opts.allowed_origins.iter().cloned());
    cfg.allowed_origins = origins;
    cfg.max_request_body_bytes = opts.max_body_bytes;
    let service: StreamableHttpService<ProvisioServer, LocalSessionManager> =
        StreamableHttpService::new(
            move || Ok(ProvisioServer::new(shared.clone(), mode)),
            Default::default(),
            cfg,
        );
    let auth = Auth {
        token: token.map(Arc::from),
    };
    let mut app = axum::Router::new().nest_service("/mcp", service);
    // The approval page shares this listener (its own checks: loopback or the operator token,
    // the page secret, CSRF and Origin).
    if mode == Mode::Apply && page_shared.page.enabled() {
        app = app.merge(crate::page::router(page_shared));
    }
    app.layer(axum::middleware::from_fn_with_state(auth, check_bearer))
}

/// Serve until Ctrl-C.
pub async fn serve(
    shared: Arc<Shared>,
    mode: Mode,
    opts: HttpOptions,
    token: Option<String>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    shared
        .page
        .set_base(format!("http://{}", crate::page::display_addr(addr)));
    shared.page.set_operator_token_if_unset(token.clone());
    let app = router(shared, mode, &opts, token);
    tracing::info!(%addr, "listening (streamable HTTP at /mcp)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
