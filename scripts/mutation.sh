#!/usr/bin/env bash
# Mutation testing of the core modules, run by hand (not in CI): mutmut (pinned in requirements-dev.txt) mutates
# the modules listed under [tool.mutmut] only_mutate in pyproject.toml (ledger, clearing, planner and Transformer FLOP
# formulas, the scaling law, the sweep store, the fairness metrics) and runs the fast tests listed there against each
# mutant. It prints the share of mutants killed and lists the survivors (`mutmut show NAME` prints one's diff).
#
#   scripts/mutation.sh                 every mutant of the core modules (about 25 min on 2 free cores)
#   scripts/mutation.sh 'sim.ledger*'   only the mutants whose names match (module dotted path, then function)
#   JOBS=8 scripts/mutation.sh          more workers (default: 2)
#   scripts/mutation.sh --breaks        the issue's named breaks instead (scripts/mutation_breaks.py): each is
#                                       applied to a scratch copy and must fail the test named for its mechanism
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
if [ "${1:-}" = "--breaks" ]; then
    shift
    exec "$PY" scripts/mutation_breaks.py "$@"
fi
"$PY" -c "import mutmut" 2>/dev/null || { echo "mutmut is missing: $PY -m pip install -r requirements-dev.txt" >&2; exit 2; }
rm -rf mutants  # a fresh copy of the code and tests each time (mutmut keeps its state there)
export PYTHONPATH="$PWD/mutants${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -m mutmut run --max-children "${JOBS:-2}" "$@" > mutants.log 2>&1 || { tail -30 mutants.log >&2; exit 1; }
"$PY" -m mutmut export-cicd-stats >/dev/null
"$PY" - <<'PY'
import json
s = json.load(open("mutants/mutmut-cicd-stats.json"))
killed = s["killed"] + s.get("timeout", 0)
judged = killed + s["survived"] + s.get("suspicious", 0) + s.get("no_tests", 0)  # no test reaches it: not killed
print(f"mutants: {s['total']} generated; killed {killed} of {judged} ({killed / max(judged, 1):.1%}); "
      f"survived {s['survived']}, reached by no test {s.get('no_tests', 0)}, suspicious {s.get('suspicious', 0)}, "
      f"skipped {s.get('skipped', 0)}")
PY
echo "survivors:"
"$PY" -m mutmut results 2>/dev/null | grep -E "survived|no tests" || echo "  none"
