#!/usr/bin/env bash
# Downloads every wheel of the LiteLLM lock (resources/litellm/requirements.txt, every file checked against
# its sha256 there) into resources/litellm/wheelhouse/, so an installer built afterwards (`npm run dist`)
# can provision LiteLLM on a machine with no network (first-run onboarding installs with
# `pip --require-hashes --no-index --find-links` when this folder exists).
# Wheels are platform-specific: run this on the platform (OS, CPU, Python minor version) you package for.
# Usage: npm run wheelhouse [-- PYTHON]   (default python3; needs network access to PyPI)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${1:-python3}"
REQ="$REPO/resources/litellm/requirements.txt"
OUT="$REPO/resources/litellm/wheelhouse"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

"$PYTHON" -m venv "$TMP/venv"
# Only binary wheels (a source distribution would need a compiler on the user's machine), each checked
# against the lock's sha256 hashes (the lock pins every package: pip refuses anything unpinned).
"$TMP/venv/bin/pip" download --disable-pip-version-check --only-binary=:all: --require-hashes -r "$REQ" -d "$TMP/wheels"
# Prove the folder is complete and matches the lock: install from it with no index at all, as provisioning does.
"$PYTHON" -m venv "$TMP/check"
"$TMP/check/bin/pip" install --disable-pip-version-check --no-index --find-links "$TMP/wheels" \
  --require-hashes --only-binary=:all: -r "$REQ" >/dev/null
rm -rf "$OUT"
mv "$TMP/wheels" "$OUT"
echo "wheelhouse: $(ls "$OUT" | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in ${OUT#"$REPO"/} ($("$PYTHON" --version))"
