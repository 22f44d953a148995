"""The sweep machinery calibration builds on, imported in this one place.

Calibration screens its Latin-hypercube design through the sweep runner (resumable, process pool or Dask), reads
the monthly series from the sweep's results store, and reuses the sweep spec's ``Base`` and ``Parameter`` models and
its error formatting, so a parameter is written the same way in a sweep file and in a calibration file.
"""

from sim.experiments.errors import SweepError, SweepRunError  # noqa: F401
from sim.experiments.progress import ProgressBar  # noqa: F401
from sim.experiments.resolve import replicate_seeds, resolve_sweep  # noqa: F401
from sim.experiments.samplers import build_design  # noqa: F401
from sim.experiments.spec import _format_error as format_error  # noqa: F401
from sim.experiments.spec import Base, Parameter, SweepSpecError, validate_spec  # noqa: F401
from sim.experiments.store import ResultsStore, StoreError  # noqa: F401
from sim.experiments.sweep import run_sweep  # noqa: F401
from sim.scenario import parse_yaml, validate_mapping  # noqa: F401
