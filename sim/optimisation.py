"""The chain's model-optimisation stage: what int8 quantisation and distillation do to a model before it is served.

int8 halves the GPU time per token (fp8/int8 peak = 2 x bf16 peak, ``hardware.csv``); distillation serves a student of
``distill_size_ratio`` x the params, also in int8. Losses rise by the ratios the probe measured on the real small
Transformer (``ecosystem.profiles.optimisation_loss_ratios``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecosystem.probe.profile import optimisation_loss_ratios
from ecosystem.reference import hardware

REFERENCE_SERVING_HW = "H100-SXM"


@dataclass(frozen=True)
class Optimiser:
    loss_ratios: dict[str, float]
    int8_time_share: float  # bf16 peak / fp8 peak of the reference serving GPU
    distill_size_ratio: float

    @classmethod
    def measured(cls, distill_size_ratio: float) -> Optimiser:
        ref = hardware(REFERENCE_SERVING_HW)
        return cls(optimisation_loss_ratios(), ref.peak_bf16_flops_per_s / ref.peak_fp8_flops_per_s,
                   distill_size_ratio)

    def served_shape(self, params: float, optimisation: str) -> tuple[float, str]:
        """Parameters and precision of the served model (``sim.serving``): as trained in bf16, int8 in fp8, a
        distilled student of ``distill_size_ratio`` x the params in fp8."""
        if optimisation == "none":
            return params, "bf16"
        return (params, "fp8") if optimisation == "int8" else (params * self.distill_size_ratio, "fp8")

    def apply(self, params: float, loss: float, optimisation: str) -> tuple[float, float]:
        """Serving-equivalent params (bf16 FLOP-time per token / 2) and the served model's loss after optimisation."""
        if optimisation == "none":
            return params, loss
        ratios = self.loss_ratios
        int8_share = self.int8_time_share
        if optimisation == "int8":
            return params * int8_share, loss * ratios["int8"]
        ratio = self.distill_size_ratio
        return params * ratio * int8_share, loss * ratios["distill"] * ratios["int8"]
