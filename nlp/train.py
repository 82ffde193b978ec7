"""Train the learned request filter (``nlp/data/model.json``); 5-fold cross-validation.

``python3 -m nlp train``            retrain from the training pool and write the model file
``python3 -m nlp train --cv``       also print 5-fold cross-validation on the pool

Evaluation protocol (see nlp/README.md): the training pool is ``tests/data/train.jsonl``,
``train2.jsonl``, ``heldout.jsonl``, ``heldout2.jsonl`` and the shared ``dev.jsonl``.
``tests/data/heldout3.jsonl`` and ``heldout4.jsonl`` are never trained or tuned on.
Hyper-parameters (``PARAMS``) were chosen by the cross-validation below, not on heldout3.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from pathlib import Path

from nlp._text import has_question
from nlp.classifier import DEFAULT_MODEL, Classifier
from nlp.evaluate import Report, evaluate, load_jsonl
from nlp.model import TextModel, features, train_head

ROOT = Path(__file__).resolve().parents[1]
DEV_PATH = ROOT.parent / "shared/corpus/dev.jsonl"
POOL = (
    ROOT / "tests/data/train.jsonl",
    ROOT / "tests/data/train2.jsonl",
    ROOT / "tests/data/train3.jsonl",
    ROOT / "tests/data/heldout.jsonl",
    ROOT / "tests/data/heldout2.jsonl",
    DEV_PATH,
)
NEVER_TRAIN = ("heldout3.jsonl", "heldout4.jsonl", "heldout5.jsonl")
HEADS = {
    "request": lambda rec: int(rec["label"] != "none"),
    "urgent": lambda rec: int(bool(rec.get("urgent", False))),
}

# Chosen by 5-fold CV on the pool (``python3 -m nlp train --cv``; log-loss of the request head).
PARAMS = {"ngram_max": 2, "l2": 1e-4, "epochs": 12, "rate": 0.5, "min_count": 2}
# Per-head overrides, chosen by the urgent head's own 5-fold CV log-loss (0.0425 -> 0.0338).
HEAD_PARAMS = {"urgent": {"l2": 3e-4, "epochs": 20}}
SEED = 13


def rules_only() -> Classifier:
    """The shipped rules without the learned filter (its features use their normalisation)."""
    return Classifier.from_files(use_model=False)


def load_pool(paths: Sequence[Path] = POOL) -> list[dict]:
    """Labelled records of the training pool (missing optional files are skipped)."""
    records: list[dict] = []
    for path in paths:
        if path.name in NEVER_TRAIN:
            raise ValueError(f"{path.name} is never trained on")
        if path.exists():
            records += load_jsonl(path)
    return records


def featurise(records: Sequence[dict], clf: Classifier, ngram_max: int) -> list[set[str]]:
    return [features(clf.normalise(r["text"]), has_question(r["text"]), ngram_max) for r in records]


def _fit(docs: Sequence[set[str]], y: Sequence[int], p: dict, head: str = "request"):
    p = {**p, **HEAD_PARAMS.get(head, {})}
    return train_head(
        docs, y, l2=p["l2"], epochs=p["epochs"], rate=p["rate"], min_count=p["min_count"], seed=SEED
    )


def train(records: Sequence[dict], clf: Classifier, params: dict | None = None) -> TextModel:
    """Fit both heads (request: label != none; urgent) on ``records``."""
    p = {**PARAMS, **(params or {})}
    docs = featurise(records, clf, p["ngram_max"])
    heads = {name: _fit(docs, [target(r) for r in records], p, name) for name, target in HEADS.items()}
    meta = {"trained_on": len(records), "params": {k: p[k] for k in sorted(p)}, "seed": SEED,
            "head_params": HEAD_PARAMS}
    return TextModel(p["ngram_max"], heads, meta)


def folds(n: int, k: int = 5, seed: int = SEED) -> list[list[int]]:
    """``k`` folds of line indices, shuffled with a fixed seed."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [sorted(idx[i::k]) for i in range(k)]


def out_of_fold_logits(
    records: Sequence[dict], clf: Classifier, params: dict | None = None, k: int = 5
) -> dict[str, list[float]]:
    """Per head, the logit of every record from the model trained on the other folds."""
    p = {**PARAMS, **(params or {})}
    docs = featurise(records, clf, p["ngram_max"])
    out = {name: [0.0] * len(records) for name in HEADS}
    for fold in folds(len(records), k):
        test = set(fold)
        tr = [i for i in range(len(records)) if i not in test]
        for name, target in HEADS.items():
            head = _fit([docs[i] for i in tr], [target(records[i]) for i in tr], p, name)
            for i in fold:
                out[name][i] = head.logit(docs[i])
    return out


def model_metrics(records: Sequence[dict], logits: Sequence[float], head: str = "request") -> dict:
    """Model-alone metrics of one head: accuracy, log-loss, recall, false-positive rate."""
    y = [HEADS[head](r) for r in records]
    ll = 0.0
    correct = fp = neg = tp = pos = 0
    for yi, z in zip(y, logits, strict=True):
        prob = min(max(1 / (1 + math.exp(-z)), 1e-6), 1 - 1e-6)
        ll -= math.log(prob if yi else 1 - prob)
        correct += (z > 0) == bool(yi)
        if yi:
            pos += 1
            tp += z > 0
        else:
            neg += 1
            fp += z > 0
    return {
        "accuracy": correct / len(y),
        "log_loss": ll / len(y),
        "recall": tp / max(1, pos),
        "false_positive_rate": fp / max(1, neg),
    }


class _OutOfFold:
    """Rules + the out-of-fold logits of each record: the combined system under CV."""

    def __init__(self, clf: Classifier, records: Sequence[dict], logits: dict[str, list[float]]):
        self._clf = clf
        self._logits = {r["text"]: (logits["request"][i], logits["urgent"][i]) for i, r in enumerate(records)}

    def classify(self, text: str):
        result = self._clf.classify_rules(text)
        if not self._clf.normalise(text):
            return result
        return self._clf._combine(result, *self._logits[text])


def cross_validate(records: Sequence[dict], clf: Classifier, params: dict | None = None) -> tuple[dict, Report]:
    """5-fold CV: model-alone metrics per head and the combined system's evaluation report."""
    logits = out_of_fold_logits(records, clf, params)
    alone = {name: model_metrics(records, logits[name], name) for name in HEADS}
    return alone, evaluate(records, _OutOfFold(clf, records, logits))  # type: ignore[arg-type]


def _summary(rep: Report) -> str:
    return (f"macro-F1 {rep.macro_f1:.3f}  false tickets {rep.false_ticket_rate:.1%}  "
            f"urgent recall {rep.urgent_recall:.3f}  urgent precision {rep.urgent_precision:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m nlp train")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--cv", action="store_true", help="also print 5-fold cross-validation on the pool")
    args = parser.parse_args(argv)
    clf = rules_only()
    pool = load_pool()
    if args.cv:
        alone, rep = cross_validate(pool, clf)
        for name, m in alone.items():
            print(f"5-fold CV, {name} head alone: " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()))
        print("5-fold CV, rules alone:     " + _summary(evaluate(pool, clf)))
        print("5-fold CV, rules + model:   " + _summary(rep))
    model = train(pool, clf)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    weights = sum(len(h.weights) for h in model.heads.values())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {weights} weights, "
          f"trained on {len(pool)} messages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
