"""The learned model behind the rules: request vs chatter, the category, urgency.

Three linear heads over one sparse binary feature set of a message:

* character 1-2-grams of ``^compact$`` (the classifier's normalised text, digits folded to 0):
  robust to typos, dialect and unknown words;
* jieba word unigrams and bigrams of the same text (``w:`` / ``b:``): word boundaries, so that
  火锅 is not 火 and 晕车 is not 晕;
* what the rules decided (``r:`` category, binned none / request / danger evidence) and a question
  mark: the rules stay the explainable layer and the model learns how far to trust them.

Heads: ``request`` (logistic, label != none), ``category`` (multinomial logistic over the ticket
categories, trained on lines whose category is known), ``urgent`` (logistic over the text features
only, not the rules' decision: an independent second opinion on the rules' danger words).

Why scikit-learn's linear models: well kept, deterministic (lbfgs on a fixed input order), fast to
train on ~10 k lines, and a linear model over n-grams is what short noisy texts need (fastText would
add a binary dependency and an embedding file tens of MB large).  scikit-learn is used only for
training (``nlp/train.py``); the weights are exported to ``data/model.bin`` (a JSON header with the
vocabulary and a float16 matrix) and scored here with numpy, so start-up never imports sklearn.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np

FORMAT = "gridbot-linear-v2"
MAGIC = b"GBLM2\n"
QUESTION = "<?>"
_DIGITS = str.maketrans("123456789", "000000000")


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# Features that carry the rules' decision (see ``features``): the urgent head is trained without them.
RULE_PREFIXES = ("r:", "rn:", "rq:", "ru:")


def _bin(value: float) -> str:
    return "0" if value <= 0 else "1" if value < 2 else "2" if value < 4 else "3"


def features(compact: str, tokens: Sequence[str], question: bool, rules: tuple[str, float, float, float]) -> set[str]:
    """The feature set of a message.

    ``compact``: normalised compact text; ``tokens``: its jieba tokens; ``rules``: (rules' category,
    none score, request score, danger score).
    """
    text = f"^{compact.translate(_DIGITS)}$"
    feats = {text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)}
    feats.discard("^")
    feats.discard("$")
    words = [t.translate(_DIGITS) for t in tokens if t != "|"]
    feats.update("w:" + w for w in words)
    feats.update(f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    category, none, request, danger = rules
    feats.add("r:" + category)
    feats.add("rn:" + _bin(none))
    feats.add("rq:" + _bin(request))
    feats.add("ru:" + _bin(danger))
    if question:
        feats.add(QUESTION)
    return feats


@dataclass(slots=True)
class Scores:
    """The model's view of one message."""

    request: float  # logit of "a request"
    urgent: float  # logit of "urgent"
    logits: list[float]  # category logits, in the model's category order
    categories: list[str]
    ids: list[int] = field(default_factory=list, repr=False)

    @property
    def category(self) -> dict[str, float]:
        """Probability per ticket category (softmax; sums to 1)."""
        top = max(self.logits)
        exps = [math.exp(v - top) for v in self.logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.categories, exps, strict=True)}


@dataclass(slots=True)
class LinearModel:
    """Vocabulary, weight matrix (features x heads) and biases; scoring in numpy."""

    vocab: list[str]
    categories: list[str]
    weights: np.ndarray  # float32, shape (len(vocab), 2 + len(categories)): request, urgent, categories...
    bias: np.ndarray  # float32, shape (2 + len(categories),)
    meta: dict = field(default_factory=dict)
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    _padded: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self._index = {f: i for i, f in enumerate(self.vocab)}
        # one extra all-zero row (index len(vocab)) for unknown features: lookups stay in C
        self._padded = np.vstack([self.weights, np.zeros((1, self.weights.shape[1]), dtype=np.float32)])

    def ids(self, feats: Iterable[str]) -> list[int]:
        unknown = len(self.vocab)
        return [i for i in map(self._index.get, feats, repeat(unknown)) if i != unknown]

    def score(self, feats: Iterable[str]) -> Scores:
        ids = list(map(self._index.get, feats, repeat(len(self.vocab))))
        z = (self.bias + self._padded.take(ids, axis=0).sum(axis=0)).tolist()
        return Scores(z[0], z[1], z[2:], self.categories, ids)

    def explain(self, ids: Sequence[int], category: str, n: int = 3) -> tuple[str, ...]:
        """The words (jieba tokens) that pushed most toward ``category``: a ticket's keywords."""
        col = 2 + self.categories.index(category)
        known = [i for i in ids if i < len(self.vocab)]
        words = [(float(self.weights[i, col]), self.vocab[i][2:]) for i in known if self.vocab[i].startswith("w:")]
        words = [(w, t) for w, t in words if w > 0 and len(t) > 1]
        return tuple(t for _, t in sorted(words, key=lambda x: (-x[0], x[1]))[:n])

    # ------------------------------------------------------------- (de)serialisation
    def to_bytes(self) -> bytes:
        """Deterministic bytes: magic, header length, sorted JSON header, float16 matrix, float32 bias."""
        header = json.dumps(
            {"format": FORMAT, "vocab": self.vocab, "categories": self.categories, "meta": self.meta},
            ensure_ascii=False, sort_keys=True, separators=(",", ":"),
        ).encode("utf-8")
        matrix = np.ascontiguousarray(self.weights, dtype="<f2").tobytes()
        bias = np.ascontiguousarray(self.bias, dtype="<f4").tobytes()
        return MAGIC + struct.pack("<I", len(header)) + header + matrix + bias

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        if not data.startswith(MAGIC):
            raise ValueError(f"not a {FORMAT} model file")
        (size,) = struct.unpack_from("<I", data, len(MAGIC))
        start = len(MAGIC) + 4
        doc = json.loads(data[start : start + size].decode("utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model file")
        rows, cols = len(doc["vocab"]), 2 + len(doc["categories"])
        offset = start + size
        if len(data) != offset + rows * cols * 2 + cols * 4:
            raise ValueError("model file is truncated or has trailing bytes")
        weights = np.frombuffer(data, dtype="<f2", count=rows * cols, offset=offset).reshape(rows, cols)
        bias = np.frombuffer(data, dtype="<f4", count=cols, offset=offset + rows * cols * 2)
        return cls(doc["vocab"], doc["categories"], weights.astype(np.float32), bias.astype(np.float32),
                   doc.get("meta", {}))

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        return cls.from_bytes(Path(path).read_bytes())


def data_hash(records: Iterable[dict]) -> str:
    """SHA-256 over the training lines (text, label, urgent) in order: recorded in the model's meta."""
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps([r["text"], r["label"], bool(r.get("urgent"))], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
