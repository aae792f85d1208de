"""The README's client snippets, taken from README.md as written, checked with the real clients
where they install here (npm, pinned in scripts/test.sh): Claude Code's and Gemini CLI's
`mcp list` must show provisio connected, over stdio and over HTTP. The MCP Inspector's checks
are in test_inspector.py.
"""
import json
import os
import pathlib
import re
import subprocess

import pytest
from labutil import TOKEN

ROOT = pathlib.Path(__file__).resolve().parents[2]


def readme_snippet(after: str) -> dict:
    """The first ```json block after the line that contains `after`."""
    text = (ROOT / "README.md").read_text()
    i = text.index(after)
    m = re.search(r"```json\n(.*?)\n```", text[i:], re.S)
    assert m, f"no JSON snippet after {after!r}"
    return json.loads(m.group(1))


def client(name: str) -> str:
    path = os.environ.get(f"PROVISIO_{name.upper()}_CLI")
    if not path:
        if os.environ.get("PROVISIO_REQUIRE_CLIENTS") == "1":
            pytest.fail(f"PROVISIO_{name.upper()}_CLI is not set")
        pytest.skip(f"PROVISIO_{name.upper()}_CLI is not set; scripts/test.sh installs {name}")
    return path


def use_binary(cfg: dict, bin_path: str, data_dir: str) -> dict:
    """The snippet with the installed binary's path and the test's data directory."""
    for servers in cfg.values():
        for s in servers.values():
            if s.get("command") == "provisio":
                s["command"] = bin_path
                s["args"] = ["--data-dir", data_dir, *s["args"]]
    return cfg


def mcp_list(cli: str, home: pathlib.Path, project: pathlib.Path) -> str:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "NO_COLOR": "1", "CI": "1"}
    r = subprocess.run([cli, "mcp", "list"], cwd=project, env=env, capture_output=True,
                       text=True, timeout=120)
    return r.stdout + r.stderr


def fresh(tmp_path, name):
    home, project = tmp_path / f"{name}-home", tmp_path / f"{name}-project"
    home.mkdir()
    project.mkdir()
    # Gemini CLI starts a project's MCP servers only in a folder the user trusts.
    (home / ".gemini").mkdir()
    (home / ".gemini" / "trustedFolders.json").write_text(json.dumps({str(project): "TRUST_FOLDER"}))
    return home, project


def test_claude_code_stdio(bin_path, data_dir, tmp_path):
    cli = client("claude")
    home, project = fresh(tmp_path, "claude")
    cfg = use_binary(readme_snippet("**Claude Code**"), bin_path, data_dir)
    # The same entry as user configuration (a project's .mcp.json first needs the user's
    # approval in the interactive client).
    (home / ".claude.json").write_text(json.dumps(cfg))
    out = mcp_list(cli, home, project)
    assert re.search(r"provisio:.*Connected", out), out


def test_claude_code_http(http_server, tmp_path):
    cli = client("claude")
    home, project = fresh(tmp_path, "claude-http")
    cfg = readme_snippet("**Over HTTP**")
    entry = cfg["mcpServers"]["provisio"]
    assert entry["type"] == "http"
    entry["url"] = http_server
    entry["headers"]["Authorization"] = f"Bearer {TOKEN}"
    (home / ".claude.json").write_text(json.dumps(cfg))
    out = mcp_list(cli, home, project)
    assert re.search(r"provisio:.*Connected", out), out


def test_gemini_cli_stdio(bin_path, data_dir, tmp_path):
    cli = client("gemini")
    home, project = fresh(tmp_path, "gemini")
    cfg = use_binary(readme_snippet("**Gemini CLI**"), bin_path, data_dir)
    (project / ".gemini").mkdir()
    (project / ".gemini" / "settings.json").write_text(json.dumps(cfg))
    out = mcp_list(cli, home, project)
    assert re.search(r"provisio.*Connected", out), out


def test_gemini_cli_http(http_server, tmp_path):
    cli = client("gemini")
    home, project = fresh(tmp_path, "gemini-http")
    # The README: Gemini CLI takes "httpUrl" instead of "type" and "url".
    entry = readme_snippet("**Over HTTP**")["mcpServers"]["provisio"]
    gem = {"httpUrl": http_server, "headers": {"Authorization": f"Bearer {TOKEN}"}}
    assert set(entry) == {"type", "url", "headers"}
    (project / ".gemini").mkdir()
    (project / ".gemini" / "settings.json").write_text(json.dumps({"mcpServers": {"provisio": gem}}))
    out = mcp_list(cli, home, project)
    assert re.search(r"provisio.*Connected", out), out
