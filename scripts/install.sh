#!/usr/bin/env bash
# Set up a development install of hardpin in .venv on a Debian machine with Python 3.11+.
# Installs the Debian packages the tests use (as root, or through sudo), then hardpin
# with its test dependencies into a fresh virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

# docker-registry (CNCF distribution), skopeo and umoci: the real registry the online tests run;
# tinyproxy: the real forward proxy of tests/test_proxy.py
APT_PACKAGES=(git python3-venv python3-pip docker-registry skopeo umoci tinyproxy-bin)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hardpin needs Python 3.11 or newer")'
rm -rf .venv
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# Wheels of hardpin's runtime dependencies and build backend in .venv/wheels: the packaging
# tests install hardpin into fresh environments from there, without asking an index.
.venv/bin/python -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print("\n".join(d["project"]["dependencies"] + d["build-system"]["requires"]))' > .venv/wheel-requirements.txt
.venv/bin/python -m pip download -q --disable-pip-version-check --only-binary=:all: -d .venv/wheels -r .venv/wheel-requirements.txt
# and the exact files the GitHub Action installs (their hashes are checked here too)
.venv/bin/python -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps --require-hashes -d .venv/wheels -r .github/action-requirements.txt
echo "hardpin installed in .venv: $(.venv/bin/hardpin --version)" >&2
