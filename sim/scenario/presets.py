"""The bundled preset scenarios (``data/scenarios/*.yaml``), loading a scenario by preset name or file path, and the
``python -m sim scenarios`` command that lists them."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.yaml_io import read_yaml_file, scenario_from_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = REPO_ROOT / "data" / "scenarios"


def preset_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    path = SCENARIO_DIR / f"{name}.yaml"
    if not path.exists():
        raise ScenarioError([f"preset: unknown {name!r}; allowed: {', '.join(preset_names())}"])
    return path


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A preset by name (``baseline``) or a YAML file by path."""
    text_path = Path(name_or_path)
    if text_path.suffix in {".yaml", ".yml"} or text_path.exists():
        if not text_path.exists():
            raise ScenarioError([f"file: {str(name_or_path)!r} does not exist"])
        return scenario_from_yaml(read_yaml_file(text_path, ScenarioError))
    return scenario_from_yaml(preset_path(str(name_or_path)).read_text(encoding="utf-8"))


# ---- python -m sim scenarios ------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``scenarios`` takes no arguments."""


def main(args: argparse.Namespace) -> int:
    for name in preset_names():
        print(f"{name:22s} {load_scenario(name).question}")
    return 0
