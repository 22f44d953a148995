"""The cost planner against figures worked by hand (GPU-hours, the MFU bound, the serving memory and bandwidth limits
with grouped-query attention through ``python -m ecosystem serve``) and against the published runs' own hours: every
expected number here is arithmetic on published inputs, not a call to the planner's formulas."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ecosystem import __main__ as cli
from ecosystem import planner

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, newline="") as fh:
        return list(csv.DictReader(fh))


PEAK_TFLOPS = {r["id"]: float(r["peak_bf16_dense_tflops"]) for r in _rows("hardware.csv")}
BW_TBS = {r["id"]: float(r["memory_bw_tbs"]) for r in _rows("hardware.csv")}
PUBLISHED = [r for r in _rows("published_training_runs.csv")
             if r["hardware_id"] in PEAK_TFLOPS and r["gpu_hours"] not in ("", "unconfirmed")
             and r["train_flops"] not in ("", "unconfirmed")]


# ---- GPU-hours ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flops", "hardware_id", "mfu", "hours"), [
    (3.15e23, "A100-80GB", 0.5, 560_897.435897),    # 3.15e23 / (312e12 x 0.5 x 3600)
    (1.0e24, "H100-SXM", 0.4, 702_168.520),          # 1e24 / (989e12 x 0.4 x 3600)
    (8.4e22, "A100-80GB", 1.0, 74_786.324786),       # the whole peak: 8.4e22 / (312e12 x 3600)
    (3.6e18, "H100-SXM", 0.25, 4.044489),            # 3.6e18 / (989e12 x 0.25 x 3600)
])
def test_gpu_hours_for_flops_by_hand(flops, hardware_id, mfu, hours):
    assert planner.gpu_hours_for_flops(flops, hardware_id, mfu) == pytest.approx(hours, rel=1e-6)


@pytest.mark.parametrize("mfu", [1.5, 1.0000001, 2, 100.0])
def test_gpu_hours_for_flops_refuses_an_mfu_above_one(mfu):
    with pytest.raises(ValueError, match=r"^mfu: .* is out of range; allowed: 0 < mfu <= 1$"):
        planner.gpu_hours_for_flops(1e20, "H100-SXM", mfu)


@pytest.mark.parametrize("run", PUBLISHED, ids=lambda r: r["model"])
def test_published_hours_at_the_runs_implied_mfu(run):
    """MFU implied by the paper's FLOPs, hours and the chip's peak; the planner must give the paper's hours back."""
    flops, hours = float(run["train_flops"]), float(run["gpu_hours"])
    implied = flops / (hours * 3600 * PEAK_TFLOPS[run["hardware_id"]] * 1e12)
    assert 0.05 < implied < 0.75, run["model"]
    assert planner.gpu_hours_for_flops(flops, run["hardware_id"], implied) == pytest.approx(hours, rel=1e-9)


def test_llama2_70b_hours_by_hand():
    # Touvron et al. 2023: 1,720,320 A100-80GB hours for 6 x 70e9 x 2e12 = 8.4e23 FLOPs -> MFU 8.4e23 /
    # (1,720,320 x 3600 x 312e12) = 0.4347; at MFU 0.4347 the planner gives the paper's hours back
    assert planner.gpu_hours_for_flops(8.4e23, "A100-80GB", 0.4347) == pytest.approx(1_720_320, rel=2e-4)


# ---- serving, with grouped-query attention --------------------------------------------------------------------------


def _serve(capsys, g: int) -> dict:
    argv = ["serve", "--params", "70B", "--tokens-per-day", "1e9", "--hardware", "H100-SXM", "--context", "32768",
            "--query-heads-per-kv-head", str(g), "--json"]
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _shape(plan: dict) -> tuple[int, int]:
    found = re.search(r"n_layer=(\d+), d_model=(\d+)", plan["assumptions"]["shape"])
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("g", [1, 8])
def test_serve_kv_cache_and_bandwidth_limit_by_hand(capsys, g):
    plan = _serve(capsys, g)
    n_layer, d_model = _shape(plan)
    # K and V, every layer, every context position, d_model values of 2 bytes each, shared by g query heads
    kv_bytes = 2 * n_layer * 32768 * d_model * 2 / g
    assert plan["kv_cache_gb_per_sequence"] == pytest.approx(kv_bytes / 1e9, rel=1e-12)
    assert plan["bound"] == "memory bandwidth"
    # a decode step reads the 140 GB of bf16 weights and every sequence's KV cache once
    gpus, batch = plan["gpus_per_replica"], plan["batch"]
    replica_tokens_per_s = batch * gpus * BW_TBS["H100-SXM"] * 1e12 / (70e9 * 2 + batch * kv_bytes)
    assert plan["throughput_tokens_per_s_per_gpu"] == pytest.approx(replica_tokens_per_s / gpus, rel=1e-9)
    # memory: weights plus the batch's caches fit in 90% of 80 GB per GPU
    assert plan["memory_per_gpu_gb"] == pytest.approx((140e9 + batch * kv_bytes) / gpus / 1e9, rel=1e-12)
    assert plan["memory_per_gpu_gb"] <= 0.9 * 80
    # fleet: whole replicas at the target utilisation; price from the published 3.99 USD/h
    assert plan["gpus_needed"] == plan["replicas"] * gpus
    assert plan["usd_per_million_tokens"] == pytest.approx(plan["gpus_needed"] * 24 * 3.99 / 1e3, rel=1e-12)


def test_grouped_query_attention_changes_the_answer(capsys):
    mha, gqa = _serve(capsys, 1), _serve(capsys, 8)
    assert gqa["kv_cache_gb_per_sequence"] == pytest.approx(mha["kv_cache_gb_per_sequence"] / 8, rel=1e-12)
    assert gqa["throughput_tokens_per_s_per_gpu"] > 3 * mha["throughput_tokens_per_s_per_gpu"]
    assert gqa["usd_per_million_tokens"] < mha["usd_per_million_tokens"] / 3
    assert "shared by 8 query heads per KV head" in gqa["assumptions"]["shape"]


def test_attention_term_is_proportional_to_the_context():
    six_nd = 6 * 7e9 * 1e12
    at = {ctx: planner.training_flops(7e9, 1e12, context_tokens=ctx) - six_nd for ctx in (1024, 2048, 8192)}
    assert at[2048] / at[1024] == pytest.approx(2.0, rel=1e-12) and at[8192] / at[1024] == pytest.approx(8.0, rel=1e-12)


def test_gpu_hours_for_any_nonnegative_flops():
    assert planner.gpu_hours_for_flops(0.0, "H100-SXM", 0.5) == 0.0
    assert planner.gpu_hours_for_flops(0.5, "H100-SXM", 0.5) == pytest.approx(0.5 / (989e12 * 0.5 * 3600))
    with pytest.raises(ValueError, match=r"^train_flops: -1 is out of range; allowed: 0 <= train_flops$"):
        planner.gpu_hours_for_flops(-1.0, "H100-SXM", 0.5)
