"""Differential test: `terraform` is the oracle for HCL syntax and references.

Every HCL block of the docs corpus (../shared/corpus when present, else the fixture corpus), plus
mutated variants of each, is given to
- `terraform fmt -` (parses the HCL; needs no provider): provisio must report PV001 exactly when
  terraform rejects the text;
- `terraform validate`, for configurations that need no provider (variables, locals, outputs,
  `terraform_data`, `check`): provisio must report no reference error (PV020-PV022) on one that
  terraform accepts.
Disagreements are listed; the test fails on a false syntax or reference error.

usage outside pytest: python3 tests/lint/test_terraform_oracle.py [--limit N]  (prints the report)
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "corpus" / "fixtures" / "corpus"
TERRAFORM = shutil.which("terraform")
FENCE = re.compile(r"```(?:hcl|terraform|tf)[ \t]*\n(.*?)```", re.S)
PROVIDER_FREE = re.compile(r'^\s*(resource|data|module|provider|import|moved|removed|ephemeral)\b', re.M)


def blocks():
    root = SHARED if SHARED.is_dir() else FIXTURES
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix not in (".md", ".markdown", ".mdx", ".txt") or not p.is_file():
            continue
        for i, m in enumerate(FENCE.finditer(p.read_text(errors="replace"))):
            out.append((f"{p.relative_to(root)}#{i}", m.group(1)))
    return out


def mutations(name, text):
    """Deterministic variants: each block gets two, chosen by its hash."""
    h = int(hashlib.sha256(name.encode()).hexdigest(), 16)
    lines = text.splitlines(keepends=True)
    muts = []
    closers = [i for i, l in enumerate(lines) if l.strip() == "}"]
    if closers:
        i = closers[h % len(closers)]
        muts.append(("drop-brace", "".join(lines[:i] + lines[i + 1:])))
    attrs = [i for i, l in enumerate(lines) if re.match(r'^\s*\w+\s*=\s*"[^"]*"\s*$', l)]
    if attrs:
        i = attrs[(h >> 8) % len(attrs)]
        kind = (h >> 16) % 4
        l = lines[i]
        if kind == 0:
            new = l.rstrip("\n") + ",\n"                        # stray comma
        elif kind == 1:
            new = l.replace("=", ":", 1)                        # colon instead of =
        elif kind == 2:
            new = l.replace('"', "'")                           # single quotes
        else:
            new = re.sub(r'=\s*"', '= <<EOF\n', l, 1).rstrip().rstrip('"') + "\nEOF\n"  # heredoc
        muts.append((f"attr-{kind}", "".join(lines[:i] + [new] + lines[i + 1:])))
    # an empty heredoc before the text (valid)
    muts.append(("empty-heredoc", 'locals {\n  empty = <<EOT\nEOT\n}\n' + text))
    return muts


def tf_fmt_ok(text):
    r = subprocess.run([TERRAFORM, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True)
    return r.returncode == 0


def tf_validate(d):
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    r = subprocess.run([TERRAFORM, "init", "-backend=false", "-input=false", "-no-color"], cwd=d,
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return None
    r = subprocess.run([TERRAFORM, "validate", "-json", "-no-color"], cwd=d, capture_output=True, text=True,
                       env=env)
    try:
        return json.loads(r.stdout).get("valid")
    except ValueError:
        return None


def provisio_lint(bin_path, dirs):
    r = subprocess.run([bin_path, "lint", "--no-cluster", "--format", "json", *map(str, dirs)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    found = {}
    for f in json.loads(r.stdout):
        d = Path(f["file"]).parent.name
        found.setdefault(d, []).append(f)
    return found


def run(bin_path, limit=None):
    cases = []
    for name, text in blocks()[:limit]:
        cases.append((name, "as-is", text))
        for mname, mt in mutations(name, text):
            cases.append((name, mname, mt))
    report = {"cases": len(cases), "false_syntax": [], "missed_syntax": [], "validated": 0,
              "false_reference": [], "agree": 0}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = []
        for i, (name, kind, text) in enumerate(cases):
            d = Path(tmp) / f"c{i:05d}"
            d.mkdir()
            (d / "main.tf").write_text(text)
            dirs.append(d)
        found = {}
        for k in range(0, len(dirs), 400):
            found.update(provisio_lint(bin_path, dirs[k:k + 400]))
        for i, (name, kind, text) in enumerate(cases):
            d = dirs[i]
            ours = found.get(d.name, [])
            ours_syntax = any(f["code"] == "PV001" for f in ours)
            tf_ok = tf_fmt_ok(text)
            if tf_ok and ours_syntax:
                report["false_syntax"].append((name, kind, [f["message"] for f in ours if f["code"] == "PV001"]))
            elif not tf_ok and not ours_syntax:
                report["missed_syntax"].append((name, kind))
            else:
                report["agree"] += 1
            if tf_ok and not PROVIDER_FREE.search(text) and kind in ("as-is", "empty-heredoc"):
                valid = tf_validate(d)
                if valid is None:
                    continue
                report["validated"] += 1
                refs = [f for f in ours if f["code"] in ("PV020", "PV021", "PV022") and f["severity"] == "error"]
                if valid and refs:
                    report["false_reference"].append((name, kind, [f["message"] for f in refs]))
    return report


@pytest.mark.skipif(TERRAFORM is None, reason="terraform CLI not installed")
def test_terraform_is_the_oracle_for_syntax_and_references(bin_path):
    r = run(bin_path)
    print(json.dumps({k: (len(v) if isinstance(v, list) else v) for k, v in r.items()}))
    for x in r["missed_syntax"][:20]:
        print("terraform rejects, provisio accepts:", x)
    assert r["cases"] > 50
    assert r["false_syntax"] == [], r["false_syntax"][:10]
    assert r["false_reference"] == [], r["false_reference"][:10]


if __name__ == "__main__":
    lim = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
    b = os.environ.get("PROVISIO_BIN", "/var/tmp/provisio-ci-target/release/provisio")
    rep = run(b, lim)
    print(json.dumps({k: (len(v) if isinstance(v, list) else v) for k, v in rep.items()}))
    for key in ("false_syntax", "false_reference", "missed_syntax"):
        for x in rep[key][:30]:
            print(key, x)
