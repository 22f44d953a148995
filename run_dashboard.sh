#!/usr/bin/env bash
# One command: set up .venv on first use, then open the dashboard on the baseline scenario.
# Usage: ./run_dashboard.sh [PORT]    (default 8501; then open http://localhost:PORT)
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m streamlit run dashboard/app.py --server.headless true --server.port "${1:-8501}" \
  --browser.gatherUsageStats false
