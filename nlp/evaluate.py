"""Evaluate a classifier on labelled records (``{"text", "label", "urgent"}``).

``label`` is a TAXONOMY code, ``none``, or ``request`` (a real request whose category is unknown: any
ticket category counts as right for it; it has its own row in the confusion table and is left out of
macro-F1).  :func:`real_table` computes the figures of issue 9 on real text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlp.classifier import Classifier
from nlp.rules import CATEGORIES

GOLD_LABELS = (*CATEGORIES, "request")


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
    requests_recognised: float = 0.0  # share of gold requests (any category) predicted as a ticket
    request_support: int = 0

    def worst(self, n: int = 10) -> list[dict]:
        """The ``n`` most confident mistakes (a wrong decision the classifier was sure of)."""
        return sorted(self.errors, key=lambda e: (-e["confidence"], e["text"]))[:n]

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
            f"requests recognised as requests: {self.requests_recognised:.1%} (n={self.request_support})",
            "",
            f"{'category':<12} {'prec':>6} {'recall':>6} {'f1':>6} {'support':>7}",
        ]
        for code, s in self.per_category.items():
            if not s.support and not s.precision:
                continue
            lines.append(
                f"{code:<12} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.support:>7d}"
            )
        codes = list(CATEGORIES)
        abbrev = [c[:5] for c in codes]
        lines += ["", "confusion (rows = gold, columns = predicted):"]
        lines.append(f"{'':<12}" + "".join(f"{a:>6}" for a in abbrev))
        for gold in GOLD_LABELS:
            row = self.confusion.get(gold, {})
            if gold == "request" and not any(row.values()):
                continue
            lines.append(f"{gold:<12}" + "".join(f"{row.get(p, 0):>6d}" for p in codes))
        return "\n".join(lines)

    def format_worst(self, n: int = 10) -> str:
        """The most confident mistakes, one per line."""
        out = [f"worst {min(n, len(self.errors))} of {len(self.errors)} mistakes (most confident first):"]
        for e in self.worst(n):
            urgent = "" if e["gold_urgent"] == e["urgent"] else f" urgent {e['gold_urgent']}->{e['urgent']}"
            out.append(f"  {e['gold']:>11} -> {e['pred']:<11} {e['confidence']:.2f}{urgent}  {e['text'][:80]}")
        return "\n".join(out)


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def evaluate(records: Iterable[dict], classifier: Classifier) -> Report:
    """Classify every record and compare with its gold ``label`` / ``urgent``."""
    codes = list(CATEGORIES)
    confusion: dict[str, dict[str, int]] = {g: {p: 0 for p in codes} for g in GOLD_LABELS}
    urgent_tp = urgent_gold = urgent_pred = 0
    total = correct = 0
    req_gold = req_found = 0
    errors: list[dict] = []
    for rec in records:
        gold = rec["label"]
        if gold not in GOLD_LABELS:
            raise ValueError(f"unknown label {gold!r} in record {rec!r}")
        result = classifier.classify(rec["text"])
        confusion[gold][result.category] += 1
        total += 1
        right = result.is_request if gold == "request" else result.category == gold
        correct += right
        if gold != "none":
            req_gold += 1
            req_found += result.is_request
        gold_urgent = bool(rec.get("urgent", False))
        urgent_gold += gold_urgent
        urgent_pred += result.urgent
        urgent_tp += gold_urgent and result.urgent
        if not right or result.urgent != gold_urgent:
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
        requests_recognised=_safe_div(req_found, req_gold),
        request_support=req_gold,
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


# --------------------------------------------------------------------------- issue 9's table on real text
@dataclass
class RealTable:
    """The figures of issue 9, measured on real labelled lines (``nlp.realdata``)."""

    rows: list[tuple[str, float, int, str]]  # (figure, value, n, target)

    def format(self) -> str:
        out = [f"{'figure (real text)':<62} {'value':>8} {'n':>6}  target"]
        for name, value, n, target in self.rows:
            shown = f"{value:.1f}" if name.startswith("urgent false alarms") else f"{value:.1%}"
            out.append(f"{name:<62} {shown:>8} {n:>6}  {target}")
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {name: {"value": round(v, 4), "n": n, "target": t} for name, v, n, t in self.rows}


def real_table(records: Iterable[dict], classifier: Classifier) -> RealTable:
    """Issue 9's figures on real labelled lines (``label`` ``none`` = chatter).

    * requests recognised: gold not ``none`` predicted as any ticket;
    * without the closing sentence: hotline requests with the operator's "请…处理" sentence removed
      (:func:`nlp.realdata.strip_closing`; lines without one are used as they are);
    * one-line titles: request lines of at most 30 characters (short hotline summaries such as
      "板桥横路某厂停电的问题", short questions); a board post's first clause is usually a salutation or
      the sender's address, not a title, so none are derived (:func:`nlp.realdata.title_of` is kept for
      files that carry real titles);
    * category agreement: lines whose label is a category (not ``request``), prediction equal;
    * chatter: false tickets, false tickets on chatter containing a topic word, urgent per 1,000;
    * trailing 谢谢: of the recognised requests, the share that "，谢谢" appended turns into ``none``.
    """
    from nlp.realdata import COURTESY, TOPIC_WORDS, strip_closing

    records = list(records)
    requests = [r for r in records if r["label"] != "none"]
    chatter = [r for r in records if r["label"] == "none"]
    cls = classifier.classify
    recognised = [r for r in requests if cls(r["text"]).is_request]
    hotline = [r for r in requests if r.get("group") == "hotline"]
    stripped = [strip_closing(r["text"]) for r in hotline]
    titles = [r["text"] for r in requests if len(r["text"]) <= 30]
    categorised = [r for r in requests if r["label"] in CATEGORIES]
    hot_cat = [r for r in hotline if r["label"] in CATEGORIES]
    chat_results = [cls(r["text"]) for r in chatter]
    topical = [r for r in chatter if any(w in r["text"] for w in TOPIC_WORDS)]
    flips = [r for r in recognised if not cls(r["text"].rstrip("。.!！ ") + COURTESY).is_request]

    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    rows = [
        ("real requests recognised as requests", share(len(recognised), len(requests)), len(requests), ">= 90%"),
        ("hotline requests without the closing sentence", share(sum(cls(t).is_request for t in stripped),
                                                                len(stripped)), len(stripped), ">= 85%"),
        ("one-line titles recognised", share(sum(cls(t).is_request for t in titles), len(titles)),
         len(titles), ">= 85%"),
        ("category agrees with the hotline's (mapped) category",
         share(sum(cls(r["text"]).category == r["label"] for r in hot_cat), len(hot_cat)), len(hot_cat), ">= 75%"),
        ("category agrees, all real lines with a mapped category",
         share(sum(cls(r["text"]).category == r["label"] for r in categorised), len(categorised)),
         len(categorised), "-"),
        ("false tickets on real chit-chat", share(sum(c.is_request for c in chat_results), len(chatter)),
         len(chatter), "<= 3%"),
        ("false tickets on chit-chat with a grid topic word",
         share(sum(cls(r["text"]).is_request for r in topical), len(topical)), len(topical), "<= 10%"),
        ("urgent false alarms per 1,000 chit-chat lines",
         1000 * share(sum(c.urgent for c in chat_results), len(chatter)), len(chatter), "<= 1"),
        ("recognised requests that a trailing '，谢谢' turns into chatter", share(len(flips), len(recognised)),
         len(recognised), "<= 2%"),
    ]
    return RealTable(rows)
