#!/usr/bin/env bash
# Provision a Debian or Ubuntu machine for pytest-goleak. Used by `make goleak`, `make test` and .ci/run.
#
#   scripts/provision.sh [--for goleak|test]     # default: test (everything)
#     goleak: a running Docker engine, redis-server, PostgreSQL (what the shipped scenarios need)
#     test:   the same plus Chromium (browser tests) and wrk (load-driver benchmarks)
#   PROVISION_DRY_RUN=1 scripts/provision.sh     # print what would be done, change nothing
#
# Idempotent and non-interactive. When everything is there it only looks (no apt, no root) and
# takes a fraction of a second. Root is asked for only to run apt-get and to start dockerd, with
# `sudo -n` (never a password prompt) when not already root. Where it cannot do something it
# says, in one line, what is missing and how to get it, and exits 1.
#
# A dockerd started here keeps running after the script ends (its pid is in $DOCKERD_PIDFILE);
# .ci/run stops it again, on a workstation it stays up like any Docker engine.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
MODE=test
while (($#)); do
    case "$1" in
        --for) MODE="${2:-}"; shift 2 || true ;;
        --for=*) MODE="${1#--for=}"; shift ;;
        *) printf 'provision: unknown argument %q (usage: provision.sh [--for goleak|test])\n' "$1" >&2; exit 2 ;;
    esac
done
[[ "$MODE" == goleak || "$MODE" == test ]] || { echo "provision: --for must be goleak or test, got '$MODE'" >&2; exit 2; }

DRY_RUN="${PROVISION_DRY_RUN:-}"
DOCKER_WAIT="${DOCKER_WAIT:-60}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/goleak-dockerd.log}"
DOCKERD_PIDFILE="${DOCKERD_PIDFILE:-/run/goleak-dockerd.pid}"
SOCKET=/var/run/docker.sock
[[ "${DOCKER_HOST:-}" == unix://* ]] && SOCKET="${DOCKER_HOST#unix://}"  # still this machine's engine

log() { printf 'provision: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
have_postgres() { have initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
docker_answers() { have docker && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# -- look (no root, no apt) ----------------------------------------------------------------------
# Go comes from go.dev, not apt (Debian's is too old): say so, do not install it.
GO_NEED=1.25  # go_fixtures/go.mod (pgx v5.12)
go_bin=$(command -v go || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } || true)
[[ -n "$go_bin" ]] || die "missing: Go >= $GO_NEED. Install it from https://go.dev/dl into /usr/local/go (Debian's golang package is older)"
go_have=$(GOTOOLCHAIN=local "$go_bin" env GOVERSION 2>/dev/null | sed 's/^go//') || true
if [[ "$(printf '%s\n' "$GO_NEED" "${go_have:-0}" | sort -V | head -n1)" != "$GO_NEED" ]]; then
    die "Go ${go_have:-?} at $go_bin is older than the fixtures need (>= $GO_NEED): install a newer Go from https://go.dev/dl," \
        "or let the go command fetch one (GOTOOLCHAIN=auto, the default)"
fi
missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv")  # make creates .venv
if ! docker_answers; then
    have dockerd || missing+=(docker.io)   # the daemon is what matters: a CLI alone runs nothing
    have docker || missing+=(docker.io)
fi
have redis-server || missing+=(redis-server)
have_postgres || missing+=(postgresql)
if [[ "$MODE" == test ]]; then
    { [[ -x "${GOLEAK_CHROMIUM:-}" ]] || have chromium || have chromium-browser; } || missing+=(chromium)
    have wrk || missing+=(wrk)
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')

if ((${#missing[@]} == 0)) && docker_answers; then
    log "ready for make $MODE: docker engine answers; redis-server, postgresql$([[ $MODE == test ]] && echo ', chromium, wrk') present"
    exit 0
fi

# -- act (root only from here, and only for what is missing) --------------------------------------
SUDO=()
can_root() {
    [[ "$(id -u)" -eq 0 ]] && return 0
    have sudo && sudo -n true 2>/dev/null && SUDO=(sudo -n) && return 0
    return 1
}
as_root() {
    if [[ -n "$DRY_RUN" ]]; then log "would run: ${SUDO[*]:+${SUDO[*]} }$*"; else "${SUDO[@]}" "$@"; fi
}
root_hint() {  # how to get the missing part by hand
    if have apt-get; then echo "run: sudo apt-get install -y $*"; else echo "install $* with your system's package manager"; fi
}

if ((${#missing[@]})); then
    if ! have apt-get; then
        die "missing: ${missing[*]}. This script installs with apt-get (Debian/Ubuntu); $(root_hint "${missing[*]}") and rerun"
    fi
    if ! can_root && [[ -z "$DRY_RUN" ]]; then
        die "missing: ${missing[*]}. Installing needs root (no password-less sudo here): $(root_hint "${missing[*]}")"
    fi
    log "installing with apt-get${SUDO[*]:+ via sudo}: ${missing[*]}"
    as_root apt-get update -qq </dev/null
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# The packages' own services are not started under policy-rc.d and are not needed: the plugin
# starts private redis-server and PostgreSQL instances itself. Docker is different.
docker_answers && { log "ready for make $MODE"; exit 0; }

if [[ -S "$SOCKET" && ! -w "$SOCKET" && "$(id -u)" -ne 0 ]]; then
    die "permission denied on $SOCKET (owned by $(stat -c %U:%G "$SOCKET")): add yourself to that group" \
        "(sudo usermod -aG $(stat -c %G "$SOCKET") ${USER:-$(id -un)}, then log in again), or run as root"
fi
if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix://* ]]; then
    die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start that engine, or unset DOCKER_HOST to use this machine's"
fi
if [[ -n "$DRY_RUN" ]]; then
    log "would start dockerd in the background (log: $DOCKERD_LOG) and wait up to ${DOCKER_WAIT}s"
    exit 0
fi
have dockerd || die "dockerd not found after installing docker.io"
can_root || die "dockerd is installed but not running, and starting it needs root: sudo systemctl start docker (or: sudo dockerd &)"
# A non-root caller gets the socket in its own group, so that it can use the engine it asked for.
group_args=()
[[ "$(id -u)" -ne 0 ]] && group_args=(--group "$(id -g)")
[[ "$SOCKET" != /var/run/docker.sock ]] && group_args+=(--host "unix://$SOCKET")
log "starting dockerd${SUDO[*]:+ via sudo} in the background (log: $DOCKERD_LOG; it keeps running)"
"${SUDO[@]}" sh -c 'log=$1 pidfile=$2; shift 2; setsid dockerd "$@" >>"$log" 2>&1 </dev/null & echo $! >"$pidfile"' \
    sh "$DOCKERD_LOG" "$DOCKERD_PIDFILE" ${group_args[@]+"${group_args[@]}"}
dockerd_pid=$("${SUDO[@]}" cat "$DOCKERD_PIDFILE")
deadline=$((SECONDS + DOCKER_WAIT))
until docker_answers; do
    if ((SECONDS >= deadline)) || ! "${SUDO[@]}" kill -0 "$dockerd_pid" 2>/dev/null; then
        log "dockerd did not come up within ${DOCKER_WAIT}s; last lines of $DOCKERD_LOG:"
        "${SUDO[@]}" tail -n 20 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    sleep 0.5
done
log "docker engine answers (dockerd pid $dockerd_pid); ready for make $MODE"
