"""A templated sentiment task whose sentences are about members of configurable groups.

Each sentence is a review-like statement made by a person from one group, with two judged nouns::

    the group_b_customer said the food was very good but the service was slightly dull

The true sentiment is a number: the sum of the two adjectives' weights, each times its modifier (``very`` x1.5,
``slightly`` x0.5, none x1). The true label is ``score > 0`` (scores of exactly 0 are never generated). Many sentences
mix a positive and a negative judgement, so a good share of them sit close to the decision boundary: that is where a
learned "group -> negative" shift changes predictions, as it does with real ambiguous text.

The group term is one salient token (a "person term" of the group, e.g. ``group_b_customer``). Group and sentiment are
drawn independently, so with clean labels the group token carries no signal about the label. Every sentence has
counterfactual twins: the same sentence with the group term replaced by the term at the same position in another
group's list (``group_b_customer`` -> ``group_a_customer``).

Tokenisation is word level (lower-case, split on white space); :class:`WordVocab` maps the closed vocabulary of the
templates and the group terms to ids. Everything is deterministic given the seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "group_a": ("group_a_person", "group_a_customer", "group_a_student", "group_a_visitor"),
    "group_b": ("group_b_person", "group_b_customer", "group_b_student", "group_b_visitor"),
}

TEMPLATES: tuple[str, ...] = (
    "the {g} said the {n1} was {a1} and the {n2} was {a2}",
    "the {g} said the {n1} was {a1} but the {n2} was {a2}",
    "the {n1} was {a1} and the {n2} was {a2} according to the {g}",
    "the {g} found the {n1} {a1} while the {n2} was {a2}",
    "in the view of the {g} the {n1} was {a1} and the {n2} {a2}",
)

NOUNS: tuple[str, ...] = ("food", "service", "room", "staff", "price", "music", "view", "coffee", "lesson", "film",
                          "book", "trip")

# Adjective -> sentiment weight. Symmetric, so positive and negative sentences are equally likely.
ADJECTIVES: dict[str, float] = {
    "superb": 3.0, "excellent": 3.0, "wonderful": 3.0,
    "great": 2.0, "good": 2.0, "pleasant": 2.0,
    "nice": 1.0, "fine": 1.0, "decent": 1.0,
    "awful": -3.0, "terrible": -3.0, "horrible": -3.0,
    "bad": -2.0, "poor": -2.0, "unpleasant": -2.0,
    "dull": -1.0, "bland": -1.0, "mediocre": -1.0,
}

# Modifier -> multiplier of the adjective's weight ("" means no modifier word).
MODIFIERS: dict[str, float] = {"": 1.0, "very": 1.5, "slightly": 0.5}

PAD = "<pad>"
UNK = "<unk>"
_TERM_RE = re.compile(r"^[a-z0-9_]+$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,39}$")
_WEIGHTS = np.array(list(ADJECTIVES.values()))  # indexed like adj1/adj2
_MULTIPLIERS = np.array(list(MODIFIERS.values()))  # indexed like mod1/mod2
_SLOTS: tuple[str, ...] = ("template", "group", "term", "noun1", "noun2", "mod1", "mod2", "adj1", "adj2")


def tokenize(text: str) -> list[str]:
    """Word-level tokens: lower-case, split on white space."""
    return text.lower().split()


@dataclass(frozen=True)
class GroupSpec:
    """Groups and their person terms; ``target`` is the group the biased labellers are biased against."""

    names: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]
    target: str

    @property
    def target_index(self) -> int:
        return self.names.index(self.target)

    def to_dict(self) -> dict:
        return {"groups": {n: list(t) for n, t in zip(self.names, self.terms)}, "target_group": self.target}


def _template_words() -> set[str]:
    words: set[str] = set()
    for template in TEMPLATES:
        words.update(w for w in template.split() if not w.startswith("{"))
    words.update(NOUNS)
    words.update(ADJECTIVES)
    words.update(m for m in MODIFIERS if m)
    return words


def make_groups(groups: Mapping[str, Sequence[str]] | None = None, target: str | None = None) -> GroupSpec:
    """Validate a ``{group name: [person terms]}`` mapping (default :data:`DEFAULT_GROUPS`).

    Terms must be single lower-case words (letters, digits, underscore), distinct across groups and not words of the
    templates. The target group defaults to the second group listed. Raises ``ValueError`` naming the problem.
    """
    if groups is None:
        groups = DEFAULT_GROUPS
    if not isinstance(groups, Mapping) or len(groups) < 2:
        raise ValueError("groups: need a mapping of at least 2 group names to lists of person terms, "
                         f"e.g. {{'group_a': ['group_a_person'], 'group_b': ['group_b_person']}}; got {groups!r}")
    names = tuple(str(n) for n in groups)
    for name in names:
        if not _NAME_RE.match(name):
            raise ValueError(f"groups: name {name!r} is not allowed; names are 1-40 characters: letters, digits, "
                             "space, underscore, dot or hyphen, starting with a letter, digit or underscore")
    reserved = _template_words()
    seen: dict[str, str] = {}
    terms: list[tuple[str, ...]] = []
    for name in names:
        raw = groups[name]
        if isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) == 0:
            raise ValueError(f"groups[{name!r}]: need a non-empty list of person terms; got {raw!r}")
        clean = []
        for term in raw:
            t = str(term).strip().lower()
            if not _TERM_RE.match(t):
                raise ValueError(f"groups[{name!r}]: term {term!r} is not allowed; terms must be single words of "
                                 "letters, digits or underscores")
            if t in reserved:
                raise ValueError(f"groups[{name!r}]: term {term!r} is a word of the sentence templates; "
                                 "choose another word")
            if t in seen:
                raise ValueError(f"groups[{name!r}]: term {term!r} is already a term of group {seen[t]!r}; "
                                 "terms must be distinct across groups")
            seen[t] = name
            clean.append(t)
        terms.append(tuple(clean))
    if target is None:
        target = names[1]
    if target not in names:
        raise ValueError(f"target_group: {target!r} is not one of the groups; allowed: {', '.join(names)}")
    return GroupSpec(names=names, terms=tuple(terms), target=target)


class WordVocab:
    """Closed word-level vocabulary: ``<pad>`` (id 0), ``<unk>`` (id 1), template words, group terms."""

    def __init__(self, groups: GroupSpec) -> None:
        words = sorted(_template_words()) + [t for terms in groups.terms for t in terms]
        self.itos: list[str] = [PAD, UNK] + words
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (n, max_len) right-padded with 0, and each sentence's length (n,)."""
        token_lists = [[self.stoi.get(w, 1) for w in tokenize(t)] for t in texts]
        lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
        ids = np.zeros((len(token_lists), int(lengths.max(initial=1))), dtype=np.int64)
        for i, toks in enumerate(token_lists):
            ids[i, : len(toks)] = toks
        return ids, lengths

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.itos[i] for i in ids if i != 0)


