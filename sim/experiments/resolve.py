"""A sweep spec checked against the scenario and expanded into runs: the base scenario, the design points, the seeds
(common random numbers or independent) and one stable id per run."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.errors import SweepSpecError
from sim.experiments.samplers import build_design
from sim.experiments.spec import SweepSpec


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

