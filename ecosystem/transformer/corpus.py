"""A toy English made by a probabilistic context-free grammar, so that the true entropy of the text is known exactly.

Every rule has a stated probability, every sentence is a derivation from ``ROOT``, and the grammar is unambiguous (a
sentence has exactly one derivation, checked in the tests), so the probability of a sentence is the product of its rule
probabilities. Two exact figures follow:

* the **entropy rate** of the process, ``entropy_rate()``: the expected surprisal of a sentence divided by its
  expected length, both solved exactly from linear equations over the non-terminals (no sampling);
* the **surprisal of every token of a sampled text**, ``-log p(token | sentence prefix)``, from exact prefix
  probabilities (a weighted set of parser stacks, ``prefix_surprisals()``), so a model's held-out loss can be set
  beside the true conditional entropy of exactly the tokens it was scored on.

The text is a stream of sentences ``<bos> w1 ... wn <eos>``; sentences are independent, so the sentence prefix is the
whole relevant history, ``<bos>`` after ``<eos>`` is certain (surprisal 0), and no model can do better in expectation
than the true process. Subject and verb agree in number, also across a prepositional phrase ("the dog near the cats
sleeps"), which gives attention something to find. Pure Python; ``WordTokenizer`` turns words into ids.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)


def _uniform(*words: str) -> list[tuple[float, tuple[str, ...]]]:
    return [(1.0 / len(words), (w,)) for w in words]


# Non-terminal -> [(probability, right-hand side)]. Anything that is not a key is a terminal (a word, or <eos>).
GRAMMAR: dict[str, list[tuple[float, tuple[str, ...]]]] = {
    "ROOT": [(1.0, ("CLAUSE", EOS))],
    "CLAUSE": [(0.55, ("SUBJ_SG", "VP_SG", "MORE")), (0.45, ("SUBJ_PL", "VP_PL", "MORE"))],
    "MORE": [(0.80, ()), (0.15, ("and", "CLAUSE")), (0.05, ("but", "CLAUSE"))],
    "EMBEDDED": [(0.55, ("SUBJ_SG", "VP_SG")), (0.45, ("SUBJ_PL", "VP_PL"))],
    "SUBJ_SG": [(0.8, ("NP_SG",)), (0.2, ("PRON_SG",))],
    "SUBJ_PL": [(0.85, ("NP_PL",)), (0.15, ("they",))],
    "NP_SG": [(0.75, ("DET_SG", "NBAR_SG")), (0.25, ("NAME",))],
    "NP_PL": [(1.0, ("DET_PL", "NBAR_PL"))],
    "NBAR_SG": [(0.25, ("ADJ", "NBAR_SG")), (0.75, ("N_SG", "PP"))],
    "NBAR_PL": [(0.25, ("ADJ", "NBAR_PL")), (0.75, ("N_PL", "PP"))],
    "PP": [(0.85, ()), (0.15, ("PREP", "OBJ"))],
    "OBJ": [(0.5, ("NP_SG",)), (0.5, ("NP_PL",))],
    "VP_SG": [(0.35, ("VI_SG", "ADVP")), (0.45, ("VT_SG", "OBJ", "ADVP")), (0.20, ("VS_SG", "that", "EMBEDDED"))],
    "VP_PL": [(0.35, ("VI_PL", "ADVP")), (0.45, ("VT_PL", "OBJ", "ADVP")), (0.20, ("VS_PL", "that", "EMBEDDED"))],
    "ADVP": [(0.7, ()), (0.3, ("ADV",))],
    "DET_SG": [(0.5, ("the",)), (0.3, ("a",)), (0.1, ("every",)), (0.1, ("this",))],
    "DET_PL": [(0.6, ("the",)), (0.2, ("some",)), (0.1, ("many",)), (0.1, ("these",))],
    "N_SG": _uniform("cat", "dog", "bird", "teacher", "child", "farmer", "robot", "student"),
    "N_PL": _uniform("cats", "dogs", "birds", "teachers", "children", "farmers", "robots", "students"),
    "NAME": _uniform("alice", "bob", "carol", "dave"),
    "PRON_SG": _uniform("she", "he", "it"),
    "ADJ": _uniform("small", "big", "old", "happy", "clever", "quiet", "red"),
    "PREP": _uniform("near", "with", "behind"),
    "ADV": _uniform("quickly", "today", "often"),
    "VI_SG": _uniform("sleeps", "runs", "laughs", "waits"),
    "VI_PL": _uniform("sleep", "run", "laugh", "wait"),
    "VT_SG": _uniform("sees", "likes", "chases", "helps"),
    "VT_PL": _uniform("see", "like", "chase", "help"),
    "VS_SG": _uniform("says", "thinks", "knows"),
    "VS_PL": _uniform("say", "think", "know"),
}


def terminals() -> list[str]:
    """Every word the grammar can emit, plus ``<eos>``, sorted."""
    out = {s for rules in GRAMMAR.values() for _, rhs in rules for s in rhs if s not in GRAMMAR}
    return sorted(out)


# ---- exact expectations -------------------------------------------------------------------------------------------


def _solve(rhs_value: dict[str, float]) -> dict[str, float]:
    """Solve x_X = c_X + sum_r p_r sum_{Y in rhs_r, Y non-terminal} x_Y for every non-terminal X (Gauss-Jordan)."""
    names = list(GRAMMAR)
    index = {n: i for i, n in enumerate(names)}
    size = len(names)
    a = [[0.0] * (size + 1) for _ in range(size)]
    for n in names:
        i = index[n]
        a[i][i] += 1.0
        a[i][size] = rhs_value[n]
        for p, rhs in GRAMMAR[n]:
            for s in rhs:
                if s in GRAMMAR:
                    a[i][index[s]] -= p
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            raise ValueError("grammar: expected lengths are infinite (the recursion is not sub-critical)")
        for r in range(size):
            if r != col and a[r][col]:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
    return {n: a[index[n]][size] / a[index[n]][index[n]] for n in names}


def expected_length() -> float:
    """Expected tokens per sentence: words plus ``<eos>`` (not ``<bos>``)."""
    c = {n: sum(p * sum(1 for s in rhs if s not in GRAMMAR) for p, rhs in rules) for n, rules in GRAMMAR.items()}
    return _solve(c)["ROOT"]


def sentence_entropy() -> float:
    """Entropy of a sentence in nats: the expected surprisal of its derivation (= of the sentence, as unambiguous)."""
    c = {n: sum(-p * math.log(p) for p, _ in rules if p > 0) for n, rules in GRAMMAR.items()}
    return _solve(c)["ROOT"]


def entropy_rate(count_bos: bool = True) -> float:
    """True entropy rate in nats per token of the stream (``<bos>`` counts as a certain token unless told not to)."""
    return sentence_entropy() / (expected_length() + (1.0 if count_bos else 0.0))


# ---- sampling and exact prefix probabilities ----------------------------------------------------------------------


def sample_sentence(rng: random.Random) -> tuple[list[str], float]:
    """One sentence (words and ``<eos>``) and its log-probability under the grammar (sum of log rule probabilities)."""
    out: list[str] = []
    logp = 0.0
    stack = ["ROOT"]
    while stack:
        sym = stack.pop()
        if sym not in GRAMMAR:
            out.append(sym)
            continue
        rules = GRAMMAR[sym]
        u, acc = rng.random(), 0.0
        for p, rhs in rules:
            acc += p
            if u < acc:
                break
        logp += math.log(p)
        stack.extend(reversed(rhs))
    return out, logp


@lru_cache(maxsize=None)
def _expand(stack: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], float], ...]:
    """All ways to bring a terminal to the top of ``stack``: (terminal, rest of the stack, probability)."""
    if not stack:
        return ()
    top, rest = stack[0], stack[1:]
    if top not in GRAMMAR:
        return ((top, rest, 1.0),)
    out = []
    for p, rhs in GRAMMAR[top]:
        for term, after, q in _expand(rhs + rest):
            out.append((term, after, p * q))
    return tuple(out)


def next_token_distribution(prefix: list[str]) -> dict[str, float]:
    """Exact p(next token | sentence prefix) over words and ``<eos>`` (the prefix excludes ``<bos>``)."""
    states = _advance(prefix)
    dist: dict[str, float] = {}
    total = sum(states.values())
    for stack, w in states.items():
        for term, _, q in _expand(stack):
            dist[term] = dist.get(term, 0.0) + w * q / total
    return dist


def _advance(prefix: list[str]) -> dict[tuple[str, ...], float]:
    states: dict[tuple[str, ...], float] = {("ROOT",): 1.0}
    for word in prefix:
        states, _ = _step(states, word)
    return states


def _step(states: dict, word: str) -> tuple[dict, float]:
    new: dict[tuple[str, ...], float] = {}
    for stack, w in states.items():
        for term, rest, q in _expand(stack):
            if term == word:
                new[rest] = new.get(rest, 0.0) + w * q
    total = sum(new.values())
    if total <= 0.0:
        raise ValueError(f"corpus: {word!r} cannot follow this prefix under the grammar")
    return {k: v / total for k, v in new.items()}, total


def prefix_surprisals(sentence: list[str]) -> list[float]:
    """Exact -log p(token | sentence prefix) in nats for each token of a sentence (words and ``<eos>``)."""
    states: dict[tuple[str, ...], float] = {("ROOT",): 1.0}
    out = []
    for word in sentence:
        states, p = _step(states, word)
        out.append(-math.log(p))
    return out


# ---- the token stream ---------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    """A stream ``<bos> sentence <eos> <bos> ...`` of token ids, the index of every ``<bos>``, and (if asked for) the
    exact surprisal of every token given its sentence prefix (0 for each ``<bos>``)."""

    ids: list[int]
    starts: list[int]
    surprisal_nats: list[float] | None
    sentence_logprobs: list[float]
    tokenizer: "WordTokenizer"
    seed: int

    @property
    def n_tokens(self) -> int:
        return len(self.ids)


def generate(n_tokens: int, seed: int = 0, surprisal: bool = False) -> Corpus:
    """Sample whole sentences until at least ``n_tokens`` tokens; deterministic for a seed."""
    if not isinstance(n_tokens, int) or n_tokens < 1:
        raise ValueError(f"corpus: n_tokens must be an integer >= 1, got {n_tokens!r}")
    rng = random.Random(seed)
    tok = WordTokenizer()
    ids: list[int] = []
    starts: list[int] = []
    surp: list[float] | None = [] if surprisal else None
    logps: list[float] = []
    while len(ids) < n_tokens:
        words, logp = sample_sentence(rng)
        starts.append(len(ids))
        ids.append(tok.bos_id)
        ids.extend(tok.encode(" ".join(words)))
        logps.append(logp)
        if surp is not None:
            surp.append(0.0)
            surp.extend(prefix_surprisals(words))
    return Corpus(ids, starts, surp, logps, tok, seed)


class WordTokenizer:
    """Word-level tokenizer over the grammar's words: ids 0, 1, 2 are ``<pad>``, ``<bos>``, ``<eos>``."""

    def __init__(self) -> None:
        words = [t for t in terminals() if t not in SPECIALS]
        self.vocab: list[str] = list(SPECIALS) + words
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.bos_id, self.eos_id = (self.index[s] for s in SPECIALS)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Ids of the whitespace-separated words of ``text`` (lower-cased); unknown words raise a ValueError."""
        if not isinstance(text, str):
            raise ValueError(f"tokenizer: text must be a string, got {type(text).__name__}")
        ids = [self.bos_id] if add_bos else []
        for word in text.lower().split():
            if word not in self.index:
                known = ", ".join(w for w in self.vocab if w not in SPECIALS)
                raise ValueError(f"tokenizer: unknown word {word!r}; the vocabulary is: {known}")
            ids.append(self.index[word])
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids, skip_special: bool = False) -> str:
        """Words for ids, joined by single spaces."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"tokenizer: id {i} out of range 0..{len(self.vocab) - 1}")
            if skip_special and self.vocab[i] in SPECIALS:
                continue
            out.append(self.vocab[i])
        return " ".join(out)