@dataclass(frozen=True)
class FairnessCorpus:
    """Sentences as slot choices (arrays of length n); ``texts`` renders them. Labels are the true labels."""

    groups: GroupSpec
    template: np.ndarray
    group: np.ndarray  # index into groups.names
    term: np.ndarray  # index into that group's term list
    noun1: np.ndarray
    noun2: np.ndarray
    mod1: np.ndarray
    mod2: np.ndarray
    adj1: np.ndarray
    adj2: np.ndarray

    def __len__(self) -> int:
        return int(self.template.shape[0])

    @property
    def score(self) -> np.ndarray:
        """True sentiment score (never 0)."""
        return _WEIGHTS[self.adj1] * _MULTIPLIERS[self.mod1] + _WEIGHTS[self.adj2] * _MULTIPLIERS[self.mod2]

    @property
    def label(self) -> np.ndarray:
        """True label: 1 (positive) when the score is above 0."""
        return (self.score > 0).astype(np.int64)

    @property
    def is_target(self) -> np.ndarray:
        return self.group == self.groups.target_index

    @property
    def group_names(self) -> np.ndarray:
        """Group name of each sentence (for fairlearn's ``sensitive_features``)."""
        return np.array(self.groups.names, dtype=object)[self.group]

    def term_of(self, i: int) -> str:
        g = int(self.group[i])
        return self.groups.terms[g][int(self.term[i])]

    def texts(self) -> list[str]:
        adjs = list(ADJECTIVES)
        mods = list(MODIFIERS)
        out = []
        for i in range(len(self)):
            a1 = (mods[self.mod1[i]] + " " + adjs[self.adj1[i]]).strip()
            a2 = (mods[self.mod2[i]] + " " + adjs[self.adj2[i]]).strip()
            out.append(TEMPLATES[self.template[i]].format(g=self.term_of(i), n1=NOUNS[self.noun1[i]],
                                                         n2=NOUNS[self.noun2[i]], a1=a1, a2=a2))
        return out

    def twin(self, to_group: int | np.ndarray) -> "FairnessCorpus":
        """Counterfactual twins: every sentence with its group term swapped for ``to_group``'s term at the same
        position in that group's list (modulo its length). Everything else is unchanged."""
        to = np.broadcast_to(np.asarray(to_group, dtype=np.int64), self.group.shape).copy()
        sizes = np.array([len(t) for t in self.groups.terms])
        return replace(self, group=to, term=self.term % sizes[to])

    def other_group(self) -> np.ndarray:
        """For each sentence, the next group in the list (cyclically): the twin swap used for two groups."""
        return (self.group + 1) % len(self.groups.names)

    def subset(self, idx: np.ndarray) -> "FairnessCorpus":
        return FairnessCorpus(groups=self.groups, **{f: getattr(self, f)[idx] for f in _SLOTS})


