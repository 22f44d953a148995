"""Train the real small Transformer on crowd labels and audit it the way a fairness auditor would.

``run_audit`` (and ``python -m ecosystem audit``):

1. generates a templated sentiment corpus about two (or more) groups (:mod:`ecosystem.fairness_corpus`);
2. buys labels for the training sentences from a simulated labeller pool with the requested noise, bias against the
   target group and aggregation strategy, and prices them (:mod:`ecosystem.labelling`);
3. trains :class:`ecosystem.model.GPT` with a two-class head on those labels;
4. audits it on a clean held-out set (true labels): accuracy, selection rate, TPR and FPR by group with fairlearn's
   ``MetricFrame``; demographic-parity and equalised-odds differences with ``fairlearn.metrics``; the counterfactual
   flip rate (share of held-out sentences whose prediction changes when only the group term is swapped);
5. attaches bootstrap 95% intervals to every figure (the held-out set resampled ``n_boot`` times, all resamples
   computed at once as a weight matrix) and checks the 80% rule (ratio of selection rates >= 0.8) and a threshold on
   the demographic-parity difference.

Intervals of between-group differences (DP, EO) and of the selection-rate ratio are the percentile intervals of the
signed pairwise differences (of rates, or of log rates for the ratio), folded at zero: a signed interval that straddles
0 becomes [0, max(|lo|, |hi|)]. This keeps the interval of an absolute difference honest when the difference is near
zero (the plain percentile interval of |d| can then exclude its own point estimate).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ecosystem.fairness_corpus import FairnessCorpus, GroupSpec, WordVocab, make_corpus, make_groups
from ecosystem.labelling import AGGREGATIONS, LabelBatch, check_aggregation, check_rate, collect_labels

Progress = Callable[[float, str], None]

DEFAULT_N_TRAIN = 1500
DEFAULT_N_TEST = 2000
DEFAULT_EPOCHS = 8
DEFAULT_DP_THRESHOLD = 0.1
DEFAULT_N_BOOT = 1000
FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class TrainSettings:
    """The small Transformer and its training schedule (AdamW, cosine learning-rate decay, cross-entropy)."""

    n_layer: int = 2
    n_head: int = 4
    d_model: int = 48
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    threads: int = 1  # tiny matmuls: one thread is as fast and does not fight other work for the cores


# --------------------------------------------------------------------------------------------------- validation

def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: must be an integer from {lo} to {hi}; got {value!r}") from None
        if not as_float.is_integer():
            raise ValueError(f"{name}: must be an integer from {lo} to {hi}; got {value!r}")
        value = int(as_float)
    if not (lo <= int(value) <= hi):
        raise ValueError(f"{name}: {value!r} is out of range; allowed: {lo} to {hi}")
    return int(value)


# --------------------------------------------------------------------------------------------------- bootstrap

def _resample_weights(n: int, n_boot: int, rng: np.random.Generator, chunk: int = 250):
    """Yield (k, n) matrices of bootstrap counts (each row: how often each item was drawn), ``n_boot`` rows in all."""
    done = 0
    while done < n_boot:
        k = min(chunk, n_boot - done)
        idx = rng.integers(0, n, (k, n)) + (np.arange(k) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=k * n).reshape(k, n).astype(np.float64)
        done += k


def _rates(W: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, group: np.ndarray, n_groups: int,
           flipped: np.ndarray) -> dict[str, np.ndarray]:
    """Every audited rate for each row of the weight matrix ``W`` (rows: resamples; columns: held-out items)."""
    correct = (y_true == y_pred).astype(np.float64)
    pred = y_pred.astype(np.float64)
    pos = (y_true == 1).astype(np.float64)
    neg = 1.0 - pos
    G = np.stack([(group == g).astype(np.float64) for g in range(n_groups)], axis=1)  # (n, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_g = W @ G
        out = {
            "accuracy": (W @ correct) / W.sum(axis=1),
            "flip_rate": (W @ flipped.astype(np.float64)) / W.sum(axis=1),
            "accuracy_by_group": (W @ (G * correct[:, None])) / n_g,
            "selection_rate_by_group": (W @ (G * pred[:, None])) / n_g,
            "tpr_by_group": (W @ (G * (pred * pos)[:, None])) / (W @ (G * pos[:, None])),
            "fpr_by_group": (W @ (G * (pred * neg)[:, None])) / (W @ (G * neg[:, None])),
        }
    return out


def _pairs(n_groups: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_groups) for j in range(i + 1, n_groups)]


def _pair_diffs(by_group: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    return np.stack([by_group[:, i] - by_group[:, j] for i, j in pairs], axis=1)


def _log_ratio_diffs(sel: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    logs = np.log(np.clip(sel, 1e-12, None))
    return _pair_diffs(logs, pairs)


def _percentile(samples: np.ndarray, level: float = 0.95) -> np.ndarray:
    a = (1.0 - level) / 2.0
    return np.nanquantile(samples, [a, 1.0 - a], axis=0)


def _folded_max_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Interval for max_p |d_p| from the percentile intervals of the signed differences d_p (columns), folded at 0."""
    lo_hi = _percentile(diffs, level)  # (2, P)
    lows, highs = [], []
    for lo, hi in lo_hi.T:
        if lo <= 0.0 <= hi:
            lows.append(0.0)
            highs.append(max(abs(lo), abs(hi)))
        else:
            lows.append(min(abs(lo), abs(hi)))
            highs.append(max(abs(lo), abs(hi)))
    return float(max(lows)), float(max(highs))


