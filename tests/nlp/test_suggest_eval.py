"""Learning from corrections and the evaluation report."""

from nlp import load_classifier
from nlp.evaluate import evaluate
from nlp.rules import parse_rules
from nlp.suggest import suggest


def test_suggest_mines_new_keywords_only() -> None:
    clf = load_classifier()
    corrections = [
        ("小区的售货机吞钱了 不出货", "none", "other"),
        ("门口的售货机又吞钱了", "none", "other"),
        ("售货机坏了谁管", "property", "other"),
        ("快递柜打不开", "other", "other"),  # unchanged label: ignored
    ]
    out = suggest(corrections, clf, min_support=2)
    keywords = {(s.category, s.keyword) for s in out}
    assert ("other", "售货机") in keywords
    top = next(s for s in out if s.keyword == "售货机")
    assert top.support == 3 and top.examples
    line = top.rule_line()
    rs = parse_rules("[other]\n" + line + "\n", "pasted")
    assert rs.rules[0].groups == (("售货机",),)
    # already-known keywords are never suggested
    assert all(s.keyword not in clf.rules.keywords_of(s.category) for s in out)


def test_evaluate_report() -> None:
    records = [
        {"text": "车棚的充电桩坏了", "label": "charging", "urgent": False},
        {"text": "收到", "label": "none", "urgent": False},
        {"text": "谢谢", "label": "none", "urgent": False},
        {"text": "3号楼楼道里一股煤气味", "label": "safety", "urgent": True},
    ]
    report = evaluate(records, load_classifier())
    assert report.total == 4
    assert report.false_ticket_rate == 0.0
    assert report.urgent_recall == 1.0
    assert report.per_category["charging"].support == 1
    text = report.format()
    assert "macro-F1" in text and "confusion" in text and "charging" in text
    assert report.as_dict()["confusion"]["none"]["none"] == 2
