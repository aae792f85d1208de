"""What real MCP clients tripped on, each fixed and checked here:

- JSON-RPC framing on stdio: a line that is not JSON gets -32700, a JSON value that is not a
  request -32600; the session goes on afterwards.
- A known method whose params do not parse gets -32602 (invalid params), an unknown method
  -32601.
- Over HTTP with a token, the OAuth discovery paths answer 404 (not 401), so clients do not try
  dynamic client registration; `/mcp` still needs the token.
- Logs carry no ANSI colour codes when stderr is not a terminal.
- The README's client snippets are the shapes the clients take (checked with Claude Code and
  Gemini CLI in tests/mcp/test_clients.py).
"""
import json
import subprocess

import httpx2
from labutil import TOKEN

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "raw", "version": "0"}}}


def stdio_exchange(bin_path, data_dir, lines, env=None):
    """Send raw lines to `provisio serve` over stdio; return the JSON replies and stderr."""
    p = subprocess.run(
        [bin_path, "--data-dir", data_dir, "serve"],
        input="".join(line + "\n" for line in lines),
        capture_output=True, text=True, timeout=60, env=env)
    replies = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    return replies, p.stderr


def by_id(replies):
    return {r.get("id"): r for r in replies if "id" in r}


def test_stdio_framing_errors_and_invalid_params(bin_path, data_dir):
    lines = [
        json.dumps(INIT),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        "{this is not json",
        "[1, 2, 3]",
        json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"arguments": {}}}),
        json.dumps({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": "search_docs"}),
        json.dumps({"jsonrpc": "2.0", "id": 7, "method": "no/such/method", "params": {}}),
        json.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {}}),
    ]
    replies, _ = stdio_exchange(bin_path, data_dir, lines)
    ids = by_id(replies)
    assert ids[1]["result"]["serverInfo"]["name"] == "provisio"
    nulls = [r for r in replies if r.get("id") is None and "error" in r]
    codes = sorted(r["error"]["code"] for r in nulls)
    assert codes == [-32700, -32600], replies
    assert ids[5]["error"]["code"] == -32602, ids[5]
    assert "name" in ids[5]["error"]["message"], ids[5]
    # params that are not an object make the request itself invalid (JSON-RPC 2.0).
    assert ids[6]["error"]["code"] == -32600, ids[6]
    assert ids[7]["error"]["code"] == -32601, ids[7]
    # The session survived the bad lines.
    assert {t["name"] for t in ids[8]["result"]["tools"]} >= {"search_docs", "cluster_state"}


def test_logs_have_no_colour_codes_when_not_a_terminal(bin_path, data_dir):
    env = {"RUST_LOG": "info", "PATH": "/usr/bin:/bin"}
    _, stderr = stdio_exchange(bin_path, data_dir, [json.dumps(INIT), "not json"], env=env)
    assert "unreadable JSON-RPC line" in stderr, stderr
    assert "\x1b[" not in stderr, repr(stderr[:300])


def test_oauth_discovery_is_404_not_401(http_server):
    base = http_server.rsplit("/mcp", 1)[0]
    for path in ("/.well-known/oauth-protected-resource",
                 "/.well-known/oauth-protected-resource/mcp",
                 "/.well-known/oauth-authorization-server",
                 "/.well-known/openid-configuration",
                 "/register"):
        r = httpx2.get(base + path)
        assert r.status_code == 404, (path, r.status_code)
    # The MCP endpoint itself still wants the token.
    r = httpx2.post(http_server, json=INIT, headers={
        "Accept": "application/json, text/event-stream", "Content-Type": "application/json"})
    assert r.status_code == 401
    r = httpx2.post(http_server, json=INIT, headers={
        "Accept": "application/json, text/event-stream", "Content-Type": "application/json",
        "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
