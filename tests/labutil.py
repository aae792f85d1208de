"""Helpers: start the thesis lab on fakepve; the environment that points provisio at it."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import pytest

# Bearer token the HTTP tests serve with.
TOKEN = "test-token-0123456789"

ROOT = pathlib.Path(__file__).resolve().parents[1]


def start_script(script, args=(), timeout=30, prefix="provisio-lab-"):
    """Start a test server script that writes its info JSON to --info once it serves; returns
    (process, info dict)."""
    d = tempfile.mkdtemp(prefix=prefix)
    info_path = os.path.join(d, "info.json")
    proc = subprocess.Popen([sys.executable, str(script), "--info", info_path, *args],
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not os.path.exists(info_path):
        if proc.poll() is not None:
            pytest.fail(f"{os.path.basename(script)} exited early")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{os.path.basename(script)} did not start within {timeout} s")
        time.sleep(0.05)
    with open(info_path) as f:
        return proc, json.load(f)


def start_lab(*scenarios, extra_guests=0, extra_args=()):
    """Start tests/pve/fakelab.py; returns (process, info dict)."""
    args = ["--extra-guests", str(extra_guests)]
    for s in scenarios:
        args += ["--scenario", s]
    return start_script(ROOT / "tests" / "pve" / "fakelab.py", args + list(extra_args))


def pve_env(info, **extra):
    """Environment variables that make provisio use the lab as its default cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIO_PVE_") and k != "PROVISIO_CONFIG"}
    env.update({
        # No user config file: only these variables.
        "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="provisio-xdg-"),
        "PROVISIO_PVE_URL": info["url"],
        "PROVISIO_PVE_TOKEN_ID": info["token_id"],
        "PROVISIO_PVE_TOKEN_SECRET": info["token_secret"],
        "PROVISIO_PVE_FINGERPRINT": info["fingerprint"],
    })
    env.update(extra)
    return env


def start_http_server(bin_path, data_dir, token, env=None, mode=None):
    """`provisio serve --transport http` on a free loopback port; returns (process, url) once it
    answers."""
    import socket

    import httpx2

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [bin_path, "--data-dir", str(data_dir), "serve", "--transport", "http",
            "--listen", f"127.0.0.1:{port}", "--token", token]
    if mode:
        args += ["--mode", mode]
    # Nobody reads its stderr: DEVNULL, so a chatty server cannot fill a pipe and stall.
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=0.5)
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.05)
    return proc, url
