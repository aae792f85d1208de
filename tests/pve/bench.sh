#!/usr/bin/env bash
# Benchmarks against fakepve serving the thesis lab plus extra guests (default: 500 guests in
# all over 3 nodes): `provisio bench cluster-state` (warm latency and bytes per view), or with
# WHAT=guests `provisio bench guests` (import of every guest, then drift of the result).
#   PYTHON=~/.cache/provisio-test-venv/bin/python tests/pve/bench.sh [GUESTS] [ROUNDS] [WHAT]
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/provisio-test-venv/bin/python}
BIN=${PROVISIO_BIN:-${CARGO_TARGET_DIR:-target}/release/provisio}
GUESTS=${1:-500}
ROUNDS=${2:-20}
WHAT=${3:-cluster-state}
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$PYTHON" tests/pve/fakelab.py --info "$tmp/lab.json" --extra-guests $((GUESTS - 8)) >/dev/null &
echo $! > "$tmp/pid"
for _ in $(seq 300); do [ -f "$tmp/lab.json" ] && break; sleep 0.1; done
get() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/lab.json" "$1"; }
export XDG_CONFIG_HOME="$tmp" PROVISIO_PVE_URL=$(get url) PROVISIO_PVE_TOKEN_ID=$(get token_id) \
  PROVISIO_PVE_TOKEN_SECRET=$(get token_secret) PROVISIO_PVE_FINGERPRINT=$(get fingerprint)
"$BIN" bench "$WHAT" --rounds "$ROUNDS"
