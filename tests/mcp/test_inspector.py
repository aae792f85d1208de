"""MCP Inspector CLI (npm @modelcontextprotocol/inspector, pinned in scripts/test.sh) as a second,
independent MCP client: tools/list, prompts/list, resources/list and tools/call over stdio, and
tools/list over streamable HTTP with a bearer token."""
import json
import os
import subprocess

import pytest

from labutil import TOKEN, pve_env


def inspector():
    path = os.environ.get("PROVISIO_INSPECTOR")
    if not path:
        if os.environ.get("PROVISIO_REQUIRE_INSPECTOR") == "1":
            pytest.fail("PROVISIO_REQUIRE_INSPECTOR=1 but PROVISIO_INSPECTOR is not set")
        pytest.skip("PROVISIO_INSPECTOR (path to mcp-inspector) is not set; scripts/test.sh installs it")
    return path


def run(args, env):
    r = subprocess.run([inspector(), "--cli", *args], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:] + r.stdout[-2000:]
    return json.loads(r.stdout)


def stdio(bin_path, data_dir, lab, *method):
    env = pve_env(lab)
    # The Inspector passes -e variables to the server it spawns.
    evars = []
    for k in ("PROVISIO_PVE_URL", "PROVISIO_PVE_TOKEN_ID", "PROVISIO_PVE_TOKEN_SECRET",
              "PROVISIO_PVE_FINGERPRINT", "XDG_CONFIG_HOME"):
        evars += ["-e", f"{k}={env[k]}"]
    return run([*evars, bin_path, "--data-dir", data_dir, "serve", *method], env)


def test_inspector_over_stdio(bin_path, data_dir, fakelab):
    tools = stdio(bin_path, data_dir, fakelab, "--method", "tools/list")["tools"]
    assert sorted(t["name"] for t in tools) == ["cluster_state", "lint_manifest", "search_docs"]
    assert all("outputSchema" in t and t["annotations"]["readOnlyHint"] for t in tools)
    prompts = stdio(bin_path, data_dir, fakelab, "--method", "prompts/list")["prompts"]
    assert sorted(p["name"] for p in prompts) == ["analyser", "builder", "collector", "provision_vm"]
    res = stdio(bin_path, data_dir, fakelab, "--method", "resources/list")["resources"]
    assert [r["uri"] for r in res] == ["provisio://clusters/default/summary"]
    out = stdio(bin_path, data_dir, fakelab, "--method", "tools/call", "--tool-name", "cluster_state",
                "--tool-arg", "view=templates")
    assert not out.get("isError")
    assert out["structuredContent"]["templates"][0]["name"] == "k3s-template"
    out = stdio(bin_path, data_dir, fakelab, "--method", "tools/call", "--tool-name", "search_docs",
                "--tool-arg", "query=pm_tls_insecure", "k=2")
    assert out["structuredContent"]["hits"][0]["path"] == "lab-tf/provider.md"


def test_inspector_over_http(http_server, fakelab):
    out = run(["--transport", "http", "--server-url", http_server, "--header",
               f"Authorization: Bearer {TOKEN}", "--method", "tools/list"], os.environ.copy())
    assert sorted(t["name"] for t in out["tools"]) == ["cluster_state", "lint_manifest", "search_docs"]


def test_inspector_apply_mode_denies_without_a_human(bin_path, data_dir, fakelab):
    """In mode `apply` the Inspector CLI (no approval dialog) sees apply_plan with honest
    annotations; a preview works; apply with the handle is denied until a human approves."""
    tools = stdio(bin_path, data_dir, fakelab, "--mode", "apply", "--method", "tools/list")["tools"]
    ap = next(t for t in tools if t["name"] == "apply_plan")
    assert ap["annotations"]["destructiveHint"] is True and ap["annotations"]["readOnlyHint"] is False
    # The Inspector CLI exits non-zero on an isError result and prints it.
    env = pve_env(fakelab)
    evars = []
    for k in ("PROVISIO_PVE_URL", "PROVISIO_PVE_TOKEN_ID", "PROVISIO_PVE_TOKEN_SECRET", "PROVISIO_PVE_FINGERPRINT", "XDG_CONFIG_HOME"):
        evars += ["-e", f"{k}={env[k]}"]
    r = subprocess.run([inspector(), "--cli", *evars, bin_path, "--data-dir", data_dir, "serve", "--mode", "apply",
                        "--method", "tools/call", "--tool-name", "apply_plan", "--tool-arg", "action=apply",
                        "approval=ap-0123456789abcdef01234567"], capture_output=True, text=True, env=env, timeout=120)
    out = r.stdout
    starts = [i for i in range(len(out)) if out[i] == "{" and (i == 0 or out[i - 1] == "\n")]
    result = None
    for i in starts:
        try:
            cand = json.loads(out[i:])
        except ValueError:
            continue
        if "content" in cand:
            result = cand
            break
    assert result is not None, out + r.stderr
    assert result["isError"] is True and "forged" in result["content"][0]["text"], r.stdout


def test_inspector_strict_finds_no_schema_portability_problem(bin_path, data_dir):
    """`--strict` reports each tool-schema portability problem (nullable type arrays among
    them) on stderr; every tool of every mode is listed without one."""
    r = subprocess.run([inspector(), "--cli", "--strict", bin_path, "--data-dir", data_dir,
                        "serve", "--mode", "apply", "--method", "tools/list"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(json.loads(r.stdout)["tools"]) == 5
    assert "Path:" not in r.stderr and "Warning" not in r.stderr, r.stderr[:2000]
    assert '"null"' not in r.stdout
