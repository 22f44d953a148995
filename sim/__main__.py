"""``python -m sim``: run a scenario, list presets, run and analyse sweeps, calibrate on dated targets, forecast."""

from __future__ import annotations

import sys

from ecosystem.cli import run_cli

COMMANDS = {
    "run": ("sim.runner", "run a scenario (preset name or YAML path) and write its results"),
    "scenarios": ("sim.scenario.presets", "list the preset scenarios and the question each answers"),
    "sweep": ("sim.experiments.sweep", "run a sweep spec (replicates, grid, LHS, Sobol)"),
    "analyze": ("sim.experiments.analysis", "summarise a sweep's results and sensitivities"),
    "calibrate": ("sim.experiments.calibration.cli",
                  "calibrate uncertain parameters against dated targets (history matching)"),
    "forecast": ("sim.experiments.forecast.cli",
                 "forecast over the accepted parameter sets x seeds, with what-if levers at dates (bands)"),
}


def main(argv: list[str] | None = None) -> int:
    return run_cli("python -m sim", __doc__.splitlines()[0], COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
