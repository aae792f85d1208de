#!/usr/bin/env python3
"""Derive the schemas of bpg/proxmox and Telmate/proxmox at every release tag from their Go source,
and write them as per-argument version spans to schemas/providers/history/*.json.

usage:
  python3 -m venv .venv && .venv/bin/pip install -r scripts/provider_schemas/requirements.txt
  # bare clones, laid out as MIRRORS/<owner>+<repo>/repo:
  #   git clone --bare https://github.com/bpg/terraform-provider-proxmox MIRRORS/bpg+terraform-provider-proxmox/repo
  #   git clone --bare https://github.com/Telmate/terraform-provider-proxmox MIRRORS/Telmate+terraform-provider-proxmox/repo
  #   git clone --bare https://github.com/Telmate/proxmox-api-go MIRRORS/Telmate+proxmox-api-go/repo
  .venv/bin/python scripts/provider_schemas/derive.py --mirrors MIRRORS [--only bpg|telmate]
  .venv/bin/python scripts/provider_schemas/derive.py --mirrors MIRRORS --dump telmate v3.0.1-rc4 proxmox_vm_qemu

Nothing is built and no Go toolchain is used: goeval.py evaluates the schema code itself.
The providers' licences (bpg: MPL-2.0, Telmate: MIT) cover the facts derived here; see
schemas/providers/history/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goeval import UNKNOWN, Budget, Evaluator, Ext, Module, Struct, git_tags  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "schemas" / "providers" / "history"

PROVIDERS = {
    "bpg": {
        "repo": "bpg+terraform-provider-proxmox",
        "source": "bpg/proxmox",
        "license": "MPL-2.0",
        "first": (0, 40, 0),
        "resources": [
            "proxmox_virtual_environment_vm", "proxmox_virtual_environment_container",
            "proxmox_virtual_environment_file", "proxmox_virtual_environment_download_file",
            "proxmox_download_file", "proxmox_virtual_environment_cloned_vm", "proxmox_cloned_vm",
        ],
    },
    "telmate": {
        "repo": "Telmate+terraform-provider-proxmox",
        "source": "Telmate/proxmox",
        "license": "MIT",
        "first": (2, 9, 0),
        "resources": ["proxmox_vm_qemu", "proxmox_lxc", "proxmox_cloud_init_disk"],
    },
}


# ---------------------------------------------------------------- versions

def vkey(v: str):
    m = re.match(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$", v)
    if not m:
        return None
    pre = m.group(4)
    pk = ()
    if pre:
        pk = tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", pre))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pk)


def covered_tags(git_dir, first):
    tags = [t for t in git_tags(git_dir) if vkey(t) and vkey(t)[:3] >= first]
    tags = [t for t in tags if not t.endswith("-pre")]
    return sorted(tags, key=vkey)


# ---------------------------------------------------------------- schema values -> flat paths

SDK_TYPES = {"TypeString": "string", "TypeInt": "number", "TypeFloat": "number", "TypeBool": "bool",
             "TypeList": "list", "TypeSet": "set", "TypeMap": "map"}
FW_ATTRS = {"StringAttribute": "string", "Int64Attribute": "number", "Int32Attribute": "number",
            "Float64Attribute": "number", "Float32Attribute": "number", "NumberAttribute": "number",
            "BoolAttribute": "bool", "ListAttribute": "list", "SetAttribute": "set", "MapAttribute": "map",
            "ObjectAttribute": "object", "DynamicAttribute": "any"}
FW_NESTED_ATTRS = {"SingleNestedAttribute": "object", "ListNestedAttribute": "list(object)",
                   "SetNestedAttribute": "set(object)", "MapNestedAttribute": "map(object)"}
FW_BLOCKS = {"ListNestedBlock": "list", "SetNestedBlock": "set", "SingleNestedBlock": "single"}
FW_ELEM = {"StringType": "string", "Int64Type": "number", "Int32Type": "number", "Float64Type": "number",
           "NumberType": "number", "BoolType": "bool"}


def _str(v):
    return v if isinstance(v, str) and v else None


def _bool(v):
    return v is True


def _flags(props, s, deprecated_field):
    """required/optional/computed/sensitive/force_new and the deprecation message of one
    argument (SDKv2 names it `Deprecated`, the plugin framework `DeprecationMessage`; SDKv2
    marks replacement with `ForceNew`, the framework with a `RequiresReplace` plan modifier)."""
    for k, key in (("Required", "required"), ("Optional", "optional"), ("Computed", "computed"),
                   ("Sensitive", "sensitive"), ("ForceNew", "force_new")):
        if _bool(s.get(k)):
            props[key] = True
    mods = s.get("PlanModifiers")
    if isinstance(mods, list) and any(isinstance(m, Struct) and m.t.split(".")[-1] == "RequiresReplace"
                                      for m in mods):
        props["force_new"] = True
    if _str(s.get(deprecated_field)):
        props["deprecated"] = s[deprecated_field]


def sdk_elem_type(elem):
    if isinstance(elem, Struct) and elem.t == "Schema":
        t = elem.get("Type")
        if isinstance(t, Ext):
            base = SDK_TYPES.get(t.name)
            if base in ("list", "set", "map"):
                return f"{base}({sdk_elem_type(elem.get('Elem')) or 'string'})"
            return base
    return None


def flatten_sdk(schema_map, prefix, out):
    if not isinstance(schema_map, dict):
        return
    for name, s in schema_map.items():
        if not isinstance(name, str) or not isinstance(s, Struct):
            continue
        path = f"{prefix}{name}"
        t = s.get("Type")
        base = SDK_TYPES.get(t.name) if isinstance(t, Ext) else None
        elem = s.get("Elem")
        props = {}
        # ConfigModeAttr lists of objects are still written as blocks too: judged as blocks
        if base in ("list", "set") and isinstance(elem, Struct) and elem.t == "Resource":
            props["kind"] = "block"
            props["type"] = base
            if isinstance(s.get("MaxItems"), int) and s["MaxItems"] > 0:
                props["max_items"] = s["MaxItems"]
            if isinstance(s.get("MinItems"), int) and s["MinItems"] > 0:
                props["min_items"] = s["MinItems"]
        else:
            props["kind"] = "attribute"
            if base in ("list", "set", "map"):
                if isinstance(elem, Struct) and elem.t == "Resource":
                    props["type"] = f"{base}(object)"
                else:
                    props["type"] = f"{base}({sdk_elem_type(elem) or 'string'})"
            else:
                props["type"] = base or "any"
        _flags(props, s, "Deprecated")
        out[path] = props
        if props["kind"] == "block":
            flatten_sdk(elem.get("Schema"), path + ".", out)


def _validators_max(validators):
    if isinstance(validators, list):
        for v in validators:
            if isinstance(v, Struct) and v.t.endswith(".SizeAtMost"):
                a = v.get("args") or []
                if a and isinstance(a[0], int):
                    return a[0]
            if isinstance(v, Struct) and v.t.endswith(".SizeBetween"):
                a = v.get("args") or []
                if len(a) > 1 and isinstance(a[1], int):
                    return a[1]
    return None


def fw_elem(et):
    if isinstance(et, Ext):
        return FW_ELEM.get(et.name, "any")
    if isinstance(et, Struct) and et.t in ("ListType", "SetType", "MapType"):
        return f"{et.t[:-4].lower()}({fw_elem(et.get('ElemType'))})"
    if isinstance(et, Struct) and et.t == "ObjectType":
        return "object"
    return "any"


def flatten_fw(attrs, blocks, prefix, out):
    if isinstance(attrs, dict):
        for name, a in attrs.items():
            if not isinstance(name, str) or not isinstance(a, Struct):
                continue
            path = f"{prefix}{name}"
            t = a.t
            props = {"kind": "attribute"}
            if t in FW_ATTRS:
                base = FW_ATTRS[t]
                props["type"] = f"{base}({fw_elem(a.get('ElementType'))})" if base in ("list", "set", "map") else base
            elif t in FW_NESTED_ATTRS:
                props["type"] = FW_NESTED_ATTRS[t]
            else:
                props["type"] = "any"
            _flags(props, a, "DeprecationMessage")
            out[path] = props
            if t in FW_NESTED_ATTRS:
                inner = a.get("Attributes") if t == "SingleNestedAttribute" else (a.get("NestedObject") or {}).get("Attributes")
                flatten_fw(inner, None, path + ".", out)
    if isinstance(blocks, dict):
        for name, b in blocks.items():
            if not isinstance(name, str) or not isinstance(b, Struct):
                continue
            path = f"{prefix}{name}"
            kind = FW_BLOCKS.get(b.t, "list")
            props = {"kind": "block", "type": "list" if kind == "single" else kind}
            mx = 1 if kind == "single" else _validators_max(b.get("Validators"))
            if mx:
                props["max_items"] = mx
            if _str(b.get("DeprecationMessage")):
                props["deprecated"] = b["DeprecationMessage"]
            out[path] = props
            obj = b if kind == "single" else (b.get("NestedObject") or {})
            flatten_fw(obj.get("Attributes"), obj.get("Blocks"), path + ".", out)


def flatten_resource(res):
    """A schema.Resource (SDKv2) or a framework schema.Schema, as {path: props}."""
    out = {}
    if not isinstance(res, Struct):
        return None
    if "Attributes" in res or "Blocks" in res:
        flatten_fw(res.get("Attributes"), res.get("Blocks"), "", out)
        if _str(res.get("DeprecationMessage")):
            out[""] = {"kind": "resource", "deprecated": res["DeprecationMessage"]}
    else:
        flatten_sdk(res.get("Schema"), "", out)
        if _str(res.get("DeprecationMessage")):
            out[""] = {"kind": "resource", "deprecated": res["DeprecationMessage"]}
    return out or None


# ---------------------------------------------------------------- extraction per tag

API_NOTES: list[str] = []


def api_go_module(mirrors, mod):
    gomod = mod.read("go.mod") or ""
    m = re.search(r"github\.com/Telmate/proxmox-api-go\s+(v\S+)", gomod)
    rep = re.search(r"replace\s+github\.com/Telmate/proxmox-api-go\s+=>\s+(\S+)\s+(v\S+)", gomod)
    git_dir = os.path.join(mirrors, "Telmate+proxmox-api-go", "repo")
    if not m or not os.path.isdir(git_dir) or rep:
        return {}
    ver = m.group(1)
    pm = re.search(r"-([0-9a-f]{12})$", ver)
    rev = pm.group(1) if pm else ver
    r = subprocess.run(["git", "--git-dir", git_dir, "rev-parse", "--verify", "-q", rev + "^{commit}"],
                       capture_output=True, text=True)
    commit = r.stdout.strip()
    if r.returncode != 0:
        # the pinned commit is not in the mirror (a branch since rewritten, or newer than the
        # snapshot): take the newest commit made before the pseudo-version's timestamp
        ts = re.search(r"-(\d{14})-", ver)
        if not ts:
            return {}
        t = ts.group(1)
        iso = f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"
        commit = subprocess.run(["git", "--git-dir", git_dir, "rev-list", "-1", "--all", f"--before={iso}"],
                                capture_output=True, text=True).stdout.strip()
        if not commit:
            return {}
        API_NOTES.append(f"{mod.commit}: proxmox-api-go {ver} is not in the mirror; used {commit[:12]}, "
                         f"the newest commit before {iso}")
    return {"github.com/Telmate/proxmox-api-go": Module(git_dir, commit)}


def extract_telmate(mirrors, tag):
    git_dir = os.path.join(mirrors, PROVIDERS["telmate"]["repo"], "repo")
    mod = Module(git_dir, tag)
    mod.extra = api_go_module(mirrors, mod)
    pkg = mod.package_dir("proxmox")
    ev = Evaluator()
    prov = ev.call_func(pkg.funcs["Provider"], [])
    out = {"provider": {}, "resources": {}}
    if isinstance(prov, Struct):
        flatten_sdk(prov.get("Schema"), "", out["provider"])
        rm = prov.get("ResourcesMap") or {}
        for name in PROVIDERS["telmate"]["resources"]:
            if name in rm:
                flat = flatten_resource(rm[name])
                if flat:
                    out["resources"][name] = flat
    return out


def extract_bpg(mirrors, tag):
    git_dir = os.path.join(mirrors, PROVIDERS["bpg"]["repo"], "repo")
    mod = Module(git_dir, tag)
    out = {"provider": {}, "resources": {}}
    ppkg = mod.package_dir("proxmoxtf/provider")
    ev = Evaluator()
    if ppkg is not None and "createSchema" in ppkg.funcs:
        flatten_sdk(ev.call_func(ppkg.funcs["createSchema"], []), "", out["provider"])
    if ppkg is not None and "createResourceMap" in ppkg.funcs:
        rm = ev.call_func(ppkg.funcs["createResourceMap"], [])
        if isinstance(rm, dict):
            for name in PROVIDERS["bpg"]["resources"]:
                if name in rm:
                    flat = flatten_resource(rm[name])
                    if flat:
                        out["resources"][name] = flat
    # framework resources: run each Metadata method, then the Schema method of the same type
    wanted = set(PROVIDERS["bpg"]["resources"]) - set(out["resources"])
    dirs = sorted({f.rsplit("/", 1)[0] for f in mod.files if f.startswith("fwprovider/")})
    for d in dirs:
        src_hits = subprocess.run(["git", "--git-dir", git_dir, "grep", "-l", "TypeName", tag, "--", d + "/*.go"],
                                  capture_output=True, text=True).stdout
        if not src_hits.strip():
            continue
        pkg = mod.package_dir(d)
        if pkg is None:
            continue
        for (rt, mname), f in list(pkg.methods.items()):
            if mname != "Metadata":
                continue
            req = Struct("MetadataRequest", {"ProviderTypeName": "proxmox_virtual_environment"})
            resp = Struct("MetadataResponse")
            try:
                ev2 = Evaluator(200_000)
                ev2.call_func(f, [UNKNOWN, req, resp])
            except Budget:
                continue
            name = resp.get("TypeName")
            if name not in wanted or (rt, "Schema") not in pkg.methods:
                continue
            sresp = Struct("SchemaResponse")
            try:
                ev3 = Evaluator(2_000_000)
                ev3.call_func(pkg.methods[(rt, "Schema")], [UNKNOWN, Struct("SchemaRequest"), sresp])
            except Budget:
                continue
            flat = flatten_resource(sresp.get("Schema"))
            if flat:
                out["resources"][name] = flat
    return out


EXTRACT = {"bpg": extract_bpg, "telmate": extract_telmate}


# ---------------------------------------------------------------- spans

def build_spans(per_version, versions):
    """{name: {path: [ {from, to, props} ]}} from {version: {name: {path: props}}}."""
    names = sorted({n for v in versions for n in per_version[v]})
    out = {}
    for n in names:
        paths = sorted({p for v in versions for p in (per_version[v].get(n) or {})})
        res = {}
        for p in paths:
            spans = []
            for v in versions:
                flat = per_version[v].get(n)
                props = flat.get(p) if flat else None
                if spans and spans[-1]["props"] == props and spans[-1]["to"] == prev:
                    spans[-1]["to"] = v
                elif props is not None:
                    spans.append({"from": v, "to": v, "props": props})
                prev = v
            res[p] = spans
        out[n] = res
    return out


def write(provider, tags, per_version, registered):
    versions = [t.lstrip("v") for t in tags]
    pv = {t.lstrip("v"): per_version[t] for t in tags}
    spans = build_spans(pv, versions)
    lines = []
    doc = {
        "provider": PROVIDERS[provider]["source"],
        "license": PROVIDERS[provider]["license"],
        "derived_by": "scripts/provider_schemas/derive.py",
        "versions": versions,
        "prerelease": [v for v in versions if "-" in v],
        "registered": {n: [v.lstrip("v") for v in vs] for n, vs in registered.items()},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    # one line per path and span, so the file diffs well; spans name versions, `to` inclusive
    lines.append("{")
    for k, v in doc.items():
        lines.append(f" {json.dumps(k)}: {json.dumps(v)},")
    lines.append(' "schemas": {')
    blocks = []
    for n, paths in spans.items():
        inner = []
        for p, ss in paths.items():
            inner.append(f"   {json.dumps(p)}: " + json.dumps(
                [[s["from"], s["to"], s["props"]] for s in ss], separators=(",", ":")))
        blocks.append(f"  {json.dumps(n)}: {{\n" + ",\n".join(inner) + "\n  }")
    lines.append(",\n".join(blocks))
    lines.append(" }")
    lines.append("}")
    (OUT / f"{provider}.json").write_text("\n".join(lines) + "\n")


def run(mirrors, provider, only_tags=None):
    git_dir = os.path.join(mirrors, PROVIDERS[provider]["repo"], "repo")
    tags = covered_tags(git_dir, PROVIDERS[provider]["first"])
    if only_tags:
        tags = [t for t in tags if t in only_tags]
    per_version, registered = {}, {}
    for t in tags:
        got = EXTRACT[provider](mirrors, t)
        entry = {"provider": got["provider"]}
        entry.update(got["resources"])
        per_version[t] = entry
        for n in got["resources"]:
            registered.setdefault(n, []).append(t)
        print(f"{provider} {t}: provider {len(got['provider'])} paths, "
              + ", ".join(f"{n} {len(f)}" for n, f in got["resources"].items()), file=sys.stderr)
    return tags, per_version, registered


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", required=True)
    ap.add_argument("--only", choices=sorted(PROVIDERS))
    ap.add_argument("--dump", nargs=3, metavar=("PROVIDER", "TAG", "RESOURCE"))
    a = ap.parse_args()
    if a.dump:
        p, tag, res = a.dump
        got = EXTRACT[p](a.mirrors, tag)
        flat = got["provider"] if res == "provider" else got["resources"].get(res)
        json.dump(flat, sys.stdout, indent=1, sort_keys=True)
        print()
        return
    for p in [a.only] if a.only else sorted(PROVIDERS):
        tags, per_version, registered = run(a.mirrors, p)
        write(p, tags, per_version, registered)


if __name__ == "__main__":
    main()
