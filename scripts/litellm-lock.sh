#!/usr/bin/env bash
# Regenerates resources/litellm/requirements.txt, the hashed lock of LiteLLM and all its dependencies, from
# resources/litellm/requirements.in with uv (installed into a throwaway venv), for every platform at once
# (`--universal`: markers for Windows-, macOS- or Python-version-only dependencies) and Python 3.10+, with
# the sha256 of every file PyPI has for each pinned version (all platforms' wheels and the sdist).
# Versions already in the lock are kept; pass `--upgrade` or `--upgrade-package NAME` to move them.
# Usage: bash scripts/litellm-lock.sh [uv pip compile options…]   (needs network access to PyPI)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.9
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

python3 -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
cd "$REPO/resources/litellm"
"$TMP/venv/bin/uv" pip compile requirements.in -o requirements.txt \
  --universal --python-version 3.10 --generate-hashes \
  --index-url https://pypi.org/simple --custom-compile-command 'bash scripts/litellm-lock.sh' "$@" >/dev/null
echo "lock: $(grep -c '==' requirements.txt) pinned packages in resources/litellm/requirements.txt"
