"""A simulated pool of crowd labellers: noise, bias against one group, aggregation, and what the labels cost.

Labeller model (one pool of ``n_labellers`` people; labeller ``j`` has an error rate ``e_j`` and a bias ``b_j``):

* On a sentence whose true label is positive and which is about the *target group*, labeller ``j`` answers
  "negative" because of bias with probability ``b_j``; otherwise (probability ``1 - b_j``) they answer as on any other
  sentence.
* On any sentence, a labeller answering without bias gives the wrong label with probability ``e_j`` (symmetric noise).

So a single label on a positive target-group sentence is negative with probability ``b_j + (1 - b_j) e_j``; on every
other sentence it is wrong with probability ``e_j``. The pool's ``e_j`` and ``b_j`` are spread around their means
``label_noise`` and ``label_bias`` (deterministic Beta-distribution quantiles, shuffled by the seed): some labellers are
much more biased than others, as in real pools, which is what makes gold-question screening able to help. With
``spread=False`` every labeller has exactly the means.

Aggregation strategies (``AGGREGATIONS``):

* ``single``: one label per item from one labeller drawn at random; cost: 1 label per item.
* ``majority3``: three different labellers per item, majority vote; cost: 3 labels per item. For independent labellers
  with error ``p`` the majority is wrong with probability ``3 p^2 - 2 p^3``.
* ``gold``: gold-question screening. Every labeller first answers a quiz of ``gold_questions`` items with known answers,
  stratified over group x true label (so the quiz contains positive sentences about the target group); a labeller who
  gets more than ``gold_max_errors`` wrong is excluded. Each item then gets one label from a surviving labeller.
  Cost: 1 label per item plus every quiz answer (``n_labellers x gold_questions``), paid whether the labeller passes or
  not. If fewer than 3 labellers pass, the 3 with the fewest quiz errors are kept (the run still completes; the
  result reports how many were excluded).

The price of one label from one labeller is ``label_price_usd.crowd_classification`` in ``data/reference/defaults.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import betaincinv

from ecosystem.checks import check_choice, check_int, check_number
from ecosystem.reference import default

AGGREGATIONS: tuple[str, ...] = ("single", "majority3", "gold")
PRICE_KEY = "label_price_usd.crowd_classification"
MAX_LABELLERS = 100_000
MAX_GOLD_QUESTIONS = 1000

# Concentration (alpha + beta) of the Beta distributions the pool's error rates and biases are spread over. Bias is
# very uneven (concentration 2: most labellers mildly biased, a few strongly); accuracy less so.
NOISE_CONCENTRATION = 20.0
BIAS_CONCENTRATION = 2.0


def _spread(mean: float, n: int, concentration: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` values with mean ``mean`` spread as Beta quantiles (deterministic), in random order."""
    if mean <= 0.0:
        return np.zeros(n)
    if mean >= 1.0:
        return np.ones(n)
    q = (np.arange(n) + 0.5) / n
    values = betaincinv(mean * concentration, (1.0 - mean) * concentration, q)  # Beta quantiles
    values = np.clip(values * (mean / values.mean()), 0.0, 1.0)  # remove the small quantile-mean error
    return rng.permutation(values)


