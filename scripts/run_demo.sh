#!/usr/bin/env bash
# `make run`: the main job on the embedded SQLite store. Imports a generated demo ledger into
# an empty store (once), issues an auditor token for trying the API (once: it is kept in
# fivestar.demo-token beside the store, git-ignored, and reused while it is active), and
# serves the API. PORT=8080 make run serves on another port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export FIVESTAR_DB="${FIVESTAR_DB:-./fivestar.db}"
fivestar=.venv/bin/fivestar
port="${PORT:-8000}"

# The token file sits beside a SQLite store (fivestar.db -> fivestar.demo-token); for a
# PostgreSQL URL, in the current directory.
case "$FIVESTAR_DB" in
    postgres://* | postgresql://*) token_file=./fivestar.demo-token ;;
    *.db) token_file="${FIVESTAR_DB%.db}.demo-token" ;;
    *) token_file="$FIVESTAR_DB.demo-token" ;;
esac

# Read models built by an older fivestar (or another ledger) are refused with a message that
# names `fivestar rebuild`: the demo store is ours, so rebuild them rather than stop.
if problem="$("$fivestar" eligibility --year 2025 --json 2>&1 >/dev/null)"; then :; else
    case "$problem" in
        *"fivestar rebuild"*)
            echo "== $problem"
            echo "== rebuilding the read models of $FIVESTAR_DB"
            "$fivestar" rebuild
            ;;
    esac
fi
existing="$("$fivestar" eligibility --year 2025 --json 2>/dev/null || true)"
if [ -z "$existing" ] || [ "$existing" = "[]" ]; then
    echo "== importing a demo ledger into $FIVESTAR_DB"
    echo "   (the generator slips deliberately wrong rating records into about 3% of the chains:"
    echo "    the 'line N: ... refused' lines below are the rules at work, not a failure)"
    "$fivestar" demo
else
    echo "== $FIVESTAR_DB already holds a ledger"
fi
first="$("$fivestar" eligibility --year 2025 --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[0]["branch"])')"

# Reuse the demo token while the store still lists it as active; otherwise issue a new one.
token=""
if [ -s "$token_file" ]; then
    read -r name saved <"$token_file" || true
    if [ -n "${name:-}" ] && [ -n "${saved:-}" ] &&
        "$fivestar" token list | grep -Eq "^${name}[[:space:]].*[[:space:]]active$"; then
        token="$saved"
        echo "== reusing the demo token $name from $token_file"
    fi
fi
if [ -z "$token" ]; then
    name="demo-auditor-$(date +%Y%m%d%H%M%S)"
    token="$("$fivestar" token issue --role auditor --name "$name" | tail -n 1)"
    (umask 077 && printf '%s %s\n' "$name" "$token" >"$token_file")
    echo "== issued the demo token $name, kept in $token_file for the next run"
fi
cat <<MSG
== API on http://127.0.0.1:$port  (interactive docs: http://127.0.0.1:$port/schema)
== dashboard on http://127.0.0.1:$port/ui  (sign in with the token below)
   auditor token (reads everything): $token
   try: curl -s -H 'Authorization: Bearer $token' http://127.0.0.1:$port/branches/$first/eligibility/2025
   Ctrl-C stops the server.
MSG
exec "$fivestar" serve --host 127.0.0.1 --port "$port"
