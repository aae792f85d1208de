"""Fixtures for the MCP client tests: the provisio binary and an indexed fixture corpus."""
import json
import os
import pathlib
import subprocess

import pytest

from labutil import TOKEN, pve_env, start_http_server

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
def http_server(bin_path, data_dir, fakelab):
    proc, url = start_http_server(bin_path, data_dir, TOKEN, env=pve_env(fakelab))
    yield url
    proc.terminate()
    proc.wait(timeout=10)
