"""A Kubernetes API for the tests: kmock's stateful emulator (PyPI `kmock`), seeded with the thesis
k3s cluster through its own API, behind a thin front that adds what kmock does not do: bearer-token
authentication (a token it does not know gets 401, like an expired one), RBAC denials (403 for the
resources given with --deny), and, with --serve-namespaces, the cluster-scoped namespace list
(kmock 0.8 fails `GET /api/v1/namespaces` inside its path parser with a 500; without the flag the
front passes that failure through, as a real server's failure would be).

With --tls the front serves HTTPS with a certificate signed by a test CA (written beside the
info file; its path is "ca" in the info). Writes {"url": ..., "token": ...} to --info once it
serves. Run: python kubelab.py --info F.
"""
import argparse
import asyncio
import json
import re

import aiohttp
from aiohttp import web
import kmock

THESIS_NODES = [
    # name, roles, InternalIP: three servers and two agents on the lab's guests. The second
    # agent's Kubernetes name differs from its guest's (worker-node-2): matched by address.
    ("control-node-1", ["control-plane", "etcd", "master"], "192.168.1.111"),
    ("control-node-2", ["control-plane", "etcd", "master"], "192.168.1.112"),
    ("control-node-3", ["control-plane", "etcd", "master"], "192.168.1.113"),
    ("worker-node-1", [], "192.168.1.122"),
    ("k3s-agent-b", [], "192.168.1.123"),
]
NAMESPACES = ["default", "kube-system", "kube-public", "metallb-system", "web"]


def node(name, roles, ip, ready=True):
    labels = {"kubernetes.io/hostname": name}
    labels.update({f"node-role.kubernetes.io/{r}": "true" for r in roles})
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                       "nodeInfo": {"architecture": "amd64", "bootID": f"boot-{name}",
                                    "containerRuntimeVersion": "containerd://1.7.23-k3s2",
                                    "kernelVersion": "6.8.0-51-generic", "kubeProxyVersion": "v1.31.4+k3s1",
                                    "kubeletVersion": "v1.31.4+k3s1", "machineID": f"machine-{name}",
                                    "operatingSystem": "linux", "osImage": "Ubuntu 24.04.1 LTS",
                                    "systemUUID": f"uuid-{name}"}}}


def service(ns, name, lb_ip=None, requested=None, pool=None):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
           "spec": {"type": "LoadBalancer" if (lb_ip or requested) else "ClusterIP",
                    "ports": [{"port": 80, "targetPort": 8080}]}}
    ann = {}
    if requested:
        ann["metallb.io/loadBalancerIPs"] = requested
    if pool:
        ann["metallb.io/address-pool"] = pool
    if ann:
        svc["metadata"]["annotations"] = ann
    if lb_ip:
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": lb_ip}]}}
    return svc


def thesis(extra_nodes=0, extra_services=0):
    """(path, object) pairs to create, in order."""
    out = []
    for n in THESIS_NODES:
        out.append(("/api/v1/nodes", node(*n)))
    for k in range(extra_nodes):
        out.append(("/api/v1/nodes", node(f"bench-node-{k:03d}", [], f"10.30.{k // 250}.{k % 250 + 2}")))
    out.append(("/apis/storage.k8s.io/v1/storageclasses", {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "local-path", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}))
    out.append(("/apis/networking.k8s.io/v1/ingressclasses", {
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "traefik", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "traefik.io/ingress-controller"}}))
    mb = "/apis/metallb.io/v1beta1/namespaces/metallb-system"
    out.append((f"{mb}/ipaddresspools", {
        "apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
        "metadata": {"name": "lan-pool", "namespace": "metallb-system"},
        "spec": {"addresses": ["192.168.0.246-192.168.0.254"]}}))
    out.append((f"{mb}/l2advertisements", {
        "apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
        "metadata": {"name": "lan", "namespace": "metallb-system"},
        "spec": {"ipAddressPools": ["lan-pool"]}}))
    svcs = [
        service("default", "kubernetes"),
        service("kube-system", "traefik", lb_ip="192.168.0.246"),
        service("web", "nginx", lb_ip="192.168.0.247", requested="192.168.0.247", pool="lan-pool"),
        service("web", "grafana", requested="192.168.0.248"),
    ]
    for k in range(extra_services):
        lb = k % 10 == 0
        svcs.append(service("bench", f"svc-{k:04d}", lb_ip=f"10.40.{k // 2500}.{(k // 10) % 250 + 2}" if lb else None))
    for s in svcs:
        out.append((f"/api/v1/namespaces/{s['metadata']['namespace']}/services", s))
    return out


