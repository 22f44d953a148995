"""The probe: measure the real small Transformer on this machine, beside the formulas (``python -m ecosystem probe``).

One module per measurement, each importing torch: ``throughput`` (GEMM peak, counted FLOPs, tokens/s and MFU),
``memory`` (peak memory of a training step), ``kv_cache`` (decoding with and without the cache), ``optimisation``
(int8 quantisation and distillation), ``scaling`` (the scaling fit), ``attention`` (attention maps of a tiny trained
model, ``attention_for_sentence``). ``plans`` says what each mode runs, ``run`` runs them all (``run_probe``), ``cli``
is the command. ``profile`` reads and writes the profile JSON without torch; this package re-exports it and imports no
torch either.
"""

from ecosystem.probe.profile import (DEFAULT_PROBE_PROFILE, DEFAULT_PROFILE, load_probe_profile, load_profile,
                                     optimisation_loss_ratios, write_profile)

__all__ = ["DEFAULT_PROBE_PROFILE", "DEFAULT_PROFILE", "load_probe_profile", "load_profile", "optimisation_loss_ratios",
           "write_profile"]
