"""`provisio serve` driven by the official MCP Python SDK, over stdio and streamable HTTP.

Checks: tools/list with output schemas and annotations, prompts/list and prompts/get,
search_docs structuredContent validated against the declared outputSchema, a bad argument
coming back as a tool result with isError, an unknown tool refused as a protocol error,
HTTP bearer auth (401) and Origin validation (403), and time to the first tools/list answer.
"""
import asyncio
import json
import os
import subprocess
import time
from contextlib import asynccontextmanager

import httpx2
import jsonschema
import pytest
from labutil import TOKEN, pve_env
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client



def dump(obj):
    return obj.model_dump(mode="json", by_alias=True, exclude_none=True)


@asynccontextmanager
async def stdio_session(bin_path, data_dir, lab, mode="read-only"):
    params = StdioServerParameters(
        command=bin_path,
        args=["--data-dir", data_dir, "serve", "--mode", mode],
        env=pve_env(lab, RUST_LOG="warn"),
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def exercise(session):
    """The same checks for every transport."""
    tools = {t.name: dump(t) for t in (await session.list_tools()).tools}
    assert sorted(tools) == ["cluster_state", "lint_manifest", "search_docs"], tools.keys()
    sd = tools["search_docs"]
    assert sd["annotations"]["readOnlyHint"] is True
    assert sd["annotations"]["destructiveHint"] is False
    assert sd["annotations"]["openWorldHint"] is False
    assert "query" in sd["inputSchema"]["properties"]
    out_schema = sd["outputSchema"]

    prompts = sorted(p.name for p in (await session.list_prompts()).prompts)
    assert prompts == ["analyser", "builder", "collector", "provision_vm"]
    p = dump(await session.get_prompt("collector", {"request": "create a webserver from template 100"}))
    texts = " ".join(m["content"]["text"] for m in p["messages"])
    assert "COLLECTOR" in texts and "template 100" in texts

    res = dump(await session.call_tool("search_docs", {"query": "pm_tls_insecure", "k": 3}))
    assert not res.get("isError")
    sc = res["structuredContent"]
    jsonschema.validate(sc, out_schema)
    assert sc["hits"][0]["path"] == "lab-tf/provider.md"
    sc_hit = sc["hits"][0]
    assert sc["hits"][0]["url"].startswith("https://")
    assert res["content"][0]["type"] == "text" and sc["hits"][0]["heading"] in res["content"][0]["text"]

    bad = dump(await session.call_tool("search_docs", {"query": "x", "k": 0}))
    assert bad["isError"] is True
    assert "`k`" in bad["content"][0]["text"]

    cs = tools["cluster_state"]
    assert cs["annotations"]["readOnlyHint"] is True and cs["annotations"]["openWorldHint"] is True
    assert "view" in cs["inputSchema"]["properties"]
    res = dump(await session.call_tool("cluster_state", {}))
    assert not res.get("isError"), res
    sc = res["structuredContent"]
    jsonschema.validate(sc, cs["outputSchema"])
    assert sc["cluster"] == "default" and sc["view"] == "summary"
    assert sc["templates"][0]["vmid"] == 100 and sc["templates"][0]["name"] == "k3s-template"
    assert sc["next_vmid"] == 102
    assert "cluster `default`" in res["content"][0]["text"]
    res = dump(await session.call_tool("cluster_state", {"view": "guests", "tag": "worker"}))
    jsonschema.validate(res["structuredContent"], cs["outputSchema"])
    assert [g["name"] for g in res["structuredContent"]["guests"]] == ["worker-node-1", "worker-node-2"]
    bad = dump(await session.call_tool("cluster_state", {"view": "guests", "limit": 0}))
    assert bad["isError"] is True and "`limit`" in bad["content"][0]["text"]
    bad = dump(await session.call_tool("cluster_state", {"cluster": "nope"}))
    assert bad["isError"] is True and "`cluster`" in bad["content"][0]["text"]

    # Resources: the cluster summary and a docs section from a search hit.
    listed = [r.uri for r in (await session.list_resources()).resources]
    assert [str(u) for u in listed] == ["provisio://clusters/default/summary"]
    templates = [t.uri_template for t in (await session.list_resource_templates()).resource_templates]
    assert "provisio://docs/{source}/{path}#{heading}" in templates
    summary = (await session.read_resource("provisio://clusters/default/summary")).contents[0]
    assert summary.mime_type == "application/json"
    assert json.loads(summary.text)["templates"][0]["name"] == "k3s-template"
    hit = sc_hit
    section = (await session.read_resource(hit["resource"])).contents[0]
    assert hit["heading"] in section.text and hit["url"].split("#")[0] in section.text
    with pytest.raises(Exception):
        await session.read_resource("provisio://docs/nope/nothing.md#x")

    # A tool outside this server's mode (draft_manifest needs mode `plan`) is refused at call
    # time as a protocol error, not only hidden from tools/list; so is an unknown tool.
    for name in ("draft_manifest", "apply_plan"):
        with pytest.raises(Exception) as refused:
            await session.call_tool(name, {"plan": {"name": "x", "items": []}})
        assert "mode" in str(refused.value) or "unknown" in str(refused.value)
    return tools


def test_plan_mode_drafts_against_the_live_lab(bin_path, data_dir, fakelab):
    plan = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "corpus", "fixtures", "plans",
                                       "webserver.json")))

    async def main():
        async with stdio_session(bin_path, data_dir, fakelab, mode="plan") as s:
            tools = {t.name: dump(t) for t in (await s.list_tools()).tools}
            assert sorted(tools) == ["cluster_state", "draft_manifest", "lint_manifest", "search_docs"]
            res = dump(await s.call_tool("draft_manifest", {"plan": plan}))
            assert not res.get("isError"), res
            sc = res["structuredContent"]
            jsonschema.validate(sc, tools["draft_manifest"]["outputSchema"])
            assert sc["questions"] == []
            decided = {d["about"]: d["value"] for d in sc["decisions"]}
            assert decided["web-1.vmid"] == "102" and decided["web-1.ipv4"] == "192.168.1.2/24"
            main_tf = next(f["content"] for f in sc["files"] if f["path"] == "main.tf")
            assert 'resource "proxmox_virtual_environment_vm" "web_1"' in main_tf
            assert fakelab["token_secret"] not in json.dumps(sc)
            # The Builder's next step: lint the drafted files against the live lab.
            res = dump(await s.call_tool("lint_manifest", {"files": sc["files"]}))
            assert not res.get("isError"), res
            jsonschema.validate(res["structuredContent"], tools["lint_manifest"]["outputSchema"])
            assert res["structuredContent"]["clean"] is True, res["structuredContent"]
            assert "against cluster `default`" in res["structuredContent"]["cluster_rules"]
            clash = [dict(f, content=f["content"].replace("vm_id     = 102", "vm_id     = 111"))
                     if f["path"] == "main.tf" else f for f in sc["files"]]
            res = dump(await s.call_tool("lint_manifest", {"files": clash}))
            codes = [f["code"] for f in res["structuredContent"]["findings"]]
            assert "PV046" in codes, res["structuredContent"]
            # terraform.tfvars gives the variables their values: an endpoint with /api2/json is
            # wrong for bpg (PV005, reported where the variable is used).
            tfvars = {"path": "terraform.tfvars",
                      "content": 'proxmox_endpoint = "https://pve1.example.internal:8006/api2/json"\n'}
            res = dump(await s.call_tool("lint_manifest", {"files": sc["files"] + [tfvars]}))
            found = [f for f in res["structuredContent"]["findings"] if f["code"] == "PV005"]
            assert found and found[0]["file"] == "providers.tf", res["structuredContent"]
            assert res["structuredContent"]["clean"] is False
            # A plan error comes back as a tool result with isError naming the field.
            bad = dict(plan, items=[dict(plan["items"][0], cores=0)])
            res = dump(await s.call_tool("draft_manifest", {"plan": bad}))
            assert res["isError"] is True and "items[0].cores" in res["content"][0]["text"]
            # A question (template 999 does not exist) is an answer, not an error.
            q = dict(plan, items=[dict(plan["items"][0], source={"type": "template", "vmid": 999})])
            res = dump(await s.call_tool("draft_manifest", {"plan": q}))
            assert not res.get("isError") and res["structuredContent"]["files"] == []
            assert res["structuredContent"]["questions"][0]["field"] == "items[0].source"
    asyncio.run(main())


