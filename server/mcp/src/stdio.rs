//! The stdio transport, with JSON-RPC's framing errors answered. rmcp skips a line it cannot
//! read; JSON-RPC 2.0 wants a reply with id `null`: -32700 (parse error) for a line that is not
//! JSON, -32600 (invalid request) for JSON that is not a request object. Lines are checked here,
//! before rmcp sees them, and the replies are written between rmcp's whole lines on stdout.
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The reply to one incoming line that rmcp would drop, if it is one.
pub fn framing_error(line: &[u8]) -> Option<Value> {
    let v: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            return Some(reply(
                Value::Null,
                -32700,
                format!("parse error: the line is not JSON ({e})"),
            ))
        }
    };
    let Some(obj) = v.as_object() else {
        // Batches were removed from MCP (2025-06-18); anything else is no request.
        return Some(reply(
            Value::Null,
            -32600,
            "invalid request: expected one JSON-RPC message object".into(),
        ));
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(reply(
            id,
            -32600,
            "invalid request: `jsonrpc` must be \"2.0\"".into(),
        ));
    }
    let is_message = obj.get("method").is_some_and(Value::is_string)
        || (obj.contains_key("id") && (obj.contains_key("result") || obj.contains_key("error")));
    if obj
        .get("params")
        .is_some_and(|p| !p.is_object() && !p.is_array())
    {
        // JSON-RPC: params, when present, are an object or an array.
        return Some(reply(
            id,
            -32600,
            "invalid request: `params` must be an object".into(),
        ));
    }
    if !is_message {
        return Some(reply(
            id,
            -32600,
            "invalid request: a request needs a string `method`".into(),
        ));
    }
    None
}

fn reply(id: Value, code: i64, message: String) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Copy `input` to `to_server` line by line, answering framing errors on `errors` instead.
async fn pump_in<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    input: R,
    mut to_server: W,
    errors: mpsc::UnboundedSender<Value>,
) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).await? == 0 {
            break;
        }
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        match framing_error(trimmed) {
            Some(err) => {
                tracing::warn!(error = %err["error"]["message"], "unreadable JSON-RPC line answered");
                let _ = errors.send(err);
            }
            None => {
                to_server.write_all(trimmed).await?;
                to_server.write_all(b"\n").await?;
                to_server.flush().await?;
            }
        }
    }
    to_server.shutdown().await
}

/// Copy the server's lines and the framing replies to `output`, one whole line at a time.
async fn pump_out<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    from_server: R,
    mut output: W,
    mut errors: mpsc::UnboundedReceiver<Value>,
) -> std::io::Result<()> {
    let mut from_server = BufReader::new(from_server);
    let mut line = Vec::new();
    let mut errors_open = true;
    loop {
        tokio::select! {
            n = from_server.read_until(b'\n', &mut line) => {
                if n? == 0 {
                    break;
                }
                output.write_all(&line).await?;
                output.flush().await?;
                line.clear();
            }
            e = errors.recv(), if errors_open => match e {
                Some(v) => {
                    output.write_all(v.to_string().as_bytes()).await?;
                    output.write_all(b"\n").await?;
                    output.flush().await?;
                }
                None => errors_open = false,
            },
        }
    }
    Ok(())
}

/// Run `serve` over `input`/`output` with framing errors answered. `serve` gets the transport
/// rmcp reads and writes.
pub async fn with_framing_errors<R, W, F, Fut>(input: R, output: W, serve: F) -> Result<(), String>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(tokio::io::DuplexStream, tokio::io::DuplexStream) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    const PIPE: usize = 1 << 20;
    let (in_ours, in_server) = tokio::io::duplex(PIPE);
    let (out_ours, out_server) = tokio::io::duplex(PIPE);
    let (tx, rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(pump_in(input, in_ours, tx));
    let writer = tokio::spawn(pump_out(out_ours, output, rx));
    let served = serve(in_server, out_server).await;
    // The server is done: its output pipe closed, so the writer ends after the last line.
    let _ = writer.await;
    reader.abort();
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_errors_follow_json_rpc() {
        let e = framing_error(b"{not json").expect("parse error");
        assert_eq!(e["error"]["code"], -32700);
        assert_eq!(e["id"], Value::Null);
        let e = framing_error(b"[1, 2]").expect("not an object");
        assert_eq!(e["error"]["code"], -32600);
        let e =
            framing_error(br#"{"jsonrpc": "1.0", "id": 7, "method": "ping"}"#).expect("version");
        assert_eq!(
            (e["error"]["code"].clone(), e["id"].clone()),
            (json!(-32600), json!(7))
        );
        let e = framing_error(br#"{"jsonrpc": "2.0", "id": 3}"#).expect("no method");
        assert_eq!(e["error"]["code"], -32600);
        assert!(framing_error(br#"{"jsonrpc": "2.0", "id": 1, "method": "ping"}"#).is_none());
        assert!(
            framing_error(br#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#)
                .is_none()
        );
        assert!(framing_error(br#"{"jsonrpc": "2.0", "id": 1, "result": {}}"#).is_none());
        let e =
            framing_error(br#"{"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": "x"}"#)
                .expect("params not an object");
        assert_eq!(
            (e["error"]["code"].clone(), e["id"].clone()),
            (json!(-32600), json!(4))
        );
    }
}
