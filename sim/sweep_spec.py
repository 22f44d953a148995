"""Sweep specifications: which scenario fields vary, how they are sampled, how many replicates, which outcomes.

A sweep is declared the EMA-Workbench way: uncertain inputs (``parameters``, dotted paths into the ``Scenario``),
a sampling ``design`` (``grid``, ``lhs`` or ``sobol``), ``replicates`` (seeds derived deterministically from one base
seed) and ``outcomes`` (a metrics column reduced over the months to one number per run). Running it lives in
``sim.sweep``; storing results in ``sim.store``; analysing them in ``sim.analysis``.

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
``resolve_sweep`` then checks it against the scenario: the base scenario loads, every parameter is a numeric field
of the ``Scenario`` and its values lie inside the field's bounds. Every problem is reported at once
(``SweepSpecError.problems``), one message each, naming the field, the value and what is allowed.

The design itself (``build_design``) depends only on the spec, never on the simulation, so the analysis can be fed
any model's outputs (the tests feed it the Ishigami function).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.scenario import parse_yaml, validate_mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
SWEEP_DIR = REPO_ROOT / "data" / "sweeps"

RESERVED_COLUMNS = ("run_id", "point_id", "replicate", "seed", "step")
MAX_RUNS = 1_000_000
MAX_SEED = 2**32 - 1
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SweepSpecError(ValueError):
    """An invalid sweep spec: ``problems`` holds one message per problem (field, value, what is allowed)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid sweep spec:\n" + "\n".join(f"  - {p}" for p in self.problems))


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
    return spec_from_yaml(spec_path(name_or_path).read_text(encoding="utf-8"))


# ---- design ----------------------------------------------------------------------------------------------------


def design_seed(spec: SweepSpec, base_seed: int | None = None) -> int:
    return int(spec.seed if spec.seed is not None else (base_seed if base_seed is not None else 0))


def build_design(spec: SweepSpec, integer_params: frozenset[str] | set[str] = frozenset(),
                 base_seed: int | None = None) -> pd.DataFrame:
    """The design points: a frame with ``point_id`` (0..n-1) and one column per parameter, in spec order.

    grid: the Cartesian product of each parameter's levels (the last parameter varies fastest).
    lhs: ``scipy.stats.qmc.LatinHypercube`` (scrambled, seeded) mapped onto each parameter's range or value list.
    sobol: ``SALib.sample.sobol.sample`` (Saltelli's scheme, scrambled, seeded) on the unit cube, mapped likewise;
    the row order is SALib's, which ``SALib.analyze.sobol`` needs. Parameters in ``integer_params`` are rounded.
    Depends only on the spec (and the base seed when the spec sets none): never on the simulation.
    """
    names = spec.parameter_names
    params = [spec.parameters[n] for n in names]
    seed = design_seed(spec, base_seed)
    if spec.design == "grid":
        rows = list(itertools.product(*[p.grid_levels() for p in params])) if params else [()]
        matrix = np.asarray(rows, dtype=float).reshape(len(rows), len(params))
    else:
        unit = unit_sample(spec, seed)
        matrix = np.column_stack([p.from_unit(unit[:, j]) for j, p in enumerate(params)])
    frame = pd.DataFrame({"point_id": np.arange(len(matrix), dtype=np.int64)})
    for j, name in enumerate(names):
        col = matrix[:, j]
        if name in integer_params:
            frame[name] = np.rint(col).astype(np.int64)
        else:
            frame[name] = col.astype(float)
    return frame


def unit_sample(spec: SweepSpec, seed: int) -> np.ndarray:
    """The lhs or sobol sample on the unit cube [0, 1)^D, before mapping onto the parameters."""
    d = len(spec.parameters)
    if spec.design == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(int(spec.samples))
    if spec.design == "sobol":
        from SALib.sample import sobol as sobol_sample

        unit = sobol_sample.sample(sobol_problem(spec), int(spec.samples), calc_second_order=spec.second_order,
                                   scramble=True, seed=seed)
        return np.clip(unit, 0.0, np.nextafter(1.0, 0.0))
    raise ValueError(f"design {spec.design!r} has no unit sample")