@dataclass(frozen=True)
class LabellerPool:
    """Per-labeller error rates and biases (arrays of length ``n_labellers``)."""

    error_rate: np.ndarray
    bias: np.ndarray

    @property
    def size(self) -> int:
        return int(self.error_rate.shape[0])

    @classmethod
    def make(cls, label_noise: float, label_bias: float, n_labellers: int = 50, seed: int = 0,
             spread: bool = True) -> "LabellerPool":
        noise = check_number("label_noise", label_noise, 0.0, 0.5)
        bias = check_number("label_bias", label_bias, 0.0, 1.0)
        n_labellers = check_int("n_labellers", n_labellers, 3, MAX_LABELLERS)
        rng = np.random.default_rng([seed, 0x1ABE1])
        if spread:
            # error rates are Beta-spread on [0, 1] with mean `noise`, then capped at 0.5 (a labeller worse than a
            # coin is not a labeller); the cap changes the mean only for noise close to 0.5.
            err = np.minimum(_spread(noise, n_labellers, NOISE_CONCENTRATION, rng), 0.5)
            b = _spread(bias, n_labellers, BIAS_CONCENTRATION, rng)
        else:
            err = np.full(n_labellers, noise)
            b = np.full(n_labellers, bias)
        return cls(error_rate=err, bias=b)

    def answer(self, labellers: np.ndarray, true_label: np.ndarray, is_target: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        """Labels given by ``labellers[i]`` to item ``i`` (arrays broadcast together)."""
        labellers, true_label, is_target = np.broadcast_arrays(labellers, true_label, is_target)
        e = self.error_rate[labellers]
        b = self.bias[labellers]
        u_bias = rng.random(labellers.shape)
        u_err = rng.random(labellers.shape)
        biased = (true_label == 1) & is_target & (u_bias < b)
        wrong = u_err < e
        answer = np.where(wrong, 1 - true_label, true_label)
        return np.where(biased, 0, answer).astype(np.int64)


@dataclass
class LabelBatch:
    """Labels bought for a corpus and what they cost."""

    labels: np.ndarray
    aggregation: str
    label_cost_usd: float
    n_labels_paid: int
    n_gold_answers: int
    n_labellers: int
    n_excluded: int
    price_usd_per_label: float
    details: dict = field(default_factory=dict)

    @property
    def label_cost_usd_per_example(self) -> float:
        return self.label_cost_usd / max(len(self.labels), 1)


def _distinct_labellers(n_items: int, pool_ids: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` different labellers (from ``pool_ids``) for each of ``n_items`` items, shape (n_items, k)."""
    if k == 1:
        return pool_ids[rng.integers(0, len(pool_ids), (n_items, 1))]
    keys = rng.random((n_items, len(pool_ids)))
    pick = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return pool_ids[pick]


def gold_quiz(pool: LabellerPool, groups_n: int, target_index: int, questions: int, rng: np.random.Generator
              ) -> np.ndarray:
    """Number of quiz errors of each labeller. The quiz has ``questions`` items spread evenly (round robin) over the
    cells group x true label, so it always asks about positive sentences of the target group."""
    cells = [(g, y) for g in range(groups_n) for y in (1, 0)]
    group = np.array([cells[i % len(cells)][0] for i in range(questions)])
    truth = np.array([cells[i % len(cells)][1] for i in range(questions)])
    labellers = np.repeat(np.arange(pool.size)[:, None], questions, axis=1)
    answers = pool.answer(labellers, truth[None, :], (group == target_index)[None, :], rng)
    return (answers != truth[None, :]).sum(axis=1)


def collect_labels(true_label: np.ndarray, is_target: np.ndarray, aggregation: str = "single",
                   label_noise: float = 0.05, label_bias: float = 0.0, seed: int = 0, n_labellers: int = 50,
                   gold_questions: int = 12, gold_max_errors: int = 1, n_groups: int = 2, target_index: int = 1,
                   spread: bool = True, price_usd_per_label: float | None = None) -> LabelBatch:
    """Buy labels for items with the given true labels from a simulated pool; returns labels and their cost (USD)."""
    check_choice("aggregation", aggregation, AGGREGATIONS)
    pool = LabellerPool.make(label_noise, label_bias, n_labellers, seed, spread)
    price = default(PRICE_KEY) if price_usd_per_label is None else float(price_usd_per_label)
    true_label = np.asarray(true_label, dtype=np.int64)
    is_target = np.asarray(is_target, dtype=bool)
    n = len(true_label)
    rng = np.random.default_rng([seed, 0x1ABE2, AGGREGATIONS.index(aggregation)])
    ids = np.arange(pool.size)
    n_gold = 0
    excluded = 0
    details: dict = {}
    if aggregation == "single":
        who = _distinct_labellers(n, ids, 1, rng)
        labels = pool.answer(who[:, 0], true_label, is_target, rng)
        paid = n
    elif aggregation == "majority3":
        who = _distinct_labellers(n, ids, 3, rng)
        votes = pool.answer(who, true_label[:, None], is_target[:, None], rng)
        labels = (votes.sum(axis=1) >= 2).astype(np.int64)
        paid = 3 * n
    else:  # gold
        gold_questions = check_int("gold_questions", gold_questions, 1, MAX_GOLD_QUESTIONS)
        errors = gold_quiz(pool, n_groups, target_index, gold_questions, rng)
        passed = ids[errors <= gold_max_errors]
        if len(passed) < 3:
            passed = ids[np.lexsort((ids, errors))[:3]]
        excluded = pool.size - len(passed)
        n_gold = pool.size * gold_questions
        who = _distinct_labellers(n, passed, 1, rng)
        labels = pool.answer(who[:, 0], true_label, is_target, rng)
        paid = n
        details = {"kept_mean_bias": float(pool.bias[passed].mean()),
                   "kept_mean_error_rate": float(pool.error_rate[passed].mean())}
    details["pool_mean_bias"] = float(pool.bias.mean())
    details["pool_mean_error_rate"] = float(pool.error_rate.mean())
    pos_t = (true_label == 1) & is_target
    rest = ~pos_t
    details["measured_flip_rate_target_positive"] = float((labels[pos_t] == 0).mean()) if pos_t.any() else 0.0
    details["measured_error_rate_other"] = float((labels[rest] != true_label[rest]).mean()) if rest.any() else 0.0
    cost = price * (paid + n_gold)
    return LabelBatch(labels=labels, aggregation=aggregation, label_cost_usd=float(cost), n_labels_paid=int(paid),
                      n_gold_answers=int(n_gold), n_labellers=pool.size, n_excluded=int(excluded),
                      price_usd_per_label=float(price), details=details)


def majority_error(p: float) -> float:
    """Probability that the majority of three independent labellers, each wrong with probability ``p``, is wrong."""
    return 3 * p**2 - 2 * p**3
