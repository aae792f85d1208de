"""lint_manifest end to end on ../shared/eval/lint-dev (read in place): fakepve seeded with the
lab of its cluster.json (3 nodes of 20 threads / 32 GiB, template 100, pmoxpool01, cephfs,
vmbr0, VMs 101-123), the facts Proxmox does not hold (SDN vnet mainvnet, k3s VIP, MetalLB pool)
in the cluster's config section, and `provisio lint --format json` per file. Every seeded
defect must be found at its line with its category (our rule name), and the good files must
have no errors. Prints the table for the issue note."""
import json
import os
import pathlib
import subprocess

import pytest

from labutil import pve_env, start_lab

DEV = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "lint-dev"


@pytest.fixture(scope="module")
def lint_lab():
    proc, info = start_lab(extra_args=["--node-cpus", "20", "--node-mem-gib", "32"])
    yield info
    proc.terminate()
    proc.wait(timeout=10)


def config(tmp_path, lab, cluster):
    k = cluster["kubernetes"]
    vnets = cluster["proxmox"]["network"]["sdn"]["vnets"]
    lines = [
        'default_cluster = "lab"', "", "[clusters.lab]",
        f'url = "{lab["url"]}"', f'token_id = "{lab["token_id"]}"', 'token_secret_env = "LAB_TOKEN"',
        f'fingerprint = "{lab["fingerprint"]}"', "", "[clusters.lab.facts]",
        f'k3s_api_vip = "{k["api_vip"]}"',
        "metallb_pools = " + json.dumps([a for p in k["load_balancer"]["ip_address_pools"] for a in p["addresses"]]),
        "namespaces = " + json.dumps(k["namespaces"]),
    ]
    for r in cluster["reserved_ipv4"]:
        lines += ["", "[[clusters.lab.facts.reserved_ipv4]]", f'addresses = "{r.get("address") or r.get("range")}"',
                  f'purpose = "{r["purpose"]}"']
    for v in vnets:
        lines += ["", "[[clusters.lab.facts.vnets]]", f'name = "{v["name"]}"']
        for s in v["subnets"]:
            lines += ["[[clusters.lab.facts.vnets.subnets]]", f'cidr = "{s["cidr"]}"', f'gateway = "{s["gateway"]}"']
    p = tmp_path / "config.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.skipif(not DEV.is_dir(), reason="../shared/eval/lint-dev not found")
def test_lint_dev_against_fakepve(bin_path, lint_lab, tmp_path):
    cluster = json.loads((DEV / "cluster.json").read_text())
    cfg = config(tmp_path, lint_lab, cluster)
    env = pve_env(lint_lab)
    for k in [k for k in env if k.startswith("PROVISIO_PVE_")]:
        del env[k]
    env["LAB_TOKEN"] = lint_lab["token_secret"]
    expected = [json.loads(l) for l in (DEV / "expected.jsonl").read_text().splitlines() if l.strip()]
    files = [str(DEV / e["file"]) for e in expected]
    r = subprocess.run([bin_path, "--config", str(cfg), "lint", "--per-file", "--format", "json", *files],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # the bad files have errors
    findings = json.loads(r.stdout)
    rows, failures = [], []
    for e in expected:
        path = str(DEV / e["file"])
        mine = [f for f in findings if f["file"] == path]
        found = 0
        for d in e["defects"]:
            hit = [f for f in mine if f["rule"] == d["category"] and f["line"] == d["line"]]
            if hit and hit[0]["severity"] == d["severity"]:
                found += 1
            else:
                failures.append(f'{e["file"]}: missed {d["category"]} ({d["severity"]}) at line {d["line"]}')
        extra = [f for f in mine if f["severity"] == "error"
                 and not any(f["rule"] == d["category"] and f["line"] == d["line"] for d in e["defects"])]
        failures += [f'{e["file"]}: unexpected {f["code"]} {f["rule"]} at {f["line"]}: {f["message"]}' for f in extra]
        cats = ", ".join(sorted({d["category"] for d in e["defects"]})) or "(good file)"
        rows.append(f'| {e["file"]} | {cats} | {found}/{len(e["defects"])} | {len(extra)} |')
    print("\n| file | seeded categories | found at line | other errors |\n|---|---|---|---|\n" + "\n".join(rows))
    assert not failures, "\n".join(failures)
    # The cluster-aware findings used the live lab: the VMID collision names the guest read from fakepve.
    assert any("control-node-2" in f["message"] for f in findings if f["rule"] == "vmid-collision")
