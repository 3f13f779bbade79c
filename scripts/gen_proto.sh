#!/usr/bin/env bash
# Regenerate pytest_goleak/pprof/profile_pb2.py(+.pyi) from the vendored profile.proto.
#
#   scripts/gen_proto.sh          rewrite the committed generated files
#   scripts/gen_proto.sh --check  regenerate into a temp dir; exit 1 if the committed files drift
#
# Why grpcio-tools==1.69.0: it bundles libprotoc 29.0, whose Python gencode is version 5.29.0.
# Generated code refuses a runtime older than its gencode, so 5.29.0 is the oldest runtime we
# accept (pyproject: protobuf>=5.29). Newer runtimes (6.x, 7.x) accept older gencode. Pinning
# the tool (not "whatever protoc is on PATH") keeps the output byte-for-byte reproducible.
# It is installed into a throwaway venv so the project venv never sees it.
set -euo pipefail

GRPCIO_TOOLS_VERSION="1.69.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="pytest_goleak/pprof"
PYTHON="${PYTHON:-python3}"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "grpcio-tools==${GRPCIO_TOOLS_VERSION}"

mkdir -p "$work/out"
# -I at the repo root registers the file as "pytest_goleak/pprof/profile.proto" in the
# descriptor pool, so it cannot collide with another package's vendored "profile.proto".
(cd "$ROOT" && "$work/venv/bin/python" -m grpc_tools.protoc -I . \
  --python_out="$work/out" --pyi_out="$work/out" "$PKG_DIR/profile.proto")

header="# generated, do not edit; regenerate with scripts/gen_proto.sh
# (grpcio-tools==${GRPCIO_TOOLS_VERSION}, from ${PKG_DIR}/profile.proto)"
for f in profile_pb2.py profile_pb2.pyi; do
  { printf '%s\n' "$header"; cat "$work/out/$PKG_DIR/$f"; } > "$work/$f"
done

status=0
for f in profile_pb2.py profile_pb2.pyi; do
  if [[ $check == 1 ]]; then
    if ! diff -u "$ROOT/$PKG_DIR/$f" "$work/$f"; then
      echo "drift: $PKG_DIR/$f differs from what scripts/gen_proto.sh generates" >&2
      status=1
    fi
  else
    cp "$work/$f" "$ROOT/$PKG_DIR/$f"
  fi
done
[[ $check == 1 && $status == 0 ]] && echo "generated protobuf code is up to date"
exit $status
