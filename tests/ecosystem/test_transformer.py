"""The real small Transformer: the KV cache against recomputation, the grammar corpus's exact entropy, the
tokenizer, the one training loop's schedule and its determinism for a seed."""

from __future__ import annotations

import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem import formulas
from ecosystem.transformer import corpus
from ecosystem.transformer import train as lm_train
from ecosystem.transformer.model import GPT, GPTConfig, KVCache
from tests.ecosystem.strategies import configs

VOCAB = corpus.WordTokenizer().vocab_size
pytestmark = pytest.mark.usefixtures("one_thread")


# ---- KV cache ---------------------------------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(cfg=configs(max_ctx=24), seed=st.integers(0, 2**16), data=st.data())
def test_kv_cache_gives_the_same_logits_and_greedy_tokens_as_recomputation(cfg, seed, data):
    torch.manual_seed(seed)
    model = GPT(cfg).eval()
    ids = torch.randint(cfg.vocab_size, (2, cfg.n_ctx))
    split = data.draw(st.integers(1, cfg.n_ctx))
    with torch.no_grad():
        full = model(ids)
        cache = KVCache(cfg.n_layer)
        parts = [model(ids[:, :split], cache)] + [model(ids[:, t:t + 1], cache) for t in range(split, cfg.n_ctx)]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)
    assert cache.length == cfg.n_ctx
    elem = full.element_size()
    assert cache.nbytes() == formulas.kv_cache_bytes(cfg.n_layer, cfg.n_ctx, cfg.d_model, elem, batch=2)
    prompt = ids[:, :1]
    new = cfg.n_ctx - 1
    assert torch.equal(model.generate(prompt, new, use_cache=True), model.generate(prompt, new, use_cache=False))


# ---- corpus -----------------------------------------------------------------------------------------------------


def test_grammar_probabilities_sum_to_one_and_every_symbol_is_defined():
    words = set(corpus.WordTokenizer().vocab)
    for name, rules in corpus.GRAMMAR.items():
        assert sum(p for p, _ in rules) == pytest.approx(1.0, abs=1e-12), name
        assert all(p > 0 for p, _ in rules), name
        for _, rhs in rules:
            assert all(s in corpus.GRAMMAR or s in words for s in rhs), (name, rhs)


def test_grammar_is_unambiguous_on_samples_and_prefix_probabilities_are_normalised():
    rng = random.Random(7)
    for _ in range(300):
        words, logp = corpus.sample_sentence(rng)
        # exact prefix probabilities (all derivations) multiply out to the one derivation's probability
        assert sum(corpus.prefix_surprisals(words)) == pytest.approx(-logp, rel=1e-9, abs=1e-9)
        cut = rng.randrange(len(words))
        dist = corpus.next_token_distribution(words[:cut])
        assert sum(dist.values()) == pytest.approx(1.0, abs=1e-12)
        assert words[cut] in dist


def test_exact_entropy_rate_matches_the_sampled_text_within_noise():
    c = corpus.generate(60_000, seed=11, surprisal=True)
    ends = c.starts[1:] + [c.n_tokens]
    h = [sum(c.surprisal_nats[s:e]) for s, e in zip(c.starts, ends)]
    n = [e - s for s, e in zip(c.starts, ends)]
    rate = sum(h) / sum(n)
    se = math.sqrt(sum((hi - rate * ni) ** 2 for hi, ni in zip(h, n))) / sum(n)  # ratio-estimator error
    assert abs(rate - corpus.entropy_rate()) < 4 * se
    assert sum(h) == pytest.approx(-sum(c.sentence_logprobs), rel=1e-9)
    assert corpus.entropy_rate(count_bos=False) > corpus.entropy_rate()


def test_bad_corpus_arguments_get_a_clear_message():
    with pytest.raises(ValueError, match="n_tokens.*>= 1.*0"):
        corpus.generate(0)
    with pytest.raises(ValueError, match="'sleeps' cannot follow"):
        corpus.prefix_surprisals(["sleeps"])


def test_training_and_corpus_are_deterministic_for_a_seed():
    a, b, c = corpus.generate(2_000, seed=3), corpus.generate(2_000, seed=3), corpus.generate(2_000, seed=4)
    assert a.ids == b.ids and a.ids != c.ids
    cfg = GPTConfig(vocab_size=VOCAB, n_layer=1, n_head=2, d_model=16, n_ctx=16)
    m1 = lm_train.train_lm(cfg, a, steps=5, batch=4, seed=5)
    m2 = lm_train.train_lm(cfg, a, steps=5, batch=4, seed=5)
    m3 = lm_train.train_lm(cfg, a, steps=5, batch=4, seed=6)
    s1, s2, s3 = m1.state_dict(), m2.state_dict(), m3.state_dict()
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    assert not all(torch.equal(s1[k], s3[k]) for k in s1)


# ---- tokenizer --------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_tokenizer_round_trip(seed):
    tok = corpus.WordTokenizer()
    words, _ = corpus.sample_sentence(random.Random(seed))
    text = " ".join(w for w in words if w != corpus.EOS)
    ids = tok.encode(text, add_bos=True, add_eos=True)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
    assert tok.decode(ids, skip_special=True) == text
    assert tok.decode(tok.encode(text)) == text


def test_tokenizer_specials_and_unknown_words():
    tok = corpus.WordTokenizer()
    assert tok.vocab[:3] == [corpus.PAD, corpus.BOS, corpus.EOS]
    assert (tok.pad_id, tok.bos_id, tok.eos_id) == (0, 1, 2)
    with pytest.raises(ValueError, match="unknown word 'flies'"):
        tok.encode("the dog flies")
    with pytest.raises(ValueError, match="id 999 out of range"):
        tok.decode([999])


# ---- the one learning-rate schedule ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(total=st.integers(1, 5000), frac=st.floats(0, 1), peak=st.floats(1e-5, 1e-1))
def test_schedule_is_the_cosine_the_audit_and_the_probe_train_with(total, frac, peak):
    step = min(total - 1, int(frac * total))
    # the audit: cosine from peak to 0 over every step, no warm-up
    assert lm_train.lr_at(step, total, peak) == peak * 0.5 * (1.0 + math.cos(math.pi * step / total))
    # the probe: 10% linear warm-up, then cosine down to a tenth of the peak
    warm = max(1, total // 10)
    got = lm_train.lr_at(step, total, peak, warmup_steps=warm, floor=0.1)
    if step < warm:
        assert got == pytest.approx(peak * (step + 1) / warm, rel=1e-12)
    else:
        angle = math.pi * (step - warm) / max(1, total - warm)
        assert got == pytest.approx(peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(angle))), rel=1e-12)
        assert 0.1 * peak - 1e-15 <= got <= peak + 1e-15
