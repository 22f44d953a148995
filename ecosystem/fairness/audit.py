"""Train the real small Transformer on crowd labels and audit it the way a fairness auditor would.

``audit(AuditSettings(...))``, ``run_audit(label_bias, label_noise, aggregation, ...)`` for short (and ``python -m
ecosystem audit``):

1. generates a templated sentiment corpus about two (or more) groups (:mod:`ecosystem.fairness.corpus`);
2. buys labels for the training sentences from a simulated labeller pool with the requested noise, bias against the
   target group and aggregation strategy, and prices them (:mod:`ecosystem.fairness.labelling`);
3. trains :class:`ecosystem.transformer.model.GPT` with a two-class head on those labels
   (:mod:`ecosystem.fairness.classifier`, imported only when an audit runs: this module does not import torch);
4. audits it on a clean held-out set (true labels): accuracy, selection rate, TPR and FPR by group with fairlearn's
   ``MetricFrame``; demographic-parity and equalised-odds differences with ``fairlearn.metrics``; the counterfactual
   flip rate (share of held-out sentences whose prediction changes when only the group term is swapped);
5. attaches bootstrap 95% intervals to every figure (:mod:`ecosystem.fairness.metrics`) and checks the 80% rule
   (ratio of selection rates >= 0.8) and a threshold on the demographic-parity difference.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ecosystem.fairness.corpus import GroupSpec, WordVocab, make_corpus
from ecosystem.fairness.labelling import LabelBatch, collect_labels
from ecosystem.fairness.metrics import bootstrap_intervals, fairness_metrics
from ecosystem.fairness.settings import DEFAULT_N_TRAIN, AuditSettings, Progress

FOUR_FIFTHS = 0.8


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


@dataclass(frozen=True)
class AuditArrays:
    """What the model said on each held-out sentence: the raw material of the replicated audit's intervals
    (:mod:`ecosystem.fairness.replicated` resamples these per replicate)."""

    y_true: np.ndarray
    y_pred: np.ndarray
    group: np.ndarray
    flipped: np.ndarray
    n_groups: int


def audit(settings: AuditSettings, progress: Progress | None = None) -> AuditResult:
    """Label, train, audit, as ``settings`` say. ``progress(fraction, message)`` is called as the run advances."""
    return audit_with_arrays(settings, progress)[0]


def audit_with_arrays(settings: AuditSettings, progress: Progress | None = None) -> tuple[AuditResult, AuditArrays]:
    """``audit``, also returning the per-sentence predictions (:class:`AuditArrays`)."""
    t_start = time.perf_counter()
    spec = settings.group_spec()
    seed, n_boot, dp_threshold = settings.seed, settings.n_boot, settings.dp_threshold
    aggregation = settings.aggregation
    from ecosystem.fairness.classifier import predict, torch_threads, train_classifier  # noqa: PLC0415 - torch

    report = progress or (lambda fraction, message: None)

    report(0.0, "generating corpus")
    train = make_corpus(settings.n_train, seed, spec, split=1)
    test = make_corpus(settings.n_test, seed, spec, split=2)
    vocab = WordVocab(spec)

    report(0.03, f"buying labels ({aggregation})")
    batch: LabelBatch = collect_labels(train.label, train.is_target, aggregation, settings.label_noise,
                                       settings.label_bias, seed, n_labellers=settings.n_labellers,
                                       gold_questions=settings.gold_questions,
                                       gold_max_errors=settings.gold_max_errors, n_groups=len(spec.names),
                                       target_index=spec.target_index)

    with torch_threads(settings.training.threads):
        model, train_info = train_classifier(train, batch.labels, vocab, settings.training, seed, report,
                                             (0.05, 0.9))
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
        config=settings.config(),
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
    arrays = AuditArrays(y_true=np.asarray(y_true, dtype=np.int64), y_pred=np.asarray(y_pred, dtype=np.int64),
                         group=np.asarray(test.group, dtype=np.int64), flipped=flipped, n_groups=k)
    return result, arrays


def run_audit(label_bias: float = 0.0, label_noise: float = 0.05, aggregation: str = "single", seed: int = 0,
              n_train: int = DEFAULT_N_TRAIN, groups: Mapping[str, Sequence[str]] | GroupSpec | None = None,
              progress: Progress | None = None, **options) -> AuditResult:
    """The audit in one call: ``AuditSettings(label_bias, label_noise, aggregation, seed, n_train, groups,
    **options)`` (``options``: any other field by name, e.g. ``n_test``, ``epochs``, ``n_boot``, ``dp_threshold``,
    ``target_group``, ``training``), then ``audit``. Raises ``ValueError`` naming the argument and the allowed range
    when an input is out of range."""
    settings = AuditSettings(label_bias=label_bias, label_noise=label_noise, aggregation=aggregation, seed=seed,
                             n_train=n_train, groups=groups, **options)
    return audit(settings, progress)
