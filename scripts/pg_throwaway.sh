#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   eval "$(bash scripts/pg_throwaway.sh start)"   # prints export lines on stdout
#   ... run tests against $FIVESTAR_TEST_PG ...
#   bash scripts/pg_throwaway.sh stop              # stops $FIVESTAR_PG_DATADIR's cluster, removes it
#
# Only the `export ...` lines go to stdout; every progress message goes to stderr.
# As root (CI, dev machines) initdb/pg_ctl run as the `postgres` OS user; as any
# other user they run as that user.
set -euo pipefail

log() { printf 'pg_throwaway: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the cluster owner (postgres when we are root), from a
# directory that user can read so pg_ctl/initdb don't trip over root's cwd.
as_owner() {
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            local q
            q="$(printf '%q ' "$@")"
            (cd / && su postgres -s /bin/sh -c "$q")
        fi
    else
        (cd / && "$@")
    fi
}

find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    return 1
}

ensure_installed() {
    if find_bin >/dev/null; then
        return 0
    fi
    is_root || die "no initdb under /usr/lib/postgresql/*/bin and not root: install the 'postgresql' package"
    log "PostgreSQL not found; installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null >&2
    apt-get install -y -q --no-install-recommends postgresql </dev/null >&2
    find_bin >/dev/null || die "installed postgresql but found no initdb under /usr/lib/postgresql/*/bin"
}

ensure_user() {
    is_root || return 0
    if ! id -u postgres >/dev/null 2>&1; then
        log "creating OS user postgres"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres >&2
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd_start() {
    ensure_installed
    ensure_user
    local port
    # Globals (not local): the EXIT trap below may run after this function.
    bin="$(find_bin)"
    log "using $bin"

    tmp="$(mktemp -d "${TMPDIR:-/tmp}/fivestar-pg.XXXXXX")"
    datadir="$tmp/data"
    logfile="$tmp/postgres.log"
    # Clean up after ourselves if anything below fails.
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then
              log "start failed (exit $rc)";
              [[ -f "$logfile" ]] && tail -n 30 "$logfile" >&2;
              as_owner "$bin/pg_ctl" -D "$datadir" -m immediate stop >/dev/null 2>&1 || true;
              rm -rf "$tmp";
          fi' EXIT
    chmod 700 "$tmp"
    if is_root; then
        chown postgres: "$tmp"
    fi

    log "initdb in $datadir"
    as_owner "$bin/initdb" -D "$datadir" -A trust -U postgres -E UTF8 --no-locale --no-sync >&2

    port="$(free_port)"
    log "starting on 127.0.0.1:$port (log: $logfile)"
    as_owner "$bin/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2

    log "creating database fivestar_test"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres fivestar_test </dev/null >&2

    trap - EXIT
    printf 'export FIVESTAR_TEST_PG=%q\n' "postgresql://postgres@127.0.0.1:$port/fivestar_test"
    printf 'export FIVESTAR_PG_DATADIR=%q\n' "$datadir"
    printf 'export FIVESTAR_PG_BIN=%q\n' "$bin"
    log "ready: postgresql://postgres@127.0.0.1:$port/fivestar_test"
}

cmd_stop() {
    local datadir="${FIVESTAR_PG_DATADIR:-}"
    if [[ -z "$datadir" ]]; then
        log "FIVESTAR_PG_DATADIR is not set; nothing to stop"
        return 0
    fi
    if [[ ! -d "$datadir" ]]; then
        log "$datadir does not exist; nothing to stop"
        return 0
    fi
    local bin="${FIVESTAR_PG_BIN:-}"
    if [[ -z "$bin" || ! -x "$bin/pg_ctl" ]]; then
        bin="$(find_bin)" || die "no pg_ctl found"
    fi
    if [[ -f "$datadir/postmaster.pid" ]]; then
        log "stopping cluster in $datadir"
        as_owner "$bin/pg_ctl" -D "$datadir" -m fast -w -t 60 stop >&2 \
            || as_owner "$bin/pg_ctl" -D "$datadir" -m immediate -w stop >&2 \
            || log "warning: pg_ctl stop failed"
    fi
    # Remove the whole throwaway directory made by `start` (parent of data/),
    # or just the data directory if it was laid out some other way.
    local parent
    parent="$(dirname "$datadir")"
    if [[ "$(basename "$datadir")" == data && "$(basename "$parent")" == fivestar-pg.* ]]; then
        rm -rf "$parent"
    else
        rm -rf "$datadir"
    fi
    log "removed $datadir"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        echo '  eval "$(bash scripts/pg_throwaway.sh start)"; ...; bash scripts/pg_throwaway.sh stop' >&2
        exit 2
        ;;
esac
