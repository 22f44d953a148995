"""Cost planner: FLOPs and GPU-hours against the published runs, the MFU calibration, budgets, serving, errors, CLI."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem import __main__ as cli
from ecosystem import formulas, planner, reference
from ecosystem.formulas import scaling
from ecosystem.planner.mfu import calibration, validation

RUNS_WITH_FLOPS = [r for r in reference.training_runs() if r.train_flops is not None]
RUNS_WITH_HOURS = [r for r in reference.training_runs() if r.gpu_hours is not None and r.hardware_id is not None]


def _run(model: str) -> reference.TrainingRun:
    return next(r for r in reference.training_runs() if r.model == model)


# ---- FLOPs ----------------------------------------------------------------------------------------------------------


def test_training_flops_is_6nd_plus_the_attention_term():
    n, d = 7e9, 1e12
    n_layer, d_model = formulas.approx_shape_for_params(n)
    ctx = planner.default_train_context_tokens()
    assert planner.training_flops(n, d) == pytest.approx(6 * n * d + 12 * n_layer * ctx * d_model * d, rel=1e-12)
    assert planner.train_plan(n, d, "A100-80GB").train_flops == planner.training_flops(n, d)


@pytest.mark.parametrize("run", RUNS_WITH_FLOPS, ids=lambda r: r.model)
def test_flops_match_every_published_row(run):
    predicted = validation.comparable_flops(run.model, planner.training_flops(run.params_active, run.tokens))
    ratio = predicted / run.train_flops
    if run.model == "Gopher 280B":
        # The row holds Hoffmann et al.'s nominal "Gopher compute" (equal to Chinchilla's), not a count of Gopher's
        # own run: 6ND + attention is 10.4% under it. Documented in the README and `validate`; allowed 12%.
        assert 0.88 <= ratio <= 1.0
    else:
        assert abs(ratio - 1.0) <= 0.10, f"{run.model}: predicted/reported FLOPs = {ratio:.3f}"


def test_palm_flops_with_attention():
    palm = _run("PaLM 540B")
    predicted = planner.training_flops(palm.params_active, palm.tokens)
    six_nd = 6 * palm.params_active * palm.tokens
    assert predicted > six_nd  # the attention term is included
    assert predicted == pytest.approx(palm.train_flops, rel=0.03)  # PaLM Table 21 counts attention too


def test_opt_flops_are_hardware_flops_with_recomputation():
    opt = _run("OPT-175B")
    model_flops = planner.training_flops(opt.params_active, opt.tokens)
    assert model_flops / opt.train_flops < 0.8  # model FLOPs alone are well under the logbook figure
    assert validation.comparable_flops(opt.model, model_flops) == pytest.approx(opt.train_flops, rel=0.05)


# ---- GPU-hours and the MFU calibration -------------------------------------------------------------------------------


def test_gopher_gpu_hours_with_its_own_mfu():
    gopher = _run("Gopher 280B")
    hours = planner.gpu_hours_for_flops(
        planner.training_flops(gopher.params_active, gopher.tokens), gopher.hardware_id, gopher.reported_mfu
    )
    assert hours == pytest.approx(gopher.gpu_hours, rel=0.10)


def test_palm_gpu_hours_with_its_own_mfu_are_steady_state():
    # PaLM's 46.2% MFU is measured in steady state; its chip-hours include "some downtime and repeated steps"
    # (App. B), so the hours at that MFU fall short of the reported ones: about 2/3 of them.
    palm = _run("PaLM 540B")
    hours = planner.gpu_hours_for_flops(palm.train_flops, palm.hardware_id, palm.reported_mfu)
    assert 0.6 * palm.gpu_hours < hours < palm.gpu_hours


def test_committed_calibration_is_current():
    committed = json.loads(calibration.OUTPUT_PATH.read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(calibration.calibrate()))
    assert committed["method"] == fresh["method"]
    assert committed["model"].keys() == fresh["model"].keys()
    assert committed["model"]["hardware_family"] == fresh["model"]["hardware_family"]
    for key in ("fallback_log10_mfu", "slope_per_decade_params"):
        assert committed["model"][key] == pytest.approx(fresh["model"][key], rel=1e-9, abs=1e-12)
    assert committed["model"]["family_log10_mfu"] == pytest.approx(fresh["model"]["family_log10_mfu"])
    assert committed["held_out_median_abs_log10_error"] == pytest.approx(fresh["held_out_median_abs_log10_error"])


def test_gpu_hours_with_default_mfu_meet_the_targets():
    report = validation.validation_report()
    assert report["gpu_hours_rows"] == len(RUNS_WITH_HOURS)
    assert report["gpu_hours_median_abs_log10_error"] <= 0.12
    assert report["held_out_gpu_hours_median_abs_log10_error"] <= 0.12
    for row in report["rows"]:
        if row["gpu_hours_ratio"] is not None:
            assert 1 / 2.5 <= row["gpu_hours_ratio"] <= 2.5, row["model"]
            expected = row["predicted_train_flops"] / (
                reference.hardware(row["hardware_id"]).peak_bf16_flops_per_s * row["default_mfu"] * 3600
            )
            assert row["predicted_gpu_hours"] == pytest.approx(expected, rel=1e-12)


def test_implied_mfu_definition_and_held_out_differs_from_in_sample():
    rows = calibration.calibration_rows()
    for row in rows:
        peak = reference.hardware(row.hardware_id).peak_bf16_flops_per_s
        assert row.implied_mfu == pytest.approx(row.planner_train_flops / (row.reported_gpu_hours * 3600 * peak))
    result = calibration.evaluate("global_median", rows)
    in_sample = result["in_sample_abs_log10_error_by_row"]
    held_out = result["held_out_abs_log10_error_by_row"]
    assert any(held_out[m] > in_sample[m] for m in in_sample)  # holding a row out must cost something


def test_choose_prefers_simpler_method_unless_clearly_better():
    simple = {"method": "a", "fitted_parameters": 1, "held_out_median_abs_log10_error": 0.050}
    close = {"method": "b", "fitted_parameters": 3, "held_out_median_abs_log10_error": 0.045}
    clear = {"method": "c", "fitted_parameters": 4, "held_out_median_abs_log10_error": 0.020}
    assert calibration.choose([close, simple])["method"] == "a"
    assert calibration.choose([close, simple, clear])["method"] == "c"


def test_default_mfu_for_every_hardware():
    for hardware_id in reference.hardware_catalog():
        for params in (1e8, 7e9, 1e12):
            assert 0.05 <= planner.default_mfu(hardware_id, params) <= 0.75


# ---- training plan: energy, carbon, MoE, invariants -----------------------------------------------------------------


def test_energy_and_co2_reproduce_llama1_model_card():
    llama = _run("LLaMA-1 65B")
    factor_row = next(r for r in reference.read_table("carbon") if r["item"] == "LLaMA-1 carbon factor and PUE")
    kg_per_kwh = reference.parse_number(factor_row["value"])
    pue = reference.parse_number(factor_row["value"].split("PUE")[1])
    implied_mfu = planner.training_flops(llama.params_active, llama.tokens) / (
        llama.gpu_hours * 3600 * reference.hardware("A100-80GB").peak_bf16_flops_per_s
    )
    plan = planner.train_plan(
        llama.params_total, llama.tokens, "A100-80GB", mfu=implied_mfu, pue=pue, grid_gco2_per_kwh=kg_per_kwh * 1000
    )
    assert plan.gpu_hours == pytest.approx(llama.gpu_hours, rel=1e-9)
    assert plan.energy_mwh == pytest.approx(llama.energy_mwh, rel=0.02)
    assert plan.co2_t == pytest.approx(llama.co2_t, rel=0.02)
    assert planner.energy_kwh_per_gpu_hour("A100-80GB", pue) == pytest.approx(0.4 * pue)


def test_tpu_energy_uses_the_defaults_tdp():
    assert planner.tdp_w("TPUv4") == reference.default("tdp_w.TPUv4")
    plan = planner.train_plan(1e9, 2e10, "TPUv4", mfu=0.4, pue=1.0)
    assert plan.energy_mwh == pytest.approx(plan.gpu_hours * reference.default("tdp_w.TPUv4") / 1e6)


def test_moe_is_priced_by_active_params():
    moe = planner.train_plan(47e9, 1e12, "H100-SXM", active_params=13e9, mfu=0.4)
    dense_active = planner.train_plan(13e9, 1e12, "H100-SXM", mfu=0.4)
    dense_total = planner.train_plan(47e9, 1e12, "H100-SXM", mfu=0.4)
    assert moe.train_flops == dense_active.train_flops
    assert moe.cost_usd == pytest.approx(dense_active.cost_usd)
    assert moe.cost_usd < dense_total.cost_usd / 3
    assert planner.usd_per_million_tokens(13e9, "H100-SXM", 4.0, 0.5) < planner.usd_per_million_tokens(
        47e9, "H100-SXM", 4.0, 0.5
    )


def test_defaults_and_assumptions_come_from_defaults_csv():
    plan = planner.train_plan(7e9, 1e12, "A100-80GB")
    assert plan.price_usd_per_gpu_hour == reference.default("gpu_price_usd_per_hour.A100-80GB")
    assert plan.pue == reference.default("pue.hyperscale")
    assert plan.grid_gco2_per_kwh == reference.default("grid_gco2_per_kwh.us_average")
    assert plan.mfu == planner.default_mfu("A100-80GB", 7e9)
    assert "gpu_price_usd_per_hour.A100-80GB" in plan.assumptions["price_usd_per_gpu_hour"]
    assert plan.wall_clock_days is None and plan.to_dict()["cost_usd"] == plan.cost_usd


@settings(max_examples=60, deadline=None)
@given(
    params=st.floats(1e6, 1e13),
    tokens=st.floats(1e8, 1e14),
    factor=st.floats(0.01, 100.0),
    hardware_id=st.sampled_from(sorted(reference.hardware_catalog())),
)
def test_cost_scales_linearly_with_tokens(params, tokens, factor, hardware_id):
    base = planner.train_plan(params, tokens, hardware_id)
    scaled = planner.train_plan(params, tokens * factor, hardware_id)
    assert scaled.cost_usd == pytest.approx(base.cost_usd * factor, rel=1e-9)
    assert scaled.energy_mwh == pytest.approx(base.energy_mwh * factor, rel=1e-9)
    assert scaled.co2_t == pytest.approx(base.co2_t * factor, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    params=st.floats(1e7, 1e12),
    tokens=st.floats(1e9, 1e13),
    gpus=st.integers(1, 50_000),
    extra=st.integers(1, 50_000),
)
def test_more_gpus_fewer_days_same_gpu_hours(params, tokens, gpus, extra):
    few = planner.train_plan(params, tokens, "H100-SXM", gpus=gpus)
    many = planner.train_plan(params, tokens, "H100-SXM", gpus=gpus + extra)
    assert many.gpu_hours == few.gpu_hours
    assert many.wall_clock_days < few.wall_clock_days
    assert few.wall_clock_days == pytest.approx(few.gpu_hours / gpus / 24)


# ---- budget ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", ["hoffmann", "epoch"])
@pytest.mark.parametrize("budget_usd", [1e5, 1e7, 1e9])
def test_budget_optimal_tokens_per_param_near_20(fit, budget_usd):
    plan = planner.budget_plan(budget_usd, "H100-SXM", fit=fit)
    assert 15 <= plan.tokens_per_param <= 25
    assert plan.cost_usd == pytest.approx(budget_usd, rel=1e-6)  # attention included, the budget is spent exactly
    assert plan.train_flops == pytest.approx(planner.training_flops(plan.params, plan.tokens), rel=1e-9)
    assert plan.predicted_loss == pytest.approx(scaling.loss(plan.params, plan.tokens, fit), rel=1e-9)


def test_rounded_hoffmann_closed_form_is_the_known_inconsistency():
    # Closed-form optimum of the printed Eq. 10 gives far more tokens per parameter than the paper's own Table 3.
    assert planner.budget_plan(1e7, "H100-SXM", fit="hoffmann-parametric").tokens_per_param > 60


def test_hoffmann_allocation_reproduces_table3():
    row = next(r for r in reference.read_table("scaling_laws") if r["law"].endswith("(Approach 1)"))
    log10_k, a = planner.hoffmann_approach1_allocation()
    for item in row["value"].split(";"):
        size, _, rest = item.partition("->")
        flops = float(rest.split(",")[0])
        params = planner.parse_quantity(size.strip())
        assert 10 ** (log10_k + a * math.log10(flops)) == pytest.approx(params, rel=0.15)


def test_budget_with_given_mfu_and_bigger_budget_gives_bigger_model():
    small = planner.budget_plan(1e6, "A100-80GB", mfu=0.4)
    big = planner.budget_plan(1e8, "A100-80GB", mfu=0.4)
    assert small.mfu == 0.4 and big.params > small.params and big.tokens > small.tokens
    assert big.predicted_loss < small.predicted_loss


# ---- serving --------------------------------------------------------------------------------------------------------


def test_serving_cost_falls_as_utilization_rises():
    costs = [planner.serve_plan(7e10, 1e10, "H100-SXM", utilization=u).usd_per_million_tokens for u in (0.3, 0.6, 0.9)]
    assert costs[0] > costs[1] > costs[2]
    scalar = [planner.usd_per_million_tokens(7e10, "H100-SXM", 3.99, u) for u in (0.3, 0.6, 0.9)]
    assert scalar[0] > scalar[1] > scalar[2]


@settings(max_examples=40, deadline=None)
@given(
    tokens_per_day=st.floats(1e6, 1e12),
    low=st.floats(0.05, 0.9),
    step=st.floats(0.01, 0.5),
    params=st.sampled_from([1e9, 7e9, 7e10]),
)
def test_serving_cost_never_rises_with_utilization(tokens_per_day, low, step, params):
    high = min(1.0, low + step)
    a = planner.serve_plan(params, tokens_per_day, "H200", utilization=low)
    b = planner.serve_plan(params, tokens_per_day, "H200", utilization=high)
    assert b.usd_per_million_tokens <= a.usd_per_million_tokens * (1 + 1e-12)
    assert b.average_utilization <= high + 1e-12
    fleet_usd_per_day = b.gpus_needed * 24 * b.price_usd_per_gpu_hour
    assert b.usd_per_million_tokens == pytest.approx(fleet_usd_per_day / (tokens_per_day / 1e6))


def test_serving_bandwidth_limit_at_batch_one():
    plan = planner.serve_plan(1e9, 1e8, "A100-80GB", batch=1, context_tokens=1024)
    hw = reference.hardware("A100-80GB")
    n_layer, d_model = formulas.approx_shape_for_params(1e9)
    bytes_per_step = 2 * 1e9 + formulas.kv_cache_bytes(n_layer, 1024, d_model)
    assert plan.bound == "memory bandwidth"
    assert plan.throughput_tokens_per_s_per_gpu == pytest.approx(hw.memory_bw_bytes_per_s / bytes_per_step)


def test_serving_compute_limit():
    plan = planner.serve_plan(1e9, 1e8, "A100-80GB", serving_efficiency=0.001, context_tokens=1024)
    n_layer, d_model = formulas.approx_shape_for_params(1e9)
    per_token = formulas.forward_flops_per_token(1e9, n_layer, 1024, d_model)
    assert plan.bound == "compute"
    assert plan.throughput_tokens_per_s_per_gpu == pytest.approx(312e12 * 0.001 / per_token)


def test_serving_memory_fits_and_shards():
    plan = planner.serve_plan(7e10, 1e9, "A100-80GB")
    assert plan.gpus_per_replica >= 2  # 140 GB of weights cannot sit on one 80 GB GPU
    assert plan.memory_per_gpu_gb <= 80 * reference.default("serving_usable_memory_fraction") + 1e-9
    moe = planner.serve_plan(47e9, 1e9, "H100-SXM", active_params=13e9)
    assert moe.weights_gb == pytest.approx(94.0)  # every expert stays resident


def test_serving_unfit_model_is_a_clear_error():
    with pytest.raises(ValueError, match=r"^params: .*does not fit on A100-40GB.*up to 64 GPUs"):
        planner.serve_plan(5e12, 1e9, "A100-40GB")


# ---- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: planner.train_plan(7e9, 1e12, "X100"), r"^hardware: unknown id 'X100'; allowed: A100-40GB, "),
        (lambda: planner.train_plan(-7e9, 1e12, "H100-SXM"), r"^params: -7e\+09 is out of range; allowed: "),
        (lambda: planner.train_plan(0, 1e12, "H100-SXM"), r"^params: 0 is out of range"),
        (lambda: planner.train_plan(2e14, 1e12, "H100-SXM"), r"^params: .*<= 1e\+14"),
        (lambda: planner.train_plan(float("nan"), 1e12, "H100-SXM"), r"^params: nan is not a finite number"),
        (lambda: planner.train_plan(7e9, -1, "H100-SXM"), r"^tokens: "),
        (lambda: planner.train_plan(7e9, 1e12, "H100-SXM", active_params=8e9), r"^active_params: .*exceeds params"),
        (lambda: planner.train_plan(7e9, 1e12, "H100-SXM", gpus=0), r"^gpus: 0 is out of range"),
        (lambda: planner.train_plan(7e9, 1e12, "H100-SXM", mfu=1.5), r"^mfu: 1.5 is out of range"),
        (lambda: planner.train_plan(7e9, 1e12, "H100-SXM", pue=0.5), r"^pue: "),
        (lambda: planner.budget_plan(-1, "H100-SXM"), r"^budget_usd: "),
        (lambda: planner.budget_plan(1e6, "H100-SXM", fit="kaplan"), r"^fit: unknown 'kaplan'; allowed: epoch"),
        (lambda: planner.serve_plan(7e9, 1e9, "H100-SXM", utilization=0), r"^utilization: 0 is out of range"),
        (lambda: planner.usd_per_million_tokens(7e9, "B300", 3.0, 0.5), r"^hardware: unknown id 'B300'"),
        (lambda: planner.gpu_hours_for_flops(1e20, "H100-SXM", 0), r"^mfu: "),
    ],
)
def test_error_messages_name_argument_value_and_allowed(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_parse_quantity():
    assert planner.parse_quantity("70B") == 7e10
    assert planner.parse_quantity("1.4T") == pytest.approx(1.4e12)
    assert planner.parse_quantity("7e9") == 7e9
    assert planner.parse_quantity("500M") == 5e8
    with pytest.raises(ValueError):
        planner.parse_quantity("seventy")


# ---- CLI ------------------------------------------------------------------------------------------------------------


def _cli_json(capsys, *argv: str) -> dict:
    assert cli.main(list(argv) + ["--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


def test_cli_plan_json_keys(capsys):
    data = _cli_json(capsys, "plan", "--params", "70B", "--tokens", "2T", "--hardware", "A100-80GB", "--gpus", "2048")
    for key in ("train_flops", "gpu_hours", "cost_usd", "energy_mwh", "co2_t", "mfu", "price_usd_per_gpu_hour",
                "assumptions", "wall_clock_days"):
        assert key in data
    assert data["cost_usd"] == pytest.approx(planner.train_plan(7e10, 2e12, "A100-80GB").cost_usd)
    without = _cli_json(capsys, "plan", "--params", "7e9", "--tokens", "1e12", "--hardware", "H100-SXM")
    assert "wall_clock_days" not in without


def test_cli_budget_and_serve_and_validate_json_keys(capsys):
    budget = _cli_json(capsys, "plan", "--budget-usd", "1e6", "--hardware", "H100-SXM", "--fit", "hoffmann")
    for key in ("params", "tokens", "train_flops", "predicted_loss", "gpu_hours", "cost_usd"):
        assert key in budget
    serve = _cli_json(capsys, "serve", "--params", "70B", "--tokens-per-day", "1e9", "--hardware", "H200",
                      "--context", "8192")
    for key in ("gpus_needed", "usd_per_million_tokens", "energy_kwh_per_day", "memory_per_gpu_gb"):
        assert key in serve
    assert serve["context_tokens"] == 8192
    report = _cli_json(capsys, "validate")
    assert len(report["rows"]) == len(reference.training_runs())
    assert {"held_out_gpu_hours_median_abs_log10_error", "gpu_hours_median_abs_log10_error"} <= set(report)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["plan", "--params", "-5", "--tokens", "1T", "--hardware", "H100-SXM"], "--params: -5 is out of range"),
        (["plan", "--params", "7B", "--tokens", "1T", "--hardware", "X100"], "--hardware: unknown id 'X100'; allowed"),
        (["plan", "--params", "abc", "--tokens", "1T", "--hardware", "H100-SXM"], "--params: 'abc' is not a number"),
        (["serve", "--params", "1e13", "--tokens-per-day", "1e9", "--hardware", "A100-40GB"], "does not fit"),
        (["serve", "--params", "7B", "--tokens-per-day", "1e9", "--hardware", "H200", "--context", "0"], "--context: "),
        (["plan", "--hardware", "H100-SXM"], "--params: required"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, argv, needle):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and needle in captured.err and "Traceback" not in captured.err


def test_cli_argparse_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["plan", "--params", "7B", "--tokens", "1T"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--hardware" in err


def test_this_machine_uses_the_probe_profile():
    from ecosystem.probe.profile import load_probe_profile

    profile = load_probe_profile()
    largest = profile["sizes"][-1]
    plan = planner.train_plan(1e8, 2e9, planner.THIS_MACHINE)
    assert plan.mfu == pytest.approx(largest.get("mfu_median", largest["mfu"]))
    expected_hours = plan.train_flops / (profile["gemm_peak_flops_per_s"] * plan.mfu * 3600)
    assert plan.gpu_hours == pytest.approx(expected_hours)
    assert plan.cost_usd == 0.0 and plan.energy_mwh == 0.0 and "probe" in plan.assumptions["mfu"]
    priced = planner.train_plan(1e8, 2e9, planner.THIS_MACHINE, price_usd_per_gpu_hour=0.1)
    assert priced.cost_usd == pytest.approx(0.1 * plan.gpu_hours)
    with pytest.raises(ValueError, match="this-machine.*memory bandwidth.*allowed: A100-40GB"):
        planner.serve_plan(1e8, 1e6, planner.THIS_MACHINE)
    with pytest.raises(ValueError, match="allowed: .*this-machine"):
        planner.train_plan(1e8, 2e9, "X100")
