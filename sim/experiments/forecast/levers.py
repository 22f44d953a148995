"""What-if levers for a forecast: dotted-path overrides and dated shocks (``Levers``), and the error type of the
forecast package (``ForecastError``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sim.scenario import Scenario, Shock, validate_mapping
from sim.scenario.base import Strict
from sim.scenario.errors import format_error


class ForecastError(ValueError):
    """Input a forecast cannot use (parameter sets file, counts, lever text, output path): one message, or one per
    problem (``problems``)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class Levers(Strict):
    """A what-if setting: dotted-path overrides for every run, and shocks added to the scenario's own (give them
    ``at: YYYY-MM``). Empty levers leave the scenario as it is."""

    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted scenario paths and their values")
    shocks: list[Shock] = Field(default_factory=list, description="shocks added to the scenario's own")

    def is_empty(self) -> bool:
        return not self.overrides and not self.shocks

    def apply(self, scenario: Scenario) -> Scenario:
        if self.is_empty():
            return scenario
        ov = dict(self.overrides)
        if self.shocks:
            ov["shocks"] = ([s.model_dump(mode="json") for s in scenario.shocks]
                            + [s.model_dump(mode="json", exclude_none=True) for s in self.shocks])
        return scenario.with_overrides(ov)

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.overrides.items()]
        parts += [f"{s.kind} {s.change:+.0%} at {s.at if s.at is not None else f'month {s.month}'}"
                  for s in self.shocks]
        return ", ".join(parts) if parts else "none"


def load_levers(data: Any) -> Levers:
    """``Levers`` from plain data (a levers YAML), or a ``ForecastError`` naming each bad field."""
    return validate_mapping(Levers, data, ForecastError, "levers", lambda e: [f"levers.{format_error(e)}"])
