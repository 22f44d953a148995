"""Serving on real architectures: the KV cache per attention type, memory fit, batching, latency limits, tensor
parallelism, the CLI contract and the validation targets against measured inference."""

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem import __main__ as cli
from ecosystem import formulas, planner, reference
from ecosystem.planner.serving.fit import predict_row
from ecosystem.planner.serving.roofline import replica_curve

CATALOGUE_IDS = ["llama-2-70b", "llama-3-8b", "llama-3.1-8b", "llama-3-70b", "llama-3.3-70b", "llama-3.1-405b",
                 "mixtral-8x7b", "deepseek-v3", "qwen2.5-72b"]

# Hand-computed from the public configs (bf16, 2 bytes): GQA 2 x layers x KV heads x head dim x 2; MLA layers x
# (kv_lora_rank 512 + rope 64) x 2. MoE does not change the cache (experts are MLPs).
KV_BYTES_PER_TOKEN_BF16 = {
    "llama-2-70b": 2 * 80 * 8 * 128 * 2,       # 327,680
    "llama-3-8b": 2 * 32 * 8 * 128 * 2,        # 131,072
    "llama-3.1-8b": 2 * 32 * 8 * 128 * 2,
    "llama-3-70b": 2 * 80 * 8 * 128 * 2,
    "llama-3.3-70b": 2 * 80 * 8 * 128 * 2,
    "llama-3.1-405b": 2 * 126 * 8 * 128 * 2,   # 516,096
    "mixtral-8x7b": 2 * 32 * 8 * 128 * 2,      # 131,072: 8 KV heads, not 32
    "qwen2.5-72b": 2 * 80 * 8 * 128 * 2,
    "deepseek-v3": 61 * (512 + 64) * 2,        # 70,272: the latent, not 128 heads x 2 x 128
}


