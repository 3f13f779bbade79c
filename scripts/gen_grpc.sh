#!/usr/bin/env bash
# Regenerate the gRPC fixtures' Go code (go_fixtures/internal/feedpb/*.pb.go) from feed.proto.
#
#   scripts/gen_grpc.sh          rewrite the committed generated files
#   scripts/gen_grpc.sh --check  regenerate into a temp dir; exit 1 if the committed files drift
#
# Every tool is pinned so the output is byte-for-byte reproducible: protoc is the one bundled in
# grpcio-tools (PyPI, as scripts/gen_proto.sh uses), the two Go plugins come from the Go module
# proxy at the versions below. All of it goes into a throwaway directory.
set -euo pipefail

GRPCIO_TOOLS_VERSION="1.69.0"
PROTOC_GEN_GO="google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12"
PROTOC_GEN_GO_GRPC="google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="go_fixtures/internal/feedpb"
PYTHON="${PYTHON:-python3}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"

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
GOBIN="$work/bin" GOFLAGS=-mod=mod "$GO" install "$PROTOC_GEN_GO"
GOBIN="$work/bin" GOFLAGS=-mod=mod "$GO" install "$PROTOC_GEN_GO_GRPC"

mkdir -p "$work/out"
(cd "$ROOT/$PKG_DIR" && "$work/venv/bin/python" -m grpc_tools.protoc -I . \
  --plugin=protoc-gen-go="$work/bin/protoc-gen-go" --plugin=protoc-gen-go-grpc="$work/bin/protoc-gen-go-grpc" \
  --go_out="$work/out" --go_opt=paths=source_relative \
  --go-grpc_out="$work/out" --go-grpc_opt=paths=source_relative feed.proto)

status=0
for f in feed.pb.go feed_grpc.pb.go; do
  if [[ $check == 1 ]]; then
    if ! diff -u "$ROOT/$PKG_DIR/$f" "$work/out/$f"; then
      echo "drift: $PKG_DIR/$f differs from what scripts/gen_grpc.sh generates" >&2
      status=1
    fi
  else
    cp "$work/out/$f" "$ROOT/$PKG_DIR/$f"
  fi
done
[[ $check == 1 && $status == 0 ]] && echo "generated gRPC code is up to date"
exit $status
