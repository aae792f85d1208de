"""The Kubernetes schema check of lint_manifest (schemas generated from k8s-openapi's types)
cross-checked against the strict Kubernetes 1.37 JSON Schema from kubernetes-validate
(../shared/data/k8s-json-schema, read in place): every example manifest in the Kubernetes docs
corpus (../shared/corpus/k8s-docs, ```yaml blocks with apiVersion and kind) of the 14 kinds that
schema covers is validated by both. Documents where they disagree are listed; the test fails
when they disagree on more than 2 % of documents."""
import json
import pathlib
import re
import subprocess

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SCHEMA = SHARED / "data" / "k8s-json-schema" / "k8s-v1.37.0-core14-strict.schema.json"
DOCS = SHARED / "corpus" / "k8s-docs"


@pytest.mark.skipif(not (SCHEMA.exists() and DOCS.is_dir()), reason="../shared not present")
def test_schema_check_agrees_with_the_strict_schema(bin_path, tmp_path):
    bundle = json.loads(SCHEMA.read_text())
    kinds = bundle["x-kinds"]
    n = 0
    for md in sorted(DOCS.rglob("*.md")):
        for m in re.finditer(r"```ya?ml\n(.*?)```", md.read_text(), re.S):
            block = m.group(1)
            if "{{" in block or "..." in block:
                continue
            try:
                docs = [d for d in yaml.safe_load_all(block) if isinstance(d, dict)]
            except yaml.YAMLError:
                continue
            if len(docs) != 1 or docs[0].get("kind") not in kinds or docs[0].get("apiVersion") != kinds[docs[0]["kind"]]["apiVersion"]:
                continue
            n += 1
            (tmp_path / f"{n:04d}.yaml").write_text(block)
    assert n >= 30, n
    r = subprocess.run([bin_path, "lint", "--no-cluster", "--per-file", "--format", "json", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    findings = json.loads(r.stdout)
    ours = {}
    for f in findings:
        if f["code"] in ("PV100", "PV101", "PV002"):
            ours.setdefault(pathlib.Path(f["file"]).name, []).append(f["message"])
    disagree = []
    invalid = 0
    for p in sorted(tmp_path.glob("*.yaml")):
        doc = yaml.safe_load(p.read_text())
        schema = {"$defs": bundle["$defs"], "$ref": kinds[doc["kind"]]["$ref"]}
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
        invalid += bool(errors)
        if bool(errors) != (p.name in ours):
            disagree.append(f"{p.name} {doc['kind']}: strict schema {'invalid: ' + errors[0].message[:100] if errors else 'valid'}; "
                            f"lint {'; '.join(ours.get(p.name, ['clean']))[:150]}")
    print(f"\n{n} documents, {invalid} invalid by the strict schema, {len(disagree)} disagreements")
    for d in disagree:
        print("  " + d)
    assert len(disagree) <= max(1, n // 50), "\n".join(disagree)
