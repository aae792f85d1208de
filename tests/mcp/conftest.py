"""Fixtures for the MCP client tests: the provisio binary and an indexed fixture corpus."""
import json
import os
import pathlib
import socket
import subprocess
import time

import pytest

import httpx2

from labutil import TOKEN, pve_env

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "corpus" / "fixtures"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, bin_path) -> str:
    """A data directory with the fixture corpus indexed (dense when the model is installed)."""
    d = tmp_path_factory.mktemp("data")
    args = [bin_path, "--data-dir", str(d), "index", "--corpus", str(FIXTURES / "corpus"),
            "--sources", str(FIXTURES / "sources.toml"), "--json"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("PROVISIO_REQUIRE_MODEL") == "1":
            pytest.fail(f"index failed: {r.stderr}")
        r = subprocess.run(args + ["--lexical-only"], capture_output=True, text=True, check=True)
    report = json.loads(r.stdout)
    assert report["status"] == "built"
    return str(d)


@pytest.fixture()
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



@pytest.fixture()
def http_server(bin_path, data_dir, free_port, fakelab):
    proc = subprocess.Popen(
        [bin_path, "--data-dir", data_dir, "serve", "--transport", "http",
         "--listen", f"127.0.0.1:{free_port}", "--token", TOKEN],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=pve_env(fakelab),
    )
    url = f"http://127.0.0.1:{free_port}/mcp"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=0.5)
            break
        except Exception:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
