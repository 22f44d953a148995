"""Refinement: a bounded local search from the best screened set with ``scipy.optimize.minimize``.

The search runs on the unit cube (each parameter's range mapped to [0, 1], in log10 for a log range), so every step
stays inside the prior ranges. The objective of a set is ``J = sum over targets of min(I, 10 x cutoff)^2`` with
``I`` the implausibility of the median over the same common seeds as the screening (so ``J`` is deterministic); an
undefined target counts as the cap. Nelder-Mead starts from a simplex of steps of ``start_step`` of each range
(inward from the bounds); Powell from the start point. At most ``max_evaluations`` sets are run; the best one seen is
returned, with every evaluation in ``history``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from sim.experiments.calibration.fit import AcceptanceRule, score
from sim.experiments.calibration.targets import Target

CAP_FACTOR = 10.0


@dataclass
class RefineResult:
    method: str
    start: dict[str, float]
    params: dict[str, float]
    objective_start: float
    objective: float
    evaluations: int
    history: pd.DataFrame  # one row per evaluated set: evaluation, parameters, objective, max_implausibility
    readings: pd.DataFrame  # the best set's readings (READING_COLUMNS, point_id to be set)
    message: str

    def as_dict(self) -> dict:
        return {"method": self.method, "start": self.start, "params": self.params,
                "objective_start": _round(self.objective_start), "objective": _round(self.objective),
                "evaluations": self.evaluations, "message": self.message}


class _Budget(Exception):
    pass


def to_unit(parameter, value: float) -> float:
    if parameter.log:
        lo, hi = math.log10(parameter.low), math.log10(parameter.high)
        return (math.log10(value) - lo) / (hi - lo)
    return (value - parameter.low) / (parameter.high - parameter.low)


def objective(fits: pd.DataFrame, cutoff: float) -> float:
    cap = CAP_FACTOR * cutoff
    return float(np.sum(np.minimum(fits["implausibility"].to_numpy(dtype=float), cap) ** 2))


def refine(simulate: Callable, spec, targets: list[Target], rule: AcceptanceRule, start: dict[str, float],
           seeds: list[int], integer_params: frozenset[str] = frozenset(),
           log: Callable[[str], None] | None = None) -> RefineResult:
    """Search from ``start`` for a set with a lower objective; ``spec`` is the CalibrationSpec (its ``refine``)."""
    from scipy.optimize import minimize

    from sim.experiments.calibration.method import readings_of_run

    settings = spec.refine
    names = spec.parameter_names
    params = [spec.parameters[n] for n in names]
    cache: dict[tuple, tuple[float, float, dict, pd.DataFrame]] = {}
    history: list[dict] = []

    def point(u: np.ndarray) -> dict[str, float]:
        u = np.clip(u, 0.0, 1.0)
        values = {n: float(p.from_unit(np.array([x]))[0]) for n, p, x in zip(names, params, u)}
        return {n: (int(round(v)) if n in integer_params else v) for n, v in values.items()}

    def evaluate(values: dict[str, float]) -> tuple[float, float, pd.DataFrame]:
        key = tuple(values[n] for n in names)
        if key in cache:
            j, worst, _, readings = cache[key]
            return j, worst, readings
        if len(history) >= settings.max_evaluations:
            raise _Budget
        rows = []
        for r, seed in enumerate(seeds):
            rows += readings_of_run(0, r, seed, simulate(dict(values), seed), targets)
        readings = pd.DataFrame(rows, columns=["point_id", "replicate", "seed", "target", "value", "reason"])
        fits = score(readings, targets, rule)
        j, worst = objective(fits, rule.cutoff), float(fits["implausibility"].max())
        cache[key] = (j, worst, values, readings)
        history.append({"evaluation": len(history) + 1, **values, "objective": j, "max_implausibility": worst})
        if log and (len(history) % 10 == 0 or len(history) == 1):
            log(f"refine: {len(history)}/{settings.max_evaluations} sets, best objective "
                f"{min(h['objective'] for h in history):.4g}")
        return j, worst, readings

    x0 = np.array([to_unit(p, start[n]) for n, p in zip(names, params)])
    j0, _, _ = evaluate(point(x0))
    message = "budget of evaluations used"
    try:
        if settings.method == "nelder-mead":
            simplex = [x0]
            for i in range(len(x0)):
                step = settings.start_step if x0[i] + settings.start_step <= 1 else -settings.start_step
                simplex.append(x0 + step * np.eye(len(x0))[i])
            res = minimize(lambda u: evaluate(point(u))[0], x0, method="Nelder-Mead",
                           bounds=[(0.0, 1.0)] * len(x0),
                           options={"initial_simplex": np.array(simplex), "maxfev": settings.max_evaluations,
                                    "xatol": 1e-4, "fatol": 1e-6})
        else:
            res = minimize(lambda u: evaluate(point(u))[0], x0, method="Powell", bounds=[(0.0, 1.0)] * len(x0),
                           options={"maxfev": settings.max_evaluations, "xtol": 1e-4, "ftol": 1e-6})
        message = str(res.message)
    except _Budget:
        pass
    best_key = min(cache, key=lambda k: (cache[k][0], k))
    j, _, values, readings = cache[best_key]
    return RefineResult(method=settings.method, start=dict(start), params=dict(values), objective_start=j0,
                        objective=j, evaluations=len(history), history=pd.DataFrame(history),
                        readings=readings, message=message)


def _round(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)
