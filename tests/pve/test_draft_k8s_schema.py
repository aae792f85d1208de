"""The Kubernetes YAML `provisio draft` writes is valid against the strict Kubernetes 1.37
JSON Schema (../shared/data/k8s-json-schema, read in place), and its Terraform is
`terraform fmt`-clean; skipped without ../shared or terraform."""
import json
import os
import pathlib
import shutil
import subprocess

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "data" / "k8s-json-schema" / "k8s-v1.37.0-core5-strict.schema.json"
PLANS = ROOT / "corpus" / "fixtures" / "plans"
STATE = ROOT / "corpus" / "fixtures" / "state" / "lab.json"


def draft(bin_path, plan, out):
    r = subprocess.run([bin_path, "draft", str(plan), "--state", str(STATE), "--out", str(out), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/data/k8s-json-schema not present")
def test_k8s_yaml_is_valid_against_the_strict_schema(bin_path, tmp_path):
    bundle = json.loads(SCHEMA.read_text())
    d = draft(bin_path, PLANS / "nginx-app.json", tmp_path)
    docs = list(yaml.safe_load_all((tmp_path / "k8s" / "nginx.yaml").read_text()))
    assert [x["kind"] for x in docs] == ["Deployment", "Service"]
    for doc in docs:
        kind = bundle["x-kinds"][doc["kind"]]
        assert doc["apiVersion"] == kind["apiVersion"]
        schema = {"$defs": bundle["$defs"], "$ref": kind["$ref"]}
        jsonschema.validate(doc, schema)
    assert d["questions"] == []


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
def test_drafted_terraform_is_fmt_clean(bin_path, tmp_path):
    for plan in ("webserver.json",):
        out = tmp_path / plan
        draft(bin_path, PLANS / plan, out)
        r = subprocess.run(["terraform", "fmt", "-check", "-diff", "-no-color"], cwd=out, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
