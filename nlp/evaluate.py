"""Evaluate a classifier on labelled records (``{"text", "label", "urgent"}``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlp.classifier import Classifier
from nlp.rules import CATEGORIES


@dataclass
class CategoryScore:
    """Precision / recall / F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    """Evaluation results; ``format()`` is what ``gridbot eval FILE.jsonl`` prints."""

    total: int
    accuracy: float
    per_category: dict[str, CategoryScore]
    macro_f1: float
    false_ticket_rate: float  # share of gold `none` predicted as a request
    urgent_recall: float
    urgent_precision: float
    urgent_support: int
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready representation (errors excluded)."""
        return {
            "total": self.total,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "false_ticket_rate": round(self.false_ticket_rate, 4),
            "urgent_recall": round(self.urgent_recall, 4),
            "urgent_precision": round(self.urgent_precision, 4),
            "urgent_support": self.urgent_support,
            "per_category": {
                c: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for c, s in self.per_category.items()
            },
            "confusion": self.confusion,
        }

    def format(self) -> str:
        """Readable fixed-width report with a per-category table and the confusion table."""
        lines = [
            f"messages: {self.total}   accuracy: {self.accuracy:.3f}   macro-F1: {self.macro_f1:.3f}",
            f"false tickets on none: {self.false_ticket_rate:.1%}   "
            f"urgent recall: {self.urgent_recall:.3f} (n={self.urgent_support})   "
            f"urgent precision: {self.urgent_precision:.3f}",
            "",
            f"{'category':<12} {'prec':>6} {'recall':>6} {'f1':>6} {'support':>7}",
        ]
        for code, s in self.per_category.items():
            lines.append(
                f"{code:<12} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.support:>7d}"
            )
        codes = list(CATEGORIES)
        abbrev = [c[:5] for c in codes]
        lines += ["", "confusion (rows = gold, columns = predicted):"]
        lines.append(f"{'':<12}" + "".join(f"{a:>6}" for a in abbrev))
        for gold in codes:
            row = self.confusion.get(gold, {})
            lines.append(f"{gold:<12}" + "".join(f"{row.get(p, 0):>6d}" for p in codes))
        return "\n".join(lines)


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def evaluate(records: Iterable[dict], classifier: Classifier) -> Report:
    """Classify every record and compare with its gold ``label`` / ``urgent``."""
    codes = list(CATEGORIES)
    confusion: dict[str, dict[str, int]] = {g: {p: 0 for p in codes} for g in codes}
    urgent_tp = urgent_gold = urgent_pred = 0
    total = correct = 0
    errors: list[dict] = []
    for rec in records:
        gold = rec["label"]
        if gold not in CATEGORIES:
            raise ValueError(f"unknown label {gold!r} in record {rec!r}")
        result = classifier.classify(rec["text"])
        confusion[gold][result.category] += 1
        total += 1
        correct += result.category == gold
        gold_urgent = bool(rec.get("urgent", False))
        urgent_gold += gold_urgent
        urgent_pred += result.urgent
        urgent_tp += gold_urgent and result.urgent
        if result.category != gold or result.urgent != gold_urgent:
            errors.append(
                {
                    "text": rec["text"],
                    "gold": gold,
                    "pred": result.category,
                    "gold_urgent": gold_urgent,
                    "urgent": result.urgent,
                    "confidence": round(result.confidence, 3),
                    "keywords": list(result.keywords),
                }
            )
    per_category: dict[str, CategoryScore] = {}
    for code in codes:
        tp = confusion[code][code]
        support = sum(confusion[code].values())
        predicted = sum(confusion[g][code] for g in codes)
        precision = _safe_div(tp, predicted)
        recall = _safe_div(tp, support)
        f1 = _safe_div(2 * precision * recall, precision + recall)
        per_category[code] = CategoryScore(precision, recall, f1, support)
    present = [s for s in per_category.values() if s.support]
    none_total = sum(confusion["none"].values())
    false_tickets = none_total - confusion["none"]["none"]
    return Report(
        total=total,
        accuracy=_safe_div(correct, total),
        per_category=per_category,
        macro_f1=_safe_div(sum(s.f1 for s in present), len(present)),
        false_ticket_rate=_safe_div(false_tickets, none_total),
        urgent_recall=_safe_div(urgent_tp, urgent_gold),
        urgent_precision=_safe_div(urgent_tp, urgent_pred),
        urgent_support=urgent_gold,
        confusion=confusion,
        errors=errors,
    )


def load_jsonl(path: Path) -> list[dict]:
    """Read a JSONL file of labelled records (blank lines ignored)."""
    records = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: invalid JSON: {exc}") from None
    return records