def status(code, reason, message):
    return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": message, "reason": reason, "code": code}, status=code)


def front(backend, token, deny, serve_namespaces):
    session = aiohttp.ClientSession()
    plural = re.compile(r"^/apis?/(?:[^/]+/)?v1[^/]*(?:/namespaces/[^/]+)?/([a-z0-9]+)$|^/apis/[^/]+/[^/]+(?:/namespaces/[^/]+)?/([a-z0-9]+)$")

    async def handle(request):
        if request.headers.get("Authorization") != f"Bearer {token}":
            return status(401, "Unauthorized", "Unauthorized")
        path = request.path
        m = plural.match(path)
        res = (m.group(1) or m.group(2)) if m else None
        if res and res in deny:
            return status(403, "Forbidden", f'{res} is forbidden: User "provisio" cannot list resource "{res}" in API group "" at the cluster scope')
        if path == "/api/v1/namespaces" and serve_namespaces:
            return web.json_response({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
                                      "items": [{"metadata": {"name": n}} for n in NAMESPACES]})
        async with session.request(request.method, f"{backend}{request.path_qs}", data=await request.read(),
                                   headers={"Content-Type": request.headers.get("Content-Type", "application/json")}) as r:
            body = await r.read()
            return web.Response(body=body, status=r.status, content_type="application/json")

    return handle, session


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--info", required=True)
    ap.add_argument("--token", default="kube-test-token")
    ap.add_argument("--deny", action="append", default=[])
    ap.add_argument("--serve-namespaces", action="store_true")
    ap.add_argument("--extra-nodes", type=int, default=0)
    ap.add_argument("--extra-services", type=int, default=0)
    ap.add_argument("--tls", action="store_true")
    a = ap.parse_args()
    ssl_ctx, ca = None, None
    if a.tls:
        import os
        import ssl
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pve"))
        from fakelab import make_pki
        pki = os.path.join(os.path.dirname(os.path.abspath(a.info)), "pki")
        os.makedirs(pki, exist_ok=True)
        cert, key, ca, _ = make_pki(pki, "127.0.0.1")
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(cert, key)
    async with kmock.KubernetesEmulator() as k, kmock.Server(k) as srv:
        backend = str(srv.url).rstrip("/")
        # MetalLB's CRDs are installed, BGP is not used: an empty list, not a 404.
        k.resources["metallb.io/v1beta1/bgpadvertisements"] = {}
        # Seeded through the API (POST, as a client would create them); the bulk objects of
        # the timing runs straight into the emulator's store (a POST each takes seconds per
        # hundred there).
        async with aiohttp.ClientSession() as s:
            for path, obj in thesis():
                async with s.post(f"{backend}{path}", json=obj) as r:
                    assert r.status < 300, (path, r.status, await r.text())
        base = {json.dumps(o, sort_keys=True) for _, o in thesis()}
        for path, obj in thesis(a.extra_nodes, a.extra_services):
            if json.dumps(obj, sort_keys=True) in base:
                continue
            md = obj["metadata"]
            plural = "nodes" if obj["kind"] == "Node" else "services"
            k.objects[kmock.resource(group="", version="v1", plural=plural), md.get("namespace"), md["name"]] = obj
        handle, session = front(backend, a.token, set(a.deny), a.serve_namespaces)
        server = web.Server(handle)
        runner = web.ServerRunner(server)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_ctx)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        scheme = "https" if a.tls else "http"
        with open(a.info + ".tmp", "w") as f:
            json.dump({"url": f"{scheme}://127.0.0.1:{port}", "token": a.token, "ca": ca}, f)
        import os
        os.replace(a.info + ".tmp", a.info)
        try:
            await asyncio.Event().wait()
        finally:
            await session.close()


if __name__ == "__main__":
    asyncio.run(main())
