"""Quality floors on labelled data (a bit below what the shipped classifier reaches).

The shipped classifier is the rules combined with the learned model (``nlp/data/model.bin``),
trained on train, train2-9, heldout, heldout2, dev and the real training split:
on those sets the figures are in-sample; heldout3-7 and the real evaluation split
(tests/nlp/test_realdata.py) are the honest ones.
"""

import json
from pathlib import Path

from nlp import load_classifier
from nlp.evaluate import evaluate, load_jsonl
from tests.conftest import shared_file

DATA = Path(__file__).resolve().parents[1] / "data"


def _check(path: Path, macro_f1: float, false_tickets: float, urgent_recall: float) -> None:
    report = evaluate(load_jsonl(path), load_classifier())
    summary = json.dumps(report.as_dict(), ensure_ascii=False)[:300]
    assert report.macro_f1 >= macro_f1, summary
    assert report.false_ticket_rate <= false_tickets, summary
    assert report.urgent_recall >= urgent_recall, summary


def test_dev_corpus() -> None:
    _check(shared_file("corpus/dev.jsonl"), macro_f1=0.97, false_tickets=0.02, urgent_recall=0.95)


def test_training_data() -> None:
    # rules alone 0.970 / 1.2 % / 1.00; with the filter 0.973 / 0.0 % / 1.00 (in-sample)
    _check(DATA / "train.jsonl", macro_f1=0.96, false_tickets=0.02, urgent_recall=0.95)


def test_training_data_2() -> None:
    # 873 messages in new voices (mostly hard negatives).  Before training on them (measured
    # once, before the rules or model saw them): 0.823 / 9.2 % / 0.89.  In-sample now:
    # 0.867 / 0.0 % / 0.96; 5-fold CV on this part alone: 0.836 / 6.2 % / 0.89.
    _check(DATA / "train2.jsonl", macro_f1=0.84, false_tickets=0.02, urgent_recall=0.92)


def test_heldout_data() -> None:
    # heldout.jsonl was used for tuning after heldout2.jsonl was written: no longer held out
    _check(DATA / "heldout.jsonl", macro_f1=0.96, false_tickets=0.03, urgent_recall=0.95)


def test_heldout2_data() -> None:
    # Written before the previous round; its errors were studied in this round, so it is
    # no longer held out (0.909 / 16.7 % / 0.80 before, 0.936 / 2.1 % / 1.00 after).
    # With the learned filter (trained on it too): 0.940 / 0.0 % / 1.00.
    _check(DATA / "heldout2.jsonl", macro_f1=0.92, false_tickets=0.03, urgent_recall=0.95)


def test_heldout3_data() -> None:
    # Never trained or tuned on (its errors were never read; totals only).  Rules alone:
    # 0.857 / 19.3 % / 0.81.  Previous filter: 0.889 / 6.4 % / 0.95.  Filter trained with
    # train2 (choices by 5-fold CV on the pool, measured once at the end): 0.897 / 2.8 % / 0.95.
    # After train3 + broadened [urgent] triggers (measured once): 0.893 / 4.6 % / 0.95.
    # Issue 9 (learned model on real text + grid data): 0.935 / 6.4 % / 0.857 -- false tickets ABOVE the 5 %
    # target and urgent recall below 0.9 (18 of 21): a regression on this set, floors only.
    # Issue 9, second pass (request threshold 1.5 by CV, sign-offs dropped): 0.934 / 4.6 % / 0.857 (18 of 21).
    # Third pass (figurative danger words, more danger kinds, train5.jsonl): 0.931 / 4.6 % / 0.857 (18 of 21).
    # Fourth pass (text-only urgent head, train6-9 by four fresh authors; measured once at the end): 0.942 /
    # 3.7 % / 1.000 (21 of 21; urgent precision 0.900 -> 0.778: 6 near misses flagged urgent).
    _check(DATA / "heldout3.jsonl", macro_f1=0.92, false_tickets=0.045, urgent_recall=0.95)


