"""The measured inference rows of ``serving_benchmarks.csv`` (MLPerf Inference, engine benchmarks) and the serverless
list prices of open models, as published; the project's columns say which rows the serving validation uses and why
the others are left out. An MLPerf row whose length cells are blank takes the mean request lengths of its dataset
from ``mlperf_datasets.csv`` (one row per subset, with the basis of each figure)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecosystem.reference.tables import parse_number, read_table

MEASURED_KINDS = ("mlperf_throughput", "engine_benchmark")


@dataclass(frozen=True)
class ServingMeasurement:
    """One measured throughput row. ``output_tokens_per_s_per_gpu`` is the published system figure / its GPUs;
    ``validation`` is ``"use"`` or ``"exclude: <why>"``."""

    kind: str
    model: str
    hardware: str
    setting: str
    precision: str
    gpus: int | None
    output_tokens_per_s_per_gpu: float | None
    model_id: str | None
    hardware_id: str | None
    gpus_per_replica: int | None
    max_batch: int | None
    input_tokens: float | None
    output_tokens: float | None
    max_tpot_ms: float | None
    max_ttft_ms: float | None
    validation: str
    source: str

    @property
    def used(self) -> bool:
        return self.validation == "use"


@dataclass(frozen=True)
class ApiPrice:
    """A serverless list price for an open model (USD per 1M tokens)."""

    model: str
    model_id: str | None
    provider: str
    usd_per_million_output_tokens: float
    usd_per_million_input_tokens: float | None
    date: str
    source: str


def _int(text: str) -> int | None:
    value = parse_number(text)
    return None if value is None else int(value)


def _per_gpu(row: dict[str, str]) -> float | None:
    value, gpus = parse_number(row["value"]), parse_number(row["gpus"])
    if value is None or not row["unit"].startswith("output tokens/s"):
        return None
    if "per node" in row["unit"]:
        return value / 8.0  # "per node (8 GPUs)"
    return value / gpus if gpus else None


@dataclass(frozen=True)
class DatasetLengths:
    """Mean tokens per request of an MLPerf dataset, weighted by the samples of its subsets."""

    model_id: str
    input_tokens: float
    output_tokens: float
    samples: int


@lru_cache(maxsize=1)
def mlperf_dataset_lengths() -> dict[str, DatasetLengths]:
    """The sample-weighted mean input and output lengths of each dataset in ``mlperf_datasets.csv``, by model id."""
    subsets: dict[str, list[dict[str, str]]] = {}
    for row in read_table("mlperf_datasets"):
        subsets.setdefault(row["model_id"], []).append(row)
    out = {}
    for model_id, rows in subsets.items():
        n = [float(r["samples"]) for r in rows]
        total = sum(n)
        out[model_id] = DatasetLengths(
            model_id=model_id, samples=int(total),
            input_tokens=sum(k * float(r["input_tokens"]) for k, r in zip(n, rows)) / total,
            output_tokens=sum(k * float(r["mean_output_tokens"]) for k, r in zip(n, rows)) / total)
    return out


def _lengths(row: dict[str, str]) -> tuple[float | None, float | None]:
    """The row's own input / output lengths, or for an MLPerf row with blank cells its dataset's means."""
    # MLPerf publishes the output mean of a dataset but not always its input mean; mlperf_datasets.csv gives both per
    # subset with their basis (Mixtral: the 5-shot GSM8K third makes the mean input 322 tokens, not the output's 145;
    # docs/serving.md, validation caveats).
    given = parse_number(row["input_tokens"]), parse_number(row["output_tokens"])
    dataset = mlperf_dataset_lengths().get(row["model_id"])
    if given == (None, None) and row["kind"] == "mlperf_throughput" and dataset is not None:
        return dataset.input_tokens, dataset.output_tokens
    return given


@lru_cache(maxsize=1)
def serving_measurements() -> tuple[ServingMeasurement, ...]:
    """Every measured-throughput row (used or not), in file order."""
    out = []
    for row in read_table("serving_benchmarks"):
        if row["kind"] not in MEASURED_KINDS:
            continue
        input_tokens, output_tokens = _lengths(row)
        out.append(ServingMeasurement(
            kind=row["kind"], model=row["model"], hardware=row["hardware"], setting=row["scenario_or_setting"],
            precision=row["precision"].rstrip("*").split(" ")[0].lower(), gpus=_int(row["gpus"]),
            output_tokens_per_s_per_gpu=_per_gpu(row), model_id=row["model_id"] or None,
            hardware_id=row["hardware_id"] or None, gpus_per_replica=_int(row["gpus_per_replica"]),
            max_batch=_int(row["max_batch"]), input_tokens=input_tokens,
            output_tokens=output_tokens,
            max_tpot_ms=parse_number(row["max_tpot_ms"]), max_ttft_ms=parse_number(row["max_ttft_ms"]),
            validation=row["validation"] or "exclude: no mapping to the catalogue", source=row["source"]))
    return tuple(out)


@lru_cache(maxsize=1)
def api_prices() -> tuple[ApiPrice, ...]:
    """The serverless list prices (``kind == api_price``)."""
    out = []
    for row in read_table("serving_benchmarks"):
        if row["kind"] != "api_price":
            continue
        notes = row["notes"]
        input_price = None
        if "input USD/1M=" in notes:
            input_price = parse_number(notes.split("input USD/1M=")[1])
        out.append(ApiPrice(model=row["model"], model_id=row["model_id"] or None, provider=row["hardware"],
                            usd_per_million_output_tokens=float(row["value"]),
                            usd_per_million_input_tokens=input_price, date=row["date"], source=row["source"]))
    return tuple(out)