def bootstrap_intervals(y_true: Sequence[int], y_pred: Sequence[int], group: Sequence[int], n_groups: int,
                        flipped: Sequence[bool] | None = None, n_boot: int = DEFAULT_N_BOOT, seed: int = 0,
                        level: float = 0.95) -> dict:
    """Bootstrap intervals of every audited figure (the held-out set resampled ``n_boot`` times).

    Returns a dict with, for ``accuracy`` and ``counterfactual_flip_rate``, ``[lo, hi]``; for the ``*_by_group`` rates,
    ``(2, n_groups)`` arrays; and ``[lo, hi]`` for ``demographic_parity_difference``, ``demographic_parity_ratio`` and
    ``equalized_odds_difference``. Also returns ``point``: the same rates on the held-out set itself (weights of 1)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    flipped = np.zeros(len(y_true), dtype=bool) if flipped is None else np.asarray(flipped, dtype=bool)
    n = len(y_true)
    rng = np.random.default_rng([seed, 0xB007])
    chunks = [_rates(W, y_true, y_pred, group, n_groups, flipped) for W in _resample_weights(n, n_boot, rng)]
    boot = {k: np.concatenate([c[k] for c in chunks], axis=0) for k in chunks[0]}
    point = _rates(np.ones((1, n)), y_true, y_pred, group, n_groups, flipped)
    pairs = _pairs(n_groups)
    out = {
        "accuracy": _percentile(boot["accuracy"], level).tolist(),
        "counterfactual_flip_rate": _percentile(boot["flip_rate"], level).tolist(),
    }
    for key in ("accuracy_by_group", "selection_rate_by_group", "tpr_by_group", "fpr_by_group"):
        out[key] = _percentile(boot[key], level)
    out["demographic_parity_difference"] = list(_folded_max_interval(
        _pair_diffs(boot["selection_rate_by_group"], pairs), level))
    lo, hi = _folded_max_interval(_log_ratio_diffs(boot["selection_rate_by_group"], pairs), level)
    out["demographic_parity_ratio"] = [math.exp(-hi), math.exp(-lo)]
    eo = np.concatenate([_pair_diffs(boot["tpr_by_group"], pairs), _pair_diffs(boot["fpr_by_group"], pairs)], axis=1)
    out["equalized_odds_difference"] = list(_folded_max_interval(eo, level))
    out["point"] = {k: v[0] for k, v in point.items()}
    out["n_boot"] = int(n_boot)
    return out


# --------------------------------------------------------------------------------------------------- fairlearn

def fairness_metrics(y_true: Sequence[int], y_pred: Sequence[int], sensitive: Sequence[str]) -> dict:
    """Point estimates with fairlearn: MetricFrame by group, DP difference and ratio, equalised-odds difference."""
    from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                                   equalized_odds_difference, false_positive_rate, selection_rate,
                                   true_positive_rate)
    from sklearn.metrics import accuracy_score

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    sensitive = np.asarray(sensitive)
    frame = MetricFrame(
        metrics={"accuracy": accuracy_score, "selection_rate": selection_rate,
                 "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    by = frame.by_group
    return {
        "accuracy": float(frame.overall["accuracy"]),
        "accuracy_by_group": {str(g): float(v) for g, v in by["accuracy"].items()},
        "selection_rate_by_group": {str(g): float(v) for g, v in by["selection_rate"].items()},
        "tpr_by_group": {str(g): float(v) for g, v in by["tpr"].items()},
        "fpr_by_group": {str(g): float(v) for g, v in by["fpr"].items()},
        "demographic_parity_difference": float(demographic_parity_difference(
            y_true, y_pred, sensitive_features=sensitive)),
        "demographic_parity_ratio": float(demographic_parity_ratio(y_true, y_pred, sensitive_features=sensitive)),
        "equalized_odds_difference": float(equalized_odds_difference(y_true, y_pred, sensitive_features=sensitive)),
    }


# --------------------------------------------------------------------------------------------------- training

@contextmanager
def _torch_threads(n: int):
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_classifier(corpus: FairnessCorpus, labels: np.ndarray, vocab: WordVocab, settings: TrainSettings,
                     seed: int = 0, progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0)):
    """Train ``GPT(n_classes=2)`` on the corpus with the given labels; returns (model, info dict)."""
    import torch
    from torch.nn import functional as F

    from ecosystem.model import GPT, GPTConfig

    ids, lengths = vocab.encode(corpus.texts())
    X = torch.from_numpy(ids)
    L = torch.from_numpy(lengths)
    Y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    n = X.shape[0]
    cfg = GPTConfig(vocab_size=len(vocab), n_layer=settings.n_layer, n_head=settings.n_head,
                    d_model=settings.d_model, n_ctx=max(int(X.shape[1]), 24), n_classes=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = (n + settings.batch_size - 1) // settings.batch_size
    total = settings.epochs * steps_per_epoch
    step = 0
    losses = []
    t0 = time.perf_counter()
    model.train()
    for epoch in range(settings.epochs):
        perm = torch.randperm(n, generator=gen)
        epoch_loss = 0.0
        for start in range(0, n, settings.batch_size):
            batch = perm[start:start + settings.batch_size]
            for group in opt.param_groups:
                group["lr"] = settings.lr * 0.5 * (1.0 + math.cos(math.pi * step / total))
            loss = F.cross_entropy(model.classify(X[batch], L[batch]), Y[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            epoch_loss += loss.item() * len(batch)
            step += 1
        losses.append(epoch_loss / n)
        if progress is not None:
            frac = span[0] + (span[1] - span[0]) * (epoch + 1) / settings.epochs
            progress(frac, f"training epoch {epoch + 1}/{settings.epochs}, loss {losses[-1]:.3f}")
    model.eval()
    info = {"n_params": int(model.n_params()), "epochs": settings.epochs, "batch_size": settings.batch_size,
            "lr": settings.lr, "n_layer": settings.n_layer, "n_head": settings.n_head, "d_model": settings.d_model,
            "n_ctx": cfg.n_ctx, "vocab_size": cfg.vocab_size, "train_loss_by_epoch": [round(x, 5) for x in losses],
            "train_seconds": round(time.perf_counter() - t0, 3), "optimizer": "AdamW, cosine decay"}
    return model, info


def predict(model, vocab: WordVocab, corpus: FairnessCorpus, batch: int = 1024) -> np.ndarray:
    import torch

    ids, lengths = vocab.encode(corpus.texts())
    out = []
    with torch.no_grad():
        for s in range(0, len(ids), batch):
            logits = model.classify(torch.from_numpy(ids[s:s + batch]), torch.from_numpy(lengths[s:s + batch]))
            out.append(logits.argmax(dim=1).numpy())
    return np.concatenate(out).astype(np.int64)


# --------------------------------------------------------------------------------------------------- result

@dataclass
class AuditResult:
    """Everything the audit measured; ``to_dict()`` is the JSON the CLI prints and the report reads."""

    config: dict
    groups: list[str]
    target_group: str
    accuracy: float
    accuracy_ci95: list[float]
    accuracy_by_group: dict[str, float]
    accuracy_by_group_ci95: dict[str, list[float]]
    selection_rate_by_group: dict[str, float]
    selection_rate_by_group_ci95: dict[str, list[float]]
    tpr_by_group: dict[str, float]
    tpr_by_group_ci95: dict[str, list[float]]
    fpr_by_group: dict[str, float]
    fpr_by_group_ci95: dict[str, list[float]]
    demographic_parity_difference: float
    demographic_parity_difference_ci95: list[float]
    demographic_parity_ratio: float
    demographic_parity_ratio_ci95: list[float]
    equalized_odds_difference: float
    equalized_odds_difference_ci95: list[float]
    counterfactual_flip_rate: float
    counterfactual_flip_rate_ci95: list[float]
    flips_against_target_share: float
    label_cost_usd: float
    label_cost_usd_per_example: float
    label_price_usd_per_label: float
    n_labels_paid: int
    n_gold_answers: int
    n_labellers: int
    labellers_excluded: int
    label_quality: dict
    passes_80_rule: bool
    passes_threshold: bool
    dp_threshold: float
    training: dict
    test_set: dict
    flipped_examples: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping) -> "AuditResult":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


# --------------------------------------------------------------------------------------------------- run

def run_audit(label_bias: float = 0.0, label_noise: float = 0.05, aggregation: str = "single", seed: int = 0,
              n_train: int = DEFAULT_N_TRAIN, groups: Mapping[str, Sequence[str]] | GroupSpec | None = None,
              progress: Progress | None = None, *, n_test: int = DEFAULT_N_TEST, epochs: int = DEFAULT_EPOCHS,
              dp_threshold: float = DEFAULT_DP_THRESHOLD, n_boot: int = DEFAULT_N_BOOT,
              target_group: str | None = None, n_labellers: int = 50, gold_questions: int = 12,
              gold_max_errors: int = 1, settings: TrainSettings | None = None) -> AuditResult:
    """Label, train, audit. ``progress(fraction, message)`` is called as the run advances.

    ``label_bias`` in [0, 1]: mean probability that a labeller turns a positive sentence about the target group
    negative. ``label_noise`` in [0, 0.5]: mean probability of a wrong label on any sentence. ``aggregation``: one of
    single, majority3, gold (see :mod:`ecosystem.labelling`). Raises ``ValueError`` naming the argument and the
    allowed range when an input is out of range."""
    t_start = time.perf_counter()
    label_bias = check_rate("label_bias", label_bias, 0.0, 1.0)
    label_noise = check_rate("label_noise", label_noise, 0.0, 0.5)
    check_aggregation(aggregation)
    seed = _check_int("seed", seed, 0, 2**31 - 1)
    n_train = _check_int("n_train", n_train, 100, 200_000)
    n_test = _check_int("n_test", n_test, 100, 200_000)
    epochs = _check_int("epochs", epochs, 1, 200)
    n_boot = _check_int("n_boot", n_boot, 50, 100_000)
    dp_threshold = check_rate("dp_threshold", dp_threshold, 0.0, 1.0)
    n_labellers = _check_int("n_labellers", n_labellers, 3, 100_000)
    gold_questions = _check_int("gold_questions", gold_questions, 1, 1000)
    gold_max_errors = _check_int("gold_max_errors", gold_max_errors, 0, gold_questions)
    spec = groups if isinstance(groups, GroupSpec) else make_groups(groups, target_group)
    settings = settings or TrainSettings()
    settings = TrainSettings(**{**asdict(settings), "epochs": epochs})
    report = progress or (lambda fraction, message: None)

    report(0.0, "generating corpus")
    train = make_corpus(n_train, seed, spec, split=1)
    test = make_corpus(n_test, seed, spec, split=2)
    vocab = WordVocab(spec)

    report(0.03, f"buying labels ({aggregation})")
    batch: LabelBatch = collect_labels(train.label, train.is_target, aggregation, label_noise, label_bias, seed,
                                       n_labellers=n_labellers, gold_questions=gold_questions,
                                       gold_max_errors=gold_max_errors, n_groups=len(spec.names),
                                       target_index=spec.target_index)

    with _torch_threads(settings.threads):
        model, train_info = train_classifier(train, batch.labels, vocab, settings, seed, report, (0.05, 0.9))
        report(0.9, "auditing on the clean held-out set")
        y_pred = predict(model, vocab, test)
        k = len(spec.names)
        flipped = np.zeros(len(test), dtype=bool)
        twin_preds = {}
        for offset in range(1, k):
            to = (test.group + offset) % k
            tp = predict(model, vocab, test.twin(to))
            twin_preds[offset] = (to, tp)
            flipped |= tp != y_pred

    y_true = test.label
    metrics = fairness_metrics(y_true, y_pred, test.group_names)
    report(0.95, f"bootstrap intervals ({n_boot} resamples)")
    ci = bootstrap_intervals(y_true, y_pred, test.group, k, flipped, n_boot=n_boot, seed=seed)

    # Direction of the flips: share in which the version about the target group is the negative one.
    own_is_target = test.group == spec.target_index
    against = involving = 0
    for to, tp in twin_preds.values():
        diff = tp != y_pred
        twin_is_target = to == spec.target_index
        against += int(np.sum(diff & own_is_target & (y_pred == 0)) + np.sum(diff & twin_is_target & (tp == 0)))
        involving += int(np.sum(diff & (own_is_target | twin_is_target)))
    against_share = against / involving if involving else 0.0

    shown = np.flatnonzero(flipped)[:6]
    to, tp = twin_preds[1]
    texts = test.subset(shown).texts()
    twin_texts = test.twin(to).subset(shown).texts()
    examples = [{"text": texts[n], "prediction": int(y_pred[i]), "twin_text": twin_texts[n],
                 "twin_prediction": int(tp[i]), "true_label": int(y_true[i])} for n, i in enumerate(shown)]

    names = list(spec.names)

    def by_group_ci(key: str) -> dict[str, list[float]]:
        return {names[g]: [float(ci[key][0, g]), float(ci[key][1, g])] for g in range(k)}

    dp_ratio = metrics["demographic_parity_ratio"]
    result = AuditResult(
        config={"label_bias": label_bias, "label_noise": label_noise, "aggregation": aggregation, "seed": seed,
                "n_train": n_train, "n_test": n_test, "epochs": epochs, "dp_threshold": dp_threshold,
                "n_boot": n_boot, "n_labellers": n_labellers, "gold_questions": gold_questions,
                "gold_max_errors": gold_max_errors, **spec.to_dict()},
        groups=names, target_group=spec.target,
        accuracy=metrics["accuracy"], accuracy_ci95=ci["accuracy"],
        accuracy_by_group=metrics["accuracy_by_group"], accuracy_by_group_ci95=by_group_ci("accuracy_by_group"),
        selection_rate_by_group=metrics["selection_rate_by_group"],
        selection_rate_by_group_ci95=by_group_ci("selection_rate_by_group"),
        tpr_by_group=metrics["tpr_by_group"], tpr_by_group_ci95=by_group_ci("tpr_by_group"),
        fpr_by_group=metrics["fpr_by_group"], fpr_by_group_ci95=by_group_ci("fpr_by_group"),
        demographic_parity_difference=metrics["demographic_parity_difference"],
        demographic_parity_difference_ci95=ci["demographic_parity_difference"],
        demographic_parity_ratio=dp_ratio, demographic_parity_ratio_ci95=ci["demographic_parity_ratio"],
        equalized_odds_difference=metrics["equalized_odds_difference"],
        equalized_odds_difference_ci95=ci["equalized_odds_difference"],
        counterfactual_flip_rate=float(flipped.mean()), counterfactual_flip_rate_ci95=ci["counterfactual_flip_rate"],
        flips_against_target_share=float(against_share),
        label_cost_usd=batch.label_cost_usd, label_cost_usd_per_example=batch.label_cost_usd_per_example,
        label_price_usd_per_label=batch.price_usd_per_label, n_labels_paid=batch.n_labels_paid,
        n_gold_answers=batch.n_gold_answers, n_labellers=batch.n_labellers, labellers_excluded=batch.n_excluded,
        label_quality=batch.details,
        passes_80_rule=bool(dp_ratio >= FOUR_FIFTHS),
        passes_threshold=bool(metrics["demographic_parity_difference"] <= dp_threshold),
        dp_threshold=dp_threshold, training=train_info,
        test_set={"n": int(len(test)), "positive_rate_by_group": {
            names[g]: float(y_true[test.group == g].mean()) for g in range(k)},
            "n_by_group": {names[g]: int(np.sum(test.group == g)) for g in range(k)}},
        flipped_examples=examples,
    )
    result.seconds = round(time.perf_counter() - t_start, 3)
    report(1.0, f"done in {result.seconds:.1f} s")
    return result


# --------------------------------------------------------------------------------------------------- CLI

def _parse_group(text: str) -> tuple[str, list[str]]:
    if "=" not in text:
        raise ValueError(f"--group: {text!r} is not allowed; write NAME=term1,term2 (e.g. women=she,woman)")
    name, terms = text.split("=", 1)
    return name.strip(), [t.strip() for t in terms.split(",") if t.strip()]


def _one_line_error(message: str) -> None:
    """argparse's errors as one line (no usage block), like the audit's own argument errors."""
    print(f"audit: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.error = _one_line_error  # type: ignore[method-assign]
    parser.add_argument("--label-bias", type=float, default=0.0, metavar="B",
                        help="mean probability a labeller turns a positive sentence about the target group "
                             "negative, 0 to 1 (default 0)")
    parser.add_argument("--label-noise", type=float, default=0.05, metavar="E",
                        help="mean probability of a wrong label on any sentence, 0 to 0.5 (default 0.05)")
    parser.add_argument("--aggregation", default="single", metavar="|".join(AGGREGATIONS),
                        help="single label, majority of three, or gold-question screening (default single)")
    parser.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default 0)")
    parser.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN, help="training sentences (default %(default)s)")
    parser.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="held-out sentences (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="training epochs (default %(default)s)")
    parser.add_argument("--dp-threshold", type=float, default=DEFAULT_DP_THRESHOLD,
                        help="largest demographic-parity difference that passes, 0 to 1 (default %(default)s)")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT,
                        help="bootstrap resamples for the 95%% intervals (default %(default)s)")
    parser.add_argument("--group", action="append", default=None, metavar="NAME=TERM,TERM",
                        help="a group and its person terms (repeat for each group; default group_a, group_b)")
    parser.add_argument("--target-group", default=None, help="the group the biased labellers are biased against "
                                                              "(default: the second group)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    parser.add_argument("--report-md", metavar="PATH", default=None, help="write the model-card report (Markdown)")
    parser.add_argument("--report-html", metavar="PATH", default=None, help="write the model-card report (HTML)")


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"audit: [{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def summary_text(result: AuditResult) -> str:
    def ci(v: list) -> str:
        return f"[{v[0]:.3f}, {v[1]:.3f}]"

    c = result.config
    lines = [f"bias audit: label_bias={c['label_bias']:g} label_noise={c['label_noise']:g} "
             f"aggregation={c['aggregation']} seed={c['seed']} (target group: {result.target_group})",
             f"  accuracy                       {result.accuracy:.3f} {ci(result.accuracy_ci95)}"]
    for g in result.groups:
        lines.append(f"  {g:<14} acc {result.accuracy_by_group[g]:.3f}  selection {result.selection_rate_by_group[g]:.3f}"
                     f"  TPR {result.tpr_by_group[g]:.3f}  FPR {result.fpr_by_group[g]:.3f}")
    lines += [
        f"  demographic parity difference  {result.demographic_parity_difference:.3f} "
        f"{ci(result.demographic_parity_difference_ci95)}",
        f"  selection-rate ratio           {result.demographic_parity_ratio:.3f} "
        f"{ci(result.demographic_parity_ratio_ci95)}  80% rule: {'pass' if result.passes_80_rule else 'FAIL'}",
        f"  equalised-odds difference      {result.equalized_odds_difference:.3f} "
        f"{ci(result.equalized_odds_difference_ci95)}",
        f"  counterfactual flip rate       {result.counterfactual_flip_rate:.3f} "
        f"{ci(result.counterfactual_flip_rate_ci95)}",
        f"  DP threshold {result.dp_threshold:g}: {'pass' if result.passes_threshold else 'FAIL'}",
        f"  labels: {result.n_labels_paid} + {result.n_gold_answers} gold answers, USD {result.label_cost_usd:.2f} "
        f"({result.label_cost_usd_per_example:.4f} per example); {result.labellers_excluded} of "
        f"{result.n_labellers} labellers excluded",
        f"  model: {result.training['n_params']:,} parameters, {result.training['epochs']} epochs, "
        f"{result.training['train_seconds']:.1f} s training; whole audit {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    try:
        groups = None
        if args.group:
            groups = dict(_parse_group(g) for g in args.group)
        result = run_audit(label_bias=args.label_bias, label_noise=args.label_noise, aggregation=args.aggregation,
                           seed=args.seed, n_train=args.n_train, groups=groups, progress=_stderr_progress,
                           n_test=args.n_test, epochs=args.epochs, dp_threshold=args.dp_threshold,
                           n_boot=args.n_boot, target_group=args.target_group)
    except ValueError as exc:
        message = str(exc)
        for api, cli in (("label_bias", "--label-bias"), ("label_noise", "--label-noise"), ("n_train", "--n-train"),
                         ("n_test", "--n-test"), ("n_boot", "--n-boot"), ("dp_threshold", "--dp-threshold"),
                         ("aggregation", "--aggregation"), ("target_group", "--target-group"), ("groups[", "--group ["),
                         ("seed", "--seed"), ("epochs", "--epochs")):
            if message.startswith(api):
                message = cli + message[len(api):]
                break
        print(f"audit: error: {message}", file=sys.stderr)
        return 2
    if args.report_md or args.report_html:
        from ecosystem.audit_report import report_html, report_markdown

        for path, render in ((args.report_md, report_markdown), (args.report_html, report_html)):
            if path:
                try:
                    with open(path, "w", encoding="utf-8") as handle:
                        handle.write(render(result))
                except OSError as exc:
                    print(f"audit: error: cannot write report to {path!r}: {exc.strerror}", file=sys.stderr)
                    return 2
                print(f"audit: wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(summary_text(result))
    return 0
