"""The sweep machinery calibration builds on, imported in this one place (repoint these lines when it moves).

Calibration screens its Latin-hypercube design through the sweep runner (resumable, process pool or Dask), reads
the monthly series from the sweep's results store, and reuses the sweep spec's ``Base`` and ``Parameter`` models and
its error formatting, so a parameter is written the same way in a sweep file and in a calibration file.
"""

from sim.scenario import parse_yaml, validate_mapping  # noqa: F401
from sim.store import ResultsStore, StoreError  # noqa: F401
from sim.sweep import ProgressBar, SweepError, SweepRunError, run_sweep  # noqa: F401
from sim.sweep_spec import _format_error as format_error  # noqa: F401
from sim.sweep_spec import (Base, Parameter, SweepSpecError, build_design, replicate_seeds, resolve_sweep,  # noqa: F401
                            validate_spec)
