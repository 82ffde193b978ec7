"""The real corpus: frozen evaluation split, label fixes as data, and issue 9's figures on the split."""

import pytest

from nlp import CATEGORIES, load_classifier
from nlp.evaluate import GOLD_LABELS, evaluate, real_table
from nlp.realdata import (
    EVAL_IDS,
    LABEL_FIXES,
    eval_keys,
    load_label_fixes,
    load_real,
    real_split,
    split_keys,
    strip_closing,
    title_of,
)
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def real() -> list[dict]:
    shared_file("corpus/real/train.jsonl")
    return load_real()


def test_frozen_split_is_the_seeded_stratified_split(real: list[dict]) -> None:
    # eval_ids.txt is committed; it must stay what the seeded split gives (a changed corpus shows here)
    assert sorted(eval_keys()) == split_keys(real), f"{EVAL_IDS} differs from split_keys(load_real())"
    train, evaluation = real_split(real)
    assert len(train) + len(evaluation) == len(real) and 0.2 < len(evaluation) / len(real) < 0.3
    for group in {r["group"] for r in real}:  # every source is in both parts
        assert any(r["group"] == group for r in evaluation) and any(r["group"] == group for r in train)


def test_label_fixes_are_data_with_reasons(real: list[dict]) -> None:
    by_key = {r["key"]: r for r in real}
    fixes = load_label_fixes()
    assert fixes, LABEL_FIXES
    for fix in fixes:
        rec = by_key[fix["key"]]  # the fixed line exists ...
        assert rec["text"] == fix["text"] and rec["corpus_label"] == fix["was"]
        assert rec["label"] == fix["label"] != fix["was"] and fix["label"] in GOLD_LABELS  # ... and is fixed
        assert len(fix["reason"]) > 20


def test_split_does_not_depend_on_fixes(real: list[dict]) -> None:
    relabelled = [dict(r, label="none") for r in real]  # stratification uses the corpus's own label
    assert split_keys(relabelled) == split_keys(real)


def test_closing_sentence_and_titles() -> None:
    assert strip_closing("龙华区某路口路灯不亮，请市政部门核实处理，谢谢！") == "龙华区某路口路灯不亮"
    assert strip_closing("海府路口的路灯不亮。望相关部门尽快处理。") == "海府路口的路灯不亮"
    assert strip_closing("路灯不亮好几天了") == "路灯不亮好几天了"
    assert title_of("XX小区停车位被长期占用，业主无处停车。") == "XX小区停车位被长期占用"
    assert title_of("书记您好，…") is None
    assert title_of("尊敬的书记您好：我村从八月起一直停气，无法做饭") == "我村从八月起一直停气"


def test_issue_figures_on_the_evaluation_split(real: list[dict]) -> None:
    # Never trained or tuned on.  Floors a little below what the shipped model reaches (README table).
    evaluation = real_split(real)[1]
    clf = load_classifier()
    table = {name: value for name, value, _n, _t in real_table(evaluation, clf).rows}
    assert table["real requests recognised as requests"] >= 0.90, table
    assert table["hotline requests without the closing sentence"] >= 0.85, table
    assert table["one-line titles recognised"] >= 0.85, table
    assert table["category agrees with the hotline's (mapped) category"] >= 0.75, table
    assert table["false tickets on real chit-chat"] <= 0.03, table
    assert table["false tickets on chit-chat with a grid topic word"] <= 0.10, table
    # 2 of 783 lines (2.6 per 1,000): ABOVE the issue's target of 1 -- a floor against regressions only
    assert table["urgent false alarms per 1,000 chit-chat lines"] <= 3.0, table
    assert table["recognised requests that a trailing '，谢谢' turns into chatter"] <= 0.02, table
    report = evaluate(evaluation, clf)
    assert set(report.confusion) == set(GOLD_LABELS) and "request" not in CATEGORIES
