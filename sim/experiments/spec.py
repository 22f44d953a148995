"""Sweep specifications: which scenario fields vary, how they are sampled, how many replicates, which outcomes.

A sweep is declared the EMA-Workbench way: uncertain inputs (``parameters``, dotted paths into the ``Scenario``),
a sampling ``design`` (``grid``, ``lhs`` or ``sobol``), ``replicates`` (seeds derived deterministically from one base
seed) and ``outcomes`` (a metrics column reduced over the months to one number per run). Sampling lives in
``sim.experiments.samplers``, the expansion into runs in ``sim.experiments.resolve``, running it in
``sim.experiments.sweep``, storing results in ``sim.experiments.store``, analysing them in ``sim.experiments.analysis``.

Example (``data/sweeps/gpu_price_vs_demand.yaml``)::

    name: gpu_price_vs_demand
    base: {scenario: baseline}
    design: grid
    parameters:
      clouds.price_markup: [0.5, 1.0, 2.0]                  # a value list
      market.demand_growth_multiplier: {low: 0.5, high: 2.0, levels: 3, log: true}   # a range
    replicates: 3
    outcomes:
      - {metric: gpu_price_usd_per_hour, reduce: final}
    options: {months: 36}

The spec is checked in two stages. ``SweepSpec`` (pydantic, ``extra="forbid"``) checks the shape: ranges, the
design's own rules (a power-of-two ``samples`` for ``sobol``, ``levels`` for a range in a ``grid``, ...).
``resolve_sweep`` (``sim.experiments.resolve``) then checks it against the scenario: the base scenario loads, every parameter is a numeric field
of the ``Scenario`` and its values lie inside the field's bounds. Every problem is reported at once
(``SweepSpecError.problems``), one message each, naming the field, the value and what is allowed.

The design itself (``sim.experiments.samplers.build_design``) depends only on the spec, never on the simulation, so the analysis can be fed
any model's outputs (the tests feed it the Ishigami function).
"""


from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.experiments.errors import SweepSpecError
from sim.scenario import parse_yaml, read_yaml_file, validate_mapping
from sim.scenario.presets import REPO_ROOT

SWEEP_DIR = REPO_ROOT / "data" / "sweeps"

RESERVED_COLUMNS = ("run_id", "point_id", "replicate", "seed", "step")
MAX_RUNS = 1_000_000
MAX_SEED = 2**32 - 1
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Base(_Strict):
    """The scenario every run starts from: a preset name or a YAML path, plus inline overrides (dotted paths)."""

    scenario: str = Field(default="baseline", min_length=1,
                          description="preset name (data/scenarios/<name>.yaml) or path to a scenario YAML; "
                                      "a relative path is looked up next to the sweep file first")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted scenario paths set before sweeping")


class Parameter(_Strict):
    """One swept input: a list of ``values`` or a range ``{low, high}`` (optionally ``log`` scaled)."""

    values: list[float] | None = Field(default=None, min_length=1, max_length=10_000)
    low: float | None = None
    high: float | None = None
    log: bool = Field(default=False, description="sample the range uniformly in log10 space")
    levels: int | None = Field(default=None, ge=2, le=10_000,
                               description="points across the range in a grid design (evenly spaced)")

    @model_validator(mode="after")
    def _shape(self) -> Parameter:
        has_range = self.low is not None or self.high is not None
        if self.values is not None and has_range:
            raise ValueError("give either 'values' or a range 'low'/'high', not both")
        if self.values is None and not has_range:
            raise ValueError("no values; allowed: a list of numbers or a range {low, high}")
        if self.values is not None:
            bad = [v for v in self.values if not math.isfinite(v)]
            if bad:
                raise ValueError(f"values {bad} are not finite numbers")
            if len(set(self.values)) != len(self.values):
                raise ValueError(f"values {self.values} repeat; allowed: distinct numbers")
            if self.log:
                raise ValueError("'log' applies to a range {low, high}, not to a value list")
            if self.levels is not None:
                raise ValueError("'levels' applies to a range {low, high}, not to a value list")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"range needs both 'low' and 'high' (got low={self.low}, high={self.high})")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"range low={self.low}, high={self.high}; allowed: finite numbers")
        if not self.low < self.high:
            raise ValueError(f"range low={self.low} is not below high={self.high}; allowed: low < high")
        if self.log and self.low <= 0:
            raise ValueError(f"log range with low={self.low}; allowed: low > 0 for a log scale")
        return self

    @property
    def is_range(self) -> bool:
        return self.values is None

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of [0, 1) to this parameter's values (a range, log or linear, or a value list)."""
        u = np.asarray(u, dtype=float)
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((u * k).astype(int), k - 1)
            return np.asarray(self.values, dtype=float)[idx]
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            return 10.0 ** (lo + u * (hi - lo))
        return self.low + u * (self.high - self.low)

    def grid_levels(self) -> list[float]:
        if self.values is not None:
            return list(self.values)
        assert self.levels is not None
        if self.log:
            return [float(x) for x in np.geomspace(self.low, self.high, self.levels)]
        return [float(x) for x in np.linspace(self.low, self.high, self.levels)]

    def extremes(self) -> list[float]:
        return [min(self.values), max(self.values)] if self.values is not None else [self.low, self.high]


