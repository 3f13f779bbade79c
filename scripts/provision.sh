#!/usr/bin/env bash
# Provision a Debian machine for pytest-goleak: Docker, redis-server, PostgreSQL, Chromium, wrk.
#
# Idempotent and non-interactive: installs only what is missing (and runs `apt-get update` only
# then), and starts dockerd in the background when no Docker daemon answers, waiting at most
# DOCKER_WAIT seconds (default 60) for `docker info`. Needs root (or password-less sudo).
#
#   PROVISION_DRY_RUN=1 scripts/provision.sh   # print what would be done, change nothing
#
# A dockerd started here keeps running after the script ends (its pid is in $DOCKERD_PIDFILE);
# whoever called this script stops it when done.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive CI="${CI:-true}"
DRY_RUN="${PROVISION_DRY_RUN:-}"
DOCKER_WAIT="${DOCKER_WAIT:-60}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/goleak-dockerd.log}"
DOCKERD_PIDFILE="${DOCKERD_PIDFILE:-/run/goleak-dockerd.pid}"

log() { printf 'provision: %s\n' "$*" >&2; }
run() {
    if [[ -n "$DRY_RUN" ]]; then log "would run: $*"; else "$@"; fi
}

if [[ "$(id -u)" -ne 0 ]]; then
    if [[ -z "$DRY_RUN" ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        exec sudo -n -E "$0" "$@"
    fi
    [[ -n "$DRY_RUN" ]] || { log "must run as root (or with password-less sudo)"; exit 1; }
fi
command -v apt-get >/dev/null 2>&1 || { log "apt-get not found: this script is for Debian"; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }
have_postgres() {
    have initdb && return 0
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
docker_answers() { have docker && timeout 10 docker info >/dev/null 2>&1; }

missing=()
# The daemon is what matters: a docker CLI alone (e.g. in /usr/local/bin) cannot run anything.
if ! docker_answers && ! have dockerd; then missing+=(docker.io); fi
have docker || missing+=(docker.io)
have redis-server || missing+=(redis-server)
have_postgres || missing+=(postgresql)
{ have chromium || have chromium-browser; } || missing+=(chromium)
have wrk || missing+=(wrk)
# de-duplicate (docker.io can be listed twice)
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    run apt-get update -qq </dev/null
    run apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
    log "all packages present"
fi

# The packages' own services are not started under policy-rc.d and are not needed: the
# plugin starts private redis-server and PostgreSQL instances itself. Docker is different.
if docker_answers; then
    log "docker daemon answers"
    exit 0
fi
if [[ -n "$DRY_RUN" ]]; then
    log "would start dockerd in the background (log: $DOCKERD_LOG) and wait up to ${DOCKER_WAIT}s"
    exit 0
fi
have dockerd || { log "dockerd not found after installing docker.io"; exit 1; }
log "starting dockerd (log: $DOCKERD_LOG)"
setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
echo $! >"$DOCKERD_PIDFILE"
deadline=$((SECONDS + DOCKER_WAIT))
until docker_answers; do
    if ((SECONDS >= deadline)); then
        log "docker daemon did not answer within ${DOCKER_WAIT}s; last log lines:"
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    if ! kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; then
        log "dockerd exited; last log lines:"
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    sleep 1
done
log "docker daemon answers (pid $(cat "$DOCKERD_PIDFILE"))"
