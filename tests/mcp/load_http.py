"""Load test: N concurrent MCP clients (official Python SDK) over streamable HTTP, each opening
its own session and calling search_docs repeatedly. Prints errors and latency percentiles.

    python tests/mcp/load_http.py --data-dir DIR [--clients 50] [--calls 20] [--questions FILE]

Starts `provisio serve --transport http` on a free loopback port with a bearer token and the
given data directory (an index built by `provisio index`); stops it at the end.
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time

import logging

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from labutil import start_http_server  # noqa: E402

logging.getLogger("mcp.client.streamable_http").setLevel(logging.ERROR)

QUERIES = ["pm_tls_insecure", "cloud-init ipconfig static IP", "k3s server --cluster-init",
           "linked clone template", "MetalLB address pool", "proxmox_virtual_environment_vm disk size",
           "qm set --net0 bridge vlan tag", "terraform provider version constraint"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round((len(xs) - 1) * p))] if xs else None


async def client(url, token, queries, calls, lat, errors, start):
    try:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    await start.wait()
                    for i in range(calls):
                        q = queries[i % len(queries)]
                        t = time.perf_counter()
                        try:
                            r = await s.call_tool("search_docs", {"query": q, "k": 5})
                            if r.is_error or not r.structured_content["hits"]:
                                errors.append(f"tool error for {q!r}")
                        except Exception as e:  # noqa: BLE001
                            errors.append(repr(e))
                        lat.append((time.perf_counter() - t) * 1000)
    except Exception as e:  # noqa: BLE001
        errors.append("session: " + repr(e))


async def run(url, token, clients, calls, queries):
    lat, errors = [], []
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(url, token, queries[i % len(queries):] + queries[:i % len(queries)],
                                        calls, lat, errors, start)) for i in range(clients)]
    await asyncio.sleep(0.5)  # sessions open
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    return {"clients": clients, "calls_per_client": calls, "calls": len(lat), "errors": len(errors),
            "error_samples": errors[:5], "wall_s": round(wall, 2),
            "throughput_per_s": round(len(lat) / wall, 1) if wall else None,
            "p50_ms": round(pct(lat, 0.5), 1) if lat else None, "p99_ms": round(pct(lat, 0.99), 1) if lat else None,
            "max_ms": round(max(lat), 1) if lat else None,
            "mean_ms": round(statistics.mean(lat), 1) if lat else None}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.environ.get("PROVISIO_BIN", os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "provisio")))
    p.add_argument("--data-dir", required=True)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--questions", help="JSONL with a `question` field (default: built-in queries)")
    a = p.parse_args(argv)
    queries = QUERIES
    if a.questions:
        with open(a.questions) as f:
            queries = [json.loads(line)["question"] for line in f if line.strip()]
    token = "load-test-token-0123456789"
    proc, url = start_http_server(a.bin, a.data_dir, token)
    try:
        # Warm the index and model before measuring.
        warm = asyncio.run(run(url, token, 1, 2, queries))
        if warm["errors"]:
            print(json.dumps(warm), file=sys.stderr)
        result = asyncio.run(run(url, token, a.clients, a.calls, queries))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
