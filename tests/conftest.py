"""Shared fixtures: the provisio binary and the thesis lab on fakepve."""
import os
import pathlib

import pytest

from labutil import start_lab

ROOT = pathlib.Path(__file__).resolve().parents[1]


def provisio_bin() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    path = os.environ.get("PROVISIO_BIN", os.path.join(target, "release", "provisio"))
    if not os.path.exists(path):
        pytest.fail(f"provisio binary not found at {path}; build with cargo build --release")
    return path


@pytest.fixture(scope="session")
def bin_path() -> str:
    return provisio_bin()


@pytest.fixture(scope="session")
def fakelab():
    proc, info = start_lab()
    yield info
    proc.terminate()
    proc.wait(timeout=10)
