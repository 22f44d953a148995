"""What a lab makes: a ``TrainingRun`` in progress, and the ``TrainedModel`` it releases."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class TrainingRun:
    """A lab's run in progress: the compute-optimal (N, D) it plans, the GPUs it rents, the labels it buys."""

    params: float
    tokens: float
    train_flops: float
    mfu: float
    gpus_wanted: float
    labels_wanted: float
    aggregation: str
    start_step: int
    budget_usd: float
    flops_done: float = 0.0
    labels_bought: float = 0.0
    label_bias_sum: float = 0.0  # sum over labels bought of their vendor's bias
    label_error_sum: float = 0.0  # sum over labels bought of their vendor's error rate
    expert_labels_wanted: float = 0.0  # expert-feedback items (``labellers.experts``)
    expert_labels_bought: float = 0.0
    expert_bias_sum: float = 0.0
    expert_error_sum: float = 0.0
    spend_usd: float = 0.0  # compute and human data paid so far

    @property
    def finished(self) -> bool:
        return not self.flops_done < self.train_flops * (1 - 1e-9)


@dataclass(eq=False)
class TrainedModel:
    """A released model (compared by identity). ``owner_id`` is -1 for a model released by the outside world."""

    model_id: int
    owner_id: int
    strategy: str
    params: float
    tokens: float
    train_flops: float
    loss: float
    quality: float
    bias: float
    label_bias: float
    label_noise: float
    aggregation: str
    serving_params: float
    optimisation: str
    licence_share: float
    release_step: int
    audit_passed: bool | None = None
    deployable: bool = True
    tokens_served: float = 0.0
    run_cost_usd: float = float("nan")  # compute at the price paid plus its labels
    served_params: float = float("nan")  # parameters of the served model (a distilled student is smaller)
    serving_precision: str = "bf16"  # weights and KV cache when served (fp8 once quantised, ``sim.optimisation``)

    def __post_init__(self) -> None:
        if self.served_params != self.served_params:  # not given: the model is served as trained
            self.served_params = self.params
