"""Scenario YAML in: parse with the line and column of a syntax error, then validate (``Scenario.to_yaml`` writes
it back out)."""

from __future__ import annotations

from typing import Any

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, validate_scenario


def parse_yaml(text: str, error: type[ValueError], empty_hint: str) -> Any:
    """YAML text to data; ``error([message])`` naming the line and column of a syntax error, or an empty file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error([f"file: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if data is None:
        raise error([f"file: empty; allowed: {empty_hint}"])
    return data


def scenario_from_yaml(text: str) -> Scenario:
    """Parse and validate YAML text."""
    return validate_scenario(parse_yaml(text, ScenarioError, "a YAML mapping of scenario fields"))

