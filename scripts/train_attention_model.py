"""Train the Classroom page's tiny Transformer on the grammar corpus and save it to data/profiles/attention_model.pt.

    .venv/bin/python scripts/train_attention_model.py [--steps 600]

Deterministic (seeded); about 10-20 s on 2 CPU cores; the file is about 0.5 MB.
``ecosystem.probe.attention.attention_for_sentence`` loads it, so the dashboard shows a trained model's attention at
once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from ecosystem.probe import attention
from ecosystem.probe.scaling import eval_set
from ecosystem.transformer import corpus
from ecosystem.transformer.train import evaluate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", default=str(attention.ATTENTION_CHECKPOINT))
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    model = attention.train_attention_model(steps=args.steps)
    heldout = corpus.generate(10_000, seed=1, surprisal=True)
    starts, true = eval_set(heldout, model.cfg.n_ctx, 64)
    loss = sum(evaluate(model, heldout, starts)) / len(true)
    entropy = sum(true) / len(true)
    note = (f"{args.steps} steps x 32 x {model.cfg.n_ctx} tokens, seed 0; held-out loss {loss:.4f} nats/token "
            f"vs true entropy {entropy:.4f}")
    path = attention.save_attention_checkpoint(model, Path(args.out), note)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
