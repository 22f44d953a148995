#!/usr/bin/env bash
# One command: set up .venv with the test tools (and chromium for the browser tests), then run the whole suite.
# Extra arguments go to pytest, e.g. ./run_tests.sh -k ledger
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
