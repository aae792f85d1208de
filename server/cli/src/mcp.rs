//! `serve` (stdio or streamable HTTP) and `call` (one tool through the same MCP handler path,
//! over an in-process transport).
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use provisio_indexer::embed::{Embedder, FastEmbedder};
use provisio_mcp::http::{self, HttpOptions};
use provisio_mcp::{EmbedderLoader, Mode, ProvisioServer, Shared};
use rmcp::model::CallToolRequestParams;
use rmcp::ServiceExt;

use crate::paths::Paths;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Transport {
    Stdio,
    Http,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, value_enum, default_value = "stdio")]
    pub transport: Transport,
    /// Address for `--transport http` (streamable HTTP at /mcp).
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// What the server may do: read-only, plan or apply.
    #[arg(long, env = "PROVISIO_MODE", default_value = "read-only")]
    pub mode: String,
    /// Bearer token HTTP clients must send (required, and generated if absent, off loopback).
    #[arg(long, env = "PROVISIO_HTTP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Extra allowed browser Origin (`scheme://host:port`), repeatable.
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// Extra allowed Host header value, repeatable.
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// Maximum request body in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
}

#[derive(Args, Debug)]
pub struct CallArgs {
    /// Tool name, e.g. search_docs.
    pub tool: String,
    /// Arguments as a JSON object.
    #[arg(long, default_value = "{}")]
    pub args: String,
    #[arg(long, env = "PROVISIO_MODE", default_value = "read-only")]
    pub mode: String,
}

fn parse_mode(s: &str) -> Result<Mode> {
    Mode::parse(s).with_context(|| format!("--mode `{s}` is not one of read-only, plan, apply"))
}

/// The server's shared state. `page`: whether the approval page may be served (not for a
/// one-shot `call`, whose process ends with the call).
fn shared(paths: &Paths, page: bool) -> Result<Arc<Shared>> {
    let model = paths.model.clone();
    let loader: EmbedderLoader =
        Arc::new(move || Ok(Arc::new(FastEmbedder::load(&model)?) as Arc<dyn Embedder>));
    let mut pve = paths.pve_config()?;
    if !page {
        pve.apply.page = provisio_pve::PageAccess::Off;
    }
    Ok(Arc::new(Shared::with_pve(
        paths.data.clone(),
        Some(loader),
        pve,
    )))
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub fn serve(paths: &Paths, a: &ServeArgs) -> Result<ExitCode> {
    let mode = parse_mode(&a.mode)?;
    let shared = shared(paths, true)?;
    // The operator token for remote browsers on the approval page (never logged).
    shared.page.set_operator_token(
        std::env::var("PROVISIO_OPERATOR_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
    );
    let rt = runtime()?;
    match a.transport {
        Transport::Stdio => {
            rt.block_on(ProvisioServer::new(shared, mode).serve_stdio())
                .map_err(anyhow::Error::msg)?;
        }
        Transport::Http => {
            let opts = HttpOptions {
                listen: a.listen,
                token: a.token.clone(),
                allowed_origins: a.allow_origins.clone(),
                allowed_hosts: a.allow_hosts.clone(),
                max_body_bytes: a.max_body_bytes,
            };
            let (token, generated) = http::effective_token(&opts)?;
            if generated {
                if let Some(t) = &token {
                    // Printed once, to the operator's terminal (stderr), never logged.
                    eprintln!("provisio: HTTP bearer token (shown once): {t}");
                }
            }
            rt.block_on(http::serve(shared, mode, opts, token))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Run one tool through the MCP handler (same listing, mode check and validation as a client
/// gets), over an in-process duplex transport; print the structured result as JSON.
pub fn call(paths: &Paths, a: &CallArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let mode = parse_mode(&a.mode)?;
    let args: serde_json::Value =
        serde_json::from_str(&a.args).context("--args is not valid JSON")?;
    let Some(args) = args.as_object().cloned() else {
        bail!("--args must be a JSON object, e.g. '{{\"query\": \"...\"}}'");
    };
    let server = ProvisioServer::new(shared(paths, false)?, mode);
    let rt = runtime()?;
    let result = rt.block_on(async move {
        let (s, c) = tokio::io::duplex(1 << 20);
        let srv = tokio::spawn(async move {
            if let Ok(running) = server.serve(s).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(c).await.context("MCP handshake")?;
        let r = client
            .call_tool(CallToolRequestParams::new(a.tool.clone()).with_arguments(args))
            .await;
        let _ = client.cancel().await;
        srv.abort();
        anyhow::Ok(r)
    })?;
    match result {
        Ok(r) => {
            let is_error = r.is_error.unwrap_or(false);
            let v = match &r.structured_content {
                Some(v) => v.clone(),
                None => serde_json::to_value(&r.content)?,
            };
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
            Ok(if is_error {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(e) => bail!("{e}"),
    }
}
