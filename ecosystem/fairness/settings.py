"""What one bias audit runs: ``AuditSettings`` (the labels bought, the corpus, the checks, the seed) and
``TrainSettings`` (the small Transformer and its training). Both are checked when made: a bad value raises a
ValueError naming the field, the value and the allowed range (``ecosystem.checks``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from ecosystem.checks import check_choice, check_int, check_number
from ecosystem.fairness.corpus import GroupSpec, make_groups
from ecosystem.fairness.labelling import AGGREGATIONS, MAX_GOLD_QUESTIONS, MAX_LABELLERS
from ecosystem.fairness.metrics import DEFAULT_N_BOOT  # noqa: F401 - re-exported with the other defaults

Progress = Callable[[float, str], None]

DEFAULT_N_TRAIN = 1500
DEFAULT_N_TEST = 2000
DEFAULT_EPOCHS = 8
DEFAULT_DP_THRESHOLD = 0.1
MAX_SENTENCES = 200_000


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


@dataclass(frozen=True)
class AuditSettings:
    """One audit. ``label_bias`` in [0, 1]: mean probability that a labeller turns a positive sentence about the
    target group negative. ``label_noise`` in [0, 0.5]: mean probability of a wrong label on any sentence.
    ``aggregation``: one of single, majority3, gold (see :mod:`ecosystem.fairness.labelling`); ``n_labellers``,
    ``gold_questions`` and ``gold_max_errors`` describe the crowd and its screening. ``groups`` (names -> person
    terms, default group_a and group_b) and ``target_group`` (default: the second group) shape the corpus of
    ``n_train`` training and ``n_test`` held-out sentences. The model passes the audit if its demographic-parity
    difference is at most ``dp_threshold``; intervals come from ``n_boot`` bootstrap resamples. ``training``: the
    model and its schedule (``epochs`` overrides its epochs)."""

    label_bias: float = 0.0
    label_noise: float = 0.05
    aggregation: str = "single"
    seed: int = 0
    n_train: int = DEFAULT_N_TRAIN
    groups: Mapping[str, Sequence[str]] | GroupSpec | None = None
    n_test: int = DEFAULT_N_TEST
    epochs: int = DEFAULT_EPOCHS
    dp_threshold: float = DEFAULT_DP_THRESHOLD
    n_boot: int = DEFAULT_N_BOOT
    target_group: str | None = None
    n_labellers: int = 50
    gold_questions: int = 12
    gold_max_errors: int = 1
    training: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self) -> None:
        checked = {
            "label_bias": check_number("label_bias", self.label_bias, 0.0, 1.0),
            "label_noise": check_number("label_noise", self.label_noise, 0.0, 0.5),
            "aggregation": check_choice("aggregation", self.aggregation, AGGREGATIONS),
            "seed": check_int("seed", self.seed, 0, 2**31 - 1),
            "n_train": check_int("n_train", self.n_train, 100, MAX_SENTENCES),
            "n_test": check_int("n_test", self.n_test, 100, MAX_SENTENCES),
            "epochs": check_int("epochs", self.epochs, 1, 200),
            "n_boot": check_int("n_boot", self.n_boot, 50, 100_000),
            "dp_threshold": check_number("dp_threshold", self.dp_threshold, 0.0, 1.0),
            "n_labellers": check_int("n_labellers", self.n_labellers, 3, MAX_LABELLERS),
            "gold_questions": check_int("gold_questions", self.gold_questions, 1, MAX_GOLD_QUESTIONS),
        }
        checked["gold_max_errors"] = check_int("gold_max_errors", self.gold_max_errors, 0, checked["gold_questions"])
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "groups", self.group_spec())
        object.__setattr__(self, "training", TrainSettings(**{**vars(self.training), "epochs": checked["epochs"]}))

    def group_spec(self) -> GroupSpec:
        """The groups as a checked ``GroupSpec`` (the target group resolved)."""
        return self.groups if isinstance(self.groups, GroupSpec) else make_groups(self.groups, self.target_group)

    def config(self) -> dict:
        """The settings as the audit result reports them (``AuditResult.config``)."""
        names = ("label_bias", "label_noise", "aggregation", "seed", "n_train", "n_test", "epochs", "dp_threshold",
                 "n_boot", "n_labellers", "gold_questions", "gold_max_errors")
        return {**{name: getattr(self, name) for name in names}, **self.group_spec().to_dict()}
