"""PV057 end to end: `provisio lint` reads the storage listings of the live cluster (fakepve's
cephfs holds `snippets/qemu-guest-agent.yml`) and reports a volume ID naming a file that is
not there, with the near miss as the fix; the file that exists passes."""
import json
import subprocess

from labutil import pve_env

TF = """terraform {
  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = "~> 0.111"
    }
  }
}

resource "proxmox_virtual_environment_vm" "web" {
  name      = "web"
  node_name = "pmox02"
  vm_id     = 140

  clone {
    vm_id     = 100
    node_name = "pmox01"
  }

  agent {
    enabled = true
  }

  initialization {
    datastore_id        = "pmoxpool01"
    vendor_data_file_id = "cephfs:snippets/%s"
  }
}
"""


def lint(bin_path, lab, tmp_path, snippet):
    d = tmp_path / snippet.replace(".", "_")
    d.mkdir()
    (d / "main.tf").write_text(TF % snippet)
    r = subprocess.run([bin_path, "lint", "--format", "json", str(d)], env=pve_env(lab),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    return [f for f in json.loads(r.stdout) if f["code"] == "PV057"]


def test_missing_snippet_is_reported_from_the_live_listing(bin_path, fakelab, tmp_path):
    found = lint(bin_path, fakelab, tmp_path, "qemu-agent.yml")
    assert len(found) == 1, found
    assert found[0]["severity"] == "error"
    assert "qemu-guest-agent.yml" in found[0]["message"]
    assert found[0]["fix"] == "did you mean `cephfs:snippets/qemu-guest-agent.yml`?"
    assert lint(bin_path, fakelab, tmp_path, "qemu-guest-agent.yml") == []
