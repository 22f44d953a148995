"""Samplers: the design points of a sweep, one class per design (grid, Latin hypercube, Sobol').

A sampler turns a spec's parameters into a matrix of points (one row per point, one column per parameter). The grid
takes the Cartesian product of each parameter's levels; the Latin hypercube and Sobol' samplers draw on the unit cube
and map each column onto its parameter's range or value list. The design depends only on the spec (and the base seed
when the spec sets none): never on the simulation.
"""

from __future__ import annotations

import itertools

import abc

import numpy as np
import pandas as pd

from sim.experiments.spec import SweepSpec


class Sampler(abc.ABC):
    """The design points of a spec: ``matrix(spec, seed)`` of shape (points, parameters), in spec order."""

    @abc.abstractmethod
    def matrix(self, spec: SweepSpec, seed: int) -> np.ndarray:
        """The design matrix; each sampler defines it."""


class GridSampler(Sampler):
    """The Cartesian product of each parameter's levels (the last parameter varies fastest)."""

    def matrix(self, spec: SweepSpec, seed: int) -> np.ndarray:
        params = [spec.parameters[n] for n in spec.parameter_names]
        rows = list(itertools.product(*[p.grid_levels() for p in params])) if params else [()]
        return np.asarray(rows, dtype=float).reshape(len(rows), len(params))


class UnitCubeSampler(Sampler):
    """A sample on the unit cube [0, 1)^D, mapped onto each parameter's range or value list."""

    @abc.abstractmethod
    def unit(self, spec: SweepSpec, seed: int) -> np.ndarray:
        """The unit-cube sample; Latin hypercube and Sobol' define it."""

    def matrix(self, spec: SweepSpec, seed: int) -> np.ndarray:
        params = [spec.parameters[n] for n in spec.parameter_names]
        unit = self.unit(spec, seed)
        return np.column_stack([p.from_unit(unit[:, j]) for j, p in enumerate(params)])


class LatinHypercubeSampler(UnitCubeSampler):
    """``scipy.stats.qmc.LatinHypercube`` (scrambled, seeded)."""

    def unit(self, spec: SweepSpec, seed: int) -> np.ndarray:
        from scipy.stats import qmc

        return qmc.LatinHypercube(len(spec.parameters), rng=np.random.default_rng(seed)).random(int(spec.samples))


class SobolSampler(UnitCubeSampler):
    """``SALib.sample.sobol.sample`` (Saltelli's scheme, scrambled, seeded); the row order is SALib's, which
    ``SALib.analyze.sobol`` needs."""

    def unit(self, spec: SweepSpec, seed: int) -> np.ndarray:
        from SALib.sample import sobol as sobol_sample

        unit = sobol_sample.sample(sobol_problem(spec), int(spec.samples), calc_second_order=spec.second_order,
                                   scramble=True, seed=seed)
        return np.clip(unit, 0.0, np.nextafter(1.0, 0.0))


SAMPLERS: dict[str, Sampler] = {"grid": GridSampler(), "lhs": LatinHypercubeSampler(), "sobol": SobolSampler()}


def design_seed(spec: SweepSpec, base_seed: int | None = None) -> int:
    return int(spec.seed if spec.seed is not None else (base_seed if base_seed is not None else 0))


def build_design(spec: SweepSpec, integer_params: frozenset[str] | set[str] = frozenset(),
                 base_seed: int | None = None) -> pd.DataFrame:
    """The design points: a frame with ``point_id`` (0..n-1) and one column per parameter, in spec order, from the
    spec's sampler. Parameters in ``integer_params`` are rounded."""
    matrix = SAMPLERS[spec.design].matrix(spec, design_seed(spec, base_seed))
    frame = pd.DataFrame({"point_id": np.arange(len(matrix), dtype=np.int64)})
    for j, name in enumerate(spec.parameter_names):
        col = matrix[:, j]
        if name in integer_params:
            frame[name] = np.rint(col).astype(np.int64)
        else:
            frame[name] = col.astype(float)
    return frame


def unit_sample(spec: SweepSpec, seed: int) -> np.ndarray:
    """The lhs or sobol sample on the unit cube [0, 1)^D, before mapping onto the parameters."""
    sampler = SAMPLERS[spec.design]
    if not isinstance(sampler, UnitCubeSampler):
        raise ValueError(f"design {spec.design!r} has no unit sample")
    return sampler.unit(spec, seed)


def sobol_problem(spec: SweepSpec) -> dict:
    """SALib's problem definition. Inputs are sampled on the unit cube and mapped afterwards (log ranges and value
    lists included), so the indices refer to the inputs as sampled: uniform in log10 for a log range."""
    names = spec.parameter_names
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}

