#!/usr/bin/env python3
"""Compare schemas/providers/history/*.json with an independent derivation of the same timelines
(the `history/` folder of a terraform-provider-schemas data set, e.g. ../shared/data/...).

usage: python3 scripts/provider_schemas/crosscheck.py HISTORY_DIR [--json] [-v]

For every covered version of both providers and every resource both sides have, it compares per
path: existence, kind (attribute/block), base type, required, optional, computed, sensitive,
deprecated (set or not) and max_items. Differences listed in EXPLAINED (below) are reported
separately; exit status 1 when an unexplained difference remains. Standard library only.
"""
import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "schemas" / "providers" / "history"

# (provider, resource, path regex, property): why the two derivations differ.
EXPLAINED = []


def vkey(v):
    m = re.match(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$", v)
    pre = m.group(4)
    pk = ()
    if pre:
        pk = tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", pre))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pk)


def ours_at(doc, name, version):
    paths = doc["schemas"].get(name)
    if paths is None:
        return None
    out = {}
    k = vkey(version)
    for p, spans in paths.items():
        for f, t, props in spans:
            if vkey(f) <= k <= vkey(t):
                out[p] = props
    return out


def norm_ours(props):
    t = props.get("type", "")
    base = t.split("(")[0]
    return {
        "kind": props.get("kind"),
        "type": "object" if props.get("kind") == "attribute" and base == "object" else base,
        "required": bool(props.get("required")),
        "optional": bool(props.get("optional")),
        "computed": bool(props.get("computed")),
        "sensitive": bool(props.get("sensitive")),
        "deprecated": bool(props.get("deprecated")),
        "max_items": props.get("max_items") if props.get("kind") == "block" else None,
    }


def norm_theirs(props):
    t = props.get("type") or "any"
    base = t.split("(")[0]
    kind = props.get("kind")
    if kind == "nested_attribute":
        kind = "attribute"
        base = {"single": "object"}.get(props.get("nesting"), props.get("nesting") or "object")
    mx = props.get("max_items") if kind == "block" else None
    if kind == "block" and props.get("nesting") == "single":
        mx, base = 1, "list"
    return {
        "kind": kind,
        "type": base,
        "required": bool(props.get("required")),
        "optional": bool(props.get("optional")),
        "computed": bool(props.get("computed")),
        "sensitive": bool(props.get("sensitive")),
        "deprecated": bool(props.get("deprecated")),
        "max_items": mx,
    }


def theirs_at(tl, version, covered):
    eff = None
    for c in covered:
        if vkey(c) <= vkey(version):
            eff = c
    if eff is None:
        return None
    out = {}
    for p in tl["paths"]:
        for s in p["spans"]:
            to = s.get("to") or covered[-1]
            if vkey(s["from"]) <= vkey(eff) <= vkey(to):
                out[p["path"]] = s
    return out


def explained(provider, res, path, prop):
    for p, r, rx, pr, why in EXPLAINED:
        if p == provider and r == res and re.fullmatch(rx, path) and pr in (prop, "*"):
            return why
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("history")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    versions = json.load(open(os.path.join(a.history, "versions.json")))
    diffs, expl, compared = [], [], 0
    for provider in ("bpg", "telmate"):
        if not (OURS / f"{provider}.json").exists():
            continue
        doc = json.load(open(OURS / f"{provider}.json"))
        covered = [c["version"] for c in versions["providers"][provider]["covered"]]
        for f in sorted(Path(a.history).glob(f"{provider}.*.timeline.json")):
            tl = json.load(open(f))
            names = [tl["resource"]] if tl.get("resource") else ["provider"]
            names += [n["name"] for n in tl.get("names", []) if n["name"] not in names]
            for name in names:
                if name not in doc["schemas"]:
                    continue
                for v in doc["versions"]:
                    mine = ours_at(doc, name, v) or {}
                    theirs = theirs_at(tl, v, covered) or {}
                    reg = [n for n in tl.get("names", []) if n["name"] == name]
                    if reg and not (vkey(reg[0]["from"]) <= vkey(v) and (reg[0]["to"] is None or vkey(v) <= vkey(reg[0]["to"]))):
                        theirs = {}
                    mine = {p: x for p, x in mine.items() if p}
                    for p in sorted(set(mine) | set(theirs)):
                        compared += 1
                        if p not in theirs or p not in mine:
                            prop = "exists"
                            d = (provider, name, v, p, prop, p in mine, p in theirs)
                        else:
                            a_, b_ = norm_ours(mine[p]), norm_theirs(theirs[p])
                            bad = [k for k in a_ if a_[k] != b_[k]]
                            if not bad:
                                continue
                            prop = ",".join(bad)
                            d = (provider, name, v, p, prop, {k: a_[k] for k in bad}, {k: b_[k] for k in bad})
                        why = explained(provider, name, p, prop)
                        (expl if why else diffs).append(d + ((why,) if why else ()))
    if a.json:
        json.dump({"compared": compared, "differences": len(diffs), "explained": len(expl)}, sys.stdout)
        print()
    else:
        print(f"compared {compared} (version, path) pairs: {len(diffs)} unexplained differences, "
              f"{len(expl)} explained")
    if a.v:
        for d in diffs:
            print(d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
