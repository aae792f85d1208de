#!/usr/bin/env bash
# Every finding `provisio lint` reports on code nobody here wrote, as sorted JSON lines, so two
# builds can be compared (a refactor of the linter must leave this output unchanged):
#   scripts/lint-findings.sh BIN > before.jsonl; scripts/lint-findings.sh BIN2 > after.jsonl
#   diff before.jsonl after.jsonl
# Inputs: the HCL/YAML files of the shared docs corpus and the ```hcl/terraform/yaml blocks of
# its Markdown (each file or block its own module, no cluster), and ../shared/eval/lint-dev
# against the lab state (corpus/fixtures/state/lab.json).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: scripts/lint-findings.sh PROVISIO_BIN}
SHARED=${SHARED:-../shared}
list=$(mktemp)
blocks=$(mktemp -d)
trap 'rm -rf "$list" "$blocks"' EXIT
find "$SHARED/corpus" -type f \( -name '*.tf' -o -name '*.tfvars' -o -name '*.yaml' -o -name '*.yml' \) | sort > "$list"
python3 - "$SHARED/corpus" "$blocks" <<'PY' >> "$list"
import pathlib, re, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
fence = re.compile(r"```(hcl|terraform|tf|yaml|yml)[ \t]*\n(.*?)```", re.S)
for p in sorted(root.rglob("*.md*")):
    for i, m in enumerate(fence.finditer(p.read_text(errors="replace"))):
        ext = "tf" if m.group(1) in ("hcl", "terraform", "tf") else "yaml"
        f = out / (str(p.relative_to(root)).replace("/", "__") + f".{i}.{ext}")
        f.write_text(m.group(2))
        print(f)
PY
{
  xargs -a "$list" -d '\n' "$BIN" lint --no-cluster --per-file --format json || true
  "$BIN" lint "$SHARED/eval/lint-dev/good" "$SHARED/eval/lint-dev/bad" \
    --state corpus/fixtures/state/lab.json --per-file --format json || true
} | python3 -c '
import json, sys
blocks = sys.argv[1]
dec = json.JSONDecoder()
text = sys.stdin.read()
i = 0
rows = []
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    doc, i = dec.raw_decode(text, i)
    found = doc["findings"] if isinstance(doc, dict) else doc
    rows += [json.dumps(f, sort_keys=True).replace(blocks, "BLOCKS") for f in found]
print("\n".join(sorted(rows)))
' "$blocks"
