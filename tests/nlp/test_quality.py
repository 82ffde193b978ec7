"""Quality floors on labelled data (a bit below what the shipped rules reach)."""

import json
from pathlib import Path

import pytest

from nlp import load_classifier
from nlp.evaluate import evaluate, load_jsonl

DATA = Path(__file__).resolve().parents[1] / "data"
DEV = Path(__file__).resolve().parents[2].parent / "shared/corpus/dev.jsonl"


def _check(path: Path, macro_f1: float, false_tickets: float, urgent_recall: float) -> None:
    report = evaluate(load_jsonl(path), load_classifier())
    summary = json.dumps(report.as_dict(), ensure_ascii=False)[:300]
    assert report.macro_f1 >= macro_f1, summary
    assert report.false_ticket_rate <= false_tickets, summary
    assert report.urgent_recall >= urgent_recall, summary


@pytest.mark.skipif(not DEV.exists(), reason="shared dev corpus not available")
def test_dev_corpus() -> None:
    _check(DEV, macro_f1=0.97, false_tickets=0.02, urgent_recall=0.95)


def test_training_data() -> None:
    _check(DATA / "train.jsonl", macro_f1=0.96, false_tickets=0.03, urgent_recall=0.95)


def test_heldout_data() -> None:
    # heldout.jsonl was used for tuning after heldout2.jsonl was written: no longer held out
    _check(DATA / "heldout.jsonl", macro_f1=0.96, false_tickets=0.03, urgent_recall=0.95)


def test_heldout2_data() -> None:
    # Written before any rule change of this round and never tuned on; measured once
    # mid-way (F1 0.905 / 16.7 % / 0.60) and at the end (0.909 / 16.7 % / 0.80).
    # These floors only guard against regressions; the targets (0.85 / 5 % / 0.9) are
    # not met on false tickets and urgent recall.
    _check(DATA / "heldout2.jsonl", macro_f1=0.88, false_tickets=0.20, urgent_recall=0.73)


def test_labelled_data_is_well_formed() -> None:
    from nlp import CATEGORIES

    total = 0
    for path in sorted(DATA.glob("*.jsonl")):
        for rec in load_jsonl(path):
            assert set(rec) == {"text", "label", "urgent"}, rec
            assert rec["label"] in CATEGORIES and isinstance(rec["urgent"], bool), rec
            assert not rec["urgent"] or rec["label"] != "none", rec
            total += 1
    assert total >= 2000