def make_corpus(n: int, seed: int = 0, groups: GroupSpec | Mapping[str, Sequence[str]] | None = None,
                split: int = 0) -> FairnessCorpus:
    """``n`` sentences, group drawn uniformly and independently of sentiment; deterministic given ``seed`` and
    ``split`` (use different splits of one seed for training, test and gold sets)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer; got {n!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer; got {seed!r}")
    spec = groups if isinstance(groups, GroupSpec) else make_groups(groups)
    rng = np.random.default_rng([int(seed), int(split), 0xC0FFEE])
    w, m = _WEIGHTS, _MULTIPLIERS
    sizes = np.array([len(t) for t in spec.terms])
    # Oversample, drop exact-zero scores, keep the first n (order and content depend only on the seed).
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _SLOTS}
    have = 0
    while have < n:
        k = max(2 * (n - have), 64)
        adj1 = rng.integers(0, len(w), k)
        adj2 = rng.integers(0, len(w), k)
        mod1 = rng.integers(0, len(m), k)
        mod2 = rng.integers(0, len(m), k)
        noun1 = rng.integers(0, len(NOUNS), k)
        noun2 = (noun1 + rng.integers(1, len(NOUNS), k)) % len(NOUNS)  # two different nouns
        group = rng.integers(0, len(spec.names), k)
        term_u = rng.random(k)
        template = rng.integers(0, len(TEMPLATES), k)
        term = np.floor(term_u * sizes[group]).astype(np.int64)
        keep = (w[adj1] * m[mod1] + w[adj2] * m[mod2]) != 0
        for key, arr in (("template", template), ("group", group), ("term", term), ("noun1", noun1),
                         ("noun2", noun2), ("mod1", mod1), ("mod2", mod2), ("adj1", adj1), ("adj2", adj2)):
            parts[key].append(arr[keep])
        have += int(keep.sum())
    fields = {k: np.concatenate(v)[:n].astype(np.int64) for k, v in parts.items()}
    return FairnessCorpus(groups=spec, **fields)
