"""The per-release provider schemas in schemas/providers/history/ agree with an independent
derivation of the same timelines (../shared/data/terraform-provider-schemas/history/, when
present). Only read here, as a cross-check; the product never uses it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT.parent / "shared" / "data" / "terraform-provider-schemas" / "history"


def test_covered_releases():
    bpg = json.loads((ROOT / "schemas/providers/history/bpg.json").read_text())
    tm = json.loads((ROOT / "schemas/providers/history/telmate.json").read_text())
    assert bpg["versions"][0] == "0.40.0" and bpg["versions"][-1] == "0.111.1"
    assert tm["versions"][0] == "2.9.0" and tm["versions"][-1] == "3.0.2-rc09"
    assert "2.9.14" in tm["versions"] and "3.0.1-rc10" in tm["versions"]
    # every resource the rules read is there at the newest release
    for name in ["proxmox_virtual_environment_vm", "proxmox_virtual_environment_container",
                 "proxmox_virtual_environment_file", "proxmox_download_file", "proxmox_cloned_vm"]:
        assert "0.111.1" in bpg["registered"][name], name
    for name in ["proxmox_vm_qemu", "proxmox_lxc", "proxmox_cloud_init_disk"]:
        assert "3.0.2-rc09" in tm["registered"][name], name


@pytest.mark.skipif(not HISTORY.is_dir(), reason="../shared history not present")
def test_no_difference_from_the_independent_derivation():
    r = subprocess.run([sys.executable, str(ROOT / "scripts/provider_schemas/crosscheck.py"), str(HISTORY),
                        "--json", "-v"], capture_output=True, text=True)
    first = json.loads(r.stdout.splitlines()[0])
    assert first["compared"] > 100_000, first
    assert first["differences"] == 0, r.stdout[:4000]
    assert r.returncode == 0
