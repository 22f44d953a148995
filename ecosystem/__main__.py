"""``python -m ecosystem <command>``: probe, plan, serve, validate, validate-serving, audit.

Each command lives in its own module, imported only when used (the probe and the audit import torch, the planner
does not); the convention is ``ecosystem.cli.run_cli``: a module provides ``add_arguments(parser)`` and
``main(args) -> int``.
"""

from __future__ import annotations

import sys

from ecosystem.cli import run_cli

COMMANDS = {
    "probe": ("ecosystem.probe.cli",
              "measure the real small Transformer on this machine (FLOPs, MFU, memory, KV cache)"),
    "plan": ("ecosystem.planner.cli.plan", "price a training run, or the compute-optimal model for a budget"),
    "serve": ("ecosystem.planner.cli.serve", "price serving a model: GPUs needed, USD per 1M tokens, energy"),
    "validate": ("ecosystem.planner.cli.validate", "compare the planner with every published training run"),
    "validate-serving": ("ecosystem.planner.cli.validate_serving",
                         "compare the serving planner with measured inference (MLPerf, engine benchmarks)"),
    "audit": ("ecosystem.fairness.cli", "train the small Transformer on biased labels and audit it for fairness"),
}


def main(argv: list[str] | None = None) -> int:
    return run_cli("python -m ecosystem", __doc__.splitlines()[0], COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
