"""PV057 end to end: `provisio lint` reads the storage listings of the live cluster (fakepve's
cephfs holds `snippets/qemu-guest-agent.yml`) and reports a volume ID naming a file that is
not there, with the near miss as the fix; the file that exists passes."""
import json
import subprocess

from labutil import pve_env, start_lab

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


ISO_TF = """terraform {
  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = "~> 0.111"
    }
  }
}

resource "proxmox_virtual_environment_vm" "installer" {
  name      = "installer"
  node_name = "pmox02"
  vm_id     = 141

  cdrom {
    file_id = "cephfs:iso/%s"
  }
}
"""


def isos_and_pv057(bin_path, scenario, tmp_path, iso):
    """On a lab started with `scenario`: cephfs's ISO listing in cluster_state (None when left
    out) and the PV057 findings of a module naming the ISO `iso`."""
    proc, lab = start_lab(scenario)
    try:
        r = subprocess.run([bin_path, "call", "cluster_state", "--args",
                            json.dumps({"view": "storage"})],
                           env=pve_env(lab), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        cephfs = next(s for s in json.loads(r.stdout)["storages"] if s["name"] == "cephfs")
        d = tmp_path / "iso"
        d.mkdir()
        (d / "main.tf").write_text(ISO_TF % iso)
        r = subprocess.run([bin_path, "lint", "--format", "json", str(d)], env=pve_env(lab),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode in (0, 1), r.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return cephfs["files"].get("iso"), [f for f in json.loads(r.stdout) if f["code"] == "PV057"]


def test_a_listing_at_the_cap_is_complete_and_judged(bin_path, tmp_path):
    isos, found = isos_and_pv057(bin_path, "isos:99", tmp_path, "extra-100.iso")
    assert len(isos) == 100 and "extra-098.iso" in isos, isos
    assert len(found) == 1, found


def test_a_type_with_more_files_than_the_cap_is_left_out_and_not_judged(bin_path, tmp_path):
    # 101 ISOs: a partial list would make the ones past the cut look missing.
    isos, found = isos_and_pv057(bin_path, "isos:100", tmp_path, "extra-099.iso")
    assert isos is None
    assert found == []
