"""`provisio corpus fetch` outside the workspace: a mirror in GitHub's layout, built by this test
from ../shared/corpus (an archive `{repo}-{commit}/...` per source pinned by commit, raw files
per commit for the sources pinned file by file), serves the real `corpus/sources.toml`. The
fetched corpus must carry every pinned digest, and indexing it must give the same chunks and
the same search answers as indexing ../shared/corpus itself.
"""
import functools
import http.server
import io
import json
import os
import pathlib
import subprocess
import tarfile
import threading
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/corpus is not here")


def owner_repo(url):
    return url.removeprefix("https://github.com/").strip("/").split("/")[:2]


def build_mirror(dest: pathlib.Path):
    sources = tomllib.loads((ROOT / "corpus" / "sources.toml").read_text())["source"]
    for s in sources:
        owner, repo = owner_repo(s["repository"])
        folder = SHARED / s["name"]
        prefix = s.get("upstream_prefix", "").strip("/")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if "files" in s:
            for f in s["files"]:
                rel = f["path"][len(prefix):].lstrip("/") if prefix else f["path"]
                out = dest / owner / repo / "raw" / f["commit"] / f["path"]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes((folder / rel).read_bytes())
            continue
        arch = dest / owner / repo / "archive" / f"{s['commit']}.tar.gz"
        arch.parent.mkdir(parents=True, exist_ok=True)
        top = f"{repo}-{s['commit']}"
        with tarfile.open(arch, "w:gz") as t:
            def add(name, data):
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            for p in files:
                rel = p.relative_to(folder).as_posix()
                if rel == "LICENSE-NOTE.md":
                    continue
                add(f"{prefix}/{rel}" if prefix else rel, p.read_bytes())
            # Something outside the prefix that must not be kept, and the licence files.
            add("Makefile", b"all:\n")
            for lic in s.get("license_files", []):
                add(lic, b"licence text\n")


@pytest.fixture()
def mirror(tmp_path):
    root = tmp_path / "mirror"
    build_mirror(root)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def run(bin_path, data, *args, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PROVISIO_CORPUS", "PROVISIO_CORPUS_MIRROR")}
    r = subprocess.run([bin_path, "--data-dir", str(data), *args], capture_output=True, text=True,
                       env=env, timeout=900, **kw)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r.stdout


def test_fetch_from_a_mirror_gives_the_shared_corpus(bin_path, mirror, tmp_path):
    fetched = tmp_path / "fetched-data"
    out = run(bin_path, fetched, "corpus", "fetch", "--mirror", mirror, "--json")
    report = json.loads(out)
    names = {s["name"] for s in tomllib.loads((ROOT / "corpus" / "sources.toml").read_text())["source"]}
    assert {s["source"] for s in report["sources"]} == names
    digests = run(bin_path, fetched, "corpus", "digest", str(fetched / "corpus"))
    assert digests.count("matches the pin") == len(names), digests
    # The shared corpus itself carries the same pins.
    shared = run(bin_path, fetched, "corpus", "digest", str(SHARED))
    assert shared.count("matches the pin") == len(names), shared

    # Indexed (full text), the fetched corpus gives the shared corpus's chunks and answers.
    plain = tmp_path / "shared-data"
    a = json.loads(run(bin_path, fetched, "index", "--lexical-only", "--json"))
    b = json.loads(run(bin_path, plain, "index", "--corpus", str(SHARED), "--lexical-only", "--json"))
    assert a["chunks"] == b["chunks"] and a["files"] == b["files"], (a, b)
    for q in ["pm_tls_insecure", "how do I start the first k3s server with embedded etcd",
              "MetalLB L2 advertisement for one pool", "vzdump snapshot mode downtime"]:
        ha = json.loads(run(bin_path, fetched, "search", q, "--mode", "bm25", "--json"))["hits"]
        hb = json.loads(run(bin_path, plain, "search", q, "--mode", "bm25", "--json"))["hits"]
        assert [(h["path"], h["start_line"], h["text"]) for h in ha] == \
               [(h["path"], h["start_line"], h["text"]) for h in hb], q
