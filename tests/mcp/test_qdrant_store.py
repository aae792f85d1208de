"""`search_docs` over MCP (Python SDK, stdio) with the vectors on a Qdrant API server.

No Qdrant server can be installed here, so the server is our gRPC stand-in
(`tests/support`, binary `qdrant-standin`, built by `cargo build --workspace --all-targets`).
Checks: `index --store qdrant` reuses the embedding cache, search_docs validates against its
schema and reports `vector_store`, both retrievers run; with the server stopped the answer is
lexical-only and says so (a result, not an error).
"""
import asyncio
import json
import os
import socket
import subprocess
import tempfile
import time

import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "corpus", "fixtures")


def standin_bin(bin_path):
    path = os.path.join(os.path.dirname(bin_path), "qdrant-standin")
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: build with cargo build --release --workspace --all-targets")
    return path


def dump(obj):
    return obj.model_dump(mode="json", by_alias=True, exclude_none=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_standin(bin_path, port):
    proc = subprocess.Popen([standin_bin(bin_path), f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("the Qdrant stand-in did not start")


def index(bin_path, data, *extra):
    r = subprocess.run([bin_path, "--data-dir", data, "index", "--corpus",
                        os.path.join(FIXTURES, "corpus"), "--sources",
                        os.path.join(FIXTURES, "sources.toml"), "--json", *extra],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("PROVISIO_REQUIRE_MODEL") == "1":
            pytest.fail(r.stderr)
        pytest.skip(f"embedding model not installed: {r.stderr.strip()}")
    return json.loads(r.stdout)


async def search(bin_path, data, query):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIO_", "QDRANT_"))}
    env.update({"XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="provisio-xdg-"), "RUST_LOG": "warn"})
    params = StdioServerParameters(command=bin_path, args=["--data-dir", data, "serve"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name: dump(t) for t in (await session.list_tools()).tools}
            res = dump(await session.call_tool("search_docs", {"query": query, "k": 3}))
            return res, tools["search_docs"]["outputSchema"]


def test_search_docs_on_qdrant(tmp_path, bin_path):
    data = str(tmp_path / "data")
    index(bin_path, data)  # embedded first: fills the embedding cache
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    standin = start_standin(bin_path, port)
    try:
        r = index(bin_path, data, "--store", "qdrant", "--qdrant-url", url, "--qdrant-collection", "mcp-test")
        assert r["dense"]["backend"] == "qdrant" and r["windows_embedded"] == 0, r
        assert r["vectors_uploaded"] == r["windows"] > 0

        res, schema = asyncio.run(search(bin_path, data, "turn off certificate verification"))
        assert not res.get("isError")
        sc = res["structuredContent"]
        jsonschema.validate(sc, schema)
        assert sc["vector_store"] == f"qdrant {url} collection mcp-test"
        assert sc["retrievers"] == ["bm25", "dense"] and sc.get("degraded") is None
        assert f"vectors: qdrant {url}" in res["content"][0]["text"]
    finally:
        standin.terminate()
        standin.wait(timeout=10)

    res, schema = asyncio.run(search(bin_path, data, "turn off certificate verification"))
    assert not res.get("isError")
    sc = res["structuredContent"]
    jsonschema.validate(sc, schema)
    assert sc["retrievers"] == ["bm25"]
    assert sc.get("degraded", "").startswith("lexical-only") and "cannot connect" in sc["degraded"]
    assert sc["hits"], "lexical answers still come back"