def test_import_and_drift_through_the_tools(bin_path, data_dir, fakelab):
    """Issue: import and drift for MCP clients, as options of draft_manifest and lint_manifest
    (no new tools), read-only, with the answer kept small."""
    async def main():
        async with stdio_session(bin_path, data_dir, fakelab, mode="plan") as s:
            tools = {t.name: dump(t) for t in (await s.list_tools()).tools}
            assert tools["draft_manifest"]["annotations"]["readOnlyHint"] is True
            res = dump(await s.call_tool("draft_manifest", {"import": {"guests": ["101", "control-node-1"],
                                                                        "provider": "telmate"}}))
            assert not res.get("isError"), res
            sc = res["structuredContent"]
            jsonschema.validate(sc, tools["draft_manifest"]["outputSchema"])
            decided = {d["about"]: d["value"] for d in sc["decisions"]}
            assert decided == {"proxmox_vm_qemu.opnsense": "pmox01/qemu/101",
                               "proxmox_vm_qemu.control_node_1": "pmox01/qemu/111"}, decided
            assert any(f["path"] == "imports.tf" for f in sc["files"])
            res = dump(await s.call_tool("lint_manifest", {"files": sc["files"], "drift": True, "unmanaged": True}))
            assert not res.get("isError"), res
            lint = res["structuredContent"]
            jsonschema.validate(lint, tools["lint_manifest"]["outputSchema"])
            assert lint["clean"] is True, lint["findings"]
            d = lint["drift"]
            assert (d["in_sync"], d["drifted"], d["missing"]) == (2, 0, 0), d
            assert all("cluster_fields" not in g for g in d["guests"])
            assert {g["vmid"] for g in d["unmanaged"]} == {100, 103, 112, 113, 122, 123}
            assert "2 in sync, 0 drifted, 0 missing" in res["content"][0]["text"]
            # A changed manifest is drift, with the impact named.
            edited = [dict(f, content=f["content"].replace("memory             = 4096", "memory             = 6144"))
                      if f["path"] == "main.tf" else f for f in sc["files"]]
            res = dump(await s.call_tool("lint_manifest", {"files": edited, "drift": True}))
            d = res["structuredContent"]["drift"]
            assert d["drifted"] == 2, d
            assert {(x["field"], x["manifest"], x["cluster"], x["impact"])
                    for g in d["guests"] for x in g["differences"]} == {("memory", "6144", "4096", "reboot")}
            for bad, word in (({}, "neither"), ({"import": {"guests": ["nope"]}}, "nope")):
                res = dump(await s.call_tool("draft_manifest", bad))
                assert res["isError"] is True and word in res["content"][0]["text"], res
    asyncio.run(main())


