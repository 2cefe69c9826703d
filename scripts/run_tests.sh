#!/usr/bin/env bash
# Run the test suite (called by `make test`).
#
# Without FIVESTAR_TEST_PG, and outside CI, start a throwaway PostgreSQL for
# this run (scripts/pg_throwaway.sh) and stop it afterwards, so a plain
# `make test` on a fresh checkout also exercises the PostgreSQL backend.
# ruff check, lint-imports and mypy run first and fail the run if they fail.
# Extra pytest arguments: PYTEST_ARGS='-k foo -x' make test, or arguments
# given to this script. Exits with pytest's exit code.
# If FIVESTAR_PYTEST_RC_FILE is set, pytest's exit code is also written there
# (.ci/run uses it to exit with pytest's code rather than make's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -z "${FIVESTAR_TEST_PG:-}" && "${CI:-}" != "true" ]]; then
    echo "run_tests: FIVESTAR_TEST_PG not set; starting a throwaway PostgreSQL" >&2
    pg_env="$(bash scripts/pg_throwaway.sh start)"
    eval "$pg_env"
    trap 'bash scripts/pg_throwaway.sh stop || true' EXIT
fi

# Lint, layers and types first: a failure here fails the run (and CI) like a failing test.
set +e
rc=0
.venv/bin/ruff check . || rc=1
.venv/bin/lint-imports --no-cache || rc=1
.venv/bin/mypy . || rc=1
if [[ "$rc" -eq 0 ]]; then
    # shellcheck disable=SC2086  # PYTEST_ARGS is deliberately word-split
    .venv/bin/python -m pytest -q -n 2 ${PYTEST_ARGS:-} "$@"
    rc=$?
else
    echo "run_tests: ruff check, lint-imports or mypy failed; tests not run" >&2
fi
set -e

if [[ -n "${FIVESTAR_PYTEST_RC_FILE:-}" ]]; then
    echo "$rc" >"$FIVESTAR_PYTEST_RC_FILE"
fi
exit "$rc"
