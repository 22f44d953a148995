"""Typed access to the published reference tables in ``data/reference/``, and where the project's files live.

Every figure the project uses from the literature lives in a CSV there, with its source. Code asks this package for
records; it never hard-codes a published number. The raw tables are kept as published (free text in places); the
``defaults.csv`` table holds the project's curated defaults, each naming the reference row it comes from.

* ``paths``: ``REPO_ROOT``, ``DATA_DIR``, ``REFERENCE_DIR``, ``PROFILE_DIR`` (defined once for the whole project);
* ``tables``: ``read_table`` and ``parse_number`` (any table, as published);
* ``accelerators``: ``Hardware``, ``hardware_catalog()``, ``hardware(id)``;
* ``models``: the model catalogue (``models.csv``): ``model_catalog()``, ``model_architecture(id)``, ``model_ids()``;
* ``serving_benchmarks``: measured inference throughput and serverless prices (``serving_benchmarks.csv``), and the
  mean request lengths of MLPerf datasets (``mlperf_datasets.csv``);
* ``published_runs``: ``TrainingRun``, ``training_runs()``;
* ``defaults_table``: ``Default``, ``defaults()``, ``default(key)``;
* ``scaling_fits``: ``ChinchillaFit``, ``chinchilla_fit(name)``.
"""

from ecosystem.reference.accelerators import Hardware, hardware, hardware_catalog
from ecosystem.reference.defaults_table import Default, default, defaults
from ecosystem.reference.models import model_architecture, model_catalog, model_ids, model_sources
from ecosystem.reference.paths import DATA_DIR, PROFILE_DIR, REFERENCE_DIR, REPO_ROOT
from ecosystem.reference.published_runs import TrainingRun, training_runs
from ecosystem.reference.scaling_fits import ChinchillaFit, chinchilla_fit
from ecosystem.reference.serving_benchmarks import (ApiPrice, DatasetLengths, ServingMeasurement, api_prices,
                                                    mlperf_dataset_lengths, serving_measurements)
from ecosystem.reference.tables import parse_number, read_table

__all__ = [
    "DATA_DIR", "PROFILE_DIR", "REFERENCE_DIR", "REPO_ROOT", "ApiPrice", "ChinchillaFit", "DatasetLengths", "Default",
    "Hardware", "ServingMeasurement", "TrainingRun", "api_prices", "chinchilla_fit", "default", "defaults", "hardware",
    "hardware_catalog", "mlperf_dataset_lengths", "model_architecture", "model_catalog", "model_ids", "model_sources",
    "parse_number",
    "read_table", "serving_measurements", "training_runs",
]
