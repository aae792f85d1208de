//! The stdio transport, with JSON-RPC's framing errors answered. rmcp skips a line it cannot
//! read; JSON-RPC 2.0 wants a reply with id `null`: -32700 (parse error) for a line that is not
//! JSON, -32600 (invalid request) for JSON that is not a request object. Lines are checked here,
//! before rmcp sees them, and the replies are written between rmcp's whole lines on stdout.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Notify};

/// Requests passed to the server and responses it wrote: at the end of input the server's
/// input stays open until every request is answered (a client that writes its requests and
/// closes stdin still gets every reply).
#[derive(Default)]
struct Pending {
    sent: AtomicUsize,
    answered: AtomicUsize,
    changed: Notify,
}

/// How long the end of input waits for the server's last replies.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether a line is a request (a method and an id) or a response (an id, no method).
fn kind(line: &[u8]) -> (bool, bool) {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(line) else {
        return (false, false);
    };
    let has_id = o.get("id").is_some_and(|i| !i.is_null());
    let method = o.contains_key("method");
    (has_id && method, has_id && !method)
}

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
    pending: Arc<Pending>,
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
                if kind(trimmed).0 {
                    pending.sent.fetch_add(1, Ordering::SeqCst);
                }
                to_server.write_all(trimmed).await?;
                to_server.write_all(b"\n").await?;
                to_server.flush().await?;
            }
        }
    }
    // End of input: let the server answer what it was asked before it sees the end.
    let deadline = tokio::time::Instant::now() + DRAIN;
    loop {
        let changed = pending.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if pending.answered.load(Ordering::SeqCst) >= pending.sent.load(Ordering::SeqCst) {
            break;
        }
        if tokio::time::timeout_at(deadline, changed).await.is_err() {
            tracing::warn!("input ended with requests unanswered after {DRAIN:?}");
            break;
        }
    }
    to_server.shutdown().await
}

/// Copy the server's lines and the framing replies to `output`, one whole line at a time.
async fn pump_out<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    from_server: R,
    mut output: W,
    mut errors: mpsc::UnboundedReceiver<Value>,
    pending: Arc<Pending>,
) -> std::io::Result<()> {
    let mut from_server = BufReader::new(from_server);
    let mut line = Vec::new();
    let mut errors_open = true;
    loop {
        tokio::select! {
            n = from_server.read_until(b'\n', &mut line) => {
                if n? == 0 {
                    // The server is done; framing replies still queued go out too.
                    while let Ok(v) = errors.try_recv() {
                        output.write_all(v.to_string().as_bytes()).await?;
                        output.write_all(b"\n").await?;
                    }
                    output.flush().await?;
                    break;
                }
                output.write_all(&line).await?;
                output.flush().await?;
                if kind(line.trim_ascii()).1 {
                    pending.answered.fetch_add(1, Ordering::SeqCst);
                    pending.changed.notify_waiters();
                }
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
    let pending = Arc::new(Pending::default());
    let reader = tokio::spawn(pump_in(input, in_ours, tx, pending.clone()));
    let writer = tokio::spawn(pump_out(out_ours, output, rx, pending));
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

#[cfg(test)]
mod drain_tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A client that writes its requests and closes its input still gets every reply, from a
    /// server that stops at the end of its input (as rmcp does), and every framing reply.
    #[tokio::test]
    async fn end_of_input_waits_for_replies_and_keeps_framing_errors() {
        let input = std::io::Cursor::new(
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n{oops\n[1]\n".to_vec(),
        );
        let (mut client, server_stdout) = tokio::io::duplex(1 << 16);
        let served = with_framing_errors(input, server_stdout, |r, mut w| async move {
            let mut lines = BufReader::new(r).lines();
            let mut asked: Vec<Value> = Vec::new();
            loop {
                tokio::select! {
                    l = lines.next_line() => match l {
                        Ok(Some(l)) => asked.push(serde_json::from_str(&l).map_err(|e| e.to_string())?),
                        _ => break, // end of input: unanswered requests are dropped
                    },
                    _ = tokio::time::sleep(std::time::Duration::from_millis(100)), if !asked.is_empty() => {
                        for v in asked.drain(..) {
                            let r = json!({"jsonrpc": "2.0", "id": v["id"], "result": {}});
                            w.write_all(format!("{r}\n").as_bytes()).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
            }
            Ok(())
        });
        let (served, out) = tokio::join!(served, async {
            let mut s = String::new();
            client.read_to_string(&mut s).await.map(|_| s)
        });
        served.expect("served");
        let replies: Vec<Value> = out
            .expect("output")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert!(
            replies
                .iter()
                .any(|r| r["id"] == 1 && r.get("result").is_some()),
            "{replies:?}"
        );
        let mut codes: Vec<i64> = replies
            .iter()
            .filter_map(|r| r["error"]["code"].as_i64())
            .collect();
        codes.sort();
        assert_eq!(codes, vec![-32700, -32600], "{replies:?}");
    }
}