def test_heldout4_data() -> None:
    # Written first in this round, never trained or tuned on, measured once at the end.
    # Previous shipped system: 0.862 / 7.4 % / 0.75.  Now: 0.878 / 1.1 % / 0.81 (n=16
    # urgent).  Regression floors only: urgent recall is still BELOW the 0.9 target here.
    # After train3 + broadened [urgent] triggers (measured once): 0.890 / 2.1 % / 0.81 (unchanged, 13/16).
    # Issue 9 (learned model): 0.925 / 3.2 % / 0.81 (13/16).  Second pass: 0.907 / 3.2 % / 0.75 (12/16): the
    # request threshold 1.5 (was 1.0) costs recall here; 2.0 gave macro-F1 0.888 and was not shipped.
    # Third pass (figurative danger words excluded, more danger kinds, train5.jsonl; measured once at the
    # end): 0.890 / 3.2 % / 0.81 (13/16) -- macro-F1 fell below the old 0.90 floor (target 0.85): floor 0.88.
    # Fourth pass (measured once at the end): 0.890 / 3.2 % / 0.875 (14/16) -- still below 0.9 here.
    _check(DATA / "heldout4.jsonl", macro_f1=0.88, false_tickets=0.04, urgent_recall=0.85)


def test_training_data_3() -> None:
    # 209 messages (169 urgent of every kind, indirect wording; 40 near-miss negatives).
    # Rules before the broadened [urgent] triggers: urgent recall 0.44; now in-sample 0.545 / 8.3 % / 0.97.
    _check(DATA / "train3.jsonl", macro_f1=0.52, false_tickets=0.12, urgent_recall=0.95)


def test_heldout5_data() -> None:
    # Written first in this round (58 urgent, 32 non-urgent requests, 32 none), never trained
    # or tuned on, measured once at the end: 0.714 / 18.8 % / 0.948 (urgent precision 0.932).
    # Caveat: same author as train3.jsonl.  False tickets here are far above the other sets.
    # Issue 9 (learned model): 0.744 / 15.6 % / 0.914 (urgent precision 0.930); second pass 0.743 / 15.6 % / 0.914.
    # Third pass (figurative danger words excluded): 0.744 / 15.6 % / 0.897 (52 of 58; precision 0.929).
    # Fourth pass: 0.756 / 12.5 % / 0.983 (57 of 58; precision 0.966).
    _check(DATA / "heldout5.jsonl", macro_f1=0.73, false_tickets=0.14, urgent_recall=0.95)


def test_heldout6_data() -> None:
    # Written at the start of the fourth pass by an author who read neither the rules nor any data set (123
    # emergencies, 95 near misses, 218 chit-chat lines, 173 of them with danger words); never trained or tuned
    # on, near-repeats dropped from the training sets written after it.  Before the pass: 0.728 / 11.0 % /
    # 0.667, chit-chat urgent 13 of 218, urgent precision 0.820.  After (measured once at the end): 0.757 /
    # 5.5 % / 0.894 (110 of 123), chit-chat urgent 3 of 218, precision 0.973.  Urgent recall below 0.9 here.
    _check(DATA / "heldout6.jsonl", macro_f1=0.74, false_tickets=0.065, urgent_recall=0.88)


def test_heldout7_data() -> None:
    # Written after the fourth pass by another author who read neither rules nor data (106 emergencies, many
    # described indirectly; 110 alarming-sounding requests; 200 chit-chat lines, 120 with danger words); never
    # trained or tuned on.  The fourth pass on it (its first measurement): 0.769 / 4.0 % / 0.953 (101 of 106),
    # urgent precision 0.944, chit-chat urgent 0 of 200 (rules alone: recall 0.670, 5 of 200).  After the fifth
    # pass's [urgent] lines (read off train10/11, not off this set): 0.767 / 4.5 % / 0.953, 0 of 200.
    _check(DATA / "heldout7.jsonl", macro_f1=0.75, false_tickets=0.05, urgent_recall=0.93)


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
