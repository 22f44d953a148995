#!/usr/bin/env bash
# One command: set up .venv on first use, then open the dashboard on the baseline scenario.
# Usage: ./run_dashboard.sh [--network] [PORT]    (default 8501; then open http://localhost:PORT)
#   The dashboard listens on 127.0.0.1 only (this machine; it has no login). --network (or LLMCL_NETWORK=1) serves
#   every interface, for a classroom or a team on a trusted network.
#   LLMCL_RUN_BUDGET_AGENT_MONTHS caps the runs the UI starts (agents x months; default 2,500,000).
set -euo pipefail
cd "$(dirname "$0")"
address=127.0.0.1
if [[ "${1:-}" == "--network" ]]; then address=0.0.0.0; shift; fi
if [[ "${LLMCL_NETWORK:-0}" == "1" ]]; then address=0.0.0.0; fi
scripts/setup.sh
exec .venv/bin/python -m streamlit run dashboard/app.py --server.headless true --server.port "${1:-8501}" \
  --server.address "$address" --browser.gatherUsageStats false
