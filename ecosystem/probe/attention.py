"""Attention maps: the weights of every layer and head for one sentence, from the Classroom page's tiny trained model
(the checkpoint ``data/profiles/attention_model.pt``, made by ``scripts/train_attention_model.py``)."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import torch

from ecosystem.reference import PROFILE_DIR, REPO_ROOT
from ecosystem.transformer.corpus import WordTokenizer, generate
from ecosystem.transformer.model import GPT, GPTConfig
from ecosystem.transformer.train import train_lm

ATTENTION_CHECKPOINT = PROFILE_DIR / "attention_model.pt"
DEFAULT_SENTENCE = "the dog near the cats sleeps"


@torch.no_grad()
def attention_maps(model: GPT, text: str | None = None) -> dict:
    """Attention weights of every layer and head for one sentence: tokens and [layer][head][query][key] matrices."""
    tok = WordTokenizer()
    sentence = DEFAULT_SENTENCE if text is None else text
    ids = tok.encode(sentence, add_bos=True)
    if len(ids) > model.cfg.n_ctx:
        raise ValueError(f"sentence: {len(ids)} tokens (with <bos>) exceed the model's n_ctx={model.cfg.n_ctx}")
    was_training = model.training
    model.eval()
    model.record_attention(True)
    try:
        logits = model(torch.tensor([ids]))
        maps = [m[0].tolist() for m in model.attention_maps()]
    finally:
        model.record_attention(False)
        model.train(was_training)
    nxt = torch.softmax(logits[0, -1].float(), -1)
    top = torch.topk(nxt, 5)
    return {
        "sentence": sentence,
        "tokens": tok.decode(ids).split(" "),
        "n_layer": model.cfg.n_layer, "n_head": model.cfg.n_head,
        "layers": [[[[round(v, 5) for v in row] for row in head] for head in layer] for layer in maps],
        "next_token_top5": [{"token": tok.vocab[i], "p": round(float(p), 5)} for p, i in
                            zip(top.values.tolist(), top.indices.tolist())],
        "layout": "layers[layer][head][query_position][key_position]; rows sum to 1; causal (zero above diagonal)",
    }


ATTENTION_MODEL = GPTConfig(vocab_size=WordTokenizer().vocab_size, n_layer=2, n_head=4, d_model=64,
                            n_ctx=32)


def train_attention_model(steps: int = 600, batch: int = 32, seed: int = 0) -> GPT:
    """The Classroom page's tiny model (2 layers, 4 heads, d_model 64), trained on the grammar corpus."""
    train = generate(max(50_000, steps * batch), seed=0)
    return train_lm(ATTENTION_MODEL, train, steps, batch, seed=seed)


def save_attention_checkpoint(model: GPT, path: Path = ATTENTION_CHECKPOINT, note: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save({"config": model.cfg.to_dict(), "state_dict": state, "vocab": WordTokenizer().vocab,
                "note": note}, path)
    return path


def load_attention_model(path: Path = ATTENTION_CHECKPOINT) -> GPT | None:
    """The shipped tiny model, or None when the file is missing or does not fit this code's vocabulary."""
    path = Path(path)
    if not path.is_file():
        return None
    model = _load_checkpoint(str(path), path.stat().st_mtime_ns)
    return None if model is None else copy.deepcopy(model)  # a private copy: recording attention mutates the model


@functools.lru_cache(maxsize=4)
def _load_checkpoint(path: str, _mtime_ns: int) -> GPT | None:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("vocab") != WordTokenizer().vocab:
            return None
        model = GPT(GPTConfig(**blob["config"]))
        model.load_state_dict(blob["state_dict"])
    except (RuntimeError, TypeError, KeyError, ValueError, AttributeError):
        return None  # an old or foreign checkpoint: the caller trains a fresh model instead
    return model.eval()


def attention_for_sentence(text: str | None = None, checkpoint: Path | None = None) -> dict:
    """Attention maps of a tiny trained model for ``text`` (default: a sentence where a verb agrees across a
    prepositional phrase). Loads the shipped checkpoint; trains a small model in a few seconds if it is missing."""
    path = ATTENTION_CHECKPOINT if checkpoint is None else Path(checkpoint)
    model = load_attention_model(path)
    source = str(path.relative_to(REPO_ROOT)) if model is not None and path.is_relative_to(REPO_ROOT) else str(path)
    if model is None:
        model = train_attention_model(steps=150, batch=16)
        source = "trained now (150 steps; the checkpoint was missing)"
    out = attention_maps(model, text)
    out["source"] = source
    return out
