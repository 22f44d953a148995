"""What each probe mode runs (``full``, ``quick``, ``test``) on each device: model sizes, steps, token budgets."""

from __future__ import annotations

from dataclasses import dataclass

from ecosystem.transformer.model import GPTConfig

DEVICES = ("cpu", "cuda")
MODES = ("full", "quick", "test")


@dataclass(frozen=True)
class Size:
    """One model shape and the batch it is trained with."""

    name: str
    n_layer: int
    n_head: int
    d_model: int
    n_ctx: int
    batch: int

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(vocab_size=vocab_size, n_layer=self.n_layer, n_head=self.n_head, d_model=self.d_model,
                         n_ctx=self.n_ctx)


@dataclass(frozen=True)
class Plan:
    sizes: tuple[Size, ...]  # the FLOP / MFU / memory table, smallest to largest
    warmup_steps: int
    timed_steps: int
    gemm_sizes: tuple[int, ...]
    gemm_reps: int
    scaling: tuple[Size, ...]  # trained on one token budget, smallest to largest
    scaling_steps: int
    kv: Size  # n_ctx >= prompt + new tokens
    kv_prompt: int
    kv_new: int
    kv_reps: int
    eval_windows: int
    train_tokens: int
    heldout_tokens: int
    infer_reps: int
    table_threads: int | None = None  # None: every core (the GEMM peak and the size table)
    small_threads: int | None = 1  # the small models (KV cache, scaling, quantisation, distillation) on the CPU


def _s(name, L, H, d, T, B):
    return Size(name, L, H, d, T, B)


PLANS: dict[tuple[str, str], Plan] = {
    ("cpu", "full"): Plan(
        sizes=(_s("xs", 2, 4, 128, 128, 16), _s("s", 2, 4, 256, 128, 16), _s("m", 4, 6, 384, 128, 16),
               _s("l", 4, 8, 512, 128, 16)),
        warmup_steps=1, timed_steps=6, gemm_sizes=(1024, 2048), gemm_reps=5,
        scaling=(_s("d16", 2, 2, 16, 64, 16), _s("d32", 2, 4, 32, 64, 16), _s("d64", 2, 4, 64, 64, 16),
                 _s("d128", 2, 4, 128, 64, 16)),
        scaling_steps=300, kv=_s("kv", 4, 4, 256, 320, 1), kv_prompt=64, kv_new=256, kv_reps=2,
        eval_windows=64, train_tokens=400_000, heldout_tokens=20_000, infer_reps=3),
    ("cpu", "quick"): Plan(
        sizes=(_s("xs", 1, 2, 64, 64, 8), _s("s", 2, 4, 128, 64, 8), _s("m", 2, 4, 192, 64, 8),
               _s("l", 2, 4, 256, 64, 16)),
        warmup_steps=1, timed_steps=2, gemm_sizes=(1024, 2048), gemm_reps=3,
        scaling=(_s("d16", 2, 2, 16, 32, 16), _s("d32", 2, 4, 32, 32, 16), _s("d64", 2, 4, 64, 32, 16)),
        scaling_steps=120, kv=_s("kv", 2, 4, 256, 320, 1), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=48, train_tokens=100_000, heldout_tokens=8_000, infer_reps=2),
    ("cpu", "test"): Plan(
        sizes=(_s("xs", 1, 2, 16, 16, 2), _s("s", 1, 2, 24, 16, 2), _s("m", 1, 2, 32, 16, 2),
               _s("l", 2, 2, 32, 16, 2)),
        warmup_steps=1, timed_steps=1, gemm_sizes=(256,), gemm_reps=2,
        scaling=(_s("d16", 1, 2, 16, 16, 8), _s("d24", 1, 2, 24, 16, 8), _s("d32", 1, 2, 32, 16, 8)),
        scaling_steps=15, kv=_s("kv", 1, 2, 32, 320, 1), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=8, train_tokens=5_000, heldout_tokens=1_000, infer_reps=1, table_threads=1),
    ("cuda", "full"): Plan(
        sizes=(_s("s", 4, 8, 512, 512, 16), _s("m", 8, 16, 1024, 512, 16), _s("l", 12, 12, 1536, 1024, 8),
               _s("xl", 16, 16, 2048, 1024, 8)),
        warmup_steps=3, timed_steps=10, gemm_sizes=(4096, 8192), gemm_reps=10,
        scaling=(_s("d64", 2, 4, 64, 128, 32), _s("d128", 2, 4, 128, 128, 32), _s("d256", 4, 4, 256, 128, 32),
                 _s("d512", 4, 8, 512, 128, 32)),
        scaling_steps=600, kv=_s("kv", 12, 12, 1536, 320, 128), kv_prompt=64, kv_new=256, kv_reps=2,
        eval_windows=256, train_tokens=2_000_000, heldout_tokens=60_000, infer_reps=5),
    ("cuda", "quick"): Plan(
        sizes=(_s("xs", 2, 4, 256, 256, 16), _s("s", 4, 8, 512, 256, 16), _s("m", 6, 8, 768, 512, 8),
               _s("l", 8, 16, 1024, 512, 8)),
        warmup_steps=2, timed_steps=5, gemm_sizes=(4096, 8192), gemm_reps=5,
        scaling=(_s("d64", 2, 4, 64, 64, 32), _s("d128", 2, 4, 128, 64, 32), _s("d256", 2, 4, 256, 64, 32)),
        scaling_steps=200, kv=_s("kv", 8, 16, 1024, 320, 128), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=64, train_tokens=300_000, heldout_tokens=10_000, infer_reps=3),
}
PLANS[("cuda", "test")] = PLANS[("cpu", "test")]
