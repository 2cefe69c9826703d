#!/usr/bin/env bash
# `make run`: the main job on the embedded SQLite store. Imports a generated demo ledger into
# an empty store (once), issues an auditor token for trying the API, and serves it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export FIVESTAR_DB="${FIVESTAR_DB:-./fivestar.db}"
fivestar=.venv/bin/fivestar
port="${PORT:-8000}"

if [ "$("$fivestar" eligibility --year 2025 --json)" = "[]" ]; then
    echo "== importing a demo ledger into $FIVESTAR_DB"
    "$fivestar" demo
else
    echo "== $FIVESTAR_DB already holds a ledger"
fi
first="$("$fivestar" eligibility --year 2025 --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[0]["branch"])')"
token="$("$fivestar" token issue --role auditor --name "demo-auditor-$(date +%Y%m%d%H%M%S)" | tail -n 1)"
cat <<MSG
== API on http://127.0.0.1:$port  (interactive docs: http://127.0.0.1:$port/schema)
== dashboard on http://127.0.0.1:$port/ui  (sign in with the token below)
   auditor token (reads everything): $token
   try: curl -s -H 'Authorization: Bearer $token' http://127.0.0.1:$port/branches/$first/eligibility/2025
   Ctrl-C stops the server.
MSG
exec "$fivestar" serve --host 127.0.0.1 --port "$port"
