"""Fixtures for apply_plan: a fresh thesis lab per test (fakepve with its control channel) and an
MCP session to `provisio serve --mode apply` through the official Python SDK."""
import json
import pathlib
import sys
import urllib.request
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import ElicitResult

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from labutil import pve_env, start_lab  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAN = json.loads((ROOT / "corpus" / "fixtures" / "plans" / "webserver.json").read_text())


@pytest.fixture()
def lab():
    proc, info = start_lab()
    yield info
    proc.terminate()
    proc.wait(timeout=10)


def control(lab, op, **body):
    req = urllib.request.Request(lab["control"] + "/" + op, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def vms(lab, name=None):
    with urllib.request.urlopen(lab["control"] + "/vms", timeout=10) as r:
        out = json.loads(r.read())
    return [v for v in out if name is None or v["name"] == name]


def dump(x):
    return x.model_dump(mode="json", by_alias=True, exclude_none=True)


class Human:
    """The client's approval dialog: records what it was shown, answers as told."""

    def __init__(self, answer="accept"):
        self.answer = answer
        self.shown = []

    async def __call__(self, context, params):
        self.shown.append(params.message)
        if self.answer == "accept":
            return ElicitResult(action="accept", content={"approve": True})
        if self.answer == "no":
            return ElicitResult(action="accept", content={"approve": False})
        return ElicitResult(action=self.answer)


@asynccontextmanager
async def session(bin_path, data_dir, lab, mode="apply", human=None, env=None):
    extra = dict(env or {})
    params = StdioServerParameters(command=bin_path, args=["--data-dir", str(data_dir), "serve", "--mode", mode],
                                   env=pve_env(lab, RUST_LOG="warn", **extra))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=human) as s:
            await s.initialize()
            yield s


async def preview(s, plan=None):
    res = dump(await s.call_tool("apply_plan", {"action": "preview", "plan": plan or PLAN}))
    assert not res.get("isError"), res
    return res["structuredContent"]["preview"]


async def apply(s, handle, progress=None):
    async def on_progress(p, total, message):
        if progress is not None:
            progress.append((p, total, message))
    return dump(await s.call_tool("apply_plan", {"action": "apply", "approval": handle}, progress_callback=on_progress))
