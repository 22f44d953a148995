"""``python -m ecosystem <command>``: probe, plan, serve, validate, audit.

Each command lives in its own module, imported only when used (the probe and the audit import torch, the planner
does not). A module provides ``add_arguments(parser)`` and ``main(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "probe": ("ecosystem.probe", "measure the real small Transformer on this machine (FLOPs, MFU, memory, KV cache)"),
    "plan": ("ecosystem.planner_cli", "price a training run, or the compute-optimal model for a budget"),
    "serve": ("ecosystem.planner_cli", "price serving a model: GPUs needed, USD per 1M tokens, energy"),
    "validate": ("ecosystem.planner_cli", "compare the planner with every published training run"),
    "audit": ("ecosystem.audit", "train the small Transformer on biased labels and audit it for fairness"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = argparse.ArgumentParser(prog="python -m ecosystem", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv or ["--help"])
        return 2
    name = argv[0]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"python -m ecosystem {name}", description=COMMANDS[name][1])
    module.add_arguments(parser, name) if _takes_command(module) else module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    args.command = name
    return int(module.main(args) or 0)


def _takes_command(module) -> bool:
    import inspect

    return len(inspect.signature(module.add_arguments).parameters) >= 2


if __name__ == "__main__":
    sys.exit(main())
