#!/usr/bin/env bash
# Retrieval quality over the whole shared corpus (../shared/corpus) on the dev question set
# (BM25, dense, hybrid) and on our own (corpus/eval; BM25, hybrid), checked against floors
# (regression guards well below the figures in the README). The data directory defaults to one
# outside the clone so a warm embedding cache is reused between runs; a cold run embeds the
# corpus (several minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${CARGO_TARGET_DIR:-target}/release/provisio
DATA=${PROVISIO_EVAL_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/provisio-eval}
Q=../shared/eval/dev-questions.jsonl

"$B" --data-dir "$DATA" index --corpus ../shared/corpus
fail=0; pass=0
check() { # mode min_r5 min_mrr [questions]
  local out r5 mrr q=${4:-$Q}
  out=$("$B" --data-dir "$DATA" eval-retrieval "$q" --mode "$1" --json)
  echo "retrieval $1 ($(basename "$q")): $out"
  r5=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["recall_at_5"])' "$out")
  mrr=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mrr_at_10"])' "$out")
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1])>=float(sys.argv[2]) and float(sys.argv[3])>=float(sys.argv[4]) else 1)' "$r5" "$2" "$mrr" "$3"; then
    pass=$((pass+1))
  else
    echo "FAILED: $1 below floor (R@5 >= $2, MRR@10 >= $3)"; fail=$((fail+1))
  fi
}
check bm25 0.70 0.50
check dense 0.56 0.42
check hybrid 0.76 0.58
# Our own questions (corpus/eval, written from random sections; not tuned on).
check bm25 0.72 0.55 corpus/eval/provisio-questions.jsonl
check hybrid 0.72 0.55 corpus/eval/provisio-questions.jsonl
# What the model sees: one search with default arguments shows the gold evidence in its
# passage text, within the default word budget (median words).
visible() { # min_visible max_median_words [questions]
  local out q=${3:-$Q}
  out=$("$B" --data-dir "$DATA" eval-retrieval "$q" --mode hybrid --json)
  if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["answer_visible_at_k"]>=float(sys.argv[2]) and d["median_words"]<=int(sys.argv[3]) else 1)' "$out" "$1" "$2"; then
    pass=$((pass+1))
  else
    echo "FAILED: answer visible below $1 or median words above $2 ($(basename "$q")): $out"; fail=$((fail+1))
  fi
}
visible 0.82 600
visible 0.68 600 corpus/eval/provisio-questions.jsonl
echo "retrieval-eval: $pass passed, $fail failed"
[ "$fail" = 0 ]
