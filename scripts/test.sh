#!/usr/bin/env bash
# Install everything (scripts/install.sh) and run the whole test suite.
# Extra arguments go to pytest. With HARDPIN_TEST_LOWEST=1, scripts/test_lowest.sh follows:
# the tests again with the oldest dependency versions pyproject.toml allows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python -m pytest "$@"
if [ "${HARDPIN_TEST_LOWEST:-}" = 1 ]; then
  bash scripts/test_lowest.sh -p no:cacheprovider
fi
