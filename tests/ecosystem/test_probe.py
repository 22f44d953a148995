"""The probe: counted FLOPs and measured memory against the formulas in ``ecosystem.formulas``, a trained model
against the corpus's exact entropy, int8 quantisation, the attention export, the profile and the
``python -m ecosystem probe`` command line. No timings asserted.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ecosystem.strategies import configs

from ecosystem import formulas
from ecosystem.probe import attention, memory, optimisation, plans, run, scaling, throughput
from ecosystem.probe import profile as probe_profile
from ecosystem.reference import REPO_ROOT as REPO
from ecosystem.transformer import corpus
from ecosystem.transformer import train as lm_train
from ecosystem.transformer.model import GPT, GPTConfig

VOCAB = corpus.WordTokenizer().vocab_size


pytestmark = pytest.mark.usefixtures("one_thread")


# ---- FLOPs ------------------------------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(cfg=configs(), batch=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_counted_flops_agree_with_the_formulas_within_2_percent(cfg, batch, seed):
    torch.manual_seed(seed)
    model = GPT(cfg)
    opt = lm_train.make_optimizer(model)
    x = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx))
    y = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx))
    tokens = batch * cfg.n_ctx
    train = throughput.count_flops(model, x, y, opt) / tokens
    infer = throughput.count_flops(model, x) / tokens
    train_formula = formulas.shape_flops_per_token(cfg.shape, training=True)
    infer_formula = formulas.shape_flops_per_token(cfg.shape, training=False)
    assert train == pytest.approx(train_formula, rel=0.02)
    assert infer == pytest.approx(infer_formula, rel=0.02)
    assert train == pytest.approx(3.0 * infer, rel=0.02)  # backward = 2 x forward
    # the check can tell: where the attention term is > 2% of the total, 6N alone misses the count
    n = formulas.matmul_params(cfg.shape)
    if 12 * cfg.n_layer * cfg.n_ctx * cfg.d_model > 0.03 * train_formula:
        assert abs(train / (6.0 * n) - 1.0) > 0.02


def test_counted_flops_at_the_default_probe_sizes_match():
    for size in plans.PLANS[("cpu", "full")].sizes[:2]:
        cfg = size.config(VOCAB)
        model = GPT(cfg)
        x = torch.randint(VOCAB, (1, cfg.n_ctx))
        counted = throughput.count_flops(model, x, x, lm_train.make_optimizer(model)) / cfg.n_ctx
        assert counted == pytest.approx(formulas.shape_flops_per_token(cfg.shape), rel=0.02)


# ---- memory -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_layer,d_model,n_head,n_ctx,batch,tied",
                         [(1, 32, 2, 16, 4, False), (2, 64, 4, 32, 8, True), (2, 48, 1, 64, 2, False)])
def test_measured_training_peak_memory_is_within_25_percent_of_the_analytic_sum(n_layer, d_model, n_head, n_ctx,
                                                                                 batch, tied):
    cfg = GPTConfig(vocab_size=VOCAB, n_layer=n_layer, n_head=n_head, d_model=d_model, n_ctx=n_ctx, tied_head=tied)
    mem = memory.measure_training_memory(cfg, batch)
    # the profiler saw every allocation: what is still alive is exactly weights, grads, AdamW state, buffers, batch
    assert mem["final_live_bytes"] == mem["accounted_live_bytes"]
    parts = mem["analytic_breakdown_bytes"]
    assert parts["weights"] == 4 * sum(p.numel() for p in GPT(cfg).parameters())
    assert parts["total"] == pytest.approx(formulas.training_peak_memory_bytes(cfg.shape, batch))
    assert 0.75 <= mem["peak_bytes"] / parts["total"] <= 1.25
    # activations are a real share of the peak here, so the agreement is not just the weights agreeing
    assert parts["activations"] > 0.3 * parts["total"]


def test_memory_formula_rejects_an_unknown_precision():
    with pytest.raises(ValueError, match="precision.*fp64.*fp32"):
        formulas.training_activation_bytes(GPTConfig().shape, 1, precision="fp64")


@pytest.fixture(scope="module")
def trained():
    """A small model trained on the grammar for a few seconds, with its held-out evaluation set."""
    train = corpus.generate(60_000, seed=0)
    heldout = corpus.generate(8_000, seed=1, surprisal=True)
    cfg = GPTConfig(vocab_size=VOCAB, n_layer=2, n_head=4, d_model=64, n_ctx=32)
    model = lm_train.train_lm(cfg, train, steps=150, batch=16, seed=0)
    starts, true_surprisal = scaling.eval_set(heldout, cfg.n_ctx, 48)
    return model, train, heldout, starts, true_surprisal


def test_a_trained_model_cannot_beat_the_true_entropy_but_learns_the_grammar(trained):
    model, train, heldout, starts, true_surprisal = trained
    losses = lm_train.evaluate(model, heldout, starts)
    assert len(losses) == len(true_surprisal)
    diffs = [a - b for a, b in zip(losses, true_surprisal)]
    mean = sum(diffs) / len(diffs)
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1) / len(diffs))
    assert mean > -3 * se  # no model beats the true process beyond noise
    assert sum(losses) / len(losses) < scaling.unigram_entropy(train) - 0.3  # and this one learned structure


def test_int8_quantised_model_stays_within_the_stated_quality_bound(trained):
    model, _, heldout, starts, _ = trained
    q = optimisation.probe_quantization(model, heldout, starts, reps=1)
    assert abs(q["loss_delta"]) <= 0.02  # stated bound: 0.02 nats/token (about 1% of the loss)
    assert q["size_ratio"] < 0.6  # int8 weights: well under the fp32 bytes
    # the losses are those of this model and of its int8 copy, evaluated here independently of the probe
    model = model.cpu().float().eval()
    assert q["loss_fp32_nats"] == pytest.approx(sum(fp32 := lm_train.evaluate(model, heldout, starts)) / len(fp32),
                                                rel=1e-6)
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    losses = lm_train.evaluate(int8, heldout, starts)
    assert q["loss_int8_nats"] == pytest.approx(sum(losses) / len(losses), rel=1e-6)
    assert q["loss_int8_nats"] != q["loss_fp32_nats"]  # quantisation did change the weights


# ---- attention, profile, scaling fit ------------------------------------------------------------------------------


def test_attention_for_sentence_uses_the_shipped_checkpoint_and_is_a_causal_distribution():
    assert attention.ATTENTION_CHECKPOINT.stat().st_size < 2 * 1024 * 1024
    att = attention.attention_for_sentence()
    assert att["source"].endswith("attention_model.pt")
    t = len(att["tokens"])
    assert att["tokens"][0] == corpus.BOS and t == len(attention.DEFAULT_SENTENCE.split()) + 1
    assert len(att["layers"]) == att["n_layer"] and all(len(layer) == att["n_head"] for layer in att["layers"])
    for layer in att["layers"]:
        for head in layer:
            assert len(head) == t
            for q, row in enumerate(head):
                assert sum(row) == pytest.approx(1.0, abs=1e-3)
                assert all(v == 0.0 for v in row[q + 1:])
    json.dumps(att)
    with pytest.raises(ValueError, match="unknown word 'flies'"):
        attention.attention_for_sentence("the dog flies")


def test_attention_for_sentence_trains_a_model_when_the_checkpoint_is_missing(tmp_path):
    att = attention.attention_for_sentence("alice sees the cats", checkpoint=tmp_path / "none.pt")
    assert att["source"].startswith("trained now")
    assert att["tokens"] == [corpus.BOS, "alice", "sees", "the", "cats"]
    assert len(att["layers"][0][0]) == 5


def test_scaling_fit_recovers_a_known_exponent():
    points = [(n, 1.5 + 7.0 / n**0.3) for n in (1e4, 1e5, 1e6, 1e7)]
    fit = scaling.fit_scaling(points, 1.5)
    assert fit["alpha"] == pytest.approx(0.3) and fit["A"] == pytest.approx(7.0) and fit["r2"] == pytest.approx(1.0)
    assert scaling.fit_scaling([(1e4, 1.0), (1e5, 1.2)], 1.5)["alpha"] is None


def test_shipped_profile_is_consistent_with_the_formulas():
    prof = probe_profile.load_profile()
    assert len(prof["sizes"]) >= 4 and prof["device"] == "cpu" and prof["mode"] == "full"
    for row in prof["sizes"]:
        shape = formulas.TransformerShape(row["n_layer"], row["d_model"], row["n_head"], row["n_ctx"],
                                         row["vocab_size"], row["d_ff"])
        assert row["train_flops_per_token_analytic"] == pytest.approx(formulas.shape_flops_per_token(shape))
        assert row["train_flops_per_token_counted"] == pytest.approx(row["train_flops_per_token_analytic"], rel=0.02)
        assert row["infer_flops_per_token_counted"] == pytest.approx(row["infer_flops_per_token_analytic"], rel=0.02)
        assert 0.75 <= row["peak_memory_bytes_measured"] / row["peak_memory_bytes_analytic"] <= 1.25
        assert row["mfu"] == pytest.approx(row["achieved_flops_per_s"] / prof["gemm_peak_flops_per_s"])
    assert prof["kv_cache"]["bytes_measured"] == prof["kv_cache"]["bytes_analytic"]


def test_load_profile_names_a_missing_or_broken_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*nope.json"):
        probe_profile.load_profile(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        probe_profile.load_profile(bad)


def test_run_probe_rejects_an_unknown_device():
    with pytest.raises(ValueError, match="device: 'tpu' is not allowed; allowed: cpu, cuda"):
        run.run_probe(device="tpu")


# ---- command line -----------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "ecosystem", "probe", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)


def test_cli_json_prints_one_object_with_every_key(tmp_path):
    out = tmp_path / "profile.json"
    res = _cli("--test-mode", "--json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    prof = json.loads(res.stdout)
    assert json.loads(out.read_text()) == prof
    assert "[probe" in res.stderr  # progress goes to stderr, not into the JSON
    size_keys = {"n_params", "n_layer", "d_model", "d_ff", "n_ctx", "vocab_size", "train_flops_per_token_counted",
                 "train_flops_per_token_analytic", "infer_flops_per_token_counted", "infer_flops_per_token_analytic",
                 "tokens_per_s_train", "achieved_flops_per_s", "mfu", "peak_memory_bytes_measured",
                 "peak_memory_bytes_analytic"}
    assert len(prof["sizes"]) >= 4
    for row in prof["sizes"]:
        assert size_keys <= set(row)
        assert row["train_flops_ratio"] == pytest.approx(1.0, abs=0.02)
    top = {"gemm_peak_flops_per_s", "kv_cache", "quantization", "distillation", "scaling_fit", "attention",
           "machine", "corpus"}
    assert top <= set(prof)
    assert {"speedup", "bytes_measured", "bytes_analytic", "identical_greedy_tokens"} <= set(prof["kv_cache"])
    assert prof["kv_cache"]["new_tokens"] == 256 and prof["kv_cache"]["n_ctx"] >= 320
    assert {"int8_speedup", "size_ratio", "loss_delta"} <= set(prof["quantization"])
    assert {"speedup", "size_ratio", "loss_delta"} <= set(prof["distillation"])
    assert {"alpha", "chinchilla_alpha_hoffmann", "caveat"} <= set(prof["scaling_fit"])
    assert {"cpu_model", "torch_threads", "torch_version", "device"} <= set(prof["machine"])
    assert prof["attention"]["tokens"][0] == corpus.BOS


def test_cli_bad_arguments_get_one_clear_line(tmp_path, capsys):
    from ecosystem.__main__ import main as cli

    assert cli(["probe", "--out", str(tmp_path / "missing" / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "does not exist" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_info:
        cli(["probe", "--device", "tpu"])
    assert exit_info.value.code == 2 and "invalid choice: 'tpu'" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert cli(["probe", "--device", "cuda", "--test-mode"]) == 2
        err = capsys.readouterr().err
        assert "sees no CUDA GPU" in err and "allowed here: cpu" in err
