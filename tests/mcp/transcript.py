"""Print a transcript of one Python-SDK client session with `provisio serve` over stdio:
initialize, tools/list (names and annotations), prompts/list, resources/list, and one call of
each tool. Used for the issue notes; needs a data dir and the PROVISIO_PVE_* variables.

    python tests/mcp/transcript.py --bin target/release/provisio --data-dir DIR
"""
import argparse
import asyncio
import json
import os
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def dump(o):
    return o.model_dump(mode="json", by_alias=True, exclude_none=True)


def show(title, obj, limit=1500):
    text = json.dumps(obj, indent=1)
    print(f"--> {title}\n{text[:limit]}{' ...' if len(text) > limit else ''}\n")


async def main(a):
    params = StdioServerParameters(command=a.bin, args=["--data-dir", a.data_dir, "serve"], env=dict(os.environ))
    t0 = time.monotonic()
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            init = await s.initialize()
            tools = (await s.list_tools()).tools
            print(f"(spawn + initialize + first tools/list: {(time.monotonic() - t0) * 1000:.0f} ms)\n")
            show("initialize: serverInfo", dump(init)["serverInfo"])
            show("tools/list", [{"name": t.name, "annotations": dump(t).get("annotations")} for t in tools])
            show("prompts/list", [p.name for p in (await s.list_prompts()).prompts])
            show("resources/list", [str(x.uri) for x in (await s.list_resources()).resources])
            res = dump(await s.call_tool("search_docs", {"query": "pm_tls_insecure", "k": 2}))
            show("tools/call search_docs {query: pm_tls_insecure, k: 2} -> content[0].text", res["content"][0]["text"])
            res = dump(await s.call_tool("cluster_state", {}))
            show("tools/call cluster_state {} -> content[0].text", res["content"][0]["text"], 3000)
            res = dump(await s.call_tool("cluster_state", {"view": "guests", "limit": 0}))
            show("tools/call cluster_state {view: guests, limit: 0} -> isError", {"isError": res.get("isError"), "text": res["content"][0]["text"]})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--data-dir", required=True)
    asyncio.run(main(p.parse_args()))
