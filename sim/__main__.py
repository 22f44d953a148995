"""``python -m sim``: run a scenario, list presets, run and analyse sweeps."""

from __future__ import annotations

import argparse
import importlib
import sys


def _run(args: argparse.Namespace) -> int:
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    result = run(scenario, seed=args.seed, months=args.months)
    out = result.write(args.out)
    print(result.summary())
    print(f"  wrote {', '.join(f'{n}.parquet' for n in ('agents', 'flows', 'metrics', 'events'))} and "
          f"manifest.json to {out}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario, preset_names

    for name in preset_names():
        sc = load_scenario(name)
        print(f"{name:22s} {sc.question}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("run", help="run a scenario (preset name or YAML path) and write its results")
    p.add_argument("scenario", help="preset name (see `python -m sim scenarios`) or path to a scenario YAML")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--months", type=int, default=None, help="horizon in months (default: the scenario's)")
    p.set_defaults(func=_run)
    p = sub.add_parser("scenarios", help="list the preset scenarios and the question each answers")
    p.set_defaults(func=_scenarios)
    for name, module, help_text in (("sweep", "sim.sweep", "run a sweep spec (replicates, grid, LHS, Sobol)"),
                                    ("analyze", "sim.analysis", "summarise a sweep's results and sensitivities")):
        p = sub.add_parser(name, help=help_text)
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        mod.add_arguments(p)
        p.set_defaults(func=mod.main)
    args = parser.parse_args(argv)
    from sim.scenario import ScenarioError

    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
