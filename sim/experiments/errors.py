"""The errors of a sweep, all user errors but a failed run: a bad spec, a sweep that cannot start, a run that failed."""

from __future__ import annotations


class SweepSpecError(ValueError):
    """An invalid sweep spec: ``problems`` holds one message per problem (field, value, what is allowed)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid sweep spec:\n" + "\n".join(f"  - {p}" for p in self.problems))


class SweepError(ValueError):
    """A sweep that cannot start or continue (bad option, output directory in the way, no scheduler)."""


class SweepRunError(RuntimeError):
    """A run of the sweep failed; the message names the run (point, replicate, seed, parameter values)."""
