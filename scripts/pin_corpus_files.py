#!/usr/bin/env python3
"""Print the `files = [...]` pins of the sources assembled file by file (k3s-docs, k8s-docs,
metallb-docs) from the LICENSE-NOTE.md of a corpus directory that holds them: each note lists
every path with the upstream commit it was copied at.

    python3 scripts/pin_corpus_files.py ../shared/corpus k3s-docs k8s-docs metallb-docs

Paste each list into its [[source]] in corpus/sources.toml, then pin the digests with
`provisio corpus digest ../shared/corpus`.
"""
import re
import sys

corpus, names = sys.argv[1], sys.argv[2:]
row = re.compile(r"^\| (\S[^|]*?) \| ([0-9a-f]{40}) \|")
for name in names:
    pins = []
    with open(f"{corpus}/{name}/LICENSE-NOTE.md", encoding="utf-8") as f:
        for line in f:
            m = row.match(line)
            if m:
                pins.append((m.group(1).strip(), m.group(2)))
    print(f"# {name}: {len(pins)} files")
    print("files = [")
    for path, commit in sorted(pins):
        print(f'  {{ path = "{path}", commit = "{commit}" }},')
    print("]")
