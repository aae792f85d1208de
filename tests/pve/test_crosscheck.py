"""Cross-check: the same facts read through proxmoxer (a real Proxmox client, PyPI) and through
`provisio call cluster_state`, against the thesis lab on fakepve."""
import json
import subprocess

from proxmoxer import ProxmoxAPI

from labutil import pve_env


def provisio_state(bin_path, lab, args):
    r = subprocess.run([bin_path, "call", "cluster_state", "--args", json.dumps(args)],
                       capture_output=True, text=True, env=pve_env(lab), timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout)


def test_proxmoxer_and_provisio_agree(bin_path, fakelab):
    host, port = fakelab["url"][len("https://"):].rsplit(":", 1)
    user, _, token_name = fakelab["token_id"].partition("!")
    px = ProxmoxAPI(host, port=int(port), user=user, token_name=token_name,
                    token_value=fakelab["token_secret"], verify_ssl=fakelab["ca_file"], service="PVE")
    full = provisio_state(bin_path, fakelab, {"view": "full", "limit": 500, "max_bytes": 262144})

    nodes = {n["node"]: n for n in px.nodes.get()}
    assert sorted(nodes) == [n["name"] for n in full["nodes"]]
    for n in full["nodes"]:
        assert n["online"] == (nodes[n["name"]]["status"] == "online")
        assert n["cpus"] == nodes[n["name"]]["maxcpu"]
        assert n["mem_total_mib"] == nodes[n["name"]]["maxmem"] // 1048576

    vms = px.cluster.resources.get(type="vm")
    guests = {(v["vmid"], v["name"], v["node"], v["status"]) for v in vms if not v.get("template")}
    assert guests == {(g["vmid"], g["name"], g["node"], g["status"]) for g in full["guests"]}
    templates = {v["vmid"] for v in vms if v.get("template")}
    assert templates == {t["vmid"] for t in full["templates"]}
    for t in full["templates"]:
        cfg = px.nodes(t["node"]).qemu(t["vmid"]).config.get()
        assert t["cloud_init"] == any("cloudinit" in str(v) for v in cfg.values())
        assert t["agent"] == (str(cfg.get("agent", "0")).split(",")[0] in ("1", "enabled=1"))

    # Running guests' memory per node, as the analyser's allocation figure.
    for n in full["nodes"]:
        want = sum(v["maxmem"] for v in vms if v["node"] == n["name"] and v["status"] == "running"
                   and not v.get("template")) // 1048576
        assert n["mem_allocated_mib"] == want

    storages = {}
    for s in px.cluster.resources.get(type="storage"):
        storages.setdefault(s["storage"], set()).add(s["node"])
    assert {s["name"]: set(s["nodes"]) for s in full["storages"]} == storages
    images = {s["storage"] for s in px.storage.get() if "images" in s.get("content", "")}
    assert images <= {s["name"] for s in full["storages"] if s["images"]}

    # Files a manifest can reference by volume ID (ISO images, snippets, templates, imports).
    for s in full["storages"]:
        if "files" not in s:
            continue
        listed = px.nodes(s["nodes"][0]).storage(s["name"]).content.get()
        want = {}
        for item in listed:
            if item["content"] in ("iso", "snippets", "vztmpl", "import"):
                want.setdefault(item["content"], set()).add(item["volid"].split(":", 1)[1].split("/", 1)[1])
        got = {k: set(v) for k, v in s["files"].items() if v}
        assert got == want, (s["name"], got, want)
    cephfs = next(s for s in full["storages"] if s["name"] == "cephfs")
    assert cephfs["files"]["snippets"] == ["qemu-guest-agent.yml"], cephfs

    pools = {p["poolid"] for p in px.pools.get()}
    assert pools == {p["name"] for p in full["pools"]}

    ips = set()
    for v in vms:
        if v.get("template"):
            continue
        cfg = px.nodes(v["node"]).qemu(v["vmid"]).config.get()
        for k, val in cfg.items():
            if k.startswith("ipconfig") and "ip=" in val and "ip=dhcp" not in val:
                ips.add(val.split("ip=")[1].split("/")[0])
    assert ips <= {u["ip"] for u in full["used_ipv4"]}
