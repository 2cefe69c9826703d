#!/usr/bin/env bash
# Run the test suite (called by `make test`).
#
# Without FIVESTAR_TEST_PG, and outside CI, start a throwaway PostgreSQL for
# this run (scripts/pg_throwaway.sh) and stop it afterwards, so a plain
# `make test` on a fresh checkout also exercises the PostgreSQL backend.
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

# shellcheck disable=SC2086  # PYTEST_ARGS is deliberately word-split
set +e
.venv/bin/python -m pytest -q -n 2 ${PYTEST_ARGS:-} "$@"
rc=$?
set -e

if [[ -n "${FIVESTAR_PYTEST_RC_FILE:-}" ]]; then
    echo "$rc" >"$FIVESTAR_PYTEST_RC_FILE"
fi
exit "$rc"