class Outcome(_Strict):
    """A metrics column reduced over the simulated months (steps 1..H) to one number per run."""

    name: str | None = Field(default=None, description="column name in the results; default <metric>_<reduce>")
    metric: str = Field(min_length=1, description="a column of RunResult.metrics")
    reduce: Literal["final", "mean", "peak", "sum"] = Field(
        default="final", description="final: value at the last month; mean/peak/sum over months 1..H")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not _NAME.match(v):
            raise ValueError(f"name {v!r}; allowed: letters, digits and '_', not starting with a digit")
        return v

    @property
    def column(self) -> str:
        return self.name or f"{self.metric}_{self.reduce}"


class Options(_Strict):
    months: int | None = Field(default=None, ge=1, le=600, description="overrides the scenario's horizon_months")
    batch_size: int | None = Field(default=None, ge=1, le=10_000, description="runs per task (default: automatic)")
    series: list[str] | None = Field(
        default=None, description="metrics columns kept month by month for fan charts; default: the outcomes' "
                                  "metrics; [] keeps none")


class SweepSpec(_Strict):
    """A whole sweep. See the module docstring for an example."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    base: Base = Field(default_factory=Base)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    design: Literal["grid", "lhs", "sobol"] = "grid"
    samples: int | None = Field(default=None, ge=1, le=MAX_RUNS,
                                description="lhs: design points; sobol: base sample N (a power of two), giving "
                                            "N x (D + 2) points, or N x (2D + 2) with second_order")
    second_order: bool = Field(default=False, description="sobol only: also sample for second-order indices")
    replicates: int = Field(default=1, ge=1, le=100_000, description="runs per design point, each its own seed")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED,
                             description="base seed for replicates and for lhs/sobol sampling; default: the base "
                                         "scenario's seed")
    seeds: Literal["common", "independent"] = Field(
        default="common", description="common: replicate r uses the same seed at every design point (common random "
                                      "numbers); independent: every run its own seed")
    outcomes: list[Outcome] = Field(min_length=1)
    options: Options = Field(default_factory=Options)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9_.-]+$", v):
            raise ValueError(f"name {v!r}; allowed: letters, digits, '_', '-' and '.'")
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        # `path: [1, 2, 3]` is short for `path: {values: [1, 2, 3]}`
        if isinstance(v, dict):
            return {k: ({"values": p} if isinstance(p, list) else p) for k, p in v.items()}
        return v

    @model_validator(mode="after")
    def _design_rules(self) -> SweepSpec:
        problems: list[str] = []
        for path in self.parameters:
            if path in RESERVED_COLUMNS or not re.match(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$", path):
                problems.append(f"parameters.{path}: not a dotted field path; allowed: e.g. market.api_margin")
        if self.design == "grid":
            if self.samples is not None:
                problems.append(f"samples: value {self.samples} is not allowed for a grid design; allowed: omit it "
                                "(a grid's size is the product of its parameters' levels)")
            for path, p in self.parameters.items():
                if p.is_range and p.levels is None:
                    problems.append(f"parameters.{path}: a range in a grid design needs 'levels'; allowed: an "
                                    "integer 2..10000 (or give a value list)")
        else:
            if not self.parameters:
                problems.append(f"parameters: none given; allowed: at least one parameter for a {self.design} "
                                "design (use design: grid with no parameters for replicates only)")
            for path, p in self.parameters.items():
                if p.levels is not None:
                    problems.append(f"parameters.{path}.levels: value {p.levels} is not allowed for a "
                                    f"{self.design} design; allowed: omit it (levels are for grid designs)")
            if self.samples is None:
                hint = "a power of two, e.g. 64" if self.design == "sobol" else "an integer >= 2, e.g. 100"
                problems.append(f"samples: missing; allowed: {hint}")
            elif self.design == "sobol" and (self.samples < 2 or self.samples & (self.samples - 1)):
                problems.append(f"samples: value {self.samples} is not allowed for a sobol design; allowed: a power "
                                "of two (e.g. 32, 64, 128)")
            elif self.design == "lhs" and self.samples < 2:
                problems.append(f"samples: value {self.samples} is not allowed; allowed: an integer >= 2")
        if self.second_order and self.design != "sobol":
            problems.append(f"second_order: value True is not allowed for a {self.design} design; allowed: only "
                            "with design: sobol")
        names = [o.column for o in self.outcomes]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"outcomes: name {name!r} is used twice; allowed: distinct names (set 'name')")
        for name in names:
            if name in RESERVED_COLUMNS or name in self.parameters:
                problems.append(f"outcomes: name {name!r} is not allowed; allowed: a name other than "
                                f"{', '.join(RESERVED_COLUMNS)} and the parameters' paths")
        if not problems:
            n = self.n_runs
            if n > MAX_RUNS:
                problems.append(f"design: {self.n_points} points x {self.replicates} replicates = {n} runs; "
                                f"allowed: at most {MAX_RUNS}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # ---- derived -----------------------------------------------------------------------------------------------

    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters)

    @property
    def outcome_columns(self) -> list[str]:
        return [o.column for o in self.outcomes]

    @property
    def series_columns(self) -> list[str]:
        if self.options.series is not None:
            return list(dict.fromkeys(self.options.series))
        return list(dict.fromkeys(o.metric for o in self.outcomes))

    @property
    def n_points(self) -> int:
        d = len(self.parameters)
        if self.design == "grid":
            return math.prod(p.levels if p.is_range else len(p.values) for p in self.parameters.values())
        if self.design == "lhs":
            return int(self.samples)
        return int(self.samples) * ((2 * d + 2) if self.second_order else (d + 2))

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)


# ---- parsing ---------------------------------------------------------------------------------------------------


def _format_error(err: dict) -> list[str]:
    loc = ".".join(str(p) for p in err.get("loc", ()))
    typ = err.get("type", "")
    msg = err.get("msg", "invalid")
    value = err.get("input")
    if typ == "extra_forbidden":
        return [f"{loc}: unknown field; remove it or check its spelling"]
    if typ == "missing":
        return [f"{loc}: required field is missing"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
        # a model validator may report several problems, one per line, each already naming its field
        if not loc:
            return msg.split("\n")
        return [f"{loc}: {line}" for line in msg.split("\n")]
    shown = type(value).__name__ if isinstance(value, (dict, list)) else repr(value)
    if typ.startswith(("greater_than", "less_than", "literal_error", "int_", "float_", "bool_", "too_", "string_")):
        rule = "allowed: " + msg.replace("Input should be ", "").replace("Input ", "")
    else:
        rule = msg
    return [f"{loc or 'spec'}: value {shown} is not allowed; {rule}"]


def validate_spec(data: Any) -> SweepSpec:
    """A ``SweepSpec`` from plain data, or a ``SweepSpecError`` listing every problem."""
    return validate_mapping(SweepSpec, data, SweepSpecError, "spec", _format_error)


def spec_from_yaml(text: str) -> SweepSpec:
    data = parse_yaml(text, SweepSpecError, "a YAML mapping with name, parameters, outcomes, ...")
    return validate_spec(data)


def sweep_names() -> list[str]:
    return sorted(p.stem for p in SWEEP_DIR.glob("*.yaml"))


def spec_path(name_or_path: str | Path) -> Path:
    """A sweep file by path, or a bundled sweep (``data/sweeps/<name>.yaml``) by name."""
    path = Path(name_or_path)
    if path.exists():
        return path
    if path.suffix in {".yaml", ".yml"} or "/" in str(name_or_path):
        raise SweepSpecError([f"spec: file {str(name_or_path)!r} does not exist"])
    bundled = SWEEP_DIR / f"{name_or_path}.yaml"
    if not bundled.exists():
        raise SweepSpecError([f"spec: {str(name_or_path)!r} is neither a file nor a bundled sweep; allowed: a path "
                              f"or one of {', '.join(sweep_names()) or '(none)'}"])
    return bundled


def load_spec(name_or_path: str | Path) -> SweepSpec:
    return spec_from_yaml(read_yaml_file(spec_path(name_or_path), SweepSpecError))

