"""Calibration specs: which scenario fields are uncertain, which targets to fit, how many samples, what is accepted.

Example (``data/calibration/demand_smoke.yaml``)::

    name: history_2020
    base: {scenario: history_2020}
    parameters:                                   # dotted scenario paths, as in a sweep file; ranges only
      market.demand_growth_multiplier: {low: 0.5, high: 2.0, log: true}
      clouds.price_markup: {low: 0.5, high: 2.0}
    targets: data/reference/calibration_targets.csv   # the default
    samples: 500                                  # Latin-hypercube points
    seeds: 3                                      # seeds per point (common random numbers)
    acceptance: {cutoff: 3.0, exclude_worst: 0, discrepancy_log10: 0.0}
    refine: {method: nelder-mead, max_evaluations: 60}   # optional

Checked by pydantic (``extra="forbid"``); every problem is reported at once (``CalibrationSpecError.problems``),
one message each naming the field, the value and what is allowed. The parameters and the base scenario are checked
against the ``Scenario`` by the sweep machinery when the chain model is calibrated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.experiments.calibration.fit import AcceptanceRule
from sim.experiments.calibration.machinery import Base, Parameter, format_error, parse_yaml, validate_mapping
from sim.experiments.calibration.targets import date_problem

REPO_ROOT = Path(__file__).resolve().parents[3]
CALIBRATION_DIR = REPO_ROOT / "data" / "calibration"
DEFAULT_TARGETS = "data/reference/calibration_targets.csv"
MAX_SAMPLES = 1_000_000


class CalibrationSpecError(ValueError):
    """An invalid calibration spec: ``problems`` holds one message per problem (field, value, what is allowed)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid calibration spec:\n" + "\n".join(f"  - {p}" for p in self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(Parameter):
    """An uncertain parameter: a sweep parameter restricted to a range ``{low, high}`` (optionally ``log``)."""

    @model_validator(mode="before")
    @classmethod
    def _no_list(cls, data: Any) -> Any:
        if isinstance(data, list):  # a sweep's shorthand for a value list
            raise ValueError(f"value list {data} is not allowed; allowed: a range {{low, high}} (optionally log: "
                             "true)")
        return data

    @model_validator(mode="after")
    def _range_only(self) -> Range:
        if not self.is_range:
            raise ValueError("a value list is not allowed; allowed: a range {low, high} (optionally log: true)")
        if self.levels is not None:
            raise ValueError(f"levels {self.levels} is not allowed; allowed: omit it (levels are for grid sweeps)")
        return self


class Acceptance(_Strict):
    """Which parameter sets are kept (see ``sim.experiments.calibration.fit`` for the formulas)."""

    cutoff: float = Field(default=3.0, gt=0, le=100, description="largest implausibility a kept set may have")
    exclude_worst: int = Field(default=0, ge=0, le=100,
                               description="targets a set may miss: judged by its (k+1)-th largest implausibility")
    discrepancy_log10: float = Field(default=0.0, ge=0, le=5, description="model-discrepancy sd in log10")
    discrepancy_by_metric: dict[str, float] = Field(default_factory=dict,
                                                    description="per-metric model-discrepancy sd in log10")
    seed_variance: bool = Field(default=False, description="add the seeds' spread of log10 f to the variance")

    @field_validator("discrepancy_by_metric")
    @classmethod
    def _discrepancies(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 <= x <= 5}
        if bad:
            raise ValueError(f"values {bad} are not allowed; allowed: 0 to 5 (log10 standard deviations)")
        return v

    def rule(self) -> AcceptanceRule:
        return AcceptanceRule(self.cutoff, self.exclude_worst, self.discrepancy_log10,
                              tuple(sorted(self.discrepancy_by_metric.items())), self.seed_variance)


class Refinement(_Strict):
    """A local search from the best screened set with ``scipy.optimize.minimize`` inside the parameters' ranges."""

    method: Literal["nelder-mead", "powell"] = "nelder-mead"
    max_evaluations: int = Field(default=60, ge=2, le=100_000, description="parameter sets evaluated at most")
    start_step: float = Field(default=0.1, gt=0, le=0.5,
                              description="first simplex step as a share of each parameter's range")


