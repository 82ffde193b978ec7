"""A small learned filter: logistic regression over character n-grams.

The rules (``rules.txt``) decide the category; this model only answers *is this a
request at all?* (head ``request``) on wording the rules have never seen.  It is a
binary logistic regression over the set of character 1..``ngram_max``-grams of the
classifier's compact normalised text (``Classifier.normalise``: emoji, mentions and
punctuation removed, synonyms rewritten, marker words appended), wrapped in ``^`` and
``$`` so that openings and endings ("收到$", "^谢谢") are features of their own, plus
one feature for a question mark.

Pure stdlib: training (``nlp/train.py``, ``python3 -m nlp train``) is deterministic
(fixed seed, sorted output) and the model file is plain JSON (``nlp/data/model.json``).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "gridbot-char-ngram-lr"
QUESTION = "<?>"


_DIGITS = str.maketrans("123456789", "000000000")


def features(compact: str, question: bool, ngram_max: int = 3) -> set[str]:
    """Set of character n-grams (1..ngram_max) of ``^compact$`` plus the question flag.

    Digits are folded to ``0``: building, room and phone numbers say nothing about
    whether a message is a request, only that a number is there ("0号楼").
    """
    text = f"^{compact.translate(_DIGITS)}$"
    grams = {text[i : i + n] for n in range(1, ngram_max + 1) for i in range(len(text) - n + 1)}
    grams.discard("^")
    grams.discard("$")
    if question:
        grams.add(QUESTION)
    return grams


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(slots=True)
class Head:
    """One binary logistic regression: ``bias + sum(weights[f] for f in features)``."""

    bias: float
    weights: dict[str, float]

    def logit(self, feats: Iterable[str]) -> float:
        w = self.weights
        return self.bias + sum(w.get(f, 0.0) for f in feats)


@dataclass(slots=True)
class TextModel:
    """The learned filter: feature settings and one head per target."""

    ngram_max: int
    heads: dict[str, Head]
    meta: dict = field(default_factory=dict)
    _joint: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        req = self.heads.get("request", Head(0.0, {})).weights
        urg = self.heads.get("urgent", Head(0.0, {})).weights
        self._joint = {f: (req.get(f, 0.0), urg.get(f, 0.0)) for f in req.keys() | urg.keys()}

    def request_urgent(self, feats: Iterable[str]) -> tuple[float, float]:
        """Logits of the ``request`` and ``urgent`` heads in one pass over the features."""
        r = self.heads["request"].bias if "request" in self.heads else 0.0
        u = self.heads["urgent"].bias if "urgent" in self.heads else -1e9
        joint = self._joint
        for f in feats:
            w = joint.get(f)
            if w is not None:
                r += w[0]
                u += w[1]
        return r, u

    def features(self, compact: str, question: bool) -> set[str]:
        return features(compact, question, self.ngram_max)

    def logit(self, head: str, feats: Iterable[str]) -> float:
        return self.heads[head].logit(feats)

    # ------------------------------------------------------------- (de)serialisation
    def to_json(self) -> str:
        """Deterministic compact JSON (sorted keys, weights rounded to 4 decimals)."""
        doc = {
            "format": FORMAT,
            "ngram_max": self.ngram_max,
            "meta": self.meta,
            "heads": {
                name: {
                    "bias": round(h.bias, 4),
                    "weights": {f: round(w, 4) for f, w in sorted(h.weights.items()) if round(w, 4)},
                }
                for name, h in sorted(self.heads.items())
            },
        }
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, data: str) -> TextModel:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model file")
        heads = {name: Head(float(h["bias"]), dict(h["weights"])) for name, h in doc["heads"].items()}
        return cls(int(doc["ngram_max"]), heads, doc.get("meta", {}))

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TextModel:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- training
def train_head(
    docs: Sequence[set[str]],
    labels: Sequence[int],
    *,
    l2: float = 1e-4,
    epochs: int = 12,
    rate: float = 0.5,
    min_count: int = 2,
    seed: int = 13,
) -> Head:
    """Logistic regression by AdaGrad SGD with L2; deterministic for a given input order.

    Features seen in fewer than ``min_count`` documents are dropped; the two classes
    are weighted to balance (so the bias reflects the evidence, not the class ratio
    of the training pool).
    """
    counts: dict[str, int] = {}
    for d in docs:
        for f in d:
            counts[f] = counts.get(f, 0) + 1
    keep = {f for f, c in counts.items() if c >= min_count}
    rows = [sorted(f for f in d if f in keep) for d in docs]
    pos = sum(labels)
    neg = len(labels) - pos
    cw = {1: len(labels) / (2.0 * pos) if pos else 1.0, 0: len(labels) / (2.0 * neg) if neg else 1.0}
    w: dict[str, float] = dict.fromkeys(sorted(keep), 0.0)
    g2: dict[str, float] = dict.fromkeys(w, 1e-8)
    bias, bias_g2 = 0.0, 1e-8
    order = list(range(len(rows)))
    rng = random.Random(seed)
    n = len(rows)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            row, y = rows[i], labels[i]
            z = bias + sum(w[f] for f in row)
            g = (sigmoid(z) - y) * cw[y]
            bias_g2 += g * g
            bias -= rate * g / math.sqrt(bias_g2)
            for f in row:
                gf = g + l2 * n * w[f] / max(1, counts[f])  # L2 spread over a feature's documents
                g2[f] += gf * gf
                w[f] -= rate * gf / math.sqrt(g2[f])
    return Head(bias, {f: v for f, v in w.items() if abs(v) >= 5e-4})