def test_plan_mode_drafts_and_lints_a_k3s_inventory(bin_path, data_dir, fakelab):
    """The Builder's loop for a k3s cluster: the drafted inventory lints clean over MCP; a
    literal token written into it by hand is an error finding that never echoes the secret."""
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "corpus", "fixtures", "plans",
                             "k3s-lab.json")).read()
    text = text.replace('"ip": {"mode": "static", "cidr": "192.168.1.111/24", "gateway": "192.168.1.1"}',
                        '"ip": {"mode": "auto", "subnet": "192.168.1.0/24", "gateway": "192.168.1.1"}')
    plan = json.loads(text)
    assert plan["items"][0]["ip"]["mode"] == "auto"

    async def main():
        async with stdio_session(bin_path, data_dir, fakelab, mode="plan") as s:
            res = dump(await s.call_tool("draft_manifest", {"plan": plan}))
            assert not res.get("isError"), res
            files = res["structuredContent"]["files"]
            assert res["structuredContent"]["questions"] == []
            paths = [f["path"] for f in files]
            assert "inventory/hosts.ini" in paths and "inventory/group_vars/all.yml" in paths, paths
            res = dump(await s.call_tool("lint_manifest", {"files": files}))
            assert not res.get("isError"), res
            sc = res["structuredContent"]
            assert sc["clean"] is True, sc
            assert not any(f["code"] == "PV900" for f in sc["findings"]), sc["findings"]
            secret = "s3cr3t-join-token"
            edited = [dict(f, content="\n".join(
                f"k3s_token: {secret}" if line.startswith("k3s_token:") else line
                for line in f["content"].split("\n")))
                if f["path"].endswith("all.yml") else f for f in files]
            res = dump(await s.call_tool("lint_manifest", {"files": edited}))
            assert not res.get("isError"), res
            found = [f for f in res["structuredContent"]["findings"] if f["code"] == "PV132"]
            assert found and found[0]["file"].endswith("group_vars/all.yml"), res["structuredContent"]
            assert found[0]["severity"] == "error" and res["structuredContent"]["clean"] is False
            assert secret not in json.dumps(res)
            # The same path twice is a bad argument naming both entries, not a merged module.
            res = dump(await s.call_tool("lint_manifest", {"files": files + files[:1]}))
            assert res["isError"] is True, res
            assert f"`files[{len(files)}].path` repeats `files[0].path`" in res["content"][0]["text"], res
    asyncio.run(main())


def test_stdio_session(bin_path, data_dir, fakelab):
    async def main():
        t0 = time.monotonic()
        async with stdio_session(bin_path, data_dir, fakelab) as s:
            await s.list_tools()
            first = (time.monotonic() - t0) * 1000
            print(f"stdio: spawn + initialize + first tools/list: {first:.0f} ms")
            await exercise(s)
    asyncio.run(main())


def test_http_session(http_server):
    async def main():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            async with streamable_http_client(http_server, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    await exercise(s)
    asyncio.run(main())


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "raw", "version": "0"}}}
HDRS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_http_rejects_missing_token(http_server):
    r = httpx2.post(http_server, json=INIT, headers=HDRS)
    assert r.status_code == 401
    r = httpx2.post(http_server, json=INIT, headers={**HDRS, "Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_http_rejects_bad_origin(http_server):
    r = httpx2.post(http_server, json=INIT, headers={
        **HDRS, "Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.example"})
    assert r.status_code == 403
    ok = httpx2.post(http_server, json=INIT, headers={
        **HDRS, "Authorization": f"Bearer {TOKEN}", "Origin": "http://localhost:3000"})
    assert ok.status_code == 200


def test_fifty_concurrent_http_clients(bin_path, data_dir, monkeypatch):
    """50 MCP sessions at once over HTTP, each calling search_docs: no errors."""
    import load_http
    r = load_http.main(["--bin", bin_path, "--data-dir", data_dir, "--clients", "50", "--calls", "4"])
    assert r["errors"] == 0, r["error_samples"]
    assert r["calls"] == 200