class Options(_Strict):
    months: int | None = Field(default=None, ge=1, le=600,
                               description="horizon of the runs; default: just long enough for the last target")
    batch_size: int | None = Field(default=None, ge=1, le=10_000, description="runs per sweep task")


class CalibrationSpec(_Strict):
    """A whole calibration. See the module docstring for an example."""

    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="letters, digits, '_', '-' and '.'")
    description: str = ""
    base: Base = Field(default_factory=Base)
    start_date: str | None = Field(default=None, description="YYYY-MM of step 0, only for a base scenario whose "
                                                             "metrics have no date column")
    parameters: dict[str, Range] = Field(min_length=1)
    targets: str = Field(default=DEFAULT_TARGETS, min_length=1, description="targets CSV; relative paths are "
                                                                            "looked up next to the spec, then in "
                                                                            "the repository")
    metrics: list[str] | None = Field(default=None, min_length=1, description="fit only these metrics' targets")
    samples: int = Field(ge=2, le=MAX_SAMPLES, description="Latin-hypercube points")
    seeds: int = Field(default=1, ge=1, le=1000, description="seeds per point (common random numbers)")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1,
                             description="base seed of the sample and the seeds; default: the base scenario's")
    acceptance: Acceptance = Field(default_factory=Acceptance)
    refine: Refinement | None = None
    options: Options = Field(default_factory=Options)

    @field_validator("start_date")
    @classmethod
    def _start(cls, v: str | None) -> str | None:
        if v is not None:
            bad = date_problem(v)
            if bad or len(v) != 7:
                raise ValueError(f"value {v!r} is not allowed; allowed: YYYY-MM")
        return v

    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters)

    def sweep_data(self, series: list[str], months: int | None) -> dict[str, Any]:
        """The screening sweep as sweep-spec data: an LHS design of ``samples`` points x ``seeds`` replicates with
        common seeds, keeping the target metrics month by month."""
        return {
            "name": self.name, "description": self.description or f"calibration screen of {self.name}",
            "base": self.base.model_dump(mode="json"),
            "parameters": {k: p.model_dump(mode="json", exclude_none=True) for k, p in self.parameters.items()},
            "design": "lhs", "samples": self.samples, "replicates": self.seeds, "seed": self.seed,
            "seeds": "common", "outcomes": [{"metric": series[0], "reduce": "final"}],
            "options": {"months": months, "batch_size": self.options.batch_size, "series": series},
        }


def validate_calibration_spec(data: Any) -> CalibrationSpec:
    """A ``CalibrationSpec`` from plain data, or a ``CalibrationSpecError`` listing every problem."""
    return validate_mapping(CalibrationSpec, data, CalibrationSpecError, "spec", format_error)


def calibration_spec_from_yaml(text: str) -> CalibrationSpec:
    data = parse_yaml(text, CalibrationSpecError, "a YAML mapping with name, parameters, samples, ...")
    return validate_calibration_spec(data)


def calibration_spec_path(name_or_path: str | Path) -> Path:
    """A calibration file by path, or a bundled one (``data/calibration/<name>.yaml``) by name."""
    path = Path(name_or_path)
    if path.exists():
        return path
    bundled = CALIBRATION_DIR / f"{name_or_path}.yaml"
    if path.suffix in {".yaml", ".yml"} or "/" in str(name_or_path) or not bundled.exists():
        names = ", ".join(sorted(p.stem for p in CALIBRATION_DIR.glob("*.yaml"))) or "(none)"
        raise CalibrationSpecError([f"spec: {str(name_or_path)!r} is neither a file nor a bundled calibration; "
                                    f"allowed: a path or one of {names}"])
    return bundled


def load_calibration_spec(name_or_path: str | Path) -> CalibrationSpec:
    return calibration_spec_from_yaml(calibration_spec_path(name_or_path).read_text(encoding="utf-8"))


def targets_path(spec: CalibrationSpec, spec_dir: Path | None = None) -> Path:
    """The spec's targets file: an absolute path, else next to the spec file, else in the repository."""
    path = Path(spec.targets)
    if path.is_absolute():
        return path
    if spec_dir is not None and (spec_dir / path).exists():
        return spec_dir / path
    return REPO_ROOT / path
