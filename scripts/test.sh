#!/usr/bin/env bash
# Install everything (scripts/install.sh), run the static checks (ruff, mypy --strict) and the
# whole test suite. Extra arguments go to pytest. With HARDPIN_TEST_LOWEST=1,
# scripts/test_lowest.sh follows: the tests again with the oldest dependency versions
# pyproject.toml allows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
static=0
.venv/bin/ruff check src tests bench scripts || static=1
.venv/bin/ruff format --check src tests bench scripts || static=1
.venv/bin/mypy || static=1
tests=0
.venv/bin/python -m pytest "$@" || tests=$?
if [ "$static" -ne 0 ]; then
  echo "static checks failed (ruff or mypy, above)" >&2
fi
if [ "$tests" -ne 0 ] || [ "$static" -ne 0 ]; then
  exit 1
fi
if [ "${HARDPIN_TEST_LOWEST:-}" = 1 ]; then
  bash scripts/test_lowest.sh -p no:cacheprovider
fi