def _cli_json(capsys, *argv: str) -> dict:
    assert cli.main(list(argv) + ["--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_catalogue_has_the_issue_ids_with_sources():
    assert set(CATALOGUE_IDS) <= set(reference.model_ids())
    for model_id, source in reference.model_sources().items():
        assert source.strip(), model_id


@pytest.mark.parametrize("model_id", CATALOGUE_IDS)
def test_kv_bytes_per_token_by_attention_type(model_id):
    arch = reference.model_architecture(model_id)
    assert arch.kv_bytes_per_token(2.0) == KV_BYTES_PER_TOKEN_BF16[model_id]
    assert arch.kv_bytes_per_token(1.0) == KV_BYTES_PER_TOKEN_BF16[model_id] / 2  # fp8 halves it


def test_kv_bytes_agree_with_the_published_kv_rows():
    table = reference.read_table("serving_benchmarks")
    rows = {r["model"]: float(r["value"]) for r in table if r["kind"] == "kv_cache"}
    assert rows["Llama 3 70B / Llama-2-70B"] == KV_BYTES_PER_TOKEN_BF16["llama-3-70b"]
    assert rows["DeepSeek-V3"] == KV_BYTES_PER_TOKEN_BF16["deepseek-v3"]
    assert rows["Llama 3.1 405B"] == KV_BYTES_PER_TOKEN_BF16["llama-3.1-405b"]


def test_mha_stores_every_head():
    assert formulas.kv_cache_bytes_per_token("MHA", 80, 64, 128, 2.0) == 8 * KV_BYTES_PER_TOKEN_BF16["llama-2-70b"]
    with pytest.raises(ValueError, match=r"^attention: 'XYZ'.*allowed: MHA, GQA, MLA"):
        formulas.kv_cache_bytes_per_token("XYZ", 1, 1, 1)


def test_moe_reads_active_experts_at_batch_one_and_all_at_large_batch():
    mixtral = reference.model_architecture("mixtral-8x7b")
    routed = 3 * 32 * 8 * 4096 * 14336  # every expert's three matrices
    assert mixtral.routed_expert_params() == routed
    dense = mixtral.total_params - routed
    assert mixtral.weights_read_params(1) == pytest.approx(dense + routed * 2 / 8)
    # expected distinct experts of top-2 of 8 over 2 tokens: 8 x (1 - (6/8)^2) = 3.5 of 8
    assert mixtral.weights_read_params(2) == pytest.approx(dense + routed * 3.5 / 8)
    assert mixtral.weights_read_params(1000) == pytest.approx(mixtral.total_params)
    ds = reference.model_architecture("deepseek-v3")
    active_routed = ds.weights_read_params(1) - (ds.total_params - ds.routed_expert_params())
    assert active_routed == pytest.approx(3 * 58 * 8 * 7168 * 2048)  # 8 of 256 routed experts in 58 MoE layers


def test_memory_fit_refuses_an_impossible_plan_naming_the_field():
    with pytest.raises(ValueError, match=r"^model: llama-3.1-405b needs 811.7 GB of bf16 weights"):
        planner.serve_model_plan("llama-3.1-405b", "A100-40GB", precision="bf16")
    with pytest.raises(ValueError, match=r"^gpus_per_replica: llama-3-70b needs 70.5 GB of fp8 weights"):
        planner.serve_model_plan("llama-3-70b", "H100-SXM", gpus_per_replica=1, batch=64)
    with pytest.raises(ValueError, match=r"^gpus_per_replica: 16 is out of range"):
        planner.serve_model_plan("llama-3-70b", "H100-SXM", gpus_per_replica=16)


@settings(max_examples=25, deadline=None)
@given(model_id=st.sampled_from(CATALOGUE_IDS), hw=st.sampled_from(["H100-SXM", "H200", "B200", "MI300X"]),
       n_in=st.integers(16, 4096), n_out=st.integers(16, 2048))
def test_throughput_rises_with_batch_until_memory_or_compute_binds(model_id, hw, n_in, n_out):
    arch = reference.model_architecture(model_id)
    curve = replica_curve(arch, reference.hardware(hw), "fp8", "fp8", 8, n_in, n_out, 0.5, 2048)
    top = min(curve.max_fit_batch, 2048)
    tps = curve.tokens_per_s[:top]
    assert all(b >= a * (1 - 1e-12) for a, b in zip(tps, tps[1:]))  # never falls as the batch grows
    if top >= 2:
        # compute binds: the gain from the last doubling is smaller than from the first
        assert tps[-1] / tps[top // 2 - 1] <= tps[1] / tps[0] + 1e-12


def test_latency_limits_lower_the_batch():
    free = planner.serve_model_plan("llama-3-70b", "H100-SXM", input_tokens=1000, output_tokens=200)
    limited = planner.serve_model_plan("llama-3-70b", "H100-SXM", input_tokens=1000, output_tokens=200,
                                       max_tpot_ms=free.tpot_s * 1e3 / 3)
    assert limited.batch < free.batch
    assert limited.tpot_s * 1e3 <= free.tpot_s * 1e3 / 3
    assert limited.batch_limit == "latency limit"
    ttft = planner.serve_model_plan("llama-3-70b", "H100-SXM", input_tokens=1000, output_tokens=200,
                                    max_ttft_ms=free.ttft_s * 1e3 * 0.9)
    assert ttft.ttft_s <= free.ttft_s * 0.9
    with pytest.raises(ValueError, match=r"^max_tpot_ms: no batch of llama-3-70b on H100-SXM meets 1 ms"):
        planner.serve_model_plan("llama-3-70b", "H100-SXM", max_tpot_ms=1)


def test_tensor_parallel_cost_grows_with_gpus_per_replica():
    arch = reference.model_architecture("llama-3-70b")
    hw = reference.hardware("H100-SXM")
    comm = [replica_curve(arch, hw, "fp8", "fp8", g, 500, 200, 0.5, 256).interconnect_s[255] for g in (2, 4, 8)]
    assert 0 < comm[0] < comm[1] < comm[2]
    # ring all-reduce: 2 per layer, 2 (g-1)/g x batch x d_model x 2 bytes over half the aggregate link, + latency
    expected = 2 * 80 * (2 * 7 / 8 * 256 * 8192 * 2 / (900e9 / 2) + reference.default("tp_allreduce_latency_s"))
    assert comm[2] == pytest.approx(expected)
    per_gpu = [planner.serve_model_plan("llama-3-70b", "H200", gpus_per_replica=g, batch=64)
               .throughput_tokens_per_s_per_gpu for g in (1, 2, 4, 8)]
    assert per_gpu[0] > per_gpu[1] > per_gpu[2] > per_gpu[3]  # same batch, more GPUs: less per GPU


def test_precision_sets_weights_and_peak():
    bf16 = planner.serve_model_plan("llama-3-8b", "H100-SXM", precision="bf16")
    fp8 = planner.serve_model_plan("llama-3-8b", "H100-SXM", precision="fp8")
    assert bf16.weights_gb == pytest.approx(2 * fp8.weights_gb)
    assert fp8.throughput_tokens_per_s_per_gpu > bf16.throughput_tokens_per_s_per_gpu
    fp4_on_h100 = planner.serve_model_plan("llama-3-8b", "H100-SXM", precision="fp4")
    assert fp4_on_h100.compute_precision == "fp8"  # no fp4 tensor cores on Hopper in hardware.csv
    assert planner.serve_model_plan("llama-3-8b", "B200", precision="fp4").compute_precision == "fp4"


def test_fleet_and_costs_follow_from_the_replica():
    plan = planner.serve_model_plan("llama-3-70b", "H100-SXM", tokens_per_day=1e10)
    replica_tps = plan.throughput_tokens_per_s_per_gpu * plan.gpus_per_replica
    assert plan.replicas == math.ceil(1e10 / 86400 / 0.6 / replica_tps)
    assert plan.gpus_needed == plan.replicas * plan.gpus_per_replica
    blended = (plan.usd_per_million_output_tokens * 179 + plan.usd_per_million_input_tokens * 202) / 381
    assert plan.usd_per_million_tokens_blended == pytest.approx(blended)


def test_simulation_call_matches_the_plan_and_scales_with_price():
    plan = planner.serve_model_plan("llama-3-70b", "H100-SXM", price_usd_per_gpu_hour=2.0, utilization=0.5)
    cost = planner.serving_cost_usd_per_mtok("llama-3-70b", "H100-SXM", price_usd_per_gpu_hour=2.0, utilization=0.5)
    assert cost.usd_per_million_output_tokens == pytest.approx(plan.usd_per_million_output_tokens)
    assert cost.throughput_tokens_per_s_per_gpu == pytest.approx(plan.throughput_tokens_per_s_per_gpu)
    double = planner.serving_cost_usd_per_mtok("llama-3-70b", "H100-SXM", price_usd_per_gpu_hour=4.0,
                                               utilization=0.5)
    assert double.usd_per_million_input_tokens == pytest.approx(2 * cost.usd_per_million_input_tokens)
    small = planner.serving_cost_usd_per_mtok(7e9, "H100-SXM", price_usd_per_gpu_hour=2.0, utilization=0.5)
    big = planner.serving_cost_usd_per_mtok(7e10, "H100-SXM", price_usd_per_gpu_hour=2.0, utilization=0.5)
    assert big.usd_per_million_output_tokens > small.usd_per_million_output_tokens


def test_gqa_shape_for_a_parameter_count():
    arch = formulas.gqa_architecture_for_params(7e10)
    assert arch.attention == "GQA" and arch.head_dim == 128 and arch.n_kv_head == 8
    assert arch.kv_bytes_per_token(2.0) == 2 * arch.n_layer * 8 * 128 * 2


def test_cli_serve_contract_keys(capsys):
    out = _cli_json(capsys, "serve", "--model", "llama-3-70b", "--hardware", "H100-SXM", "--precision", "fp8",
                    "--gpus-per-replica", "2", "--input-tokens", "500", "--output-tokens", "200",
                    "--tokens-per-day", "1e10", "--max-tpot-ms", "100")
    for key in ("throughput_tokens_per_s_per_gpu", "batch", "ttft_s", "tpot_s", "gpus_needed",
                "usd_per_million_output_tokens", "usd_per_million_input_tokens", "bound", "assumptions"):
        assert key in out, key
    assert out["gpus_per_replica"] == 2 and out["tpot_s"] <= 0.1
    without = _cli_json(capsys, "serve", "--model", "llama-3-8b", "--hardware", "H200")
    assert "gpus_needed" not in without
    legacy = _cli_json(capsys, "serve", "--params", "70B", "--tokens-per-day", "1e9", "--hardware", "H200")
    assert "usd_per_million_tokens" in legacy


@pytest.mark.parametrize("argv, needle", [
    (["serve", "--model", "nope", "--hardware", "H100-SXM"], "--model: unknown id 'nope'"),
    (["serve", "--hardware", "H100-SXM"], "--model: give exactly one of --model ID or --params P"),
    (["serve", "--model", "llama-3-8b", "--params", "7B", "--hardware", "H100-SXM"], "--model: give exactly one"),
    (["serve", "--model", "llama-3-8b", "--hardware", "H100-SXM", "--precision", "int3"], "--precision: "),
    (["serve", "--model", "llama-3-8b", "--hardware", "H100-SXM", "--context", "10"], "--context: not used with"),
    (["serve", "--params", "7B", "--hardware", "H100-SXM", "--tokens-per-day", "1e9", "--max-tpot-ms", "5"],
     "--max-tpot-ms: not used with --params"),
])
def test_cli_serve_errors_are_one_line(capsys, argv, needle):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_plan_accepts_a_catalogued_model(capsys):
    out = _cli_json(capsys, "plan", "--model", "mixtral-8x7b", "--tokens", "1e12", "--hardware", "H100-SXM")
    assert out["params"] == 46.7e9 and out["active_params"] == 12.88e9


def test_validate_serving_targets(capsys):
    report = _cli_json(capsys, "validate-serving")
    used = [r for r in reference.serving_measurements() if r.used]
    assert len(report["rows"]) == len(used) >= 10
    assert {r["hardware_id"] for r in report["rows"]} >= {"H100-SXM", "H200", "B200", "MI300X", "A100-80GB"}
    assert len(report["efficiency_by_family"]) <= len({reference.hardware(r.hardware_id).family for r in used})
    assert report["held_out_median_abs_log10_error"] <= 0.15
    assert all(x["reason"].startswith("exclude: ") for x in report["excluded"])
    h100 = [r["measured_tokens_per_s_per_gpu"] for r in report["rows"] if r["hardware_id"] == "H100-SXM"]
    example = planner.serve_model_plan("llama-3-70b", "H100-SXM", precision="fp8", tokens_per_day=1e10)
    assert min(h100) / 2 <= example.throughput_tokens_per_s_per_gpu <= max(h100) * 2
    prices = [p["usd_per_million_output_tokens"] for p in report["price_band"]["llama-3-70b"]["list_prices"]]
    prices += [p["usd_per_million_output_tokens"] for p in report["price_band"]["llama-3.3-70b"]["list_prices"]]
    assert min(prices) / 3 <= example.usd_per_million_output_tokens <= max(prices) * 3


def test_validate_serving_every_row_within_2x():
    """Every used row, the MoE row (Mixtral) included, is within 2x in-sample and held out."""
    report = planner.serving_validation_report()
    for r in report["rows"]:
        assert 0.5 <= r["ratio"] <= 2.0, r
        assert 0.5 <= r["held_out_ratio"] <= 2.0, r
    assert report["max_ratio"] <= 2.0 and report["held_out_max_ratio"] <= 2.0


def test_mixtral_dataset_lengths_from_mlperf_datasets_csv():
    """The three 5,000-sample subsets of the MLPerf Mixtral dataset: their output means (205.8656, 129.9604, 98.7026)
    average to the benchmark's published tokens_per_sample 144.84; the input mean uses the GSM8K sample's 662 tokens
    (5-shot prompt) and input = output for OpenOrca and MBXP."""
    lengths = reference.mlperf_dataset_lengths()["mixtral-8x7b"]
    assert lengths.samples == 15_000
    assert lengths.output_tokens == pytest.approx(144.84, abs=0.01)
    assert lengths.input_tokens == pytest.approx((205.8656 + 662 + 98.7026) / 3)
    row = next(r for r in reference.serving_measurements() if r.used and r.model_id == "mixtral-8x7b")
    assert (row.input_tokens, row.output_tokens) == (lengths.input_tokens, lengths.output_tokens)
    # rows that state their own lengths keep them
    llama = [r for r in reference.serving_measurements() if r.used and r.model_id == "llama-2-70b"]
    assert {(r.input_tokens, r.output_tokens) for r in llama} == {(293.1, 293.1)}


def test_longer_prompts_lower_predicted_mixtral_throughput():
    """Prefill FLOPs grow with the input: the 5-shot GSM8K prompts are why the Mixtral row is slower per output token
    than input = output would predict."""
    row = next(r for r in reference.serving_measurements() if r.used and r.model_id == "mixtral-8x7b")
    eff = planner.family_efficiency("hopper")
    short = predict_row(dataclasses.replace(row, input_tokens=row.output_tokens), eff)[0]
    assert predict_row(row, eff)[0] < short / 1.3


def test_decode_is_memory_bound_at_batch_one_and_compute_bound_when_full():
    arch = reference.model_architecture("llama-3-70b")
    curve = replica_curve(arch, reference.hardware("H200"), "fp8", "fp8", 1, 500, 200, 0.5, 2048)
    from ecosystem.planner.serving.roofline import bound_at

    assert bound_at(curve, 1) == "memory bandwidth"
    assert bound_at(curve, min(curve.max_fit_batch, 2048)) == "compute"
    # at batch 1 a step reads the weights once: 70.55 GB of fp8 at half the 4.8 TB/s (efficiency 0.5), plus math
    weights_s = 70.55e9 / (4.8e12 * 0.5)
    assert curve.step_s[0] == pytest.approx(weights_s, rel=0.05)
    plan = planner.serve_model_plan("llama-3-70b", "H100-SXM", gpus_per_replica=2)
    assert plan.batch_limit == "memory capacity"
    assert plan.memory_per_gpu_gb <= 80 * reference.default("serving_usable_memory_fraction") + 1e-9


def test_moe_compute_follows_active_parameters():
    mixtral = reference.model_architecture("mixtral-8x7b")
    assert mixtral.matmul_flops_per_token() == pytest.approx(2 * (12.88e9 - 32000 * 4096))
    dense_70b = planner.serve_model_plan("llama-3-70b", "H200", gpus_per_replica=1)
    moe_47b = planner.serve_model_plan("mixtral-8x7b", "H200", gpus_per_replica=1)
    assert moe_47b.throughput_tokens_per_s_per_gpu > 2 * dense_70b.throughput_tokens_per_s_per_gpu
    assert moe_47b.weights_gb == pytest.approx(46.7)  # every expert stays resident


@settings(max_examples=30, deadline=None)
@given(n_params=st.floats(1e8, 1e12), kv_bytes=st.sampled_from([0.5, 1.0, 2.0]))
def test_gqa_shape_kv_bytes_for_any_size(n_params, kv_bytes):
    arch = formulas.gqa_architecture_for_params(n_params)
    assert 1 <= arch.n_kv_head <= 8 and arch.n_kv_head <= arch.n_head
    assert arch.kv_bytes_per_token(kv_bytes) == 2 * arch.n_layer * arch.n_kv_head * 128 * kv_bytes
    assert arch.total_params == arch.active_params == n_params


@settings(max_examples=25, deadline=None)
@given(model_id=st.sampled_from(["llama-3-8b", "llama-3-70b", "mixtral-8x7b", "qwen2.5-72b"]),
       n_in=st.integers(32, 2048), n_out=st.integers(32, 1024), tpot_ms=st.floats(20, 400))
def test_latency_limit_is_met_or_refused(model_id, n_in, n_out, tpot_ms):
    try:
        plan = planner.serve_model_plan(model_id, "H200", input_tokens=n_in, output_tokens=n_out, max_tpot_ms=tpot_ms)
    except ValueError as error:
        assert str(error).startswith("max_tpot_ms: no batch of")
        return
    assert plan.tpot_s * 1e3 <= tpot_ms
    free = planner.serve_model_plan(model_id, "H200", input_tokens=n_in, output_tokens=n_out,
                                    gpus_per_replica=plan.gpus_per_replica)
    assert plan.batch <= free.batch