def sobol_problem(spec: SweepSpec) -> dict:
    """SALib's problem definition. Inputs are sampled on the unit cube and mapped afterwards (log ranges and value
    lists included), so the indices refer to the inputs as sampled: uniform in log10 for a log range."""
    names = spec.parameter_names
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..R-1 (common random numbers): ``SeedSequence(base_seed).spawn(R)``, one 32-bit word
    each. The same spec and base seed always give the same seeds."""
    children = np.random.SeedSequence(base_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def run_seed(base_seed: int, point_id: int, replicate: int, mode: str, common: list[int]) -> int:
    if mode == "common":
        return common[replicate]
    ss = np.random.SeedSequence(base_seed, spawn_key=(point_id, replicate))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def run_id(point: dict[str, float], point_id: int, replicate: int, seed: int) -> str:
    """A stable id for a run: a hash of its design point (index and values), replicate and seed."""
    key = json.dumps({"point_id": int(point_id), "params": {k: _plain(v) for k, v in point.items()},
                      "replicate": int(replicate), "seed": int(seed)}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    return float(v)


# ---- resolution against the scenario ---------------------------------------------------------------------------


@dataclass
class ResolvedSweep:
    """A spec checked against the scenario, with everything a run needs: the base scenario (overrides and the
    months option applied), the design points, the seeds and the run list."""

    spec: SweepSpec
    scenario: Any  # sim.scenario.Scenario
    design: pd.DataFrame
    base_seed: int
    common_seeds: list[int]
    integer_params: frozenset[str]
    fingerprint: str
    runs: pd.DataFrame = field(repr=False)  # run_id, point_id, replicate, seed, params...

    @property
    def total_runs(self) -> int:
        return len(self.runs)


def fingerprint(spec: SweepSpec, scenario_dump: dict) -> str:
    """What the rows depend on: the spec (less batch size, name and description) and the resolved base scenario.
    A resumed sweep must match it."""
    data = spec.model_dump(mode="json")
    data["options"].pop("batch_size", None)
    data.pop("description", None)
    blob = json.dumps({"spec": data, "scenario": scenario_dump}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _load_base(spec: SweepSpec, spec_dir: Path | None, problems: list[str]):
    from sim.scenario import ScenarioError, load_scenario, preset_names

    ref = spec.base.scenario
    candidates = []
    if spec_dir is not None and not Path(ref).is_absolute():
        candidates.append(spec_dir / ref)
    candidates.append(Path(ref))
    try:
        for cand in candidates:
            if cand.suffix in {".yaml", ".yml"} and cand.exists():
                return load_scenario(cand)
        if ref in preset_names():
            return load_scenario(ref)
        if Path(ref).suffix in {".yaml", ".yml"} or "/" in ref:
            problems.append(f"base.scenario: file {ref!r} does not exist")
        else:
            problems.append(f"base.scenario: value {ref!r} is not allowed; allowed: a preset "
                            f"({', '.join(preset_names()) or 'none found'}) or a path to a scenario YAML")
    except ScenarioError as exc:
        problems.extend(f"base.scenario ({ref}): {p}" for p in exc.problems)
    return None


def resolve_sweep(spec: SweepSpec, spec_dir: Path | None = None) -> ResolvedSweep:
    """Check the spec against the scenario and expand it into runs; ``SweepSpecError`` lists every problem."""
    from sim.scenario import Scenario, ScenarioError

    problems: list[str] = []
    scenario = _load_base(spec, spec_dir, problems)
    if scenario is not None and spec.base.overrides:
        try:
            scenario = scenario.with_overrides(spec.base.overrides)
        except ScenarioError as exc:
            problems.extend(f"base.overrides: {p}" for p in exc.problems)
            scenario = None
    if scenario is not None and spec.options.months is not None:
        scenario = scenario.with_overrides({"horizon_months": spec.options.months})

    numeric = Scenario.numeric_fields()
    integer_params: set[str] = set()
    for path, p in spec.parameters.items():
        if path == "seed":
            problems.append("parameters.seed: not allowed; seeds come from 'replicates' and 'seed'")
            continue
        if path not in numeric:
            close = difflib.get_close_matches(path, list(numeric), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "see Scenario.numeric_fields()"
            problems.append(f"parameters.{path}: not a numeric field of the scenario; allowed: a dotted path to a "
                            f"numeric field ({hint})")
            continue
        kind, lo, hi = numeric[path]
        if kind is int or _declared_int(Scenario, path):
            integer_params.add(path)
            if p.values is not None and any(v != int(v) for v in p.values):
                problems.append(f"parameters.{path}: values {p.values} are not all whole numbers; allowed: "
                                "integers (the field is an integer)")
        for bound_name in ("values", "low", "high"):
            vals = p.values if bound_name == "values" else [getattr(p, bound_name)]
            if vals is None or vals[0] is None:
                continue
            out = [v for v in vals if (lo is not None and v < lo) or (hi is not None and v > hi)]
            if out:
                shown = out if bound_name == "values" else out[0]
                problems.append(f"parameters.{path}.{bound_name}: value {shown} is not allowed; allowed: "
                                f"{_interval(lo, hi)}")
    # the scenario's own rules (strict bounds, cross-field checks) at each parameter's extremes
    if scenario is not None and not problems:
        for path, p in spec.parameters.items():
            for v in p.extremes():
                value = int(round(v)) if path in integer_params else float(v)
                try:
                    scenario.with_overrides({path: value})
                except ScenarioError as exc:
                    problems.extend(f"parameters.{path}: value {value} is not allowed by the scenario: {q}"
                                    for q in exc.problems)
                    break
    if problems:
        raise SweepSpecError(problems)

    base_seed = int(spec.seed if spec.seed is not None else scenario.seed)
    design = build_design(spec, frozenset(integer_params), base_seed)
    common = replicate_seeds(base_seed, spec.replicates)
    runs = expand_runs(spec, design, base_seed, common)
    dump = scenario.model_dump(mode="json")
    return ResolvedSweep(spec=spec, scenario=scenario, design=design, base_seed=base_seed, common_seeds=common,
                         integer_params=frozenset(integer_params), fingerprint=fingerprint(spec, dump), runs=runs)


def _declared_int(model: type, path: str) -> bool:
    """Whether the field at ``path`` is declared ``int`` or ``int | None`` (``numeric_fields`` reports an optional
    field left at None as float, and an LHS/Sobol value like 12.7 would then fail the scenario's validation)."""
    import typing

    from pydantic import BaseModel

    parts = path.split(".")
    i = 0
    while i < len(parts):
        info = getattr(model, "model_fields", {}).get(parts[i])
        if info is None:
            return False
        ann = info.annotation
        if typing.get_origin(ann) is dict:  # dict[str, X]: the next part is a key
            value_type = typing.get_args(ann)[1]
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                model, i = value_type, i + 2
                continue
            return value_type is int and i + 2 == len(parts)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model, i = ann, i + 1
            continue
        types = [a for a in (typing.get_args(ann) or (ann,)) if a is not type(None)]
        return types == [int] and i + 1 == len(parts)
    return False


def expand_runs(spec: SweepSpec, design: pd.DataFrame, base_seed: int, common: list[int]) -> pd.DataFrame:
    """One row per run (design point x replicate): run_id, point_id, replicate, seed and the parameter values."""
    names = spec.parameter_names
    records = []
    for row in design.itertuples(index=False):
        point_id = int(row[0])
        point = {n: row[j + 1] for j, n in enumerate(names)}
        for r in range(spec.replicates):
            seed = run_seed(base_seed, point_id, r, spec.seeds, common)
            records.append((run_id(point, point_id, r, seed), point_id, r, seed))
    runs = pd.DataFrame(records, columns=["run_id", "point_id", "replicate", "seed"])
    runs = runs.astype({"point_id": "int64", "replicate": "int64", "seed": "int64"})
    return runs.merge(design, on="point_id", how="left")


def _interval(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "any number"
    if lo is None:
        return f"at most {hi}"
    if hi is None:
        return f"at least {lo}"
    return f"{lo} to {hi}"
