#!/usr/bin/env bash
# Regenerate the Go code of the gRPC services from their .proto files: the fixtures' feed
# (go_fixtures/internal/feedpb) and the example's inventory (examples/grpc_service/inventorypb).
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
# each: the package directory, and its .proto file in it
PROTOS=("go_fixtures/internal/feedpb/feed.proto" "examples/grpc_service/inventorypb/inventory.proto")
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

status=0
for proto in "${PROTOS[@]}"; do
  dir="$(dirname "$proto")" name="$(basename "$proto" .proto)"
  mkdir -p "$work/out/$dir"
  (cd "$ROOT/$dir" && "$work/venv/bin/python" -m grpc_tools.protoc -I . \
    --plugin=protoc-gen-go="$work/bin/protoc-gen-go" --plugin=protoc-gen-go-grpc="$work/bin/protoc-gen-go-grpc" \
    --go_out="$work/out/$dir" --go_opt=paths=source_relative \
    --go-grpc_out="$work/out/$dir" --go-grpc_opt=paths=source_relative "$name.proto")
  for f in "$name.pb.go" "${name}_grpc.pb.go"; do
    if [[ $check == 1 ]]; then
      if ! diff -u "$ROOT/$dir/$f" "$work/out/$dir/$f"; then
        echo "drift: $dir/$f differs from what scripts/gen_grpc.sh generates" >&2
        status=1
      fi
    else
      cp "$work/out/$dir/$f" "$ROOT/$dir/$f"
    fi
  done
done
[[ $check == 1 && $status == 0 ]] && echo "generated gRPC code is up to date"
exit $status
